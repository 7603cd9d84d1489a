// ingest_vector against a real database with real files: the Shapefiles and CSV of tests/data,
// and generated GeoJSON, KML, CSV, Shapefiles and GeoPackages. Each load is checked in geo.<table>
// (rows, types, geometry type, extent in EPSG:4326, validity), in platform.vector_layers and in
// the GeoPackage written for download.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "io/geodata/naming.hpp"
#include "io/geodata/raster_facts.hpp"
#include "vector_fixture.hpp"

namespace {

using gp::test::json;
using gp::test::vector_fixture;
namespace fs = std::filesystem;

struct vector_ingest : vector_fixture {
  /// Features of the GeoPackage `result` names (-1 when it cannot be opened).
  long long gpkg_features(const json& req, const json& result) {
    gp::io::geodata::ensure_gdal();
    auto path = fs::path{req["output_dir"].get<std::string>()} /
                result["outputs"]["download"].get<std::string>();
    GDALDatasetUniquePtr ds{GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY)};
    if (!ds || ds->GetLayerCount() != 1)
      return -1;
    return ds->GetLayer(0)->GetFeatureCount(TRUE);
  }

  std::string table(const json& result) { return result["outputs"]["collection"]; }

  std::string column_type(const std::string& table, const std::string& column) {
    return query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                 "'geo.\"" + table + "\"'::regclass AND attname = '" + column + "'");
  }

  /// The failure of `job` for `req` (a test failure when it succeeds).
  gp::io::jobs::task_failure failure_of(const std::string& job, const json& req) {
    try {
      run_job(job, req);
    } catch (const gp::io::jobs::task_failure& f) {
      return f;
    }
    ADD_FAILURE() << job << " succeeded";
    return gp::io::jobs::task_failure(false, "none", "none");
  }

  /// No temporary file is left in the request's output folder.
  void expect_no_partial_files(const json& req) {
    for (const auto& e : fs::directory_iterator(req["output_dir"].get<std::string>()))
      EXPECT_EQ(e.path().filename().string().find("partial"), std::string::npos) << e.path();
  }
};

TEST_F(vector_ingest, countries_mixing_polygons_and_multipolygons_become_multipolygons) {
  auto req = request(copy("naturalearth_lowres.zip"));
  auto r = ingest(req);
  auto t = table(r);
  EXPECT_EQ(t, gp::io::geodata::table_name_for("ddh", "d", "main", "v1"));
  EXPECT_EQ(r["outputs"]["download"], t + ".gpkg");
  EXPECT_EQ(r["facts"]["feature_count"], 177);
  EXPECT_EQ(r["facts"]["geometry_type"], "MultiPolygon");
  EXPECT_EQ(r["facts"]["source_crs"], "EPSG:4326");
  EXPECT_EQ(r["facts"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(count(t), 177);
  EXPECT_EQ(column_type(t, "geom"), "geometry(MultiPolygon,4326)");
  EXPECT_EQ(column_type(t, "gdp_md_est"), "bigint");
  EXPECT_EQ(column_type(t, "pop_est"), "double precision");
  EXPECT_EQ(query("SELECT count(*) FROM geo.\"" + t + "\" WHERE NOT ST_IsValid(geom)"), "0");
  EXPECT_EQ(query("SELECT min(fid) || '-' || max(fid) FROM geo.\"" + t + "\""), "1-177");
  EXPECT_EQ(query("SELECT count(*) FROM geo.\"" + t + "\" WHERE name = 'C\xc3\xb4te d''Ivoire'"),
            "1");
  auto bbox = r["facts"]["bbox"];
  EXPECT_NEAR(bbox[0].get<double>(), -180, 1e-6);
  EXPECT_NEAR(bbox[3].get<double>(), 83.645, 1e-3);
  // Indexed, and catalogued once.
  EXPECT_EQ(query("SELECT count(*) FROM pg_indexes WHERE schemaname = 'geo' AND tablename = '" +
                  t + "' AND indexdef LIKE '%gist%'"),
            "1");
  EXPECT_EQ(query("SELECT feature_count || ' ' || geometry_type || ' ' || title FROM "
                  "platform.vector_layers WHERE table_name = '" + t + "'"),
            "177 MultiPolygon d/main/v1");
  auto columns = json::parse(query("SELECT columns FROM platform.vector_layers"));
  EXPECT_EQ(columns[0], (json{{"name", "pop_est"}, {"type", "double precision"},
                              {"source_name", "pop_est"}}));
  EXPECT_EQ(gpkg_features(req, r), 177);
  expect_no_partial_files(req);
  // No staging table is left.
  EXPECT_EQ(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'geo'"), "1");
}

TEST_F(vector_ingest, city_points_stay_points) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto r = ingest(req);
  EXPECT_EQ(r["facts"]["feature_count"], 243);
  EXPECT_EQ(r["facts"]["geometry_type"], "Point");
  EXPECT_EQ(count(table(r)), 243);
  EXPECT_EQ(column_type(table(r), "geom"), "geometry(Point,4326)");
  EXPECT_EQ(gpkg_features(req, r), 243);
}

TEST_F(vector_ingest, a_projected_shapefile_lands_in_4326) {
  auto req = request(copy("nybb_16a.zip"));
  auto r = ingest(req);
  EXPECT_EQ(r["facts"]["feature_count"], 5);
  EXPECT_EQ(r["facts"]["source_crs"], "EPSG:2263");
  EXPECT_EQ(r["facts"]["geometry_type"], "MultiPolygon");
  auto b = r["facts"]["bbox"];
  EXPECT_NEAR(b[0].get<double>(), -74.26, 0.01);
  EXPECT_NEAR(b[1].get<double>(), 40.49, 0.01);
  EXPECT_NEAR(b[2].get<double>(), -73.70, 0.01);
  EXPECT_NEAR(b[3].get<double>(), 40.92, 0.01);
  auto extent = query("SELECT ST_XMin(e)::numeric(6,2) || ' ' || ST_YMax(e)::numeric(6,2) FROM "
                      "(SELECT ST_Extent(geom) AS e FROM geo.\"" + table(r) + "\") x");
  EXPECT_EQ(extent, "-74.26 40.92");
  EXPECT_EQ(gpkg_features(req, r), 5);
}

TEST_F(vector_ingest, luxembourg_districts_keep_their_names) {
  auto r = ingest(request(copy("lux_shapefile.zip")));
  EXPECT_EQ(r["facts"]["feature_count"], 12);
  EXPECT_EQ(query("SELECT string_agg(DISTINCT name_1, ',' ORDER BY name_1) FROM geo.\"" +
                  table(r) + "\""),
            "Diekirch,Grevenmacher,Luxembourg");
  EXPECT_EQ(column_type(table(r), "pop"), "bigint");
}

TEST_F(vector_ingest, a_latin1_shapefile_arrives_as_utf8) {
  gp::io::geodata::ensure_gdal();
  auto dir = root / "bronze" / "latin";
  {
    auto* drv = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
    GDALDatasetUniquePtr ds{drv->Create(dir.c_str(), 0, 0, 0, GDT_Unknown, nullptr)};
    OGRSpatialReference srs;
    srs.importFromEPSG(4326);
    const char* lco[] = {"ENCODING=ISO-8859-1", nullptr};
    auto* l = ds->CreateLayer("communes", &srs, wkbPoint, const_cast<char**>(lco));
    OGRFieldDefn name{"name", OFTString};
    l->CreateField(&name);
    OGRFeature f{l->GetLayerDefn()};
    f.SetField("name", "L\xc3\xabtzebuerg");  // GDAL recodes to Latin-1 on write
    OGRPoint p{6.13, 49.61};
    f.SetGeometry(&p);
    ASSERT_EQ(l->CreateFeature(&f), OGRERR_NONE);
  }
  auto r = ingest(request((dir / "communes.shp").string()));
  EXPECT_EQ(query("SELECT name FROM geo.\"" + table(r) + "\""), "L\xc3\xabtzebuerg");
}

TEST_F(vector_ingest, a_csv_with_wkt_and_64_bit_integers) {
  auto req = request(copy("pt.csv"));
  auto r = ingest(req);
  auto t = table(r);
  EXPECT_EQ(r["facts"]["feature_count"], 3);
  EXPECT_EQ(r["facts"]["geometry_type"], "Point");
  EXPECT_EQ(r["facts"]["source_crs"], "EPSG:4326");
  EXPECT_EQ(column_type(t, "int64"), "bigint");
  EXPECT_EQ(query("SELECT int64 FROM geo.\"" + t + "\" WHERE id = 2"), "4294967297");
  EXPECT_EQ(query("SELECT count(*) FROM geo.\"" + t + "\" WHERE int64 IS NULL"), "1");
  EXPECT_EQ(query("SELECT ST_AsText(geom) FROM geo.\"" + t + "\" WHERE id = 2"), "POINT(44 55)");
  EXPECT_EQ(column_type(t, "wkt"), "");  // the geometry column is not kept as text
  EXPECT_EQ(gpkg_features(req, r), 3);
}

TEST_F(vector_ingest, a_csv_with_lon_lat_columns) {
  auto src = write("stations.csv",
                   "id,Longitude,Latitude,label\n1,6.13,49.61,Luxembourg\n2,6.37,49.51,"
                   "Remich\n3,,,nowhere\n");
  auto r = ingest(request(src));
  auto t = table(r);
  EXPECT_EQ(r["facts"]["feature_count"], 2);
  EXPECT_EQ(r["facts"]["warnings"]["empty_geometries"], 1);
  EXPECT_EQ(query("SELECT ST_AsText(geom) FROM geo.\"" + t + "\" WHERE label = 'Remich'"),
            "POINT(6.37 49.51)");
  EXPECT_EQ(column_type(t, "longitude"), "double precision");
}

TEST_F(vector_ingest, csv_columns_and_crs_named_in_the_processing_config) {
  // Web Mercator metres around Luxembourg City.
  auto src = write("metres.csv", "easting;northing;name\n682000;6379000;Luxembourg\n");
  auto r = ingest(request(
    src, {{"lon_column", "easting"}, {"lat_column", "northing"}, {"source_crs", "EPSG:3857"}}));
  EXPECT_EQ(r["facts"]["source_crs"], "EPSG:3857");
  auto b = r["facts"]["bbox"];
  EXPECT_NEAR(b[0].get<double>(), 6.126, 0.001);
  EXPECT_NEAR(b[1].get<double>(), 49.61, 0.01);
}

TEST_F(vector_ingest, a_csv_in_latin1_is_recoded) {
  auto src = write("latin.csv", "id,lon,lat,name\n1,6.1,49.6,L\xebtzebuerg\n");
  auto r = ingest(request(src));
  EXPECT_EQ(query("SELECT name FROM geo.\"" + table(r) + "\""), "L\xc3\xabtzebuerg");
  EXPECT_EQ(r["facts"]["warnings"]["recoded_texts"], 1);
}

TEST_F(vector_ingest, geojson_types_columns_and_mixed_polygons) {
  auto src = write("parks.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"Pop Est": 1, "pop_est": 2.5, "geom": "x", "ok": true,
       "big": 9007199254740993, "tags": ["a", "b"], "label": "tab\there"},
     "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
    {"type": "Feature", "properties": {"Pop Est": 3, "pop_est": null, "geom": "y", "ok": false,
       "big": 1, "tags": [], "label": "back\\slash"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[2,2],[3,2],[3,3],[2,2]]],
                                                          [[[4,4],[5,4],[5,5],[4,4]]]]}}]})");
  auto req = request(src);
  auto r = ingest(req);
  auto t = table(r);
  EXPECT_EQ(r["facts"]["geometry_type"], "MultiPolygon");
  std::vector<std::string> names;
  for (const auto& c : r["facts"]["columns"])
    names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"pop_est", "pop_est_2", "geom_1", "ok", "big",
                                             "tags", "label"}));
  EXPECT_EQ(r["facts"]["columns"][1]["source_name"], "pop_est");
  EXPECT_EQ(column_type(t, "ok"), "boolean");
  EXPECT_EQ(column_type(t, "big"), "bigint");
  EXPECT_EQ(column_type(t, "tags"), "jsonb");
  EXPECT_EQ(query("SELECT big FROM geo.\"" + t + "\" WHERE fid = 1"), "9007199254740993");
  EXPECT_EQ(query("SELECT tags::text FROM geo.\"" + t + "\" WHERE fid = 1"), "[\"a\", \"b\"]");
  EXPECT_EQ(query("SELECT label FROM geo.\"" + t + "\" WHERE fid = 1"), "tab\there");
  EXPECT_EQ(query("SELECT label FROM geo.\"" + t + "\" WHERE fid = 2"), "back\\slash");
  EXPECT_EQ(query("SELECT ST_NumGeometries(geom) FROM geo.\"" + t + "\" WHERE fid = 1"), "1");
  EXPECT_EQ(gpkg_features(req, r), 2);
}

TEST_F(vector_ingest, an_invalid_bow_tie_polygon_is_repaired) {
  auto src = write("bowtie.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"n": 1},
     "geometry": {"type": "Polygon", "coordinates": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}},
    {"type": "Feature", "properties": {"n": 2},
     "geometry": {"type": "Polygon", "coordinates": [[[5,5],[6,5],[6,6],[5,6],[5,5]]]}}]})");
  auto r = ingest(request(src));
  auto t = table(r);
  EXPECT_EQ(r["facts"]["warnings"]["repaired_geometries"], 1);
  EXPECT_EQ(r["facts"]["geometry_type"], "MultiPolygon");
  EXPECT_EQ(query("SELECT bool_and(ST_IsValid(geom))::text FROM geo.\"" + t + "\""), "true");
  EXPECT_EQ(query("SELECT ST_Area(geom) FROM geo.\"" + t + "\" WHERE n = 1"), "2");
}

TEST_F(vector_ingest, empty_and_null_geometries_are_dropped_and_counted) {
  auto src = write("holes.geojson", R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"n": 1}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
    {"type": "Feature", "properties": {"n": 2}, "geometry": null},
    {"type": "Feature", "properties": {"n": 3}, "geometry": {"type": "Point", "coordinates": []}},
    {"type": "Feature", "properties": {"n": 4}, "geometry": {"type": "Point", "coordinates": [3, 4]}}]})");
  auto r = ingest(request(src));
  EXPECT_EQ(r["facts"]["feature_count"], 2);
  EXPECT_EQ(r["facts"]["warnings"]["empty_geometries"], 2);
  EXPECT_EQ(query("SELECT string_agg(n::text || ':' || fid, ',' ORDER BY fid) FROM geo.\"" +
                  table(r) + "\""),
            "1:1,4:2");
}

TEST_F(vector_ingest, kml_placemarks) {
  auto src = write("places.kml", R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>places</name>
<Placemark><name>Vianden</name><Point><coordinates>6.2066,49.9347,0</coordinates></Point></Placemark>
<Placemark><name>Clervaux</name><Point><coordinates>6.0275,50.0547,0</coordinates></Point></Placemark>
<Placemark><name>Remich</name><Point><coordinates>6.3675,49.5447,0</coordinates></Point></Placemark>
</Document></kml>)");
  auto req = request(src);
  auto r = ingest(req);
  EXPECT_EQ(r["facts"]["feature_count"], 3);
  EXPECT_EQ(r["facts"]["geometry_type"], "Point");
  EXPECT_EQ(query("SELECT ST_AsText(geom) FROM geo.\"" + table(r) + "\" WHERE name = 'Remich'"),
            "POINT(6.3675 49.5447)");
  EXPECT_EQ(gpkg_features(req, r), 3);
}

/// A GeoPackage with layers roads (3 lines) and rivers (2 lines).
std::string make_two_layer_gpkg(const fs::path& path) {
  gp::io::geodata::ensure_gdal();
  auto* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  GDALDatasetUniquePtr ds{drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr)};
  OGRSpatialReference srs;
  srs.importFromEPSG(4326);
  for (auto [name, n] : {std::pair{"roads", 3}, std::pair{"rivers", 2}}) {
    auto* l = ds->CreateLayer(name, &srs, wkbLineString, nullptr);
    OGRFieldDefn label{"label", OFTString};
    l->CreateField(&label);
    for (int i = 0; i < n; ++i) {
      OGRFeature f{l->GetLayerDefn()};
      f.SetField("label", (std::string{name} + std::to_string(i)).c_str());
      OGRLineString line;
      line.addPoint(i, 0);
      line.addPoint(i + 1, 1);
      f.SetGeometry(&line);
      EXPECT_EQ(l->CreateFeature(&f), OGRERR_NONE);
    }
  }
  return path.string();
}

TEST_F(vector_ingest, a_json_value_that_jsonb_refuses_is_null_not_a_failed_load) {
  // JSON allows the escape \u0000; jsonb does not. One such value (in a GeoPackage's JSON
  // column) must not fail the COPY of the whole layer.
  gp::io::geodata::ensure_gdal();
  auto path = root / "bronze" / "nul.gpkg";
  {
    auto* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    GDALDatasetUniquePtr ds{drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr)};
    OGRSpatialReference srs;
    srs.importFromEPSG(4326);
    auto* l = ds->CreateLayer("tagged", &srs, wkbPoint, nullptr);
    OGRFieldDefn tags{"tags", OFTString};
    tags.SetSubType(OFSTJSON);
    l->CreateField(&tags);
    for (const char* v : {R"(["a\u0000b"])", R"(["c"])"}) {
      OGRFeature f{l->GetLayerDefn()};
      f.SetField("tags", v);
      OGRPoint p{1, 2};
      f.SetGeometry(&p);
      EXPECT_EQ(l->CreateFeature(&f), OGRERR_NONE);
    }
  }
  auto r = ingest(request(path.string()));
  auto t = table(r);
  EXPECT_EQ(r["facts"]["feature_count"], 2);
  EXPECT_EQ(column_type(t, "tags"), "jsonb");
  EXPECT_EQ(query("SELECT count(*) FROM geo.\"" + t + "\" WHERE tags IS NULL"), "1");
  EXPECT_EQ(query("SELECT tags::text FROM geo.\"" + t + "\" WHERE fid = 2"), "[\"c\"]");
}

TEST_F(vector_ingest, a_geopackage_layer_is_chosen_by_name) {
  auto src = make_two_layer_gpkg(root / "bronze" / "two.gpkg");
  auto r = ingest(request(src, {{"layer_name", "rivers"}}));
  EXPECT_EQ(r["facts"]["feature_count"], 2);
  EXPECT_EQ(r["facts"]["geometry_type"], "LineString");
  EXPECT_EQ(query("SELECT string_agg(label, ',' ORDER BY fid) FROM geo.\"" + table(r) + "\""),
            "rivers0,rivers1");
  auto f = failure(request(src));
  EXPECT_EQ(f.code, "layer_required");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("roads, rivers"), std::string::npos) << f.what();
  EXPECT_NE(std::string{f.what()}.find("layer_name"), std::string::npos) << f.what();
  f = failure(request(src, {{"layer_name", "lakes"}}));
  EXPECT_EQ(f.code, "layer_not_found");
  EXPECT_NE(std::string{f.what()}.find("'lakes'"), std::string::npos) << f.what();
}

TEST_F(vector_ingest, a_rerun_replaces_the_table_and_its_catalogue_row) {
  auto req = request(copy("naturalearth_cities.zip"));
  auto first = ingest(req);
  auto second = ingest(req);
  EXPECT_EQ(first["outputs"], second["outputs"]);
  EXPECT_EQ(count(table(second)), 243);
  EXPECT_EQ(query("SELECT count(*) FROM platform.vector_layers"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'geo'"), "1");
  EXPECT_EQ(gpkg_features(req, second), 243);
  expect_no_partial_files(req);
  // A finalize run again after it succeeded (its answer lost) finds the work done.
  json load = run_job("ingest_vector", req)[1][0];
  auto params = json{{"request", req}, {"load", load}};
  run_task("vector_finalize", params);
  EXPECT_EQ(run_task("vector_finalize", params, 2)["facts"]["feature_count"], 243);
  EXPECT_EQ(count(table(second)), 243);
}

TEST_F(vector_ingest, stac_catalog_vectors_reads_the_layer_facts) {
  auto req = request(copy("naturalearth_cities.zip"));
  try {
    run_job("stac_catalog_vectors", req);
    ADD_FAILURE() << "a layer that was never loaded has no facts";
  } catch (const gp::io::jobs::task_failure& f) {
    EXPECT_EQ(f.code, "layer_not_loaded");
    EXPECT_TRUE(f.permanent);
  }
  ingest(req);
  auto stac = run_job("stac_catalog_vectors", req).back().at(0)["stac"];
  EXPECT_EQ(stac["feature_count"], 243);
  EXPECT_EQ(stac["geometry_type"], "Point");
  EXPECT_EQ(stac["source_crs"], "EPSG:4326");
  EXPECT_EQ(stac["bbox"].size(), 4u);
  EXPECT_EQ(stac["request_id"], gp::io::http::request_id_for("ddh", "d", "main", "v1"));
}

TEST_F(vector_ingest, stac_catalog_vectors_gives_the_hull_geometry_types_and_time_range) {
  auto src = write("events.csv",
                   "id,lon,lat,Observed At\n1,6.0,49.5,2024-03-01\n2,6.5,49.5,2025-07-15T12:30:00Z\n"
                   "3,6.2,50.1,\n4,6.1,49.8,2024-11-30 08:00:00+02\n");
  auto req = request(src, {{"datetime_column", "Observed At"}});
  ingest(req);
  auto out = run_job("stac_catalog_vectors", req).back().at(0);
  const auto& fp = out["footprint"];
  EXPECT_EQ(fp["geometry_types"], json::array({"Point"}));
  EXPECT_EQ(fp["hull"]["type"], "Polygon");  // three corners: (6, 49.5), (6.5, 49.5), (6.2, 50.1)
  EXPECT_EQ(fp["hull"]["coordinates"][0].size(), 4u);
  // Empty cells are left out; every value is read as a time, the range is in UTC.
  EXPECT_EQ(fp["start_datetime"], "2024-03-01T00:00:00Z");
  EXPECT_EQ(fp["end_datetime"], "2025-07-15T12:30:00Z");
  // Without a time column: no range.
  auto plain = request(copy("naturalearth_cities.zip"));
  ingest(plain);
  auto cities = run_job("stac_catalog_vectors", plain).back().at(0)["footprint"];
  EXPECT_TRUE(cities["start_datetime"].is_null());
  EXPECT_EQ(cities["geometry_types"], json::array({"Point"}));
}

TEST_F(vector_ingest, a_layer_across_the_antimeridian_has_a_split_hull_and_west_east_bounds) {
  auto src = write("fiji.csv", "id,lon,lat\n1,177.5,-17.5\n2,179.9,-16.2\n3,-179.8,-16.8\n"
                               "4,-178.5,-19.0\n5,178.0,-19.1\n");
  auto req = request(src);
  ingest(req);
  auto fp = run_job("stac_catalog_vectors", req).back().at(0)["footprint"];
  ASSERT_EQ(fp["bounds"].size(), 4u) << fp.dump();
  // West of east: the box crosses 180° (STAC and RFC 7946 §5.2), not the whole globe.
  EXPECT_NEAR(fp["bounds"][0].get<double>(), 177.5, 1e-6);
  EXPECT_NEAR(fp["bounds"][2].get<double>(), -178.5, 1e-6);
  EXPECT_NEAR(fp["bounds"][1].get<double>(), -19.1, 1e-6);
  // The hull, split at 180°: every longitude is within ±180 and no part spans the globe.
  EXPECT_EQ(fp["hull"]["type"], "MultiPolygon") << fp["hull"].dump();
  for (const auto& part : fp["hull"]["coordinates"]) {
    double lo = 180, hi = -180;
    for (const auto& p : part[0]) {
      lo = std::min(lo, p[0].get<double>());
      hi = std::max(hi, p[0].get<double>());
    }
    EXPECT_LT(hi - lo, 5.0) << part.dump();
  }
  // A layer on one side of it keeps a plain hull and bounds.
  auto plain = request(copy("naturalearth_cities.zip"));
  ingest(plain);
  auto cities = run_job("stac_catalog_vectors", plain).back().at(0)["footprint"];
  EXPECT_LT(cities["bounds"][0].get<double>(), cities["bounds"][2].get<double>());
}

TEST_F(vector_ingest, a_datetime_column_that_is_missing_or_not_a_time_fails_naming_it) {
  auto src = write("labels.csv", "id,lon,lat,label\n1,6.0,49.5,spring\n");
  auto missing = request(src, {{"datetime_column", "when"}});
  ingest(missing);
  auto f = failure_of("stac_catalog_vectors", missing);
  EXPECT_EQ(f.code, "column_not_found");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("when"), std::string::npos) << f.what();
  EXPECT_NE(std::string{f.what()}.find("label"), std::string::npos) << f.what();
  f = failure_of("stac_catalog_vectors", request(src, {{"datetime_column", "label"}}));
  EXPECT_EQ(f.code, "datetime_column_not_a_time");
  EXPECT_TRUE(f.permanent);
  EXPECT_NE(std::string{f.what()}.find("spring"), std::string::npos) << f.what();
}

}  // namespace
