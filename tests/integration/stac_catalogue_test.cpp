// The STAC catalogue against a real PostgreSQL + PostGIS: what a completed request stores (and
// replaces), collection extents, and searches of every kind parsed as the API parses them
// (io/stac) and run as the API runs them (persistence::search_stac).
#include "persistence/stac_catalogue.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "io/http/submit_codec.hpp"
#include "io/stac/publication.hpp"
#include "io/stac/search_codec.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

using json = nlohmann::json;
using namespace gp::persistence;

namespace {

/// One published item of the tests.
struct sample {
  std::string client = "ddh";
  std::string dataset = "d";
  std::string resource = "r";
  std::string version = "v1";
  std::string type = "raster";
  std::array<double, 4> bounds{5.7, 49.4, 6.6, 50.2};
  std::string processed_at = "2024-01-01T00:00:00Z";
  /// Vectors: a time range (both set) and a feature count.
  std::string start, end;
  int64_t features = 10;
  std::optional<int> epsg = 4326;
};

std::string minute(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2024-01-%02dT%02d:%02d:00Z", 1 + i / 1440, (i / 60) % 24,
                i % 60);
  return buf;
}

struct stac_catalogue : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override { migrate(c, embedded_migrations()); }

  gp::io::stac::publication publication_of(const sample& s) {
    gp::io::stac::publication p;
    p.spec.client_id = s.client;
    p.spec.dataset_id = s.dataset;
    p.spec.resource_id = s.resource;
    p.spec.version_id = s.version;
    p.request_id = gp::io::http::request_id_for(s.client, s.dataset, s.resource, s.version);
    p.spec.request_type = s.type;
    p.processed_at = s.processed_at;
    p.base_url = "http://stac.test";
    const auto& b = s.bounds;
    if (s.type == "vector") {
      p.outputs = {{"stac",
                    {{"vector",
                      {{"bounds", b},
                       {"hull", nullptr},
                       {"geometry_types", {"Point"}},
                       {"feature_count", s.features},
                       {"collection", "t_" + s.dataset},
                       {"start_datetime", s.start.empty() ? json() : json(s.start)},
                       {"end_datetime", s.end.empty() ? json() : json(s.end)}}}}}};
    } else {
      json raster = {{"file", s.dataset + ".tif"},
                     {"epsg", s.epsg ? json(*s.epsg) : json()},
                     {"wkt2", s.epsg ? "" : "LOCAL_CS[\"x\"]"},
                     {"shape", {10, 10}},
                     {"transform", {0.1, 0, b[0], 0, -0.1, b[3], 0, 0, 1}},
                     {"proj_bbox", b},
                     {"bands", {{{"data_type", "uint8"}, {"spatial_resolution", 0.1},
                                 {"nodata", nullptr}}}},
                     {"bounds", b}};
      p.outputs = {{"stac", {{"rasters", {raster}}}}};
    }
    return p;
  }

  /// Stores what `s` publishes, as a completed request's write does.
  gp::io::stac::published publish(const sample& s, bool id_taken = false) {
    auto p = publication_of(s);
    auto out = gp::io::stac::assemble(p, id_taken);
    pqxx::work tx{c};
    write_catalogue(tx, p.request_id, out.entries);
    tx.commit();
    return out;
  }

  gp::search_page run(const gp::stac_search& s, const std::string& scope = "") {
    return search_stac(c, scope, s);
  }

  /// The ids a GET /search query finds (in order).
  std::vector<std::string> ids(const std::string& query, const std::string& scope = "") {
    std::vector<gp::io::http::field_error> errors;
    auto s = gp::io::stac::parse_search_query(query, errors);
    EXPECT_TRUE(errors.empty()) << query << ": " << (errors.empty() ? "" : errors[0].message);
    std::vector<std::string> out;
    for (const auto& i : run(s, scope).items)
      out.push_back(i.item_id);
    return out;
  }

  /// The ids a POST /search body finds, sorted.
  std::set<std::string> posted(const json& body) {
    std::vector<gp::io::http::field_error> errors;
    auto s = gp::io::stac::parse_search_body(body, errors);
    EXPECT_TRUE(errors.empty()) << body.dump() << ": "
                                << (errors.empty() ? "" : errors[0].message);
    std::set<std::string> out;
    for (const auto& i : run(s).items)
      out.insert(i.item_id);
    return out;
  }

  std::set<std::string> sorted(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
  }

  /// Three rasters and two vectors around Luxembourg and one across the antimeridian.
  void publish_fixture() {
    publish({"ddh", "lux", "dem", "v1", "raster", {5.7, 49.4, 6.6, 50.2}, minute(1)});
    publish({"ddh", "fiji", "dem", "v1", "raster", {177.0, -19.0, -179.0, -16.0}, minute(2)});
    publish({"ddh", "paris", "ortho", "v2", "raster", {2.2, 48.8, 2.5, 48.9}, minute(3), "", "",
             0, std::nullopt});
    publish({"ddh", "roads", "osm", "v1", "vector", {6.0, 49.5, 6.2, 49.7}, minute(4),
             "2020-01-01T00:00:00Z", "2020-12-31T23:59:59Z", 1200});
    publish({"ddh", "rivers", "osm", "v1", "vector", {5.9, 49.6, 6.3, 50.0}, minute(5), "", "",
             40});
  }
};

}  // namespace

TEST_F(stac_catalogue, a_published_item_is_stored_as_built_and_its_collection_extends_to_it) {
  auto out = publish({"ddh", "lux", "dem", "v1", "raster", {5.7, 49.4, 6.6, 50.2}, minute(1)});
  publish({"ddh", "paris", "ortho", "v1", "raster", {2.2, 48.8, 2.5, 48.9}, minute(7)});
  auto item = find_stac_item(c, "ddh", "ddh_rasters", "lux_dem_v1");
  ASSERT_TRUE(item);
  EXPECT_EQ(json::parse(*item), out.stac_metadata);
  auto col = find_stac_collection(c, "ddh", "ddh_rasters");
  ASSERT_TRUE(col);
  EXPECT_EQ(col->item_count, 2);
  ASSERT_TRUE(col->bbox);
  EXPECT_NEAR((*col->bbox)[0], 2.2, 1e-9);
  EXPECT_NEAR((*col->bbox)[2], 6.6, 1e-9);
  EXPECT_EQ(col->start, "2024-01-01T00:01:00Z");
  EXPECT_EQ(col->end, "2024-01-01T00:07:00Z");
  EXPECT_EQ(out.endpoints["stac_item"], "/platform/stac/collections/ddh_rasters/items/lux_dem_v1");
}

TEST_F(stac_catalogue, a_request_written_again_replaces_its_item_and_the_version_advances) {
  auto before = catalogue_version(c);
  publish({"ddh", "lux", "dem", "v1", "raster", {5.7, 49.4, 6.6, 50.2}, minute(1)});
  auto after_first = catalogue_version(c);
  EXPECT_GT(after_first, before);
  publish({"ddh", "lux", "dem", "v1", "raster", {1.0, 40.0, 2.0, 41.0}, minute(9)});
  EXPECT_GT(catalogue_version(c), after_first);
  auto col = find_stac_collection(c, "", "ddh_rasters");
  ASSERT_TRUE(col);
  EXPECT_EQ(col->item_count, 1);
  EXPECT_NEAR((*col->bbox)[0], 1.0, 1e-9);
  EXPECT_EQ(col->start, "2024-01-01T00:09:00Z");
}

TEST_F(stac_catalogue, an_item_id_another_request_holds_is_refused_so_the_writer_assembles_again) {
  publish({"ddh", "a_b", "c", "v1"});
  // dataset "a", resource "b_c" maps to the same id "a_b_c_v1".
  sample other{"ddh", "a", "b_c", "v1"};
  EXPECT_THROW(publish(other), pqxx::unique_violation);
  auto out = publish(other, true);
  auto id = out.stac_metadata["id"].get<std::string>();
  auto rid = gp::io::http::request_id_for("ddh", "a", "b_c", "v1");
  EXPECT_EQ(id, "a_b_c_v1_" + rid.substr(0, 8));
  EXPECT_TRUE(find_stac_item(c, "ddh", "ddh_rasters", id));
  EXPECT_TRUE(find_stac_item(c, "ddh", "ddh_rasters", "a_b_c_v1"));
}

TEST_F(stac_catalogue, a_collection_id_another_request_or_client_owns_is_refused) {
  sample a{"ddh", "a_b", "c", "v1", "collection"};
  auto p = publication_of(a);
  p.outputs = {{"stac", {{"rasters", {publication_of(sample{}).outputs["stac"]["rasters"][0]}}}}};
  auto out = gp::io::stac::assemble(p, false);
  {
    pqxx::work tx{c};
    write_catalogue(tx, p.request_id, out.entries);
    tx.commit();
  }
  // dataset "a", resource "b_c": the same collection id, another request.
  auto q = p;
  q.spec.dataset_id = "a";
  q.spec.resource_id = "b_c";
  q.request_id = gp::io::http::request_id_for("ddh", "a", "b_c", "v1");
  auto clash = gp::io::stac::assemble(q, false);
  EXPECT_EQ(clash.entries.collections[0].collection_id, out.entries.collections[0].collection_id);
  {
    pqxx::work tx{c};
    EXPECT_THROW(write_catalogue(tx, q.request_id, clash.entries), collection_taken);
  }
  auto mine = gp::io::stac::assemble(q, true);
  pqxx::work tx{c};
  write_catalogue(tx, q.request_id, mine.entries);
  tx.commit();
  EXPECT_TRUE(find_stac_collection(c, "ddh", "ddh_a_b_c_v1_" + q.request_id.substr(0, 8)));
  EXPECT_EQ(find_stac_collection(c, "ddh", "ddh_a_b_c_v1")->item_count, 1);
}

TEST_F(stac_catalogue, a_client_sees_only_its_own_collections_and_items) {
  publish_fixture();
  publish({"other", "secret", "x", "v1", "raster", {5.7, 49.4, 6.6, 50.2}, minute(20)});
  EXPECT_FALSE(find_stac_item(c, "ddh", "other_rasters", "secret_x_v1"));
  EXPECT_TRUE(find_stac_item(c, "other", "other_rasters", "secret_x_v1"));
  EXPECT_FALSE(find_stac_collection(c, "ddh", "other_rasters"));
  for (const auto& col : list_stac_collections(c, "ddh"))
    EXPECT_EQ(col.client_id, "ddh");
  EXPECT_EQ(ids("ids=secret_x_v1", "ddh").size(), 0u);
  EXPECT_EQ(ids("collections=other_rasters", "ddh").size(), 0u);
  EXPECT_EQ(ids("ids=secret_x_v1", "").size(), 1u);
}

TEST_F(stac_catalogue, search_by_bbox_ids_collections_and_intersects) {
  publish_fixture();
  EXPECT_EQ(sorted(ids("bbox=5.5,49,7,51")),
            (std::set<std::string>{"lux_dem_v1", "roads_osm_v1", "rivers_osm_v1"}));
  EXPECT_EQ(ids("bbox=2,48,3,49"), (std::vector<std::string>{"paris_ortho_v2"}));
  EXPECT_EQ(sorted(ids("ids=lux_dem_v1,paris_ortho_v2")),
            (std::set<std::string>{"lux_dem_v1", "paris_ortho_v2"}));
  EXPECT_EQ(sorted(ids("collections=ddh_vectors")),
            (std::set<std::string>{"roads_osm_v1", "rivers_osm_v1"}));
  EXPECT_EQ(ids("collections=ddh_vectors&bbox=6.25,49.9,6.4,50.1"),
            (std::vector<std::string>{"rivers_osm_v1"}));
  EXPECT_EQ(posted({{"intersects", {{"type", "Point"}, {"coordinates", {6.1, 49.6}}}}}),
            (std::set<std::string>{"lux_dem_v1", "roads_osm_v1", "rivers_osm_v1"}));
  EXPECT_TRUE(ids("bbox=-10,-10,-5,-5").empty());
}

TEST_F(stac_catalogue, a_bbox_across_the_antimeridian_finds_items_on_either_side) {
  publish_fixture();
  publish({"ddh", "samoa", "dem", "v1", "raster", {-172.8, -14.1, -171.4, -13.4}, minute(6)});
  EXPECT_EQ(sorted(ids("bbox=170,-20,-170,-10")),
            (std::set<std::string>{"fiji_dem_v1", "samoa_dem_v1"}));
  // The item across the antimeridian is found from either side, and not from the middle.
  EXPECT_EQ(ids("bbox=178,-18,179,-17"), (std::vector<std::string>{"fiji_dem_v1"}));
  EXPECT_EQ(ids("bbox=-179.5,-18,-179.2,-17"), (std::vector<std::string>{"fiji_dem_v1"}));
  EXPECT_TRUE(ids("bbox=0,-18,1,-17").empty());
}

TEST_F(stac_catalogue, datetime_instants_intervals_and_open_ends) {
  publish_fixture();
  // Rasters are instants (minute 1, 2, 3); roads cover 2020; rivers are an instant (minute 5).
  EXPECT_EQ(ids("datetime=2024-01-01T00:02:00Z"), (std::vector<std::string>{"fiji_dem_v1"}));
  // Closed interval: both ends included.
  EXPECT_EQ(sorted(ids("datetime=2024-01-01T00:01:00Z/2024-01-01T00:03:00Z")),
            (std::set<std::string>{"lux_dem_v1", "fiji_dem_v1", "paris_ortho_v2"}));
  EXPECT_EQ(sorted(ids("datetime=../2024-01-01T00:01:00Z")),
            (std::set<std::string>{"lux_dem_v1", "roads_osm_v1"}));
  EXPECT_EQ(sorted(ids("datetime=2024-01-01T00:05:00Z/..")),
            (std::set<std::string>{"rivers_osm_v1"}));
  // An instant inside a range, and on its last second.
  EXPECT_EQ(ids("datetime=2020-06-01T00:00:00Z"), (std::vector<std::string>{"roads_osm_v1"}));
  EXPECT_EQ(ids("datetime=2020-12-31T23:59:59Z"), (std::vector<std::string>{"roads_osm_v1"}));
  EXPECT_TRUE(ids("datetime=2021-01-01T00:00:00Z").empty());
  // Offsets are read as the instant they name.
  EXPECT_EQ(ids("datetime=2024-01-01T02:02:00%2B02:00"), (std::vector<std::string>{"fiji_dem_v1"}));
}

TEST_F(stac_catalogue, sortby_and_limit) {
  publish_fixture();
  // Default: newest first, a range by its start (roads cover 2020).
  auto all = ids("limit=10");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all, (std::vector<std::string>{"rivers_osm_v1", "paris_ortho_v2", "fiji_dem_v1",
                                           "lux_dem_v1", "roads_osm_v1"}));
  EXPECT_EQ(ids("sortby=id&limit=2"), (std::vector<std::string>{"fiji_dem_v1", "lux_dem_v1"}));
  EXPECT_EQ(ids("sortby=-id&limit=1"), (std::vector<std::string>{"roads_osm_v1"}));
  auto by_count = ids("sortby=-vector:feature_count,id&limit=2");
  EXPECT_EQ(by_count, (std::vector<std::string>{"roads_osm_v1", "rivers_osm_v1"}));
}

/// Each CQL2 operator with a case that matches and one that does not, in both encodings.
TEST_F(stac_catalogue, every_cql2_operator_matches_and_refuses_in_both_encodings) {
  publish_fixture();
  struct cql_case {
    std::string text;
    json expr;
    std::set<std::string> expected;
  };
  auto prop = [](const char* p) { return json{{"property", p}}; };
  std::vector<cql_case> cases = {
    {"\"ddh:dataset_id\" = 'lux'", {{"op", "="}, {"args", {prop("ddh:dataset_id"), "lux"}}},
     {"lux_dem_v1"}},
    {"\"ddh:dataset_id\" = 'nowhere'",
     {{"op", "="}, {"args", {prop("ddh:dataset_id"), "nowhere"}}}, {}},
    {"ddh:resource_id <> 'osm'", {{"op", "<>"}, {"args", {prop("ddh:resource_id"), "osm"}}},
     {"lux_dem_v1", "fiji_dem_v1", "paris_ortho_v2"}},
    {"vector:feature_count > 100", {{"op", ">"}, {"args", {prop("vector:feature_count"), 100}}},
     {"roads_osm_v1"}},
    {"vector:feature_count >= 40", {{"op", ">="}, {"args", {prop("vector:feature_count"), 40}}},
     {"roads_osm_v1", "rivers_osm_v1"}},
    {"vector:feature_count < 40", {{"op", "<"}, {"args", {prop("vector:feature_count"), 40}}},
     {}},
    {"vector:feature_count <= 40", {{"op", "<="}, {"args", {prop("vector:feature_count"), 40}}},
     {"rivers_osm_v1"}},
    {"id LIKE 'r%'", {{"op", "like"}, {"args", {prop("id"), "r%"}}},
     {"roads_osm_v1", "rivers_osm_v1"}},
    {"id LIKE 'x%'", {{"op", "like"}, {"args", {prop("id"), "x%"}}}, {}},
    {"ddh:dataset_id IN ('lux', 'paris')",
     {{"op", "in"}, {"args", {prop("ddh:dataset_id"), {"lux", "paris"}}}},
     {"lux_dem_v1", "paris_ortho_v2"}},
    {"ddh:dataset_id IN ('x')", {{"op", "in"}, {"args", {prop("ddh:dataset_id"), {"x"}}}}, {}},
    {"vector:feature_count BETWEEN 10 AND 50",
     {{"op", "between"}, {"args", {prop("vector:feature_count"), 10, 50}}}, {"rivers_osm_v1"}},
    {"vector:feature_count BETWEEN 1 AND 5",
     {{"op", "between"}, {"args", {prop("vector:feature_count"), 1, 5}}}, {}},
    {"proj:epsg IS NULL", {{"op", "isNull"}, {"args", {prop("proj:epsg")}}}, {"paris_ortho_v2"}},
    {"ddh:dataset_id IS NULL", {{"op", "isNull"}, {"args", {prop("ddh:dataset_id")}}}, {}},
    {"S_INTERSECTS(geometry, POINT(6.1 49.6))",
     {{"op", "s_intersects"},
      {"args", {prop("geometry"), {{"type", "Point"}, {"coordinates", {6.1, 49.6}}}}}},
     {"lux_dem_v1", "roads_osm_v1", "rivers_osm_v1"}},
    {"S_INTERSECTS(geometry, POINT(0 0))",
     {{"op", "s_intersects"},
      {"args", {prop("geometry"), {{"type", "Point"}, {"coordinates", {0, 0}}}}}},
     {}},
    {"T_INTERSECTS(datetime, INTERVAL('2020-03-01T00:00:00Z', '2020-04-01T00:00:00Z'))",
     {{"op", "t_intersects"},
      {"args",
       {prop("datetime"), {{"interval", {"2020-03-01T00:00:00Z", "2020-04-01T00:00:00Z"}}}}}},
     {"roads_osm_v1"}},
    {"T_INTERSECTS(datetime, TIMESTAMP('2019-01-01T00:00:00Z'))",
     {{"op", "t_intersects"},
      {"args", {prop("datetime"), {{"timestamp", "2019-01-01T00:00:00Z"}}}}},
     {}},
    {"datetime > TIMESTAMP('2024-01-01T00:03:00Z')",
     {{"op", ">"}, {"args", {prop("datetime"), {{"timestamp", "2024-01-01T00:03:00Z"}}}}},
     {"rivers_osm_v1"}},
    {"ddh:resource_id = 'osm' AND vector:feature_count > 100",
     {{"op", "and"},
      {"args", {{{"op", "="}, {"args", {prop("ddh:resource_id"), "osm"}}},
                {{"op", ">"}, {"args", {prop("vector:feature_count"), 100}}}}}},
     {"roads_osm_v1"}},
    {"ddh:dataset_id = 'lux' OR ddh:dataset_id = 'fiji'",
     {{"op", "or"},
      {"args", {{{"op", "="}, {"args", {prop("ddh:dataset_id"), "lux"}}},
                {{"op", "="}, {"args", {prop("ddh:dataset_id"), "fiji"}}}}}},
     {"lux_dem_v1", "fiji_dem_v1"}},
    // Three-valued: not(unknown) is unknown (paris has no EPSG code).
    {"NOT (proj:epsg = 4326)",
     {{"op", "not"}, {"args", {{{"op", "="}, {"args", {prop("proj:epsg"), 4326}}}}}}, {}},
    // A date as an interval's end includes its day.
    {"T_INTERSECTS(datetime, INTERVAL('2023-12-31', '2024-01-01'))",
     {{"op", "t_intersects"},
      {"args", {prop("datetime"), {{"interval", {"2023-12-31", "2024-01-01"}}}}}},
     {"lux_dem_v1", "fiji_dem_v1", "paris_ortho_v2", "rivers_osm_v1"}},
    {"NOT (ddh:resource_id = 'osm')",
     {{"op", "not"}, {"args", {{{"op", "="}, {"args", {prop("ddh:resource_id"), "osm"}}}}}},
     {"lux_dem_v1", "fiji_dem_v1", "paris_ortho_v2"}},
  };
  for (const auto& k : cases) {
    EXPECT_EQ(posted({{"filter", k.expr}, {"filter-lang", "cql2-json"}}), k.expected)
      << "cql2-json " << k.expr.dump();
    EXPECT_EQ(posted({{"filter", k.text}, {"filter-lang", "cql2-text"}}), k.expected)
      << "cql2-text " << k.text;
  }
}

TEST_F(stac_catalogue, a_geometry_postgis_cannot_read_is_refused_not_an_error) {
  publish_fixture();
  gp::stac_search s;
  s.intersects_geojson = R"({"type":"Circle","coordinates":[0,0]})";
  EXPECT_THROW(run(s), std::invalid_argument);
}

/// 250 items paged forward and back while newer and older items arrive: each of the 250 is seen
/// exactly once each way.
TEST_F(stac_catalogue, paging_through_250_items_both_ways_loses_and_repeats_nothing) {
  for (int i = 0; i < 250; ++i)
    publish({"ddh", "set" + std::to_string(i), "r", "v1", "raster", {5.7, 49.4, 6.6, 50.2},
             minute(100 + i)});
  std::set<std::string> originals;
  for (int i = 0; i < 250; ++i)
    originals.insert("set" + std::to_string(i) + "_r_v1");
  gp::stac_search s;
  s.limit = 17;
  std::vector<std::string> forward;
  int added = 0;
  gp::search_page page;
  for (int n = 0; n < 100; ++n) {
    page = run(s);
    for (const auto& i : page.items)
      forward.push_back(i.item_id);
    // New items arrive, newer and older than the page.
    publish({"ddh", "late" + std::to_string(added++), "r", "v1", "raster",
             {5.7, 49.4, 6.6, 50.2}, minute(1000 + n)});
    publish({"ddh", "early" + std::to_string(added++), "r", "v1", "raster",
             {5.7, 49.4, 6.6, 50.2}, minute(n)});
    if (!page.more_after)
      break;
    // The token, as a client would carry it.
    auto token = gp::io::stac::encode_token({false, page.items.back().sort_values});
    s.position = gp::io::stac::decode_token(token);
    ASSERT_TRUE(s.position);
  }
  std::multiset<std::string> seen;
  for (const auto& id : forward)
    if (originals.count(id) > 0)
      seen.insert(id);
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), originals);
  // Backwards from the last page.
  std::vector<std::string> backward;
  for (int n = 0; n < 100 && !page.items.empty(); ++n) {
    for (auto i = page.items.rbegin(); i != page.items.rend(); ++i)
      backward.push_back(i->item_id);
    if (!page.more_before)
      break;
    s.position = gp::page_position{true, page.items.front().sort_values};
    page = run(s);
    publish({"ddh", "later" + std::to_string(added++), "r", "v1", "raster",
             {5.7, 49.4, 6.6, 50.2}, minute(2000 + n)});
  }
  std::multiset<std::string> seen_back;
  for (const auto& id : backward)
    if (originals.count(id) > 0)
      seen_back.insert(id);
  EXPECT_EQ(seen_back.size(), 250u);
  EXPECT_EQ(std::set<std::string>(seen_back.begin(), seen_back.end()), originals);
}
