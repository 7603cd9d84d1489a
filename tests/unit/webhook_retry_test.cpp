// The webhook retry policy (only 2xx delivers, 410 stops, full jitter over the schedule,
// Retry-After, never dead before the window) and the event bodies sent.
#include "io/webhooks/retry_policy.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/webhooks/payload.hpp"
#include "tests/status_words.hpp"

using namespace gp;
using namespace gp::io::webhooks;
using namespace std::chrono_literals;

namespace {

constexpr int64_t now = 1'800'000'000;

retry_policy policy() {
  retry_policy p;
  p.steps = {5000ms, 30000ms, 120000ms};
  p.window = std::chrono::seconds{3600};
  return p;
}

claimed_delivery delivery(int attempts, int64_t since = now) {
  claimed_delivery d;
  d.delivery_id = "msg_0123456789abcdef0123456789abcdef";
  d.event = "platform.request.completed";
  d.attempts = attempts;
  d.retry_since = since;
  return d;
}

attempt_report answered(int status) {
  attempt_report r;
  r.status = status;
  return r;
}

}  // namespace

TEST(WebhookSchedule, ParsesWaitsWithUnits) {
  std::string why;
  auto s = parse_schedule("500ms, 5s,2m,1h", &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(*s, (std::vector<std::chrono::milliseconds>{500ms, 5000ms, 120000ms, 3600000ms}));
  for (const char* bad : {"", "5", "5x", "s", "5s,,6s", "-5s", "1.5s"}) {
    EXPECT_FALSE(parse_schedule(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(WebhookSchedule, RetryAfterSecondsAndDates) {
  EXPECT_EQ(retry_after_ms("7", now), 7000);
  EXPECT_EQ(retry_after_ms(" 0 ", now), 0);
  // 1800000060 is Fri, 15 Jan 2027 08:01:00 GMT.
  EXPECT_EQ(retry_after_ms("Fri, 15 Jan 2027 08:01:00 GMT", now), 60000);
  EXPECT_EQ(retry_after_ms("Fri, 15 Jan 2027 07:00:00 GMT", now), 0);  // past
  EXPECT_FALSE(retry_after_ms("soon", now));
  EXPECT_FALSE(retry_after_ms("-3", now));
  EXPECT_FALSE(retry_after_ms("", now));
  // More digits than any cap needs: the longest wait nine digits say (the caller caps it).
  EXPECT_EQ(retry_after_ms("99999999999", now), int64_t{999999999} * 1000);
}

TEST(WebhookRetry, OnlyTwoHundredsDeliver) {
  std::mt19937_64 rng{1};
  for (int code : {200, 201, 204, 299})
    EXPECT_EQ(decide(delivery(1), answered(code), policy(), now, rng).status, "delivered");
  for (int code : {0, 100, 301, 302, 400, 401, 404, 429, 500, 503})
    EXPECT_EQ(decide(delivery(1), answered(code), policy(), now, rng).status, "pending") << code;
}

// The outbox writes an outcome only where its claim still holds the row: by node, attempt and
// lease end. Every outcome made from a claim carries both of the claim's own; one without would
// never be written, and its delivery would wait for the lease to run out.
TEST(WebhookRetry, EveryOutcomeCarriesTheFenceOfItsClaim) {
  std::mt19937_64 rng{1};
  auto d = delivery(4);
  d.lease_us = 1796660000123456;
  std::vector<delivery_outcome> made = {decide(d, answered(200), policy(), now, rng),
                                        decide(d, answered(500), policy(), now, rng),
                                        decide(d, answered(410), policy(), now, rng),
                                        refuse(d, "the client is inactive"), give_back(d)};
  for (const auto& o : made) {
    EXPECT_EQ(o.delivery_id, d.delivery_id);
    EXPECT_EQ(o.attempts, 4);
    EXPECT_EQ(o.lease_us, 1796660000123456);
  }
}

TEST(WebhookRetry, GoneStopsForGood) {
  std::mt19937_64 rng{1};
  auto o = decide(delivery(1), answered(410), policy(), now, rng);
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.status_code, 410);
  EXPECT_NE(o.error.find("410"), std::string::npos);
}

TEST(WebhookRetry, FullJitterStaysWithinEachStep) {
  std::mt19937_64 rng{42};
  auto p = policy();
  for (int attempt = 1; attempt <= 6; ++attempt) {
    auto step = p.steps[std::min<size_t>(static_cast<size_t>(attempt) - 1, p.steps.size() - 1)];
    int64_t lo = step.count(), hi = 0, sum = 0;
    for (int i = 0; i < 2000; ++i) {
      auto o = decide(delivery(attempt), answered(500), p, now, rng);
      ASSERT_EQ(o.status, "pending");
      lo = std::min(lo, o.retry_in_ms);
      hi = std::max(hi, o.retry_in_ms);
      sum += o.retry_in_ms;
    }
    EXPECT_GE(lo, 0);
    EXPECT_LE(hi, step.count());
    // Uniform over [0, step]: the mean is half the step (within 5%).
    EXPECT_NEAR(static_cast<double>(sum) / 2000, step.count() / 2.0, step.count() * 0.05);
    EXPECT_GT(hi, step.count() * 9 / 10);
    EXPECT_LT(lo, step.count() / 10);
  }
}

TEST(WebhookRetry, DeadOnlyOnceTheScheduleAndTheWindowAreUsedUp) {
  std::mt19937_64 rng{1};
  auto p = policy();
  // Schedule used up (3 waits: 4 attempts) but the window has not passed: retried at the last step.
  auto o = decide(delivery(4, now - 600), answered(500), p, now, rng);
  EXPECT_EQ(o.status, "pending");
  EXPECT_LE(o.retry_in_ms, 120000);
  // The window passed but the schedule is not used up: retried.
  EXPECT_EQ(decide(delivery(2, now - 7200), answered(500), p, now, rng).status, "pending");
  // Both: dead, with the last answer kept.
  o = decide(delivery(4, now - 3600), answered(503), p, now, rng);
  EXPECT_EQ(o.status, "dead");
  EXPECT_EQ(o.status_code, 503);
}

TEST(WebhookRetry, RetryAfterIsHonouredOnTooManyRequestsAndUnavailable) {
  std::mt19937_64 rng{1};
  for (int code : {429, 503}) {
    auto r = answered(code);
    r.retry_after = "17";
    EXPECT_EQ(decide(delivery(1), r, policy(), now, rng).retry_in_ms, 17000);
  }
  auto r = answered(500);
  r.retry_after = "17";  // only 429 and 503 say when to come back
  EXPECT_LE(decide(delivery(1), r, policy(), now, rng).retry_in_ms, 5000);
  r = answered(429);
  r.retry_after = "999999";  // cut to max_retry_after
  EXPECT_EQ(decide(delivery(1), r, policy(), now, rng).retry_in_ms, 21600000);
  r.retry_after = "99999999999";  // so is a wait too long to read as a number
  EXPECT_EQ(decide(delivery(1), r, policy(), now, rng).retry_in_ms, 21600000);
  // "Retry-After: 0" (or a date past) waits as the schedule would, not at once.
  int64_t longest = 0;
  for (const char* soon : {"0", "Fri, 15 Jan 2027 07:00:00 GMT"})
    for (int i = 0; i < 200; ++i) {
      r = answered(503);
      r.retry_after = soon;
      auto wait = decide(delivery(2), r, policy(), now, rng).retry_in_ms;
      EXPECT_LE(wait, 30000);
      longest = std::max(longest, wait);
    }
  EXPECT_GT(longest, 15000);
}

TEST(WebhookRetry, TheLastScheduledAttemptAfterTheWindowIsDead) {
  std::mt19937_64 rng{1};
  auto p = policy();  // three waits: four attempts
  EXPECT_EQ(decide(delivery(3, now - 7200), answered(500), p, now, rng).status, "pending");
  EXPECT_EQ(decide(delivery(4, now - 7200), answered(500), p, now, rng).status, "dead");
  EXPECT_EQ(decide(delivery(4, now - 3599), answered(500), p, now, rng).status, "pending");
}

TEST(WebhookRetry, ErrorsSayWhatHappened) {
  std::mt19937_64 rng{1};
  auto r = answered(302);
  r.location = "https://elsewhere.example.org/";
  auto o = decide(delivery(1), r, policy(), now, rng);
  EXPECT_NE(o.error.find("redirect to https://elsewhere.example.org/ (not followed)"),
            std::string::npos);
  r = answered(0);
  r.error = "connect timed out after 15000 ms";
  EXPECT_EQ(decide(delivery(1), r, policy(), now, rng).error, "connect timed out after 15000 ms");
  EXPECT_EQ(refuse(delivery(1), "the client is inactive").status, "failed");
}

TEST(WebhookRetry, WhatAReceiverSentIsStoredAsPrintableText) {
  using namespace std::string_literals;
  std::mt19937_64 rng{1};
  // An error page cut inside a character, with a NUL and a Latin-1 byte in it: stored as is,
  // such text would fail the outcome's write and the batch written with it.
  auto r = answered(500);
  r.error = "bad\0gateway \xe9t\xe9 "s + std::string(200, 'x') + "\xc3\xa9";
  auto e = decide(delivery(1), r, policy(), now, rng).error;
  EXPECT_EQ(e.find('\0'), std::string::npos);
  EXPECT_EQ(e.rfind("the receiver answered 500: bad gateway \xef\xbf\xbdt\xef\xbf\xbd x", 0), 0u)
    << e;
  EXPECT_EQ(e.substr(e.size() - 4), "x...");
  r = answered(302);
  r.location = "https://elsewhere.example.org/\r\nX-Injected: 1";
  EXPECT_NE(decide(delivery(1), r, policy(), now, rng)
              .error.find("redirect to https://elsewhere.example.org/  X-Injected: 1 (not followed)"),
            std::string::npos);
  EXPECT_EQ(refuse(delivery(1), "callback_url caf\xe9"s).error, "callback_url caf\xef\xbf\xbd");
}

TEST(WebhookRetry, APingHasOneAttempt) {
  std::mt19937_64 rng{1};
  auto d = delivery(1);
  d.event = "platform.ping";
  EXPECT_EQ(decide(d, answered(500), policy(), now, rng).status, "failed");
  EXPECT_EQ(decide(d, answered(200), policy(), now, rng).status, "delivered");
}

TEST(WebhookBody, EndpointsBecomeAbsoluteAndTheBytesAreStable) {
  std::string stored =
    R"({"event": "platform.request.completed", "endpoints": {"download": "/platform/data/x/download",
        "stac_item": "https://elsewhere/x"}, "stac_metadata": {"id": "a"}, "status": "completed"})";
  auto body = event_body(stored, "https://geo.example.org", 1 << 20);
  auto doc = nlohmann::json::parse(body);
  EXPECT_EQ(doc["endpoints"]["download"], "https://geo.example.org/platform/data/x/download");
  EXPECT_EQ(doc["endpoints"]["stac_item"], "https://elsewhere/x");
  EXPECT_EQ(doc["stac_metadata"]["id"], "a");
  EXPECT_EQ(event_body(stored, "https://geo.example.org", 1 << 20), body);
}

TEST(WebhookBody, AnOversizedBodyIsSentWithoutItsStacMetadata) {
  std::string big(5000, 'x');
  nlohmann::json stored = {{"event", "platform.request.completed"},
                           {"stac_metadata", {{"description", big}}},
                           {"endpoints", {{"stac_item", "/platform/stac/x"}}}};
  auto doc = nlohmann::json::parse(event_body(stored.dump(), "http://h", 4096));
  EXPECT_TRUE(doc["stac_metadata"].is_null());
  EXPECT_TRUE(doc["stac_metadata_omitted"].is_string());
  EXPECT_EQ(doc["endpoints"]["stac_item"], "http://h/platform/stac/x");
}

TEST(WebhookBody, DeliveryDocuments) {
  webhook_delivery d;
  d.delivery_id = "msg_0123456789abcdef0123456789abcdef";
  d.client_id = "ddh";
  d.event = "platform.ping";
  d.status = delivery_status::failed;
  d.attempts = 1;
  d.last_status_code = 500;
  auto j = delivery_json(d, "http://h");
  EXPECT_EQ(j["status"], "failed");
  EXPECT_TRUE(j["request_id"].is_null());
  EXPECT_EQ(j["last_status_code"], 500);
  EXPECT_EQ(j["links"]["self"], "http://h/platform/webhooks/" + d.delivery_id);
  auto ping = nlohmann::json::parse(ping_payload("ddh", "https://x/y", now));
  EXPECT_EQ(ping["event"], "platform.ping");
  EXPECT_EQ(ping["client_id"], "ddh");
}
