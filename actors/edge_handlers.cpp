#include "actors/edge_handlers.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "io/crypto.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/probes.hpp"
#include "io/http/problem.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "persistence/api_keys.hpp"

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

void handle_admin_clients(edge_self* self, http_call call) {
  auto reply = call.reply;
  with_db(self, call, db::list_clients{}, [reply](const db::list_clients::result& list) {
    auto arr = json::array();
    for (const auto& r : list.rows)
      arr.push_back(io::http::to_json(r));
    reply(json_response(200, {{"clients", arr}}));
  });
}

void handle_admin_keys(edge_self* self, http_call call) {
  auto client = io::http::query_param(call.req.query, "client_id").value_or("");
  auto reply = call.reply;
  with_db(self, call, db::list_keys{client}, [reply](const db::list_keys::result& list) {
    auto arr = json::array();
    for (const auto& r : list.rows)
      arr.push_back(io::http::to_json(r));
    reply(json_response(200, {{"keys", arr}}));
  });
}

void handle_admin_create_key(edge_self* self, http_call call, const principal& who,
                             const json& body) {
  std::vector<io::http::field_error> errors;
  auto req = io::http::parse_key_request(body, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  persistence::api_key_row row;
  row.client_id = req.client_id;
  row.access_level = req.access_level;
  row.expires_at = req.expires_at;
  row.allowed_endpoints = req.allowed_endpoints;
  row.description = req.description;
  // Five keys drawn here: the first whose id is free is created (a collision of the 8-character
  // id is rare; five in a row mean something is wrong).
  db::create_key op{row, {}};
  for (int i = 0; i < 5; ++i) {
    auto k = io::generate_api_key();
    op.candidates.push_back({k.key, k.key_id, k.hash});
  }
  auto reply = call.reply;
  auto audit = "by key " + who.key_id + " cid=" + call.req.correlation_id;
  with_db(self, call, std::move(op), [reply, row, audit](const db::create_key::result& made) {
    using outcome = persistence::create_key_outcome;
    switch (made.outcome) {
      case outcome::unknown_client:
        return reply(io::http::validation_problem({{"client_id", "no such client"}}));
      case outcome::expiry_not_in_future:
        return reply(io::http::validation_problem({{"expires_at", "must be in the future"}}));
      case outcome::id_taken:
        return reply(problem(500, "internal", "could not allocate a unique key id"));
      case outcome::created:
        break;
    }
    GP_LOG_INFO("admin: created {} key {} for client {} {}", row.access_level, made.key.key_id,
                row.client_id, audit);
    reply(json_response(201, {{"key", made.key.key},
                              {"key_id", made.key.key_id},
                              {"client_id", row.client_id},
                              {"access_level", row.access_level},
                              {"expires_at", io::http::string_or_null(row.expires_at)},
                              {"allowed_endpoints", row.allowed_endpoints
                                                      ? json(*row.allowed_endpoints)
                                                      : json()}}));
  });
}

void handle_admin_revoke_key(edge_self* self, http_call call, const principal& who,
                             const std::string& key_id) {
  auto reply = call.reply;
  auto audit = "by key " + who.key_id + " cid=" + call.req.correlation_id;
  with_db(self, call, db::revoke_key{key_id}, [self, reply, key_id, audit](bool revoked) {
    if (!revoked)
      return reply(problem(404, "not_found", "no active key " + key_id));
    GP_LOG_INFO("admin: revoked key {} {}", key_id, audit);
    // This node refuses the key from the next call on; other nodes within the cache TTL.
    self->send(self->state.peers.auth, invalidate_atom_v, key_id);
    auto& verdicts = self->state.verdicts;
    for (auto i = verdicts.begin(); i != verdicts.end();)
      i = i->second.key_id == key_id ? verdicts.erase(i) : std::next(i);
    reply(json_response(200, {{"key_id", key_id}, {"state", "revoked"}}));
  });
}

}  // namespace gp
