#include "persistence/vector_tables.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "persistence/pg_array.hpp"
#include "persistence/requests.hpp"

namespace gp::persistence {

namespace {

std::string geo(pqxx::connection& c, const std::string& name) {
  return "geo." + c.quote_name(name);
}

}  // namespace

void create_staging_table(pqxx::connection& c, const std::string& staging,
                          const std::vector<vector_column>& columns,
                          const std::string& geometry_type) {
  std::string ddl = "CREATE TABLE " + geo(c, staging) + " (fid bigint NOT NULL";
  for (const auto& col : columns)
    ddl += ", " + c.quote_name(col.name) + " " + col.type;
  ddl += ", geom geometry(" + geometry_type + ", 4326))";
  pqxx::work tx{c};
  tx.exec("DROP TABLE IF EXISTS " + geo(c, staging));
  tx.exec(ddl);
  tx.commit();
}

void drop_geo_table(pqxx::connection& c, const std::string& name) {
  pqxx::nontransaction tx{c};
  tx.exec("DROP TABLE IF EXISTS " + geo(c, name));
}

void forget_vector_table(pqxx::connection& c, const std::string& name) {
  pqxx::work tx{c};
  tx.exec("DROP TABLE IF EXISTS " + geo(c, name));
  tx.exec_params("DELETE FROM platform.vector_layers WHERE table_name = $1", name);
  tx.commit();
}

bool geo_table_exists(pqxx::connection& c, const std::string& name) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", "geo." + c.quote_name(name))[0]
    .as<bool>();
}

namespace sql {

constexpr const char* upsert_layer = R"sql(
INSERT INTO platform.vector_layers (table_name, request_id, client_id, title, feature_count,
                                    geometry_type, bbox, source_crs, columns)
VALUES ($1, $2, $3, $4, $5, $6, $7::double precision[], $8, $9::jsonb)
ON CONFLICT (table_name) DO UPDATE
SET request_id = excluded.request_id, client_id = excluded.client_id, title = excluded.title,
    feature_count = excluded.feature_count, geometry_type = excluded.geometry_type,
    bbox = excluded.bbox, source_crs = excluded.source_crs, columns = excluded.columns,
    created_at = now())sql";

constexpr const char* find_layer = R"sql(
SELECT json_build_object(
  'table_name', table_name, 'request_id', request_id, 'client_id', client_id, 'title', title,
  'feature_count', feature_count, 'geometry_type', geometry_type, 'bbox', to_json(bbox),
  'source_crs', source_crs, 'columns', columns,
  'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::text
FROM platform.vector_layers WHERE table_name = $1)sql";

}  // namespace sql

void publish_vector_table(pqxx::connection& c, const std::string& staging,
                          const vector_layer_row& row) {
  auto bbox = row.bbox.empty() ? std::string{} : to_pg_float_array(row.bbox);
  pqxx::work tx{c};
  // A cancel of the request waits for this transaction (the row is shared-locked), or this one
  // sees it and publishes nothing: a cancelled request never gains a table after its clean-up.
  auto owner = tx.exec_params(
    "SELECT status FROM platform.requests WHERE request_id = $1 FOR SHARE", row.request_id);
  if (!owner.empty() && request_status_of(owner[0][0].as<std::string>()) == request_status::cancelled)
    throw conflict_error{"the request was cancelled"};
  // Index builds may take long: no statement timeout here.
  tx.exec("SET LOCAL statement_timeout = 0");
  tx.exec("SET LOCAL maintenance_work_mem = '256MB'");
  tx.exec("ALTER TABLE " + geo(c, staging) + " ADD PRIMARY KEY (fid)");
  tx.exec("CREATE INDEX ON " + geo(c, staging) + " USING gist (geom)");
  tx.exec("ANALYZE " + geo(c, staging));
  tx.exec("DROP TABLE IF EXISTS " + geo(c, row.table_name));
  tx.exec("ALTER TABLE " + geo(c, staging) + " RENAME TO " + c.quote_name(row.table_name));
  tx.exec_params(sql::upsert_layer, row.table_name, row.request_id, row.client_id, row.title,
                 row.feature_count, row.geometry_type,
                 bbox.empty() ? nullptr : bbox.c_str(), row.source_crs, row.columns_json);
  tx.commit();
}

std::optional<std::string> find_vector_layer(pqxx::connection& c, const std::string& table_name) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::find_layer, table_name);
  if (r.empty())
    return std::nullopt;
  return r[0][0].as<std::string>();
}

vector_footprint vector_table_footprint(pqxx::connection& c, const std::string& table,
                                        const std::string& time_column) {
  // Each statement on its own: a time column's value that is not a time fails only its query.
  pqxx::nontransaction tx{c};
  vector_footprint out;
  // A layer spanning more than half the globe that is narrower with its longitudes shifted to
  // 0…360 crosses the antimeridian: its hull is computed there and split back at 180°, and its
  // bounds are written west > east, as STAC does.
  auto r = tx.exec1(
    "SELECT coalesce(ST_AsGeoJSON(CASE WHEN s THEN ST_WrapX(ST_ConvexHull(ST_ShiftLongitude(c)), "
    "180, -360) ELSE ST_ConvexHull(c) END, 9), ''), types, "
    "ST_XMin(b), ST_YMin(b), CASE WHEN ST_XMax(b) > 180 THEN ST_XMax(b) - 360 ELSE ST_XMax(b) END, "
    "ST_YMax(b) FROM (SELECT c, types, s, CASE WHEN s THEN ST_ShiftLongitude(c)::box2d "
    "ELSE c::box2d END AS b FROM (SELECT c, types, coalesce(ST_XMax(c) - ST_XMin(c) > 180 AND "
    "ST_XMax(ST_ShiftLongitude(c)) - ST_XMin(ST_ShiftLongitude(c)) < ST_XMax(c) - ST_XMin(c), "
    "false) AS s FROM (SELECT ST_Collect(geom) AS c, "
    "coalesce(string_agg(DISTINCT substr(ST_GeometryType(geom), 4), ','), '') AS types FROM " +
    geo(c, table) + ") a) b) x");
  out.hull_geojson = r[0].as<std::string>();
  if (!r[2].is_null())
    for (int i = 2; i < 6; ++i)
      out.bounds.push_back(r[i].as<double>());
  auto types = r[1].as<std::string>();
  for (size_t start = 0; !types.empty();) {
    auto comma = types.find(',', start);
    out.geometry_types.push_back(types.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::sort(out.geometry_types.begin(), out.geometry_types.end());
  if (time_column.empty())
    return out;
  auto col = c.quote_name(time_column);
  tx.exec("SET TimeZone = 'UTC'");
  try {
    auto range = tx.exec1(
      "SELECT coalesce(to_char(min(v), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
      "coalesce(to_char(max(v), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') "
      "FROM (SELECT " + col + "::text::timestamptz AS v FROM " + geo(c, table) + " WHERE " + col +
      " IS NOT NULL AND " + col + "::text <> '') t");
    out.start = range[0].as<std::string>();
    out.end = range[1].as<std::string>();
  } catch (const pqxx::data_exception& e) {
    // A value that is not a date or time (PostgreSQL quotes it): the client's to fix.
    std::string what = e.what();
    out.time_error = what.substr(0, what.find('\n'));
  }
  return out;
}

copy_stream::copy_stream(const std::string& url, const std::string& table,
                         const std::vector<std::string>& columns) {
  conn_ = PQconnectdb(url.c_str());
  if (PQstatus(conn_) != CONNECTION_OK)
    throw std::runtime_error("cannot connect to the database: " + error_text());
  auto run = [&](const std::string& sql, ExecStatusType want) {
    PGresult* r = PQexec(conn_, sql.c_str());
    bool ok = PQresultStatus(r) == want;
    PQclear(r);
    if (!ok)
      throw std::runtime_error(error_text());
  };
  run("SET TimeZone = 'UTC'; SET synchronous_commit = off; SET statement_timeout = 0",
      PGRES_COMMAND_OK);
  std::string sql = "COPY geo.\"" + table + "\" (";
  for (size_t i = 0; i < columns.size(); ++i)
    sql += (i == 0 ? "\"" : ", \"") + columns[i] + "\"";
  sql += ") FROM STDIN";
  run(sql, PGRES_COPY_IN);
  open_ = true;
}

copy_stream::~copy_stream() {
  abort();
  if (conn_ != nullptr)
    PQfinish(conn_);
}

std::string copy_stream::error_text() const {
  std::string msg = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  return msg;
}

void copy_stream::put(const std::string& rows) {
  if (PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1)
    throw std::runtime_error(error_text());
}

void copy_stream::finish() {
  open_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1)
    throw std::runtime_error(error_text());
  std::string failure;
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && failure.empty())
      failure = PQresultErrorMessage(r);
    PQclear(r);
  }
  if (!failure.empty()) {
    while (!failure.empty() && failure.back() == '\n')
      failure.pop_back();
    throw std::runtime_error(failure);
  }
}

void copy_stream::abort() noexcept {
  if (!open_ || conn_ == nullptr)
    return;
  open_ = false;
  if (PQputCopyEnd(conn_, "the load was abandoned") == 1)
    while (PGresult* r = PQgetResult(conn_))
      PQclear(r);
}

}  // namespace gp::persistence
