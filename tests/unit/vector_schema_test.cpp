// The pure rules of vector ingest: column names, staging names, type mapping, CSV geometry
// columns, UTF-8 repair and COPY escaping.
#include "io/geodata/vector_schema.hpp"

#include <gtest/gtest.h>

#include "io/geodata/naming.hpp"

using namespace gp::io::geodata;

TEST(vector_schema, column_names_are_sanitized_and_unique) {
  auto names = unique_column_names({"Name", "NAME", "name ", "Pop Est", "2020", "fid", "GEOM",
                                    "", "Ünïcode", "name_2"});
  std::vector<std::string> want{"name",    "name_2", "name_3", "pop_est", "c_2020",
                                "fid_1",   "geom_1", "column", "n_code",  "name_2_2"};
  EXPECT_EQ(names, want);
}

TEST(vector_schema, long_duplicate_names_stay_within_63_bytes) {
  std::string long_name(80, 'a');
  auto names = unique_column_names({long_name, long_name + "b", long_name + "c"});
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], std::string(63, 'a'));
  EXPECT_EQ(names[1], std::string(61, 'a') + "_2");
  EXPECT_EQ(names[2], std::string(61, 'a') + "_3");
}

TEST(vector_schema, staging_names_keep_the_hash_and_never_equal_a_table) {
  auto table = table_name_for("ddh", "roads", "main", "v1");
  EXPECT_EQ(staging_table_name(table), "_stg_" + table);
  auto long_table = table_name_for("ddh", std::string(200, 'x'), "main", "v1");
  ASSERT_EQ(long_table.size(), 63u);
  auto staging = staging_table_name(long_table);
  EXPECT_EQ(staging.size(), 63u);
  EXPECT_EQ(staging.rfind("_stg_", 0), 0u);
  EXPECT_EQ(staging.substr(staging.size() - 11), long_table.substr(long_table.size() - 11));
  EXPECT_NE(staging_table_name(table_name_for("ddh", std::string(200, 'x'), "main", "v2")),
            staging);
}

TEST(vector_schema, ogr_field_types_map_to_postgresql_types) {
  EXPECT_EQ(pg_type_for(OFTInteger, OFSTNone), "integer");
  EXPECT_EQ(pg_type_for(OFTInteger, OFSTBoolean), "boolean");
  EXPECT_EQ(pg_type_for(OFTInteger, OFSTInt16), "integer");
  EXPECT_EQ(pg_type_for(OFTInteger64, OFSTNone), "bigint");
  EXPECT_EQ(pg_type_for(OFTReal, OFSTNone), "double precision");
  EXPECT_EQ(pg_type_for(OFTReal, OFSTFloat32), "double precision");
  EXPECT_EQ(pg_type_for(OFTString, OFSTNone), "text");
  EXPECT_EQ(pg_type_for(OFTString, OFSTJSON), "jsonb");
  EXPECT_EQ(pg_type_for(OFTDate, OFSTNone), "date");
  EXPECT_EQ(pg_type_for(OFTTime, OFSTNone), "time");
  EXPECT_EQ(pg_type_for(OFTDateTime, OFSTNone), "timestamptz");
  EXPECT_EQ(pg_type_for(OFTBinary, OFSTNone), "bytea");
  for (auto list : {OFTIntegerList, OFTInteger64List, OFTRealList, OFTStringList})
    EXPECT_EQ(pg_type_for(list, OFSTNone), "jsonb");
}

TEST(vector_schema, geometry_type_names_are_postgis_names) {
  EXPECT_EQ(postgis_type_name(wkbPoint), "Point");
  EXPECT_EQ(postgis_type_name(wkbMultiPolygon), "MultiPolygon");
  EXPECT_EQ(postgis_type_name(wkbLineString25D), "LineString");
  EXPECT_EQ(postgis_type_name(wkbGeometryCollection), "GeometryCollection");
  EXPECT_EQ(postgis_type_name(wkbUnknown), "Geometry");
  EXPECT_EQ(postgis_type_name(wkbCurvePolygon), "Geometry");
}

TEST(vector_schema, csv_lon_lat_columns_are_found_by_common_names) {
  auto g = detect_csv_geometry({"id", "Longitude", " LATITUDE ", "name"}, "", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::lon_lat);
  EXPECT_EQ(g.lon, "Longitude");
  EXPECT_EQ(g.lat, " LATITUDE ");
  g = detect_csv_geometry({"X", "Y"}, "", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::lon_lat);
  g = detect_csv_geometry({"lng", "lat"}, "", "", "");
  EXPECT_EQ(g.lon + "," + g.lat, "lng,lat");
}

TEST(vector_schema, csv_wkt_is_preferred_to_lon_lat) {
  auto g = detect_csv_geometry({"lon", "lat", "WKT"}, "", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::wkt);
  EXPECT_EQ(g.wkt, "WKT");
  g = detect_csv_geometry({"the_geom", "a"}, "", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::wkt);
  EXPECT_EQ(g.wkt, "the_geom");
}

TEST(vector_schema, csv_columns_named_by_the_client_must_exist) {
  auto g = detect_csv_geometry({"easting", "northing", "lat"}, "easting", "northing", "");
  EXPECT_EQ(g.found, csv_geometry::kind::lon_lat);
  EXPECT_EQ((g.lon + "," + g.lat), "easting,northing");
  g = detect_csv_geometry({"e", "lat"}, "easting", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::none);
  EXPECT_EQ(g.missing_key, "lon_column");
  g = detect_csv_geometry({"e", "lon"}, "", "northing", "");
  EXPECT_EQ(g.missing_key, "lat_column");
  g = detect_csv_geometry({"lon", "lat"}, "", "", "shape");
  EXPECT_EQ(g.found, csv_geometry::kind::none);
  EXPECT_EQ(g.missing_key, "wkt_column");
  // The client's lon column with the latitude found by name.
  g = detect_csv_geometry({"E", "latitude"}, "e", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::lon_lat);
  EXPECT_EQ(g.lat, "latitude");
}

TEST(vector_schema, csv_without_geometry_columns) {
  auto g = detect_csv_geometry({"id", "name", "lon"}, "", "", "");
  EXPECT_EQ(g.found, csv_geometry::kind::none);
  EXPECT_TRUE(g.missing_key.empty());
  EXPECT_TRUE(g.lon.empty());
}

TEST(vector_schema, utf8_is_checked_and_repaired) {
  EXPECT_TRUE(valid_utf8("plain ascii text, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("L\xc3\xabtzebuerg"));
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x97\xba"));
  EXPECT_FALSE(valid_utf8("L\xebtzebuerg"));        // Latin-1
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));             // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));         // surrogate
  EXPECT_FALSE(valid_utf8("abc\xe2\x82"));          // cut short
  EXPECT_EQ(repair_utf8("L\xebtzebuerg"), "L\xc3\xabtzebuerg");
  EXPECT_EQ(repair_utf8("\x80 and \xc3\xa9"), "\xe2\x82\xac and \xc3\xa9");  // € kept with é
  EXPECT_EQ(repair_utf8("\x81"), "\xef\xbf\xbd");  // undefined in Windows-1252
  EXPECT_EQ(repair_utf8("ok"), "ok");
}

TEST(vector_schema, copy_text_is_escaped) {
  std::string out;
  append_copy_escaped(out, "a\tb\nc\\d\re");
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\re");
  out.clear();
  append_copy_escaped(out, "nothing to escape");
  EXPECT_EQ(out, "nothing to escape");
}
