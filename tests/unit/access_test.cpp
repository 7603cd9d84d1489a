#include "io/http/access.hpp"

#include <gtest/gtest.h>

using namespace gp::io::http;

namespace {

request with_headers(header_list h) {
  request r;
  r.headers = std::move(h);
  return r;
}

gp::principal key(const std::string& level, std::vector<std::string> allowed = {},
                  bool restricted = false) {
  gp::principal p;
  p.client_id = "ddh";
  p.key_id = "abcd1234";
  p.access_level = level;
  p.allowed_endpoints = std::move(allowed);
  p.restricted = restricted;
  return p;
}

}  // namespace

TEST(access, key_comes_from_the_platform_header_or_a_bearer_token) {
  EXPECT_EQ(presented_key(with_headers({{"X-Platform-API-Key", "k1"}})), "k1");
  EXPECT_EQ(presented_key(with_headers({{"x-platform-api-key", " k2 "}})), "k2");
  EXPECT_EQ(presented_key(with_headers({{"Authorization", "Bearer k3"}})), "k3");
  EXPECT_EQ(presented_key(with_headers({{"authorization", "bearer k4"}})), "k4");
  EXPECT_EQ(presented_key(with_headers({{"Authorization", "Basic abc"}})), "");
  EXPECT_EQ(presented_key(with_headers({{"Authorization", "Bearer "}})), "");
  EXPECT_EQ(presented_key(with_headers({})), "");
  EXPECT_EQ(presented_key(with_headers({{"X-Platform-API-Key", "a"}, {"Authorization", "Bearer b"}})),
            "a");
}

TEST(access, levels_follow_the_api_table) {
  for (auto level : {"internal", "trusted", "admin"})
    EXPECT_TRUE(level_allows(level, route_access::any_key)) << level;
  EXPECT_TRUE(level_allows("internal", route_access::platform));
  EXPECT_TRUE(level_allows("admin", route_access::platform));
  EXPECT_FALSE(level_allows("trusted", route_access::platform));
  EXPECT_TRUE(level_allows("admin", route_access::admin));
  EXPECT_FALSE(level_allows("internal", route_access::admin));
  EXPECT_FALSE(level_allows("trusted", route_access::admin));
  EXPECT_FALSE(level_allows("root", route_access::any_key));
  EXPECT_TRUE(level_allows("", route_access::open));
}

TEST(access, endpoint_patterns_match_method_and_path_prefix) {
  std::vector<std::string> p{"GET /platform/status/*", "POST /platform/submit", "* /admin/keys"};
  EXPECT_TRUE(endpoint_allowed(p, "GET", "/platform/status/abc"));
  EXPECT_TRUE(endpoint_allowed(p, "HEAD", "/platform/status/abc"));
  EXPECT_FALSE(endpoint_allowed(p, "DELETE", "/platform/status/abc"));
  EXPECT_TRUE(endpoint_allowed(p, "POST", "/platform/submit"));
  EXPECT_FALSE(endpoint_allowed(p, "POST", "/platform/submit/x"));
  EXPECT_TRUE(endpoint_allowed(p, "DELETE", "/admin/keys"));
  EXPECT_FALSE(endpoint_allowed(p, "GET", "/platform/statusx"));
  EXPECT_FALSE(endpoint_allowed({}, "GET", "/"));
  EXPECT_TRUE(endpoint_allowed({"HEAD /x"}, "HEAD", "/x"));
  EXPECT_FALSE(endpoint_allowed({"HEAD /x"}, "GET", "/x"));
}

TEST(access, authorize_checks_level_then_allowed_endpoints) {
  EXPECT_FALSE(authorize(key("admin"), route_access::admin, "GET", "/admin/clients"));
  auto why = authorize(key("internal"), route_access::admin, "GET", "/admin/clients");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("level internal"), std::string::npos);
  auto restricted = key("admin", {"GET /platform/whoami"}, true);
  EXPECT_FALSE(authorize(restricted, route_access::any_key, "GET", "/platform/whoami"));
  auto outside = authorize(restricted, route_access::any_key, "GET", "/health");
  ASSERT_TRUE(outside);
  EXPECT_NE(outside->find("allowed_endpoints"), std::string::npos);
  // An empty list on a restricted key allows nothing; an unrestricted key is not limited.
  EXPECT_TRUE(authorize(key("admin", {}, true), route_access::any_key, "GET", "/health"));
  EXPECT_FALSE(authorize(key("admin", {}, false), route_access::any_key, "GET", "/health"));
}
