#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/http/correlation.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"

using namespace gp::io::http;
using json = nlohmann::json;

TEST(problem, has_the_rfc9457_members_and_code) {
  auto r = problem(404, "not_found", "no route for /x");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto j = json::parse(r.body);
  EXPECT_EQ(j["type"], "about:blank");
  EXPECT_EQ(j["title"], "Not Found");
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["detail"], "no route for /x");
  EXPECT_EQ(j["code"], "not_found");
}

TEST(problem, extra_members_are_merged) {
  auto r = problem(400, "validation_error", "bad",
                   json{{"errors", json::array({{{"field", "x"}, {"message", "m"}}})}});
  auto j = json::parse(r.body);
  EXPECT_EQ(j["errors"][0]["field"], "x");
  EXPECT_EQ(j["code"], "validation_error");
}

TEST(problem, invalid_utf8_in_detail_still_gives_valid_json) {
  auto r = problem(400, "bad_request", "bad byte \xff here");
  EXPECT_NO_THROW(json::parse(r.body));
}

TEST(correlation, valid_ids_are_echoed) {
  EXPECT_EQ(correlation_id_for("abc-DEF_1.2"), "abc-DEF_1.2");
  EXPECT_EQ(correlation_id_for(std::string(128, 'a')), std::string(128, 'a'));
}

TEST(correlation, invalid_ids_are_replaced) {
  for (std::string bad : {std::string{}, std::string(129, 'a'), std::string{"a b"},
                          std::string{"x/y"}, std::string{"é"}, std::string{"a\r\nb"}}) {
    auto id = correlation_id_for(bad);
    EXPECT_NE(id, bad);
    EXPECT_TRUE(valid_correlation_id(id)) << id;
    EXPECT_EQ(id.size(), 32u);
  }
}

TEST(correlation, new_ids_are_32_hex_digits_and_differ_across_threads) {
  std::set<std::string> seen;
  std::mutex m;
  auto make = [&] {
    for (int i = 0; i < 2000; ++i) {
      auto id = gp::io::http::new_correlation_id();
      ASSERT_EQ(id.size(), 32u);
      ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
      std::lock_guard<std::mutex> lock{m};
      seen.insert(id);
    }
  };
  std::thread a{make}, b{make};
  make();
  a.join();
  b.join();
  EXPECT_EQ(seen.size(), 6000u);  // no repeats, also between threads seeded apart
}

TEST(probes, liveness_is_alive) {
  auto r = liveness_response();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body)["status"], "alive");
}

TEST(probes, readiness_needs_postgis_and_the_latest_schema) {
  gp::db_health h;
  h.reachable = true;
  h.postgis = true;
  h.schema_version = 3;
  h.expected_version = 3;
  auto ok = readiness_response(h);
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(json::parse(ok.body)["status"], "ready");

  h.schema_version = 2;
  auto pending = readiness_response(h);
  EXPECT_EQ(pending.status, 503u);
  EXPECT_EQ(pending.content_type, "application/problem+json");
  EXPECT_EQ(json::parse(pending.body)["checks"]["database"], "migrations_pending");
  EXPECT_EQ(json::parse(pending.body)["code"], "not_ready");

  h.schema_version = 4;
  auto newer = readiness_response(h);
  EXPECT_EQ(newer.status, 503u);
  EXPECT_EQ(json::parse(newer.body)["checks"]["database"], "schema_newer");

  h.schema_version = 3;
  h.postgis = false;
  EXPECT_EQ(json::parse(readiness_response(h).body)["checks"]["database"], "postgis_missing");
}

TEST(probes, unavailable_and_shutting_down_are_503_not_ready) {
  for (const auto& r : {readiness_unavailable(false), readiness_unavailable(true),
                        readiness_shutting_down()}) {
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(json::parse(r.body)["code"], "not_ready");
  }
  EXPECT_NE(json::parse(readiness_unavailable(true).body)["detail"].get<std::string>().find(
              "in time"),
            std::string::npos);
}
