#pragma once
// Every actor's interface in one place.
#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/local_messages.hpp"
#include "messages/atoms.hpp"
#include "messages/auth.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "persistence/operations.hpp"

namespace gp {

/// The typed interface of a pool running the operations of `Ops` (a caf::detail::type_list of
/// operations, each with its `result` type): each operation → its result or a gp error, and
/// (status_atom) → status_report.
template <class Ops>
struct db_interface;

template <class... Ops>
struct db_interface<caf::detail::type_list<Ops...>> {
  using type = caf::typed_actor<typename caf::replies_to<Ops>::template with<typename Ops::result>...,
                                caf::replies_to<status_atom>::with<status_report>>;
};

/// db_pool: every named persistence operation of persistence/operations.hpp
/// (db::pool_operations: migrate, check_readiness, read_backlog, read_client_integration,
/// find_key, list_clients, list_keys, create_key, revoke_key, callback_hosts, create_job, job_states, cancel_job, find_job,
/// list_jobs, renew_leases, find_request, read_request_events, insert_request_group, write_request_state,
/// fail_request, change_request, live_requests, list_requests, gather_outputs,
/// refresh_progress, find_request_outputs, list_layers, find_layer, read_items, read_item,
/// stac_catalogue_version, list_stac_collections, find_stac_collection, find_stac_item,
/// search_stac, claim_deliveries, record_deliveries, release_deliveries, list_deliveries,
/// find_delivery, redeliver, insert_ping, rotate_secret, create_client, find_client,
/// update_client, rotate_key, list_audit, record_usage, read_usage) →
/// its result, run on a pooled connection; (status_atom) → status_report.
using db_pool_actor = db_interface<db::pool_operations>::type;

// Each interface lists the messages other actors may send. What an actor sends only to itself
// (timers, retries) is in its `*_impl` interface, an extension that only its own file spawns, so
// nobody else can send it. Handlers reply with the type after `with`, or with a gp error.

/// A status report, answered by every long-lived actor (health, the console, tests).
using status_reporting = caf::replies_to<status_atom>::with<status_report>;

/// auth: checks API keys with a short cache.
using auth_actor = caf::typed_actor<
  // A presented key → its principal, errc::unauthorized with the reason, or the pool's error.
  caf::replies_to<auth_atom, std::string>::with<principal>,
  // Forget what is cached about a key id (it was revoked on this node).
  caf::reacts_to<invalidate_atom, std::string>, status_reporting>;

/// migrator: brings the schema up to date at start-up.
using migrator_actor = caf::typed_actor<status_reporting>;
/// Its own retry timer: try (again) to migrate.
using migrator_impl = migrator_actor::extend<caf::reacts_to<migrate_atom>>;

/// http_edge: routes HTTP calls.
using http_edge_actor = caf::typed_actor<
  // A call from the server's I/O threads; answered through the call's responder.
  caf::reacts_to<http_atom, http_call>,
  // Stop accepting, finish in-flight calls within the grace period → whether all finished.
  caf::replies_to<drain_atom, std::chrono::milliseconds>::with<bool>, status_reporting>;
/// Its own timers: the drain poll, the expiry of submissions waiting for the registry, and the
/// flush of the usage it counted.
using http_edge_impl = http_edge_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<expire_atom>,
                                               caf::reacts_to<flush_atom>>;

/// Whoever watches a job: told of its progress and its end.
using job_watcher_actor = caf::typed_actor<caf::reacts_to<job_event_atom, job_event>>;

/// coremachine: creates, watches and cancels jobs; wakes its task workers.
using coremachine_actor = caf::typed_actor<
  // (type, params_json, request_id) → the job, created or found (errc::invalid_input).
  caf::replies_to<submit_atom, std::string, std::string, std::string>::with<job_submission>,
  // (job_id, type, params_json, request_id): a request's job under the id it derived.
  caf::replies_to<submit_atom, std::string, std::string, std::string, std::string>::with<
    job_submission>,
  // (job_id, fresh): the sender (a job_watcher_actor) hears (job_event_atom, job_event) as the
  // job moves and when it ends; `fresh`: the job may not exist yet (a claim creates it).
  caf::reacts_to<watch_atom, std::string, bool>,
  // A job moved (from the task workers, or the registry for a cancelled request's jobs).
  caf::reacts_to<job_event_atom, job_event>,
  // Cancel a job → whether it was running.
  caf::replies_to<cancel_atom, std::string>::with<bool>,
  // There may be tasks to claim now.
  caf::reacts_to<work_atom>, status_reporting>;
/// Its own timers: a failed look at watched jobs is tried again; watched jobs due for a refresh.
using coremachine_impl =
  coremachine_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<refresh_atom>>;

/// task_worker: claims and runs tasks on its own connection and thread.
using task_worker_actor = caf::typed_actor<
  // There may be tasks to claim now.
  caf::reacts_to<work_atom>>;
/// Its own poll timer, with the generation it was armed in (older ones are ignored).
using task_worker_impl = task_worker_actor::extend<caf::reacts_to<claim_atom, uint64_t>>;

/// lease_keeper: renews the leases of this node's claims and stops tasks that must stop.
using lease_keeper_actor = caf::typed_actor<
  // A claim is held (from its claim to its end).
  caf::reacts_to<track_atom, running_task>,
  // (task_id, attempt): the claim ended.
  caf::reacts_to<untrack_atom, int64_t, int>, status_reporting>;
/// Its own renewal round.
using lease_keeper_impl = lease_keeper_actor::extend<caf::reacts_to<tick_atom>>;

/// request (one per live platform request): runs its steps as jobs.
using request_actor = caf::typed_actor<
  // Its current view.
  caf::replies_to<query_atom>::with<request_view>,
  // Its row was cancelled: remove the outputs and stop.
  caf::reacts_to<cancel_atom>,
  // A watched job moved.
  caf::reacts_to<job_event_atom, job_event>>;
/// Its own timers: run (or retry) the current step; retry a state write.
using request_impl = request_actor::extend<caf::reacts_to<step_atom>, caf::reacts_to<tick_atom>>;

/// request_supervisor: starts request actors and restarts crashed ones from their snapshots.
using request_supervisor_actor = caf::typed_actor<
  // Start the actor of a stored row.
  caf::reacts_to<start_atom, request_row>,
  // Start the actor of a request this node just inserted.
  caf::reacts_to<start_atom, fresh_request>, status_reporting>;
/// Its own timer: restart the request with this id after its pause.
using request_supervisor_impl =
  request_supervisor_actor::extend<caf::reacts_to<restart_atom, std::string>>;

/// registry: request_id → request actor; idempotency from memory; cancel, retry, resume.
using registry_actor = caf::typed_actor<
  // A new submission → created, the same one again, or a different one with its identity.
  caf::replies_to<submit_atom, request_submission>::with<submit_answer>,
  // A submission refused by the edge's checks → the answer of a repeat if its request exists
  // (errc::not_found otherwise).
  caf::replies_to<query_atom, request_submission>::with<submit_answer>,
  // (request_id, client_id; empty: any client) → its view (errc::not_found).
  caf::replies_to<query_atom, std::string, std::string>::with<request_view>,
  // (request_id, client_id) → the cancelled request (errc::not_found, errc::conflict).
  caf::replies_to<cancel_atom, std::string, std::string>::with<request_view>,
  // (request_id, client_id) → the re-opened request (errc::not_found, errc::conflict).
  caf::replies_to<retry_atom, std::string, std::string>::with<request_view>,
  // From request actors: (request_id, status, state_version) stored.
  caf::reacts_to<moved_atom, std::string, request_status, int64_t>,
  // From request actors and the supervisor: the request reached a terminal state.
  caf::reacts_to<ended_atom, request_view>,
  // From the supervisor: the request's actor runs.
  caf::reacts_to<started_atom, std::string, request_actor>,
  // From the supervisor: the request's actor stopped (null: a start asked for during a pending
  // restart was not made).
  caf::reacts_to<stopped_atom, std::string, caf::actor_addr>, status_reporting>;
/// Its own timer: load the next page of live requests to resume, after this request id.
using registry_impl = registry_actor::extend<caf::reacts_to<resume_atom, std::string>>;

/// stac_catalog: assembles what completed requests publish and stores it with their state.
using stac_catalog_actor = caf::typed_actor<
  // A request's completed state → written with its catalogue rows in one transaction.
  caf::replies_to<db::finalise_request>::with<db::finalise_request::result>, status_reporting>;
/// Its own timer: read the catalogue's version (other nodes' writes empty the answer cache).
using stac_catalog_impl = stac_catalog_actor::extend<caf::reacts_to<tick_atom>>;

/// webhook_delivery (one per callback host): attempts the deliveries of its host, at most the
/// per-host limit at a time, on connections it keeps open between them.
using webhook_delivery_actor = caf::typed_actor<
  // Claimed deliveries of its host to attempt (queued while the host's limit is reached).
  caf::reacts_to<deliver_atom, std::vector<claimed_delivery>>,
  // The node stops: the outcomes not yet reported, then those it has not started, given back
  // unattempted (it starts nothing after).
  caf::replies_to<give_back_atom>::with<std::vector<delivery_outcome>>, status_reporting>;
/// Its own messages: attempts ended (the HTTP client's threads leave them in its inbox and wake
/// it once for all that gather meanwhile); report the outcomes gathered; its idle timer.
using webhook_delivery_impl =
  webhook_delivery_actor::extend<caf::reacts_to<delivered_atom>, caf::reacts_to<flush_atom>,
                                 caf::reacts_to<tick_atom>>;

/// webhook_dispatcher: claims due deliveries from the outbox, hands them to the delivery actors
/// of their hosts and writes what the attempts came to.
using webhook_dispatcher_actor = caf::typed_actor<
  // There may be due deliveries now (a ping, a redelivery).
  caf::reacts_to<work_atom>,
  // From a delivery actor: (host, outcomes) of attempts that ended, in the order they did.
  caf::reacts_to<delivered_atom, std::string, std::vector<delivery_outcome>>,
  // From a delivery actor: its host has had nothing to do for a while.
  caf::reacts_to<idle_atom, std::string>, status_reporting>;
/// Its own timers: look for due deliveries; write the outcomes gathered.
using webhook_dispatcher_impl =
  webhook_dispatcher_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<flush_atom>>;

/// root: the node's supervisor.
using root_actor = caf::typed_actor<
  // Drain the edge, then stop the children in order → whether the edge drained in time.
  caf::replies_to<shutdown_atom>::with<bool>, status_reporting>;

}  // namespace gp
