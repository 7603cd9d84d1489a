#pragma once
// How many attempts one callback host may have in flight on a node (docs/webhooks.md, "A host's
// limit"). A host starts at `floor` (webhooks.per_host). A host that answers promptly while its
// deliveries wait for a slot earns more slots, up to `ceiling` (webhooks.per_host_max): one per
// such answer until it is first found overloaded (its limit doubles with every round of its
// slots), one per `current()` such answers after that. An attempt that finds it overloaded or
// out of reach (no answer, 429, 5xx) halves what it earned, never below `floor`. A host that
// never answers therefore stays at `floor`: a hanging receiver holds no more slots than before,
// while a fast one gets the connections it can use within a round of them. Pure logic.
#include <chrono>
#include <cstddef>

namespace gp::io::webhooks {

/// An answer this fast (a 2xx) counts as prompt.
constexpr std::chrono::milliseconds prompt_answer{1000};

/// What an ended attempt says about its host's room for more.
enum class host_signal {
  prompt,      ///< a 2xx within prompt_answer
  neutral,     ///< anything else the receiver decided (a slow 2xx, 3xx, 4xx other than 429)
  overloaded,  ///< no answer (connect failure, reset, timeout), 429, or a 5xx
};

/// The signal of an attempt answered with `status` (0: no answer) after `elapsed`.
/// `address_refused`: no request was made (the address was refused before connecting).
host_signal signal_of(int status, std::chrono::microseconds elapsed, bool address_refused);

class host_limit {
 public:
  /// `ceiling` below `floor` is taken as `floor` (no growth); `floor` is at least 1.
  host_limit(size_t floor, size_t ceiling);

  size_t current() const { return current_; }

  /// An attempt ended with `s`; `waiting`: deliveries of the host were waiting for a slot (the
  /// limit held them back). Growth needs both a prompt answer and deliveries held back.
  void ended(host_signal s, bool waiting);

 private:
  size_t floor_;
  size_t ceiling_;
  size_t current_;
  /// Prompt answers since the limit last changed (counted once the host was overloaded).
  size_t credit_ = 0;
  /// Whether an attempt found the host overloaded since the limit began: then it grows by one
  /// slot per round of prompt answers rather than one per answer.
  bool overloaded_once_ = false;
};

}  // namespace gp::io::webhooks
