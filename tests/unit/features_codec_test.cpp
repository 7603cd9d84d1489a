// OGC API - Features parameters and documents: every bad bbox, limit, offset and f value is
// refused naming the parameter; limits are clamped; links carry the normalised query.
#include "io/http/features_codec.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace gp;
using json = nlohmann::json;
using io::http::field_error;

namespace {

/// The errors of an items query, as "field: message" lines.
std::vector<field_error> items_errors(const std::string& query) {
  std::vector<field_error> errors;
  io::http::parse_items_query(query, errors);
  return errors;
}

/// The single error of an items query; fails the test unless there is exactly one.
field_error one_error(const std::string& query) {
  auto errors = items_errors(query);
  EXPECT_EQ(errors.size(), 1u) << query;
  return errors.empty() ? field_error{} : errors[0];
}

items_selection parse_ok(const std::string& query) {
  std::vector<field_error> errors;
  auto s = io::http::parse_items_query(query, errors);
  EXPECT_TRUE(errors.empty()) << query << ": " << (errors.empty() ? "" : errors[0].message);
  return s;
}

vector_layer layer() {
  vector_layer l;
  l.table_name = "ddh_countries_1";
  l.request_id = std::string(32, 'a');
  l.client_id = "ddh";
  l.title = "Countries";
  l.feature_count = 177;
  l.geometry_type = "MultiPolygon";
  l.bbox = std::array<double, 4>{-180, -90, 180, 83.6};
  return l;
}

json links_by_rel(const json& doc) {
  json out = json::object();
  for (const auto& l : doc["links"])
    out[l["rel"].get<std::string>()] = l;
  return out;
}

}  // namespace

TEST(features_codec, defaults_are_limit_10_offset_0_no_bbox) {
  auto s = parse_ok("");
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.offset, 0);
  EXPECT_FALSE(s.box);
}

TEST(features_codec, reads_bbox_limit_offset_and_f) {
  auto s = parse_ok("bbox=5.7,49.4,6.6,50.2&limit=25&offset=50&f=geojson");
  EXPECT_EQ(s.limit, 25);
  EXPECT_EQ(s.offset, 50);
  ASSERT_TRUE(s.box);
  EXPECT_DOUBLE_EQ(s.box->min_lon, 5.7);
  EXPECT_DOUBLE_EQ(s.box->min_lat, 49.4);
  EXPECT_DOUBLE_EQ(s.box->max_lon, 6.6);
  EXPECT_DOUBLE_EQ(s.box->max_lat, 50.2);
  EXPECT_EQ(parse_ok("f=json").limit, 10);
}

TEST(features_codec, bbox_accepts_percent_encoding_exponents_signs_and_spaces) {
  auto s = parse_ok("bbox=-1.5e1%2C%2B1,%2010%20,2E1");
  ASSERT_TRUE(s.box);
  EXPECT_DOUBLE_EQ(s.box->min_lon, -15);
  EXPECT_DOUBLE_EQ(s.box->min_lat, 1);
  EXPECT_DOUBLE_EQ(s.box->max_lon, 10);
  EXPECT_DOUBLE_EQ(s.box->max_lat, 20);
  // What GDAL sends (%.18g).
  EXPECT_TRUE(parse_ok("bbox=-10.0000000000000000,-5.00000000000000000,10,5").box);
}

TEST(features_codec, a_bbox_across_the_antimeridian_is_kept_as_given) {
  auto s = parse_ok("bbox=170,-20,-170,20");
  ASSERT_TRUE(s.box);
  EXPECT_DOUBLE_EQ(s.box->min_lon, 170);
  EXPECT_DOUBLE_EQ(s.box->max_lon, -170);
}

TEST(features_codec, every_bad_bbox_is_refused_naming_bbox_and_why) {
  struct bad {
    const char* query;
    const char* why;
  };
  for (const auto& b : std::vector<bad>{
         {"bbox=", "must be 4 comma-separated numbers"},
         {"bbox", "must be 4 comma-separated numbers"},
         {"bbox=1,2,3", "must be 4 comma-separated numbers"},
         {"bbox=1,2,3,4,5", "must be 4 comma-separated numbers"},
         {"bbox=1,2,3,4,5,6,7", "must be 4 comma-separated numbers"},
         {"bbox=1,2,0,3,4,5", "3D bounding box (6 numbers) is not supported"},
         {"bbox=a,2,3,4", "'a' is not a number"},
         {"bbox=1,,3,4", "'' is not a number"},
         {"bbox=1,2,3,4x", "'4x' is not a number"},
         {"bbox=0x10,2,3,4", "'0x10' is not a number"},
         {"bbox=nan,2,3,4", "'nan' is not a number"},
         {"bbox=1,inf,3,4", "'inf' is not a number"},
         {"bbox=1,2,1e999,4", "'1e999' is not a number"},
         {"bbox=--1,2,3,4", "'--1' is not a number"},
         {"bbox=1;2;3;4", "must be 4 comma-separated numbers"},
         {"bbox=-181,0,10,10", "longitudes (minx, maxx) must be within -180 to 180"},
         {"bbox=0,0,180.5,10", "longitudes (minx, maxx) must be within -180 to 180"},
         {"bbox=0,-91,10,10", "latitudes (miny, maxy) must be within -90 to 90"},
         {"bbox=0,0,10,90.01", "latitudes (miny, maxy) must be within -90 to 90"},
         {"bbox=0,10,10,5", "miny must not be greater than maxy"},
       }) {
    auto e = one_error(b.query);
    EXPECT_EQ(e.field, "bbox") << b.query;
    EXPECT_NE(e.message.find(b.why), std::string::npos) << b.query << " → " << e.message;
  }
}

TEST(features_codec, limit_is_clamped_to_10000) {
  EXPECT_EQ(parse_ok("limit=10000").limit, 10000);
  EXPECT_EQ(parse_ok("limit=10001").limit, 10000);
  EXPECT_EQ(parse_ok("limit=99999999999999999999999").limit, 10000);
  EXPECT_EQ(parse_ok("limit=1").limit, 1);
  EXPECT_EQ(parse_ok("limit=007").limit, 7);
  EXPECT_EQ(parse_ok("limit=00000000000000000000005").limit, 5);
}

TEST(features_codec, every_bad_limit_is_refused_naming_limit) {
  for (const char* q : {"limit=0", "limit=000", "limit=-1", "limit=", "limit", "limit=ten",
                        "limit=1.5", "limit=1e3", "limit=+5", "limit=%205", "limit=5%20",
                        "limit=0x10"}) {
    auto e = one_error(q);
    EXPECT_EQ(e.field, "limit") << q;
    EXPECT_EQ(e.message, "must be a whole number from 1 (values above 10000 are lowered to 10000)")
      << q;
  }
}

TEST(features_codec, every_bad_offset_is_refused_naming_offset) {
  for (const char* q : {"offset=-1", "offset=", "offset", "offset=x", "offset=1.0", "offset=+1",
                        "offset=1e2"}) {
    auto e = one_error(q);
    EXPECT_EQ(e.field, "offset") << q;
    EXPECT_EQ(e.message, "must be a whole number from 0") << q;
  }
  auto big = one_error("offset=1000000000000000000");
  EXPECT_EQ(big.field, "offset");
  EXPECT_EQ(big.message, "must be less than 10^18");
  EXPECT_EQ(parse_ok("offset=999999999999999999").offset, 999999999999999999);
  EXPECT_EQ(parse_ok("offset=0").offset, 0);
  EXPECT_EQ(parse_ok("offset=0000000000000000000000012").offset, 12);
}

TEST(features_codec, unknown_repeated_and_temporal_parameters_are_refused_by_name) {
  auto e = one_error("limit=5&sortby=name");
  EXPECT_EQ(e.field, "sortby");
  EXPECT_EQ(e.message, "is not a parameter of this operation (accepted: bbox, f, limit, offset)");
  e = one_error("limit=5&limit=6");
  EXPECT_EQ(e.field, "limit");
  EXPECT_EQ(e.message, "is given more than once");
  e = one_error("datetime=2020-01-01T00:00:00Z");
  EXPECT_EQ(e.field, "datetime");
  EXPECT_EQ(e.message, "is not supported: the collections have no temporal property");
  e = one_error("f=html");
  EXPECT_EQ(e.field, "f");
  EXPECT_EQ(e.message, "must be json or geojson (only GeoJSON is offered)");
  // Names are percent-decoded before they are compared; empty pairs are skipped.
  EXPECT_EQ(parse_ok("%6Cimit=3&&").limit, 3);
}

TEST(features_codec, every_bad_parameter_is_listed_at_once) {
  auto errors = items_errors("bbox=1,2&limit=0&offset=-3&crs=x");
  ASSERT_EQ(errors.size(), 4u);
  std::vector<std::string> fields;
  for (const auto& e : errors)
    fields.push_back(e.field);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"bbox", "crs", "limit", "offset"}));
}

TEST(features_codec, plain_routes_take_only_f) {
  std::vector<field_error> errors;
  io::http::check_plain_query("", false, errors);
  io::http::check_plain_query("f=json", false, errors);
  io::http::check_plain_query("f=geojson", true, errors);
  EXPECT_TRUE(errors.empty());
  io::http::check_plain_query("f=geojson", false, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "f");
  EXPECT_EQ(errors[0].message, "must be json (only JSON is offered)");
  errors.clear();
  io::http::check_plain_query("limit=3", false, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "limit");
  EXPECT_EQ(errors[0].message, "is not a parameter of this operation (accepted: f)");
}

TEST(features_codec, collection_ids_are_catalogue_table_names) {
  for (const std::string& ok :
       {std::string{"a"}, std::string{"_"}, std::string{"ddh_countries_0123456789"},
        std::string(63, 'x')})
    EXPECT_TRUE(io::http::is_collection_id(ok)) << ok;
  for (const std::string& bad :
       {std::string{}, std::string(64, 'x'), std::string{"1abc"}, std::string{"Abc"},
        std::string{"a-b"}, std::string{"a.b"}, std::string{"a%20b"}, std::string{"a\"b"},
        std::string{"geo.x"}, std::string{"x;drop"}})
    EXPECT_FALSE(io::http::is_collection_id(bad)) << bad;
}

TEST(features_codec, feature_ids_are_64_bit_integers) {
  EXPECT_EQ(io::http::parse_feature_id("0"), 0);
  EXPECT_EQ(io::http::parse_feature_id("42"), 42);
  EXPECT_EQ(io::http::parse_feature_id("-7"), -7);
  EXPECT_EQ(io::http::parse_feature_id("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "-", "+1", "1.0", "1e3", "abc", " 1", "9223372036854775808",
                          "99999999999999999999999", "0x1"})
    EXPECT_FALSE(io::http::parse_feature_id(bad)) << bad;
}

TEST(features_codec, landing_page_and_conformance) {
  auto landing = io::http::features_landing("http://h:1");
  auto links = links_by_rel(landing);
  EXPECT_EQ(links["self"]["href"], "http://h:1/features");
  EXPECT_EQ(links["conformance"]["href"], "http://h:1/features/conformance");
  EXPECT_EQ(links["data"]["href"], "http://h:1/features/collections");
  EXPECT_EQ(links["data"]["type"], "application/json");
  EXPECT_EQ(links["service-desc"]["href"], "http://h:1/openapi.json");
  EXPECT_EQ(links["service-desc"]["type"], "application/vnd.oai.openapi+json;version=3.1");
  auto classes = io::http::features_conformance()["conformsTo"];
  EXPECT_EQ(classes, json::array({"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                                  "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"}));
}

TEST(features_codec, a_collection_has_its_extent_crs_and_item_links) {
  auto c = io::http::collection_body(layer(), "http://h:1");
  EXPECT_EQ(c["id"], "ddh_countries_1");
  EXPECT_EQ(c["title"], "Countries");
  EXPECT_EQ(c["itemType"], "feature");
  EXPECT_EQ(c["extent"]["spatial"]["bbox"], json::parse("[[-180, -90, 180, 83.6]]"));
  EXPECT_EQ(c["extent"]["spatial"]["crs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
  EXPECT_EQ(c["crs"], json::array({"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}));
  auto links = links_by_rel(c);
  EXPECT_EQ(links["self"]["href"], "http://h:1/features/collections/ddh_countries_1");
  EXPECT_EQ(links["items"]["href"], "http://h:1/features/collections/ddh_countries_1/items");
  EXPECT_EQ(links["items"]["type"], "application/geo+json");
  auto empty = layer();
  empty.bbox.reset();
  EXPECT_FALSE(io::http::collection_body(empty, "http://h:1").contains("extent"));
  auto list = io::http::collections_body({layer(), empty}, "http://h:1");
  EXPECT_EQ(list["collections"].size(), 2u);
  EXPECT_EQ(links_by_rel(list)["self"]["href"], "http://h:1/features/collections");
}

TEST(features_codec, an_items_page_links_next_until_the_last_page) {
  items_selection s;
  s.limit = 10;
  s.offset = 10;
  s.box = lon_lat_box{-10.5, 0, 10, 0.1};
  items_page p;
  p.matched = 25;
  p.returned = 10;
  p.features = R"([{"type":"Feature","id":11,"geometry":null,"properties":{}}])";
  auto doc = json::parse(io::http::items_body(layer(), s, p, "http://h:1"));
  EXPECT_EQ(doc["type"], "FeatureCollection");
  EXPECT_EQ(doc["numberMatched"], 25);
  EXPECT_EQ(doc["numberReturned"], 10);
  EXPECT_EQ(doc["features"][0]["id"], 11);
  auto links = links_by_rel(doc);
  auto items = std::string{"http://h:1/features/collections/ddh_countries_1/items?"};
  EXPECT_EQ(links["self"]["href"], items + "bbox=-10.5,0,10,0.1&limit=10&offset=10");
  EXPECT_EQ(links["next"]["href"], items + "bbox=-10.5,0,10,0.1&limit=10&offset=20");
  EXPECT_EQ(links["next"]["type"], "application/geo+json");
  EXPECT_EQ(links["prev"]["href"], items + "bbox=-10.5,0,10,0.1&limit=10&offset=0");
  EXPECT_EQ(links["collection"]["href"], "http://h:1/features/collections/ddh_countries_1");
  s.offset = 20;
  p.returned = 5;
  links = links_by_rel(json::parse(io::http::items_body(layer(), s, p, "http://h:1")));
  EXPECT_FALSE(links.contains("next"));
  s.offset = 0;
  s.box.reset();
  p.returned = 10;
  links = links_by_rel(json::parse(io::http::items_body(layer(), s, p, "http://h:1")));
  EXPECT_FALSE(links.contains("prev"));
  EXPECT_EQ(links["next"]["href"], items + "limit=10&offset=10");
}

TEST(features_codec, an_item_gets_self_and_collection_links) {
  auto doc = json::parse(io::http::item_body(
    layer(), 7, R"({"type":"Feature","id":7,"geometry":null,"properties":{"a":1}})",
    "http://h:1"));
  EXPECT_EQ(doc["properties"]["a"], 1);
  auto links = links_by_rel(doc);
  EXPECT_EQ(links["self"]["href"], "http://h:1/features/collections/ddh_countries_1/items/7");
  EXPECT_EQ(links["collection"]["href"], "http://h:1/features/collections/ddh_countries_1");
}
