// The admin API's client, key-rotation, audit and usage bodies (io/http/client_codec).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/http/client_codec.hpp"

using gp::io::http::field_error;
using json = nlohmann::json;

namespace {

std::vector<std::string> fields(const std::vector<field_error>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors)
    out.push_back(e.field);
  return out;
}

}  // namespace

TEST(client_codec, a_full_create_body) {
  std::vector<field_error> errors;
  auto row = gp::io::http::parse_client_create(
    json{{"client_id", "acme"}, {"name", "Acme"}, {"rate_limit_per_minute", 30},
         {"read_rate_limit_per_minute", 500}, {"tiles_rate_limit_per_minute", nullptr},
         {"callback_hosts", {"hooks.acme.org", "*.acme.org"}}},
    errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(row.client_id, "acme");
  EXPECT_EQ(row.name, "Acme");
  EXPECT_EQ(row.rate_limit_per_minute, 30);
  EXPECT_EQ(row.read_rate_limit_per_minute, 500);
  EXPECT_EQ(row.tiles_rate_limit_per_minute, 0);
  EXPECT_EQ(row.callback_hosts, (std::vector<std::string>{"hooks.acme.org", "*.acme.org"}));
}

TEST(client_codec, create_defaults_and_every_bad_field_at_once) {
  std::vector<field_error> errors;
  auto row = gp::io::http::parse_client_create(json{{"client_id", "acme"}}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(row.name, "acme");
  EXPECT_EQ(row.rate_limit_per_minute, 600);
  errors.clear();
  gp::io::http::parse_client_create(
    json{{"client_id", "A!"}, {"name", ""}, {"rate_limit_per_minute", 0},
         {"read_rate_limit_per_minute", 2000000}, {"tiles_rate_limit_per_minute", 1.5},
         {"callback_hosts", {"ok.org", 7}}, {"secret", "x"}},
    errors);
  auto f = fields(errors);
  for (const char* name : {"client_id", "name", "rate_limit_per_minute",
                           "read_rate_limit_per_minute", "tiles_rate_limit_per_minute",
                           "callback_hosts[1]", "secret"})
    EXPECT_NE(std::find(f.begin(), f.end(), name), f.end()) << name;
  errors.clear();
  gp::io::http::parse_client_create(json::array(), errors);
  EXPECT_EQ(fields(errors), std::vector<std::string>{"(body)"});
}

TEST(client_codec, a_patch_changes_only_what_it_names) {
  std::vector<field_error> errors;
  auto c = gp::io::http::parse_client_patch(
    json{{"read_rate_limit_per_minute", nullptr}, {"is_active", false}}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(c.name);
  EXPECT_FALSE(c.rate_limit_per_minute);
  EXPECT_EQ(c.read_rate_limit_per_minute, 0);  // back to the service's default
  EXPECT_FALSE(c.tiles_rate_limit_per_minute);
  EXPECT_EQ(c.is_active, false);
  EXPECT_FALSE(c.callback_hosts);
  errors.clear();
  gp::io::http::parse_client_patch(json::object(), errors);
  ASSERT_EQ(fields(errors), std::vector<std::string>{"(body)"});
  EXPECT_NE(errors[0].message.find("nothing to change"), std::string::npos);
  errors.clear();
  gp::io::http::parse_client_patch(
    json{{"client_id", "x"}, {"rate_limit_per_minute", nullptr}, {"is_active", 1}}, errors);
  EXPECT_EQ(fields(errors),
            (std::vector<std::string>{"client_id", "rate_limit_per_minute", "is_active"}));
}

TEST(client_codec, key_rotation_bodies) {
  std::vector<field_error> errors;
  auto r = gp::io::http::parse_key_rotate(json(), 86400, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.overlap_seconds, 86400);
  EXPECT_EQ(r.expires_at, "");
  r = gp::io::http::parse_key_rotate(
    json{{"overlap_seconds", 0}, {"expires_at", "2030-01-01T00:00:00Z"}}, 86400, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(r.overlap_seconds, 0);
  EXPECT_EQ(r.expires_at, "2030-01-01T00:00:00Z");
  gp::io::http::parse_key_rotate(
    json{{"overlap_seconds", 7776001}, {"expires_at", "soon"}, {"level", "admin"}}, 1, errors);
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"level", "expires_at", "overlap_seconds"}));
}

TEST(client_codec, audit_and_usage_rows) {
  gp::audit_row a;
  a.audit_id = 7;
  a.action = "client.update";
  a.before_json = R"({"name": "A"})";
  auto j = gp::io::http::to_json(a);
  EXPECT_EQ(j["before"]["name"], "A");
  EXPECT_TRUE(j["after"].is_null());
  gp::usage_row u;
  u.client_id = "ddh";
  u.period = "2026-12-06T15:00:00Z";
  u.counts.downloads = 3;
  u.counts.bytes_served = 1234;
  j = gp::io::http::to_json(u);
  EXPECT_EQ(j["downloads"], 3);
  EXPECT_EQ(j["bytes_served"], 1234);
  EXPECT_EQ(j["tiles"], 0);
  EXPECT_EQ(j.size(), 13u);
}
