#pragma once
// HTTP/1.1 server on Boost.Beast: keep-alive, body/header limits, timeouts, a connection cap and
// graceful draining. It parses requests into plain `request` values, hands them to one handler and
// writes whatever the responder is given, from the session's own strand.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "io/http/types.hpp"

namespace gp::io::http {

/// Listener and session settings (from the [http] configuration section).
struct server_options {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 1;
  size_t body_limit = 1 << 20;
  size_t header_limit = 16 * 1024;
  /// Longest request target (path and query) accepted; 414 above.
  size_t url_limit = 8192;
  /// Time to receive one whole request once a connection is waiting for it.
  std::chrono::seconds read_timeout{30};
  /// Time a keep-alive connection may sit idle between requests.
  std::chrono::seconds idle_timeout{60};
  /// Time a response may wait for the client to take its next piece (restarted per piece, so a
  /// long download is not cut while it moves).
  std::chrono::seconds write_timeout{30};
  size_t max_connections = 1024;
  /// Calls answered without a route (refused by the server itself) are logged at info; false:
  /// at debug (log.access).
  bool access_log = true;
};

class server {
public:
  explicit server(server_options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens. Throws std::runtime_error naming the address on failure.
  void bind();

  /// The bound port (useful with port 0).
  uint16_t port() const;

  /// Starts the I/O threads and accepts connections; every request goes to `h`.
  void start(handler h);

  /// Stops accepting, closes idle keep-alive connections and makes busy ones close after their
  /// response. In-flight requests still get their answers.
  void stop_accepting();

  /// Requests received and not yet answered.
  size_t in_flight() const;

  /// Open connections.
  size_t connections() const;

  /// Closes every connection, stops and joins the I/O threads. Idempotent.
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace gp::io::http
