#pragma once
// The named persistence operations: every database call an actor makes, as a plain value (the
// operation and its parameters) with the type of its answer (`result`). Actors send them to the
// db_pool (actors/actor_types.hpp lists them in its typed interface) or, for a task worker's own
// connection, run them with persistence::execute; how each composes its statements and
// transactions is decided here, in persistence/operations.cpp, never in actors/.
//
// They never leave the process (a pooled connection is local), so they and their results are
// allowed as unsafe message types instead of being inspectable (docs/architecture.md).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/expected.hpp>

#include "messages/features.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/records.hpp"
#include "messages/stac.hpp"
#include "persistence/admin_operations.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/outputs.hpp"
#include "persistence/requests.hpp"
#include "persistence/task_queue.hpp"
#include "persistence/webhook_operations.hpp"

namespace gp::persistence {
class db_session;
}

namespace gp::db {

// --- Schema and readiness ---------------------------------------------------------------------

/// Applies the embedded migrations (waiting up to 5 s for another node's lock); answers the
/// schema version afterwards and the migrations applied now.
struct migrate {
  struct result {
    int64_t version = 0;
    std::vector<int64_t> applied;
  };
};

/// PostGIS presence and the applied and expected schema versions.
struct check_readiness {
  using result = db_health;
};

/// The job queue's and the webhook outbox's backlog (/health).
struct read_backlog {
  using result = work_backlog;
};

/// A client's key, callback hosts and last delivered webhook (/platform/health).
struct read_client_integration {
  std::string client_id;
  using result = client_integration;
};

// --- Clients and keys -------------------------------------------------------------------------

/// The key with this public id (authentication).
struct find_key {
  std::string key_id;
  struct result {
    std::optional<persistence::key_credentials> found;
  };
};

/// Every client.
struct list_clients {
  struct result {
    std::vector<client_row> rows;
  };
};

/// The keys of one client (empty: every client's), newest first.
struct list_keys {
  std::string client_id;
  struct result {
    std::vector<api_key_row> rows;
  };
};

/// Creates a key from the first candidate whose id is free.
struct create_key {
  api_key_row row;
  std::vector<key_candidate> candidates;
  audit_context by;
  struct result {
    persistence::create_key_outcome outcome = persistence::create_key_outcome::id_taken;
    /// The candidate used last (the created key when outcome is created).
    key_candidate key;
    /// The expiry as stored (UTC, RFC 3339; empty: never).
    std::string expires_at;
  };
};

/// Marks a key revoked; false when there was no such live key.
struct revoke_key {
  std::string key_id;
  audit_context by;
  using result = bool;
};

/// The callback hosts a client allows.
struct callback_hosts {
  std::string client_id;
  struct result {
    std::vector<std::string> hosts;
  };
};

// --- Jobs -------------------------------------------------------------------------------------

/// Creates a job and its first tasks (idempotent by job id); answers it as submitted.
struct create_job {
  persistence::new_job job;
  persistence::stage_planner plan;
  using result = job_submission;
};

/// Where several jobs stand.
struct job_states {
  std::vector<std::string> job_ids;
  struct result {
    std::vector<persistence::job_state> states;
  };
};

/// Cancels a job; false when it had ended.
struct cancel_job {
  std::string job_id;
  using result = bool;
};

/// One job as the API shows it.
struct find_job {
  std::string job_id;
  struct result {
    std::optional<job_row> row;
  };
};

/// A page of jobs, newest first (`limit` rows at most; ask one more to know a next page exists).
struct list_jobs {
  std::optional<job_status> status;
  int limit = 50;
  std::string cursor;
  struct result {
    std::vector<job_row> rows;
  };
};

/// Extends the leases of this node's claims (the lease keeper).
struct renew_leases {
  std::string owner;
  std::vector<persistence::held_claim> claims;
  std::chrono::milliseconds lease{0};
  using result = persistence::renewal;
};

// The task worker's operations run on its own session (persistence::execute), never as messages:
// they refer to the worker's values instead of copying them (a batch's results, the planners).

/// Claims up to `limit` due tasks, first creating the first jobs of requests that have none;
/// jobs that ended as they were planned come back in `ended`.
struct claim_tasks {
  const std::string& owner;
  int limit;
  std::chrono::milliseconds lease;
  const persistence::stage_planner& plan;
  const std::vector<std::string>& job_types;
  const persistence::first_job_planner& first_jobs;
  struct result {
    std::vector<persistence::claimed_task> claimed;
    std::vector<persistence::job_state> ended;
  };
};

/// Records the successes of a claimed batch in one transaction.
struct complete_tasks {
  const std::vector<std::pair<persistence::claimed_task, std::string>>& done;
  const std::string& owner;
  const persistence::stage_planner& plan;
  using result = std::vector<persistence::task_outcome>;
};

/// Records one failure (retried later, or the job fails).
struct fail_task {
  const persistence::claimed_task& task;
  const std::string& owner;
  bool permanent;
  const std::string& code;
  const std::string& message;
  std::chrono::milliseconds backoff;
  using result = persistence::task_outcome;
};

/// Hands claimed but unstarted tasks back to the queue.
struct release_tasks {
  const std::string& owner;
  const std::vector<persistence::claimed_task>& tasks;
  using result = bool;
};

// --- Platform requests ------------------------------------------------------------------------

/// One stored request.
struct find_request {
  std::string request_id;
  struct result {
    std::optional<request_row> row;
  };
};

/// A request's stored status history (GET /platform/status/{id}?detail=full).
struct read_request_events {
  std::string request_id;
  struct result {
    std::vector<request_event> events;
  };
};

/// Inserts a group of new requests in one statement and one commit (the registry's grouped
/// submissions). `after_insert` (tests only) runs on the pool's thread once they are committed.
struct insert_request_group {
  std::vector<persistence::new_request> rows;
  std::function<void(bool created_any)> after_insert;
  struct result {
    std::vector<persistence::insert_outcome> outcomes;
  };
};

/// Writes a request's state, fenced by the version its actor last wrote; answers whether it was
/// stored and the row's timestamps.
struct write_request_state {
  std::string request_id;
  int64_t state_version = 0;
  persistence::request_state state;
  struct result {
    bool stored = false;
    persistence::stored_times times;
  };
};

/// The completed state of a request, written by the stac_catalog actor with what the request
/// publishes in the STAC catalogue (one transaction); answers the write's outcome and the
/// stac_metadata and endpoints stored with it. Not a pool operation: the stac_catalog actor
/// assembles the catalogue rows, then runs `write` on the pool.
struct finalise_request {
  /// The completed view (its identity and type say what is published).
  request_view completed;
  write_request_state write;
  struct result {
    bool stored = false;
    persistence::stored_times times;
    std::string stac_metadata_json;
    std::string endpoints_json;
  };
};

/// Fails a live request with `error_code` and `message` (retryable as messages/failure_codes.hpp
/// says), fenced by the version it has now, its progress and snapshot kept; answers the row
/// afterwards (unchanged when it had ended already). For a request whose actor kept crashing.
struct fail_request {
  std::string request_id;
  std::string error_code;
  std::string message;
  using result = find_request::result;
};

/// Cancels (pending, processing) or retries (failed) a request of `client_id` (empty: any).
struct change_request {
  enum change_kind { cancel, retry };
  std::string request_id;
  std::string client_id;
  change_kind kind = cancel;
  struct result {
    enum kind_t { missing, refused, changed } kind = missing;
    std::optional<request_row> row;
  };
};

/// A page of live requests to resume at start-up, by id after `after`; the completion
/// averages come with the last page.
struct live_requests {
  std::string after;
  int limit = 1000;
  struct result {
    std::vector<request_row> rows;
    std::vector<std::pair<std::string, double>> averages;
  };
};

/// A page of a client's requests (empty client: every client's), newest first (`limit` rows at
/// most).
struct list_requests {
  std::string client_id;
  std::optional<request_status> status;
  std::string dataset_id;
  int limit = 50;
  std::string cursor;
  struct result {
    std::vector<request_row> rows;
  };
};

/// What the request's jobs produced (its completed tasks' outputs, or a reused request's).
struct gather_outputs {
  std::string request_id;
  struct result {
    persistence::produced_outputs produced;
  };
};

/// Raises a processing request's stored progress from its current job; -1 once it is not
/// processing any more.
struct refresh_progress {
  std::string request_id;
  std::string job_id;
  int step = 0;
  int steps = 1;
  using result = int;
};

/// What serving a request's files needs of its row.
struct find_request_outputs {
  std::string request_id;
  struct result {
    std::optional<persistence::request_outputs_row> row;
  };
};

// --- Features ---------------------------------------------------------------------------------

/// The layers a client may see (empty: every client's).
struct list_layers {
  std::string client_id;
  struct result {
    std::vector<vector_layer> layers;
  };
};

/// One layer of the client's (empty: any client's).
struct find_layer {
  std::string table_name;
  std::string client_id;
  struct result {
    std::optional<vector_layer> layer;
  };
};

/// A page of a layer's features, its layer looked up first (in one round trip to the pool).
struct read_items {
  std::string table_name;
  std::string client_id;
  items_selection selection;
  struct result {
    std::optional<vector_layer> layer;
    items_page page;
  };
};

/// One feature of a layer, its layer looked up first.
struct read_item {
  std::string table_name;
  std::string client_id;
  int64_t fid = 0;
  struct result {
    std::optional<vector_layer> layer;
    std::optional<std::string> feature;
  };
};

// --- STAC catalogue -----------------------------------------------------------------------------

/// The catalogue's version (it advances with every write).
struct stac_catalogue_version {
  struct result {
    int64_t version = 0;
  };
};

/// The collections a client sees (empty: every client's).
struct list_stac_collections {
  std::string client_id;
  struct result {
    std::vector<catalogue_collection_row> collections;
  };
};

/// One collection, if the client sees it.
struct find_stac_collection {
  std::string client_id;
  std::string collection_id;
  struct result {
    std::optional<catalogue_collection_row> collection;
  };
};

/// One item's JSON, if the client sees it.
struct find_stac_item {
  std::string client_id;
  std::string collection_id;
  std::string item_id;
  struct result {
    std::optional<std::string> item_json;
  };
};

/// A page of a search in the client's scope. `refused` says why PostGIS refused a geometry of
/// the search (a 400 for the caller); nothing was found then.
struct search_stac {
  std::string client_id;
  stac_search search;
  /// The items route of one collection: its collection must exist in the client's scope.
  bool collection_must_exist = false;
  struct result {
    search_page page;
    std::string refused;
    /// False when collection_must_exist and it does not (nothing was searched).
    bool collection_found = true;
  };
};

/// Every operation the db_pool runs, in the order of its typed interface.
using pool_operations = caf::detail::type_list<
  migrate, check_readiness, read_backlog, read_client_integration, find_key, list_clients, list_keys, create_key, revoke_key,
  callback_hosts, create_job, job_states, cancel_job, find_job, list_jobs, renew_leases,
  find_request, read_request_events, insert_request_group, write_request_state, fail_request, change_request,
  live_requests, list_requests, gather_outputs, refresh_progress, find_request_outputs,
  list_layers, find_layer, read_items, read_item, stac_catalogue_version, list_stac_collections,
  find_stac_collection, find_stac_item, search_stac, claim_deliveries, record_deliveries,
  release_deliveries, list_deliveries, find_delivery, redeliver, insert_ping, rotate_secret,
  create_client, find_client, update_client, rotate_key, list_audit, record_usage, read_usage>;

}  // namespace gp::db

namespace gp::persistence {

// Each runs one operation on the session's connection (reconnecting first when it broke);
// database failures become gp errors (current_exception_to_error).
caf::expected<db::migrate::result> execute(db_session& s, const db::migrate& op);
caf::expected<db_health> execute(db_session& s, const db::check_readiness& op);
caf::expected<work_backlog> execute(db_session& s, const db::read_backlog& op);
caf::expected<client_integration> execute(db_session& s, const db::read_client_integration& op);
caf::expected<db::read_request_events::result> execute(db_session& s,
                                                       const db::read_request_events& op);
caf::expected<db::find_key::result> execute(db_session& s, const db::find_key& op);
caf::expected<db::list_clients::result> execute(db_session& s, const db::list_clients& op);
caf::expected<db::list_keys::result> execute(db_session& s, const db::list_keys& op);
caf::expected<db::create_key::result> execute(db_session& s, const db::create_key& op);
caf::expected<bool> execute(db_session& s, const db::revoke_key& op);
caf::expected<db::callback_hosts::result> execute(db_session& s, const db::callback_hosts& op);
caf::expected<job_submission> execute(db_session& s, const db::create_job& op);
caf::expected<db::job_states::result> execute(db_session& s, const db::job_states& op);
caf::expected<bool> execute(db_session& s, const db::cancel_job& op);
caf::expected<db::find_job::result> execute(db_session& s, const db::find_job& op);
caf::expected<db::list_jobs::result> execute(db_session& s, const db::list_jobs& op);
caf::expected<renewal> execute(db_session& s, const db::renew_leases& op);
caf::expected<db::claim_tasks::result> execute(db_session& s, const db::claim_tasks& op);
caf::expected<std::vector<task_outcome>> execute(db_session& s, const db::complete_tasks& op);
caf::expected<task_outcome> execute(db_session& s, const db::fail_task& op);
caf::expected<bool> execute(db_session& s, const db::release_tasks& op);
caf::expected<db::find_request::result> execute(db_session& s, const db::find_request& op);
caf::expected<db::insert_request_group::result> execute(db_session& s,
                                                        const db::insert_request_group& op);
caf::expected<db::write_request_state::result> execute(db_session& s,
                                                       const db::write_request_state& op);
caf::expected<db::find_request::result> execute(db_session& s, const db::fail_request& op);
caf::expected<db::change_request::result> execute(db_session& s, const db::change_request& op);
caf::expected<db::live_requests::result> execute(db_session& s, const db::live_requests& op);
caf::expected<db::list_requests::result> execute(db_session& s, const db::list_requests& op);
caf::expected<db::gather_outputs::result> execute(db_session& s, const db::gather_outputs& op);
caf::expected<int> execute(db_session& s, const db::refresh_progress& op);
caf::expected<db::find_request_outputs::result> execute(db_session& s,
                                                        const db::find_request_outputs& op);
caf::expected<db::list_layers::result> execute(db_session& s, const db::list_layers& op);
caf::expected<db::find_layer::result> execute(db_session& s, const db::find_layer& op);
caf::expected<db::read_items::result> execute(db_session& s, const db::read_items& op);
caf::expected<db::read_item::result> execute(db_session& s, const db::read_item& op);
caf::expected<db::stac_catalogue_version::result> execute(db_session& s,
                                                          const db::stac_catalogue_version& op);
caf::expected<db::list_stac_collections::result> execute(db_session& s,
                                                         const db::list_stac_collections& op);
caf::expected<db::find_stac_collection::result> execute(db_session& s,
                                                        const db::find_stac_collection& op);
caf::expected<db::find_stac_item::result> execute(db_session& s, const db::find_stac_item& op);
caf::expected<db::search_stac::result> execute(db_session& s, const db::search_stac& op);

}  // namespace gp::persistence

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::migrate)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::migrate::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::check_readiness)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_backlog)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_client_integration)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_request_events)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_request_events::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_key::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_clients)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_clients::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_keys)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_keys::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::create_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::create_key::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::revoke_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::callback_hosts)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::callback_hosts::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::create_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::job_states)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::job_states::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::cancel_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_job::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_jobs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_jobs::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::renew_leases)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::persistence::renewal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_request::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::insert_request_group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::insert_request_group::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::write_request_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::write_request_state::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::fail_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::change_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::change_request::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::live_requests)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::live_requests::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_requests)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_requests::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::gather_outputs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::gather_outputs::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::refresh_progress)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_request_outputs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_request_outputs::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_layers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_layers::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_layer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_layer::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_items)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_items::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_item)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_item::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::finalise_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::finalise_request::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::stac_catalogue_version)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::stac_catalogue_version::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_stac_collections)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_stac_collections::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_stac_collection)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_stac_collection::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_stac_item)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_stac_item::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::search_stac)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::search_stac::result)
