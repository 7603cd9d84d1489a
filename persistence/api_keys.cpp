#include "persistence/api_keys.hpp"

#include <pqxx/pqxx>

#include "persistence/clients.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* insert_api_key = R"sql(
INSERT INTO platform.api_keys
  (key_id, client_id, key_hash, access_level, allowed_endpoints, description, expires_at)
VALUES ($1, $2, $3, $4, $5::text[], $6, $7::timestamptz)
ON CONFLICT DO NOTHING
RETURNING key_id)sql";

constexpr const char* list_api_keys = R"sql(
SELECT key_id, client_id, key_hash, access_level, allowed_endpoints::text, description,
       coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
            WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
            ELSE 'active' END
FROM platform.api_keys
WHERE $1 = '' OR client_id = $1
ORDER BY created_at DESC, key_id)sql";

constexpr const char* api_key_exists =
  "SELECT EXISTS (SELECT 1 FROM platform.api_keys WHERE key_id = $1)";

constexpr const char* is_future = "SELECT $1::timestamptz > now()";

}  // namespace sql

bool insert_api_key(pqxx::connection& c, const api_key_row& row) {
  pqxx::work tx{c};
  const char* endpoints = nullptr;
  std::string endpoints_text;
  if (row.allowed_endpoints) {
    endpoints_text = to_pg_array(*row.allowed_endpoints);
    endpoints = endpoints_text.c_str();
  }
  const char* expires = row.expires_at.empty() ? nullptr : row.expires_at.c_str();
  auto r = tx.exec_params(sql::insert_api_key, row.key_id, row.client_id, row.key_hash,
                          row.access_level, endpoints, row.description, expires);
  tx.commit();
  return !r.empty();
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
    out.push_back(std::move(row));
  }
  return out;
}

bool api_key_exists(pqxx::connection& c, const std::string& key_id) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1(sql::api_key_exists, key_id)[0].as<bool>();
}

bool is_future_timestamp(pqxx::connection& c, const std::string& rfc3339) {
  pqxx::nontransaction tx{c};
  return tx.exec_params1(sql::is_future, rfc3339)[0].as<bool>();
}

}  // namespace gp::persistence
