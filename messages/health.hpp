#pragma once
// Plain status structs exchanged between actors (no JSON, no pqxx, no Beast here).
#include <cstdint>
#include <map>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/status.hpp"

namespace gp {

/// What a live database check found.
struct db_health {
  /// A connection could be made and a query answered.
  bool reachable = false;
  /// The PostGIS extension exists in the database.
  bool postgis = false;
  /// Highest applied migration (0 when none).
  int64_t schema_version = 0;
  /// Highest migration this binary knows.
  int64_t expected_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, db_health& x) {
  return f(caf::meta::type_name("gp.db_health"), x.reachable, x.postgis, x.schema_version,
           x.expected_version);
}

/// The work waiting in the database, for /health: tasks of the job queue and webhook deliveries
/// (counts over their partial indexes), and how long the oldest due one has waited (seconds).
struct work_backlog {
  int64_t tasks_waiting = 0;
  int64_t tasks_running = 0;
  int64_t oldest_task_wait_s = 0;
  int64_t webhooks_waiting = 0;
  int64_t oldest_webhook_wait_s = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, work_backlog& x) {
  return f(caf::meta::type_name("gp.work_backlog"), x.tasks_waiting, x.tasks_running,
           x.oldest_task_wait_s, x.webhooks_waiting, x.oldest_webhook_wait_s);
}

/// What /platform/health says of the caller's client: whether it has a working key and callback
/// hosts, and when a webhook last reached it (RFC 3339, empty: never).
struct client_integration {
  bool api_key = false;
  bool callbacks = false;
  std::string last_delivered_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_integration& x) {
  return f(caf::meta::type_name("gp.client_integration"), x.api_key, x.callbacks,
           x.last_delivered_at);
}

/// Answer of every long-lived actor to `status_atom`: its name, its state and details.
struct status_report {
  std::string actor;
  actor_state state = actor_state::running;
  std::map<std::string, std::string> details;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_report& x) {
  return f(caf::meta::type_name("gp.status_report"), x.actor, x.state, x.details);
}

}  // namespace gp
