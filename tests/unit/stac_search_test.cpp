// STAC API Item Search parameters: GET queries, POST bodies and the items route parsed into one
// checked search (every bad parameter refused naming it and saying why), datetime intervals,
// paging tokens, the normalised cache key and the paging links.
#include "io/stac/search_codec.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/crypto.hpp"
#include "io/http/router.hpp"

using namespace gp;
using json = nlohmann::json;
using io::http::field_error;
using io::stac::decode_token;
using io::stac::encode_token;
using io::stac::normalised;
using io::stac::parse_datetime;
using io::stac::parse_items_query;
using io::stac::parse_search_body;
using io::stac::parse_search_query;

namespace {

std::string describe(const std::vector<field_error>& errors) {
  std::string out;
  for (const auto& e : errors)
    out += e.field + ": " + e.message + "\n";
  return out;
}

stac_search get_ok(const std::string& query) {
  std::vector<field_error> errors;
  auto s = parse_search_query(query, errors);
  EXPECT_TRUE(errors.empty()) << query << "\n" << describe(errors);
  return s;
}

stac_search post_ok(const json& body) {
  std::vector<field_error> errors;
  auto s = parse_search_body(body, errors);
  EXPECT_TRUE(errors.empty()) << body.dump() << "\n" << describe(errors);
  return s;
}

/// The single error of a GET query; fails the test unless there is exactly one.
field_error get_error(const std::string& query) {
  std::vector<field_error> errors;
  parse_search_query(query, errors);
  EXPECT_EQ(errors.size(), 1u) << query << "\n" << describe(errors);
  return errors.empty() ? field_error{} : errors[0];
}

/// The single error of a POST body; fails the test unless there is exactly one.
field_error post_error(const json& body) {
  std::vector<field_error> errors;
  parse_search_body(body, errors);
  EXPECT_EQ(errors.size(), 1u) << body.dump() << "\n" << describe(errors);
  return errors.empty() ? field_error{} : errors[0];
}

/// The message of parse_datetime's refusal; "" when it accepted `text`.
std::string datetime_error(const std::string& text) {
  std::string error;
  auto t = parse_datetime(text, error);
  EXPECT_EQ(t.has_value(), error.empty()) << text;
  return t ? "" : error;
}

time_interval datetime_ok(const std::string& text) {
  std::string error;
  auto t = parse_datetime(text, error);
  EXPECT_TRUE(t) << text << ": " << error;
  return t.value_or(time_interval{});
}

/// base64url without padding, as a forger would write a token.
std::string base64url(const std::string& data) {
  auto s = io::base64_encode(data);
  s.erase(s.find_last_not_of('=') + 1);
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

json links_by_rel(const json& links) {
  json out = json::object();
  for (const auto& l : links)
    out[l["rel"].get<std::string>()] = l;
  return out;
}

const std::string polygon =
  R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]})";

}  // namespace

// GET /search

TEST(StacSearchQuery, empty_query_is_every_item_ten_at_a_time) {
  auto s = get_ok("");
  EXPECT_EQ(s.limit, io::stac::default_search_limit);
  EXPECT_FALSE(s.bbox);
  EXPECT_FALSE(s.datetime);
  EXPECT_FALSE(s.filter);
  EXPECT_FALSE(s.position);
  EXPECT_TRUE(s.collections.empty() && s.ids.empty() && s.sortby.empty());
  EXPECT_TRUE(s.intersects_geojson.empty());
}

TEST(StacSearchQuery, bbox_of_four_numbers_and_of_six_without_heights) {
  EXPECT_EQ(*get_ok("bbox=-10.5,20,30,40.25").bbox, (std::array<double, 4>{-10.5, 20, 30, 40.25}));
  EXPECT_EQ(*get_ok("bbox=1,2,-100,3,4,900").bbox, (std::array<double, 4>{1, 2, 3, 4}));
}

TEST(StacSearchQuery, bbox_across_the_antimeridian_is_allowed) {
  EXPECT_EQ(*get_ok("bbox=170,-10,-170,10").bbox, (std::array<double, 4>{170, -10, -170, 10}));
}

TEST(StacSearchQuery, bbox_of_a_wrong_count_or_not_numbers_is_refused) {
  for (const auto* q : {"bbox=1,2,3", "bbox=1,2,3,4,5", "bbox=1,2,3,4,5,6,7"}) {
    auto e = get_error(q);
    EXPECT_EQ(e.field, "bbox");
    EXPECT_EQ(e.message, "must be 4 or 6 numbers: west,south,east,north") << q;
  }
  for (const auto* q : {"bbox=1,x,3,4", "bbox=1,nan,3,4", "bbox="}) {
    auto e = get_error(q);
    EXPECT_EQ(e.field, "bbox");
    EXPECT_NE(e.message.find("is not a number"), std::string::npos) << e.message;
  }
}

TEST(StacSearchQuery, bbox_out_of_range_or_south_above_north_is_refused) {
  EXPECT_EQ(get_error("bbox=0,-91,10,10").message,
            "latitudes (south, north) must be within -90 to 90");
  EXPECT_EQ(get_error("bbox=-181,0,10,10").message,
            "longitudes (west, east) must be within -180 to 180");
  EXPECT_EQ(get_error("bbox=0,20,10,10").message, "south must not be greater than north");
}

TEST(StacSearchQuery, intersects_is_a_geojson_geometry_stored_compactly) {
  auto s = get_ok("intersects=" + io::http::encode_segment(
                                    R"({ "type": "Point", "coordinates": [ 1.5, 2 ] })"));
  EXPECT_EQ(s.intersects_geojson, R"({"coordinates":[1.5,2],"type":"Point"})");
  auto c = get_ok("intersects=" + io::http::encode_segment(
                                    R"({"type":"GeometryCollection","geometries":[)" + polygon +
                                    "]}"));
  EXPECT_EQ(json::parse(c.intersects_geojson)["geometries"][0], json::parse(polygon));
}

TEST(StacSearchQuery, intersects_not_a_geometry_is_refused) {
  for (const auto* g :
       {R"({"type":"Circle","coordinates":[0,0]})", R"({"type":"Point"})",
        R"({"type":"Point","coordinates":[0]})",
        R"({"type":"LineString","coordinates":[[0,0]]})",
        R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})",
        R"({"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":"x"}]})",
        "[1,2]", "null", "{not json"}) {
    auto e = get_error("intersects=" + io::http::encode_segment(g));
    EXPECT_EQ(e.field, "intersects") << g;
    EXPECT_NE(e.message.find("must be a GeoJSON geometry"), std::string::npos) << e.message;
  }
  EXPECT_NE(get_error("intersects=" + io::http::encode_segment(
                                        R"({"type":"Polygon","coordinates":[[[0,0],[1,1]]]})"))
              .message.find("closed"),
            std::string::npos);
}

TEST(StacSearchQuery, bbox_with_intersects_is_refused_naming_both) {
  auto e = get_error("bbox=0,0,1,1&intersects=" + io::http::encode_segment(polygon));
  EXPECT_EQ(e.field, "intersects");
  EXPECT_NE(e.message.find("bbox"), std::string::npos) << e.message;
}

TEST(StacSearchQuery, ids_and_collections_are_comma_lists_without_empty_names) {
  auto s = get_ok("ids=a,b%2Cc&collections=x");
  EXPECT_EQ(s.ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.collections, std::vector<std::string>{"x"});
  for (const auto* q : {"ids=a,,b", "ids=", "collections=a,"}) {
    auto e = get_error(q);
    EXPECT_EQ(e.field, std::string{q}.substr(0, std::string{q}.find('=')));
    EXPECT_NE(e.message.find("empty"), std::string::npos) << e.message;
  }
}

TEST(StacSearchQuery, limit_above_the_maximum_is_lowered_to_it) {
  EXPECT_EQ(get_ok("limit=1").limit, 1);
  EXPECT_EQ(get_ok("limit=10000").limit, io::stac::max_search_limit);
  EXPECT_EQ(get_ok("limit=10001").limit, io::stac::max_search_limit);
  EXPECT_EQ(get_ok("limit=99999999999999999999999").limit, io::stac::max_search_limit);
}

TEST(StacSearchQuery, limit_zero_negative_or_not_whole_is_refused) {
  for (const auto* q : {"limit=0", "limit=-5", "limit=2.5", "limit=ten", "limit="}) {
    auto e = get_error(q);
    EXPECT_EQ(e.field, "limit");
    EXPECT_EQ(e.message, "must be a whole number from 1 (values above 10000 are lowered to 10000)")
      << q;
  }
}

TEST(StacSearchQuery, sortby_reads_signs_and_properties_prefix) {
  auto s = get_ok("sortby=-datetime,%2Bid,properties.proj:epsg");
  ASSERT_EQ(s.sortby.size(), 3u);
  EXPECT_EQ(s.sortby[0].property, "datetime");
  EXPECT_FALSE(s.sortby[0].ascending);
  EXPECT_EQ(s.sortby[1].property, "id");
  EXPECT_TRUE(s.sortby[1].ascending);
  EXPECT_EQ(s.sortby[2].property, "proj:epsg");
  // An unencoded "+" arrives as a space: still ascending.
  auto raw = get_ok("sortby=+properties.datetime");
  ASSERT_EQ(raw.sortby.size(), 1u);
  EXPECT_EQ(raw.sortby[0].property, "datetime");
  EXPECT_TRUE(raw.sortby[0].ascending);
}

TEST(StacSearchQuery, sortby_unsortable_unknown_repeated_or_empty_is_refused) {
  auto e = get_error("sortby=geometry");
  EXPECT_EQ(e.field, "sortby");
  EXPECT_EQ(e.message.rfind("'geometry' cannot be sorted on (sortable: id, collection", 0), 0u)
    << e.message;
  EXPECT_EQ(get_error("sortby=cloud_cover").message.rfind("'cloud_cover' is not a queryable", 0),
            0u);
  EXPECT_EQ(get_error("sortby=datetime,-datetime").message.rfind("'datetime' is named twice", 0),
            0u);
  EXPECT_EQ(get_error("sortby=id,").message.rfind("names an empty field", 0), 0u);
}

TEST(StacSearchQuery, filter_is_cql2_text_by_default_and_json_with_filter_lang) {
  EXPECT_TRUE(get_ok("filter=" + io::http::encode_segment("id = 'a'")).filter);
  EXPECT_TRUE(get_ok("filter-lang=cql2-json&filter=" +
                     io::http::encode_segment(R"({"op":"=","args":[{"property":"id"},"a"]})"))
                .filter);
}

TEST(StacSearchQuery, filter_lang_unknown_or_filter_not_json_is_refused) {
  auto lang = get_error("filter-lang=ecql&filter=x");
  EXPECT_EQ(lang.field, "filter-lang");
  EXPECT_EQ(lang.message, "must be cql2-text or cql2-json");
  auto filter = get_error("filter-lang=cql2-json&filter=id%3D1");
  EXPECT_EQ(filter.field, "filter");
  EXPECT_EQ(filter.message, "must be CQL2 JSON text with filter-lang cql2-json");
}

TEST(StacSearchQuery, f_json_and_crs84_filter_crs_are_accepted_others_refused) {
  get_ok("f=json");
  get_ok("f=geojson&filter-crs=" +
         io::http::encode_segment("http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
  EXPECT_EQ(get_error("f=html").field, "f");
  EXPECT_EQ(get_error("filter-crs=EPSG:4326").field, "filter-crs");
}

TEST(StacSearchQuery, unknown_or_repeated_parameter_is_refused_naming_it) {
  auto unknown = get_error("query=x&limit=5");
  EXPECT_EQ(unknown.field, "query");
  EXPECT_EQ(unknown.message.rfind("is not a parameter of a search (accepted: bbox,", 0), 0u)
    << unknown.message;
  auto twice = get_error("limit=5&limit=6&limit=7");
  EXPECT_EQ(twice.field, "limit");
  EXPECT_EQ(twice.message, "is given more than once");
}

TEST(StacSearchQuery, datetime_offset_with_an_unencoded_plus_is_read) {
  auto s = get_ok("datetime=2020-01-01T02:00:00+02:00");
  EXPECT_EQ(s.datetime->start, "2020-01-01T00:00:00Z");
  EXPECT_EQ(get_error("datetime=yesterday").field, "datetime");
}

TEST(StacSearchQuery, token_of_this_service_sets_the_position_others_are_refused) {
  page_position p{true, {"2020-01-01T00:00:00Z", "c", "i"}};
  auto s = get_ok("token=" + encode_token(p));
  ASSERT_TRUE(s.position);
  EXPECT_TRUE(s.position->backwards);
  EXPECT_EQ(s.position->values, p.values);
  auto e = get_error("token=next:abc");
  EXPECT_EQ(e.field, "token");
  EXPECT_EQ(e.message, "not a token of this service");
}

// GET /collections/{cid}/items

TEST(StacSearchItems, search_is_limited_to_the_collection_without_search_only_parameters) {
  std::vector<field_error> errors;
  auto s = parse_items_query("bbox=0,0,1,1&limit=3&sortby=-datetime", "c1", errors);
  EXPECT_TRUE(errors.empty()) << describe(errors);
  EXPECT_EQ(s.collections, std::vector<std::string>{"c1"});
  EXPECT_EQ(s.limit, 3);
  for (const auto* name : {"ids", "collections", "intersects"}) {
    errors.clear();
    parse_items_query(std::string{name} + "=x", "c1", errors);
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_EQ(errors[0].field, name);
    EXPECT_NE(errors[0].message.find("/search"), std::string::npos) << errors[0].message;
  }
}

// POST /search

TEST(StacSearchBody, members_are_read_like_the_query_parameters) {
  auto s = post_ok({{"bbox", {1, 2, 0, 3, 4, 10}},
                    {"ids", {"a", "b"}},
                    {"collections", {"c"}},
                    {"datetime", "2020-01-01T00:00:00Z/.."},
                    {"limit", 20000},
                    {"sortby", {{{"field", "properties.datetime"}, {"direction", "desc"}}}},
                    {"token", encode_token({false, {"x"}})},
                    {"fields", {{"include", {"id"}}}}});
  EXPECT_EQ(*s.bbox, (std::array<double, 4>{1, 2, 3, 4}));
  EXPECT_EQ(s.ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.collections, std::vector<std::string>{"c"});
  EXPECT_EQ(s.datetime->start, "2020-01-01T00:00:00Z");
  EXPECT_EQ(s.datetime->end, "");
  EXPECT_EQ(s.limit, io::stac::max_search_limit);
  ASSERT_EQ(s.sortby.size(), 1u);
  EXPECT_EQ(s.sortby[0].property, "datetime");
  EXPECT_FALSE(s.sortby[0].ascending);
  EXPECT_EQ(s.position->values, std::vector<std::string>{"x"});
  EXPECT_EQ(post_ok({{"intersects", json::parse(polygon)}}).intersects_geojson,
            json::parse(polygon).dump());
}

TEST(StacSearchBody, members_of_a_wrong_type_are_refused_naming_them) {
  const std::pair<json, const char*> cases[] = {
    {{{"bbox", "0,0,1,1"}}, "bbox"},
    {{{"bbox", {0, "0", 1, 1}}}, "bbox"},
    {{{"ids", "a"}}, "ids"},
    {{{"collections", {"a", 1}}}, "collections"},
    {{{"collections", {""}}}, "collections"},
    {{{"limit", "10"}}, "limit"},
    {{{"limit", 2.5}}, "limit"},
    {{{"datetime", 2020}}, "datetime"},
    {{{"intersects", polygon}}, "intersects"},
    {{{"token", 5}}, "token"},
    {{{"filter-lang", 1}}, "filter-lang"},
  };
  for (const auto& [body, field] : cases)
    EXPECT_EQ(post_error(body).field, field) << body.dump();
}

TEST(StacSearchBody, sortby_must_be_field_and_direction_objects) {
  auto s = post_ok({{"sortby",
                     {{{"field", "id"}, {"direction", "asc"}},
                      {{"field", "vector:feature_count"}, {"direction", "desc"}}}}});
  ASSERT_EQ(s.sortby.size(), 2u);
  EXPECT_TRUE(s.sortby[0].ascending);
  EXPECT_FALSE(s.sortby[1].ascending);
  for (const json& bad : {json("-datetime"), json::array({{{"field", "id"}}}),
                          json::array({{{"field", "id"}, {"direction", "up"}}}),
                          json::array({{{"field", "id"}, {"direction", "asc"}, {"x", 1}}})}) {
    auto e = post_error({{"sortby", bad}});
    EXPECT_EQ(e.field, "sortby");
    EXPECT_EQ(e.message.rfind("must be an array of {\"field\"", 0), 0u) << e.message;
  }
  EXPECT_EQ(post_error({{"sortby", {{{"field", "geometry"}, {"direction", "asc"}}}}})
              .message.rfind("'geometry' cannot be sorted on", 0),
            0u);
}

TEST(StacSearchBody, filter_is_cql2_json_by_default_and_text_with_filter_lang) {
  EXPECT_TRUE(
    post_ok({{"filter", {{"op", "="}, {"args", {{{"property", "id"}}, "a"}}}}}).filter);
  EXPECT_TRUE(post_ok({{"filter-lang", "cql2-text"}, {"filter", "id = 'a'"}}).filter);
}

TEST(StacSearchBody, filter_of_the_wrong_form_for_its_language_is_refused) {
  auto text = post_error({{"filter", "id = 'a'"}});
  EXPECT_EQ(text.field, "filter");
  EXPECT_NE(text.message.find("cql2-text"), std::string::npos) << text.message;
  auto object = post_error({{"filter-lang", "cql2-text"}, {"filter", {{"op", "="}}}});
  EXPECT_EQ(object.field, "filter");
  EXPECT_EQ(object.message, "must be a string of CQL2 text with filter-lang cql2-text");
}

TEST(StacSearchBody, unknown_members_refused_except_fields_and_crs84_filter_crs) {
  post_ok({{"fields", {{"exclude", {"assets"}}}},
           {"filter-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}});
  auto unknown = post_error({{"query", {{"eo:cloud_cover", {{"lt", 10}}}}}});
  EXPECT_EQ(unknown.field, "query");
  EXPECT_EQ(unknown.message.rfind("is not a member of a search (accepted: ", 0), 0u);
  auto crs = post_error({{"filter-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"}});
  EXPECT_EQ(crs.field, "filter-crs");
  EXPECT_EQ(crs.message,
            "must be http://www.opengis.net/def/crs/OGC/1.3/CRS84 (the only one offered)");
}

TEST(StacSearchBody, null_members_are_absent_and_a_non_object_body_is_refused) {
  auto s = post_ok({{"bbox", nullptr}, {"limit", nullptr}, {"filter", nullptr}});
  EXPECT_FALSE(s.bbox);
  EXPECT_EQ(s.limit, io::stac::default_search_limit);
  auto e = post_error(json::array());
  EXPECT_EQ(e.field, "(body)");
  EXPECT_EQ(e.message, "must be a JSON object");
}

TEST(StacSearchBody, bbox_with_intersects_is_refused_naming_both) {
  auto e = post_error({{"bbox", {0, 0, 1, 1}}, {"intersects", json::parse(polygon)}});
  EXPECT_EQ(e.field, "intersects");
  EXPECT_NE(e.message.find("bbox"), std::string::npos) << e.message;
}

// datetime

TEST(StacSearchDatetime, instant_is_an_interval_of_one_time_in_utc) {
  auto t = datetime_ok("2020-01-01t10:20:30z");
  EXPECT_EQ(t.start, "2020-01-01T10:20:30Z");
  EXPECT_EQ(t.end, t.start);
}

TEST(StacSearchDatetime, offsets_are_normalised_to_utc_keeping_fractions) {
  EXPECT_EQ(datetime_ok("2020-01-01T01:00:00+02:00").start, "2019-12-31T23:00:00Z");
  EXPECT_EQ(datetime_ok("2020-02-28T20:00:00-05:30").start, "2020-02-29T01:30:00Z");
  EXPECT_EQ(datetime_ok("2020-01-01T00:00:00.250+00:00").start, "2020-01-01T00:00:00.25Z");
  EXPECT_EQ(datetime_ok("2020-01-01T00:00:00.000Z").start, "2020-01-01T00:00:00Z");
  EXPECT_EQ(datetime_ok("2020-01-01T00:00:00.123456789Z").start,
            "2020-01-01T00:00:00.123456789Z");
}

TEST(StacSearchDatetime, closed_and_half_open_intervals) {
  auto closed = datetime_ok("2020-01-01T00:00:00Z/2020-12-31T23:59:59Z");
  EXPECT_EQ(closed.start, "2020-01-01T00:00:00Z");
  EXPECT_EQ(closed.end, "2020-12-31T23:59:59Z");
  for (const auto* open_start : {"../2020-01-01T00:00:00Z", "/2020-01-01T00:00:00Z"}) {
    auto t = datetime_ok(open_start);
    EXPECT_EQ(t.start, "");
    EXPECT_EQ(t.end, "2020-01-01T00:00:00Z");
  }
  for (const auto* open_end : {"2020-01-01T00:00:00Z/..", "2020-01-01T00:00:00Z/"}) {
    auto t = datetime_ok(open_end);
    EXPECT_EQ(t.start, "2020-01-01T00:00:00Z");
    EXPECT_EQ(t.end, "");
  }
}

TEST(StacSearchDatetime, both_ends_open_or_end_before_start_is_refused) {
  for (const auto* both : {"../..", "/", "../", "/.."})
    EXPECT_EQ(datetime_error(both),
              "an interval needs at least one end (../.. is not accepted: leave datetime out)");
  EXPECT_EQ(datetime_error("2020-01-02T00:00:00Z/2020-01-01T00:00:00Z"),
            "the end of the interval is before its start");
  // Compared as instants, not as text: 00:00:00.5Z is after 00:00:00Z; 01:00+02:00 before 00:00Z.
  EXPECT_NE(datetime_error("2020-01-01T00:00:00.5Z/2020-01-01T00:00:00Z"), "");
  datetime_ok("2020-01-01T00:00:00Z/2020-01-01T00:00:00.5Z");
  EXPECT_NE(datetime_error("2020-01-01T00:00:00Z/2020-01-01T01:00:00+02:00"), "");
  datetime_ok("2020-01-01T00:00:00Z/2020-01-01T00:00:00Z");
  EXPECT_EQ(datetime_error("2020-01-01T00:00:00Z/2020-01-02T00:00:00Z/2020-01-03T00:00:00Z"),
            "must be a date-time or an interval start/end (one '/')");
}

TEST(StacSearchDatetime, leap_days_exist_only_in_leap_years) {
  datetime_ok("2020-02-29T00:00:00Z");
  datetime_ok("2000-02-29T00:00:00Z");
  EXPECT_EQ(datetime_error("2021-02-29T00:00:00Z"),
            "'2021-02-29T00:00:00Z' has a day its month does not have");
  EXPECT_NE(datetime_error("1900-02-29T00:00:00Z"), "");
  EXPECT_NE(datetime_error("2020-04-31T00:00:00Z"), "");
}

TEST(StacSearchDatetime, malformed_or_impossible_times_are_refused_saying_why) {
  EXPECT_EQ(datetime_error("2020-13-01T00:00:00Z"),
            "'2020-13-01T00:00:00Z' has a month out of 01-12");
  EXPECT_EQ(datetime_error("2020-01-01T24:00:00Z"),
            "'2020-01-01T24:00:00Z' has a time out of range (hours 00-23, minutes and seconds "
            "00-59)");
  EXPECT_NE(datetime_error("2020-01-01T00:60:00Z"), "");
  EXPECT_NE(datetime_error("2020-01-01T00:00:60Z"), "");
  EXPECT_EQ(datetime_error("2020-01-01T00:00:00+24:00"),
            "'2020-01-01T00:00:00+24:00' has an offset out of range (hours 00-23, minutes 00-59)");
  for (const auto* bad : {"2020-01-01T00:00:00", "2020-01-01 00:00:00Z", "2020-1-01T00:00:00Z",
                          "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+0200", "..", "", "now"})
    EXPECT_NE(datetime_error(bad).find("is not an RFC 3339 date-time"), std::string::npos) << bad;
  EXPECT_EQ(datetime_error("0000-06-01T00:00:00Z"),
            "'0000-06-01T00:00:00Z' is outside the years 0001 to 9999 (in UTC)");
}

TEST(StacSearchDatetime, plain_date_is_refused_with_a_clear_message) {
  EXPECT_EQ(datetime_error("2020-01-01"),
            "'2020-01-01' is a date; a date-time is required, such as 2020-01-01T00:00:00Z");
}

// tokens

TEST(StacSearchToken, round_trips_direction_and_values_as_base64url) {
  page_position p{true, {"2020-01-01T00:00:00Z", "", "coll/é", "id+?&="}};
  auto token = encode_token(p);
  EXPECT_EQ(token.find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
    << token;
  auto back = decode_token(token);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->backwards);
  EXPECT_EQ(back->values, p.values);
  EXPECT_FALSE(decode_token(encode_token({false, {}}))->backwards);
}

TEST(StacSearchToken, garbage_is_refused) {
  for (const std::string& t : {std::string{}, std::string{"!!!!"}, std::string{"next:abc"},
                               base64url("not json"), std::string(5000, 'A')})
    EXPECT_FALSE(decode_token(t)) << t;
}

TEST(StacSearchToken, forged_or_reworded_documents_are_refused) {
  for (const char* doc :
       {R"({"b":2,"v":[]})", R"({"b":true,"v":[]})", R"({"b":0,"v":[1]})", R"({"b":0})",
        R"({"b":0,"v":[],"x":1})", R"({"v":[],"b":0})", R"({"b":0, "v":[]})", "[0,[]]"})
    EXPECT_FALSE(decode_token(base64url(doc))) << doc;
  auto token = encode_token({false, {"a"}});
  EXPECT_FALSE(decode_token(token + "="));
  EXPECT_FALSE(decode_token(io::base64_encode(R"({"b":0,"v":["a?>"]})")));
}

// normalised

TEST(StacSearchNormalised, order_and_duplicates_of_names_do_not_matter) {
  EXPECT_EQ(normalised(get_ok("collections=b,a&ids=2,1,2")),
            normalised(get_ok("ids=1,2&collections=a,b")));
  EXPECT_NE(normalised(get_ok("collections=a")), normalised(get_ok("collections=a,b")));
}

TEST(StacSearchNormalised, get_and_post_with_the_same_meaning_are_equal) {
  auto get = get_ok("collections=b,a&bbox=0,1,2,3&datetime=2020-01-01T02:00:00%2B02:00/..&"
                    "sortby=-datetime,id&limit=5&ids=x");
  json sortby = {{{"field", "properties.datetime"}, {"direction", "desc"}},
                 {{"field", "id"}, {"direction", "asc"}}};
  auto post = post_ok({{"ids", {"x"}},
                       {"collections", {"a", "b"}},
                       {"bbox", {0, 1.0, 2, 3}},
                       {"datetime", "2020-01-01T00:00:00Z/.."},
                       {"limit", 5},
                       {"sortby", sortby}});
  EXPECT_EQ(normalised(get), normalised(post));
  EXPECT_EQ(normalised(get_ok("intersects=" + io::http::encode_segment(polygon))),
            normalised(post_ok({{"intersects", json::parse(polygon)}})));
}

TEST(StacSearchNormalised, position_is_left_out_and_other_members_count) {
  auto first = get_ok("limit=5&sortby=id");
  auto later = get_ok("limit=5&sortby=id&token=" + encode_token({false, {"a", "c", "a"}}));
  EXPECT_EQ(normalised(first), normalised(later));
  EXPECT_NE(normalised(first), normalised(get_ok("limit=6&sortby=id")));
  EXPECT_NE(normalised(first), normalised(get_ok("limit=5&sortby=-id")));
  EXPECT_NE(normalised(get_ok("datetime=2020-01-01T00:00:00Z/..")),
            normalised(get_ok("datetime=../2020-01-01T00:00:00Z")));
}

TEST(StacSearchNormalised, filter_text_and_json_with_the_same_meaning_are_equal) {
  json expr = {{"op", "="}, {"args", {{{"property", "id"}}, "a"}}};
  EXPECT_EQ(normalised(get_ok("filter=" + io::http::encode_segment("id = 'a'"))),
            normalised(post_ok({{"filter", expr}})));
}

// links

TEST(StacSearchLinks, get_links_carry_the_query_with_the_new_token) {
  const std::string href = "https://h/platform/stac/search";
  auto links = links_by_rel(io::stac::search_links(
    href, "https://h/platform/stac", std::string{"limit=5&token=old&bbox=0%2C0%2C1%2C1"},
    std::nullopt, page_position{false, {"n"}}, page_position{true, {"p"}}));
  EXPECT_EQ(links["self"]["href"], href + "?limit=5&token=old&bbox=0%2C0%2C1%2C1");
  EXPECT_EQ(links["self"]["type"], "application/geo+json");
  EXPECT_EQ(links["root"]["href"], "https://h/platform/stac");
  EXPECT_EQ(links["next"]["href"],
            href + "?limit=5&bbox=0%2C0%2C1%2C1&token=" + encode_token({false, {"n"}}));
  EXPECT_EQ(links["next"]["type"], "application/geo+json");
  EXPECT_EQ(links["prev"]["href"],
            href + "?limit=5&bbox=0%2C0%2C1%2C1&token=" + encode_token({true, {"p"}}));
  EXPECT_FALSE(links["next"].contains("method"));
}

TEST(StacSearchLinks, get_links_without_a_query_or_further_pages) {
  const std::string href = "https://h/search";
  auto first = io::stac::search_links(href, "https://h", std::nullopt, std::nullopt,
                                      page_position{false, {"n"}}, std::nullopt);
  auto links = links_by_rel(first);
  EXPECT_EQ(links["self"]["href"], href);
  EXPECT_EQ(links["next"]["href"], href + "?token=" + encode_token({false, {"n"}}));
  EXPECT_FALSE(links.contains("prev"));
  auto only = io::stac::search_links(href, "https://h", std::string{"limit=1"}, std::nullopt,
                                     std::nullopt, std::nullopt);
  EXPECT_EQ(only.size(), 2u);
}

TEST(StacSearchLinks, post_links_carry_the_new_token_to_merge_into_the_body) {
  const std::string href = "https://h/search";
  json body = {{"collections", {"a"}}, {"limit", 5}, {"token", "old"}};
  auto links = links_by_rel(io::stac::search_links(href, "https://h", std::nullopt, body,
                                                   page_position{false, {"n"}}, std::nullopt));
  EXPECT_EQ(links["self"]["href"], href);
  const auto& next = links["next"];
  EXPECT_EQ(next["href"], href);
  EXPECT_EQ(next["type"], "application/geo+json");
  EXPECT_EQ(next["method"], "POST");
  EXPECT_EQ(next["merge"], true);
  EXPECT_EQ(next["body"], json({{"token", encode_token({false, {"n"}})}}));
}
