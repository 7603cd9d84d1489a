#pragma once
// Calls waiting for an answer, oldest first, each with a deadline: one timer serves them all
// (a CAF request timeout per call would wake CAF's timer thread twice per call). Every call is
// answered once: by its answer, or by its expiry if the deadline passes first.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

namespace gp::io {

class deadline_queue {
public:
  using clock = std::chrono::steady_clock;

  /// A waiting call's answer slot: take() is true once, for whoever answers first.
  class ticket {
  public:
    bool take() { return !std::exchange(*answered_, true); }

  private:
    friend class deadline_queue;
    explicit ticket(std::shared_ptr<bool> answered) : answered_(std::move(answered)) {}
    std::shared_ptr<bool> answered_;
  };

  /// Adds a call; `on_expiry` runs if the deadline passes before the ticket is taken. Deadlines
  /// must not decrease from one call to the next (one timeout for all calls).
  ticket push(clock::time_point deadline, std::function<void()> on_expiry) {
    auto answered = std::make_shared<bool>(false);
    calls_.push_back({deadline, answered, std::move(on_expiry)});
    return ticket{std::move(answered)};
  }

  /// Forgets the answered calls at the front and expires those past their deadline; returns how
  /// many expired. Calls answered behind an unanswered one wait for it to go first.
  size_t expire(clock::time_point now) {
    size_t expired = 0;
    while (!calls_.empty() && (*calls_.front().answered || calls_.front().deadline <= now)) {
      auto call = std::move(calls_.front());
      calls_.pop_front();
      if (!std::exchange(*call.answered, true)) {
        ++expired;
        call.on_expiry();
      }
    }
    return expired;
  }

  bool empty() const { return calls_.empty(); }
  size_t size() const { return calls_.size(); }

private:
  struct call {
    clock::time_point deadline;
    std::shared_ptr<bool> answered;
    std::function<void()> on_expiry;
  };
  std::deque<call> calls_;
};

}  // namespace gp::io
