#include "io/webhooks/host_limit.hpp"

#include <algorithm>

namespace gp::io::webhooks {

host_signal signal_of(int status, std::chrono::microseconds elapsed, bool address_refused) {
  if (address_refused)
    return host_signal::neutral;
  if (status == 0 || status == 429 || status >= 500)
    return host_signal::overloaded;
  if (status >= 200 && status < 300 && elapsed <= prompt_answer)
    return host_signal::prompt;
  return host_signal::neutral;
}

host_limit::host_limit(size_t floor, size_t ceiling)
    : floor_(std::max<size_t>(1, floor)),
      ceiling_(std::max(floor_, ceiling)),
      current_(floor_) {}

void host_limit::ended(host_signal s, bool waiting) {
  switch (s) {
    case host_signal::prompt:
      if (!waiting || current_ >= ceiling_)
        return;
      // Until the host was first overloaded, one more slot per prompt answer: the limit doubles
      // with each round of its slots, so a fast receiver has its connections after one round
      // rather than one more per round (16 to 32: 16 answers rather than about 400). After
      // that, one more per `current_` prompt answers: the limit grows by about one each time
      // the host has answered a full round of its slots, and nears what overloaded it slowly.
      if (overloaded_once_ && ++credit_ < current_)
        return;
      ++current_;
      credit_ = 0;
      return;
    case host_signal::overloaded:
      current_ = std::max(floor_, floor_ + (current_ - floor_) / 2);
      credit_ = 0;
      overloaded_once_ = true;
      return;
    case host_signal::neutral:
      return;
  }
}

}  // namespace gp::io::webhooks
