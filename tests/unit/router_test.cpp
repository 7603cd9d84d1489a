#include "io/http/router.hpp"

#include <gtest/gtest.h>

using gp::io::http::route_match;
using gp::io::http::router;
using kind = route_match::kind;

namespace {

router sample() {
  router r;
  r.add("GET", "/livez", 1);
  r.add("GET", "/platform/status/{id}", 2);
  r.add("DELETE", "/platform/requests/{id}", 3);
  r.add("POST", "/platform/requests/{id}/retry", 4);
  r.add("GET", "/platform/requests", 5);
  return r;
}

}  // namespace

TEST(router, exact_path_matches) {
  auto m = sample().match("GET", "/livez");
  EXPECT_EQ(m.result, kind::found);
  EXPECT_EQ(m.route, 1);
}

TEST(router, head_is_served_by_get_routes) {
  EXPECT_EQ(sample().match("HEAD", "/livez").route, 1);
}

TEST(router, parameters_are_captured) {
  auto m = sample().match("GET", "/platform/status/abc123");
  ASSERT_EQ(m.result, kind::found);
  EXPECT_EQ(m.params.at("id"), "abc123");
  auto n = sample().match("POST", "/platform/requests/x/retry");
  EXPECT_EQ(n.route, 4);
  EXPECT_EQ(n.params.at("id"), "x");
}

TEST(router, unknown_path_is_not_found) {
  EXPECT_EQ(sample().match("GET", "/nope").result, kind::not_found);
  EXPECT_EQ(sample().match("GET", "/platform/status").result, kind::not_found);
  EXPECT_EQ(sample().match("GET", "/platform/status/a/b").result, kind::not_found);
  EXPECT_EQ(sample().match("GET", "/livez/").result, kind::not_found);
  EXPECT_EQ(sample().match("GET", "/platform/status/").result, kind::not_found);
}

TEST(router, wrong_method_lists_allowed_methods) {
  auto m = sample().match("POST", "/livez");
  EXPECT_EQ(m.result, kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
  auto d = sample().match("GET", "/platform/requests/x");
  EXPECT_EQ(d.result, kind::method_not_allowed);
  EXPECT_EQ(d.allow, "DELETE");
}

TEST(router, split_path_keeps_empty_trailing_segment) {
  using gp::io::http::split_path;
  EXPECT_EQ(split_path("/"), std::vector<std::string>{});
  EXPECT_EQ(split_path("/a/b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_path("/a/"), (std::vector<std::string>{"a", ""}));
}

TEST(router, query_pairs_are_decoded_in_order_and_empty_pairs_skipped) {
  using pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(gp::io::http::query_pairs(""), pairs{});
  EXPECT_EQ(gp::io::http::query_pairs("a=1&&b&c=x%20y+z&a=2&%62b="),
            (pairs{{"a", "1"}, {"b", ""}, {"c", "x y z"}, {"a", "2"}, {"bb", ""}}));
}
