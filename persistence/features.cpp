#include "persistence/features.hpp"

#include <charconv>

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"

namespace gp::persistence {

namespace sql {

// A catalogue row counts only while its table exists (a layer being replaced, or a row left by a
// failed load, is not served) and the request that loaded it has completed (a layer published by
// a request that is still running, or that failed at a later step and may be retried, is not
// served). $1: client id, '' for every client.
constexpr const char* layer_columns = R"sql(
SELECT l.table_name, l.request_id, l.client_id, l.title, l.feature_count, l.geometry_type,
       l.bbox[1], l.bbox[2], l.bbox[3], l.bbox[4], coalesce(l.source_crs, ''),
       to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM platform.vector_layers l
WHERE ($1 = '' OR l.client_id = $1)
  AND to_regclass(format('geo.%I', l.table_name)) IS NOT NULL
  AND EXISTS (SELECT 1 FROM platform.requests r
              WHERE r.request_id = l.request_id AND r.status = 'completed'))sql";

const std::string list_layers = std::string{layer_columns} + " ORDER BY l.table_name";

const std::string find_layer = std::string{layer_columns} + " AND l.table_name = $2";

// The attribute columns of geo.<$1> in table order: every column but fid and geom.
constexpr const char* attribute_columns = R"sql(
SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}')::text
FROM pg_attribute a
WHERE a.attrelid = to_regclass(format('geo.%I', $1::text)) AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attname NOT IN ('fid', 'geom'))sql";

}  // namespace sql

namespace {

vector_layer layer_of(const pqxx::row& r) {
  vector_layer l;
  l.table_name = r[0].as<std::string>();
  l.request_id = r[1].as<std::string>();
  l.client_id = r[2].as<std::string>();
  l.title = r[3].as<std::string>();
  l.feature_count = r[4].as<int64_t>();
  l.geometry_type = r[5].as<std::string>();
  if (!r[6].is_null() && !r[7].is_null() && !r[8].is_null() && !r[9].is_null())
    l.bbox = std::array<double, 4>{r[6].as<double>(), r[7].as<double>(), r[8].as<double>(),
                                   r[9].as<double>()};
  l.source_crs = r[10].as<std::string>();
  l.created_at = r[11].as<std::string>();
  return l;
}

/// A double as the shortest text that reads back as the same value (no locale, no rounding).
std::string exact(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

/// The GeoJSON Feature of row `t`, properties in table order. `row_to_json` over a sub-select
/// keeps each column's JSON type (numbers stay numbers) and has no argument limit.
std::string feature_expression(const pqxx::transaction_base& tx,
                               const std::vector<std::string>& columns) {
  std::string props = "'{}'::json";
  if (!columns.empty()) {
    std::string list;
    for (const auto& col : columns)
      list += (list.empty() ? "t." : ", t.") + tx.quote_name(col);
    props = "(SELECT row_to_json(p) FROM (SELECT " + list + ") p)";
  }
  return "json_build_object('type', 'Feature', 'id', t.fid, 'geometry', "
         "ST_AsGeoJSON(t.geom)::json, 'properties', " +
         props + ")";
}

/// The bbox condition on t.geom with its four parameters numbered from `first`; a box across the
/// antimeridian is tested as its two halves. ST_Intersects uses the GIST index.
std::string box_condition(const lon_lat_box& box, int first) {
  auto p = [first](int i) { return "$" + std::to_string(first + i) + "::float8"; };
  if (box.min_lon <= box.max_lon)
    return "ST_Intersects(t.geom, ST_MakeEnvelope(" + p(0) + ", " + p(1) + ", " + p(2) + ", " +
           p(3) + ", 4326))";
  return "(ST_Intersects(t.geom, ST_MakeEnvelope(" + p(0) + ", " + p(1) + ", 180, " + p(3) +
         ", 4326)) OR ST_Intersects(t.geom, ST_MakeEnvelope(-180, " + p(1) + ", " + p(2) + ", " +
         p(3) + ", 4326)))";
}

std::string table_of(const pqxx::transaction_base& tx, const vector_layer& layer) {
  return "geo." + tx.quote_name(layer.table_name);
}

std::vector<std::string> columns_of(pqxx::transaction_base& tx, const vector_layer& layer) {
  auto r = tx.exec_params1(sql::attribute_columns, layer.table_name);
  return from_pg_array(r[0].as<std::string>());
}

}  // namespace

std::vector<vector_layer> list_vector_layers(pqxx::connection& c, const std::string& client_id) {
  pqxx::read_transaction tx{c};
  std::vector<vector_layer> out;
  for (const auto& r : tx.exec_params(sql::list_layers, client_id))
    out.push_back(layer_of(r));
  return out;
}

std::optional<vector_layer> find_vector_layer(pqxx::connection& c, const std::string& table_name,
                                              const std::string& client_id) {
  pqxx::read_transaction tx{c};
  auto r = tx.exec_params(sql::find_layer, client_id, table_name);
  if (r.empty())
    return std::nullopt;
  return layer_of(r[0]);
}

items_page read_items(pqxx::connection& c, const vector_layer& layer,
                      const items_selection& selection) {
  // Repeatable read: the count and the page come from one snapshot.
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx{c};
  auto table = table_of(tx, layer);
  auto feature = feature_expression(tx, columns_of(tx, layer));
  items_page page;
  std::string where;
  std::vector<std::string> box;
  if (selection.box) {
    const auto& b = *selection.box;
    box = {exact(b.min_lon), exact(b.min_lat), exact(b.max_lon), exact(b.max_lat)};
    where = " WHERE " + box_condition(b, 3);
  }
  // The page's fids first, then the GeoJSON of those rows only: with the feature expression in
  // the same select, PostgreSQL would build it for every skipped row of a large offset too.
  // A page stops early once its features reach page_byte_budget (large polygons): the rest come
  // through the next link, whose offset follows numberReturned.
  auto page_sql =
    "SELECT count(*), coalesce(json_agg(pg.f ORDER BY pg.fid), '[]')::text FROM (SELECT k.fid, "
    "x.f, sum(octet_length(x.f::text)) OVER (ORDER BY k.fid) - octet_length(x.f::text) AS before "
    "FROM (SELECT t.fid FROM " + table + " t" + where + " ORDER BY t.fid LIMIT $1 OFFSET $2) k "
    "JOIN " + table + " t ON t.fid = k.fid, LATERAL (SELECT " + feature + " AS f) x) pg "
    "WHERE pg.before < " + std::to_string(std::max<int64_t>(1, selection.max_bytes));
  auto count_sql = "SELECT count(*) FROM " + table + " t" +
                   (selection.box ? " WHERE " + box_condition(*selection.box, 1) : "");
  auto counted = selection.box ? tx.exec_params1(count_sql, box[0], box[1], box[2], box[3])
                                : tx.exec1(count_sql);
  auto rows = selection.box ? tx.exec_params1(page_sql, selection.limit, selection.offset, box[0],
                                              box[1], box[2], box[3])
                            : tx.exec_params1(page_sql, selection.limit, selection.offset);
  page.matched = counted[0].as<int64_t>();
  page.returned = rows[0].as<int64_t>();
  page.features = rows[1].as<std::string>();
  return page;
}

std::optional<std::string> read_item(pqxx::connection& c, const vector_layer& layer, int64_t fid) {
  pqxx::read_transaction tx{c};
  auto sql = "SELECT " + feature_expression(tx, columns_of(tx, layer)) + "::text FROM " +
             table_of(tx, layer) + " t WHERE t.fid = $1";
  auto r = tx.exec_params(sql, fid);
  if (r.empty())
    return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace gp::persistence
