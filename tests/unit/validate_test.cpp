#include "io/validate.hpp"

#include <gtest/gtest.h>

using namespace gp::io;

TEST(validate, client_ids) {
  EXPECT_EQ(check_client_id("ddh"), "");
  EXPECT_EQ(check_client_id("a1_b-c"), "");
  EXPECT_NE(check_client_id("a"), "");
  EXPECT_NE(check_client_id("_ddh"), "");
  EXPECT_NE(check_client_id("DDH"), "");
  EXPECT_NE(check_client_id(std::string(51, 'a')), "");
  EXPECT_EQ(check_client_id(std::string(50, 'a')), "");
}

TEST(validate, access_levels) {
  for (auto ok : {"internal", "trusted", "admin"})
    EXPECT_EQ(check_access_level(ok), "");
  EXPECT_NE(check_access_level("root"), "");
  EXPECT_NE(check_access_level("Admin"), "");
}

TEST(validate, rfc3339_timestamps) {
  EXPECT_EQ(check_rfc3339("2026-11-26T10:00:00Z"), "");
  EXPECT_EQ(check_rfc3339("2026-11-26T10:00:00.123+01:00"), "");
  EXPECT_NE(check_rfc3339("2026-11-26 10:00:00"), "");
  EXPECT_NE(check_rfc3339("2026-13-26T10:00:00Z"), "");
  EXPECT_NE(check_rfc3339("2026-11-26T10:00:00"), "");
  EXPECT_NE(check_rfc3339("tomorrow"), "");
  // Days the month does not have (the database would refuse them with a 500).
  EXPECT_NE(check_rfc3339("2026-02-29T00:00:00Z"), "");
  EXPECT_NE(check_rfc3339("2026-04-31T00:00:00Z"), "");
  EXPECT_NE(check_rfc3339("2100-02-29T00:00:00Z"), "");
  EXPECT_EQ(check_rfc3339("2028-02-29T00:00:00Z"), "");
  EXPECT_EQ(check_rfc3339("2000-02-29T23:59:59Z"), "");
  EXPECT_EQ(check_rfc3339("2026-12-31T00:00:00Z"), "");
  EXPECT_NE(check_rfc3339("2026-02-30T00:00:00Z").find("has no day 30"), std::string::npos);
}

TEST(validate, endpoint_patterns) {
  EXPECT_EQ(check_endpoint_pattern("GET /platform/status/*"), "");
  EXPECT_EQ(check_endpoint_pattern("* /platform/*"), "");
  EXPECT_EQ(check_endpoint_pattern("POST /platform/submit"), "");
  EXPECT_NE(check_endpoint_pattern("GET platform"), "");
  EXPECT_NE(check_endpoint_pattern("FETCH /x"), "");
  EXPECT_NE(check_endpoint_pattern("GET  /x"), "");
  EXPECT_NE(check_endpoint_pattern("GET /a*/b"), "");
  EXPECT_NE(check_endpoint_pattern("GET /platform/status/{id}"), "");
  EXPECT_NE(check_endpoint_pattern("GET /" + std::string(600000, 'a')), "");
}

TEST(validate, callback_hosts) {
  EXPECT_EQ(check_callback_host("hooks.example.org"), "");
  EXPECT_EQ(check_callback_host("*.example.org"), "");
  EXPECT_EQ(check_callback_host("localhost"), "");
  EXPECT_NE(check_callback_host("http://x"), "");
  EXPECT_NE(check_callback_host("a.*.org"), "");
  EXPECT_NE(check_callback_host("-bad.org"), "");
  EXPECT_NE(check_callback_host(""), "");
}
