// GET /health (docs/api.md): the database, the long-lived actors, the job queue, the webhook
// outbox and the storage roots, each with its status; degraded past the thresholds of [health],
// unhealthy (503) when the database cannot be used.
#include <cmath>
#include <cstdlib>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "io/storage_watch.hpp"
#include "io/http/problem.hpp"
#include "io/http/server.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;

/// Collects the answers for /health; replies when the last one arrives.
struct health_probe {
  io::http::responder reply;
  std::string version;
  /// The [health] thresholds.
  int64_t max_queue_depth = 0, max_webhook_backlog = 0, min_free_mib = 0;
  int pending = 0;
  json database = {{"status", "unknown"}};
  json actors = json::object();
  json queue = {{"status", "unknown"}};
  json webhooks = {{"status", "unknown"}};
  json storage = json::object();
  /// Why the node is degraded (or unhealthy), one phrase each.
  std::vector<std::string> reasons;
  /// An actor did not answer, or is retrying (the migrator while the database refuses).
  bool actors_ok = true;

  void member(const std::string& name, const status_report& r) {
    json j = {{"state", name_of(r.state)}};
    for (const auto& [k, v] : r.details)
      j[k] = v;
    actors[name] = std::move(j);
    if (r.state == actor_state::unreachable || r.state == actor_state::retrying) {
      actors_ok = false;
      reasons.push_back("actor " + name + " is " + std::string{name_of(r.state)});
    }
  }

  void backlog(const work_backlog& b) {
    bool queue_ok = b.tasks_waiting <= max_queue_depth;
    queue = {{"status", queue_ok ? "ok" : "degraded"},
             {"tasks_waiting", b.tasks_waiting},
             {"tasks_running", b.tasks_running},
             {"oldest_task_wait_s", b.oldest_task_wait_s},
             {"max_depth", max_queue_depth}};
    if (!queue_ok)
      reasons.push_back(std::to_string(b.tasks_waiting) +
                        " tasks wait in the queue (health.max_queue_depth " +
                        std::to_string(max_queue_depth) + ")");
    bool hooks_ok = b.webhooks_waiting <= max_webhook_backlog;
    webhooks = {{"status", hooks_ok ? "ok" : "degraded"},
                {"waiting", b.webhooks_waiting},
                {"oldest_due_wait_s", b.oldest_webhook_wait_s},
                {"max_backlog", max_webhook_backlog}};
    if (!hooks_ok)
      reasons.push_back(std::to_string(b.webhooks_waiting) +
                        " webhook deliveries wait (health.max_webhook_backlog " +
                        std::to_string(max_webhook_backlog) + ")");
  }

  void backlog_unavailable() {
    queue = {{"status", "unavailable"}};
    webhooks = {{"status", "unavailable"}};
  }

  /// Free space of one storage root (statvfs: what an unprivileged writer may use), as the
  /// storage watch in the edge's options last read it.
  void root(const io::storage_watch::root& r) {
    if (r.waiting.count() > 0 || !r.read) {
      auto waited_s = (r.waiting.count() + 999) / 1000;
      storage[r.name] = {{"status", "unresponsive"}, {"path", r.path}, {"waiting_s", waited_s}};
      reasons.push_back("storage " + r.name + " root has not answered for " +
                        std::to_string(waited_s) + " s");
      return;
    }
    if (!r.space) {
      storage[r.name] = {{"status", "unavailable"}, {"path", r.path}};
      reasons.push_back("storage " + r.name + " root cannot be read");
      return;
    }
    auto free_mib = r.space->free_bytes / (1024 * 1024);
    auto total_mib = r.space->total_bytes / (1024 * 1024);
    bool ok = free_mib >= min_free_mib;
    storage[r.name] = {{"status", ok ? "ok" : "degraded"},
                       {"free_mib", free_mib},
                       {"total_mib", total_mib},
                       {"min_free_mib", min_free_mib}};
    if (!ok)
      reasons.push_back("storage " + r.name + " root has " + std::to_string(free_mib) +
                        " MiB free (health.min_free_mib " + std::to_string(min_free_mib) + ")");
  }

  void done() {
    if (--pending > 0)
      return;
    bool db_ok = database["status"] == "ok";
    if (!db_ok)
      reasons.insert(reasons.begin(),
                     "the database is " + database["status"].get<std::string>());
    bool storage_ok = true;
    for (const auto& [_, part] : storage.items())
      storage_ok = storage_ok && part["status"] == "ok";
    bool degraded = !actors_ok || queue["status"] != "ok" || webhooks["status"] != "ok" ||
                    !storage_ok;
    std::string overall = !db_ok ? "unhealthy" : degraded ? "degraded" : "healthy";
    json components = {{"database", database},
                       {"actors", {{"status", actors_ok ? "ok" : "degraded"}, {"members", actors}}},
                       {"queue", queue},
                       {"webhooks", webhooks},
                       {"storage", {{"status", storage_ok ? "ok" : "degraded"}, {"roots", storage}}}};
    reply(json_response(db_ok ? 200 : 503, {{"status", overall},
                                            {"version", version},
                                            {"reasons", reasons},
                                            {"components", components}}));
  }
};

}  // namespace

status_report edge_status(edge_self* self) {
  const auto& st = self->state;
  return {"http_edge",
          st.draining ? actor_state::draining : actor_state::serving,
          {{"mailbox", std::to_string(self->mailbox().size())},
           {"connections", std::to_string(st.server->connections())},
           {"in_flight", std::to_string(st.server->in_flight())},
           {"calls", std::to_string(st.calls)},
           {"refused", std::to_string(st.refused)}}};
}

std::optional<double> report_number(const status_report& r, const std::string& key) {
  auto i = r.details.find(key);
  if (i == r.details.end() || i->second.empty())
    return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(i->second.c_str(), &end);
  if (end != i->second.c_str() + i->second.size())
    return std::nullopt;
  return v;
}

std::vector<std::pair<std::string, status_reporter>> status_reporters(const edge_peers& p) {
  // Each answers (status_atom) with a status_report, whatever else its interface holds.
  std::vector<std::pair<std::string, status_reporter>> members = {
    {"db_pool", caf::actor_cast<status_reporter>(p.pool)},
    {"auth", caf::actor_cast<status_reporter>(p.auth)},
    {"migrator", caf::actor_cast<status_reporter>(p.migrator)},
    {"coremachine", caf::actor_cast<status_reporter>(p.coremachine)},
    {"registry", caf::actor_cast<status_reporter>(p.registry)}};
  if (p.webhooks)
    members.emplace_back("webhook_dispatcher", caf::actor_cast<status_reporter>(p.webhooks));
  return members;
}

void handle_health(edge_self* self, http_call call) {
  using namespace std::chrono_literals;
  auto probe = std::make_shared<health_probe>();
  probe->reply = call.reply;
  probe->version = self->state.opts.version;
  probe->max_queue_depth = self->state.opts.health_max_queue_depth;
  probe->max_webhook_backlog = self->state.opts.health_max_webhook_backlog;
  probe->min_free_mib = self->state.opts.health_min_free_mib;
  const auto& p = self->state.peers;
  auto members = status_reporters(p);
  probe->pending = static_cast<int>(members.size()) + 2;
  const auto& st = self->state;
  probe->member("http_edge", edge_status(self));
  for (const auto& r : st.opts.storage->snapshot())
    probe->root(r);
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
  self->request(p.pool, self->state.opts.db_timeout, db::read_backlog{})
    .then(
      [probe](const work_backlog& b) {
        probe->backlog(b);
        probe->done();
      },
      [probe](const caf::error&) {
        probe->backlog_unavailable();
        probe->done();
      });
}

namespace {

/// Collects the answers for /platform/health; replies when the last one arrives.
struct platform_probe {
  io::http::responder reply;
  int pending = 0;
  bool registry_ok = false, db_ok = true;
  json requests = {{"pending_requests", nullptr},
                   {"processing_requests", nullptr},
                   {"average_processing_seconds", nullptr}};
  json success_rate;
  client_integration client;

  static json number(const status_report& r, const char* key) {
    auto v = report_number(r, key);
    if (!v)
      return json();
    // Counts stay integers in the body; averages keep their fraction.
    if (*v == std::floor(*v) && std::fabs(*v) < 9e15)
      return static_cast<int64_t>(*v);
    return *v;
  }

  void registry(const status_report& r) {
    registry_ok = r.state == actor_state::running;
    requests = {{"pending_requests", number(r, "pending_requests")},
                {"processing_requests", number(r, "processing_requests")},
                {"average_processing_seconds", number(r, "average_processing_seconds")}};
  }

  /// Of the attempts this node made since it started: delivered over all ended ones.
  void dispatcher(const status_report& r) {
    auto count = [&](const char* key) {
      auto v = number(r, key);
      return v.is_number() ? v.get<double>() : 0.0;
    };
    double delivered = count("delivered"), all = delivered + count("retries") + count("gave_up");
    success_rate = all > 0 ? json(std::round(delivered / all * 1000) / 1000) : json();
  }

  void done() {
    if (--pending > 0)
      return;
    std::string status = !db_ok ? "unhealthy" : registry_ok ? "healthy" : "degraded";
    json metrics = requests;
    metrics["webhook_success_rate"] = success_rate;
    reply(json_response(db_ok ? 200 : 503,
                        {{"component", "platform_service"},
                         {"status", status},
                         {"metrics", metrics},
                         {"ddh_integration",
                          {{"api_key_configured", client.api_key},
                           {"callback_url_configured", client.callbacks},
                           {"last_successful_webhook",
                            client.last_delivered_at.empty() ? json()
                                                             : json(client.last_delivered_at)}}}}));
  }
};

}  // namespace

void handle_platform_health(edge_self* self, http_call call, const principal& who) {
  using namespace std::chrono_literals;
  auto probe = std::make_shared<platform_probe>();
  probe->reply = call.reply;
  const auto& p = self->state.peers;
  probe->pending = 2 + (p.webhooks ? 1 : 0);
  self->request(p.registry, 2s, status_atom_v)
    .then(
      [probe](const status_report& r) {
        probe->registry(r);
        probe->done();
      },
      [probe](const caf::error&) { probe->done(); });
  if (p.webhooks)
    self->request(p.webhooks, 2s, status_atom_v)
      .then(
        [probe](const status_report& r) {
          probe->dispatcher(r);
          probe->done();
        },
        [probe](const caf::error&) { probe->done(); });
  // Without a key (auth.health_requires_key = false) there is no client to describe.
  if (who.client_id.empty())
    return probe->done();
  self->request(p.pool, self->state.opts.db_timeout, db::read_client_integration{who.client_id})
    .then(
      [probe](const client_integration& c) {
        probe->client = c;
        probe->done();
      },
      [probe](const caf::error&) {
        probe->db_ok = false;
        probe->done();
      });
}

}  // namespace gp
