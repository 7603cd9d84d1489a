// ingest_vector refusing what it cannot publish, with a permanent failure whose code the client
// can act on and whose message shows no storage path; limits; stops; and nothing left behind by
// a failed load or by discard_vector_outputs.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "io/geodata/naming.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/geodata/vector_load.hpp"
#include "vector_fixture.hpp"

namespace {

using gp::test::json;
using gp::test::vector_fixture;
namespace fs = std::filesystem;

struct vector_failures : vector_fixture {
  std::string geo_tables() {
    return query("SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM "
                 "pg_tables WHERE schemaname = 'geo'");
  }

  std::vector<std::string> output_files(const json& req) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(req["output_dir"].get<std::string>(), ec))
      out.push_back(e.path().filename().string());
    return out;
  }

  /// A Shapefile of two points without a .prj.
  std::string shapefile_without_crs() {
    gp::io::geodata::ensure_gdal();
    auto dir = root / "bronze" / "nocrs";
    auto* drv = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
    GDALDatasetUniquePtr ds{drv->Create(dir.c_str(), 0, 0, 0, GDT_Unknown, nullptr)};
    auto* l = ds->CreateLayer("pts", nullptr, wkbPoint, nullptr);
    for (int i = 0; i < 2; ++i) {
      OGRFeature f{l->GetLayerDefn()};
      OGRPoint p{6.0 + i, 49.5};
      f.SetGeometry(&p);
      EXPECT_EQ(l->CreateFeature(&f), OGRERR_NONE);
    }
    return (dir / "pts.shp").string();
  }
};

TEST_F(vector_failures, a_csv_without_geometry_columns) {
  auto f = failure(request(write("plain.csv", "id,name\n1,a\n")));
  EXPECT_EQ(f.code, "no_geometry");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("lon_column"), std::string::npos) << f.what();
  EXPECT_NE(std::string{f.what()}.find("id, name"), std::string::npos) << f.what();
}

TEST_F(vector_failures, a_geopackage_table_without_geometry) {
  gp::io::geodata::ensure_gdal();
  auto path = root / "bronze" / "attrs.gpkg";
  {
    auto* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    GDALDatasetUniquePtr ds{drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr)};
    auto* l = ds->CreateLayer("people", nullptr, wkbNone, nullptr);
    OGRFieldDefn name{"name", OFTString};
    l->CreateField(&name);
  }
  auto f = failure(request(path.string()));
  EXPECT_EQ(f.code, "no_geometry");
  EXPECT_NE(std::string{f.what()}.find("'people' has no geometry column"), std::string::npos)
    << f.what();
}

TEST_F(vector_failures, csv_columns_named_by_the_client_must_exist) {
  auto f = failure(request(write("c.csv", "x,y\n1,2\n"), {{"wkt_column", "shape"}}));
  EXPECT_EQ(f.code, "column_not_found");
  EXPECT_NE(std::string{f.what()}.find("processing_config.wkt_column 'shape'"), std::string::npos)
    << f.what();
}

TEST_F(vector_failures, a_corrupt_zip) {
  std::string garbage = "PK\x03\x04";
  for (int i = 0; i < 4000; ++i)
    garbage += static_cast<char>((i * 7919) % 251);
  auto f = failure(request(write("broken.zip", garbage)));
  EXPECT_EQ(f.code, "archive_unreadable");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("ZIP"), std::string::npos) << f.what();
}

TEST_F(vector_failures, a_truncated_zip) {
  std::ifstream in{gp::test::test_data("nybb_16a.zip"), std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{in}, {}};
  auto f = failure(request(write("cut.zip", bytes.substr(0, bytes.size() / 2))));
  EXPECT_EQ(f.code, "archive_unreadable");
}

TEST_F(vector_failures, a_zip_without_vector_data) {
  gp::io::geodata::ensure_gdal();
  auto zip = root / "bronze" / "notes.zip";
  auto* fp = VSIFOpenL(("/vsizip/" + zip.string() + "/readme.txt").c_str(), "wb");
  ASSERT_NE(fp, nullptr);
  VSIFWriteL("no data here\n", 1, 13, fp);
  VSIFCloseL(fp);
  auto f = failure(request(zip.string()));
  EXPECT_EQ(f.code, "source_unreadable");
  EXPECT_NE(std::string{f.what()}.find("holds no Shapefile"), std::string::npos) << f.what();
}

TEST_F(vector_failures, bytes_that_are_no_vector_file) {
  auto f = failure(request(write("noise.geojson", "{\"type\": \"FeatureCollection\", \"feat")));
  EXPECT_EQ(f.code, "source_unreadable");
  EXPECT_NE(std::string{f.what()}.find("GeoJSON, GeoPackage"), std::string::npos) << f.what();
}

TEST_F(vector_failures, a_source_without_crs_needs_source_crs) {
  auto src = shapefile_without_crs();
  auto f = failure(request(src));
  EXPECT_EQ(f.code, "crs_required");
  EXPECT_NE(std::string{f.what()}.find("processing_config.source_crs"), std::string::npos);
  f = failure(request(src, {{"source_crs", "EPSG:999999"}}));
  EXPECT_EQ(f.code, "invalid_source_crs");
  // Never read from a file.
  f = failure(request(src, {{"source_crs", "/etc/passwd"}}));
  EXPECT_EQ(f.code, "invalid_source_crs");
  auto r = ingest(request(src, {{"source_crs", "EPSG:4326"}}));
  EXPECT_EQ(r["facts"]["feature_count"], 2);
  EXPECT_EQ(r["facts"]["source_crs"], "EPSG:4326");
}

TEST_F(vector_failures, a_zip_whose_directory_claims_a_huge_expansion) {
  std::ifstream in{gp::test::test_data("naturalearth_cities.zip"), std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{in}, {}};
  // Every central directory entry claims 1.5 GB uncompressed (the data is unchanged).
  int patched = 0;
  for (size_t at = bytes.find("PK\x01\x02"); at != std::string::npos;
       at = bytes.find("PK\x01\x02", at + 4)) {
    bytes[at + 24] = 0;
    bytes[at + 25] = 0;
    bytes[at + 26] = 0;
    bytes[at + 27] = 0x60;
    ++patched;
  }
  ASSERT_EQ(patched, 6);
  auto f = failure(request(write("bomb.zip", bytes)));
  EXPECT_EQ(f.code, "archive_too_large");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("times its size"), std::string::npos) << f.what();
  // The expanded size counts too, with the ratio allowed.
  env.limits.max_expanded_bytes = 1000;
  f = failure(request(copy("naturalearth_cities.zip")));
  EXPECT_EQ(f.code, "archive_too_large");
}

TEST_F(vector_failures, a_source_over_the_size_limit) {
  env.limits.max_source_bytes = 1000;
  auto f = failure(request(copy("naturalearth_cities.zip")));
  EXPECT_EQ(f.code, "source_too_large");
  EXPECT_NE(std::string{f.what()}.find("limit is 1000"), std::string::npos) << f.what();
}

TEST_F(vector_failures, too_many_features) {
  // Known from the Shapefile's index at inspection.
  env.limits.max_features = 100;
  auto req = request(copy("naturalearth_cities.zip"));
  auto f = failure(req);
  EXPECT_EQ(f.code, "too_many_features");
  EXPECT_TRUE(f.permanent);
  // Counted while loading when inspection could not know (the limit lowered in between).
  env.limits.max_features = 1000;
  auto facts = run_task("vector_inspect", json{{"request", req}});
  env.limits.max_features = 10;
  try {
    run_task("vector_load", json{{"request", req}, {"inspect", facts}});
    ADD_FAILURE() << "the load did not stop at the limit";
  } catch (const gp::io::jobs::task_failure& e) {
    EXPECT_EQ(e.code, "too_many_features");
    EXPECT_NE(std::string{e.what()}.find("more than 10"), std::string::npos) << e.what();
  }
  EXPECT_EQ(geo_tables(), "");  // the staging table was dropped
  EXPECT_TRUE(output_files(req).empty());
}

TEST_F(vector_failures, a_stopped_load_leaves_nothing_and_may_be_retried) {
  auto req = request(copy("naturalearth_lowres.zip"));
  auto facts = run_task("vector_inspect", json{{"request", req}});
  stop = true;
  try {
    run_task("vector_load", json{{"request", req}, {"inspect", facts}});
    ADD_FAILURE() << "the load did not stop";
  } catch (const gp::io::jobs::task_failure& e) {
    EXPECT_EQ(e.code, "stopped");
    EXPECT_FALSE(e.permanent);
  }
  EXPECT_EQ(geo_tables(), "");
  EXPECT_TRUE(output_files(req).empty());
  stop = false;
  auto r = ingest(req);
  EXPECT_EQ(count(r["outputs"]["collection"]), 177);
}

TEST_F(vector_failures, a_retried_load_starts_from_an_empty_staging_table) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto facts = run_task("vector_inspect", json{{"request", req}});
  auto params = json{{"request", req}, {"inspect", facts}};
  run_task("vector_load", params, 1);
  auto load = run_task("vector_load", params, 2);
  EXPECT_EQ(count(load["staging"]), 243);
  // Only the second attempt's GeoPackage is left.
  auto files = output_files(req);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], load["gpkg_partial"]);
}

TEST_F(vector_failures, reused_outputs_plan_no_load_and_no_finalize) {
  const auto* job = gp::io::jobs::builtin_registry().job("ingest_vector");
  ASSERT_NE(job, nullptr);
  json params{{"request", request("/x.zip")}};
  EXPECT_TRUE(gp::io::jobs::plan_stage(*job, 2, params,
                                       json::array({{{"reused_from", std::string(32, 'b')}}}))
                .empty());
  EXPECT_TRUE(gp::io::jobs::plan_stage(*job, 3, params, json::array()).empty());
  auto load = gp::io::jobs::plan_stage(*job, 2, params, json::array({{{"table", "t"}}}));
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0].first, "vector_load");
  EXPECT_EQ(load[0].second["inspect"]["table"], "t");
}

TEST_F(vector_failures, discard_vector_outputs_removes_what_a_request_left) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto r = ingest(req);
  std::string table = r["outputs"]["collection"];
  // A later load that failed half-way: its staging table and temporary file remain.
  auto facts = run_task("vector_inspect", json{{"request", req}});
  run_task("vector_load", json{{"request", req}, {"inspect", facts}});
  EXPECT_EQ(output_files(req).size(), 2u);
  gp::io::geodata::discard_vector_outputs(*env.vectors, table, req["output_dir"], false);
  EXPECT_EQ(geo_tables(), table);  // the completed table stays
  EXPECT_EQ(output_files(req), std::vector<std::string>{table + ".gpkg"});
  gp::io::geodata::discard_vector_outputs(*env.vectors, table, req["output_dir"], true);
  EXPECT_EQ(geo_tables(), "");
  EXPECT_EQ(query("SELECT count(*) FROM platform.vector_layers"), "0");
  EXPECT_TRUE(output_files(req).empty());
}

TEST_F(vector_failures, large_layers_get_a_geopackage_without_spatial_index) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto facts = run_task("vector_inspect", json{{"request", req}});
  auto has_index = [&](uint64_t limit) {
    gp::io::geodata::vector_load_options o;
    o.source = req["source"];
    o.facts = facts;
    o.table = facts["table"];
    o.staging = gp::io::geodata::staging_table_name(o.table);
    o.output_dir = req["output_dir"];
    o.store = env.vectors;
    o.max_features = 1000;
    o.gpkg_index_max_features = limit;
    o.keep_going = [] { return true; };
    auto load = gp::io::geodata::load_vector(o);
    auto path = fs::path{o.output_dir} / load["gpkg_partial"].get<std::string>();
    GDALDatasetUniquePtr ds{GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY)};
    EXPECT_TRUE(ds);
    EXPECT_EQ(ds->GetLayer(0)->GetFeatureCount(TRUE), 243);
    return ds->GetLayer(0)->TestCapability(OLCFastSpatialFilter) != 0;
  };
  EXPECT_TRUE(has_index(243));
  EXPECT_FALSE(has_index(242));
}

}  // namespace

TEST_F(vector_failures, a_cancelled_request_never_publishes_its_table) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto facts = run_task("vector_inspect", json{{"request", req}});
  auto load = run_task("vector_load", json{{"request", req}, {"inspect", facts}});
  // The request was cancelled (and cleaned up) while its load ran.
  query("INSERT INTO platform.clients (client_id, name, webhook_secret) VALUES ('ddh', 'D', 'x') "
        "ON CONFLICT DO NOTHING");
  query("INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id, "
        "version_id, request_type, source_path, status) VALUES ('" +
        req["request_id"].get<std::string>() +
        "', 'ddh', 'd', 'main', 'v1', 'vector', 'x.zip', 'cancelled') RETURNING 1");
  try {
    run_task("vector_finalize", json{{"request", req}, {"load", load}});
    ADD_FAILURE() << "a cancelled request's table was published";
  } catch (const gp::io::jobs::task_failure& e) {
    EXPECT_EQ(e.code, "request_cancelled");
    EXPECT_TRUE(e.permanent);
  }
  EXPECT_EQ(query("SELECT count(*) FROM platform.vector_layers"), "0");
  EXPECT_EQ(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'geo' AND tablename = '" +
                  load["table"].get<std::string>() + "'"),
            "0");
}
