#pragma once
// The pool's behaviour for any list of operations: the service instantiates it for
// db::pool_operations (db_pool.cpp), tests for operations of their own. Each operation `Op` has a
// `result` type and an overload `execute(persistence::db_session&, const Op&)` found by
// argument-dependent lookup, returning caf::expected<Op::result>.
#include <algorithm>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "actors/live_actor.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/health.hpp"
#include "persistence/database.hpp"

namespace gp::db_pool_detail {

template <class Ops>
struct types;

template <class... Ops>
struct types<caf::detail::type_list<Ops...>> {
  /// What callers see.
  using pool = typename db_interface<caf::detail::type_list<Ops...>>::type;
  /// What the pool is: its workers also tell it when they are done.
  using pool_impl = typename pool::template extend<caf::reacts_to<db_done_atom, size_t>>;
  using worker =
    caf::typed_actor<typename caf::replies_to<Ops>::template with<typename Ops::result>...>;
};

struct worker_state : live_actor<actor_kind::db_worker> {
  std::unique_ptr<persistence::db_session> session;
  uint64_t jobs = 0;
  uint64_t failures = 0;
  static inline const char* name = "db_worker";
};

/// Runs one operation on the worker's connection; tells the pool when it is done.
template <class Op, class Self, class Pool>
auto run_on_worker(Self* self, Pool pool, size_t index) {
  return [=](Op& op) -> caf::result<typename Op::result> {
    auto& st = self->state;
    ++st.jobs;
    auto res = execute(*st.session, op);
    self->send(pool, db_done_atom_v, index);
    if (!res) {
      ++st.failures;
      return std::move(res.error());
    }
    return std::move(*res);
  };
}

template <class... Ops>
typename types<caf::detail::type_list<Ops...>>::worker::behavior_type
worker(typename types<caf::detail::type_list<Ops...>>::worker::template stateful_pointer<
         worker_state>
         self,
       typename types<caf::detail::type_list<Ops...>>::pool_impl pool, size_t index,
       persistence::db_options opts) {
  self->state.session = std::make_unique<persistence::db_session>(std::move(opts));
  return {run_on_worker<Ops>(self, pool, index)...};
}

template <class Worker>
struct pool_state : live_actor<actor_kind::db_pool> {
  std::vector<Worker> workers;
  std::vector<size_t> outstanding;
  uint64_t dispatched = 0;
  static inline const char* name = "db_pool";
};

/// Hands the operation to the worker with the fewest outstanding ones; it answers the caller.
template <class Op, class Self>
auto hand_over(Self* self) {
  return [=](Op& op) {
    auto& st = self->state;
    auto best = std::min_element(st.outstanding.begin(), st.outstanding.end()) -
                st.outstanding.begin();
    ++st.outstanding[best];
    ++st.dispatched;
    return self->delegate(st.workers[best], std::move(op));
  };
}

template <class... Ops>
typename types<caf::detail::type_list<Ops...>>::pool_impl::behavior_type
pool(typename types<caf::detail::type_list<Ops...>>::pool_impl::template stateful_pointer<
       pool_state<typename types<caf::detail::type_list<Ops...>>::worker>>
       self,
     persistence::db_options opts, size_t size) {
  using t = types<caf::detail::type_list<Ops...>>;
  auto& st = self->state;
  auto me = caf::actor_cast<typename t::pool_impl>(self);
  for (size_t i = 0; i < size; ++i) {
    st.workers.push_back(
      self->template spawn<caf::detached + caf::linked>(worker<Ops...>, me, i, opts));
    st.outstanding.push_back(0);
  }
  GP_LOG_INFO("db_pool: {} connections to {}", size, persistence::redact_url(opts.url));
  return {
    hand_over<Ops>(self)...,
    // A worker finished an operation.
    [=](db_done_atom, size_t index) {
      auto& st = self->state;
      if (index < st.outstanding.size() && st.outstanding[index] > 0)
        --st.outstanding[index];
    },
    // Pool size, operations in flight and operations dispatched so far.
    [=](status_atom) {
      auto& st = self->state;
      size_t busy = 0;
      for (auto n : st.outstanding)
        busy += n;
      return status_report{"db_pool",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"size", std::to_string(st.workers.size())},
                            {"outstanding", std::to_string(busy)},
                            {"dispatched", std::to_string(st.dispatched)}}};
    },
  };
}

template <class... Ops>
auto spawn(caf::actor_system& sys, caf::detail::type_list<Ops...>,
           const persistence::db_options& opts, size_t size) {
  using t = types<caf::detail::type_list<Ops...>>;
  return caf::actor_cast<typename t::pool>(sys.spawn(pool<Ops...>, opts, size));
}

}  // namespace gp::db_pool_detail
