#include "io/deadlines.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

using gp::io::deadline_queue;
using namespace std::chrono_literals;

namespace {

struct fixture {
  deadline_queue q;
  deadline_queue::clock::time_point t0 = deadline_queue::clock::now();
  std::vector<std::string> expired;
  deadline_queue::ticket push(const std::string& name, std::chrono::milliseconds after) {
    return q.push(t0 + after, [this, name] { expired.push_back(name); });
  }
};

}  // namespace

TEST(deadline_queue, a_call_past_its_deadline_expires_once) {
  fixture f;
  auto a = f.push("a", 100ms);
  EXPECT_EQ(f.q.expire(f.t0 + 99ms), 0u);
  EXPECT_TRUE(f.expired.empty());
  EXPECT_EQ(f.q.expire(f.t0 + 100ms), 1u);
  EXPECT_EQ(f.expired, std::vector<std::string>{"a"});
  EXPECT_TRUE(f.q.empty());
  // The answer that comes after the expiry finds the call answered.
  EXPECT_FALSE(a.take());
  EXPECT_EQ(f.q.expire(f.t0 + 1s), 0u);
  EXPECT_EQ(f.expired.size(), 1u);
}

TEST(deadline_queue, an_answered_call_never_expires) {
  fixture f;
  auto a = f.push("a", 100ms);
  EXPECT_TRUE(a.take());
  EXPECT_FALSE(a.take()) << "a call is answered once";
  EXPECT_EQ(f.q.expire(f.t0 + 1s), 0u);
  EXPECT_TRUE(f.expired.empty());
  EXPECT_TRUE(f.q.empty());
}

TEST(deadline_queue, answered_calls_at_the_front_are_forgotten_before_their_deadline) {
  fixture f;
  auto a = f.push("a", 100ms);
  auto b = f.push("b", 110ms);
  auto c = f.push("c", 120ms);
  a.take();
  c.take();
  // a goes at once; c waits behind b, which is still waiting.
  EXPECT_EQ(f.q.expire(f.t0), 0u);
  EXPECT_EQ(f.q.size(), 2u);
  b.take();
  EXPECT_EQ(f.q.expire(f.t0), 0u);
  EXPECT_TRUE(f.q.empty());
  EXPECT_TRUE(f.expired.empty());
}

TEST(deadline_queue, only_the_calls_past_their_deadline_expire_in_order) {
  fixture f;
  auto a = f.push("a", 100ms);
  auto b = f.push("b", 100ms);
  auto c = f.push("c", 200ms);
  EXPECT_EQ(f.q.expire(f.t0 + 150ms), 2u);
  EXPECT_EQ(f.expired, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.q.size(), 1u);
  EXPECT_TRUE(c.take());
  EXPECT_FALSE(a.take());
  EXPECT_FALSE(b.take());
}
