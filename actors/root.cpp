#include "actors/root.hpp"

#include <deque>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/migrator.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;

struct root_state {
  root_options opts;
  db_pool_actor pool;
  migrator_actor migrator;
  http_edge_actor edge;
  /// Children still to stop, in order.
  std::deque<std::pair<std::string, caf::actor>> stop_queue;
  caf::response_promise shutdown_promise;
  bool drained = false;
  bool stopping = false;
  static inline const char* name = "root";
};

/// Stops the next child in the fixed order; when none is left, answers and quits.
void stop_next(caf::stateful_actor<root_state>* self) {
  auto& st = self->state;
  if (st.stop_queue.empty()) {
    GP_LOG_INFO("root: all actors stopped");
    st.shutdown_promise.deliver(st.drained);
    self->quit();
    return;
  }
  auto& [name, child] = st.stop_queue.front();
  GP_LOG_DEBUG("root: stopping {}", name);
  self->send_exit(child, caf::exit_reason::user_shutdown);
}

caf::behavior root(caf::stateful_actor<root_state>* self, root_options opts,
                   std::shared_ptr<io::http::server> server) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.pool = spawn_db_pool(self->system(), st.opts.db, st.opts.db_pool_size);
  st.migrator = spawn_migrator(self->system(), st.pool);
  st.edge = spawn_http_edge(self->system(), std::move(server), st.pool, st.opts.edge);
  for (auto& child : {st.pool, st.migrator, st.edge})
    self->monitor(child);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    if (st.stopping && !st.stop_queue.empty() && dm.source == st.stop_queue.front().second) {
      st.stop_queue.pop_front();
      stop_next(self);
      return;
    }
    if (!st.stopping)
      GP_LOG_ERROR("root: a child actor stopped unexpectedly: {}", self->system().render(dm.reason));
  });
  return {
    // Orderly shutdown: drain HTTP first so in-flight calls still reach the database.
    [=](shutdown_atom) {
      auto& st = self->state;
      st.shutdown_promise = self->make_response_promise();
      auto rp = st.shutdown_promise;
      if (st.stopping)
        return rp;
      st.stopping = true;
      GP_LOG_INFO("root: shutting down (grace {} ms)", st.opts.shutdown_grace.count());
      self->request(st.edge, st.opts.shutdown_grace + 1s, drain_atom_v, st.opts.shutdown_grace)
        .then(
          [=](bool drained) {
            self->state.drained = drained;
            self->state.stop_queue = {{"http_edge", self->state.edge},
                                      {"migrator", self->state.migrator},
                                      {"db_pool", self->state.pool}};
            stop_next(self);
          },
          [=](const caf::error& err) {
            GP_LOG_WARN("root: drain failed: {}", self->system().render(err));
            self->state.stop_queue = {{"http_edge", self->state.edge},
                                      {"migrator", self->state.migrator},
                                      {"db_pool", self->state.pool}};
            stop_next(self);
          });
      return rp;
    },
    // Status of the root itself.
    [=](status_atom) {
      return status_report{"root", self->state.stopping ? "stopping" : "running", {}};
    },
  };
}

}  // namespace

root_actor spawn_root(caf::actor_system& sys, root_options opts,
                      std::shared_ptr<io::http::server> server) {
  return sys.spawn(root, std::move(opts), std::move(server));
}

}  // namespace gp
