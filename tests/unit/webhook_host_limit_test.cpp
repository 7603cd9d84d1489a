// A host's limit of attempts in flight: it grows by prompt answers while deliveries wait (one
// slot per answer until first overloaded, one per round after), never past its ceiling, falls
// back on overload, and never drops below its floor.
#include "io/webhooks/host_limit.hpp"

#include <gtest/gtest.h>

using namespace gp::io::webhooks;
using namespace std::chrono_literals;

namespace {

/// `n` attempts ended with `s`, deliveries waiting or not.
void ended(host_limit& l, host_signal s, int n, bool waiting = true) {
  for (int i = 0; i < n; ++i)
    l.ended(s, waiting);
}

/// `n` prompt answers while deliveries wait.
void prompt(host_limit& l, int n) { ended(l, host_signal::prompt, n); }

}  // namespace

TEST(HostLimit, StartsAtItsFloor) {
  EXPECT_EQ(host_limit(16, 32).current(), 16u);
}

TEST(HostLimit, EarnsOneSlotPerPromptAnswerUntilFirstOverloaded) {
  // The limit doubles with each round of its slots: a fast receiver has its connections after
  // one round.
  host_limit l(4, 16);
  prompt(l, 3);
  EXPECT_EQ(l.current(), 7u);
  prompt(l, 1);
  EXPECT_EQ(l.current(), 8u);  // four prompt answers at four slots: twice as many
  prompt(l, 8);
  EXPECT_EQ(l.current(), 16u);
}

TEST(HostLimit, AfterAnOverloadEarnsOneSlotPerRoundOfPromptAnswers) {
  host_limit l(4, 16);
  prompt(l, 2);
  ASSERT_EQ(l.current(), 6u);
  l.ended(host_signal::overloaded, true);
  ASSERT_EQ(l.current(), 5u);  // half of the two earned
  // At n slots, the next comes with the n-th prompt answer, not before.
  for (size_t n = 5; n < 9; ++n) {
    prompt(l, static_cast<int>(n) - 1);
    EXPECT_EQ(l.current(), n);
    prompt(l, 1);
    EXPECT_EQ(l.current(), n + 1);
  }
}

TEST(HostLimit, NeverGrowsPastItsCeiling) {
  host_limit l(16, 32);
  prompt(l, 100000);
  EXPECT_EQ(l.current(), 32u);
}

TEST(HostLimit, DoesNotGrowWhenNothingWaits) {
  // A host whose deliveries all got a slot shows nothing about whether it could take more.
  host_limit l(2, 8);
  ended(l, host_signal::prompt, 1000, false);
  EXPECT_EQ(l.current(), 2u);
}

TEST(HostLimit, NeutralAnswersNeitherGrowNorShrink) {
  host_limit l(2, 8);
  prompt(l, 2);
  ASSERT_EQ(l.current(), 4u);
  ended(l, host_signal::neutral, 1000);
  EXPECT_EQ(l.current(), 4u);
}

TEST(HostLimit, OverloadHalvesWhatWasEarnedAndStopsAtTheFloor) {
  host_limit l(16, 32);
  prompt(l, 100000);
  ASSERT_EQ(l.current(), 32u);
  l.ended(host_signal::overloaded, true);
  EXPECT_EQ(l.current(), 24u);
  l.ended(host_signal::overloaded, true);
  EXPECT_EQ(l.current(), 20u);
  ended(l, host_signal::overloaded, 10);
  EXPECT_EQ(l.current(), 16u);
}

TEST(HostLimit, OverloadForfeitsTheCreditGathered) {
  host_limit l(4, 16);
  l.ended(host_signal::overloaded, true);  // from now on, one slot per round
  prompt(l, 3);                            // one short of a fifth slot
  l.ended(host_signal::overloaded, true);
  prompt(l, 1);
  EXPECT_EQ(l.current(), 4u);
  prompt(l, 3);
  EXPECT_EQ(l.current(), 5u);
}

TEST(HostLimit, AnOverloadAtTheFloorAlsoEndsTheFastGrowth) {
  // A receiver that failed before it earned anything grows one slot per round afterwards.
  host_limit l(4, 16);
  l.ended(host_signal::overloaded, true);
  prompt(l, 4);
  EXPECT_EQ(l.current(), 5u);
}

TEST(HostLimit, AHangingHostStaysAtItsFloor) {
  // Its attempts end only by timing out.
  host_limit l(16, 32);
  ended(l, signal_of(0, 15s, false), 1000);
  EXPECT_EQ(l.current(), 16u);
}

TEST(HostLimit, ACeilingBelowTheFloorMeansNoGrowth) {
  host_limit l(16, 4);
  prompt(l, 1000);
  EXPECT_EQ(l.current(), 16u);
  EXPECT_EQ(host_limit(0, 0).current(), 1u);
}

TEST(HostLimit, SignalsOfAnswers) {
  EXPECT_EQ(signal_of(200, 3ms, false), host_signal::prompt);
  EXPECT_EQ(signal_of(204, 1s, false), host_signal::prompt);
  EXPECT_EQ(signal_of(200, 1001ms, false), host_signal::neutral);  // slow: no growth
  EXPECT_EQ(signal_of(0, 2ms, false), host_signal::overloaded);     // refused, reset, timeout
  EXPECT_EQ(signal_of(429, 2ms, false), host_signal::overloaded);
  EXPECT_EQ(signal_of(500, 2ms, false), host_signal::overloaded);
  EXPECT_EQ(signal_of(503, 2ms, false), host_signal::overloaded);
  EXPECT_EQ(signal_of(301, 2ms, false), host_signal::neutral);      // not followed, not load
  EXPECT_EQ(signal_of(404, 2ms, false), host_signal::neutral);
  EXPECT_EQ(signal_of(410, 2ms, false), host_signal::neutral);
  EXPECT_EQ(signal_of(0, 0ms, true), host_signal::neutral);         // no request was made
}
