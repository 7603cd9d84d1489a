#include "persistence/clients.hpp"

#include <pqxx/pqxx>

#include "persistence/audit.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* insert_client = R"sql(
INSERT INTO platform.clients (client_id, name, webhook_secret, rate_limit_per_minute, callback_hosts,
                              read_rate_limit_per_minute, tiles_rate_limit_per_minute)
VALUES ($1, $2, $3, $4, $5::text[], nullif($6, 0), nullif($7, 0))
ON CONFLICT (client_id) DO NOTHING
RETURNING client_id)sql";

#define GP_CLIENT_COLUMNS                                                                        \
  "client_id, name, webhook_secret, rate_limit_per_minute, callback_hosts::text, is_active, "     \
  "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                      \
  "coalesce(read_rate_limit_per_minute, 0), coalesce(tiles_rate_limit_per_minute, 0)"

constexpr const char* list_clients =
  "SELECT " GP_CLIENT_COLUMNS " FROM platform.clients ORDER BY client_id";

constexpr const char* find_client =
  "SELECT " GP_CLIENT_COLUMNS " FROM platform.clients WHERE client_id = $1";

// A NULL parameter leaves its column as it is.
constexpr const char* update_client =
  "UPDATE platform.clients SET name = coalesce($2, name), "
  "rate_limit_per_minute = coalesce($3::integer, rate_limit_per_minute), "
  "callback_hosts = coalesce($4::text[], callback_hosts), "
  "is_active = coalesce($5::boolean, is_active), "
  "read_rate_limit_per_minute = CASE WHEN $6::integer IS NULL THEN read_rate_limit_per_minute "
  "  ELSE nullif($6::integer, 0) END, "
  "tiles_rate_limit_per_minute = CASE WHEN $7::integer IS NULL THEN tiles_rate_limit_per_minute "
  "  ELSE nullif($7::integer, 0) END, "
  "updated_at = now() "
  "WHERE client_id = $1 RETURNING " GP_CLIENT_COLUMNS;

#undef GP_CLIENT_COLUMNS

// The current secret becomes the previous one, which keeps signing for the grace period.
constexpr const char* rotate_secret = R"sql(
UPDATE platform.clients
SET previous_webhook_secret = webhook_secret, webhook_secret = $2,
    previous_secret_expires_at = now() + $3 * interval '1 second', updated_at = now()
WHERE client_id = $1
RETURNING to_char(previous_secret_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))sql";

constexpr const char* client_exists =
  "SELECT EXISTS (SELECT 1 FROM platform.clients WHERE client_id = $1)";

constexpr const char* callback_hosts =
  "SELECT callback_hosts::text FROM platform.clients WHERE client_id = $1";

}  // namespace sql

namespace {

client_row client_of(const pqxx::row& r) {
  client_row row;
  row.client_id = r[0].as<std::string>();
  row.name = r[1].as<std::string>();
  row.webhook_secret = r[2].as<std::string>();
  row.rate_limit_per_minute = r[3].as<int32_t>();
  row.callback_hosts = from_pg_array(r[4].as<std::string>());
  row.is_active = r[5].as<bool>();
  row.created_at = r[6].as<std::string>();
  row.read_rate_limit_per_minute = r[7].as<int32_t>();
  row.tiles_rate_limit_per_minute = r[8].as<int32_t>();
  return row;
}

/// A text parameter that is NULL when absent.
const char* or_null(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

}  // namespace

namespace {

bool insert_row(pqxx::work& tx, const client_row& row) {
  return !tx
            .exec_params(sql::insert_client, row.client_id, row.name, row.webhook_secret,
                         row.rate_limit_per_minute, to_pg_array(row.callback_hosts),
                         row.read_rate_limit_per_minute, row.tiles_rate_limit_per_minute)
            .empty();
}

}  // namespace

bool insert_client(pqxx::connection& c, const client_row& row) {
  pqxx::work tx{c};
  bool inserted = insert_row(tx, row);
  tx.commit();
  return inserted;
}

std::optional<client_row> create_client(pqxx::connection& c, const client_row& row,
                                        const audit_context& by) {
  pqxx::work tx{c};
  if (!insert_row(tx, row))
    return std::nullopt;
  write_audit(tx, by, "client.create", "client:" + row.client_id, "",
              client_snapshot(tx, row.client_id));
  auto stored = client_of(tx.exec_params1(sql::find_client, row.client_id));
  tx.commit();
  return stored;
}


std::vector<client_row> list_clients(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  std::vector<client_row> out;
  for (const auto& r : tx.exec(sql::list_clients))
    out.push_back(client_of(r));
  return out;
}

std::optional<client_row> find_client(pqxx::connection& c, const std::string& client_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::find_client, client_id);
  if (r.empty())
    return std::nullopt;
  return client_of(r[0]);
}

std::optional<client_row> update_client(pqxx::connection& c, const std::string& client_id,
                                        const client_changes& changes, const audit_context& by) {
  std::optional<std::string> limit, hosts, active, read, tiles;
  if (changes.rate_limit_per_minute)
    limit = std::to_string(*changes.rate_limit_per_minute);
  if (changes.read_rate_limit_per_minute)
    read = std::to_string(*changes.read_rate_limit_per_minute);
  if (changes.tiles_rate_limit_per_minute)
    tiles = std::to_string(*changes.tiles_rate_limit_per_minute);
  if (changes.callback_hosts)
    hosts = to_pg_array(*changes.callback_hosts);
  if (changes.is_active)
    active = *changes.is_active ? "true" : "false";
  pqxx::work tx{c};
  auto before = client_snapshot(tx, client_id);
  if (before.empty())
    return std::nullopt;
  auto r = tx.exec_params(sql::update_client, client_id, or_null(changes.name), or_null(limit),
                          or_null(hosts), or_null(active), or_null(read), or_null(tiles));
  write_audit(tx, by, "client.update", "client:" + client_id, before,
              client_snapshot(tx, client_id));
  tx.commit();
  return client_of(r[0]);
}

bool client_exists(pqxx::connection& c, const std::string& client_id) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1(sql::client_exists, client_id)[0].as<bool>();
}

std::optional<std::string> rotate_webhook_secret(pqxx::connection& c, const std::string& client_id,
                                                 const std::string& new_secret,
                                                 int64_t grace_seconds, const audit_context& by) {
  pqxx::work tx{c};
  auto before = client_snapshot(tx, client_id);
  if (before.empty())
    return std::nullopt;
  auto r = tx.exec_params(sql::rotate_secret, client_id, new_secret, grace_seconds);
  write_audit(tx, by, "client.rotate_secret", "client:" + client_id, before,
              client_snapshot(tx, client_id));
  tx.commit();
  return r[0][0].as<std::string>();
}

std::vector<std::string> callback_hosts_of(pqxx::connection& c, const std::string& client_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::callback_hosts, client_id);
  if (r.empty() || r[0][0].is_null())
    return {};
  return from_pg_array(r[0][0].as<std::string>());
}

}  // namespace gp::persistence
