// STAC Items and Collections built from facts (io/stac/items): ids, geometry and bbox (also
// across the antimeridian), time, the ddh:* identity, the projection extension (EPSG, or WKT2
// when there is none), the raster extension's bands and absolute links. The samples these tests
// build are also written to $GP_STAC_SAMPLES_DIR when it is set: tests/stac/validate_samples.py
// validates them against the official STAC 1.0.0, projection and raster v1.1.0 schemas.
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/stac/items.hpp"

using namespace gp::io::stac;
using json = nlohmann::json;

namespace {

const std::string base = "https://geo.example.org";

/// Writes `doc` as <name>.json into $GP_STAC_SAMPLES_DIR (for the schema validation), if set.
void sample(const std::string& name, const json& doc) {
  const char* dir = std::getenv("GP_STAC_SAMPLES_DIR");
  if (dir == nullptr)
    return;
  std::ofstream out(std::string{dir} + "/" + name + ".json");
  out << doc.dump(2);
}

/// An item of DDH's version `version` of `dataset`/`resource` in `collection`, processed at `when`.
item_facts identified(const std::string& collection, const std::string& dataset,
                      const std::string& resource, const std::string& version,
                      const std::string& request_id, const std::string& when) {
  item_facts f;
  f.id = item_id(dataset, resource, version);
  f.collection = collection;
  f.dataset_id = dataset;
  f.resource_id = resource;
  f.version_id = version;
  f.request_id = request_id;
  f.datetime = when;
  f.created = when;
  return f;
}

item_facts vector_item() {
  auto f = identified(vectors_collection("ddh"), "roads", "main", "2026_11",
                      "8c31411d5ba4d20fdd620dc26c667a58", "2026-11-26T19:48:09Z");
  f.bounds = {5.73, 49.44, 6.53, 50.18};
  f.footprint = {{"type", "Polygon"},
                 {"coordinates",
                  {{{5.73, 49.44}, {6.53, 49.50}, {6.40, 50.18}, {5.80, 50.10}, {5.73, 49.44}}}}};
  f.vector = vector_facts{1204, {"MultiLineString"}};
  f.assets = {{"data", "/platform/data/8c31411d5ba4d20fdd620dc26c667a58/download",
               "application/geopackage+sqlite3", "GeoPackage", {"data"}}};
  return f;
}

item_facts raster_item() {
  auto f = identified(rasters_collection("ddh"), "elevation", "lux", "v1",
                      "0123456789abcdef0123456789abcdef", "2026-12-06T10:00:00Z");
  f.bounds = {5.7, 49.4, 6.6, 50.2};
  raster_facts r;
  r.epsg = 4326;
  r.width = 900;
  r.height = 800;
  r.geotransform = {5.7, 0.001, 0, 50.2, 0, -0.001};
  band_facts b;
  b.data_type = raster_data_type("Int16");
  b.nodata = -32768;
  b.minimum = 140;
  b.maximum = 559;
  b.mean = 372.5;
  b.stddev = 61.25;
  b.spatial_resolution = 0.001;
  r.bands = {b};
  f.raster = r;
  f.assets = {{"data", "/platform/data/0123456789abcdef0123456789abcdef/download",
               "image/tiff; application=geotiff; profile=cloud-optimized", "COG", {"data"}},
              {"overview", "/platform/data/0123456789abcdef0123456789abcdef/preview.png",
               "image/png", "Overview", {"overview"}}};
  return f;
}

}  // namespace

TEST(stac_items, ids_and_collections_follow_the_seed) {
  EXPECT_EQ(vectors_collection("ddh"), "ddh_vectors");
  EXPECT_EQ(rasters_collection("ddh"), "ddh_rasters");
  EXPECT_EQ(request_collection("ddh", "floods", "r1", "v2"), "ddh_floods_r1_v2");
  EXPECT_EQ(item_id("roads", "main", "2026_11"), "roads_main_2026_11");
  EXPECT_EQ(disambiguated_item_id("a_b_c", "8c31411d5ba4d20fdd620dc26c667a58"), "a_b_c_8c31411d");
}

TEST(stac_items, a_vector_item_names_its_identity_count_and_served_crs) {
  auto doc = item(vector_item(), base);
  sample("vector_item", doc);
  EXPECT_EQ(doc["type"], "Feature");
  EXPECT_EQ(doc["stac_version"], "1.0.0");
  EXPECT_EQ(doc["id"], "roads_main_2026_11");
  EXPECT_EQ(doc["collection"], "ddh_vectors");
  EXPECT_EQ(doc["stac_extensions"], json::array({projection_extension}));
  const auto& p = doc["properties"];
  EXPECT_EQ(p["ddh:dataset_id"], "roads");
  EXPECT_EQ(p["ddh:resource_id"], "main");
  EXPECT_EQ(p["ddh:version_id"], "2026_11");
  EXPECT_EQ(p["ddh:request_id"], "8c31411d5ba4d20fdd620dc26c667a58");
  EXPECT_EQ(p["vector:feature_count"], 1204);
  EXPECT_EQ(p["vector:geometry_types"], json::array({"MultiLineString"}));
  EXPECT_EQ(p["proj:epsg"], 4326);
  EXPECT_EQ(p["datetime"], "2026-11-26T19:48:09Z");
  EXPECT_EQ(p["updated"], p["created"]);
  // The footprint given (a convex hull), the bbox of the bounds.
  EXPECT_EQ(doc["geometry"]["type"], "Polygon");
  EXPECT_EQ(doc["geometry"]["coordinates"][0].size(), 5u);
  EXPECT_EQ(doc["bbox"], json::array({5.73, 49.44, 6.53, 50.18}));
  EXPECT_EQ(doc["assets"]["data"]["href"],
            base + "/platform/data/8c31411d5ba4d20fdd620dc26c667a58/download");
  EXPECT_EQ(doc["assets"]["data"]["roles"], json::array({"data"}));
}

TEST(stac_items, links_are_absolute_from_the_public_base_url) {
  auto doc = item(vector_item(), base);
  std::map<std::string, std::string> links;
  for (const auto& l : doc["links"])
    links[l["rel"]] = l["href"];
  EXPECT_EQ(links["self"], base + "/platform/stac/collections/ddh_vectors/items/roads_main_2026_11");
  EXPECT_EQ(links["root"], base + "/platform/stac");
  EXPECT_EQ(links["parent"], base + "/platform/stac/collections/ddh_vectors");
  EXPECT_EQ(links["collection"], links["parent"]);
}

TEST(stac_items, a_raster_item_describes_its_grid_and_bands) {
  auto doc = item(raster_item(), base);
  sample("raster_item", doc);
  EXPECT_EQ(doc["stac_extensions"], json::array({projection_extension, raster_extension}));
  const auto& p = doc["properties"];
  EXPECT_EQ(p["proj:epsg"], 4326);
  EXPECT_FALSE(p.contains("proj:wkt2"));
  EXPECT_EQ(p["proj:shape"], json::array({800, 900}));
  EXPECT_EQ(p["proj:transform"], json::array({0.001, 0.0, 5.7, 0.0, -0.001, 50.2, 0, 0, 1}));
  ASSERT_EQ(p["proj:bbox"].size(), 4u);
  EXPECT_NEAR(p["proj:bbox"][0].get<double>(), 5.7, 1e-9);
  EXPECT_NEAR(p["proj:bbox"][1].get<double>(), 49.4, 1e-9);
  EXPECT_NEAR(p["proj:bbox"][2].get<double>(), 6.6, 1e-9);
  EXPECT_NEAR(p["proj:bbox"][3].get<double>(), 50.2, 1e-9);
  const auto& band = doc["assets"]["data"]["raster:bands"][0];
  EXPECT_EQ(band["data_type"], "int16");
  EXPECT_EQ(band["nodata"], -32768);
  EXPECT_EQ(band["statistics"]["minimum"], 140);
  EXPECT_EQ(band["statistics"]["stddev"], 61.25);
  EXPECT_EQ(band["spatial_resolution"], 0.001);
  // Bands are described on the data asset only.
  EXPECT_FALSE(doc["assets"]["overview"].contains("raster:bands"));
}

TEST(stac_items, a_crs_without_an_epsg_code_is_given_as_wkt2) {
  auto f = raster_item();
  f.raster->epsg.reset();
  f.raster->wkt2 = R"(PROJCRS["Local grid",BASEGEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]]],CONVERSION["Oblique",METHOD["Oblique Stereographic"],PARAMETER["Latitude of natural origin",50],PARAMETER["Longitude of natural origin",6],PARAMETER["Scale factor at natural origin",1],PARAMETER["False easting",0],PARAMETER["False northing",0]],CS[Cartesian,2],AXIS["easting",east],AXIS["northing",north],LENGTHUNIT["metre",1]])";
  f.raster->geotransform = {-45000, 100, 0, 40000, 0, -100};
  auto doc = item(f, base);
  sample("raster_item_wkt2", doc);
  EXPECT_TRUE(doc["properties"]["proj:epsg"].is_null());
  EXPECT_EQ(doc["properties"]["proj:wkt2"], f.raster->wkt2);
  EXPECT_EQ(doc["properties"]["proj:bbox"], json::array({-45000.0, -40000.0, 45000.0, 40000.0}));
}

TEST(stac_items, bounds_across_the_antimeridian_split_the_geometry_and_keep_the_bbox) {
  lon_lat_bounds b{170, -20, -170, -10};
  EXPECT_TRUE(b.crosses_antimeridian());
  auto g = bounds_geometry(b);
  ASSERT_EQ(g["type"], "MultiPolygon");
  ASSERT_EQ(g["coordinates"].size(), 2u);
  EXPECT_EQ(g["coordinates"][0][0][1], json::array({180.0, -20.0}));
  EXPECT_EQ(g["coordinates"][1][0][0], json::array({-180.0, -20.0}));
  EXPECT_EQ(bbox_of(b), json::array({170.0, -20.0, -170.0, -10.0}));
  auto f = raster_item();
  f.bounds = b;
  auto doc = item(f, base);
  sample("antimeridian_item", doc);
  EXPECT_EQ(doc["geometry"], g);
  EXPECT_EQ(doc["bbox"], bbox_of(b));
  EXPECT_EQ(bounds_geometry({1, 2, 3, 4})["type"], "Polygon");
}

TEST(stac_items, a_time_range_replaces_the_datetime) {
  auto f = vector_item();
  f.start_datetime = "2020-01-01T00:00:00Z";
  f.end_datetime = "2024-12-31T23:59:59Z";
  auto doc = item(f, base);
  sample("vector_item_range", doc);
  EXPECT_TRUE(doc["properties"]["datetime"].is_null());
  EXPECT_EQ(doc["properties"]["start_datetime"], "2020-01-01T00:00:00Z");
  EXPECT_EQ(doc["properties"]["end_datetime"], "2024-12-31T23:59:59Z");
}

TEST(stac_items, gdal_data_types_map_to_the_raster_extensions_names) {
  EXPECT_EQ(raster_data_type("Byte"), "uint8");
  EXPECT_EQ(raster_data_type("UInt16"), "uint16");
  EXPECT_EQ(raster_data_type("Float32"), "float32");
  EXPECT_EQ(raster_data_type("CFloat64"), "cfloat64");
  EXPECT_EQ(raster_data_type("Nonsense"), "");
}

TEST(stac_items, a_collection_has_its_extent_and_links) {
  collection_facts c;
  c.id = "ddh_rasters";
  c.title = "DDH rasters";
  c.description = "Raster datasets published for ddh";
  c.bounds = lon_lat_bounds{5.7, 49.4, 6.6, 50.2};
  c.start = "2026-11-01T00:00:00Z";
  auto doc = collection(c, base);
  sample("collection", doc);
  EXPECT_EQ(doc["type"], "Collection");
  EXPECT_EQ(doc["license"], "proprietary");
  EXPECT_EQ(doc["extent"]["spatial"]["bbox"][0], json::array({5.7, 49.4, 6.6, 50.2}));
  EXPECT_EQ(doc["extent"]["temporal"]["interval"][0][0], "2026-11-01T00:00:00Z");
  EXPECT_TRUE(doc["extent"]["temporal"]["interval"][0][1].is_null());
  std::map<std::string, std::string> links;
  for (const auto& l : doc["links"])
    links[l["rel"]] = l["href"];
  EXPECT_EQ(links["self"], base + "/platform/stac/collections/ddh_rasters");
  EXPECT_EQ(links["items"], base + "/platform/stac/collections/ddh_rasters/items");
  // An empty collection covers the world, with an open interval.
  collection_facts empty;
  empty.id = "ddh_vectors";
  empty.description = "Vector datasets published for ddh";
  auto e = collection(empty, base);
  sample("collection_empty", e);
  EXPECT_EQ(e["extent"]["spatial"]["bbox"][0], json::array({-180.0, -90.0, 180.0, 90.0}));
}

// --- Facts read from rasters with GDAL ----------------------------------------------------------

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "io/geodata/raster_facts.hpp"
#include "io/geodata/stac_facts.hpp"

namespace {

/// A 100×50 one-band Float32 GeoTIFF in /vsimem/ over `extent` of the CRS given as user input.
std::string synthetic_raster(const std::string& name, const std::string& crs,
                             std::array<double, 4> extent) {
  gp::io::geodata::ensure_gdal();
  auto path = "/vsimem/" + name + ".tif";
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  std::unique_ptr<GDALDataset> ds{drv->Create(path.c_str(), 100, 50, 1, GDT_Float32, nullptr)};
  double gt[6] = {extent[0], (extent[2] - extent[0]) / 100, 0, extent[3], 0,
                  -(extent[3] - extent[1]) / 50};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.SetFromUserInput(crs.c_str());
  ds->SetSpatialRef(&srs);
  std::vector<float> px(100 * 50);
  for (size_t i = 0; i < px.size(); ++i)
    px[i] = static_cast<float>(i % 100);
  if (ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 100, 50, px.data(), 100, 50, GDT_Float32, 0,
                                     0) != CE_None)
    ADD_FAILURE() << "cannot write " << path;
  ds->GetRasterBand(1)->SetNoDataValue(-9999);
  return path;
}

}  // namespace

TEST(stac_facts, a_georeferenced_raster_gives_its_grid_crs_bands_and_bounds) {
  auto f = gp::io::geodata::stac_facts_of_raster(std::string{GP_TEST_DATA_DIR} + "/lux_elev.tif");
  ASSERT_TRUE(f.raster.epsg.has_value());
  EXPECT_TRUE(f.raster.wkt2.empty());
  EXPECT_GT(f.raster.width, 0);
  EXPECT_GT(f.raster.height, 0);
  ASSERT_FALSE(f.raster.bands.empty());
  const auto& b = f.raster.bands[0];
  EXPECT_FALSE(b.data_type.empty());
  ASSERT_TRUE(b.minimum && b.maximum && b.mean);
  EXPECT_LE(*b.minimum, *b.mean);
  EXPECT_LE(*b.mean, *b.maximum);
  // Luxembourg.
  EXPECT_GT(f.bounds.west, 5.0);
  EXPECT_LT(f.bounds.east, 7.0);
  EXPECT_GT(f.bounds.south, 49.0);
  EXPECT_LT(f.bounds.north, 51.0);
  EXPECT_FALSE(f.bounds.crosses_antimeridian());
}

TEST(stac_facts, a_crs_without_an_epsg_code_comes_as_wkt2_and_statistics_stay_in_memory) {
  auto path = synthetic_raster("oblique", "+proj=sterea +lat_0=50 +lon_0=6 +k=1 +x_0=0 +y_0=0 "
                                          "+ellps=WGS84 +units=m +no_defs",
                               {-50000, -25000, 50000, 25000});
  auto f = gp::io::geodata::stac_facts_of_raster(path);
  EXPECT_FALSE(f.raster.epsg.has_value());
  EXPECT_NE(f.raster.wkt2.find("PROJCRS"), std::string::npos) << f.raster.wkt2;
  ASSERT_EQ(f.raster.bands.size(), 1u);
  EXPECT_EQ(f.raster.bands[0].data_type, "float32");
  EXPECT_EQ(f.raster.bands[0].nodata, -9999);
  EXPECT_EQ(f.raster.bands[0].minimum, 0);
  EXPECT_EQ(f.raster.bands[0].maximum, 99);
  EXPECT_NEAR(f.bounds.west, 6 - 0.70, 0.05);
  EXPECT_NEAR(f.bounds.north, 50 + 0.23, 0.02);
  // Nothing was written beside the file.
  VSIStatBufL st;
  EXPECT_NE(VSIStatL((path + ".aux.xml").c_str(), &st), 0);
  VSIUnlink(path.c_str());
}

TEST(stac_facts, a_raster_across_the_antimeridian_has_its_west_edge_east_of_its_east_edge) {
  // ±10° of longitude around 180 on a Mercator centred there.
  auto path = synthetic_raster("pacific", "+proj=merc +lon_0=180 +datum=WGS84 +units=m +no_defs",
                               {-1113194.908, -1111475.103, 1113194.908, 1111475.103});
  auto f = gp::io::geodata::stac_facts_of_raster(path);
  EXPECT_TRUE(f.bounds.crosses_antimeridian());
  EXPECT_NEAR(f.bounds.west, 170, 0.01);
  EXPECT_NEAR(f.bounds.east, -170, 0.01);
  EXPECT_NEAR(f.bounds.south, -10, 0.01);
  EXPECT_NEAR(f.bounds.north, 10, 0.01);
  VSIUnlink(path.c_str());
}

// --- The stac_catalog_raster job on a COG that process_raster wrote ------------------------------

#include <atomic>
#include <filesystem>

#include "io/jobs/registry.hpp"

namespace {

json run_task(const std::string& type, const json& params) {
  static const gp::io::jobs::task_environment env;
  std::atomic<bool> stop{false};
  const auto* t = gp::io::jobs::builtin_registry().task(type);
  EXPECT_NE(t, nullptr) << type;
  gp::io::jobs::task_context ctx{params, 1, stop, env};
  return t->handler(ctx);
}

}  // namespace

TEST(stac_catalog_raster, reads_the_cog_that_process_raster_wrote) {
  namespace fs = std::filesystem;
  auto root = fs::temp_directory_path() / ("gp_stac_raster_" + std::to_string(::getpid()));
  fs::create_directories(root / "bronze");
  fs::create_directories(root / "silver");
  fs::copy_file(std::string{GP_TEST_DATA_DIR} + "/lux_elev.tif", root / "bronze" / "lux_elev.tif",
                fs::copy_options::overwrite_existing);
  json req = {{"request_id", std::string(32, 'a')},
              {"client_id", "ddh"},
              {"request_type", "raster"},
              {"source", (root / "bronze" / "lux_elev.tif").string()},
              {"source_root", (root / "bronze").string()},
              {"output_dir", (root / "silver").string()},
              {"processing_config", {{"compression", "deflate"}}},
              {"dataset_id", "elevation"},
              {"resource_id", "lux"},
              {"version_id", "v1"}};
  // Before the COG exists: the task fails at once (running it again cannot make the file appear;
  // the code says a retry of the request may).
  try {
    run_task("stac_catalog_raster", {{"request", req}});
    ADD_FAILURE() << "facts of a COG that was not written";
  } catch (const gp::io::jobs::task_failure& f) {
    EXPECT_EQ(f.code, "output_missing");
    EXPECT_TRUE(f.permanent);
  }
  run_task("process_raster", {{"request", req}});
  auto outputs = run_task("stac_catalog_raster", {{"request", req}})["outputs"];
  auto out = outputs["stac"]["rasters"][0];
  EXPECT_EQ(out["file"], "lux_elev.tif");
  EXPECT_TRUE(out["epsg"].is_number()) << out.dump();
  ASSERT_EQ(out["shape"].size(), 2u);
  ASSERT_EQ(out["transform"].size(), 6u);
  ASSERT_FALSE(out["bands"].empty());
  EXPECT_TRUE(out["bands"][0]["statistics"].contains("mean"));
  EXPECT_GT(out["bounds"][0].get<double>(), 5.0);
  EXPECT_LT(out["bounds"][2].get<double>(), 7.0);
  // A PNG preview of at most 512 pixels a side, served as one of the request's files.
  EXPECT_EQ(out["overview"], "lux_elev.overview.png");
  EXPECT_EQ(outputs["files"], json::array({"lux_elev.overview.png"}));
  std::ifstream png{root / "silver" / "lux_elev.overview.png", std::ios::binary};
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
  // Nothing else in the output folder (no .aux.xml from the statistics or the preview, no
  // temporary file).
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(root / "silver"))
    names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"lux_elev.tif", "lux_elev.overview.png"}));
  fs::remove_all(root);
}
