#include "persistence/stac_catalogue.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"
#include "persistence/stac_search.hpp"

namespace gp::persistence {

namespace sql {

/// A collection of another client or of another request is not touched: nothing is returned.
constexpr const char* upsert_collection = R"sql(
INSERT INTO platform.stac_collections (collection_id, client_id, request_id, title, description)
VALUES ($1, $2, NULLIF($3, ''), $4, $5)
ON CONFLICT (collection_id) DO UPDATE SET title = excluded.title,
  description = excluded.description
WHERE stac_collections.client_id = excluded.client_id
  AND stac_collections.request_id IS NOT DISTINCT FROM excluded.request_id
RETURNING collection_id)sql";

/// The request's earlier items go: their collections are refreshed after the new ones are in.
constexpr const char* delete_items = R"sql(
DELETE FROM platform.stac_items WHERE request_id = $1 RETURNING collection_id)sql";

constexpr const char* insert_item = R"sql(
INSERT INTO platform.stac_items (collection_id, item_id, request_id, item_key, client_id,
  dataset_id, resource_id, version_id, geometry, bbox, datetime, end_datetime, feature_count,
  epsg, content)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_GeomFromGeoJSON($9), 4326),
  $10::float8[], $11::timestamptz, $12::timestamptz, NULLIF($13, '')::bigint,
  NULLIF($14, '')::integer, $15))sql";

/// Collections that only gained items: their extents widen by the request's new items.
constexpr const char* widen_extents = R"sql(
UPDATE platform.stac_collections c
SET bbox = CASE WHEN c.bbox IS NULL
             THEN ARRAY[ST_XMin(s.box), ST_YMin(s.box), ST_XMax(s.box), ST_YMax(s.box)]
             ELSE ARRAY[least(c.bbox[1], ST_XMin(s.box)), least(c.bbox[2], ST_YMin(s.box)),
                        greatest(c.bbox[3], ST_XMax(s.box)), greatest(c.bbox[4], ST_YMax(s.box))]
             END,
    start_datetime = least(c.start_datetime, s.first),
    end_datetime = greatest(c.end_datetime, s.last),
    item_count = c.item_count + s.n, updated_at = now()
FROM (SELECT collection_id, ST_Extent(geometry) AS box, min(datetime) AS first,
             max(end_datetime) AS last, count(*) AS n
      FROM platform.stac_items WHERE request_id = $1 AND collection_id = ANY($2::text[])
      GROUP BY collection_id) s
WHERE c.collection_id = s.collection_id)sql";

/// Collections that lost items (a request written again): their extents are computed again.
constexpr const char* refresh_extents = R"sql(
UPDATE platform.stac_collections c
SET bbox = CASE WHEN s.n = 0 THEN NULL ELSE
             ARRAY[ST_XMin(s.box), ST_YMin(s.box), ST_XMax(s.box), ST_YMax(s.box)] END,
    start_datetime = s.first, end_datetime = s.last, item_count = s.n, updated_at = now()
FROM (SELECT c2.collection_id, ST_Extent(i.geometry) AS box, min(i.datetime) AS first,
             max(i.end_datetime) AS last, count(i.item_id) AS n
      FROM platform.stac_collections c2
      LEFT JOIN platform.stac_items i ON i.collection_id = c2.collection_id
      WHERE c2.collection_id = ANY($1::text[])
      GROUP BY c2.collection_id) s
WHERE c.collection_id = s.collection_id)sql";

constexpr const char* advance_version =
  "UPDATE platform.stac_catalogue_state SET version = version + 1";

constexpr const char* version = "SELECT version FROM platform.stac_catalogue_state";

constexpr const char* collection_columns = R"sql(
SELECT collection_id, client_id, coalesce(request_id, ''), title, description, bbox::text,
  coalesce(to_char(start_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
  coalesce(to_char(end_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
  item_count
FROM platform.stac_collections )sql";

constexpr const char* item = R"sql(
SELECT content FROM platform.stac_items
WHERE collection_id = $1 AND item_id = $2 AND ($3 = '' OR client_id = $3))sql";

}  // namespace sql

namespace {

/// A float8[] value as returned by the server ("{1,2,3,4}"), or unset.
std::optional<std::array<double, 4>> parse_bbox(const pqxx::field& f) {
  if (f.is_null())
    return std::nullopt;
  auto parts = from_pg_array(f.as<std::string>());
  if (parts.size() != 4)
    return std::nullopt;
  std::array<double, 4> out{};
  for (size_t i = 0; i < 4; ++i)
    out[i] = std::stod(parts[i]);
  return out;
}

catalogue_collection_row read_collection(const pqxx::row& r) {
  catalogue_collection_row out;
  out.collection_id = r[0].as<std::string>();
  out.client_id = r[1].as<std::string>();
  out.request_id = r[2].as<std::string>();
  out.title = r[3].as<std::string>();
  out.description = r[4].as<std::string>();
  out.bbox = parse_bbox(r[5]);
  out.start = r[6].as<std::string>();
  out.end = r[7].as<std::string>();
  out.item_count = r[8].as<int64_t>();
  return out;
}

}  // namespace

void write_catalogue(pqxx::transaction_base& tx, const std::string& request_id,
                     const catalogue_entries& e) {
  std::set<std::string> shrunk, grown;
  for (const auto& c : e.collections)
    if (tx.exec_params(sql::upsert_collection, c.collection_id, c.client_id, c.request_id,
                       c.title, c.description)
          .empty())
      throw collection_taken{c.collection_id};
  for (const auto& row : tx.exec_params(sql::delete_items, request_id))
    shrunk.insert(row[0].as<std::string>());
  // An id another request's item holds violates the primary key: the transaction (and the
  // completed state in it) rolls back, and the writer assembles the item again.
  for (const auto& i : e.items) {
    auto start = i.datetime.empty() ? i.start_datetime : i.datetime;
    auto end = i.datetime.empty() ? i.end_datetime : i.datetime;
    tx.exec_params(sql::insert_item, i.collection_id, i.item_id, request_id, i.item_key,
                   i.client_id, i.dataset_id, i.resource_id, i.version_id, i.geometry_geojson,
                   to_pg_float_array({i.bbox.begin(), i.bbox.end()}), start, end,
                   i.feature_count ? std::to_string(*i.feature_count) : std::string{},
                   i.epsg ? std::to_string(*i.epsg) : std::string{}, i.item_json);
    if (shrunk.count(i.collection_id) == 0)
      grown.insert(i.collection_id);
  }
  // Widening by the new items costs what they cost; only a replacement reads whole collections.
  if (!grown.empty())
    tx.exec_params(sql::widen_extents, request_id,
                   to_pg_array(std::vector<std::string>(grown.begin(), grown.end())));
  if (!shrunk.empty())
    tx.exec_params(sql::refresh_extents,
                   to_pg_array(std::vector<std::string>(shrunk.begin(), shrunk.end())));
  tx.exec(sql::advance_version);
}

int64_t catalogue_version(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  return tx.exec1(sql::version)[0].as<int64_t>();
}

std::vector<catalogue_collection_row> list_stac_collections(pqxx::connection& c,
                                                            const std::string& scope) {
  pqxx::nontransaction tx{c};
  std::vector<catalogue_collection_row> out;
  for (const auto& r : tx.exec_params(std::string{sql::collection_columns} +
                                        "WHERE $1 = '' OR client_id = $1 ORDER BY collection_id",
                                      scope))
    out.push_back(read_collection(r));
  return out;
}

std::optional<catalogue_collection_row> find_stac_collection(pqxx::connection& c,
                                                             const std::string& scope,
                                                             const std::string& collection_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(std::string{sql::collection_columns} +
                            "WHERE collection_id = $2 AND ($1 = '' OR client_id = $1)",
                          scope, collection_id);
  if (r.empty())
    return std::nullopt;
  return read_collection(r[0]);
}

std::optional<std::string> find_stac_item(pqxx::connection& c, const std::string& scope,
                                          const std::string& collection_id,
                                          const std::string& item_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::item, collection_id, item_id, scope);
  if (r.empty())
    return std::nullopt;
  return r[0][0].as<std::string>();
}

search_page search_stac(pqxx::connection& c, const std::string& scope, const stac_search& s) {
  auto st = search_sql(s, scope);
  pqxx::nontransaction tx{c};
  pqxx::result r;
  try {
    r = tx.exec_params(st.sql, pqxx::prepare::make_dynamic_params(st.params));
  } catch (const pqxx::data_exception& e) {
    throw std::invalid_argument{e.what()};
  } catch (const pqxx::sql_error& e) {
    // PostGIS reports a geometry it cannot read as an internal error (XX000).
    if (e.sqlstate() == "XX000")
      throw std::invalid_argument{e.what()};
    throw;
  }
  search_page page;
  auto n = std::min<size_t>(r.size(), static_cast<size_t>(s.limit));
  bool backwards = s.position && s.position->backwards;
  for (size_t i = 0; i < n; ++i) {
    found_item f;
    const auto row = r[static_cast<pqxx::result::size_type>(i)];
    f.collection_id = row[0].as<std::string>();
    f.item_id = row[1].as<std::string>();
    f.item_json = row[2].as<std::string>();
    for (pqxx::row::size_type col = 3; col < row.size(); ++col)
      f.sort_values.push_back(row[col].as<std::string>());
    page.items.push_back(std::move(f));
  }
  if (backwards) {
    std::reverse(page.items.begin(), page.items.end());
    page.more_before = r.size() > n;
    page.more_after = true;
  } else {
    page.more_after = r.size() > n;
    page.more_before = s.position.has_value();
  }
  return page;
}

}  // namespace gp::persistence
