#pragma once
// Every actor's interface in one place.
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/health.hpp"
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
/// (db::pool_operations: migrate, check_readiness, find_key, list_clients, list_keys,
/// create_key, revoke_key, callback_hosts, create_job, job_states, cancel_job, find_job,
/// list_jobs, renew_leases, find_request, insert_request_group, write_request_state,
/// fail_request, change_request, live_requests, list_requests, gather_outputs,
/// refresh_progress, find_request_outputs, list_layers, find_layer, read_items, read_item) →
/// its result, run on a pooled connection; (status_atom) → status_report.
using db_pool_actor = db_interface<db::pool_operations>::type;

/// auth: (auth_atom, std::string key) → principal, errc::unauthorized, or the pool's database
///       error; (invalidate_atom, std::string key_id) → forget a key at once;
///       (status_atom) → status_report.
using auth_actor = caf::actor;

/// migrator: (migrate_atom) → nothing (sent to itself; retries until migrated);
///           (status_atom) → status_report.
using migrator_actor = caf::actor;

/// http_edge: (http_atom, http_call) → nothing (answers through the call's responder);
///            (drain_atom, milliseconds) → bool drained; (status_atom) → status_report.
using http_edge_actor = caf::actor;

/// coremachine: (submit_atom, type, params_json, request_id) → job_submission or
///              errc::invalid_input; (watch_atom, job_id) → the sender gets (job_event_atom,
///              job_event) on progress and at the end; (cancel_atom, job_id) → bool;
///              (job_event_atom, job_event) from workers; (work_atom); (status_atom) → status_report.
using coremachine_actor = caf::actor;

/// coremachine also: (submit_atom, job_id, type, params_json, request_id) → job_submission: a
///              request's job under the id the request derived (io/jobs/pipelines.hpp).

/// registry: (submit_atom, request_submission) → submit_answer; (query_atom,
///           request_submission) → submit_answer of a repeat when the request exists, else
///           errc::not_found; (query_atom, request_id,
///           client_id) → request_view or errc::not_found; (cancel_atom, request_id, client_id)
///           and (retry_atom, request_id, client_id) → request_view, errc::not_found or
///           errc::conflict; from request actors (moved_atom, request_id, status, version) and
///           (ended_atom, request_view); from the supervisor (track_atom, request_id, actor) and
///           (untrack_atom, request_id); (status_atom) → status_report.
using registry_actor = caf::actor;

/// request_supervisor: (start_atom, request_row) starts a request actor (restarts come from
/// its own timers); (status_atom) → status_report.
using request_supervisor_actor = caf::actor;

/// request (one per live platform request): (query_atom) → request_view; (cancel_atom) → it
/// stops (its row was cancelled); (job_event_atom, job_event) from the coremachine.
using request_actor = caf::actor;

/// root: (shutdown_atom) → bool drained; (status_atom) → status_report.
using root_actor = caf::actor;

}  // namespace gp
