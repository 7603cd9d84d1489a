// The webhook client (io/webhooks/http_client) against real servers on 127.0.0.1: headers and
// body as sent, statuses, redirects not followed, the address policy, timeouts, the body limit
// (also with a body sent after its header), keep-alive reuse and its one retry, TLS with a CA
// made at test time, and many posts at once.
// The URL parser and the address policy alone: webhook_address_policy_test.cpp.
#include "io/webhooks/http_client.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "io/webhooks/address_policy.hpp"

using namespace gp::io::webhooks;
using namespace std::chrono_literals;

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

response answer(int status, std::string body = "ok") {
  response res{static_cast<bhttp::status>(status), 11};
  res.body() = std::move(body);
  return res;
}

/// An HTTP(S) server on 127.0.0.1, a thread per connection, keeping the requests it read. In
/// `hang` mode it reads requests and never answers; in `silent` mode it never reads (nor shakes
/// hands); in `close_after_answer` mode it closes each connection after one answer without saying
/// so, as a server dropping idle keep-alive connections does; in `close_unanswered` mode it reads
/// one request and closes; in `header_then_body` mode it sends an answer's header, waits, then
/// its body (as Python's http.server and others write them: two segments the client may read
/// apart).
class test_server {
public:
  enum class mode { answer, hang, silent, close_after_answer, close_unanswered, header_then_body };
  using respond_fn = std::function<response(const request&)>;

  explicit test_server(
    mode m = mode::answer, ssl::context* tls = nullptr,
    respond_fn respond = [](const request&) { return answer(200); })
    : respond_(std::move(respond)), mode_(m), tls_(tls),
      acceptor_(ioc_, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0}),
      accepting_([this] { accept_loop(); }) {}

  ~test_server() {
    {
      // Shutting the descriptors down wakes the threads blocked in accept and read.
      std::lock_guard<std::mutex> guard{mu_};
      stopping_ = true;
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
      for (auto& s : sockets_)
        ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    stopped_.notify_all();
    accepting_.join();
    for (auto& t : sessions_)
      t.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }

  std::vector<request> requests() const {
    std::lock_guard<std::mutex> guard{mu_};
    return requests_;
  }

private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_unique<tcp::socket>(ioc_);
      beast::error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard<std::mutex> guard{mu_};
      if (ec || stopping_)
        return;
      ++connections_;
      sessions_.emplace_back([this, s = socket.get()] { serve(*s); });
      sockets_.push_back(std::move(socket));
    }
  }

  /// Ends with a shutdown, not a close: the descriptor stays this server's until it is destroyed,
  /// so the destructor never shuts down a number another socket has reused.
  void serve(tcp::socket& socket) {
    if (mode_ == mode::silent) {
      wait_for_stop();
    } else if (!tls_) {
      exchange(socket);
    } else {
      ssl::stream<tcp::socket&> stream{socket, *tls_};
      beast::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec)
        exchange(stream);
    }
    ::shutdown(socket.native_handle(), SHUT_RDWR);
  }

  template <class Stream>
  void exchange(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      request req;
      beast::error_code ec;
      bhttp::read(stream, buffer, req, ec);
      if (ec)
        return;
      {
        std::lock_guard<std::mutex> guard{mu_};
        requests_.push_back(req);
      }
      if (mode_ == mode::hang)
        return wait_for_stop();
      if (mode_ == mode::close_unanswered)
        return;
      auto res = respond_(req);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (mode_ == mode::header_then_body) {
        bhttp::response_serializer<bhttp::string_body> sr{res};
        bhttp::write_header(stream, sr, ec);
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
        if (!ec)
          bhttp::write(stream, sr, ec);
      } else {
        bhttp::write(stream, res, ec);
      }
      if (ec || mode_ == mode::close_after_answer || !res.keep_alive())
        return;
    }
  }

  void wait_for_stop() {
    std::unique_lock<std::mutex> lock{mu_};
    stopped_.wait(lock, [this] { return stopping_; });
  }

  respond_fn respond_;
  mode mode_;
  ssl::context* tls_;
  net::io_context ioc_;  // first of the Asio members: the sockets need it to the end
  mutable std::mutex mu_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::vector<request> requests_;
  std::vector<std::thread> sessions_;
  std::vector<std::unique_ptr<tcp::socket>> sockets_;
  std::atomic<int> connections_{0};
  tcp::acceptor acceptor_;
  std::thread accepting_;
};

using mode = test_server::mode;

X509* make_certificate(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* signer, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  std::vector<std::pair<int, const char*>> extensions{
    {NID_basic_constraints, "critical,CA:TRUE"}, {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  if (issuer)  // the server's: for the DNS name "localhost" only, not for 127.0.0.1
    extensions = {{NID_basic_constraints, "CA:FALSE"},
                  {NID_ext_key_usage, "serverAuth"},
                  {NID_subject_alt_name, "DNS:localhost"}};
  for (auto [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, signer, EVP_sha256());
  return cert;
}

/// A CA (written to `ca_file`) and the server context with a certificate it signed.
struct test_pki {
  test_pki() {
    X509* ca = make_certificate(ca_key, "geoplatform test CA", nullptr, ca_key, 1);
    X509* leaf = make_certificate(server_key, "localhost", ca, ca_key, 2);
    FILE* f = std::fopen(ca_file.c_str(), "w");
    PEM_write_X509(f, ca);
    std::fclose(f);
    SSL_CTX_use_certificate(server_tls.native_handle(), leaf);
    SSL_CTX_use_PrivateKey(server_tls.native_handle(), server_key);
    X509_free(leaf);
    X509_free(ca);
  }

  ~test_pki() {
    std::filesystem::remove(ca_file);
    EVP_PKEY_free(server_key);
    EVP_PKEY_free(ca_key);
  }

  EVP_PKEY* ca_key = EVP_EC_gen("P-256");
  EVP_PKEY* server_key = EVP_EC_gen("P-256");
  std::string ca_file = (std::filesystem::temp_directory_path() /
                         ("gp_webhook_ca_" + std::to_string(::getpid()) + ".pem"))
                          .string();
  ssl::context server_tls{ssl::context::tls_server};
};

callback_url url_of(const std::string& text) {
  std::string why;
  auto url = parse_callback_url(text, &why);
  EXPECT_TRUE(url) << text << ": " << why;
  return url.value_or(callback_url{});
}

post_request request_to(const std::string& url) {
  return post_request{url_of(url), {{"webhook-id", "msg_1"}}, R"({"event":"test"})"};
}

std::string local(const test_server& s, const std::string& host = "127.0.0.1",
                  const std::string& scheme = "http") {
  return scheme + "://" + host + ":" + std::to_string(s.port()) + "/hook";
}

post_options local_options() {
  post_options o;
  o.allow_private_addresses = true;
  o.connect_timeout = 2000ms;
  o.total_timeout = 3000ms;
  return o;
}

struct result {
  post_outcome outcome;
  std::shared_ptr<connection> conn;
};

std::future<result> post_async(http_client& client, post_request req,
                               post_options opts = local_options(),
                               std::shared_ptr<connection> reuse = nullptr) {
  auto promise = std::make_shared<std::promise<result>>();
  auto future = promise->get_future();
  client.post(std::move(req), std::move(opts), std::move(reuse),
              [promise](post_outcome out, std::shared_ptr<connection> conn) {
                promise->set_value({std::move(out), std::move(conn)});
              });
  return future;
}

result post_and_wait(http_client& client, post_request req, post_options opts = local_options(),
                     std::shared_ptr<connection> reuse = nullptr) {
  auto future = post_async(client, std::move(req), std::move(opts), std::move(reuse));
  if (future.wait_for(5s) != std::future_status::ready) {
    ADD_FAILURE() << "the post did not complete";
    return {};
  }
  return future.get();
}

}  // namespace

TEST(webhook_http_client, posts_the_body_and_headers_and_reports_200) {
  test_server server;
  http_client client{{}};
  auto r = post_and_wait(client, request_to(local(server)));
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_EQ(r.outcome.error, "");
  EXPECT_EQ(r.outcome.body_excerpt, "ok");
  EXPECT_EQ(r.outcome.address, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(r.outcome.address_refused);
  EXPECT_NE(r.conn, nullptr);
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method(), bhttp::verb::post);
  EXPECT_EQ(seen[0].target(), "/hook");
  EXPECT_EQ(seen[0].body(), R"({"event":"test"})");
  EXPECT_EQ(seen[0]["webhook-id"], "msg_1");
  EXPECT_EQ(seen[0]["Content-Type"], "application/json");
  EXPECT_EQ(seen[0]["Content-Length"], "16");
  EXPECT_EQ(seen[0]["User-Agent"], "geoplatform-webhooks");
  EXPECT_EQ(seen[0]["Host"], "127.0.0.1:" + std::to_string(server.port()));
}

TEST(webhook_http_client, reports_statuses_and_does_not_follow_redirects) {
  test_server elsewhere;
  test_server server{mode::answer, nullptr, [&](const request& req) {
                       if (req.target() == "/moved") {
                         auto res = answer(302, "");
                         res.set(bhttp::field::location, local(elsewhere));
                         return res;
                       }
                       auto res = answer(500, "down");
                       res.set(bhttp::field::retry_after, "120");
                       return res;
                     }};
  http_client client{{}};
  auto r = post_and_wait(client, request_to(local(server)));
  EXPECT_EQ(r.outcome.status, 500);
  EXPECT_EQ(r.outcome.retry_after, "120");
  EXPECT_EQ(r.outcome.body_excerpt, "down");
  EXPECT_EQ(r.outcome.error, "");

  auto moved = request_to(local(server));
  moved.url.target = "/moved";
  r = post_and_wait(client, moved);
  EXPECT_EQ(r.outcome.status, 302);
  EXPECT_EQ(r.outcome.location, local(elsewhere));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(elsewhere.connections(), 0);
}

TEST(webhook_http_client, refuses_loopback_unless_private_addresses_are_allowed) {
  test_server server;
  http_client client{{}};
  auto strict = local_options();
  strict.allow_private_addresses = false;
  auto r = post_and_wait(client, request_to(local(server)), strict);
  EXPECT_TRUE(r.outcome.address_refused);
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "refused: 127.0.0.1 is a loopback address");
  EXPECT_EQ(r.conn, nullptr);

  r = post_and_wait(client, request_to(local(server, "localhost")), strict);
  EXPECT_TRUE(r.outcome.address_refused);
  EXPECT_NE(r.outcome.error.find("localhost resolves only to non-public addresses"),
            std::string::npos)
    << r.outcome.error;
  EXPECT_EQ(server.connections(), 0);

  r = post_and_wait(client, request_to(local(server)));
  EXPECT_FALSE(r.outcome.address_refused);
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_EQ(server.connections(), 1);
}

TEST(webhook_http_client, a_hanging_server_times_out_without_holding_up_others) {
  test_server hanging{mode::hang};
  test_server quick;
  http_client client{{}};
  auto opts = local_options();
  opts.total_timeout = 600ms;
  auto started = std::chrono::steady_clock::now();
  auto hung = post_async(client, request_to(local(hanging)), opts);
  auto r = post_and_wait(client, request_to(local(quick)));
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_EQ(hung.wait_for(0s), std::future_status::timeout);  // still hanging

  ASSERT_EQ(hung.wait_for(1600ms), std::future_status::ready);
  auto h = hung.get();
  EXPECT_EQ(h.outcome.status, 0);
  EXPECT_EQ(h.outcome.error, "response timed out after 600 ms");
  EXPECT_GE(h.outcome.elapsed, 600ms);
  EXPECT_LT(h.outcome.elapsed, 1600ms);
  EXPECT_EQ(h.conn, nullptr);
  EXPECT_EQ(hanging.requests().size(), 1u);
}

TEST(webhook_http_client, a_refused_connection_is_an_error) {
  uint16_t port;
  {
    test_server gone;
    port = gone.port();
  }
  http_client client{{}};
  auto r = post_and_wait(client, request_to("http://127.0.0.1:" + std::to_string(port) + "/"),
                         local_options());
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_NE(r.outcome.error.find("connect to 127.0.0.1:"), std::string::npos) << r.outcome.error;
}

TEST(webhook_http_client, a_body_over_the_limit_keeps_the_status_and_not_the_connection) {
  test_server server{mode::answer, nullptr,
                     [](const request&) { return answer(200, std::string(1000, 'x')); }};
  http_client client{{}};
  auto opts = local_options();
  opts.max_response_body = 16;
  auto r = post_and_wait(client, request_to(local(server)), opts);
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_EQ(r.outcome.body_excerpt, std::string(16, 'x'));
  EXPECT_EQ(r.outcome.error, "the response body exceeds 16 bytes; only those were read");
  EXPECT_EQ(r.conn, nullptr);

  opts.max_response_body = 1000;  // exactly the limit is fine
  r = post_and_wait(client, request_to(local(server)), opts);
  EXPECT_EQ(r.outcome.body_excerpt.size(), 1000u);
  EXPECT_EQ(r.outcome.error, "");
  EXPECT_NE(r.conn, nullptr);
}

TEST(webhook_http_client, an_answer_whose_body_comes_after_its_header_is_read_whole) {
  // Read apart, the header alone once made the parser refuse the body as over its limit (an
  // empty limit compared as smaller than any Content-Length): the excerpt was lost and the
  // connection dropped.
  test_server server{mode::header_then_body, nullptr,
                     [](const request&) { return answer(500, "the database is down"); }};
  http_client client{{}};
  auto r = post_and_wait(client, request_to(local(server)));
  EXPECT_EQ(r.outcome.status, 500);
  EXPECT_EQ(r.outcome.error, "");
  EXPECT_EQ(r.outcome.body_excerpt, "the database is down");
  EXPECT_NE(r.conn, nullptr);
}

TEST(webhook_http_client, reuses_a_kept_alive_connection) {
  test_server server;
  http_client client{{}};
  auto first = post_and_wait(client, request_to(local(server)));
  ASSERT_NE(first.conn, nullptr);
  auto second = post_and_wait(client, request_to(local(server)), local_options(), first.conn);
  EXPECT_EQ(second.outcome.status, 200);
  EXPECT_EQ(second.conn, first.conn);
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.connections(), 1);

  // A connection to another authority is not used for this one.
  test_server other;
  auto third = post_and_wait(client, request_to(local(other)), local_options(), second.conn);
  EXPECT_EQ(third.outcome.status, 200);
  EXPECT_NE(third.conn, second.conn);
  EXPECT_EQ(other.connections(), 1);
}

TEST(webhook_http_client, retries_once_when_the_server_closed_the_idle_connection) {
  test_server server{mode::close_after_answer};
  http_client client{{}};
  auto first = post_and_wait(client, request_to(local(server)));
  ASSERT_NE(first.conn, nullptr);
  std::this_thread::sleep_for(50ms);  // the server's close arrives
  auto second = post_and_wait(client, request_to(local(server)), local_options(), first.conn);
  EXPECT_EQ(second.outcome.status, 200);
  EXPECT_EQ(second.outcome.error, "");
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.connections(), 2);
}

TEST(webhook_http_client, does_not_retry_on_a_fresh_connection) {
  test_server server{mode::close_unanswered};
  http_client client{{}};
  auto r = post_and_wait(client, request_to(local(server)));
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "the server closed the connection without answering");
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(webhook_http_client, refuses_headers_that_could_split_the_request) {
  test_server server;
  http_client client{{}};
  auto req = request_to(local(server));
  req.headers.push_back({"x-evil", "a\r\nx-injected: 1"});
  auto r = post_and_wait(client, std::move(req));
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_NE(r.outcome.error.find("x-evil"), std::string::npos);
  EXPECT_EQ(server.connections(), 0);
}

TEST(webhook_http_client, many_posts_at_once_all_complete) {
  test_server server;
  http_client client{{{}, 2}};
  std::vector<std::future<result>> posts;
  for (int i = 0; i < 200; ++i)
    posts.push_back(post_async(client, request_to(local(server))));
  int ok = 0;
  for (auto& p : posts)
    if (p.wait_for(5s) == std::future_status::ready)
      ok += p.get().outcome.status == 200;
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(server.requests().size(), 200u);
}

TEST(webhook_http_client, shuts_down_with_posts_under_way_and_connections_kept) {
  test_server hanging{mode::hang};
  test_server server;
  std::shared_ptr<connection> kept;
  std::atomic<int> calls{0};
  {
    http_client client{{}};
    kept = post_and_wait(client, request_to(local(server)), local_options()).conn;
    ASSERT_NE(kept, nullptr);
    client.post(request_to(local(hanging)), local_options(), nullptr,
                [&](post_outcome, std::shared_ptr<connection>) { ++calls; });
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(calls, 0);
  kept.reset();  // closes after the client is gone
}

TEST(webhook_http_client, an_unreadable_ca_file_is_refused_at_construction) {
  try {
    http_client client{{"/nonexistent/ca.pem", 1}};
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
}

/// A CA the client trusts (through ca_file) and a server with a certificate for "localhost".
class webhook_https : public ::testing::Test {
protected:
  std::string url(const std::string& host = "localhost") const {
    return local(server, host, "https");
  }

  test_pki pki;
  test_server server{mode::answer, &pki.server_tls};
  http_client client{{pki.ca_file, 1}};
};

TEST_F(webhook_https, succeeds_with_the_test_ca_and_reuses_the_connection) {
  auto r = post_and_wait(client, request_to(url()));
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_EQ(r.outcome.error, "");
  ASSERT_NE(r.conn, nullptr);
  auto again = post_and_wait(client, request_to(url()), local_options(), r.conn);
  EXPECT_EQ(again.outcome.status, 200);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests().at(0).body(), R"({"event":"test"})");
}

TEST_F(webhook_https, fails_verification_without_the_ca) {
  http_client bare{{}};
  auto r = post_and_wait(bare, request_to(url()));
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "certificate verify failed: unable to get local issuer certificate");
  EXPECT_EQ(r.conn, nullptr);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(webhook_https, fails_verification_for_a_name_the_certificate_lacks) {
  // The certificate names "localhost" only, not the address 127.0.0.1.
  auto r = post_and_wait(client, request_to(url("127.0.0.1")));
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "certificate verify failed: IP address mismatch");
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(webhook_https, retries_a_closed_idle_connection_too) {
  test_server closing{mode::close_after_answer, &pki.server_tls};
  auto first = post_and_wait(client, request_to(local(closing, "localhost", "https")));
  ASSERT_NE(first.conn, nullptr);
  std::this_thread::sleep_for(50ms);
  auto second = post_and_wait(client, request_to(local(closing, "localhost", "https")),
                              local_options(), first.conn);
  EXPECT_EQ(second.outcome.status, 200);
  EXPECT_EQ(second.outcome.error, "");
  EXPECT_EQ(closing.connections(), 2);
}

TEST_F(webhook_https, a_silent_server_times_out_in_the_handshake) {
  test_server silent{mode::silent, &pki.server_tls};
  auto opts = local_options();
  opts.connect_timeout = 300ms;
  auto r = post_and_wait(client, request_to(local(silent, "localhost", "https")), opts);
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "TLS handshake timed out after 300 ms");
  EXPECT_LT(r.outcome.elapsed, 1300ms);
}

TEST(webhook_http_client, https_to_a_plain_server_fails_the_handshake) {
  test_server server;
  http_client client{{}};
  auto r = post_and_wait(client, request_to(local(server, "127.0.0.1", "https")));
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error.rfind("TLS handshake failed: ", 0), 0u) << r.outcome.error;
}
