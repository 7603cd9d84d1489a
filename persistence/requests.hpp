#pragma once
// platform.requests: one row per platform request. The unique key on (client, dataset, resource,
// version) is the real idempotency guard; state writes are fenced by state_version.
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

using gp::request_row;

/// A request to insert (its id is derived from the identity by the caller).
struct new_request {
  std::string request_id;
  std::string client_id;
  std::string dataset_id;
  std::string resource_id;
  std::string version_id;
  std::string request_type;
  std::string source_path;
  std::string processing_config_json = "{}";
  std::string callback_url;
  std::string client_request_id;
  std::string owner_node;
};

/// The outcome of an insert: a new row, or the row that already had this identity.
struct insert_outcome {
  bool created = false;
  request_row row;
};

/// Inserts with ON CONFLICT DO NOTHING RETURNING; on conflict returns the existing row. Concurrent
/// identical inserts create exactly one row. The row is committed when this returns.
insert_outcome insert_request(pqxx::connection& c, const new_request& r);

/// One request, or nothing.
std::optional<request_row> find_request(pqxx::connection& c, const std::string& request_id);

/// A state transition to write.
struct request_state {
  std::string status;
  int progress_percent = 0;
  std::string message;
  std::string endpoints_json = "null";
  std::string stac_metadata_json = "null";
  std::string error_code;
  std::string error_message;
  bool error_retryable = false;
  std::string snapshot_json = "{}";
};

/// Writes `s` only if the row's state_version is still `expected_version` (then it becomes
/// expected_version + 1); false when another writer got there first (nothing is written).
/// progress_percent never decreases; started_at / completed_at are set on the first
/// processing / terminal state.
bool save_request_state(pqxx::connection& c, const std::string& request_id,
                        int64_t expected_version, const request_state& s);

/// Requests newest first, filtered by client (empty = all), status and dataset (empty = any);
/// `after` is the request_id of the last row of the previous page.
std::vector<request_row> list_requests(pqxx::connection& c, const std::string& client_id,
                                       const std::string& status, const std::string& dataset_id,
                                       int limit, const std::string& after);

/// Ids of requests that are not terminal (pending or processing), oldest first.
std::vector<std::string> live_request_ids(pqxx::connection& c);

}  // namespace gp::persistence
