#pragma once
// Pools in front of the real db_pool that change only the timing of its answers, for tests of
// races between a database answer and other messages. Each handles every operation of the
// pool's interface (db::pool_operations) and hands it over to the real pool.
#include <chrono>
#include <memory>
#include <random>
#include <thread>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace gp::test {

namespace detail {

template <class... Ops>
caf::behavior delaying(caf::event_based_actor* self, gp::db_pool_actor real,
                       std::chrono::milliseconds delay, caf::detail::type_list<Ops...>) {
  return {[=](Ops& op) {
    std::this_thread::sleep_for(delay);
    return self->delegate(real, std::move(op));
  }...};
}

template <class Op>
auto hold_then_hand_over(caf::event_based_actor* self, gp::db_pool_actor real,
                         std::shared_ptr<std::mt19937> rng) {
  return [=](Op& op) {
    auto delay = std::chrono::milliseconds((*rng)() % 100);
    auto holder = self->spawn<caf::detached>([real, delay](caf::event_based_actor* h) {
      return caf::behavior{[=](Op& o) {
        std::this_thread::sleep_for(delay);
        h->quit();
        return h->delegate(real, std::move(o));
      }};
    });
    return self->delegate(holder, std::move(op));
  };
}

template <class... Ops>
caf::behavior shuffling(caf::event_based_actor* self, gp::db_pool_actor real,
                        caf::detail::type_list<Ops...>) {
  auto rng = std::make_shared<std::mt19937>(7);
  return {hold_then_hand_over<Ops>(self, real, rng)...};
}

}  // namespace detail

/// Every operation waits `delay` on the wrapper's own thread first (one at a time).
inline gp::db_pool_actor delaying_pool(caf::actor_system& sys, gp::db_pool_actor real,
                                       std::chrono::milliseconds delay) {
  return caf::actor_cast<gp::db_pool_actor>(sys.spawn<caf::detached>(
    [=](caf::event_based_actor* self) {
      return detail::delaying(self, real, delay, gp::db::pool_operations{});
    }));
}

/// Every operation is held for a random 0-100 ms on a thread of its own, so answers come back
/// in another order than the operations were sent (as they may from a busy pool).
inline gp::db_pool_actor shuffling_pool(caf::actor_system& sys, gp::db_pool_actor real) {
  return caf::actor_cast<gp::db_pool_actor>(sys.spawn([=](caf::event_based_actor* self) {
    return detail::shuffling(self, real, gp::db::pool_operations{});
  }));
}

}  // namespace gp::test
