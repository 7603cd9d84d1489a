// The features repository against a real PostgreSQL/PostGIS: catalogue scope, paging, bbox
// filters (also across the antimeridian), exact counts, GeoJSON built by the database, and
// identifiers that need quoting.
#include "persistence/features.hpp"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "persistence/migrations.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using gp::items_page;
using gp::items_selection;
using gp::lon_lat_box;
using gp::vector_layer;
using json = nlohmann::json;

namespace {

constexpr int grid_side = 30;  // 900 points on a 1° grid from (0, 0) to (29, 29)

struct features : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override {
    migrate(c, embedded_migrations());
    exec(R"sql(
CREATE TABLE geo.ddh_grid (fid bigint PRIMARY KEY, name text, "order" integer, ratio float8,
                           flag boolean, geom geometry(Point, 4326));
CREATE INDEX ON geo.ddh_grid USING gist (geom);
INSERT INTO geo.ddh_grid
SELECT x * 30 + y + 1, 'p' || x || '_' || y, x, y / 4.0, x % 2 = 0, ST_SetSRID(ST_MakePoint(x, y), 4326)
FROM generate_series(0, 29) x, generate_series(0, 29) y;
UPDATE geo.ddh_grid SET name = NULL WHERE fid = 5;
CREATE TABLE geo."user" (fid bigint PRIMARY KEY, geom geometry(Point, 4326));
INSERT INTO geo."user" VALUES (1, 'SRID=4326;POINT(175 0)'), (2, 'SRID=4326;POINT(-175 0)'),
                              (3, 'SRID=4326;POINT(0 0)'), (4, NULL);
CREATE TABLE geo.ddh_running (fid bigint PRIMARY KEY, geom geometry(Point, 4326));
INSERT INTO platform.clients (client_id, name, webhook_secret)
VALUES ('ddh', 'DDH', 'x'), ('other', 'Other', 'x');
-- One request per dataset; its id is its identity's hash, as the table requires.
INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id, version_id,
                               request_type, source_path, status)
SELECT platform.request_id_for(c, d, 'r', 'v1'), c, d, 'r', 'v1', 'vector', d || '.csv', s
FROM (VALUES ('ddh', 'grid', 'completed'), ('other', 'user', 'completed'),
             ('ddh', 'gone', 'completed'), ('ddh', 'running', 'processing')) v(c, d, s);
INSERT INTO platform.vector_layers (table_name, request_id, client_id, title, feature_count,
                                    geometry_type, bbox, source_crs, columns)
SELECT t, (SELECT request_id FROM platform.requests WHERE dataset_id = d), c, title, n, 'Point',
       bbox::float8[], crs, cols::jsonb
FROM (VALUES
 ('ddh_running', 'running', 'ddh', 'Published by a request still running', 0, NULL, NULL, '[]'),
 ('ddh_grid', 'grid', 'ddh', 'Grid', 900, '{0,0,29,29}', 'EPSG:4326',
  '[{"name":"name","type":"text","source_name":"Name"}]'),
 ('user', 'user', 'other', 'Other client''s points', 4, '{-175,0,175,0}', NULL, '[]'),
 ('ddh_gone', 'gone', 'ddh', 'No table', 0, NULL, NULL, '[]')) v(t, d, c, title, n, bbox, crs, cols);
)sql");
  }

  void exec(const std::string& sql) {
    pqxx::nontransaction tx{c};
    tx.exec(sql);
  }

  vector_layer layer(const std::string& name) {
    auto l = find_vector_layer(c, name, "");
    EXPECT_TRUE(l) << name;
    return l.value_or(vector_layer{});
  }

  items_page page(const std::string& name, int64_t limit, int64_t offset,
                  std::optional<lon_lat_box> box = std::nullopt) {
    items_selection s;
    s.limit = limit;
    s.offset = offset;
    s.box = box;
    return read_items(c, layer(name), s);
  }
};

std::vector<int64_t> ids_of(const items_page& p) {
  std::vector<int64_t> out;
  for (const auto& f : json::parse(p.features))
    out.push_back(f["id"].get<int64_t>());
  return out;
}

}  // namespace

TEST_F(features, the_catalogue_is_scoped_to_a_client_and_lists_only_existing_tables) {
  auto all = list_vector_layers(c, "");
  ASSERT_EQ(all.size(), 2u);  // ddh_gone has no table, ddh_running's request has not completed
  EXPECT_EQ(all[0].table_name, "ddh_grid");
  EXPECT_EQ(all[1].table_name, "user");
  auto own = list_vector_layers(c, "ddh");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].title, "Grid");
  EXPECT_EQ(own[0].feature_count, 900);
  EXPECT_EQ(own[0].geometry_type, "Point");
  EXPECT_EQ(own[0].source_crs, "EPSG:4326");
  ASSERT_TRUE(own[0].bbox);
  EXPECT_EQ(*own[0].bbox, (std::array<double, 4>{0, 0, 29, 29}));
  EXPECT_EQ(own[0].created_at.size(), 20u);
  EXPECT_TRUE(list_vector_layers(c, "nobody").empty());

  EXPECT_TRUE(find_vector_layer(c, "ddh_grid", "ddh"));
  EXPECT_FALSE(find_vector_layer(c, "user", "ddh"));  // another client's
  EXPECT_TRUE(find_vector_layer(c, "user", ""));
  EXPECT_FALSE(find_vector_layer(c, "ddh_gone", ""));
  EXPECT_FALSE(find_vector_layer(c, "ddh_running", ""));
  exec("UPDATE platform.requests SET status = 'completed' WHERE dataset_id = 'running'");
  EXPECT_TRUE(find_vector_layer(c, "ddh_running", ""));
  EXPECT_FALSE(find_vector_layer(c, "nope", ""));
  EXPECT_FALSE(find_vector_layer(c, "ddh_grid'; --", ""));
}

TEST_F(features, pages_cover_every_feature_once_in_fid_order) {
  std::vector<int64_t> seen;
  for (int64_t offset = 0; offset < 900; offset += 250) {
    auto p = page("ddh_grid", 250, offset);
    EXPECT_EQ(p.matched, 900);
    EXPECT_EQ(p.returned, std::min<int64_t>(250, 900 - offset));
    auto ids = ids_of(p);
    EXPECT_EQ(static_cast<int64_t>(ids.size()), p.returned);
    seen.insert(seen.end(), ids.begin(), ids.end());
  }
  ASSERT_EQ(seen.size(), 900u);
  for (size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));
  auto past = page("ddh_grid", 10, 5000);
  EXPECT_EQ(past.matched, 900);
  EXPECT_EQ(past.returned, 0);
  EXPECT_EQ(past.features, "[]");
}

TEST_F(features, a_page_ends_early_at_its_byte_budget_and_the_next_offset_continues_it) {
  items_selection s;
  s.limit = 100;
  s.max_bytes = 1000;  // a grid feature is about 150 bytes
  auto first = read_items(c, layer("ddh_grid"), s);
  EXPECT_EQ(first.matched, 900);
  EXPECT_GT(first.returned, 1);
  EXPECT_LT(first.returned, 10);
  EXPECT_LT(first.features.size(), 1000u + 400u);  // the budget, plus at most one feature
  auto ids = ids_of(first);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), first.returned);
  s.offset = first.returned;
  auto next = read_items(c, layer("ddh_grid"), s);
  EXPECT_EQ(ids_of(next).front(), ids.back() + 1);
  // One feature is always returned, however small the budget.
  s.max_bytes = 1;
  EXPECT_EQ(read_items(c, layer("ddh_grid"), s).returned, 1);
}

TEST_F(features, features_are_geojson_with_typed_properties_in_table_order) {
  auto p = page("ddh_grid", 5, 3);
  auto doc = json::parse(p.features);
  ASSERT_EQ(doc.size(), 5u);
  const auto& f = doc[1];  // fid 5: x 0, y 4, name NULL
  EXPECT_EQ(f["type"], "Feature");
  EXPECT_EQ(f["id"], 5);
  EXPECT_EQ(f["geometry"], json::parse(R"({"type":"Point","coordinates":[0,4]})"));
  EXPECT_TRUE(f["properties"]["name"].is_null());
  EXPECT_EQ(f["properties"]["order"], 0);
  EXPECT_EQ(f["properties"]["ratio"], 1.0);
  EXPECT_EQ(f["properties"]["flag"], true);
  EXPECT_FALSE(f["properties"].contains("fid"));
  EXPECT_FALSE(f["properties"].contains("geom"));
  // Table order, not alphabetical: the text as PostgreSQL wrote it.
  auto text = p.features;
  EXPECT_LT(text.find("\"name\""), text.find("\"order\""));
  EXPECT_LT(text.find("\"order\""), text.find("\"ratio\""));
  EXPECT_LT(text.find("\"ratio\""), text.find("\"flag\""));
}

TEST_F(features, a_bbox_selects_the_intersecting_features_and_counts_them_exactly) {
  // x 10..12, y 20..24 inclusive (points on the edge intersect): 3 × 5.
  auto p = page("ddh_grid", 100, 0, lon_lat_box{10, 20, 12, 24});
  EXPECT_EQ(p.matched, 15);
  EXPECT_EQ(p.returned, 15);
  for (const auto& f : json::parse(p.features)) {
    auto x = f["geometry"]["coordinates"][0].get<double>();
    auto y = f["geometry"]["coordinates"][1].get<double>();
    EXPECT_TRUE(x >= 10 && x <= 12 && y >= 20 && y <= 24) << f.dump();
  }
  auto second = page("ddh_grid", 10, 10, lon_lat_box{10, 20, 12, 24});
  EXPECT_EQ(second.matched, 15);
  EXPECT_EQ(second.returned, 5);
  auto none = page("ddh_grid", 10, 0, lon_lat_box{-50, -50, -40, -40});
  EXPECT_EQ(none.matched, 0);
  EXPECT_EQ(none.features, "[]");
  // Fractional bounds reach the database unrounded: 10.000000000001 excludes x = 10.
  EXPECT_EQ(page("ddh_grid", 100, 0, lon_lat_box{10.000000000001, 20, 12, 24}).matched, 10);
}

TEST_F(features, a_bbox_across_the_antimeridian_selects_both_sides) {
  auto p = page("user", 10, 0, lon_lat_box{170, -5, -170, 5});
  EXPECT_EQ(p.matched, 2);
  EXPECT_EQ(ids_of(p), (std::vector<int64_t>{1, 2}));
  // Without a bbox the row without geometry is served too, with "geometry": null and no
  // properties (the table has no attribute column).
  auto all = page("user", 10, 0);
  EXPECT_EQ(all.matched, 4);
  auto doc = json::parse(all.features);
  ASSERT_EQ(doc.size(), 4u);
  EXPECT_TRUE(doc[3]["geometry"].is_null());
  EXPECT_EQ(doc[3]["properties"], json::object());
}

TEST_F(features, one_feature_by_fid) {
  auto f = read_item(c, layer("ddh_grid"), 31);
  ASSERT_TRUE(f);
  auto doc = json::parse(*f);
  EXPECT_EQ(doc["id"], 31);
  EXPECT_EQ(doc["properties"]["name"], "p1_0");
  EXPECT_FALSE(read_item(c, layer("ddh_grid"), 901));
  EXPECT_FALSE(read_item(c, layer("ddh_grid"), -1));
  EXPECT_TRUE(read_item(c, layer("user"), 3));
}
