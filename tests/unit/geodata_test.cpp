// Pure geodata helpers: derived names, MosaicJSON tiling, request outputs and endpoints.
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include <gtest/gtest.h>

#include "io/geodata/mosaic.hpp"
#include "io/geodata/naming.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/jobs/outputs.hpp"
#include "persistence/database.hpp"

#include <pqxx/pqxx>

namespace gp {
namespace {

using json = nlohmann::json;
using namespace io::geodata;

TEST(naming, table_names_are_safe_identifiers_within_63_characters) {
  auto t = table_name_for("ddh", "World Bank/Roads", "résumé", "v1.0");
  EXPECT_LE(t.size(), 63u);
  EXPECT_EQ(t.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << t;
  EXPECT_EQ(t.rfind("ddh_world_bank_roads_r_sum_v1_0_", 0), 0u) << t;
  auto long_name = table_name_for("ddh", std::string(200, 'a'), "r", "v");
  EXPECT_EQ(long_name.size(), 63u);
  EXPECT_NE(long_name.back(), '_');
}

TEST(naming, distinct_identities_get_distinct_names_even_when_their_slugs_agree) {
  EXPECT_NE(table_name_for("ddh", "a.b", "r", "v"), table_name_for("ddh", "a-b", "r", "v"));
  EXPECT_EQ(table_name_for("ddh", "a", "r", "v"), table_name_for("ddh", "a", "r", "v"));
  EXPECT_EQ(table_name_for("9lives", "d", "r", "v").rfind("t_9lives_", 0), 0u);
}

TEST(naming, column_names_are_sanitised) {
  EXPECT_EQ(sanitize_column_name("Pop Est (2020)"), "pop_est_2020");
  EXPECT_EQ(sanitize_column_name("2020"), "c_2020");
  EXPECT_EQ(sanitize_column_name("geom"), "geom_1");
  EXPECT_EQ(sanitize_column_name("FID"), "fid_1");
  EXPECT_EQ(sanitize_column_name("***"), "column");
  EXPECT_EQ(sanitize_column_name(std::string(100, 'x')).size(), 63u);
}

TEST(mosaic, quadkeys_cover_the_bounds_at_a_zoom) {
  // The whole world at zoom 1 is four tiles.
  auto all = quadkeys_covering({-180, -85, 180, 85}, 1);
  EXPECT_EQ(all, (std::vector<std::string>{"0", "1", "2", "3"}));
  // Luxembourg at zoom 8 lies in one tile (x 132, y 87): quadkey 12020322.
  auto lux = quadkeys_covering({6.0, 49.5, 6.1, 49.6}, 8);
  ASSERT_EQ(lux.size(), 1u);
  EXPECT_EQ(lux[0], "12020322");
  EXPECT_EQ(quadkeys_covering({0, 0, 0, 0}, 0), std::vector<std::string>{""});
}

TEST(mosaic, zooms_follow_the_resolution_and_size) {
  // 0.0083° pixels (about 1 km): zoom 8 pixels are 611 m, zoom 7 1.2 km.
  mosaic_source s{"a.tif", {5.74, 49.45, 6.53, 50.19}, 95, 90};
  EXPECT_EQ(native_zoom(s), 8);
  EXPECT_EQ(overview_zoom(s), 8);  // fits one tile already
  mosaic_source big{"b.tif", {0, 0, 1, 1}, 8000, 8000};
  EXPECT_EQ(native_zoom(big), 14);  // 13.9 m pixels
  EXPECT_EQ(overview_zoom(big), 14 - 5);  // 8000 px = 2^5 tiles of 256
}

TEST(mosaic, document_is_mosaicjson_0_0_3) {
  std::vector<mosaic_source> sources{{"west.tif", {0, 0, 1, 1}, 256, 256},
                                     {"east.tif", {1, 0, 2, 1}, 256, 256}};
  auto doc = mosaic_document(sources, "r1");
  EXPECT_EQ(doc["mosaicjson"], "0.0.3");
  EXPECT_EQ(doc["bounds"], json::array({0.0, 0.0, 2.0, 1.0}));
  EXPECT_LE(doc["minzoom"].get<int>(), doc["maxzoom"].get<int>());
  EXPECT_EQ(doc["quadkey_zoom"], doc["minzoom"]);
  std::set<std::string> named;
  for (const auto& [key, files] : doc["tiles"].items()) {
    EXPECT_EQ(key.size(), doc["quadkey_zoom"].get<size_t>());
    for (const auto& f : files)
      named.insert(f.get<std::string>());
  }
  EXPECT_EQ(named, (std::set<std::string>{"west.tif", "east.tif"}));
  EXPECT_THROW(mosaic_document({}, "x"), std::invalid_argument);
}

TEST(mosaic, a_huge_tile_map_is_indexed_at_a_coarser_zoom) {
  std::vector<mosaic_source> sources{{"a.tif", {-10, -10, 10, 10}, 4000000, 4000000}};
  auto doc = mosaic_document(sources, "r", 1000);
  EXPECT_LE(doc["tiles"].size(), 1000u);
  EXPECT_LE(doc["minzoom"].get<int>(), doc["quadkey_zoom"].get<int>());
}

TEST(outputs, are_merged_in_order_with_files_listed_once) {
  auto merged = io::jobs::merge_outputs(json::parse(
    R"([{"download": "a.tif"}, {"files": ["x.tif"]}, {"files": ["x.tif", "y.tif"], "mosaic": true},
        {"download": "b.tif"}, null, 3])"));
  EXPECT_EQ(merged, json::parse(R"({"download": "b.tif", "files": ["x.tif", "y.tif"],
                                     "mosaic": true})"));
  EXPECT_EQ(io::jobs::merge_outputs(json::object()), json::object());
}

TEST(partial_files, are_named_recognised_written_and_removed) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("gp_partial_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto a = partial_path(dir / "a.tif"), b = partial_path(dir / "a.tif");
  EXPECT_NE(a, b);  // unique per call
  EXPECT_EQ(a.filename().string().rfind(partial_prefix("a.tif"), 0), 0u);
  EXPECT_TRUE(is_partial_name(a.filename().string()));
  EXPECT_FALSE(is_partial_name("a.tif"));
  EXPECT_FALSE(is_partial_name(".hidden"));
  std::ofstream{a} << "x";
  std::ofstream{partial_path(dir / "b.gpkg")} << "y";
  ASSERT_TRUE(write_file_atomically(dir / "mosaic.json", "{}"));
  remove_partials(dir, "a.tif");  // only a.tif's
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(dir))
    left.insert(e.path().filename().string().substr(0, 8));
  EXPECT_EQ(left, (std::set<std::string>{".b.gpkg.", "mosaic.j"}));
  remove_partials(dir);  // every temporary file
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  EXPECT_FALSE(write_file_atomically(dir / "missing" / "x.json", "{}"));
  fs::remove_all(dir);
}

TEST(database_errors, clients_see_sql_errors_but_not_connection_details) {
  using persistence::db_error_for_client;
  pqxx::sql_error data{"ERROR:  invalid input syntax for type integer: \"x\"\nLINE 1: …",
                       "COPY …"};
  EXPECT_EQ(db_error_for_client(data), "ERROR:  invalid input syntax for type integer: \"x\"");
  pqxx::broken_connection lost{
    "connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  password authentication "
    "failed for user \"geoplatform\""};
  EXPECT_EQ(db_error_for_client(lost), "the database cannot be reached");
  EXPECT_EQ(db_error_for_client(std::runtime_error{"secret detail"}), "an internal error");
}

}  // namespace
}  // namespace gp
