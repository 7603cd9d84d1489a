#pragma once
// platform.api_keys: only the SHA-256 of each key is stored.
#include <optional>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// A key as stored: never the key itself.
struct api_key_row {
  std::string key_id;
  std::string client_id;
  std::string key_hash;
  std::string access_level;
  /// Empty optional = everything the level allows.
  std::optional<std::vector<std::string>> allowed_endpoints;
  std::string description;
  /// RFC 3339, empty = never expires.
  std::string expires_at;
  std::string revoked_at;
  std::string created_at;
  /// active | expired | revoked (as of the database's clock; filled by list_api_keys).
  std::string state;
};

/// Inserts a key row; returns false when key_id or key_hash already exist.
bool insert_api_key(pqxx::connection& c, const api_key_row& row);

/// The keys of one client, or of every client when `client_id` is empty, newest first.
std::vector<api_key_row> list_api_keys(pqxx::connection& c, const std::string& client_id);

/// Whether a key with this public id exists.
bool api_key_exists(pqxx::connection& c, const std::string& key_id);

/// Whether an RFC 3339 timestamp lies in the future by the database's clock.
bool is_future_timestamp(pqxx::connection& c, const std::string& rfc3339);

}  // namespace gp::persistence
