#include "persistence/requests.hpp"

#include <pqxx/pqxx>

namespace gp::persistence {

namespace sql {

constexpr const char* columns = R"sql(
SELECT request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
       processing_config::text, coalesce(callback_url, ''), coalesce(client_request_id, ''),
       status, progress_percent, coalesce(message, ''), coalesce(endpoints::text, 'null'),
       coalesce(stac_metadata::text, 'null'), coalesce(error_code, ''),
       coalesce(error_message, ''), coalesce(error_retryable, false), coalesce(owner_node, ''),
       state_version, snapshot::text,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
FROM platform.requests )sql";

constexpr const char* insert = R"sql(
INSERT INTO platform.requests
  (request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
   processing_config, callback_url, client_request_id, owner_node)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
ON CONFLICT DO NOTHING
RETURNING request_id)sql";

constexpr const char* save_state = R"sql(
UPDATE platform.requests
SET status = $3, progress_percent = greatest(progress_percent, $4), message = $5,
    endpoints = $6::jsonb, stac_metadata = $7::jsonb, error_code = nullif($8, ''),
    error_message = nullif($9, ''), error_retryable = $10, snapshot = $11::jsonb,
    state_version = state_version + 1, updated_at = now(),
    started_at = CASE WHEN $3 <> 'pending' THEN coalesce(started_at, now()) ELSE started_at END,
    completed_at = CASE WHEN $3 IN ('completed', 'failed', 'cancelled') THEN now() ELSE NULL END
WHERE request_id = $1 AND state_version = $2
RETURNING state_version)sql";

constexpr const char* live = R"sql(
SELECT request_id FROM platform.requests WHERE status IN ('pending', 'processing')
ORDER BY created_at, request_id)sql";

}  // namespace sql

namespace {

request_row read_row(const pqxx::row& r) {
  request_row x;
  x.request_id = r[0].as<std::string>();
  x.client_id = r[1].as<std::string>();
  x.dataset_id = r[2].as<std::string>();
  x.resource_id = r[3].as<std::string>();
  x.version_id = r[4].as<std::string>();
  x.request_type = r[5].as<std::string>();
  x.source_path = r[6].as<std::string>();
  x.processing_config_json = r[7].as<std::string>();
  x.callback_url = r[8].as<std::string>();
  x.client_request_id = r[9].as<std::string>();
  x.status = r[10].as<std::string>();
  x.progress_percent = r[11].as<int>();
  x.message = r[12].as<std::string>();
  x.endpoints_json = r[13].as<std::string>();
  x.stac_metadata_json = r[14].as<std::string>();
  x.error_code = r[15].as<std::string>();
  x.error_message = r[16].as<std::string>();
  x.error_retryable = r[17].as<bool>();
  x.owner_node = r[18].as<std::string>();
  x.state_version = r[19].as<int64_t>();
  x.snapshot_json = r[20].as<std::string>();
  x.created_at = r[21].as<std::string>();
  x.started_at = r[22].as<std::string>();
  x.completed_at = r[23].as<std::string>();
  return x;
}

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

insert_outcome insert_request(pqxx::connection& c, const new_request& r) {
  pqxx::work tx{c};
  auto inserted = tx.exec_params(sql::insert, r.request_id, r.client_id, r.dataset_id,
                                 r.resource_id, r.version_id, r.request_type, r.source_path,
                                 r.processing_config_json, or_null(r.callback_url),
                                 or_null(r.client_request_id), or_null(r.owner_node));
  // The identity is unique: on conflict the existing row (committed by the other writer, which
  // ON CONFLICT waited for) is what the caller compares against.
  auto row = tx.exec_params1(std::string{sql::columns} +
                               "WHERE client_id = $1 AND dataset_id = $2 AND resource_id = $3 "
                               "AND version_id = $4",
                             r.client_id, r.dataset_id, r.resource_id, r.version_id);
  tx.commit();
  return {!inserted.empty(), read_row(row)};
}

std::optional<request_row> find_request(pqxx::connection& c, const std::string& request_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(std::string{sql::columns} + "WHERE request_id = $1", request_id);
  if (r.empty())
    return std::nullopt;
  return read_row(r[0]);
}

bool save_request_state(pqxx::connection& c, const std::string& request_id,
                        int64_t expected_version, const request_state& s) {
  pqxx::work tx{c};
  auto r = tx.exec_params(sql::save_state, request_id, expected_version, s.status,
                          s.progress_percent, s.message, s.endpoints_json, s.stac_metadata_json,
                          s.error_code, s.error_message, s.error_retryable, s.snapshot_json);
  tx.commit();
  return !r.empty();
}

std::vector<request_row> list_requests(pqxx::connection& c, const std::string& client_id,
                                       const std::string& status, const std::string& dataset_id,
                                       int limit, const std::string& after) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(
    std::string{sql::columns} +
      "WHERE ($1 = '' OR client_id = $1) AND ($2 = '' OR status = $2) AND "
      "($3 = '' OR dataset_id = $3) AND ($4 = '' OR (created_at, request_id) < "
      "(SELECT created_at, request_id FROM platform.requests WHERE request_id = $4)) "
      "ORDER BY created_at DESC, request_id DESC LIMIT $5",
    client_id, status, dataset_id, after, limit);
  std::vector<request_row> out;
  for (const auto& row : r)
    out.push_back(read_row(row));
  return out;
}

std::vector<std::string> live_request_ids(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<std::string> out;
  for (const auto& r : tx.exec(sql::live))
    out.push_back(r[0].as<std::string>());
  return out;
}

}  // namespace gp::persistence
