#include "messages/failure_codes.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

TEST(failure_codes, errors_about_the_source_are_not_retryable) {
  for (const char* code : {"no_geometry", "unreadable", "not_georeferenced", "source_unreadable",
                           "no_features", "raster_too_large", "archive_too_large",
                           "source_not_found", "crs_unknown", "layer_required",
                           "invalid_job_parameters", "unsupported_request_type"})
    EXPECT_FALSE(gp::retryable_failure(code)) << code;
}

TEST(failure_codes, transient_platform_errors_are_retryable) {
  for (const char* code : {"database_unavailable", "timeout", "attempts_exhausted", "stopped",
                           "load_failed", "cog_failed", "write_failed", "request_actor_crashed",
                           "job_failed"})
    EXPECT_TRUE(gp::retryable_failure(code)) << code;
}

TEST(failure_codes, an_unknown_code_may_succeed_on_a_retry) {
  EXPECT_TRUE(gp::retryable_failure("something_new"));
  EXPECT_TRUE(gp::retryable_failure(""));
}

TEST(failure_codes, each_code_is_listed_once_with_a_meaning) {
  std::set<std::string> seen;
  for (const auto& f : gp::failure_codes) {
    EXPECT_TRUE(seen.insert(std::string{f.code}).second) << f.code;
    EXPECT_FALSE(f.meaning.empty()) << f.code;
  }
  static_assert(!gp::retryable_failure("no_geometry"), "usable at compile time");
}

}  // namespace
