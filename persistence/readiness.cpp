#include "persistence/readiness.hpp"

#include <pqxx/pqxx>

#include "persistence/migrations.hpp"

namespace gp::persistence {

db_health check_readiness(pqxx::connection& c) {
  db_health h;
  h.postgis = postgis_installed(c);
  h.schema_version = applied_schema_version(c);
  h.expected_version = latest_migration_version();
  h.reachable = true;
  return h;
}

namespace {

constexpr const char* backlog = R"sql(
SELECT (SELECT count(*) FROM app.tasks WHERE status IN ('pending', 'pending_retry')),
       (SELECT count(*) FROM app.tasks WHERE status = 'processing'),
       coalesce((SELECT extract(epoch FROM now() - min(execute_after))::bigint FROM app.tasks
                 WHERE status IN ('pending', 'pending_retry') AND execute_after <= now()), 0),
       (SELECT count(*) FROM platform.webhook_delivery_state WHERE next_attempt_at IS NOT NULL),
       coalesce((SELECT extract(epoch FROM now() - min(next_attempt_at))::bigint
                 FROM platform.webhook_delivery_state
                 WHERE next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())),
                0))sql";

constexpr const char* integration = R"sql(
SELECT EXISTS (SELECT 1 FROM platform.api_keys WHERE client_id = $1 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > now())),
       coalesce((SELECT cardinality(callback_hosts) > 0 FROM platform.clients
                 WHERE client_id = $1), false),
       coalesce((SELECT to_char(delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                 FROM platform.webhook_delivery_state
                 WHERE client_id = $1 AND delivered_at IS NOT NULL
                 ORDER BY delivered_at DESC LIMIT 1), ''))sql";

}  // namespace

client_integration read_client_integration(pqxx::connection& c, const std::string& client_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params1(integration, client_id);
  return {r[0].as<bool>(), r[1].as<bool>(), r[2].as<std::string>()};
}

work_backlog read_backlog(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec1(backlog);
  work_backlog b;
  b.tasks_waiting = r[0].as<int64_t>();
  b.tasks_running = r[1].as<int64_t>();
  b.oldest_task_wait_s = r[2].as<int64_t>();
  b.webhooks_waiting = r[3].as<int64_t>();
  b.oldest_webhook_wait_s = r[4].as<int64_t>();
  return b;
}

}  // namespace gp::persistence
