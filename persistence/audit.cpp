#include "persistence/audit.hpp"

#include <pqxx/pqxx>

namespace gp::persistence {

namespace sql {

constexpr const char* insert = R"sql(
INSERT INTO platform.audit_log (actor, action, target, before, after, correlation_id)
VALUES ($1, $2, $3, nullif($4, '')::jsonb, nullif($5, '')::jsonb, $6))sql";

constexpr const char* client = R"sql(
SELECT (to_jsonb(c) - '{webhook_secret,previous_webhook_secret}'::text[])::text
FROM platform.clients c WHERE client_id = $1 FOR UPDATE)sql";

constexpr const char* key = R"sql(
SELECT (to_jsonb(k) - 'key_hash')::text FROM platform.api_keys k WHERE key_id = $1 FOR UPDATE)sql";

constexpr const char* list = R"sql(
SELECT audit_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), actor, action,
       target, coalesce(before::text, ''), coalesce(after::text, ''), correlation_id
FROM platform.audit_log
WHERE ($1 = '' OR target = $1) AND ($2::bigint = 0 OR audit_id < $2::bigint)
ORDER BY audit_id DESC LIMIT $3)sql";

}  // namespace sql

void write_audit(pqxx::transaction_base& tx, const audit_context& by, const std::string& action,
                 const std::string& target, const std::string& before, const std::string& after) {
  tx.exec_params(sql::insert, by.actor.empty() ? std::string{"unknown"} : by.actor, action, target,
                 before, after, by.correlation_id);
}

namespace {

std::string first_text(const pqxx::result& r) {
  return r.empty() || r[0][0].is_null() ? std::string{} : r[0][0].as<std::string>();
}

}  // namespace

std::string client_snapshot(pqxx::transaction_base& tx, const std::string& client_id) {
  return first_text(tx.exec_params(sql::client, client_id));
}

std::string key_snapshot(pqxx::transaction_base& tx, const std::string& key_id) {
  return first_text(tx.exec_params(sql::key, key_id));
}

std::vector<audit_row> list_audit(pqxx::connection& c, const std::string& target,
                                  int64_t before_id, int limit) {
  pqxx::nontransaction tx{c};
  std::vector<audit_row> out;
  for (const auto& r : tx.exec_params(sql::list, target, before_id, limit)) {
    audit_row a;
    a.audit_id = r[0].as<int64_t>();
    a.at = r[1].as<std::string>();
    a.actor = r[2].as<std::string>();
    a.action = r[3].as<std::string>();
    a.target = r[4].as<std::string>();
    a.before_json = r[5].as<std::string>();
    a.after_json = r[6].as<std::string>();
    a.correlation_id = r[7].as<std::string>();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace gp::persistence
