#include "actors/db_pool.hpp"

#include <caf/all.hpp>

#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

struct db_worker_state {
  std::unique_ptr<persistence::db_session> session;
  uint64_t jobs = 0;
  uint64_t failures = 0;
  static inline const char* name = "db_worker";
};

caf::behavior db_worker(caf::stateful_actor<db_worker_state>* self, caf::actor pool, size_t index,
                        persistence::db_options opts) {
  self->state.session = std::make_unique<persistence::db_session>(std::move(opts));
  return {
    // Runs one job on this worker's connection; reports back to the pool when done.
    [=](db_run_atom, const db_job& job) -> caf::result<caf::message> {
      auto& st = self->state;
      ++st.jobs;
      auto res = st.session->run<caf::message>(job);
      self->send(pool, db_done_atom_v, index);
      if (!res) {
        ++st.failures;
        return std::move(res.error());
      }
      return caf::result<caf::message>{std::move(*res)};
    },
  };
}

struct db_pool_state {
  std::vector<caf::actor> workers;
  std::vector<size_t> outstanding;
  uint64_t dispatched = 0;
  static inline const char* name = "db_pool";
};

caf::behavior db_pool(caf::stateful_actor<db_pool_state>* self, persistence::db_options opts,
                      size_t size) {
  auto& st = self->state;
  for (size_t i = 0; i < size; ++i) {
    auto w = self->spawn<caf::detached + caf::linked>(db_worker, caf::actor{self}, i, opts);
    st.workers.push_back(w);
    st.outstanding.push_back(0);
  }
  GP_LOG_INFO("db_pool: {} connections to {}", size, persistence::redact_url(opts.url));
  return {
    // Hands the job to the worker with the fewest outstanding jobs; it answers the caller.
    [=](db_run_atom atm, db_job& job) {
      auto& st = self->state;
      auto best = std::min_element(st.outstanding.begin(), st.outstanding.end()) -
                  st.outstanding.begin();
      ++st.outstanding[best];
      ++st.dispatched;
      return self->delegate(st.workers[best], atm, std::move(job));
    },
    // A worker finished a job.
    [=](db_done_atom, size_t index) {
      auto& st = self->state;
      if (index < st.outstanding.size() && st.outstanding[index] > 0)
        --st.outstanding[index];
    },
    // Pool size, jobs in flight and jobs dispatched so far.
    [=](status_atom) {
      auto& st = self->state;
      size_t busy = 0;
      for (auto n : st.outstanding)
        busy += n;
      return status_report{"db_pool",
                           "running",
                           {{"size", std::to_string(st.workers.size())},
                            {"outstanding", std::to_string(busy)},
                            {"dispatched", std::to_string(st.dispatched)}}};
    },
  };
}

}  // namespace

db_pool_actor spawn_db_pool(caf::actor_system& sys, const persistence::db_options& opts,
                            size_t size) {
  return sys.spawn(db_pool, opts, size);
}

}  // namespace gp
