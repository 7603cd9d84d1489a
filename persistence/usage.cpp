#include "persistence/usage.hpp"

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"

namespace gp::persistence {

namespace sql {

#define GP_USAGE_COLUMNS                                                                          \
  "submits_new, submits_repeat, submits_refused, requests_completed, requests_failed, "          \
  "bytes_read, bytes_written, stac_searches, downloads, bytes_served, tiles"

#define GP_USAGE_ADD(col) col " = platform.usage_hourly." col " + EXCLUDED." col

constexpr const char* on_conflict_add =
  " ON CONFLICT (client_id, hour) DO UPDATE SET " GP_USAGE_ADD("submits_new") ", "
  GP_USAGE_ADD("submits_repeat") ", " GP_USAGE_ADD("submits_refused") ", "
  GP_USAGE_ADD("requests_completed") ", " GP_USAGE_ADD("requests_failed") ", "
  GP_USAGE_ADD("bytes_read") ", " GP_USAGE_ADD("bytes_written") ", "
  GP_USAGE_ADD("stac_searches") ", " GP_USAGE_ADD("downloads") ", "
  GP_USAGE_ADD("bytes_served") ", " GP_USAGE_ADD("tiles");

// Rows of clients that were deleted meanwhile are dropped (the join). The same client and hour
// given twice (counts of a failed write put back beside newer ones) are added up first: one
// INSERT may not touch a row twice. Rows are written in (client, hour) order, the same lock order
// on every node.
constexpr const char* add =
  "INSERT INTO platform.usage_hourly (client_id, hour, " GP_USAGE_COLUMNS ") "
  "SELECT u.client_id, to_timestamp(u.hour), sum(u.a)::bigint, sum(u.b)::bigint, "
  "       sum(u.c)::bigint, sum(u.d)::bigint, sum(u.e)::bigint, sum(u.f)::bigint, "
  "       sum(u.g)::bigint, sum(u.h)::bigint, sum(u.i)::bigint, sum(u.j)::bigint, "
  "       sum(u.k)::bigint "
  "FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], "
  "            $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], "
  "            $12::bigint[], $13::bigint[]) AS u(client_id, hour, a, b, c, d, e, f, g, h, i, j, k) "
  "JOIN platform.clients USING (client_id) "
  "GROUP BY u.client_id, u.hour ORDER BY u.client_id, u.hour";

constexpr const char* end =
  "INSERT INTO platform.usage_hourly (client_id, hour, requests_completed, requests_failed, "
  "                                   bytes_read, bytes_written) "
  "SELECT client_id, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "
  "       $2::int, 1 - $2::int, $3, $4 FROM platform.requests WHERE request_id = $1";

// In its own transaction, the keys locked in key_id order: two nodes touching the same keys
// never wait for each other in a cycle.
constexpr const char* touch = R"sql(
WITH u AS (SELECT key_id, max(at) AS at FROM unnest($1::text[], $2::bigint[]) AS x(key_id, at)
           GROUP BY key_id),
locked AS (SELECT k.key_id FROM platform.api_keys k JOIN u USING (key_id)
           ORDER BY k.key_id FOR UPDATE OF k)
UPDATE platform.api_keys k SET last_used_at = to_timestamp(u.at)
FROM u JOIN locked USING (key_id)
WHERE k.key_id = u.key_id AND (k.last_used_at IS NULL OR k.last_used_at < to_timestamp(u.at)))sql";

// Periods in UTC; `from` and `to` are optional ('' = unbounded).
constexpr const char* read =
  "SELECT client_id, to_char(date_trunc($4, hour AT TIME ZONE 'UTC'), "
  "                          'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS period, "
  "       sum(submits_new), sum(submits_repeat), sum(submits_refused), sum(requests_completed), "
  "       sum(requests_failed), sum(bytes_read), sum(bytes_written), sum(stac_searches), "
  "       sum(downloads), sum(bytes_served), sum(tiles) "
  "FROM platform.usage_hourly "
  "WHERE ($1 = '' OR client_id = $1) AND ($2 = '' OR hour >= $2::timestamptz) "
  "  AND ($3 = '' OR hour < $3::timestamptz) "
  "GROUP BY client_id, period ORDER BY client_id, period";

#undef GP_USAGE_ADD
#undef GP_USAGE_COLUMNS

}  // namespace sql

int add_usage(pqxx::connection& c, const std::vector<usage_delta>& deltas,
              const std::vector<std::pair<std::string, int64_t>>& key_uses) {
  std::vector<std::string> clients, hours, col[11];
  for (const auto& d : deltas) {
    clients.push_back(d.client_id);
    hours.push_back(std::to_string(d.hour));
    const auto& u = d.counts;
    int64_t v[11] = {u.submits_new,  u.submits_repeat, u.submits_refused, u.requests_completed,
                     u.requests_failed, u.bytes_read, u.bytes_written, u.stac_searches,
                     u.downloads, u.bytes_served, u.tiles};
    for (int i = 0; i < 11; ++i)
      col[i].push_back(std::to_string(v[i]));
  }
  std::vector<std::string> keys, times;
  for (const auto& [key, at] : key_uses) {
    keys.push_back(key);
    times.push_back(std::to_string(at));
  }
  int rows = 0;
  if (!deltas.empty()) {
    pqxx::work tx{c};
    rows = static_cast<int>(
      tx.exec_params(std::string{sql::add} + sql::on_conflict_add, to_pg_array(clients),
                     to_pg_array(hours), to_pg_array(col[0]), to_pg_array(col[1]),
                     to_pg_array(col[2]), to_pg_array(col[3]), to_pg_array(col[4]),
                     to_pg_array(col[5]), to_pg_array(col[6]), to_pg_array(col[7]),
                     to_pg_array(col[8]), to_pg_array(col[9]), to_pg_array(col[10]))
        .affected_rows());
    tx.commit();
  }
  if (!keys.empty()) {
    pqxx::work tx{c};
    tx.exec_params(sql::touch, to_pg_array(keys), to_pg_array(times));
    tx.commit();
  }
  return rows;
}

void add_request_end(pqxx::transaction_base& tx, const std::string& request_id, bool completed,
                     int64_t bytes_read, int64_t bytes_written) {
  tx.exec_params(std::string{sql::end} + sql::on_conflict_add, request_id, completed ? 1 : 0,
                 bytes_read, bytes_written);
}

std::vector<usage_row> read_usage(pqxx::connection& c, const usage_query& q) {
  pqxx::nontransaction tx{c};
  std::vector<usage_row> out;
  for (const auto& r : tx.exec_params(sql::read, q.client_id, q.from, q.to, q.granularity)) {
    usage_row u;
    u.client_id = r[0].as<std::string>();
    u.period = r[1].as<std::string>();
    auto& n = u.counts;
    int64_t* fields[11] = {&n.submits_new,  &n.submits_repeat, &n.submits_refused,
                           &n.requests_completed, &n.requests_failed, &n.bytes_read,
                           &n.bytes_written, &n.stac_searches, &n.downloads, &n.bytes_served,
                           &n.tiles};
    for (int i = 0; i < 11; ++i)
      *fields[i] = r[2 + i].as<int64_t>();
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace gp::persistence
