#include "io/webhooks/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <limits>
#include <optional>
#include <pthread.h>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace gp::io::webhooks {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using steady = std::chrono::steady_clock;
using strand_type = net::strand<net::io_context::executor_type>;

/// DNS lookups one client runs at once on threads of their own.
constexpr int max_lookups = 32;

struct client_state : std::enable_shared_from_this<client_state> {
  /// An io_context whose pending handlers can be destroyed before the io_context itself: the
  /// client's destructor drops the posts under way (which hold connections, which hold this
  /// state) while sockets kept by callers may still close later on a live io_context.
  class io_context : public net::io_context {
  public:
    void abandon() { shutdown(); }
  };

  explicit client_state(const client_options& o) {
    // Clients connect to anything a callback names, so only TLS 1.2 and later, and the peer
    // must present a chain to a trusted root.
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    tls.set_default_verify_paths(ec);
    if (ec)
      throw std::runtime_error{"cannot load the system's trusted certificates: " + ec.message()};
    if (!o.ca_file.empty()) {
      tls.load_verify_file(o.ca_file, ec);
      if (ec)
        throw std::runtime_error{"cannot load the webhook CA file '" + o.ca_file +
                                 "': " + ec.message()};
    }
  }

  ssl::context tls{ssl::context::tls_client};
  io_context ioc;
  /// DNS lookups under way on threads of their own (at most max_lookups at once).
  std::atomic<int> lookups{0};
  /// Set when the client is destroyed: lookups that end later post nothing.
  std::atomic<bool> stopped{false};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

/// A socket (TLS or not) to one authority, with what is left in its read buffer. All of it is
/// touched only on `strand`, by the one post using it.
class connection {
public:
  connection(std::shared_ptr<client_state> c, strand_type s, const callback_url& url)
    : client(std::move(c)), strand(std::move(s)), https(url.scheme == "https"), host(url.host),
      port(url.port) {
    if (https)
      tls.emplace(strand, client->tls);
    else
      plain.emplace(strand);
  }

  beast::tcp_stream& transport() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void close() {
    beast::error_code ignored;
    transport().socket().shutdown(tcp::socket::shutdown_both, ignored);
    transport().close();
  }

  // First, so it is destroyed last: the sockets below need the io_context it owns.
  std::shared_ptr<client_state> client;
  strand_type strand;
  bool https;
  std::string host;
  uint16_t port;
  /// The address connected to, "ip:port".
  std::string address;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  /// Set while a post uses the connection; a second post handed the same one opens its own.
  std::atomic<bool> busy{true};
};

namespace {

constexpr uint32_t response_header_limit = 16 * 1024;

/// A response body that keeps at most `limit` bytes and fails the read with body_limit past them,
/// so the excerpt is kept even when the body is longer (a parser's own body_limit would refuse a
/// long Content-Length before reading any of it).
struct excerpt_body {
  struct value_type {
    std::string data;
    size_t limit = 0;
  };

  class reader {
  public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length)
        body_.data.reserve(static_cast<size_t>(std::min<std::uint64_t>(*length, body_.limit)));
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      size_t taken = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        size_t n = std::min(body_.limit - body_.data.size(), b.size());
        body_.data.append(static_cast<const char*>(b.data()), n);
        taken += n;
        if (n < b.size()) {
          ec = bhttp::error::body_limit;
          break;
        }
      }
      return taken;
    }

    void finish(beast::error_code& ec) { ec = {}; }

  private:
    value_type& body_;
  };
};

/// OpenSSL's chain verification, then the peer's name (host_name_verification). A name that does
/// not match is recorded as the verification error, so the outcome says "hostname mismatch"
/// rather than only that verification failed.
struct peer_name_check {
  ssl::host_name_verification check;
  int mismatch;

  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (!preverified)
      return false;
    if (check(preverified, ctx))
      return true;
    X509_STORE_CTX_set_error(ctx.native_handle(), mismatch);
    return false;
  }
};

std::string endpoint_text(const tcp::endpoint& ep) {
  auto a = ep.address().to_string();
  auto p = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + a + "]:" + p : a + ":" + p;
}

/// `an` before the kinds that start with a vowel sound.
const char* article(const char* kind) {
  return std::strchr("aeio", kind[0]) || std::strncmp(kind, "un", 2) == 0 ? "an" : "a";
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
}

/// Whether a header can be sent as is: a token for the name and no line breaks in the value
/// (which would let it add headers or a second request).
bool sendable(const std::pair<std::string, std::string>& h) {
  return !h.first.empty() && std::all_of(h.first.begin(), h.first.end(), is_token_char) &&
         h.second.find_first_of(std::string_view{"\r\n\0", 3}) == std::string::npos;
}

/// Read errors that mean a reused connection had been closed by the server while idle, when no
/// byte of the response came.
bool is_closed_idle(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

/// One POST: resolve and check, connect, handshake, write, read; each step one member function,
/// all of them on the connection's strand.
class post_op : public std::enable_shared_from_this<post_op> {
public:
  post_op(client_state& client, strand_type strand, post_request&& req, post_options&& opts,
          std::shared_ptr<connection> reuse, http_client::done_fn&& done, steady::time_point now)
    : client_(client), strand_(std::move(strand)), url_(std::move(req.url)), opts_(std::move(opts)),
      done_(std::move(done)), conn_(std::move(reuse)), started_(now),
      total_deadline_(now + opts_.total_timeout) {
    boost::system::error_code ec;
    literal_ = net::ip::make_address(url_.host, ec);
    is_literal_ = !ec;
    bool default_port = url_.port == (url_.scheme == "https" ? 443 : 80);
    bool v6 = is_literal_ && literal_.is_v6();
    std::string host_field = v6 ? "[" + url_.host + "]" : url_.host;
    if (!default_port)
      host_field += ":" + std::to_string(url_.port);
    // The request is written out once, here on the caller's thread, and sent as one buffer:
    // Beast's serializer walks a chain of buffer views on every write, on the client's thread.
    // Headers are checked by sendable(); the target comes from a parsed callback URL.
    wire_.reserve(req.body.size() + 512);
    wire_.append("POST ").append(url_.target).append(" HTTP/1.1\r\nHost: ").append(host_field);
    wire_.append("\r\nUser-Agent: ").append(opts_.user_agent);
    wire_.append("\r\nContent-Type: application/json\r\n");
    for (const auto& h : req.headers) {
      if (!sendable(h)) {
        bad_header_ = h.first;
        break;
      }
      wire_.append(h.first).append(": ").append(h.second).append("\r\n");
    }
    wire_.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n\r\n");
    wire_.append(req.body);
  }

  void start() {
    if (!bad_header_.empty()) {
      outcome_.error =
        "the header '" + bad_header_ + "' cannot be sent (not a token, or a line break)";
      return finish(conn_ != nullptr);  // nothing was sent: a reused connection stays good
    }
    if (conn_) {
      reused_ = true;
      outcome_.address = conn_->address;
      return send();
    }
    open();
  }

private:
  enum class phase { resolving, connecting, handshaking, writing, reading, done };

  /// A fresh connection: the endpoints of an IP literal, or those one DNS lookup returns.
  void open() {
    conn_ = std::make_shared<connection>(client_.shared_from_this(), strand_, url_);
    connect_deadline_ = std::min(steady::now() + opts_.connect_timeout, total_deadline_);
    endpoints_.clear();
    if (is_literal_) {
      endpoints_.emplace_back(literal_, url_.port);
      return check_and_connect();
    }
    phase_ = phase::resolving;
    deadline_is_connect_ = connect_deadline_ < total_deadline_;
    resolve_timer_.emplace(strand_, connect_deadline_);
    // The lookup itself cannot be interrupted (getaddrinfo), so the timer ends the post and the
    // lookup's late answer is ignored.
    resolve_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->phase_ == phase::resolving) {
        if (self->resolver_)
          self->resolver_->cancel();
        self->fail(self->describe(beast::error::timeout));
      }
    });
    // Asio resolves on one thread per io_context: one name server that never answers would
    // hold every other host's new connection. Each lookup runs on a thread of its own instead
    // (up to max_lookups at once; beyond, Asio's).
    auto state = client_.shared_from_this();
    if (state->lookups.fetch_add(1) < max_lookups) {
      std::thread{[state, self = shared_from_this(), host = url_.host, port = url_.port]() mutable {
        net::io_context unused;
        tcp::resolver resolver{unused};
        beast::error_code ec;
        auto results = resolver.resolve(host, std::to_string(port),
                                        tcp::resolver::numeric_service, ec);
        --state->lookups;
        // The answer (and the post) go back to the post's strand; this thread keeps nothing.
        if (!state->stopped) {
          auto strand = self->strand_;
          net::post(strand, [self = std::move(self), ec, results = std::move(results)]() mutable {
            self->on_resolve(ec, std::move(results));
          });
        }
      }}.detach();
      return;
    }
    --state->lookups;
    resolver_.emplace(strand_);
    resolver_->async_resolve(url_.host, std::to_string(url_.port), tcp::resolver::numeric_service,
                             beast::bind_front_handler(&post_op::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (phase_ != phase::resolving)
      return;
    resolve_timer_->cancel();
    if (ec)
      return fail(describe(ec));
    for (const auto& entry : results)
      endpoints_.push_back(entry.endpoint());
    check_and_connect();
  }

  /// Keeps only the endpoints the policy allows; connects to those and never looks the name up
  /// again, so what was checked is what is reached.
  void check_and_connect() {
    if (!opts_.allow_private_addresses) {
      const char* kind = nullptr;
      tcp::endpoint refused;
      auto kept = std::remove_if(endpoints_.begin(), endpoints_.end(), [&](const auto& ep) {
        auto k = non_public_kind(ep.address());
        if (k && !kind) {
          kind = k;
          refused = ep;
        }
        return k != nullptr;
      });
      endpoints_.erase(kept, endpoints_.end());
      if (endpoints_.empty() && kind) {
        outcome_.address_refused = true;
        auto ip = refused.address().to_string();
        if (is_literal_)
          return fail("refused: " + ip + " is " + article(kind) + " " + kind + " address");
        return fail("refused: " + url_.host + " resolves only to non-public addresses (" + ip +
                    " is " + article(kind) + " " + kind + " address)");
      }
    }
    if (endpoints_.empty())
      return fail("DNS resolution of " + url_.host + " returned no address");
    phase_ = phase::connecting;
    arm(connect_deadline_);
    conn_->transport().async_connect(
      endpoints_, beast::bind_front_handler(&post_op::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& ep) {
    if (ec)
      return fail(describe(ec));
    conn_->address = endpoint_text(ep);
    outcome_.address = conn_->address;
    beast::error_code ignored;
    // A request is one write and its answer is awaited: Nagle's delay would only add latency.
    conn_->transport().socket().set_option(tcp::no_delay(true), ignored);
    if (conn_->https)
      return handshake();
    send();
  }

  void handshake() {
    phase_ = phase::handshaking;
    auto* ssl = conn_->tls->native_handle();
    // RFC 6066: server names only, never an IP literal.
    if (!is_literal_)
      SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    conn_->tls->set_verify_callback(
      peer_name_check{ssl::host_name_verification{url_.host},
                      is_literal_ ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH});
    arm(connect_deadline_);
    conn_->tls->async_handshake(
      ssl::stream_base::client,
      beast::bind_front_handler(&post_op::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec)
      return fail(describe(ec));
    send();
  }

  void send() {
    phase_ = phase::writing;
    arm(total_deadline_);
    auto on_write = beast::bind_front_handler(&post_op::on_write, shared_from_this());
    if (conn_->tls)
      net::async_write(*conn_->tls, net::buffer(wire_), std::move(on_write));
    else
      net::async_write(*conn_->plain, net::buffer(wire_), std::move(on_write));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec && reused_ && ec != beast::error::timeout && ec != net::error::operation_aborted)
      return retry();
    if (ec)
      return fail(describe(ec));
    read();
  }

  void read() {
    phase_ = phase::reading;
    parser_.emplace();
    parser_->header_limit(response_header_limit);
    // The excerpt body enforces the limit; the parser's own would refuse before any byte. Its
    // "no limit" is the largest one, not boost::none: Boost 1.74's parser compares a
    // Content-Length with an empty limit as larger (none sorts first) and fails an answer whose
    // header it reads before the body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->get().body().limit = opts_.max_response_body;
    auto on_read = beast::bind_front_handler(&post_op::on_read, shared_from_this());
    if (conn_->tls)
      bhttp::async_read(*conn_->tls, conn_->buffer, *parser_, std::move(on_read));
    else
      bhttp::async_read(*conn_->plain, conn_->buffer, *parser_, std::move(on_read));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec) {
      bool nothing_came = !parser_->got_some() && conn_->buffer.size() == 0;
      if (reused_ && nothing_came && is_closed_idle(ec))
        return retry();
      if (!parser_->is_header_done())
        return fail(describe(ec));
      take_response();
      if (ec == bhttp::error::body_limit)
        outcome_.error = "the response body exceeds " + std::to_string(opts_.max_response_body) +
                         " bytes; only those were read";
      else
        outcome_.error = describe(ec);
      return finish(false);
    }
    int status = parser_->get().result_int();
    // An interim answer (103 Early Hints and the like) precedes the real one.
    if (status >= 100 && status < 200 && status != 101)
      return read();
    take_response();
    finish(parser_->keep_alive() && status != 101 && conn_->buffer.size() == 0);
  }

  void take_response() {
    auto& res = parser_->get();
    outcome_.status = res.result_int();
    if (auto it = res.find(bhttp::field::retry_after); it != res.end())
      outcome_.retry_after = std::string{it->value()};
    if (outcome_.status >= 300 && outcome_.status < 400)
      if (auto it = res.find(bhttp::field::location); it != res.end())
        outcome_.location = std::string{it->value()};
    outcome_.body_excerpt = std::move(res.body().data);
  }

  /// The reused connection had been closed by the server: the request goes once more on a fresh
  /// connection (with a fresh lookup and check); a second failure is final.
  void retry() {
    conn_->close();
    conn_.reset();
    reused_ = false;
    outcome_.address.clear();
    open();
  }

  /// Sets the stream's timeout for the steps that follow.
  void arm(steady::time_point deadline) {
    deadline_is_connect_ = deadline == connect_deadline_ && connect_deadline_ < total_deadline_;
    conn_->transport().expires_at(deadline);
  }

  std::string describe(const beast::error_code& ec) const {
    static constexpr const char* step[] = {"DNS resolution",      "connect",  "TLS handshake",
                                           "sending the request", "response", "post"};
    if (ec == beast::error::timeout) {
      auto ms = deadline_is_connect_ ? opts_.connect_timeout : opts_.total_timeout;
      return std::string{step[static_cast<int>(phase_)]} + " timed out after " +
             std::to_string(ms.count()) + " ms";
    }
    switch (phase_) {
    case phase::resolving:
      return "DNS resolution of " + url_.host + " failed: " + ec.message();
    case phase::connecting:
      return "connect to " + url_.authority() + " failed: " + ec.message();
    case phase::handshaking:
      if (auto v = SSL_get_verify_result(conn_->tls->native_handle()); v != X509_V_OK)
        return std::string{"certificate verify failed: "} + X509_verify_cert_error_string(v);
      return "TLS handshake failed: " + ec.message();
    case phase::writing:
      return "sending the request failed: " + ec.message();
    case phase::reading:
      if (ec == bhttp::error::end_of_stream)
        return "the server closed the connection without answering";
      if (ec == bhttp::error::partial_message)
        return "the server closed the connection in the middle of the response";
      return "reading the response failed: " + ec.message();
    case phase::done:
      break;
    }
    return ec.message();
  }

  void fail(std::string why) {
    outcome_.error = std::move(why);
    finish(false);
  }

  /// Hands the outcome over, with the connection when it can serve another request.
  void finish(bool keep) {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    if (resolve_timer_)
      resolve_timer_->cancel();
    std::shared_ptr<connection> back;
    if (conn_ && keep) {
      conn_->transport().expires_never();
      conn_->busy = false;
      back = std::move(conn_);
    } else if (conn_) {
      conn_->close();
      conn_.reset();
    }
    outcome_.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started_);
    auto done = std::move(done_);
    done(std::move(outcome_), std::move(back));
  }

  client_state& client_;
  strand_type strand_;
  callback_url url_;
  post_options opts_;
  http_client::done_fn done_;
  std::shared_ptr<connection> conn_;
  steady::time_point started_;
  steady::time_point total_deadline_;
  steady::time_point connect_deadline_;
  net::ip::address literal_;
  bool is_literal_ = false;
  bool reused_ = false;
  bool deadline_is_connect_ = false;
  phase phase_ = phase::connecting;
  std::string bad_header_;
  /// The whole request as sent: request line, headers and body.
  std::string wire_;
  std::optional<tcp::resolver> resolver_;
  std::optional<net::steady_timer> resolve_timer_;
  std::vector<tcp::endpoint> endpoints_;
  std::optional<bhttp::response_parser<excerpt_body>> parser_;
  post_outcome outcome_;
};

}  // namespace

http_client::http_client(client_options o) : state_(std::make_shared<client_state>(o)) {
  auto* s = state_.get();
  s->work.emplace(s->ioc.get_executor());
  for (int n = 0; n < std::max(1, o.io_threads); ++n)
    s->threads.emplace_back([s, n] {
      // Named for `top -H` and perf (it would inherit the name of the thread that started it).
      ::pthread_setname_np(::pthread_self(), ("gp.webhooks." + std::to_string(n)).c_str());
      s->ioc.run();
    });
}

http_client::~http_client() {
  state_->stopped = true;
  state_->work.reset();
  state_->ioc.stop();
  for (auto& t : state_->threads)
    if (t.joinable())
      t.join();
  // Destroys the posts still queued (their `done` unrun, their connections closed) now, while
  // this client holds the io_context; connections kept by callers share it and close later.
  state_->ioc.abandon();
}

void http_client::post(post_request req, post_options opts, std::shared_ptr<connection> reuse,
                       done_fn done) {
  auto now = steady::now();
  // `busy` is tested last, so it is only taken on a connection this post can use.
  if (reuse &&
      (reuse->client != state_ || reuse->https != (req.url.scheme == "https") ||
       reuse->port != req.url.port || reuse->host != req.url.host || reuse->busy.exchange(true)))
    reuse.reset();
  auto strand = reuse ? reuse->strand : net::make_strand(state_->ioc);
  auto op = std::make_shared<post_op>(*state_, strand, std::move(req), std::move(opts),
                                      std::move(reuse), std::move(done), now);
  net::post(strand, [op = std::move(op)] { op->start(); });
}

}  // namespace gp::io::webhooks
