// `geoplatform webhooks listen`: a local receiver for integrators (as `stripe listen` is). It
// verifies both signatures of each delivery with the client's secret (and, during a rotation, the
// previous one), refuses stale timestamps, prints one line per delivery, and answers 200 or 401
// as DDH's receiver should.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "io/http/server.hpp"
#include "io/logging.hpp"
#include "io/webhooks/receiver.hpp"
#include "io/webhooks/signature.hpp"

namespace gp::app {

int webhooks_listen(const webhook_listen_args& args) {
  std::vector<std::string> keys;
  for (const auto& s : args.secrets) {
    auto key = io::webhooks::secret_key(s);
    if (!key)
      throw std::runtime_error{"--secret must be a whsec_<base64> secret (as 'clients create' "
                               "prints it)"};
    keys.push_back(*key);
  }
  if (keys.empty())
    throw std::runtime_error{"give the client's webhook secret with --secret"};
  // Standard output carries the deliveries; the server's own lines (warnings only) go to the log.
  io::setup_logging("warn", io::log_format::text);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  io::http::server_options opts;
  opts.address = args.address;
  opts.port = static_cast<uint16_t>(args.port);
  opts.body_limit = 4 << 20;
  io::http::server server{opts};
  server.bind();
  std::mutex out;
  server.start([&](io::http::request req, io::http::responder reply) {
    auto now = static_cast<int64_t>(std::time(nullptr));
    auto c = io::webhooks::check_delivery(req, keys, now, args.tolerance_s);
    {
      std::lock_guard<std::mutex> lock{out};
      std::cout << c.summary << "\n";
      if (args.print_body)
        std::cout << nlohmann::json::parse(req.body, nullptr, false).dump(2) << "\n";
      std::cout.flush();
    }
    io::http::response r;
    r.status = c.accepted ? 200 : 401;
    r.body = nlohmann::json{{"accepted", c.accepted}, {"reason", c.reason}}.dump();
    reply(std::move(r));
  });
  std::cout << "listening on http://" << args.address << ":" << server.port()
            << "/ (any path); Ctrl-C stops" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  return 0;
}

}  // namespace gp::app
