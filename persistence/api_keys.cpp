#include "persistence/api_keys.hpp"

#include <pqxx/pqxx>

#include "persistence/audit.hpp"
#include "persistence/pg_array.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* insert_api_key = R"sql(
INSERT INTO platform.api_keys
  (key_id, client_id, key_hash, access_level, allowed_endpoints, description, expires_at)
VALUES ($1, $2, $3, $4, $5::text[], $6, $7::timestamptz)
ON CONFLICT DO NOTHING
RETURNING key_id,
          coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''))sql";

constexpr const char* list_api_keys = R"sql(
SELECT key_id, client_id, key_hash, access_level, allowed_endpoints::text, description,
       coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
            WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
            ELSE 'active' END,
       coalesce(to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(rotated_to, '')
FROM platform.api_keys
WHERE $1 = '' OR client_id = $1
ORDER BY created_at DESC, key_id)sql";

constexpr const char* api_key_exists =
  "SELECT EXISTS (SELECT 1 FROM platform.api_keys WHERE key_id = $1)";

constexpr const char* find_key_credentials = R"sql(
SELECT k.key_id, k.client_id, k.key_hash, k.access_level, k.allowed_endpoints::text,
       coalesce(to_char(k.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(ceil(extract(epoch FROM k.expires_at))::bigint, 0),
       k.revoked_at IS NOT NULL, c.is_active, c.rate_limit_per_minute,
       coalesce(c.read_rate_limit_per_minute, 0), coalesce(c.tiles_rate_limit_per_minute, 0)
FROM platform.api_keys k JOIN platform.clients c USING (client_id)
WHERE k.key_id = $1)sql";

constexpr const char* revoke_api_key =
  "UPDATE platform.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL "
  "RETURNING key_id";

constexpr const char* is_future = "SELECT $1::timestamptz > now()";

// The key to rotate, if it still works (neither revoked nor expired), and what its successor
// copies.
constexpr const char* rotatable = R"sql(
SELECT client_id, access_level, allowed_endpoints::text, description,
       coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()), coalesce(rotated_to, '')
FROM platform.api_keys WHERE key_id = $1 FOR UPDATE)sql";

// The old key works until the overlap ends (or its own expiry, if sooner), in whole seconds: the
// keys' checks compare whole seconds.
constexpr const char* retire = R"sql(
UPDATE platform.api_keys
SET rotated_to = $2, rotated_at = now(),
    expires_at = least(coalesce(expires_at, 'infinity'),
                       date_trunc('second', now()) + $3 * interval '1 second')
WHERE key_id = $1
RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))sql";

// Locks the client row so it cannot be deleted while its key is inserted.
constexpr const char* client_exists_for_update =
  "SELECT EXISTS (SELECT 1 FROM platform.clients WHERE client_id = $1 FOR KEY SHARE)";

}  // namespace sql

namespace {

/// Inserts the key; its expiry as stored (UTC, RFC 3339) goes to `*stored_expiry`.
bool insert_key(pqxx::work& tx, const api_key_row& row, std::string* stored_expiry = nullptr) {
  const char* endpoints = nullptr;
  std::string endpoints_text;
  if (row.allowed_endpoints) {
    endpoints_text = to_pg_array(*row.allowed_endpoints);
    endpoints = endpoints_text.c_str();
  }
  const char* expires = row.expires_at.empty() ? nullptr : row.expires_at.c_str();
  auto r = tx.exec_params(sql::insert_api_key, row.key_id, row.client_id, row.key_hash,
                          row.access_level, endpoints, row.description, expires);
  if (r.empty())
    return false;
  if (stored_expiry)
    *stored_expiry = r[0][1].as<std::string>();
  return true;
}

}  // namespace

bool insert_api_key(pqxx::connection& c, const api_key_row& row) {
  pqxx::work tx{c};
  bool inserted = insert_key(tx, row);
  tx.commit();
  return inserted;
}

create_key_outcome create_api_key(pqxx::connection& c, const api_key_row& row,
                                  const audit_context& by, std::string* stored_expiry) {
  pqxx::work tx{c};
  if (!tx.exec_params1(sql::client_exists_for_update, row.client_id)[0].as<bool>())
    return create_key_outcome::unknown_client;
  if (!row.expires_at.empty() && !tx.exec_params1(sql::is_future, row.expires_at)[0].as<bool>())
    return create_key_outcome::expiry_not_in_future;
  if (!insert_key(tx, row, stored_expiry))
    return create_key_outcome::id_taken;
  write_audit(tx, by, "key.create", "key:" + row.key_id, "", key_snapshot(tx, row.key_id));
  tx.commit();
  return create_key_outcome::created;
}

key_rotation rotate_api_key(pqxx::connection& c, const std::string& key_id,
                            const std::string& new_key_id, const std::string& new_key_hash,
                            const std::string& expires_at, int64_t overlap_seconds,
                            const audit_context& by) {
  pqxx::work tx{c};
  key_rotation out;
  auto old = tx.exec_params(sql::rotatable, key_id);
  if (old.empty()) {
    out.outcome = key_rotation::missing;
    return out;
  }
  // A rotated key names its successor, whether or not its overlap has ended.
  if (auto to = old[0][6].as<std::string>(); !to.empty()) {
    out.outcome = key_rotation::already_rotated;
    out.rotated_to = to;
    return out;
  }
  if (!old[0][5].as<bool>()) {
    out.outcome = key_rotation::not_active;
    return out;
  }
  auto before = key_snapshot(tx, key_id);
  api_key_row row;
  row.key_id = new_key_id;
  row.key_hash = new_key_hash;
  row.client_id = old[0][0].as<std::string>();
  row.access_level = old[0][1].as<std::string>();
  if (!old[0][2].is_null())
    row.allowed_endpoints = from_pg_array(old[0][2].as<std::string>());
  row.description = old[0][3].as<std::string>();
  row.expires_at = expires_at.empty() ? old[0][4].as<std::string>() : expires_at;
  if (!row.expires_at.empty() && !tx.exec_params1(sql::is_future, row.expires_at)[0].as<bool>()) {
    out.outcome = key_rotation::expiry_not_in_future;
    return out;
  }
  if (!insert_key(tx, row, &row.expires_at)) {
    out.outcome = key_rotation::id_taken;
    return out;
  }
  out.old_expires_at = tx.exec_params1(sql::retire, key_id, new_key_id, overlap_seconds)[0]
                         .as<std::string>();
  write_audit(tx, by, "key.rotate", "key:" + key_id, before, key_snapshot(tx, key_id));
  write_audit(tx, by, "key.create", "key:" + new_key_id, "", key_snapshot(tx, new_key_id));
  tx.commit();
  out.outcome = key_rotation::rotated;
  out.row = std::move(row);
  return out;
}

std::vector<api_key_row> list_api_keys(pqxx::connection& c, const std::string& client_id) {
  pqxx::nontransaction tx{c};
  std::vector<api_key_row> out;
  for (const auto& r : tx.exec_params(sql::list_api_keys, client_id)) {
    api_key_row row;
    row.key_id = r[0].as<std::string>();
    row.client_id = r[1].as<std::string>();
    row.key_hash = r[2].as<std::string>();
    row.access_level = r[3].as<std::string>();
    if (!r[4].is_null())
      row.allowed_endpoints = from_pg_array(r[4].as<std::string>());
    row.description = r[5].as<std::string>();
    row.expires_at = r[6].as<std::string>();
    row.revoked_at = r[7].as<std::string>();
    row.created_at = r[8].as<std::string>();
    row.state = r[9].as<std::string>();
    row.last_used_at = r[10].as<std::string>();
    row.rotated_to = r[11].as<std::string>();
    out.push_back(std::move(row));
  }
  return out;
}

bool api_key_exists(pqxx::connection& c, const std::string& key_id) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1(sql::api_key_exists, key_id)[0].as<bool>();
}

std::optional<key_credentials> find_key_credentials(pqxx::connection& c,
                                                    const std::string& key_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::find_key_credentials, key_id);
  if (r.empty())
    return std::nullopt;
  const auto& row = r[0];
  key_credentials k;
  k.key_id = row[0].as<std::string>();
  k.client_id = row[1].as<std::string>();
  k.key_hash = row[2].as<std::string>();
  k.access_level = row[3].as<std::string>();
  if (!row[4].is_null())
    k.allowed_endpoints = from_pg_array(row[4].as<std::string>());
  k.expires_at = row[5].as<std::string>();
  k.expires_epoch = row[6].as<int64_t>();
  k.revoked = row[7].as<bool>();
  k.client_active = row[8].as<bool>();
  k.rate_limit_per_minute = row[9].as<int>();
  k.read_rate_limit_per_minute = row[10].as<int>();
  k.tiles_rate_limit_per_minute = row[11].as<int>();
  return k;
}

bool revoke_api_key(pqxx::connection& c, const std::string& key_id, const audit_context& by) {
  pqxx::work tx{c};
  auto before = key_snapshot(tx, key_id);
  auto r = tx.exec_params(sql::revoke_api_key, key_id);
  if (r.empty())
    return false;
  write_audit(tx, by, "key.revoke", "key:" + key_id, before, key_snapshot(tx, key_id));
  tx.commit();
  return true;
}

}  // namespace gp::persistence
