#pragma once
// The commands behind the command line. Each returns an exit code; failures throw
// std::runtime_error (or config_error) with a one-line reason.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace gp::app {

/// Runs the service until SIGINT/SIGTERM, then ends the process itself (exit 0, or 1 after a
/// fatal failure); it returns only when start-up fails (by throwing).
int serve(config cfg);

/// Applies pending migrations and prints what was done.
int migrate_command(const config& cfg);

/// Arguments of `clients create`.
struct client_create_args {
  std::string client_id;
  std::string name;
  int rate_limit_per_minute = 600;
  /// Read and tiles calls a minute; 0: the service's default.
  int read_rate_limit_per_minute = 0;
  int tiles_rate_limit_per_minute = 0;
  std::vector<std::string> callback_hosts;
  bool if_not_exists = false;
};

int clients_create(const config& cfg, const client_create_args& args);

/// `clients update`: only what is given changes.
struct client_update_args {
  std::string client_id;
  std::optional<std::string> name;
  std::optional<int> rate_limit_per_minute;
  std::optional<int> read_rate_limit_per_minute;
  std::optional<int> tiles_rate_limit_per_minute;
  std::vector<std::string> callback_hosts;
  bool no_callback_hosts = false;
  bool activate = false;
  bool deactivate = false;
  bool as_json = false;
};

int clients_update(const config& cfg, const client_update_args& args);
int clients_list(const config& cfg, bool as_json);

/// `clients rotate-secret`: a new webhook secret, printed once; the previous one keeps signing
/// for [webhooks] secret_grace_s.
int clients_rotate_secret(const config& cfg, const std::string& client_id);

/// Arguments of `keys create`.
struct key_create_args {
  std::string client_id;
  std::string level;
  std::string expires_at;
  std::optional<std::vector<std::string>> allowed_endpoints;
  std::string description;
  bool as_json = false;
};

int keys_create(const config& cfg, const key_create_args& args);

/// `keys rotate`: a new key with the old one's client, level, scopes and description, printed
/// once; the old one works for `overlap_s` more (app/admin_report_commands.cpp).
struct key_rotate_args {
  std::string key_id;
  std::string expires_at;
  int64_t overlap_s = -1;  ///< -1: [auth] key_rotation_overlap_s
  bool as_json = false;
};
int keys_rotate(const config& cfg, const key_rotate_args& args);

/// One client (never its secret).
int clients_show(const config& cfg, const std::string& client_id);

/// `audit list`: admin changes, newest first.
struct audit_list_args {
  std::string target;
  int limit = 50;
  bool as_json = false;
};
int audit_list(const config& cfg, const audit_list_args& args);

/// `usage`: usage per client and hour or day.
struct usage_args {
  std::string client_id;
  std::string from;
  std::string to;
  std::string granularity = "hour";
  bool as_json = false;
};
int usage_report(const config& cfg, const usage_args& args);
int keys_revoke(const config& cfg, const std::string& key_id);
int keys_list(const config& cfg, const std::string& client_id, bool as_json);

/// Arguments of `webhooks listen`.
struct webhook_listen_args {
  std::string address = "127.0.0.1";
  int port = 9000;
  /// whsec_ secrets: the client's, and the previous one during a rotation.
  std::vector<std::string> secrets;
  /// Largest distance of webhook-timestamp from now (Standard Webhooks suggests 5 minutes).
  int64_t tolerance_s = 300;
  bool print_body = false;
};

/// Runs a local webhook receiver until SIGINT/SIGTERM (app/webhook_commands.cpp).
int webhooks_listen(const webhook_listen_args& args);

/// Arguments of `webhooks list`.
struct webhook_list_args {
  std::string status;
  std::string request_id;
  std::string client_id;
  int limit = 50;
  bool as_json = false;
};

/// Deliveries, newest first (app/webhook_admin_commands.cpp).
int webhooks_list(const config& cfg, const webhook_list_args& args);

/// Makes a delivery due again with a fresh schedule (the running service sends it).
int webhooks_redeliver(const config& cfg, const std::string& delivery_id);

/// Arguments of `webhooks test`.
struct webhook_test_args {
  std::string client_id;
  std::string url;
  /// Seconds to wait for the outcome (0: do not wait).
  int wait_s = 30;
};

/// Queues a signed platform.ping of a client to a URL on its allowlist and, unless told not to,
/// waits for the running service's attempt and prints its outcome.
int webhooks_test(const config& cfg, const webhook_test_args& args);

}  // namespace gp::app
