#pragma once
// Rows of the platform's administrative tables as plain values, shared by persistence (which
// reads and writes them), io (which encodes them) and the command line.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gp {

/// A row of platform.clients (webhook_secret included; never log it).
struct client_row {
  std::string client_id;
  std::string name;
  std::string webhook_secret;
  int32_t rate_limit_per_minute = 600;
  std::vector<std::string> callback_hosts;
  bool is_active = true;
  std::string created_at;
};

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

}  // namespace gp
