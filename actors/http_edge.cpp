#include "actors/http_edge.hpp"

#include <cmath>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/data_handlers.hpp"
#include "actors/admin_handlers.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/edge_metering.hpp"
#include "actors/node_metrics.hpp"
#include "actors/openapi.hpp"
#include "actors/features_handlers.hpp"
#include "actors/route_table.hpp"
#include "actors/stac_handlers.hpp"
#include "actors/webhook_handlers.hpp"
#include "io/crypto.hpp"
#include "io/http/access.hpp"
#include "io/http/json_body.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;
using io::http::problem;
using io::http::route_access;
using namespace routing;

/// The responder of a call while it is observed: on its answer it adds the call to the node's
/// HTTP metrics and names the route and client for the server's log line of the call (written
/// once the answer is), then passes the answer on. The client is set once the key is known.
struct observed_reply {
  io::http::responder inner;
  int route;
  bool metrics, access_log;
  std::chrono::steady_clock::time_point started;
  std::string method, client;

  void operator()(io::http::response r) {
    auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (metrics)
      node_metrics::get().http_call(route, method, r.status, seconds);
    if (access_log) {
      r.log_route = route < routing::route_count ? routing::route_table[route].pattern
                                                 : "unmatched";
      r.log_client = client;
    }
    inner(std::move(r));
  }
};

/// Makes `call` counted and logged as a call of `route` (when either is on).
void observe(edge_self* self, http_call& call, int route) {
  const auto& o = self->state.opts;
  if (!o.metrics && !o.access_log)
    return;
  call.reply = observed_reply{std::move(call.reply), route, o.metrics, o.access_log,
                              std::chrono::steady_clock::now(), call.req.method, {}};
}

/// Names the client of an observed call in its log line.
void observed_client(http_call& call, const principal& who) {
  if (auto* o = call.reply.target<observed_reply>())
    o->client = who.client_id;
}

io::http::router make_router() {
  io::http::router r;
  for (const auto& def : route_table)
    r.add(def.method, def.pattern, def.id);
  return r;
}

io::http::response unauthorized(const std::string& detail) {
  auto r = problem(401, "unauthorized", detail);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

/// Runs the handler of an authorised call (after the body checks of routes that take one).
void run(edge_self* self, http_call call, const route_def& def, const principal& who,
         const std::map<std::string, std::string>& params) {
  nlohmann::json body;
  if (def.json_body)
    if (auto bad = io::http::parse_json_body(call.req, body))
      return call.reply(std::move(*bad));
  switch (def.id) {
    case livez: return call.reply(io::http::liveness_response());
    case readyz: return handle_readyz(self, std::move(call));
    case whoami: return handle_whoami(self, std::move(call), who);
    case health: return handle_health(self, std::move(call));
    case admin_clients: return handle_admin_clients(self, std::move(call));
    case admin_keys: return handle_admin_keys(self, std::move(call));
    case admin_create_key: return handle_admin_create_key(self, std::move(call), who, body);
    case admin_revoke_key:
      return handle_admin_revoke_key(self, std::move(call), who, params.at("key_id"));
    case job_submit: return handle_job_submit(self, std::move(call), params.at("job_type"), body);
    case job_list: return handle_job_list(self, std::move(call));
    case job_get: return handle_job_get(self, std::move(call), params.at("job_id"));
    case job_cancel: return handle_job_cancel(self, std::move(call), params.at("job_id"));
    case platform_submit: return handle_platform_submit(self, std::move(call), who, body);
    case platform_status:
      return handle_platform_status(self, std::move(call), who, params.at("request_id"));
    case platform_list: return handle_platform_list(self, std::move(call), who);
    case platform_cancel:
      return handle_platform_cancel(self, std::move(call), who, params.at("request_id"));
    case platform_retry:
      return handle_platform_retry(self, std::move(call), who, params.at("request_id"));
    case features_landing: return handle_features_landing(self, std::move(call));
    case features_conformance: return handle_features_conformance(self, std::move(call));
    case features_collections: return handle_features_collections(self, std::move(call), who);
    case features_collection:
      return handle_features_collection(self, std::move(call), who, params.at("cid"));
    case features_items:
      return handle_features_items(self, std::move(call), who, params.at("cid"));
    case features_item:
      return handle_features_item(self, std::move(call), who, params.at("cid"), params.at("fid"));
    case data_download:
      return handle_data_download(self, std::move(call), who, params.at("request_id"));
    case data_file:
      return handle_data_file(self, std::move(call), who, params.at("request_id"),
                              params.at("name"));
    case data_mosaic:
      return handle_data_mosaic(self, std::move(call), who, params.at("request_id"));
    case stac_landing: return handle_stac_landing(self, std::move(call));
    case stac_conformance: return handle_stac_conformance(self, std::move(call));
    case stac_queryables: return handle_stac_queryables(self, std::move(call), who, "");
    case stac_collections: return handle_stac_collections(self, std::move(call), who);
    case stac_collection:
      return handle_stac_collection(self, std::move(call), who, params.at("cid"));
    case stac_schema:
      return handle_stac_queryables(self, std::move(call), who, params.at("cid"));
    case stac_items: return handle_stac_items(self, std::move(call), who, params.at("cid"));
    case stac_item:
      return handle_stac_item(self, std::move(call), who, params.at("cid"), params.at("iid"));
    case stac_search_get: return handle_stac_search(self, std::move(call), who, nullptr);
    case stac_search_post: return handle_stac_search(self, std::move(call), who, &body);
    case request_webhooks:
      return handle_request_webhooks(self, std::move(call), who, params.at("request_id"));
    case webhook_get:
      return handle_webhook_get(self, std::move(call), who, params.at("delivery_id"));
    case webhook_test: return handle_webhook_test(self, std::move(call), who, body);
    case admin_webhooks: return handle_admin_webhooks(self, std::move(call));
    case admin_redeliver:
      return handle_admin_redeliver(self, std::move(call), who, params.at("delivery_id"));
    case admin_rotate_secret:
      return handle_admin_rotate_secret(self, std::move(call), who, params.at("client_id"));
    case admin_create_client: return handle_admin_create_client(self, std::move(call), who, body);
    case admin_get_client:
      return handle_admin_get_client(self, std::move(call), params.at("client_id"));
    case admin_patch_client:
      return handle_admin_patch_client(self, std::move(call), who, params.at("client_id"), body);
    case admin_rotate_key:
      return handle_admin_rotate_key(self, std::move(call), who, params.at("key_id"));
    case admin_audit: return handle_admin_audit(self, std::move(call));
    case admin_usage: return handle_admin_usage(self, std::move(call));
    case platform_health: return handle_platform_health(self, std::move(call), who);
    case metrics: return handle_metrics(self, std::move(call));
    case openapi: {
      io::http::response r;
      r.content_type = "application/vnd.oai.openapi+json;version=3.1";
      r.body = openapi_json(self->state.opts.version);
      return call.reply(std::move(r));
    }
  }
}

int64_t clock_ns(edge_self* self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

/// Authorises an authenticated call for its route and runs it, or answers 403.
void admit(edge_self* self, http_call call, const route_def& def, const principal& who,
           const std::map<std::string, std::string>& params) {
  observed_client(call, who);
  if (auto why = io::http::authorize(who, def.who, call.req.method, call.req.path)) {
    ++self->state.refused;
    GP_LOG_INFO("http_edge: 403 for key {}: {} cid={}", who.key_id, *why,
                call.req.correlation_id);
    return call.reply(problem(403, "forbidden", *why));
  }
  if (!take_rate(self, call, def.budget, def.usage, who))
    return;
  meter(self, call, def.usage, who);
  run(self, std::move(call), def, who, params);
}

/// Checks the key of a call to a protected route, then runs it.
void authenticate(edge_self* self, http_call call, const route_def& def,
                  std::map<std::string, std::string> params) {
  auto key = io::http::presented_key(call.req);
  auto cid = call.req.correlation_id;
  if (key.empty()) {
    ++self->state.refused;
    return call.reply(unauthorized(
      "an API key is required: send it as X-Platform-API-Key or Authorization: Bearer"));
  }
  auto& verdicts = self->state.verdicts;
  auto digest = io::sha256_hex(key);
  if (auto i = verdicts.find(digest); i != verdicts.end()) {
    if (clock_ns(self) < i->second.reusable_until_ns)
      return admit(self, std::move(call), def, i->second, params);
    verdicts.erase(i);
  }
  self->request(self->state.peers.auth, self->state.opts.auth_timeout, auth_atom_v, key)
    .then(
      [=](const principal& who) mutable {
        auto& verdicts = self->state.verdicts;
        if (clock_ns(self) < who.reusable_until_ns) {
          if (verdicts.size() >= 10000)
            verdicts.clear();
          verdicts[digest] = who;
        }
        admit(self, std::move(call), def, who, params);
      },
      [=](const caf::error& err) mutable {
        if (is(err, errc::unauthorized)) {
          ++self->state.refused;
          GP_LOG_INFO("http_edge: 401: {} cid={}", error_detail(err), cid);
          return call.reply(unauthorized(error_detail(err)));
        }
        GP_LOG_WARN("http_edge: key check failed: {} cid={}", self->system().render(err), cid);
        call.reply(failure_response(err));
      });
}

/// Routes one call. `fallback` gets the call's (observed) responder before any handler runs: a
/// handler that throws is answered 500 through it, counted and logged like any other answer.
void dispatch(edge_self* self, http_call call, io::http::responder& fallback) {
  auto& st = self->state;
  ++st.calls;
  auto m = st.routes.match(call.req.method, call.req.path);
  using kind = io::http::route_match::kind;
  observe(self, call, m.result == kind::found ? m.route : node_metrics::unmatched_route);
  fallback = call.reply;
  if (m.result == kind::not_found)
    return call.reply(problem(404, "not_found", "no route for " + call.req.path));
  if (m.result == kind::method_not_allowed) {
    auto r = problem(405, "method_not_allowed",
                     call.req.method + " is not supported on " + call.req.path);
    r.headers.emplace_back("Allow", m.allow);
    return call.reply(std::move(r));
  }
  const auto& def = definition(m.route);
  bool open = def.who == route_access::open ||
              ((def.id == health || def.id == platform_health) && !st.opts.health_requires_key);
  if (open)
    return run(self, std::move(call), def, principal{}, m.params);
  authenticate(self, std::move(call), def, std::move(m.params));
}

/// Answers the pending drain request once nothing is in flight or its deadline passed;
/// otherwise looks again in 20 ms.
void check_drain(edge_self* self) {
  auto& st = self->state;
  if (!st.drain_promise.pending())
    return;
  auto left = st.server->in_flight();
  if (left == 0 || std::chrono::steady_clock::now() >= st.drain_deadline) {
    if (left > 0)
      GP_LOG_WARN("http_edge: {} calls still in flight at the shutdown deadline", left);
    // What was counted is written before the node stops (nothing lost on a clean stop).
    auto promise = st.drain_promise;
    st.drain_promise = {};
    flush_usage(self, [promise, done = left == 0]() mutable { promise.deliver(done); });
    return;
  }
  self->delayed_send(self, 20ms, tick_atom_v);
}

http_edge_impl::behavior_type http_edge(edge_self* self, std::shared_ptr<io::http::server> server,
                                        edge_peers peers, http_edge_options opts) {
  auto& st = self->state;
  st.server = server;
  st.routes = make_router();
  st.peers = std::move(peers);
  st.opts = std::move(opts);
  if (st.opts.stac_cache && st.peers.stac_generation)
    st.stac_cache =
      std::make_unique<io::bounded_map<http_edge_state::cached_answer>>(
        st.opts.stac_cache_entries);
  if (st.opts.usage)
    self->delayed_send(self, st.opts.usage_flush, flush_atom_v);
  auto me = caf::actor_cast<http_edge_actor>(self);
  server->start([me](io::http::request req, io::http::responder reply) {
    caf::anon_send(me, http_atom_v, http_call{std::move(req), std::move(reply)});
  });
  return {
    // One HTTP call from the I/O threads.
    [=](http_atom, http_call& call) {
      // A bug in one handler must not take the edge (and with it the node) down.
      io::http::responder reply;
      auto cid = call.req.correlation_id;
      try {
        dispatch(self, std::move(call), reply);
      } catch (const std::exception& e) {
        GP_LOG_ERROR("http_edge: handler failed: {} cid={}", e.what(), cid);
        if (reply)
          reply(problem(500, "internal", "an internal error occurred"));
      }
    },
    // Stop accepting and answer once in-flight calls are done (true) or the deadline passed.
    [=](drain_atom, std::chrono::milliseconds grace) {
      auto& st = self->state;
      st.draining = true;
      st.drain_deadline = std::chrono::steady_clock::now() + grace;
      st.drain_promise = self->make_response_promise<bool>();
      st.server->stop_accepting();
      auto rp = st.drain_promise;
      check_drain(self);
      return rp;
    },
    // Drain poll.
    [=](tick_atom) { check_drain(self); },
    // Submissions past their deadline.
    [=](expire_atom) { expire_submissions(self); },
    // The usage counted since the last flush.
    [=](flush_atom) {
      flush_usage(self);
      self->delayed_send(self, self->state.opts.usage_flush, flush_atom_v);
    },
    [=](status_atom) { return edge_status(self); },
  };
}

}  // namespace

http_edge_actor spawn_http_edge(caf::actor_system& sys, std::shared_ptr<io::http::server> server,
                                edge_peers peers, http_edge_options opts) {
  return caf::actor_cast<http_edge_actor>(
    sys.spawn(http_edge, std::move(server), std::move(peers), std::move(opts)));
}

}  // namespace gp
