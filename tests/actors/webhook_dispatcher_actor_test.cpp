// The webhook dispatcher and its delivery actors under CAF's deterministic scheduler, the pool a
// strict mock: claims are made on the poll, a delivery whose client is inactive or whose host
// left the allowlist ends without an attempt (each against its own allowlist), a host holding
// 32 times its limit gives the rest back unattempted, so does a host's actor with a delivery
// that would start too late for its lease, outcomes are written fenced by their claimed attempt, a disabled node claims
// nothing, a stopping node gives back what it holds (also what a claim under way when it stops
// takes, and unattempted what its hosts had not started), a claim slower than a tenth of its lease is given back, a delivery claimed twice counts
// once for its client, and slots a host earns come only from those the node has free.
#include <memory>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/webhook_dispatcher.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct world {
  /// What the next claims answer, in order (then nothing).
  std::vector<std::vector<gp::claimed_delivery>> claims;
  std::vector<gp::db::claim_deliveries> asked;
  std::vector<gp::delivery_outcome> written;
  /// The node each record_deliveries named.
  std::vector<std::string> writers;
  std::vector<gp::db::release_deliveries> released;
  /// How long the pool takes to answer a claim (on the test's clock).
  std::chrono::milliseconds claim_takes{0};
  std::vector<std::pair<caf::typed_response_promise<gp::db::claim_deliveries::result>,
                        gp::db::claim_deliveries::result>>
    late;
};

using answer_atom = caf::atom_constant<caf::atom("answer")>;

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [=](gp::db::claim_deliveries& op) -> caf::result<gp::db::claim_deliveries::result> {
      w->asked.push_back(op);
      gp::db::claim_deliveries::result r;
      if (!w->claims.empty()) {
        r.deliveries = std::move(w->claims.front());
        w->claims.erase(w->claims.begin());
      }
      if (w->claim_takes.count() == 0)
        return r;
      auto rp = self->make_response_promise<gp::db::claim_deliveries::result>();
      w->late.emplace_back(rp, std::move(r));
      self->delayed_send(self, w->claim_takes, answer_atom::value);
      return rp;
    },
    [=](answer_atom) {
      for (auto& [rp, r] : w->late)
        rp.deliver(std::move(r));
      w->late.clear();
    },
    [=](gp::db::record_deliveries& op) {
      w->writers.push_back(op.node);
      w->written.insert(w->written.end(), op.outcomes.begin(), op.outcomes.end());
      return static_cast<int>(op.outcomes.size());
    },
    [=](gp::db::release_deliveries& op) {
      w->released.push_back(op);
      return 0;
    },
  };
}

gp::claimed_delivery claimed(int i, const std::string& host = "hooks.example.org") {
  gp::claimed_delivery d;
  auto n = std::to_string(i);
  d.delivery_id = "msg_" + std::string(32 - n.size(), '0') + n;
  d.client_id = "ddh";
  d.url = "https://" + host + "/geo";
  d.host = host;
  d.event = "platform.request.completed";
  d.payload_json = R"({"event": "platform.request.completed"})";
  d.attempts = 3;
  d.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  d.callback_hosts = {"hooks.example.org"};
  d.client_active = false;  // ends without an attempt: no network in these tests
  return d;
}

struct webhook_dispatcher_actor : gp::test::deterministic {
  std::shared_ptr<world> w = std::make_shared<world>();
  caf::actor pool;
  gp::webhook_dispatcher_actor actor;

  /// Tweaks the options before the dispatcher starts.
  std::function<void(gp::webhook_options&)> configure;

  void start(bool enabled = true, size_t per_host = 2, size_t per_client = 64) {
    pool = sys->spawn(mock_pool, w);
    gp::webhook_options opts;
    opts.pool = caf::actor_cast<gp::db_pool_actor>(pool);
    opts.enabled = enabled;
    opts.node_id = "node-a";
    opts.per_host = per_host;
    opts.per_client = per_client;
    opts.poll = 100ms;
    opts.client = std::make_shared<gp::io::webhooks::http_client>(gp::io::webhooks::client_options{});
    if (configure)
      configure(opts);
    actor = gp::spawn_webhook_dispatcher(*sys, opts);
    run();
  }

  void TearDown() override {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    run();
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    run();
  }

  /// Runs until the outcomes gathered are written (they wait up to 20 ms for company).
  void settle() {
    for (int i = 0; i < 5; ++i)
      after(25ms);
  }
};

}  // namespace

TEST_F(webhook_dispatcher_actor, claims_on_the_poll_and_writes_each_outcome_as_its_claim) {
  w->claims = {{claimed(1)}};
  start();
  settle();
  ASSERT_FALSE(w->asked.empty());
  EXPECT_EQ(w->asked[0].node, "node-a");
  EXPECT_EQ(w->asked[0].per_host, 32);  // a claim's share of one host: sixteen times its limit
  EXPECT_EQ(w->asked[0].limit, 256);
  ASSERT_EQ(w->written.size(), 1u);
  EXPECT_EQ(w->written[0].delivery_id, claimed(1).delivery_id);
  EXPECT_EQ(w->written[0].attempts, 3);
  EXPECT_EQ(w->written[0].status, "failed");
  EXPECT_EQ(w->written[0].error, "the client is inactive");
  EXPECT_TRUE(w->written[0].attempted);
  // The fence of the write: the claimed attempt (above) and the claiming node.
  EXPECT_EQ(w->writers, std::vector<std::string>{"node-a"});
  auto claims = w->asked.size();
  after(100ms);
  EXPECT_GT(w->asked.size(), claims);  // it keeps looking on its poll
}

TEST_F(webhook_dispatcher_actor, a_host_off_the_allowlist_ends_without_an_attempt) {
  auto d = claimed(1, "evil.example.org");
  d.client_active = true;
  w->claims = {{d}};
  start();
  settle();
  ASSERT_EQ(w->written.size(), 1u);
  EXPECT_EQ(w->written[0].status, "failed");
  EXPECT_EQ(w->written[0].error,
            "callback_url host evil.example.org is not among your client's callback hosts");
}

TEST_F(webhook_dispatcher_actor, each_delivery_is_checked_against_its_own_allowlist) {
  // One host, one URL, the allowlist changing between deliveries (the host's actor reuses the
  // last check while URL and allowlist repeat). None has a usable secret, so a delivery that
  // passes the check ends there, without a request.
  auto with = [](int i, std::vector<std::string> hosts) {
    auto d = claimed(i);
    d.client_active = true;
    d.secrets = {"not-a-secret"};
    d.callback_hosts = std::move(hosts);
    return d;
  };
  w->claims = {{with(1, {"hooks.example.org"}), with(2, {"hooks.example.org"}),
                with(3, {"other.example.org"}), with(4, {"hooks.example.org"})}};
  start();
  settle();
  ASSERT_EQ(w->written.size(), 4u);
  const std::string no_secret = "the client's webhook secret is not a whsec_ secret";
  EXPECT_EQ(w->written[0].error, no_secret);
  EXPECT_EQ(w->written[1].error, no_secret);
  EXPECT_EQ(w->written[2].error,
            "callback_url host hooks.example.org is not among your client's callback hosts");
  EXPECT_EQ(w->written[3].error, no_secret);
  for (const auto& o : w->written) {
    EXPECT_EQ(o.status, "failed");
    EXPECT_GT(o.attempted_at_us, 0);  // refused now: last_attempt_at becomes this
  }
}

TEST_F(webhook_dispatcher_actor, a_host_holding_32_times_its_limit_gives_the_rest_back) {
  std::vector<gp::claimed_delivery> batch;
  for (int i = 0; i < 80; ++i)
    batch.push_back(claimed(i));
  w->claims = {batch};
  start(true, 2);
  settle();
  ASSERT_EQ(w->written.size(), 80u);
  int given_back = 0;
  for (const auto& o : w->written)
    if (!o.attempted) {
      ++given_back;
      EXPECT_EQ(o.status, "pending");
      EXPECT_EQ(o.retry_in_ms, 0);
    }
  // 64 = busy (sixteen times per_host) + a claim's share (as many) went to the host's actor
  EXPECT_EQ(given_back, 16);
  auto st = status_of(actor);
  EXPECT_EQ(st.details.at("given_back"), "16");
  EXPECT_EQ(st.details.at("gave_up"), "64");
}

TEST_F(webhook_dispatcher_actor, a_delivery_that_would_start_too_late_for_its_lease_is_given_back) {
  // A delivery may start until its attempt (total_timeout) would end a tenth of the lease before
  // the lease does. Here no attempt fits in the lease at all (the configuration refuses such
  // settings; a host's queue reaches the same point by waiting): the host's actor gives it back
  // unattempted, with no network touched, rather than attempt it when another claim may
  // already hold it.
  configure = [](gp::webhook_options& o) {
    o.lease = 10s;
    o.post.total_timeout = 15s;
  };
  auto d = claimed(1);
  d.client_active = true;
  w->claims = {{d}};
  start();
  settle();
  ASSERT_EQ(w->written.size(), 1u);
  EXPECT_FALSE(w->written[0].attempted);
  EXPECT_EQ(w->written[0].status, "pending");
  EXPECT_EQ(w->written[0].attempts, 3);  // the claimed attempt, which the write takes back
  EXPECT_EQ(w->written[0].retry_in_ms, 0);
}

TEST_F(webhook_dispatcher_actor, a_client_holding_its_share_is_skipped_by_the_next_claim) {
  // Three deliveries of ddh to three hosts (per_client 2): the claim that follows at once skips
  // ddh, not its hosts.
  w->claims = {{claimed(1, "a.example.org"), claimed(2, "b.example.org"),
                claimed(3, "c.example.org")}};
  start(true, 2, 2);
  ASSERT_GE(w->asked.size(), 2u);
  EXPECT_EQ(w->asked[1].busy_clients, std::vector<std::string>{"ddh"});
  EXPECT_TRUE(w->asked[1].busy_hosts.empty());
  settle();
  EXPECT_EQ(w->written.size(), 3u);
  after(100ms);  // all reported: ddh is no longer skipped
  EXPECT_TRUE(w->asked.back().busy_clients.empty());
}

TEST_F(webhook_dispatcher_actor, a_disabled_node_claims_nothing) {
  w->claims = {{claimed(1)}};
  start(false);
  after(1s);
  EXPECT_TRUE(w->asked.empty());
  EXPECT_EQ(status_of(actor).details.at("enabled"), "false");
}

TEST_F(webhook_dispatcher_actor, a_stopping_node_gives_back_what_it_holds) {
  start();
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  run();
  ASSERT_EQ(w->released.size(), 1u);
  EXPECT_EQ(w->released[0].node, "node-a");
}

TEST_F(webhook_dispatcher_actor, a_stopping_node_gives_back_unattempted_what_its_hosts_had_not_started) {
  // A receiver that takes connections and never answers (the kernel accepts them for it).
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto port = std::to_string(ntohs(addr.sin_port));
  configure = [](gp::webhook_options& o) { o.post.allow_private_addresses = true; };
  std::vector<gp::claimed_delivery> batch;
  for (int i = 1; i <= 3; ++i) {
    auto d = claimed(i, "127.0.0.1:" + port);
    d.url = "http://127.0.0.1:" + port + "/hook";
    d.callback_hosts = {"127.0.0.1"};
    d.client_active = true;
    batch.push_back(d);
  }
  w->claims = {batch};
  start(true, 1);  // one attempt at a time: the first hangs, two wait in the host's queue
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  run();
  ::close(listener);
  ASSERT_EQ(w->released.size(), 1u);
  // The two never started go back unattempted (their attempts not counted); the one in flight
  // is abandoned, left to the release (counted: its request may have been sent).
  ASSERT_EQ(w->released[0].outcomes.size(), 2u);
  for (const auto& o : w->released[0].outcomes) {
    EXPECT_FALSE(o.attempted);
    EXPECT_NE(o.delivery_id, batch[0].delivery_id);
  }
  EXPECT_TRUE(w->written.empty());
}

TEST_F(webhook_dispatcher_actor, a_node_stopping_during_a_claim_gives_back_what_the_claim_took) {
  start();
  // The next poll's claim is under way (the pool has not answered) when the node stops.
  w->claims = {{claimed(7)}};
  sched->advance_time(100ms);
  sched->run_once();  // the poll: the claim goes to the pool
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  ASSERT_TRUE(sched->prioritize(actor));
  sched->run_once();  // the exit, before the pool answers
  EXPECT_TRUE(w->released.empty());  // not while the claim is under way: it would miss its rows
  run();
  ASSERT_EQ(w->released.size(), 1u);
  ASSERT_EQ(w->released[0].outcomes.size(), 1u);
  EXPECT_EQ(w->released[0].outcomes[0].delivery_id, claimed(7).delivery_id);
  EXPECT_FALSE(w->released[0].outcomes[0].attempted);  // given back unattempted
}

TEST_F(webhook_dispatcher_actor, a_claim_slower_than_a_tenth_of_its_lease_is_given_back) {
  // A host's actor counts a delivery's time to start from the claim's arrival, with a tenth of
  // the lease for the claim's round trip: a claim that took longer is given back unattempted.
  configure = [](gp::webhook_options& o) {
    o.lease = 20s;
    o.post.total_timeout = 4s;
  };
  auto d = claimed(1);
  d.client_active = true;  // would be attempted: the test has no network, so it must not be
  w->claims = {{d}};
  w->claim_takes = 2500ms;
  start();
  after(2500ms);
  settle();
  ASSERT_EQ(w->written.size(), 1u);
  EXPECT_FALSE(w->written[0].attempted);
  EXPECT_EQ(w->written[0].status, "pending");
  EXPECT_EQ(w->written[0].retry_in_ms, 0);
  EXPECT_EQ(status_of(actor).details.at("given_back"), "1");
  // The claims of the polls since are answered, so the node can stop (it waits for a claim).
  w->claim_takes = 0ms;
  after(2500ms);
}

TEST_F(webhook_dispatcher_actor, a_delivery_claimed_twice_is_counted_once_for_its_client) {
  // Its lease ran out here and a claim took it again before the first claim's outcome came: its
  // client's count must come back to zero, or the client would be skipped by every claim.
  w->claims = {{claimed(1), claimed(1)}};
  start(true, 2, 1);
  settle();
  EXPECT_EQ(w->written.size(), 2u);
  after(100ms);
  EXPECT_TRUE(w->asked.back().busy_clients.empty());
}

TEST(webhook_slots, earned_slots_come_only_from_what_the_node_has_free) {
  gp::webhook_slots slots;
  slots.reserved = 6;  // the hosts' first slots the dispatcher claimed for
  EXPECT_TRUE(slots.take_earned(8));
  EXPECT_TRUE(slots.take_earned(8));
  EXPECT_FALSE(slots.take_earned(8));  // 6 reserved + 2 earned: the node's 8
  EXPECT_EQ(slots.earned.load(), 2u);
  slots.give_back_earned();
  EXPECT_TRUE(slots.take_earned(8));
  slots.reserved = 8;  // more claimed since: no earned slot until both are back
  slots.give_back_earned(2);
  EXPECT_FALSE(slots.take_earned(8));
}
