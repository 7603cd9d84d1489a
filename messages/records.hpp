#pragma once
// Rows of the platform's administrative tables as plain values, shared by persistence (which
// reads and writes them), io (which encodes them) and the command line.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/requests.hpp"  // request_row, the stored request

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

/// A job as the API shows it.
struct job_row {
  std::string job_id;
  std::string job_type;
  std::string params_json;
  std::string status;
  int stage = 0;
  int total_stages = 0;
  std::string result_json;  ///< "null" when none
  std::string error_json;   ///< "null" when none
  std::string platform_request_id;
  std::string created_at, started_at, completed_at;  ///< RFC 3339 or empty
  std::map<std::string, int64_t> task_counts;        ///< by task status
};

}  // namespace gp
