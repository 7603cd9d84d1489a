#pragma once
// platform.requests: one row per platform request. The unique key on (client, dataset, resource,
// version) is the real idempotency guard; state writes are fenced by state_version.
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "messages/stac.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

using gp::request_row;

/// The status a status column holds (throws on a word that is not a request status).
request_status request_status_of(const std::string& column);

/// A request to insert (its id is derived from the identity by the caller).
struct new_request : request_spec {
  std::string request_id;
  std::string owner_node;
  /// The request actor's snapshot to start from (e.g. naming its first job).
  std::string snapshot_json = "{}";
  /// False when the snapshot names a first job that is not created yet: the first claim that
  /// finds the request creates it (plan_first_jobs).
  bool first_job_planned = true;
};

/// The outcome of an insert: a new row, or the row that already had this identity.
struct insert_outcome {
  bool created = false;
  request_row row;
};

/// Inserts with ON CONFLICT DO NOTHING RETURNING; on conflict returns the existing row. Concurrent
/// identical inserts create exactly one row. The row is committed when this returns.
insert_outcome insert_request(pqxx::connection& c, const new_request& r);

/// Inserts several requests in one statement, one transaction and one commit (the registry
/// groups concurrent submissions); outcomes are in the order of `rs`. First jobs are not created
/// here: see new_request::first_job_planned.
std::vector<insert_outcome> insert_requests(pqxx::connection& c, const std::vector<new_request>& rs);

/// One request, or nothing.
std::optional<request_row> find_request(pqxx::connection& c, const std::string& request_id);

/// The stored history of a request's status, oldest first (at most the newest 100 changes).
std::vector<request_event> read_request_events(pqxx::connection& c, const std::string& request_id);

/// A state transition to write: the progress (an empty reused_from keeps what is stored), the
/// snapshot, and what the request produced.
struct request_state : request_progress {
  std::string snapshot_json = "{}";
  /// platform.requests.outputs (see migration 0006); empty keeps what is stored.
  std::string outputs_json;
  /// What a completed state publishes in the STAC catalogue, written in the same transaction
  /// (persistence/stac_catalogue.hpp).
  catalogue_entries catalogue;
  /// A completed request: the bytes its processing read (the source) and wrote (its outputs),
  /// added to its client's usage with the end.
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
};

/// Writes `s` only if the row's state_version is still `expected_version` (then it becomes
/// expected_version + 1); false when another writer got there first (nothing is written).
/// progress_percent never decreases; started_at / completed_at are set on the first
/// processing / terminal state.
bool save_request_state(pqxx::connection& c, const std::string& request_id,
                        int64_t expected_version, const request_state& s);

/// The timestamps of a request after a state write (RFC 3339, empty when unset).
struct stored_times {
  std::string started_at;
  std::string completed_at;
};

/// save_request_state that also returns the row's timestamps; nothing when the write was
/// refused.
std::optional<stored_times> store_request_state(pqxx::connection& c, const std::string& request_id,
                                                int64_t expected_version, const request_state& s);

/// Requests newest first, filtered by client (empty = all), status (none = any) and dataset
/// (empty = any);
/// `after` is the request_id of the last row of the previous page.
std::vector<request_row> list_requests(pqxx::connection& c, const std::string& client_id,
                                       std::optional<request_status> status,
                                       const std::string& dataset_id,
                                       int limit, const std::string& after);

/// Ids of requests that are not terminal (pending or processing), oldest first.
std::vector<std::string> live_request_ids(pqxx::connection& c);

/// Up to `limit` requests that are not terminal, by request_id after `after` (paging).
std::vector<request_row> live_requests(pqxx::connection& c, int limit, const std::string& after);

/// Mean seconds from creation to completion of the last 100 completed requests of each type.
std::vector<std::pair<std::string, double>> completion_averages(pqxx::connection& c);

/// Raises the stored progress of a processing request to what `job_id` (step `step` of
/// `steps`) has done: finished stages plus the finished share of the current stage's tasks,
/// capped at 99. Returns the stored progress afterwards (never lower than before), or -1 when
/// the request is no longer processing.
int refresh_progress(pqxx::connection& c, const std::string& request_id, const std::string& job_id,
                     int step, int steps);

/// What cancelling or retrying found.
struct request_change {
  /// Whether the request changed (false: it was not in a state allowing the change).
  bool changed = false;
  /// The row afterwards (empty when there is no such request).
  std::optional<request_row> row;
};

/// Cancels a pending or processing request in one transaction: the row becomes cancelled (its
/// state_version moves on, so its actor's next write is refused) and its running jobs and their
/// waiting tasks are cancelled (running tasks are stopped by their lease keeper).
request_change cancel_request(pqxx::connection& c, const std::string& request_id);

/// Re-opens a failed request in one transaction: its failed jobs are reset in place (failed
/// tasks wait again with fresh attempts, finished ones are kept) and the row becomes processing
/// with the error cleared.
request_change retry_request(pqxx::connection& c, const std::string& request_id);

/// What the jobs of a request produced, read when one of its jobs completes.
struct produced_outputs {
  /// Set when a task of the request found a completed request with the same source and
  /// configuration (its result's "reused_from"): that request's stored outputs follow.
  std::string reused_from;
  /// Reused: the other request's platform.requests.outputs. Otherwise a JSON array of the
  /// "outputs" objects of the request's completed tasks, in job, stage and task order (merged by
  /// io::jobs::merge_outputs).
  std::string outputs_json = "[]";
};

produced_outputs gather_outputs(pqxx::connection& c, const std::string& request_id);

/// Records `sha256` as the request's source hash and returns the newest other completed request
/// of the same client, dataset and resource with the same type, processing_config and source
/// hash whose outputs exist (incremental reuse), if any.
std::optional<std::string> find_reusable(pqxx::connection& c, const std::string& request_id,
                                         const std::string& sha256);

}  // namespace gp::persistence
