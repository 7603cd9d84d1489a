#include "actors/migrator.hpp"

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/live_actor.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;

struct migrator_state : live_actor<actor_kind::migrator> {
  actor_state state = actor_state::pending;
  std::string last_error;
  int64_t version = 0;
  std::chrono::milliseconds backoff{1000};
  uint64_t attempts = 0;
  static inline const char* name = "migrator";
};

migrator_impl::behavior_type migrator(
  caf::stateful_actor<migrator_state, migrator_impl::base>* self, db_pool_actor pool) {
  self->send(self, migrate_atom_v);
  return {
    // Tries once; on failure schedules the next attempt.
    [=](migrate_atom) {
      auto& st = self->state;
      if (st.state == actor_state::migrated)
        return;
      ++st.attempts;
      // The migration runs on a pooled worker (blocking work stays off the scheduler).
      self->request(pool, 10min, db::migrate{})
        .then(
          [=](const db::migrate::result& done) {
            for (auto v : done.applied)
              GP_LOG_INFO("migrator: applied migration {}", v);
            auto version = done.version;
            auto& st = self->state;
            st.state = actor_state::migrated;
            st.version = version;
            st.last_error.clear();
            GP_LOG_INFO("migrator: database schema at version {}", version);
          },
          [=](const caf::error& err) {
            auto& st = self->state;
            st.state = actor_state::retrying;
            st.last_error = error_detail(err);
            GP_LOG_WARN("migrator: attempt {} failed ({}): {}; next attempt in {} ms", st.attempts,
                        self->system().render(err), st.last_error, st.backoff.count());
            self->delayed_send(self, st.backoff, migrate_atom_v);
            st.backoff = std::min<std::chrono::milliseconds>(st.backoff * 2, 30s);
          });
    },
    // State (pending, retrying, migrated), version and last error.
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"migrator",
                           st.state,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"schema_version", std::to_string(st.version)},
                            {"attempts", std::to_string(st.attempts)},
                            {"last_error", st.last_error}}};
    },
  };
}

}  // namespace

migrator_actor spawn_migrator(caf::actor_system& sys, db_pool_actor pool) {
  return caf::actor_cast<migrator_actor>(sys.spawn(migrator, std::move(pool)));
}

}  // namespace gp
