#pragma once
// A token bucket for per-client rate limits: up to a minute's worth of calls at once, refilled
// continuously. Pure logic, no clock of its own (the caller passes the time).
#include <chrono>
#include <cstdint>

namespace gp::io {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// Takes one call out of a limit of `per_minute` (the bucket holds at most that many, and
  /// gains per_minute / 60 a second). Returns 0 when the call may go on, else the whole seconds
  /// (at least 1) until it could. A limit of 0 or less takes nothing and never refuses. A bucket
  /// starts full; a lower limit than before caps what it holds at once.
  int64_t take(int per_minute, clock::time_point now);

  /// Whole calls left after the last take (RateLimit-Remaining).
  int64_t remaining() const;

  /// Whole seconds until the bucket is full again at `per_minute` (RateLimit-Reset).
  int64_t seconds_to_full(int per_minute) const;

 private:
  double tokens_ = 0;
  clock::time_point last_{};
  bool started_ = false;
};

/// The budgets a client's calls are counted against (docs/admin.md): submissions, reads
/// (status, listings, STAC, features, downloads) and map tiles; probes, admin and whoami
/// calls are not limited.
enum class rate_class { none, submit, read, tiles };

/// "submit", "read", "tiles" ("none" for none).
const char* name_of(rate_class c);

}  // namespace gp::io
