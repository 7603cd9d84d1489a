#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "app/commands.hpp"
#include "app/database_access.hpp"
#include "app/json_output.hpp"
#include "io/crypto.hpp"
#include "io/http/admin_codec.hpp"
#include "io/validate.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/clients.hpp"
#include "persistence/database.hpp"
#include "persistence/migrations.hpp"

namespace gp::app {

namespace {

persistence::db_options db_options_of(const config& cfg) {
  persistence::db_options o;
  o.url = cfg.database.url;
  o.statement_timeout = std::chrono::milliseconds{cfg.database.statement_timeout_ms};
  o.connect_timeout = std::chrono::seconds{cfg.database.connect_timeout_s};
  o.application_name = "geoplatform-cli";
  return o;
}

std::unique_ptr<pqxx::connection> connect(const config& cfg) {
  try {
    return persistence::open_connection(db_options_of(cfg));
  } catch (const std::exception& e) {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    throw std::runtime_error{"cannot connect to the database at " +
                             persistence::redact_url(cfg.database.url) + ": " + why};
  }
}

/// Commands other than migrate need the schema in place.
void require_schema(pqxx::connection& c) {
  auto have = persistence::applied_schema_version(c);
  auto want = persistence::latest_migration_version();
  if (have < want)
    throw std::runtime_error{"the database schema is at version " + std::to_string(have) +
                             ", expected " + std::to_string(want) +
                             "; run 'geoplatform migrate' first"};
}

void require(const std::string& field, const std::string& why) {
  if (!why.empty())
    throw std::runtime_error{field + ": " + why};
}

/// A class's calls a minute from a flag: at least 1, or 0 for the service's default.
void require_class_limit(const std::string& flag, int value) {
  if (value < 0)
    throw std::runtime_error{flag + ": must be at least 1, or 0 for the service's default"};
}

}  // namespace

audit_context cli_audit() { return {"cli", "cli-" + std::to_string(::getpid())}; }

std::unique_ptr<pqxx::connection> open_current_schema(const config& cfg) {
  auto c = connect(cfg);
  require_schema(*c);
  return c;
}

int clients_rotate_secret(const config& cfg, const std::string& client_id) {
  require("client_id", io::check_client_id(client_id));
  auto c = open_current_schema(cfg);
  auto secret = io::generate_webhook_secret();
  auto until = persistence::rotate_webhook_secret(*c, client_id, secret,
                                                  cfg.webhooks.secret_grace_s, cli_audit());
  if (!until)
    throw std::runtime_error{"no client '" + client_id + "'"};
  std::cerr << "rotated the webhook secret of client '" << client_id
            << "'; the previous secret also signs until " << *until
            << ". The new secret follows (shown once):\n";
  std::cout << secret << "\n";
  return 0;
}

int migrate_command(const config& cfg) {
  auto c = connect(cfg);
  auto report = persistence::migrate(*c, persistence::embedded_migrations());
  if (report.applied.empty()) {
    std::cout << "database schema is up to date (version " << report.version_after << ")\n";
  } else {
    std::cout << "migrated database schema from version " << report.version_before << " to "
              << report.version_after << " (applied";
    for (auto v : report.applied)
      std::cout << " " << v;
    std::cout << ")\n";
  }
  return 0;
}

int clients_create(const config& cfg, const client_create_args& args) {
  require("client_id", io::check_client_id(args.client_id));
  if (args.rate_limit_per_minute < 1)
    throw std::runtime_error{"--rate-limit: must be at least 1"};
  require_class_limit("--read-rate-limit", args.read_rate_limit_per_minute);
  require_class_limit("--tiles-rate-limit", args.tiles_rate_limit_per_minute);
  for (const auto& h : args.callback_hosts)
    require("--callback-host '" + h + "'", io::check_callback_host(h));
  auto c = connect(cfg);
  require_schema(*c);
  persistence::client_row row;
  row.client_id = args.client_id;
  row.name = args.name.empty() ? args.client_id : args.name;
  row.rate_limit_per_minute = args.rate_limit_per_minute;
  row.read_rate_limit_per_minute = args.read_rate_limit_per_minute;
  row.tiles_rate_limit_per_minute = args.tiles_rate_limit_per_minute;
  row.callback_hosts = args.callback_hosts;
  row.webhook_secret = io::generate_webhook_secret();
  if (!persistence::create_client(*c, row, cli_audit())) {
    if (args.if_not_exists) {
      std::cerr << "client '" << args.client_id << "' already exists\n";
      return 0;
    }
    throw std::runtime_error{"client '" + args.client_id + "' already exists"};
  }
  std::cerr << "created client '" << row.client_id
            << "'; its webhook signing secret follows (shown once):\n";
  std::cout << row.webhook_secret << "\n";
  return 0;
}

int clients_update(const config& cfg, const client_update_args& args) {
  require("client_id", io::check_client_id(args.client_id));
  persistence::client_changes changes;
  if (args.name) {
    if (args.name->empty())
      throw std::runtime_error{"--name: must not be empty"};
    changes.name = args.name;
  }
  if (args.rate_limit_per_minute) {
    if (*args.rate_limit_per_minute < 1)
      throw std::runtime_error{"--rate-limit: must be at least 1"};
    changes.rate_limit_per_minute = *args.rate_limit_per_minute;
  }
  if (args.read_rate_limit_per_minute) {
    require_class_limit("--read-rate-limit", *args.read_rate_limit_per_minute);
    changes.read_rate_limit_per_minute = *args.read_rate_limit_per_minute;
  }
  if (args.tiles_rate_limit_per_minute) {
    require_class_limit("--tiles-rate-limit", *args.tiles_rate_limit_per_minute);
    changes.tiles_rate_limit_per_minute = *args.tiles_rate_limit_per_minute;
  }
  if (args.no_callback_hosts && !args.callback_hosts.empty())
    throw std::runtime_error{"--no-callback-hosts: not with --callback-host"};
  for (const auto& h : args.callback_hosts)
    require("--callback-host '" + h + "'", io::check_callback_host(h));
  if (args.no_callback_hosts || !args.callback_hosts.empty())
    changes.callback_hosts = args.callback_hosts;
  if (args.activate && args.deactivate)
    throw std::runtime_error{"--active: not with --inactive"};
  if (args.activate || args.deactivate)
    changes.is_active = args.activate;
  if (!changes.name && !changes.rate_limit_per_minute && !changes.callback_hosts &&
      !changes.is_active && !changes.read_rate_limit_per_minute &&
      !changes.tiles_rate_limit_per_minute)
    throw std::runtime_error{
      "nothing to change: give --name, --rate-limit, --read-rate-limit, --tiles-rate-limit, "
      "--callback-host, --no-callback-hosts, --active or --inactive"};
  auto c = connect(cfg);
  require_schema(*c);
  auto row = persistence::update_client(*c, args.client_id, changes, cli_audit());
  if (!row)
    throw std::runtime_error{"no client '" + args.client_id + "'"};
  if (args.as_json)
    std::cout << io::http::to_json(*row).dump(2) << "\n";
  else
    std::cout << row->client_id << "\t" << row->name << "\t"
              << (row->is_active ? "active" : "inactive") << "\t" << row->rate_limit_per_minute
              << "/min\t" << row->created_at << "\n";
  std::cerr << "updated client '" << row->client_id
            << "'; running nodes apply a new rate limit or active flag within auth.cache_ttl_ms\n";
  return 0;
}

int clients_list(const config& cfg, bool as_json) {
  auto c = connect(cfg);
  require_schema(*c);
  auto rows = persistence::list_clients(*c);
  if (as_json) {
    print_json_rows(rows);
    return 0;
  }
  for (const auto& r : rows)
    std::cout << r.client_id << "\t" << r.name << "\t" << (r.is_active ? "active" : "inactive")
              << "\t" << r.rate_limit_per_minute << "/min\t" << r.created_at << "\n";
  return 0;
}

int keys_create(const config& cfg, const key_create_args& args) {
  require("--client", io::check_client_id(args.client_id));
  require("--level", io::check_access_level(args.level));
  if (!args.expires_at.empty())
    require("--expires-at", io::check_rfc3339(args.expires_at));
  if (args.allowed_endpoints)
    for (const auto& p : *args.allowed_endpoints)
      require("--allow '" + p + "'", io::check_endpoint_pattern(p));
  auto c = connect(cfg);
  require_schema(*c);
  persistence::api_key_row row;
  row.client_id = args.client_id;
  row.access_level = args.level;
  row.allowed_endpoints = args.allowed_endpoints;
  row.description = args.description;
  row.expires_at = args.expires_at;
  auto [outcome, key, stored_expiry] =
    persistence::create_generated_key(*c, row, io::generate_api_key, cli_audit());
  row.expires_at = stored_expiry;
  switch (outcome) {
    case persistence::create_key_outcome::created:
      break;
    case persistence::create_key_outcome::unknown_client:
      throw std::runtime_error{"client '" + args.client_id +
                               "' does not exist; create it with: geoplatform clients create " +
                               args.client_id};
    case persistence::create_key_outcome::expiry_not_in_future:
      throw std::runtime_error{"--expires-at: must be in the future"};
    case persistence::create_key_outcome::id_taken:
      throw std::runtime_error{"could not allocate a unique key id"};
  }
  if (args.as_json) {
    nlohmann::json j = {{"key", key.key},
                        {"key_id", key.key_id},
                        {"client_id", row.client_id},
                        {"access_level", row.access_level},
                        {"expires_at", row.expires_at.empty() ? nlohmann::json() :
                                                                nlohmann::json(row.expires_at)}};
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "created " << row.access_level << " key " << key.key_id << " for client '"
              << row.client_id << "'; store it now, it is not shown again:\n";
    std::cout << key.key << "\n";
  }
  return 0;
}

int keys_revoke(const config& cfg, const std::string& key_id) {
  auto c = connect(cfg);
  require_schema(*c);
  if (!persistence::revoke_api_key(*c, key_id, cli_audit())) {
    if (persistence::api_key_exists(*c, key_id))
      throw std::runtime_error{"key " + key_id + " is already revoked"};
    throw std::runtime_error{"no key with id '" + key_id + "'"};
  }
  std::cerr << "revoked key " << key_id
            << "; running services refuse it within [auth] cache_ttl_ms\n";
  return 0;
}

int keys_list(const config& cfg, const std::string& client_id, bool as_json) {
  auto c = connect(cfg);
  require_schema(*c);
  auto rows = persistence::list_api_keys(*c, client_id);
  if (as_json) {
    print_json_rows(rows);
    return 0;
  }
  for (const auto& r : rows)
    std::cout << r.key_id << "\t" << r.client_id << "\t" << r.access_level << "\t" << r.state
              << "\texpires " << (r.expires_at.empty() ? "never" : r.expires_at) << "\n";
  return 0;
}

}  // namespace gp::app
