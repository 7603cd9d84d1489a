#pragma once
// The HTTP/1.1 client that delivers webhooks: one POST per call, asynchronous, on a private
// io_context with its own threads. It never follows redirects, reads at most a bounded excerpt of
// the answer, refuses to connect to non-public addresses (judged on the addresses the one DNS
// lookup returned, so a second lookup cannot rebind the host elsewhere), verifies TLS peers, and
// hands back keep-alive connections for the caller to reuse. Retries, backoff and per-host
// limits belong to the caller; the client retries only the one case a caller cannot see: a reused
// connection the server had already closed.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/webhooks/address_policy.hpp"

namespace gp::io::webhooks {

struct client_options {
  /// An extra trust anchor (PEM), added to the system's default verify paths; empty = none.
  std::string ca_file;
  int io_threads = 1;
};

struct post_options {
  /// DNS resolution, TCP connect and TLS handshake together.
  std::chrono::milliseconds connect_timeout{15000};
  /// The whole attempt, from the call to post() (time spent queued included) to the end of the
  /// response.
  std::chrono::milliseconds total_timeout{15000};
  /// Bytes of the response body read, and kept as the excerpt.
  size_t max_response_body = 4096;
  bool allow_private_addresses = false;
  std::string user_agent = "geoplatform-webhooks";
};

struct post_request {
  callback_url url;
  /// Sent besides Host, User-Agent, Content-Type (application/json) and Content-Length.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct post_outcome {
  /// The HTTP status; 0 when no response header arrived.
  int status = 0;
  /// Why there was no answer, or why the answer was cut; empty when all went well.
  std::string error;
  /// The host resolved only to non-public addresses and those were not allowed: nothing was sent.
  bool address_refused = false;
  /// The Retry-After header, if any.
  std::string retry_after;
  /// The Location header of a 3xx (never followed).
  std::string location;
  /// At most max_response_body bytes of the response body.
  std::string body_excerpt;
  /// The address connected to, "ip:port" (an IPv6 address in brackets).
  std::string address;
  std::chrono::milliseconds elapsed{0};
};

/// One open keep-alive connection to one authority over one scheme. Opaque to callers, who only
/// keep it between posts; it may be dropped on any thread, also after the client is gone.
class connection;

/// The client's io_context, TLS context and threads (defined in http_client.cpp); connections
/// share it, so the io_context outlives every socket.
struct client_state;

class http_client {
public:
  /// Starts `io_threads` threads. Throws std::runtime_error when `ca_file` cannot be loaded.
  explicit http_client(client_options o);
  /// Stops the io_context and joins its threads. Posts still under way are abandoned: their
  /// `done` is never called (and is destroyed), and their connections are closed.
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  using done_fn = std::function<void(post_outcome, std::shared_ptr<connection>)>;

  /// Sends one POST; thread-safe. `reuse` is an idle connection an earlier `done` handed back for
  /// the same scheme and authority, or null (one for another authority, or one already in use, is
  /// ignored and a fresh connection opened). `done` runs exactly once (unless the client is
  /// destroyed first), on an io thread (it must not block or throw), with the outcome and, when
  /// the connection can serve another request (keep-alive, the response read completely within
  /// the body limit, no error), that connection; otherwise null. When a reused connection turns
  /// out closed by the server before any byte of the response arrived, the request is sent once
  /// more on a fresh connection. Idle connections are not watched: the caller decides how long to
  /// keep one (shorter than receivers' keep-alive timeouts spares that second attempt).
  void post(post_request req, post_options opts, std::shared_ptr<connection> reuse, done_fn done);

private:
  std::shared_ptr<client_state> state_;
};

}  // namespace gp::io::webhooks
