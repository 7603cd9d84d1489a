#include "persistence/requests.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"
#include "persistence/stac_catalogue.hpp"
#include "persistence/task_queue.hpp"
#include "persistence/usage.hpp"
#include "persistence/webhook_outbox.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* column_list = R"sql(
       request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
       processing_config::text, coalesce(callback_url, ''), coalesce(client_request_id, ''),
       status, progress_percent, coalesce(message, ''), coalesce(endpoints::text, 'null'),
       coalesce(stac_metadata::text, 'null'), coalesce(error_code, ''),
       coalesce(error_message, ''), coalesce(error_retryable, false), coalesce(owner_node, ''),
       state_version, snapshot::text,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(reused_from, ''),
       coalesce((SELECT s.status FROM platform.webhook_deliveries d
                 JOIN platform.webhook_delivery_state s ON s.delivery_id = d.delivery_id
                 WHERE d.request_id = platform.requests.request_id
                 ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT 1), ''))sql";

const std::string columns = std::string{"SELECT "} + column_list + " FROM platform.requests ";

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
    outputs = coalesce($12::jsonb, outputs), reused_from = coalesce(nullif($13, ''), reused_from),
    state_version = state_version + 1, updated_at = now(),
    started_at = CASE WHEN $3 <> 'pending' THEN coalesce(started_at, now()) ELSE started_at END,
    completed_at = CASE WHEN $3 IN ('completed', 'failed', 'cancelled') THEN now() ELSE NULL END
WHERE request_id = $1 AND state_version = $2
RETURNING state_version,
  coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
  coalesce(to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
  callback_url IS NOT NULL AND status IN ('completed', 'failed', 'cancelled'))sql";

// New requests in one statement. A request's first job is not written here: the first claim
// that finds the request (first_job_planned = false) creates it (plan_first_jobs). A new row is
// what the caller sent plus its defaults, so only its creation time is returned.
constexpr const char* insert_many = R"sql(
INSERT INTO platform.requests
  (request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
   processing_config, callback_url, client_request_id, owner_node, snapshot, first_job_planned)
SELECT d.request_id, d.client_id, d.dataset_id, d.resource_id, d.version_id, d.request_type,
       d.source_path, d.config::jsonb, nullif(d.callback_url, ''),
       nullif(d.client_request_id, ''), nullif(d.owner_node, ''), d.snapshot::jsonb, d.planned
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bool[])
     AS d(request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
          config, callback_url, client_request_id, owner_node, snapshot, planned)
ORDER BY d.request_id
ON CONFLICT DO NOTHING
RETURNING request_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))sql";

constexpr const char* averages = R"sql(
SELECT request_type, avg(seconds)::float8 FROM (
  SELECT request_type, extract(epoch FROM completed_at - created_at) AS seconds,
         row_number() OVER (PARTITION BY request_type ORDER BY completed_at DESC) AS n
  FROM platform.requests WHERE status = 'completed' AND completed_at IS NOT NULL) r
WHERE n <= 100 GROUP BY request_type)sql";

// Finished stages plus the finished share of the current stage (tasks_position_key covers
// job_id, stage); capped at 99 until the request is completed.
constexpr const char* progress = R"sql(
WITH j AS (SELECT stage, total_stages, status FROM app.jobs WHERE job_id = $2),
     t AS (SELECT count(*) FILTER (WHERE t.status = 'completed') AS done, count(*) AS total
           FROM app.tasks t, j WHERE t.job_id = $2 AND t.stage = j.stage)
UPDATE platform.requests r
SET progress_percent = greatest(r.progress_percent, least(99, floor(100.0 * (
      $3 + (CASE WHEN j.status = 'completed' THEN 1.0
                 ELSE (j.stage - 1 + CASE WHEN t.total > 0 THEN t.done::float8 / t.total ELSE 0 END)
                      / greatest(j.total_stages, 1) END)) / $4)::int))
FROM j, t
WHERE r.request_id = $1 AND r.status = 'processing'
RETURNING r.progress_percent)sql";

constexpr const char* cancel = R"sql(
UPDATE platform.requests
SET status = 'cancelled', message = 'cancelled by the client', state_version = state_version + 1,
    updated_at = now(), completed_at = now()
WHERE request_id = $1 AND status IN ('pending', 'processing')
RETURNING callback_url IS NOT NULL)sql";

constexpr const char* running_jobs = R"sql(
SELECT job_id FROM app.jobs WHERE platform_request_id = $1 AND status IN ('queued', 'processing')
ORDER BY job_id)sql";

constexpr const char* failed_jobs = R"sql(
SELECT job_id FROM app.jobs WHERE platform_request_id = $1 AND status = 'failed' ORDER BY job_id)sql";

constexpr const char* reopen = R"sql(
UPDATE platform.requests
SET status = 'processing', message = 'retrying', error_code = NULL, error_message = NULL,
    error_retryable = NULL, state_version = state_version + 1, updated_at = now(),
    completed_at = NULL
WHERE request_id = $1 AND status = 'failed'
RETURNING request_id)sql";

constexpr const char* lock_request =
  "SELECT status FROM platform.requests WHERE request_id = $1 FOR UPDATE";

constexpr const char* live = R"sql(
SELECT request_id FROM platform.requests WHERE status IN ('pending', 'processing')
ORDER BY created_at, request_id)sql";

}  // namespace sql

request_status request_status_of(const std::string& column) {
  if (auto s = parse_request_status(column))
    return *s;
  throw std::runtime_error("platform.requests.status holds '" + column +
                           "', which is not a request status");
}

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
  x.status = request_status_of(r[10].as<std::string>());
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
  x.reused_from = r[24].as<std::string>();
  if (auto delivery = parse_delivery_status(r[25].as<std::string>()))
    x.callback_status = std::string{callback_status_of(*delivery)};
  return x;
}

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

/// One outcome per submission, in order; a submission whose row is not in `rows` gets none.
std::vector<insert_outcome> outcomes_of(const std::vector<new_request>& rs,
                                        const std::map<std::string, request_row>& rows,
                                        std::set<std::string> created) {
  std::vector<insert_outcome> out;
  for (const auto& r : rs) {
    insert_outcome o;
    auto i = rows.find(r.request_id);
    if (i != rows.end())
      o.row = i->second;
    o.created = created.erase(r.request_id) > 0;
    out.push_back(std::move(o));
  }
  return out;
}

/// The row an insert created: what was sent, the column defaults and the creation time.
request_row new_row(const new_request& r, std::string created_at) {
  request_row x;
  static_cast<request_spec&>(x) = r;
  x.request_id = r.request_id;
  x.status = request_status::pending;
  x.owner_node = r.owner_node;
  x.snapshot_json = r.snapshot_json;
  x.created_at = std::move(created_at);
  return x;
}

}  // namespace

insert_outcome insert_request(pqxx::connection& c, const new_request& r) {
  pqxx::work tx{c};
  auto inserted = tx.exec_params(sql::insert, r.request_id, r.client_id, r.dataset_id,
                                 r.resource_id, r.version_id, r.request_type, r.source_path,
                                 r.processing_config_json, or_null(r.callback_url),
                                 or_null(r.client_request_id), or_null(r.owner_node));
  // The id is the identity's hash (checked by the table): on conflict the existing row
  // (committed by the other writer, which ON CONFLICT waited for) is what the caller compares
  // against.
  auto row = tx.exec_params1(std::string{sql::columns} + "WHERE request_id = $1", r.request_id);
  tx.commit();
  return {!inserted.empty(), read_row(row)};
}

std::vector<insert_outcome> insert_requests(pqxx::connection& c,
                                            const std::vector<new_request>& rs) {
  std::vector<std::string> cols[12];
  std::vector<std::string> planned;
  for (const auto& r : rs) {
    const std::string* v[12] = {&r.request_id,  &r.client_id,   &r.dataset_id,
                                &r.resource_id, &r.version_id,  &r.request_type,
                                &r.source_path, &r.processing_config_json, &r.callback_url,
                                &r.client_request_id, &r.owner_node, &r.snapshot_json};
    for (int i = 0; i < 12; ++i)
      cols[i].push_back(*v[i]);
    planned.push_back(r.first_job_planned ? "t" : "f");
  }
  std::map<std::string, request_row> rows;
  std::set<std::string> created;
  std::map<std::string, const new_request*> sent;
  for (const auto& r : rs)
    sent.emplace(r.request_id, &r);
  // Prepared: planning this statement costs as much as running it for a small group. One
  // statement is one transaction: no BEGIN and COMMIT round trips.
  std::vector<std::string> params;
  for (const auto& col : cols)
    params.push_back(to_pg_array(col));
  params.push_back(to_pg_array(planned));
  c.prepare("gp_insert_requests", sql::insert_many);
  pqxx::nontransaction tx{c};
  auto inserted = tx.exec_prepared("gp_insert_requests", pqxx::prepare::make_dynamic_params(params));
  for (const auto& row : inserted) {
    auto id = row[0].as<std::string>();
    auto i = sent.find(id);
    if (i == sent.end())
      continue;
    created.insert(id);
    rows.emplace(id, new_row(*i->second, row[1].as<std::string>()));
  }
  // Rows that existed: committed by their writer (ON CONFLICT waited for it).
  std::vector<std::string> existing;
  for (const auto& id : cols[0])
    if (created.count(id) == 0)
      existing.push_back(id);
  if (!existing.empty()) {
    try {
      for (const auto& row : tx.exec_params(std::string{sql::columns} +
                                              "WHERE request_id = ANY($1::bpchar[])",
                                            to_pg_array(existing)))
        rows.emplace(row[0].as<std::string>(), read_row(row));
    } catch (const std::exception&) {
      // The new rows are committed already: they are answered, and only the submissions that
      // met existing rows (returned without a row) fail.
      if (!created.empty())
        return outcomes_of(rs, rows, created);
      throw;
    }
  }
  return outcomes_of(rs, rows, created);
}

std::optional<request_row> find_request(pqxx::connection& c, const std::string& request_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(std::string{sql::columns} + "WHERE request_id = $1", request_id);
  if (r.empty())
    return std::nullopt;
  return read_row(r[0]);
}

std::vector<request_event> read_request_events(pqxx::connection& c,
                                               const std::string& request_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(
    "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), from_status, "
    "to_status, reason, state_version FROM platform.request_events WHERE request_id = $1 "
    "ORDER BY event_id",
    request_id);
  std::vector<request_event> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    request_event e;
    e.at = row[0].as<std::string>();
    // Only the trigger writes the table, copying platform.requests.status, whose check
    // constraint allows only status words.
    e.from = parse_request_status(row[1].as<std::string>()).value_or(request_status::pending);
    e.to = parse_request_status(row[2].as<std::string>()).value_or(request_status::pending);
    e.reason = row[3].as<std::string>();
    e.state_version = row[4].as<int64_t>();
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<stored_times> store_request_state(pqxx::connection& c, const std::string& request_id,
                                                int64_t expected_version, const request_state& s) {
  pqxx::work tx{c};
  auto r = tx.exec_params(sql::save_state, request_id, expected_version,
                          std::string{name_of(s.status)},
                          s.progress_percent, s.message, s.endpoints_json, s.stac_metadata_json,
                          s.error_code, s.error_message, s.error_retryable, s.snapshot_json,
                          s.outputs_json.empty() ? nullptr : s.outputs_json.c_str(),
                          s.reused_from);
  if (r.empty())
    return std::nullopt;
  if (!s.catalogue.empty())
    write_catalogue(tx, request_id, s.catalogue);
  // The end's webhook is in the outbox when the end is stored (docs/webhooks.md).
  if (r[0][3].as<bool>())
    enqueue_request_event(tx, request_id);
  // The end counts in its client's usage (docs/admin.md).
  if (s.status == request_status::completed || s.status == request_status::failed)
    add_request_end(tx, request_id, s.status == request_status::completed, s.bytes_read,
                    s.bytes_written);
  tx.commit();
  return stored_times{r[0][1].as<std::string>(), r[0][2].as<std::string>()};
}

bool save_request_state(pqxx::connection& c, const std::string& request_id,
                        int64_t expected_version, const request_state& s) {
  return store_request_state(c, request_id, expected_version, s).has_value();
}

std::vector<request_row> list_requests(pqxx::connection& c, const std::string& client_id,
                                       std::optional<request_status> status_filter,
                                       const std::string& dataset_id, int limit,
                                       const std::string& after) {
  std::string status = status_filter ? std::string{name_of(*status_filter)} : std::string{};
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

std::vector<request_row> live_requests(pqxx::connection& c, int limit, const std::string& after) {
  pqxx::nontransaction tx{c};
  std::vector<request_row> out;
  for (const auto& row : tx.exec_params(std::string{sql::columns} +
                                          "WHERE status IN ('pending', 'processing') AND "
                                          "request_id > $1 ORDER BY request_id LIMIT $2",
                                        after, limit))
    out.push_back(read_row(row));
  return out;
}

std::vector<std::pair<std::string, double>> completion_averages(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<std::pair<std::string, double>> out;
  for (const auto& row : tx.exec(sql::averages))
    out.emplace_back(row[0].as<std::string>(), row[1].as<double>());
  return out;
}

int refresh_progress(pqxx::connection& c, const std::string& request_id, const std::string& job_id,
                     int step, int steps) {
  pqxx::work tx{c};
  auto r = tx.exec_params(sql::progress, request_id, job_id, step, std::max(steps, 1));
  tx.commit();
  return r.empty() ? -1 : r[0][0].as<int>();
}

request_change cancel_request(pqxx::connection& c, const std::string& request_id) {
  pqxx::work tx{c};
  request_change out;
  if (tx.exec_params(sql::lock_request, request_id).empty())
    return out;
  auto cancelled = tx.exec_params(sql::cancel, request_id);
  out.changed = !cancelled.empty();
  if (out.changed && cancelled[0][0].as<bool>())
    enqueue_request_event(tx, request_id);
  // Its jobs in the same transaction (request row, then job rows: the order retry uses too).
  if (out.changed)
    for (const auto& row : tx.exec_params(sql::running_jobs, request_id))
      cancel_job(tx, row[0].as<std::string>());
  tx.commit();
  out.row = find_request(c, request_id);
  return out;
}

request_change retry_request(pqxx::connection& c, const std::string& request_id) {
  request_change out;
  {
    pqxx::work tx{c};
    if (tx.exec_params(sql::lock_request, request_id).empty())
      return out;
    out.changed = !tx.exec_params(sql::reopen, request_id).empty();
    // The jobs are reset in the same transaction: a crash leaves either a failed request with
    // failed jobs, or a processing request whose jobs can run.
    if (out.changed)
      for (const auto& row : tx.exec_params(sql::failed_jobs, request_id))
        reset_failed_job(tx, row[0].as<std::string>());
    tx.commit();
  }
  out.row = find_request(c, request_id);
  return out;
}

std::vector<std::string> live_request_ids(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<std::string> out;
  for (const auto& r : tx.exec(sql::live))
    out.push_back(r[0].as<std::string>());
  return out;
}

namespace {

constexpr const char* task_outputs = R"sql(
SELECT coalesce(jsonb_agg(t.result -> 'outputs' ORDER BY j.created_at, j.job_id, t.stage,
                          t.task_index) FILTER (WHERE t.result ? 'outputs'), '[]'::jsonb)::text,
       coalesce(max(t.result ->> 'reused_from'), '')
FROM app.jobs j JOIN app.tasks t ON t.job_id = j.job_id
WHERE j.platform_request_id = $1 AND t.status = 'completed' AND t.result IS NOT NULL)sql";

constexpr const char* outputs_of = R"sql(
SELECT coalesce(outputs::text, '{}') FROM platform.requests WHERE request_id = $1)sql";

constexpr const char* reusable = R"sql(
WITH me AS (
  UPDATE platform.requests SET source_sha256 = $2 WHERE request_id = $1
  RETURNING client_id, dataset_id, resource_id, request_type, processing_config)
SELECT r.request_id FROM platform.requests r, me
WHERE r.client_id = me.client_id AND r.dataset_id = me.dataset_id
  AND r.resource_id = me.resource_id AND r.source_sha256 = $2 AND r.status = 'completed'
  AND r.request_type = me.request_type AND r.processing_config = me.processing_config
  AND r.outputs IS NOT NULL AND r.request_id <> $1
ORDER BY r.completed_at DESC LIMIT 1)sql";

}  // namespace

produced_outputs gather_outputs(pqxx::connection& c, const std::string& request_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params1(task_outputs, request_id);
  produced_outputs out;
  out.reused_from = r[1].as<std::string>();
  if (out.reused_from.empty()) {
    out.outputs_json = r[0].as<std::string>();
    return out;
  }
  auto o = tx.exec_params(outputs_of, out.reused_from);
  out.outputs_json = o.empty() ? "{}" : o[0][0].as<std::string>();
  return out;
}

std::optional<std::string> find_reusable(pqxx::connection& c, const std::string& request_id,
                                         const std::string& sha256) {
  pqxx::work tx{c};
  auto r = tx.exec_params(reusable, request_id, sha256);
  tx.commit();
  if (r.empty())
    return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace gp::persistence
