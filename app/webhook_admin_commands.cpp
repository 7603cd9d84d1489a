// `geoplatform webhooks list | redeliver | test`: the admin webhook routes from the command line,
// straight on the database (the running service delivers what they queue).
#include <chrono>
#include <ctime>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "app/commands.hpp"
#include "app/database_access.hpp"
#include "io/http/submit_codec.hpp"
#include "io/webhooks/payload.hpp"
#include "persistence/clients.hpp"
#include "persistence/webhook_outbox.hpp"

namespace gp::app {

namespace {

void print_line(const webhook_delivery& d) {
  std::cout << d.delivery_id << "\t" << name_of(d.status) << "\t" << d.event << "\t"
            << (d.request_id.empty() ? "-" : d.request_id) << "\tattempts " << d.attempts;
  if (d.last_status_code != 0)
    std::cout << "\tlast " << d.last_status_code;
  if (!d.last_error.empty())
    std::cout << "\t" << d.last_error;
  std::cout << "\n";
}

}  // namespace

int webhooks_list(const config& cfg, const webhook_list_args& args) {
  persistence::delivery_filter f;
  if (!args.status.empty()) {
    f.status = parse_delivery_status(args.status);
    if (!f.status)
      throw std::runtime_error{"--status: must be one of pending, delivering, delivered, "
                               "failed, dead"};
  }
  if (args.limit < 1 || args.limit > 500)
    throw std::runtime_error{"--limit: must be between 1 and 500"};
  f.request_id = args.request_id;
  f.client_id = args.client_id;
  f.limit = args.limit;
  auto c = open_current_schema(cfg);
  auto rows = persistence::list_deliveries(*c, f);
  if (args.as_json) {
    auto arr = nlohmann::json::array();
    for (const auto& d : rows)
      arr.push_back(io::webhooks::delivery_json(d, cfg.http.public_base_url));
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  for (const auto& d : rows)
    print_line(d);
  return 0;
}

int webhooks_redeliver(const config& cfg, const std::string& delivery_id) {
  if (!io::webhooks::is_delivery_id(delivery_id))
    throw std::runtime_error{"delivery_id: must be msg_ and 32 lowercase hex characters"};
  auto c = open_current_schema(cfg);
  switch (persistence::redeliver(*c, delivery_id, cli_audit())) {
    case persistence::redelivery::missing:
      throw std::runtime_error{"no delivery " + delivery_id};
    case persistence::redelivery::in_flight:
      throw std::runtime_error{"delivery " + delivery_id +
                               " is being attempted now; try again when it ends"};
    case persistence::redelivery::queued:
      break;
  }
  std::cerr << "delivery " << delivery_id
            << " is due again (a running service attempts it within [webhooks] poll_ms)\n";
  return 0;
}

int webhooks_test(const config& cfg, const webhook_test_args& args) {
  auto c = open_current_schema(cfg);
  if (!persistence::client_exists(*c, args.client_id))
    throw std::runtime_error{"no client '" + args.client_id + "'"};
  auto hosts = persistence::callback_hosts_of(*c, args.client_id);
  if (auto why = io::http::check_callback_url(args.url, hosts); !why.empty())
    throw std::runtime_error{"--url: " + why};
  auto id = persistence::insert_ping(
    *c, args.client_id, args.url,
    io::webhooks::ping_payload(args.client_id, args.url, std::time(nullptr)));
  std::cerr << "queued ping " << id << " to " << args.url << "\n";
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds{args.wait_s};
  while (args.wait_s > 0 && std::chrono::steady_clock::now() < until) {
    auto d = persistence::find_delivery(*c, id, "");
    if (d && d->status != delivery_status::pending && d->status != delivery_status::delivering) {
      print_line(*d);
      return d->status == delivery_status::delivered ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  if (args.wait_s > 0) {
    std::cerr << "no outcome within " << args.wait_s
              << " s: is a service with [webhooks] enabled running?\n";
    return 1;
  }
  std::cout << id << "\n";
  return 0;
}

}  // namespace gp::app
