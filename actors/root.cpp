#include "actors/root.hpp"

#include <deque>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/live_actor.hpp"
#include "actors/migrator.hpp"
#include "actors/request.hpp"
#include "io/jobs/registry.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;

/// A child as the root stops it: any actor, whatever its interface.
struct child {
  std::string name;
  caf::actor handle;
  bool alive = true;
};

struct root_state : live_actor<actor_kind::root> {
  root_options opts;
  /// In stop order: the edge first (no new work), the pool last (in-flight work needs it).
  std::deque<child> children;
  /// The edge, drained first.
  http_edge_actor edge;
  caf::typed_response_promise<bool> shutdown_promise;
  bool drained = false;
  bool stopping = false;
  static inline const char* name = "root";

  child* find(const caf::actor_addr& addr) {
    for (auto& c : children)
      if (c.handle.address() == addr)
        return &c;
    return nullptr;
  }
};

using root_self = caf::stateful_actor<root_state, root_actor::base>;

/// Stops the next live child in the fixed order; when none is left, answers and quits.
void stop_next(root_self* self) {
  auto& st = self->state;
  while (!st.children.empty() && !st.children.front().alive)
    st.children.pop_front();
  if (st.children.empty()) {
    GP_LOG_INFO("root: all actors stopped");
    st.shutdown_promise.deliver(st.drained);
    self->quit();
    return;
  }
  GP_LOG_DEBUG("root: stopping {}", st.children.front().name);
  self->send_exit(st.children.front().handle, caf::exit_reason::user_shutdown);
}

void begin_stopping(root_self* self, bool drained) {
  self->state.drained = drained;
  stop_next(self);
}

root_actor::behavior_type root(root_self* self, root_options opts,
                   std::shared_ptr<io::http::server> server) {
  auto& st = self->state;
  st.opts = std::move(opts);
  auto pool = spawn_db_pool(self->system(), st.opts.db, st.opts.db_pool_size);
  auto migrator = spawn_migrator(self->system(), pool);
  auto auth = spawn_auth(self->system(), pool, st.opts.auth);
  auto request = st.opts.requests;
  request.jobs = &io::jobs::builtin_registry();
  auto engine = st.opts.engine;
  engine.first_jobs = first_job_planner_of(request);
  auto core = spawn_coremachine(self->system(), pool, engine, io::jobs::builtin_registry());
  auto stac_opts = st.opts.stac;
  stac_opts.pool = pool;
  stac_opts.base_url = st.opts.edge.public_base_url;
  stac_opts.db_timeout = st.opts.requests.db_timeout;
  auto stac = spawn_stac_catalog(self->system(), stac_opts);
  auto webhook_opts = st.opts.webhooks;
  webhook_opts.pool = pool;
  webhook_opts.node_id = st.opts.engine.node_id;
  webhook_opts.base_url = st.opts.edge.public_base_url;
  webhook_opts.db_timeout = st.opts.requests.db_timeout;
  auto webhooks = spawn_webhook_dispatcher(self->system(), std::move(webhook_opts));
  request.pool = pool;
  request.stac = stac;
  request.coremachine = core;
  request.board = std::make_shared<status_board>();
  auto board = request.board;
  auto registry_opts = st.opts.registry;
  registry_opts.webhooks = webhooks;
  auto registry = spawn_registry(self->system(), std::move(registry_opts), std::move(request),
                                 st.opts.supervisor);
  auto edge = spawn_http_edge(self->system(), std::move(server),
                              {pool, auth, migrator, core, registry, board,
                               stac_opts.generation, webhooks},
                              st.opts.edge);
  st.edge = edge;
  auto any = [](const auto& handle) { return caf::actor_cast<caf::actor>(handle); };
  // Request actors finish through the catalogue: it stops after the registry.
  // Webhook outcomes are written through the pool: the dispatcher stops before it.
  st.children = {{"http_edge", any(edge)},
                 {"registry", any(registry)},
                 {"stac_catalog", any(stac)},
                 {"webhook_dispatcher", any(webhooks)},
                 {"coremachine", any(core)},
                 {"auth", any(auth)},
                 {"migrator", any(migrator)},
                 {"db_pool", any(pool)}};
  // Monitored to learn of failures; linked so that killing the root takes every child with it.
  for (auto& c : st.children) {
    self->monitor(c.handle);
    self->link_to(c.handle);
  }
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    if (self->state.find(msg.source) == nullptr)
      self->quit(msg.reason);
  });
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& st = self->state;
    auto* c = st.find(dm.source);
    if (c == nullptr)
      return;
    c->alive = false;
    if (st.stopping) {
      stop_next(self);
      return;
    }
    // The node cannot serve without any of its core actors: stop it rather than limp on.
    GP_LOG_ERROR("root: {} stopped unexpectedly ({}); shutting the node down", c->name,
                 self->system().render(dm.reason));
    if (st.opts.on_fatal)
      st.opts.on_fatal();
  });
  return {
    // Orderly shutdown: drain HTTP first so in-flight calls still reach the database.
    [=](shutdown_atom) {
      auto& st = self->state;
      auto rp = self->make_response_promise<bool>();
      if (st.stopping) {
        rp.deliver(false);
        return rp;
      }
      st.stopping = true;
      st.shutdown_promise = rp;
      GP_LOG_INFO("root: shutting down (grace {} ms)", st.opts.shutdown_grace.count());
      auto& edge = st.children.front();
      if (edge.name != "http_edge" || !edge.alive) {
        begin_stopping(self, false);
        return rp;
      }
      // The edge answers after the calls in flight (the grace) and its last usage write (a
      // database round trip).
      self->request(st.edge, st.opts.shutdown_grace + 1s + st.opts.edge.db_timeout, drain_atom_v,
                    st.opts.shutdown_grace)
        .then([=](bool drained) { begin_stopping(self, drained); },
              [=](const caf::error& err) {
                GP_LOG_WARN("root: drain failed: {}", self->system().render(err));
                begin_stopping(self, false);
              });
      return rp;
    },
    // The root's own state and how many children are alive.
    [=](status_atom) {
      auto& st = self->state;
      size_t alive = 0;
      for (auto& c : st.children)
        alive += c.alive ? 1 : 0;
      return status_report{"root",
                           st.stopping ? actor_state::stopping : actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"children_alive", std::to_string(alive)}}};
    },
  };
}

}  // namespace

root_actor spawn_root(caf::actor_system& sys, root_options opts,
                      std::shared_ptr<io::http::server> server) {
  return caf::actor_cast<root_actor>(sys.spawn(root, std::move(opts), std::move(server)));
}

}  // namespace gp
