#include "io/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace gp::io {

int64_t token_bucket::take(int per_minute, clock::time_point now) {
  if (per_minute <= 0)
    return 0;
  double limit = per_minute;
  if (!started_) {
    tokens_ = limit;
    started_ = true;
  } else if (now > last_) {
    std::chrono::duration<double> gone = now - last_;
    tokens_ += gone.count() * limit / 60.0;
  }
  last_ = std::max(last_, now);
  tokens_ = std::min(tokens_, limit);
  // A call due at the very second a refusal named may find 0.9999999 tokens: it goes on.
  constexpr double slack = 1e-9;
  if (tokens_ >= 1.0 - slack) {
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens_) * 60.0 / limit)));
}

int64_t token_bucket::remaining() const {
  return static_cast<int64_t>(std::floor(tokens_ + 1e-9));
}

int64_t token_bucket::seconds_to_full(int per_minute) const {
  if (per_minute <= 0 || tokens_ >= per_minute)
    return 0;
  return static_cast<int64_t>(std::ceil((per_minute - tokens_) * 60.0 / per_minute));
}

const char* name_of(rate_class c) {
  switch (c) {
    case rate_class::submit: return "submit";
    case rate_class::read: return "read";
    case rate_class::tiles: return "tiles";
    case rate_class::none: break;
  }
  return "none";
}

}  // namespace gp::io
