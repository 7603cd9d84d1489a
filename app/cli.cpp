#include "app/cli.hpp"

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/version.hpp"
#include "io/logging.hpp"

namespace gp::app {

namespace {

/// Options every command accepts; they feed the configuration layers.
struct common_options {
  std::string config_file;
  std::vector<std::string> sets;
  std::string database_url;
  std::string log_level;
  std::string log_format;
  std::string listen;
  int port = -1;
};

/// File, environment and --set layers (shortcut flags are applied by load_config).
config_loader layered_loader(const common_options& o) {
  config_loader loader;
  auto env = process_environment();
  std::string file = o.config_file;
  if (file.empty())
    if (auto i = env.find("GEOPLATFORM_CONFIG"); i != env.end())
      file = i->second;
  if (!file.empty())
    loader.load_file(file);
  loader.load_environment(env);
  for (const auto& s : o.sets)
    loader.set(s);
  return loader;
}

/// Every layer, shortcut flags included.
config_loader full_loader(const common_options& o) {
  auto loader = layered_loader(o);
  if (!o.database_url.empty())
    loader.set("database.url", o.database_url);
  if (!o.log_level.empty())
    loader.set("log.level", o.log_level);
  if (!o.log_format.empty())
    loader.set("log.format", o.log_format);
  if (!o.listen.empty())
    loader.set("http.listen_address", o.listen);
  if (o.port >= 0)
    loader.set("http.port", std::to_string(o.port));
  return loader;
}

config load_config(const common_options& o) { return full_loader(o).build(); }

void add_common(CLI::App* cmd, common_options& o) {
  cmd->add_option("-c,--config", o.config_file,
                  "TOML configuration file (default: $GEOPLATFORM_CONFIG, else none)");
  cmd->add_option("-s,--set", o.sets,
                  "Override one key, e.g. --set http.port=9000 (repeatable; beats file and "
                  "environment)");
  cmd->add_option("--database-url", o.database_url, "Same as --set database.url=URL");
  cmd->add_option("--log-level", o.log_level, "Same as --set log.level=LEVEL");
  cmd->add_option("--log-format", o.log_format, "Same as --set log.format=text|json");
}

/// Prints the reason on one line (libpq messages span several) and returns exit code 1.
int fail(std::string reason) {
  std::string line;
  bool space = false;
  for (char ch : reason) {
    bool ws = ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ';
    if (ws) {
      space = !line.empty();
      continue;
    }
    if (space)
      line += ' ';
    space = false;
    line += ch;
  }
  std::cerr << "geoplatform: error: " << line << "\n";
  return 1;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"geoplatform: publishes geospatial datasets (PostGIS, GeoPackage, COG, STAC) for a "
               "data hub.\nConfiguration: defaults < TOML file < GEOPLATFORM_<SECTION>_<KEY> "
               "environment < flags. See docs/configuration.md or 'geoplatform config keys'.",
               "geoplatform"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  common_options common;
  std::function<int()> action;

  auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP service; pending migrations are applied in the background "
                                              "(/readyz answers 503 until they are)");
  add_common(serve_cmd, common);
  serve_cmd->add_option("--listen", common.listen, "Same as --set http.listen_address=ADDR");
  serve_cmd->add_option("-p,--port", common.port, "Same as --set http.port=N");
  serve_cmd->callback([&] { action = [&] { return serve(load_config(common)); }; });

  auto* migrate_cmd = app.add_subcommand("migrate", "Apply pending database migrations and exit");
  add_common(migrate_cmd, common);
  migrate_cmd->callback([&] { action = [&] { return migrate_command(load_config(common)); }; });

  auto* clients = app.add_subcommand("clients", "Manage platform clients");
  clients->require_subcommand(1);
  client_create_args cc;
  auto* clients_create_cmd =
    clients->add_subcommand("create", "Create a client; prints its webhook secret once");
  add_common(clients_create_cmd, common);
  clients_create_cmd->add_option("client_id", cc.client_id, "Client id, e.g. ddh")->required();
  clients_create_cmd->add_option("--name", cc.name, "Display name (default: the client id)");
  clients_create_cmd->add_option("--rate-limit", cc.rate_limit_per_minute,
                                 "Submissions per minute on each node (default 600)");
  clients_create_cmd->add_option("--read-rate-limit", cc.read_rate_limit_per_minute,
                                 "Read calls (status, listings, STAC, features, downloads) per "
                                 "minute on each node (default 0: [rate_limits] read_per_minute)");
  clients_create_cmd->add_option("--tiles-rate-limit", cc.tiles_rate_limit_per_minute,
                                 "Map tile calls per minute on each node (default 0: "
                                 "[rate_limits] tiles_per_minute)");
  clients_create_cmd->add_option("--callback-host", cc.callback_hosts,
                                 "Allowed webhook host, exact or *.example.org (repeatable)");
  clients_create_cmd->add_flag("--if-not-exists", cc.if_not_exists,
                               "Exit 0 (printing no secret) when the client already exists");
  clients_create_cmd->callback([&] {
    action = [&] { return clients_create(load_config(common), cc); };
  });
  client_update_args cu;
  std::optional<std::string> update_name;
  std::optional<int> update_limit, update_read_limit, update_tiles_limit;
  auto* clients_update_cmd = clients->add_subcommand(
    "update", "Change a client's name, rate limit, callback hosts or whether it is active");
  add_common(clients_update_cmd, common);
  clients_update_cmd->add_option("client_id", cu.client_id, "Client id, e.g. ddh")->required();
  clients_update_cmd->add_option("--name", update_name, "New display name");
  clients_update_cmd->add_option("--rate-limit", update_limit,
                                 "Submissions per minute on each node");
  clients_update_cmd->add_option("--read-rate-limit", update_read_limit,
                                 "Read calls per minute on each node (0: the service's default)");
  clients_update_cmd->add_option("--tiles-rate-limit", update_tiles_limit,
                                 "Map tile calls per minute on each node (0: the service's "
                                 "default)");
  clients_update_cmd->add_option("--callback-host", cu.callback_hosts,
                                 "Replace the allowed webhook hosts (repeatable)");
  clients_update_cmd->add_flag("--no-callback-hosts", cu.no_callback_hosts,
                               "Remove every allowed webhook host");
  clients_update_cmd->add_flag("--active", cu.activate, "Let the client's keys work again");
  clients_update_cmd->add_flag("--inactive", cu.deactivate,
                               "Refuse every key of the client (401) until --active");
  clients_update_cmd->add_flag("--json", cu.as_json, "Print the client as JSON");
  clients_update_cmd->callback([&] {
    cu.name = update_name;
    cu.rate_limit_per_minute = update_limit;
    cu.read_rate_limit_per_minute = update_read_limit;
    cu.tiles_rate_limit_per_minute = update_tiles_limit;
    action = [&] { return clients_update(load_config(common), cu); };
  });
  bool clients_json = false;
  std::string rotate_client;
  auto* rotate_cmd = clients->add_subcommand(
    "rotate-secret", "Give a client a new webhook secret (printed once); the previous one keeps "
                     "signing for [webhooks] secret_grace_s");
  add_common(rotate_cmd, common);
  rotate_cmd->add_option("client_id", rotate_client, "Client id, e.g. ddh")->required();
  rotate_cmd->callback(
    [&] { action = [&] { return clients_rotate_secret(load_config(common), rotate_client); }; });

  std::string show_client;
  auto* clients_show_cmd =
    clients->add_subcommand("show", "Print one client as JSON (never its secret)");
  add_common(clients_show_cmd, common);
  clients_show_cmd->add_option("client_id", show_client, "Client id, e.g. ddh")->required();
  clients_show_cmd->callback(
    [&] { action = [&] { return clients_show(load_config(common), show_client); }; });

  auto* clients_list_cmd = clients->add_subcommand("list", "List clients (never their secrets)");
  add_common(clients_list_cmd, common);
  clients_list_cmd->add_flag("--json", clients_json, "JSON output");
  clients_list_cmd->callback([&] {
    action = [&] { return clients_list(load_config(common), clients_json); };
  });

  auto* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  key_create_args kc;
  std::vector<std::string> allow;
  auto* keys_create_cmd = keys->add_subcommand(
    "create", "Create an API key; prints the key once (only its SHA-256 is stored)");
  add_common(keys_create_cmd, common);
  keys_create_cmd->add_option("--client", kc.client_id, "Owning client id")->required();
  keys_create_cmd->add_option("--level", kc.level, "internal | trusted | admin")->required();
  keys_create_cmd->add_option("--expires-at", kc.expires_at,
                              "RFC 3339 expiry, e.g. 2027-01-01T00:00:00Z (default: never)");
  keys_create_cmd->add_option("--allow", allow,
                              "Restrict to an endpoint pattern such as \"GET /platform/status/*\" "
                              "(repeatable; default: all its level allows)");
  keys_create_cmd->add_option("--description", kc.description, "What the key is for");
  keys_create_cmd->add_flag("--json", kc.as_json, "Print {key, key_id, ...} as JSON");
  keys_create_cmd->callback([&] {
    if (!allow.empty())
      kc.allowed_endpoints = allow;
    action = [&] { return keys_create(load_config(common), kc); };
  });
  std::string revoke_id;
  auto* keys_revoke_cmd =
    keys->add_subcommand("revoke", "Revoke a key by its 8-character id (see 'keys list')");
  add_common(keys_revoke_cmd, common);
  keys_revoke_cmd->add_option("key_id", revoke_id, "The key's public id")->required();
  keys_revoke_cmd->callback([&] {
    action = [&] { return keys_revoke(load_config(common), revoke_id); };
  });
  key_rotate_args kr;
  auto* keys_rotate_cmd = keys->add_subcommand(
    "rotate", "Replace a key by a new one with the same client, level and scopes (printed once); "
              "the old key keeps working for the overlap");
  add_common(keys_rotate_cmd, common);
  keys_rotate_cmd->add_option("key_id", kr.key_id, "The key's public id")->required();
  keys_rotate_cmd->add_option("--expires-at", kr.expires_at,
                              "RFC 3339 expiry of the new key (default: the old key's)");
  keys_rotate_cmd->add_option("--overlap", kr.overlap_s,
                              "Seconds the old key keeps working (default: [auth] "
                              "key_rotation_overlap_s)");
  keys_rotate_cmd->add_flag("--json", kr.as_json, "Print {key, key_id, ...} as JSON");
  keys_rotate_cmd->callback([&] { action = [&] { return keys_rotate(load_config(common), kr); }; });

  std::string keys_client;
  bool keys_json = false;
  auto* keys_list_cmd = keys->add_subcommand("list", "List keys (ids and metadata, never secrets)");
  add_common(keys_list_cmd, common);
  keys_list_cmd->add_option("--client", keys_client, "Only this client's keys");
  keys_list_cmd->add_flag("--json", keys_json, "JSON output");
  keys_list_cmd->callback([&] {
    action = [&] { return keys_list(load_config(common), keys_client, keys_json); };
  });

  auto* webhooks = app.add_subcommand("webhooks", "Webhook deliveries, and tools for integrators");
  webhooks->require_subcommand(1);
  webhook_listen_args wl;
  auto* listen_cmd = webhooks->add_subcommand(
    "listen", "Run a local receiver that verifies each delivery's signatures (webhook-signature "
              "and X-Platform-Signature) and prints one line per delivery");
  listen_cmd->add_option("--port", wl.port, "Port to listen on (0: any free port)")
    ->capture_default_str();
  listen_cmd->add_option("--address", wl.address, "Address to listen on")->capture_default_str();
  listen_cmd->add_option("--secret", wl.secrets,
                         "The client's whsec_ secret; give it twice during a rotation (new and "
                         "previous)")
    ->required();
  listen_cmd->add_option("--tolerance", wl.tolerance_s,
                         "Seconds a webhook-timestamp may be from now")
    ->capture_default_str();
  listen_cmd->add_flag("--print-body", wl.print_body, "Also print each delivery's JSON");
  listen_cmd->callback([&] { action = [&] { return webhooks_listen(wl); }; });

  webhook_list_args wls;
  auto* wlist = webhooks->add_subcommand("list", "List webhook deliveries, newest first");
  add_common(wlist, common);
  wlist->add_option("--status", wls.status,
                    "Only deliveries in this status (pending, delivering, delivered, failed, dead)");
  wlist->add_option("--request", wls.request_id, "Only the deliveries of this request");
  wlist->add_option("--client", wls.client_id, "Only this client's deliveries");
  wlist->add_option("--limit", wls.limit, "At most this many (1-500)")->capture_default_str();
  wlist->add_flag("--json", wls.as_json, "JSON output (as GET /admin/webhooks)");
  wlist->callback([&] { action = [&] { return webhooks_list(load_config(common), wls); }; });

  std::string redeliver_id;
  auto* wredeliver = webhooks->add_subcommand(
    "redeliver", "Make a delivery due again with a fresh retry schedule (the same webhook-id)");
  add_common(wredeliver, common);
  wredeliver->add_option("delivery_id", redeliver_id, "msg_...")->required();
  wredeliver->callback(
    [&] { action = [&] { return webhooks_redeliver(load_config(common), redeliver_id); }; });

  webhook_test_args wt;
  auto* wtest = webhooks->add_subcommand(
    "test", "Send a signed platform.ping of a client to a URL on its callback allowlist (through "
            "the running service) and print the outcome");
  add_common(wtest, common);
  wtest->add_option("--client", wt.client_id, "The client whose secret signs")->required();
  wtest->add_option("--url", wt.url, "The receiver's URL")->required();
  wtest->add_option("--wait", wt.wait_s, "Seconds to wait for the outcome (0: do not wait)")
    ->capture_default_str();
  wtest->callback([&] { action = [&] { return webhooks_test(load_config(common), wt); }; });

  auto* audit = app.add_subcommand("audit", "The audit trail of admin changes");
  audit->require_subcommand(1);
  audit_list_args al;
  auto* audit_list_cmd = audit->add_subcommand("list", "List admin changes, newest first");
  add_common(audit_list_cmd, common);
  audit_list_cmd->add_option("--target", al.target,
                             "Only changes of this target, e.g. client:ddh or key:ab12cd34");
  audit_list_cmd->add_option("--limit", al.limit, "At most this many (1-500)")
    ->capture_default_str();
  audit_list_cmd->add_flag("--json", al.as_json, "JSON output (as GET /admin/audit)");
  audit_list_cmd->callback([&] { action = [&] { return audit_list(load_config(common), al); }; });

  usage_args ua;
  auto* usage_cmd = app.add_subcommand(
    "usage", "Usage per client and hour or day (what running nodes counted, flushed every "
             "[usage] flush_ms)");
  add_common(usage_cmd, common);
  usage_cmd->add_option("--client", ua.client_id, "Only this client");
  usage_cmd->add_option("--from", ua.from, "RFC 3339 start (included)");
  usage_cmd->add_option("--to", ua.to, "RFC 3339 end (excluded)");
  usage_cmd->add_option("--granularity", ua.granularity, "hour or day")->capture_default_str();
  usage_cmd->add_flag("--json", ua.as_json, "JSON output (as GET /admin/usage)");
  usage_cmd->callback([&] { action = [&] { return usage_report(load_config(common), ua); }; });

  auto* config_cmd = app.add_subcommand("config", "Inspect configuration");
  config_cmd->require_subcommand(1);
  auto* show = config_cmd->add_subcommand(
    "show", "Validate and print the effective configuration with each value's origin");
  add_common(show, common);
  show->callback([&] {
    action = [&] {
      auto loader = full_loader(common);
      loader.build();
      for (const auto& [k, v] : loader.describe())
        std::cout << k << " = " << v << "\n";
      return 0;
    };
  });
  auto* keys_doc = config_cmd->add_subcommand("keys", "List every configuration key");
  keys_doc->callback([&] {
    action = [&] {
      for (const auto& k : config_keys())
        std::cout << "[" << k.section << "] " << k.key << "  env " << k.env_name() << "  default \""
                  << k.default_value << "\"\n    " << k.description << "\n";
      return 0;
    };
  });

  auto* version_cmd = app.add_subcommand("version", "Print the version");
  version_cmd->callback([&] {
    action = [] {
      std::cout << "geoplatform " << version << "\n";
      return 0;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "geoplatform: usage error: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    return action ? action() : 0;
  } catch (const std::exception& e) {
    return fail(io::redact_secrets(e.what()));
  }
}

}  // namespace gp::app
