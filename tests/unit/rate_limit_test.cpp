// The per-client token bucket: a minute's worth at once, then calls as the bucket refills.
#include "io/rate_limit.hpp"

#include <gtest/gtest.h>

using gp::io::token_bucket;
using namespace std::chrono_literals;

TEST(token_bucket, a_minutes_worth_goes_at_once_then_the_next_waits) {
  token_bucket b;
  auto t = token_bucket::clock::time_point{} + 1h;
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(b.take(6, t), 0) << i;
  EXPECT_EQ(b.take(6, t), 10);  // 6 a minute: one every 10 s
  EXPECT_EQ(b.take(6, t + 4s), 6);
  EXPECT_EQ(b.take(6, t + 11s), 0);  // 1.1 by now
  EXPECT_EQ(b.take(6, t + 11s), 9);
}

TEST(token_bucket, it_refills_at_the_rate_and_never_beyond_the_limit) {
  token_bucket b;
  auto t = token_bucket::clock::time_point{} + 1h;
  for (int i = 0; i < 120; ++i)
    ASSERT_EQ(b.take(120, t), 0);
  EXPECT_EQ(b.take(120, t), 1);  // half a second to the next: at least 1
  // An hour idle fills it to the limit, not to 60 minutes' worth.
  t += 1h;
  for (int i = 0; i < 120; ++i)
    ASSERT_EQ(b.take(120, t), 0);
  EXPECT_GT(b.take(120, t), 0);
}

TEST(token_bucket, a_call_at_the_second_a_refusal_named_goes_on) {
  for (int limit : {7, 13, 600, 1000, 6000, 59, 61}) {
    token_bucket b;
    auto t = token_bucket::clock::time_point{} + 1h;
    for (int i = 0; i < 50; ++i) {
      int64_t wait = 0;
      while ((wait = b.take(limit, t)) == 0) {  // take all there is now
      }
      t += std::chrono::seconds(wait);
      ASSERT_EQ(b.take(limit, t), 0) << limit << " a minute, call " << i;
    }
  }
}

TEST(token_bucket, no_limit_never_refuses_and_a_lower_limit_applies_at_once) {
  token_bucket b;
  auto t = token_bucket::clock::time_point{} + 1h;
  for (int i = 0; i < 10000; ++i)
    ASSERT_EQ(b.take(0, t), 0);
  token_bucket c;
  EXPECT_EQ(c.take(600, t), 0);
  // The operator lowered the client's limit to 2 a minute: at most 2 at once from now.
  EXPECT_EQ(c.take(2, t), 0);
  EXPECT_EQ(c.take(2, t), 0);
  EXPECT_EQ(c.take(2, t), 30);
  // A clock that went back (never with steady_clock, but harmless) refills nothing.
  EXPECT_EQ(c.take(2, t - 1s), 30);
}

TEST(token_bucket, remaining_and_reset_tell_the_ratelimit_fields) {
  token_bucket b;
  auto t = token_bucket::clock::time_point{} + 1h;
  EXPECT_EQ(b.take(4, t), 0);
  EXPECT_EQ(b.remaining(), 3);
  EXPECT_EQ(b.seconds_to_full(4), 15);  // one call back takes 60 / 4 s
  EXPECT_EQ(b.take(4, t), 0);
  EXPECT_EQ(b.take(4, t), 0);
  EXPECT_EQ(b.take(4, t), 0);
  EXPECT_EQ(b.remaining(), 0);
  EXPECT_EQ(b.seconds_to_full(4), 60);
  EXPECT_EQ(b.take(4, t), 15);
  EXPECT_EQ(b.take(4, t + 15s), 0);
  EXPECT_EQ(b.seconds_to_full(4), 60);
  EXPECT_EQ(b.seconds_to_full(0), 0);
}

TEST(rate_class, names) {
  EXPECT_STREQ(name_of(gp::io::rate_class::submit), "submit");
  EXPECT_STREQ(name_of(gp::io::rate_class::read), "read");
  EXPECT_STREQ(name_of(gp::io::rate_class::tiles), "tiles");
  EXPECT_STREQ(name_of(gp::io::rate_class::none), "none");
}
