#include "io/http/server.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <iterator>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "io/http/correlation.hpp"
#include "io/http/file_body.hpp"
#include "io/http/problem.hpp"
#include "io/json_text.hpp"
#include "io/logging.hpp"

namespace gp::io::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

std::string_view request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name))
      return v;
  return {};
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

class session;

struct server::impl {
  explicit impl(server_options o)
    : opts(std::move(o)), acceptor(net::make_strand(ioc)), accept_retry(acceptor.get_executor()) {}

  server_options opts;
  handler on_request;
  std::atomic<size_t> in_flight{0};
  std::atomic<size_t> connections{0};
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::mutex sessions_mu;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  std::vector<std::thread> threads;
  // Declared last so it is destroyed first: pending handlers (and the sessions they own) go
  // away while the members above are still alive.
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor;
  /// Backs off after a failed accept (e.g. out of file descriptors) instead of spinning.
  net::steady_timer accept_retry;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  /// Strong references to the open sessions, taken under the lock and used outside it (a session
  /// whose last reference is dropped locks sessions_mu in its destructor).
  std::vector<std::shared_ptr<session>> live_sessions() {
    std::vector<std::shared_ptr<session>> out;
    std::lock_guard<std::mutex> guard{sessions_mu};
    for (auto& [_, weak] : sessions)
      if (auto s = weak.lock())
        out.push_back(std::move(s));
    return out;
  }
};

namespace {

bool is_quiet_path(std::string_view path) { return path == "/livez" || path == "/readyz"; }

}  // namespace

/// One connection: read a request, hand it over, write the answer, repeat while keep-alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, server::impl& srv) : stream_(std::move(socket)), srv_(srv) {
    ++srv_.connections;
  }

  ~session() {
    --srv_.connections;
    std::lock_guard<std::mutex> guard{srv_.sessions_mu};
    srv_.sessions.erase(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  /// Answers 503 at once and closes: the server is at its connection cap.
  void reject() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->cid_ = new_correlation_id();
      self->reply_and_close(problem(503, "unavailable",
                                    "too many open connections; retry shortly"));
    });
  }

  /// Called (on any thread) when the server drains: idle connections close now.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Idle = between requests with nothing of the next one received yet. A request already
      // arriving is read, answered and then the connection closes.
      bool receiving = self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some());
      if (!self->busy_ && !receiving)
        self->do_close();
    });
  }

  /// Called when the server stops for good.
  void force_close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->do_close(); });
  }

private:
  void do_read() {
    if (srv_.draining)
      return do_close();
    parser_.emplace();
    parser_->body_limit(srv_.opts.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(srv_.opts.header_limit));
    stream_.expires_after(first_request_ ? srv_.opts.read_timeout : srv_.opts.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    first_request_ = false;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || (ec && !parser_->got_some()))
      return do_close();
    if (ec) {
      // The request could not be read: answer what went wrong, then close. The correlation id
      // is echoed when it was among the header fields parsed before the error.
      cid_ = correlation_id_for(std::string_view{parser_->get()["X-Correlation-Id"]});
      if (ec == bhttp::error::body_limit)
        return reply_and_close(problem(413, "payload_too_large",
                                       "the request body exceeds " +
                                         std::to_string(srv_.opts.body_limit) + " bytes"));
      if (ec == bhttp::error::header_limit)
        return reply_and_close(problem(431, "headers_too_large",
                                       "the request line and headers exceed " +
                                         std::to_string(srv_.opts.header_limit) + " bytes"));
      return reply_and_close(problem(400, "bad_request", "malformed HTTP request: " + ec.message()));
    }
    auto& msg = parser_->get();
    if (msg.target().size() > srv_.opts.url_limit) {
      cid_ = correlation_id_for(std::string_view{msg["X-Correlation-Id"]});
      return reply_and_close(problem(414, "uri_too_long",
                                     "the request target exceeds " +
                                       std::to_string(srv_.opts.url_limit) + " bytes"));
    }
    request req;
    req.method = std::string{msg.method_string()};
    req.target = std::string{msg.target()};
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos)
      req.query = req.target.substr(q + 1);
    for (const auto& field : msg)
      req.headers.emplace_back(std::string{field.name_string()}, std::string{field.value()});
    req.body = std::move(msg.body());
    req.correlation_id = correlation_id_for(req.header("X-Correlation-Id"));
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == bhttp::verb::head;
    cid_ = req.correlation_id;
    method_ = req.method;
    path_ = req.path;
    started_ = std::chrono::steady_clock::now();
    busy_ = true;
    ++srv_.in_flight;
    stream_.expires_never();
    // The first answer wins; a second one (a handler bug) is dropped, never written.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    responder reply = [self = shared_from_this(), answered](response r) {
      if (answered->exchange(true))
        return;
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->write(std::move(r), false); });
    };
    srv_.on_request(std::move(req), std::move(reply));
  }

  void reply_and_close(response r) {
    busy_ = true;
    ++srv_.in_flight;
    keep_alive_ = false;
    version_ = 11;
    method_ = "-";
    path_ = "-";
    started_ = std::chrono::steady_clock::now();
    write(std::move(r), true);
  }

  /// The call's one log line, once its answer is written (so a download's time includes its
  /// transfer): an `http` event when the edge named the route (log.access), else plain text (a
  /// call the server refused itself, at info; any call when log.access is off, at debug). Probes
  /// (/livez, /readyz) are written at debug level either way.
  void log_call(double ms) {
    bool quiet = is_quiet_path(path_) || (!log_route_ && !srv_.opts.access_log);
    auto level = quiet ? spdlog::level::debug : spdlog::level::info;
    if (!io::log_enabled(level))
      return;
    if (!log_route_) {
      spdlog::log(level, "http {} {} -> {} {:.1f}ms cid={}", method_, path_, status_, ms, cid_);
      return;
    }
    // Written by hand (this runs for every call): the fields in alphabetical order.
    std::string f;
    f.reserve(192 + path_.size());
    f += "{\"cid\":";
    io::append_json_string(f, cid_);
    f += ",\"client\":";
    if (log_client_.empty())
      f += "null";
    else
      io::append_json_string(f, log_client_);
    fmt::format_to(std::back_inserter(f), ",\"duration_ms\":{:.2f},\"method\":", ms);
    io::append_json_string(f, method_);
    f += ",\"path\":";
    io::append_json_string(f, io::redact_secrets(path_));
    f += ",\"route\":";
    io::append_json_string(f, log_route_);
    f += ",\"status\":";
    f += std::to_string(status_);
    f += '}';
    io::log_event(level, "http",
                  fmt::format("http {} {} -> {} {:.1f}ms cid={}", method_, path_, status_, ms, cid_),
                  f);
  }

  void write(response r, bool close) {
    bool keep = keep_alive_ && !close && !srv_.draining;
    status_ = r.status;
    log_route_ = r.log_route;
    log_client_ = std::move(r.log_client);
    if (r.file && !head_) {
      bhttp::response<file_range_body> res{static_cast<bhttp::status>(r.status), version_};
      set_headers(res, r, keep);
      res.content_length(r.file->length);
      res.body() = std::move(*r.file);
      return send(std::move(res), !keep);
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version_};
    set_headers(res, r, keep);
    if (r.status == 304 || r.status == 204) {
      // No body and no Content-Length (a 304's would have to be that of the 200).
    } else if (head_) {
      res.content_length(r.file ? r.file->length : r.body.size());
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
    send(std::move(res), !keep);
  }

  template <class Message>
  void set_headers(Message& res, const response& r, bool keep) {
    if (!r.content_type.empty())
      res.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers)
      res.set(k, v);
    res.set("X-Correlation-Id", cid_);
    res.keep_alive(keep);
  }

  /// A message and its serializer (which refers to it), released together after the write.
  template <class Body>
  struct outgoing {
    explicit outgoing(bhttp::response<Body>&& m) : msg(std::move(m)) { sr.emplace(msg); }
    bhttp::response<Body> msg;
    std::optional<bhttp::response_serializer<Body>> sr;
  };

  /// Writes a message a piece at a time, restarting the write timeout before each piece: a large
  /// body over a slow link takes as long as it needs, while a peer that stops reading for
  /// write_timeout is dropped.
  template <class Body>
  void send(bhttp::response<Body>&& res, bool close) {
    auto out = std::make_shared<outgoing<Body>>(std::move(res));
    res_ = out;
    write_some(std::move(out), close);
  }

  template <class Body>
  void write_some(std::shared_ptr<outgoing<Body>> out, bool close) {
    stream_.expires_after(srv_.opts.write_timeout);
    auto& sr = *out->sr;
    bhttp::async_write_some(
      stream_, sr,
      [self = shared_from_this(), out = std::move(out), close](beast::error_code ec,
                                                               std::size_t) mutable {
        if (!ec && !out->sr->is_done())
          return self->write_some(std::move(out), close);
        self->on_write(close, ec, 0);
      });
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                        started_)
                .count();
    log_call(ms);
    res_.reset();
    busy_ = false;
    --srv_.in_flight;
    if (ec)
      return do_close();
    if (close)
      return linger_close();
    do_read();
  }

  /// Half-closes and discards what the client still sends (up to 1 s), so the answer is not lost
  /// to a reset when we stop reading a request early (413, 431, 400).
  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drain_buf_ = std::make_shared<std::array<char, 4096>>();
    stream_.async_read_some(net::buffer(*drain_buf_),
                            beast::bind_front_handler(&session::on_linger, shared_from_this()));
  }

  void on_linger(beast::error_code ec, std::size_t) {
    if (ec)
      return do_close();
    stream_.async_read_some(net::buffer(*drain_buf_),
                            beast::bind_front_handler(&session::on_linger, shared_from_this()));
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  server::impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  /// The response being written (a string or a file body), kept until its write completes.
  std::shared_ptr<void> res_;
  std::shared_ptr<std::array<char, 4096>> drain_buf_;
  bool first_request_ = true;
  bool busy_ = false;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
  unsigned status_ = 0;
  const char* log_route_ = nullptr;
  std::string log_client_;
  std::string cid_;
  std::string method_;
  std::string path_;
  std::chrono::steady_clock::time_point started_;
};

void server::impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        beast::bind_front_handler(&impl::on_accept, this));
}

namespace {

constexpr auto accept_backoff = std::chrono::milliseconds(100);

}  // namespace

void server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open())
    return;
  if (!ec) {
    if (draining) {
      beast::error_code ignored;
      socket.close(ignored);
    } else if (connections >= opts.max_connections) {
      std::make_shared<session>(std::move(socket), *this)->reject();
    } else {
      auto s = std::make_shared<session>(std::move(socket), *this);
      {
        std::lock_guard<std::mutex> guard{sessions_mu};
        sessions.emplace(s.get(), s);
      }
      s->start();
    }
  } else {
    GP_LOG_WARN("http accept failed: {}; retrying in {} ms", ec.message(),
                accept_backoff.count());
    accept_retry.expires_after(accept_backoff);
    accept_retry.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor.is_open())
        do_accept();
    });
    return;
  }
  do_accept();
}

server::server(server_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {}

server::~server() { stop(); }

void server::bind() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->opts.address, ec);
  if (ec)
    throw std::runtime_error{"invalid listen address '" + impl_->opts.address + "'"};
  tcp::endpoint ep{addr, impl_->opts.port};
  auto where = impl_->opts.address + ":" + std::to_string(impl_->opts.port);
  a.open(ep.protocol(), ec);
  if (!ec)
    a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    a.bind(ep, ec);
  if (!ec)
    a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error{"cannot listen on " + where + ": " + ec.message()};
}

uint16_t server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::start(handler h) {
  impl_->on_request = std::move(h);
  impl_->work.emplace(impl_->ioc.get_executor());
  net::dispatch(impl_->acceptor.get_executor(), [i = impl_.get()] { i->do_accept(); });
  for (int n = 0; n < std::max(1, impl_->opts.threads); ++n)
    impl_->threads.emplace_back([i = impl_.get(), n] {
      // Named for `top -H` and perf (it would inherit the name of the thread that started it,
      // a CAF scheduler thread's).
      ::pthread_setname_np(::pthread_self(), ("gp.http." + std::to_string(n)).c_str());
      i->ioc.run();
    });
}

void server::stop_accepting() {
  if (impl_->draining.exchange(true))
    return;
  net::post(impl_->acceptor.get_executor(), [i = impl_.get()] {
    beast::error_code ignored;
    i->acceptor.close(ignored);
  });
  for (auto& s : impl_->live_sessions())
    s->close_if_idle();
}

size_t server::in_flight() const { return impl_->in_flight; }

size_t server::connections() const { return impl_->connections; }

void server::stop() {
  if (impl_->stopped.exchange(true))
    return;
  stop_accepting();
  for (auto& s : impl_->live_sessions())
    s->force_close();
  impl_->work.reset();
  // Let the posted closes run, then stop whatever is left.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->connections > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
  impl_->threads.clear();
  // Drop the handler (and whatever it captured) now rather than at destruction.
  impl_->on_request = nullptr;
}

}  // namespace gp::io::http
