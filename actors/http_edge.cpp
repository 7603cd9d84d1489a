#include "actors/http_edge.hpp"

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"
#include "io/http/router.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "persistence/readiness.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;
using io::http::problem;

enum route : int { livez, readyz };

io::http::router make_router() {
  io::http::router r;
  r.add("GET", "/livez", livez);
  r.add("GET", "/readyz", readyz);
  return r;
}

struct http_edge_state {
  std::shared_ptr<io::http::server> server;
  io::http::router routes = make_router();
  db_pool_actor pool;
  http_edge_options opts;
  bool draining = false;
  caf::response_promise drain_promise;
  std::chrono::steady_clock::time_point drain_deadline;
  uint64_t calls = 0;
  static inline const char* name = "http_edge";
};

void handle_readyz(caf::stateful_actor<http_edge_state>* self, http_call call) {
  auto& st = self->state;
  if (st.draining)
    return call.reply(io::http::readiness_shutting_down());
  db_job check = [](pqxx::connection& c) {
    return caf::make_message(persistence::check_readiness(c));
  };
  auto reply = call.reply;
  self->request(st.pool, st.opts.readiness_timeout, db_run_atom_v, std::move(check))
    .then([reply](const db_health& h) { reply(io::http::readiness_response(h)); },
          [reply](const caf::error& err) {
            bool timed_out = is(err, errc::database_timeout) || err == caf::sec::request_timeout;
            reply(io::http::readiness_unavailable(timed_out));
          });
}

void dispatch(caf::stateful_actor<http_edge_state>* self, http_call call) {
  auto& st = self->state;
  ++st.calls;
  auto m = st.routes.match(call.req.method, call.req.path);
  using kind = io::http::route_match::kind;
  if (m.result == kind::not_found)
    return call.reply(problem(404, "not_found", "no route for " + call.req.path));
  if (m.result == kind::method_not_allowed) {
    auto r = problem(405, "method_not_allowed",
                     call.req.method + " is not supported on " + call.req.path);
    r.headers.emplace_back("Allow", m.allow);
    return call.reply(std::move(r));
  }
  switch (m.route) {
    case livez:
      return call.reply(io::http::liveness_response());
    case readyz:
      return handle_readyz(self, std::move(call));
    default:
      return call.reply(problem(500, "internal", "unrouted request"));
  }
}

/// Answers the pending drain request once nothing is in flight or its deadline passed;
/// otherwise looks again in 20 ms.
void check_drain(caf::stateful_actor<http_edge_state>* self) {
  auto& st = self->state;
  if (!st.drain_promise.pending())
    return;
  auto left = st.server->in_flight();
  if (left == 0 || std::chrono::steady_clock::now() >= st.drain_deadline) {
    if (left > 0)
      GP_LOG_WARN("http_edge: {} calls still in flight at the shutdown deadline", left);
    st.drain_promise.deliver(left == 0);
    return;
  }
  self->delayed_send(self, 20ms, tick_atom_v);
}

caf::behavior http_edge(caf::stateful_actor<http_edge_state>* self,
                        std::shared_ptr<io::http::server> server, db_pool_actor pool,
                        http_edge_options opts) {
  auto& st = self->state;
  st.server = server;
  st.pool = std::move(pool);
  st.opts = std::move(opts);
  caf::actor me = caf::actor_cast<caf::actor>(self);
  server->start([me](io::http::request req, io::http::responder reply) {
    caf::anon_send(me, http_atom_v, http_call{std::move(req), std::move(reply)});
  });
  return {
    // One HTTP call from the I/O threads.
    [=](http_atom, http_call& call) { dispatch(self, std::move(call)); },
    // Stop accepting and answer once in-flight calls are done (true) or the deadline passed.
    [=](drain_atom, std::chrono::milliseconds grace) {
      auto& st = self->state;
      st.draining = true;
      st.drain_deadline = std::chrono::steady_clock::now() + grace;
      st.drain_promise = self->make_response_promise();
      st.server->stop_accepting();
      auto rp = st.drain_promise;
      check_drain(self);
      return rp;
    },
    // Drain poll.
    [=](tick_atom) { check_drain(self); },
    // Connections, calls in flight and calls handled.
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"http_edge",
                           st.draining ? "draining" : "serving",
                           {{"connections", std::to_string(st.server->connections())},
                            {"in_flight", std::to_string(st.server->in_flight())},
                            {"calls", std::to_string(st.calls)}}};
    },
  };
}

}  // namespace

http_edge_actor spawn_http_edge(caf::actor_system& sys, std::shared_ptr<io::http::server> server,
                                db_pool_actor pool, http_edge_options opts) {
  return sys.spawn(http_edge, std::move(server), std::move(pool), std::move(opts));
}

}  // namespace gp
