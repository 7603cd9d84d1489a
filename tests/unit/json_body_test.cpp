#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "io/http/admin_codec.hpp"
#include "io/http/json_body.hpp"
#include "io/http/router.hpp"

using namespace gp::io::http;
using json = nlohmann::json;

namespace {

request post(std::string content_type, std::string body) {
  request r;
  r.method = "POST";
  if (!content_type.empty())
    r.headers.emplace_back("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

std::vector<std::string> fields(const std::vector<field_error>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors)
    out.push_back(e.field);
  return out;
}

}  // namespace

TEST(json_body, json_content_types) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json_content_type("Application/JSON ;charset=UTF-8"));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/jsonx"));
  EXPECT_FALSE(is_json_content_type(""));
}

TEST(json_body, wrong_or_missing_content_type_is_415) {
  json out;
  for (auto ct : {"", "text/plain", "application/x-www-form-urlencoded"}) {
    auto r = parse_json_body(post(ct, "{}"), out);
    ASSERT_TRUE(r) << ct;
    EXPECT_EQ(r->status, 415u);
    EXPECT_EQ(json::parse(r->body)["code"], "unsupported_media_type");
  }
}

TEST(json_body, malformed_json_is_400_with_the_offset) {
  json out;
  auto r = parse_json_body(post("application/json", "{\"a\": 1,"), out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  auto doc = json::parse(r->body);
  EXPECT_EQ(doc["code"], "malformed_json");
  EXPECT_NE(doc["detail"].get<std::string>().find("byte"), std::string::npos);
}

TEST(json_body, numbers_out_of_range_are_400_not_a_crash) {
  json out;
  auto r = parse_json_body(post("application/json", "1e400"), out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(json::parse(r->body)["code"], "malformed_json");
}

TEST(json_body, deep_nesting_and_nul_characters_are_400) {
  json out;
  std::string deep = "{\"tag\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = parse_json_body(post("application/json", deep), out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  EXPECT_NE(json::parse(r->body)["detail"].get<std::string>().find("nests deeper"),
            std::string::npos);
  auto nul = parse_json_body(post("application/json", R"({"tag": "a\u0000b"})"), out);
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400u);
  EXPECT_FALSE(parse_json_body(post("application/json", "[[[[1]]]]"), out));
}

TEST(json_body, valid_json_is_parsed) {
  json out;
  EXPECT_FALSE(parse_json_body(post("application/json; charset=utf-8", "{\"a\": [1]}"), out));
  EXPECT_EQ(out["a"][0], 1);
}

TEST(json_body, validation_problem_lists_every_field) {
  auto r = validation_problem({{"a", "is required"}, {"b", "must be a string"}});
  EXPECT_EQ(r.status, 400u);
  auto doc = json::parse(r.body);
  EXPECT_EQ(doc["code"], "validation_error");
  ASSERT_EQ(doc["errors"].size(), 2u);
  EXPECT_EQ(doc["errors"][1]["field"], "b");
  EXPECT_EQ(doc["errors"][1]["message"], "must be a string");
}

TEST(admin_codec, a_valid_key_request) {
  std::vector<field_error> errors;
  auto r = parse_key_request(json{{"client_id", "ddh"},
                                  {"access_level", "internal"},
                                  {"expires_at", "2030-01-01T00:00:00Z"},
                                  {"allowed_endpoints", {"GET /platform/status/*"}},
                                  {"description", "ci"}},
                             errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.client_id, "ddh");
  EXPECT_EQ(r.access_level, "internal");
  ASSERT_TRUE(r.allowed_endpoints);
  EXPECT_EQ(r.allowed_endpoints->size(), 1u);
}

TEST(admin_codec, null_members_mean_absent) {
  std::vector<field_error> errors;
  auto r = parse_key_request(
    json{{"client_id", "ddh"}, {"access_level", "admin"}, {"expires_at", nullptr},
         {"allowed_endpoints", nullptr}},
    errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.expires_at, "");
  EXPECT_FALSE(r.allowed_endpoints);
}

TEST(admin_codec, every_bad_field_is_reported) {
  std::vector<field_error> errors;
  parse_key_request(json{{"client_id", 7},
                         {"expires_at", "soon"},
                         {"allowed_endpoints", {"GET /ok", 3, "nope"}},
                         {"colour", "red"}},
                    errors);
  auto f = fields(errors);
  for (auto want : {"colour", "client_id", "access_level", "expires_at", "allowed_endpoints[1]",
                    "allowed_endpoints[2]"})
    EXPECT_NE(std::find(f.begin(), f.end(), want), f.end()) << want;
  EXPECT_EQ(std::find(f.begin(), f.end(), "allowed_endpoints[0]"), f.end());
}

TEST(admin_codec, an_empty_endpoint_list_is_refused) {
  std::vector<field_error> errors;
  parse_key_request(json{{"client_id", "ddh"}, {"access_level", "admin"},
                         {"allowed_endpoints", json::array()}},
                    errors);
  ASSERT_EQ(fields(errors), std::vector<std::string>{"allowed_endpoints"});
}

TEST(admin_codec, a_non_object_body_is_refused) {
  std::vector<field_error> errors;
  parse_key_request(json::array(), errors);
  ASSERT_EQ(errors.size(), 1u);
}

TEST(query, parameters_are_found_and_decoded) {
  EXPECT_EQ(query_param("a=1&client_id=ddh", "client_id"), "ddh");
  EXPECT_EQ(query_param("q=a%20b+c", "q"), "a b c");
  EXPECT_EQ(query_param("flag&x=1", "flag"), "");
  EXPECT_FALSE(query_param("a=1", "b"));
  EXPECT_FALSE(query_param("", "a"));
  EXPECT_EQ(query_param("bad=%zz%4", "bad"), "%zz%4");
}
