#pragma once
// What one delivery attempt comes to (docs/webhooks.md, "Retries"): only a 2xx delivers; 410
// Gone stops for good; anything else is retried after the schedule's next step with full jitter
// (a uniformly random wait between zero and the step), and never sooner than the receiver's
// Retry-After on a 429 or 503; a delivery is dead once the schedule is used up *and* the retry window has passed
// since its retries began, so jitter never makes it give up early. Pure functions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "messages/webhooks.hpp"

namespace gp::io::webhooks {

struct retry_policy {
  /// The waits before the 2nd, 3rd, … attempts; the last one repeats until the window passed.
  std::vector<std::chrono::milliseconds> steps;
  /// A delivery is not given up before this much time since its retries began.
  std::chrono::seconds window{86400};
  /// The longest Retry-After honoured (a longer one is cut to this).
  std::chrono::seconds max_retry_after{21600};
};

/// "5s,30s,2m,10m,30m,1h,3h,6h,12h": steps with a unit (ms, s, m, h); nothing, with the reason
/// in `why`, when it is not one.
std::optional<std::vector<std::chrono::milliseconds>> parse_schedule(const std::string& text,
                                                                     std::string* why);

/// A Retry-After value (delay-seconds or an HTTP-date) as milliseconds from `now` (seconds
/// since the epoch); nothing when it is neither. A date in the past is 0.
std::optional<int64_t> retry_after_ms(const std::string& value, int64_t now);

/// What an attempt found out.
struct attempt_report {
  int status = 0;  ///< HTTP status; 0: no answer
  std::string error;
  std::string retry_after;
  std::string location;
  bool address_refused = false;
};

/// The outcome to store for attempt `d.attempts` of `d`, made at `now` (seconds since the epoch).
delivery_outcome decide(const claimed_delivery& d, const attempt_report& r,
                        const retry_policy& policy, int64_t now, std::mt19937_64& rng);

/// An outcome that ends `d` without an attempt: `status` failed, with `why`.
delivery_outcome refuse(const claimed_delivery& d, std::string why);

/// An outcome that gives `d` back unattempted: pending and due at once, its attempt not counted
/// (a node stopping, or a claim that would outlive its lease before its turn).
delivery_outcome give_back(const claimed_delivery& d);

}  // namespace gp::io::webhooks
