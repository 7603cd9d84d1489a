#include "actors/edge_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

}  // namespace

io::http::response failure_response(const caf::error& err) {
  if (is(err, errc::schema_not_ready))
    return problem(503, "not_ready", "the database schema is not ready; try again shortly");
  if (is(err, errc::database_unavailable) || is(err, errc::database_timeout) ||
      err == caf::sec::request_timeout)
    return problem(503, "unavailable", "the database is unavailable; try again shortly");
  return problem(500, "internal", "an internal error occurred");
}

void handle_readyz(edge_self* self, http_call call) {
  if (self->state.draining)
    return call.reply(io::http::readiness_shutting_down());
  auto reply = call.reply;
  self->request(self->state.peers.pool, self->state.opts.db_timeout, db::check_readiness{})
    .then([reply](const db_health& h) { reply(io::http::readiness_response(h)); },
          [reply](const caf::error& err) {
            bool timed_out = is(err, errc::database_timeout) || err == caf::sec::request_timeout;
            reply(io::http::readiness_unavailable(timed_out));
          });
}

void handle_whoami(edge_self*, http_call call, const principal& who) {
  json body = {{"client_id", who.client_id},
               {"key_id", who.key_id},
               {"access_level", who.access_level},
               {"expires_at", io::http::string_or_null(who.expires_at)}};
  if (who.restricted)
    body["allowed_endpoints"] = who.allowed_endpoints;
  call.reply(json_response(200, body));
}

namespace {

/// Collects the answers for /health; replies when the last one arrives.
struct health_probe {
  io::http::responder reply;
  std::string version;
  int pending = 0;
  json database = {{"status", "unknown"}};
  json actors = json::object();
  /// An actor did not answer, or is retrying (the migrator while the database refuses).
  bool actors_ok = true;

  void member(const std::string& name, const status_report& r) {
    json j = {{"state", name_of(r.state)}};
    for (const auto& [k, v] : r.details)
      j[k] = v;
    actors[name] = std::move(j);
    actors_ok = actors_ok && r.state != actor_state::unreachable && r.state != actor_state::retrying;
  }

  void done() {
    if (--pending > 0)
      return;
    bool db_ok = database["status"] == "ok";
    std::string overall = !db_ok ? "unhealthy" : actors_ok ? "healthy" : "degraded";
    reply(json_response(200, {{"status", overall},
                              {"version", version},
                              {"components", {{"database", database},
                                              {"actors", {{"status", actors_ok ? "ok" : "degraded"},
                                                          {"members", actors}}}}}}));
  }
};

}  // namespace

void handle_health(edge_self* self, http_call call) {
  using namespace std::chrono_literals;
  auto probe = std::make_shared<health_probe>();
  probe->reply = call.reply;
  probe->version = self->state.opts.version;
  const auto& p = self->state.peers;
  // Each answers (status_atom) with a status_report, whatever else its interface holds.
  using reporter = caf::typed_actor<status_reporting>;
  std::vector<std::pair<std::string, reporter>> members = {
    {"db_pool", caf::actor_cast<reporter>(p.pool)},
    {"auth", caf::actor_cast<reporter>(p.auth)},
    {"migrator", caf::actor_cast<reporter>(p.migrator)},
    {"coremachine", caf::actor_cast<reporter>(p.coremachine)},
    {"registry", caf::actor_cast<reporter>(p.registry)}};
  probe->pending = static_cast<int>(members.size()) + 1;
  const auto& st = self->state;
  probe->member("http_edge",
                {"http_edge",
                 st.draining ? actor_state::draining : actor_state::serving,
                 {{"calls", std::to_string(st.calls)},
                  {"refused", std::to_string(st.refused)},
                  {"connections", std::to_string(st.server->connections())},
                  {"in_flight", std::to_string(st.server->in_flight())}}});
  for (auto& [name, handle] : members) {
    auto n = name;
    self->request(handle, 2s, status_atom_v)
      .then(
        [probe, n](const status_report& r) {
          probe->member(n, r);
          probe->done();
        },
        [probe, n](const caf::error&) {
          probe->member(n, {n, actor_state::unreachable, {}});
          probe->done();
        });
  }
  auto started = std::chrono::steady_clock::now();
  self->request(p.pool, self->state.opts.db_timeout, db::check_readiness{})
    .then(
      [probe, started](const db_health& h) {
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            started)
                    .count();
        bool ok = h.postgis && h.schema_version == h.expected_version;
        probe->database = {{"status", ok ? "ok" : "not_ready"},
                           {"postgis", h.postgis},
                           {"schema_version", h.schema_version},
                           {"expected_schema_version", h.expected_version},
                           {"latency_ms", std::round(ms * 10) / 10}};
        probe->done();
      },
      [probe](const caf::error& err) {
        bool timed_out = is(err, errc::database_timeout) || err == caf::sec::request_timeout;
        probe->database = {{"status", "unavailable"},
                           {"error", timed_out ? "timeout" : "unreachable"}};
        probe->done();
      });
}

}  // namespace gp
