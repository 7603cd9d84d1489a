// The command line's key rotation, client, audit and usage commands (docs/admin.md): the same
// operations as the admin API, on the database directly, audited as actor "cli".
#include <iostream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "app/commands.hpp"
#include "app/database_access.hpp"
#include "app/json_output.hpp"
#include "io/crypto.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/client_codec.hpp"
#include "io/validate.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/audit.hpp"
#include "persistence/clients.hpp"
#include "persistence/usage.hpp"

namespace gp::app {

namespace {

void check(const std::string& flag, const std::string& why) {
  if (!why.empty())
    throw std::runtime_error{flag + ": " + why};
}

}  // namespace

int keys_rotate(const config& cfg, const key_rotate_args& args) {
  if (!args.expires_at.empty())
    check("--expires-at", io::check_rfc3339(args.expires_at));
  if (args.overlap_s < -1 || args.overlap_s > 7776000)
    throw std::runtime_error{"--overlap: must be from 0 to 7776000 seconds (90 days)"};
  auto overlap = args.overlap_s >= 0 ? args.overlap_s : cfg.auth.key_rotation_overlap_s;
  auto c = open_current_schema(cfg);
  auto [r, key] = persistence::rotate_generated_key(*c, args.key_id, args.expires_at, overlap,
                                                   cli_audit(), io::generate_api_key);
  using k = persistence::key_rotation;
  switch (r.outcome) {
    case k::rotated: break;
    case k::missing: throw std::runtime_error{"no key with id '" + args.key_id + "'"};
    case k::not_active:
      throw std::runtime_error{"key " + args.key_id +
                               " is revoked or expired; create a new key instead"};
    case k::already_rotated:
      throw std::runtime_error{"key " + args.key_id + " was already rotated to " + r.rotated_to};
    case k::expiry_not_in_future: throw std::runtime_error{"--expires-at: must be in the future"};
    case k::id_taken: throw std::runtime_error{"could not allocate a unique key id"};
  }
  if (args.as_json) {
    nlohmann::json j = {{"key", key.key},
                        {"key_id", key.key_id},
                        {"client_id", r.row.client_id},
                        {"access_level", r.row.access_level},
                        {"expires_at", io::http::string_or_null(r.row.expires_at)},
                        {"replaces", args.key_id},
                        {"old_key_expires_at", r.old_expires_at}};
    std::cout << j.dump() << "\n";
  } else {
    std::cerr << "rotated key " << args.key_id << " to " << key.key_id << " (" << r.row.access_level
              << ", client '" << r.row.client_id << "'); the old key works until "
              << r.old_expires_at << ". The new key follows (shown once):\n";
    std::cout << key.key << "\n";
  }
  return 0;
}

int clients_show(const config& cfg, const std::string& client_id) {
  check("client_id", io::check_client_id(client_id));
  auto c = open_current_schema(cfg);
  auto row = persistence::find_client(*c, client_id);
  if (!row)
    throw std::runtime_error{"no client '" + client_id + "'"};
  std::cout << io::http::to_json(*row).dump(2) << "\n";
  return 0;
}

int audit_list(const config& cfg, const audit_list_args& args) {
  if (args.limit < 1 || args.limit > 500)
    throw std::runtime_error{"--limit: must be from 1 to 500"};
  auto c = open_current_schema(cfg);
  auto rows = persistence::list_audit(*c, args.target, 0, args.limit);
  if (args.as_json) {
    print_json_rows(rows);
    return 0;
  }
  for (const auto& r : rows)
    std::cout << r.at << "\t" << r.actor << "\t" << r.action << "\t" << r.target << "\n";
  return 0;
}

int usage_report(const config& cfg, const usage_args& args) {
  if (!args.client_id.empty())
    check("--client", io::check_client_id(args.client_id));
  if (!args.from.empty())
    check("--from", io::check_rfc3339(args.from));
  if (!args.to.empty())
    check("--to", io::check_rfc3339(args.to));
  if (args.granularity != "hour" && args.granularity != "day")
    throw std::runtime_error{"--granularity: must be hour or day"};
  auto c = open_current_schema(cfg);
  auto rows = persistence::read_usage(*c, {args.client_id, args.from, args.to, args.granularity});
  if (args.as_json) {
    print_json_rows(rows);
    return 0;
  }
  std::cout << "client\tperiod\tsubmits(new/repeat/refused)\tcompleted\tfailed\tbytes_read\t"
               "bytes_written\tstac_searches\tdownloads\tbytes_served\ttiles\n";
  for (const auto& r : rows) {
    const auto& n = r.counts;
    std::cout << r.client_id << "\t" << r.period << "\t" << n.submits_new << "/"
              << n.submits_repeat << "/" << n.submits_refused << "\t" << n.requests_completed
              << "\t" << n.requests_failed << "\t" << n.bytes_read << "\t" << n.bytes_written
              << "\t" << n.stac_searches << "\t" << n.downloads << "\t" << n.bytes_served << "\t"
              << n.tiles << "\n";
  }
  return 0;
}

}  // namespace gp::app
