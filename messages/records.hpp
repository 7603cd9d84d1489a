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
  /// Submissions a minute on each node (the submit class).
  int32_t rate_limit_per_minute = 600;
  /// Calls a minute on each node of the read and tiles classes; 0: the service's default.
  int32_t read_rate_limit_per_minute = 0;
  int32_t tiles_rate_limit_per_minute = 0;
  std::vector<std::string> callback_hosts;
  bool is_active = true;
  std::string created_at;
};

/// What a client update changes (`clients update`, PATCH /admin/clients/{id}); an empty field
/// is left as it is.
struct client_changes {
  std::optional<std::string> name;
  std::optional<int32_t> rate_limit_per_minute;
  std::optional<std::vector<std::string>> callback_hosts;
  std::optional<bool> is_active;
  /// Calls a minute of the read and tiles classes; 0 sets the service's default again.
  std::optional<int32_t> read_rate_limit_per_minute;
  std::optional<int32_t> tiles_rate_limit_per_minute;
};

/// Who makes an admin change, for its audit row: "key:<key_id>" over HTTP, "cli" from the
/// command line, and the call's correlation id.
struct audit_context {
  std::string actor;
  std::string correlation_id;
};

/// A row of platform.audit_log.
struct audit_row {
  int64_t audit_id = 0;
  std::string at;
  std::string actor;
  std::string action;
  std::string target;
  /// JSON text, empty for none.
  std::string before_json;
  std::string after_json;
  std::string correlation_id;
};

/// Counters of one client in one hour (platform.usage_hourly); also a delta to add.
struct usage_counts {
  int64_t submits_new = 0;
  int64_t submits_repeat = 0;
  int64_t submits_refused = 0;
  int64_t requests_completed = 0;
  int64_t requests_failed = 0;
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  int64_t stac_searches = 0;
  int64_t downloads = 0;
  int64_t bytes_served = 0;
  int64_t tiles = 0;
};

/// Usage of one client over one period (an hour or a day, UTC).
struct usage_row {
  std::string client_id;
  /// RFC 3339 start of the period.
  std::string period;
  usage_counts counts;
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
  /// RFC 3339, empty = never used (kept current in batches, so a few seconds behind).
  std::string last_used_at;
  /// The key that replaced this one by a rotation, if any.
  std::string rotated_to;
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
