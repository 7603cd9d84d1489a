// The webhook outbox against a real PostgreSQL: a terminal state and its delivery in one
// transaction, claims (SKIP LOCKED, leases, busy hosts), fenced outcomes, callback_status,
// redelivery, replaced events, pings and secret rotation.
#include "tests/status_words.hpp"
#include "persistence/webhook_outbox.hpp"

#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "io/http/submit_codec.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "persistence/requests.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using gp::delivery_outcome;
using gp::delivery_status;
using gp::request_status;
using json = nlohmann::json;

namespace {

struct outbox : ::testing::Test {
  const gp::audit_context test_admin{"test", ""};
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override {
    migrate(c, embedded_migrations());
    ASSERT_TRUE(gp::test::add_client(c));
    auto hosts = std::vector<std::string>{"hooks.example.org"};
    client_changes ch;
    ch.callback_hosts = hosts;
    ASSERT_TRUE(update_client(c, "ddh", ch, test_admin));
  }

  /// A stored request (with a callback unless `callback` is empty), written up to `status`.
  std::string request(const std::string& version, request_status status,
                      const std::string& callback = "https://hooks.example.org/ddh?x=1") {
    new_request r;
    r.client_id = "ddh";
    r.dataset_id = "d";
    r.resource_id = "r";
    r.version_id = version;
    r.request_id = gp::io::http::request_id_for("ddh", "d", "r", version);
    r.request_type = "vector";
    r.source_path = "a.gpkg";
    r.callback_url = callback;
    r.client_request_id = "crid-" + version;
    insert_request(c, r);
    if (status != request_status::pending)
      write(r.request_id, status);
    return r.request_id;
  }

  bool write(const std::string& id, request_status status) {
    auto row = find_request(c, id);
    request_state s;
    s.status = status;
    if (status == request_status::completed) {
      s.progress_percent = 100;
      s.endpoints_json = R"({"download": "/platform/data/)" + id + R"(/download"})";
      s.stac_metadata_json = R"({"type": "Feature", "id": "d_r"})";
    }
    if (status == request_status::failed) {
      s.error_code = "invalid_source";
      s.error_message = "no layer";
    }
    return save_request_state(c, id, row->state_version, s);
  }

  std::vector<gp::claimed_delivery> claim(int limit = 10, int64_t lease_ms = 60000,
                                          std::vector<std::string> busy = {}) {
    return claim_deliveries(c, "node-a", limit, 100, lease_ms, busy);
  }

  /// Two counters of the state table in pg_stat_user_tables, once this connection's are flushed.
  std::pair<int64_t, int64_t> state_counters(const std::string& first, const std::string& second) {
    pqxx::nontransaction tx{c};
    tx.exec("SELECT pg_stat_force_next_flush()");
    tx.exec("SELECT pg_stat_clear_snapshot()");
    auto r = tx.exec1("SELECT " + first + ", " + second + " FROM pg_stat_user_tables "
                      "WHERE schemaname = 'platform' AND relname = 'webhook_delivery_state'");
    return std::make_pair(r[0].as<int64_t>(), r[1].as<int64_t>());
  }

  delivery_outcome outcome(const gp::claimed_delivery& d, delivery_status s, int code = 200) {
    delivery_outcome o;
    o.delivery_id = d.delivery_id;
    o.attempts = d.attempts;
    o.lease_us = d.lease_us;
    o.status = s;
    o.status_code = code;
    return o;
  }
};

}  // namespace

TEST_F(outbox, a_completed_request_with_a_callback_has_its_delivery_in_the_same_write) {
  auto id = request("v1", request_status::completed);
  auto list = list_deliveries(c, {});
  ASSERT_EQ(list.size(), 1u);
  const auto& d = list[0];
  EXPECT_EQ(d.request_id, id);
  EXPECT_EQ(d.event, "platform.request.completed");
  EXPECT_EQ(d.status, "pending");
  EXPECT_EQ(d.url, "https://hooks.example.org/ddh?x=1");
  EXPECT_EQ(d.delivery_id.substr(0, 4), "msg_");
  EXPECT_EQ(find_request(c, id)->callback_status, "pending");

  auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].host, "hooks.example.org");
  EXPECT_EQ(claimed[0].attempts, 1);
  EXPECT_EQ(claimed[0].secrets, std::vector<std::string>{"whsec_x"});
  EXPECT_EQ(claimed[0].callback_hosts, std::vector<std::string>{"hooks.example.org"});
  auto payload = json::parse(claimed[0].payload_json);
  EXPECT_EQ(payload["event"], "platform.request.completed");
  EXPECT_EQ(payload["status"], "completed");
  EXPECT_EQ(payload["request_id"], id);
  EXPECT_EQ(payload["dataset_id"], "d");
  EXPECT_EQ(payload["version_id"], "v1");
  EXPECT_EQ(payload["client_request_id"], "crid-v1");
  EXPECT_EQ(payload["endpoints"]["download"], "/platform/data/" + id + "/download");
  EXPECT_EQ(payload["stac_metadata"]["id"], "d_r");
  EXPECT_TRUE(payload["error"].is_null());
  EXPECT_TRUE(payload["processing_time_seconds"].is_number());
  EXPECT_EQ(payload["timestamp"].get<std::string>().size(), 20u);
}

TEST_F(outbox, no_callback_no_delivery_and_no_callback_status) {
  auto id = request("v1", request_status::completed, "");
  EXPECT_TRUE(list_deliveries(c, {}).empty());
  EXPECT_EQ(find_request(c, id)->callback_status, "");
}

TEST_F(outbox, a_live_state_is_not_an_event) {
  request("v1", request_status::processing);
  EXPECT_TRUE(list_deliveries(c, {}).empty());
}

TEST_F(outbox, failed_and_cancelled_requests_have_their_events) {
  auto failed = request("v1", request_status::failed);
  auto live = request("v2", request_status::processing);
  ASSERT_TRUE(cancel_request(c, live).changed);
  delivery_filter f;
  f.request_id = failed;
  auto list = list_deliveries(c, f);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].event, "platform.request.failed");
  f.request_id = live;
  list = list_deliveries(c, f);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].event, "platform.request.cancelled");
  for (const auto& d : claim()) {
    auto p = json::parse(d.payload_json);
    if (d.request_id == failed) {
      EXPECT_EQ(p["error"]["code"], "invalid_source");
      EXPECT_EQ(p["error"]["message"], "no layer");
      EXPECT_EQ(p["error"]["retryable"], false);
      EXPECT_TRUE(p["endpoints"].is_null());
    } else {
      EXPECT_EQ(p["status"], "cancelled");
      EXPECT_TRUE(p["error"].is_null());
    }
  }
}

TEST_F(outbox, a_refused_state_write_adds_no_delivery) {
  auto id = request("v1", request_status::processing);
  request_state s;
  s.status = request_status::completed;
  EXPECT_FALSE(save_request_state(c, id, 0, s));  // a stale version
  EXPECT_TRUE(list_deliveries(c, {}).empty());
}

TEST_F(outbox, outcomes_move_the_delivery_and_the_callback_status) {
  auto id = request("v1", request_status::completed);
  auto d = claim().at(0);
  EXPECT_TRUE(claim().empty());  // held
  EXPECT_EQ(find_request(c, id)->callback_status, "pending");
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(d, delivery_status::delivered)}), 1);
  auto stored = find_delivery(c, d.delivery_id, "");
  EXPECT_EQ(stored->status, "delivered");
  EXPECT_EQ(stored->last_status_code, 200);
  EXPECT_FALSE(stored->delivered_at.empty());
  EXPECT_EQ(find_request(c, id)->callback_status, "sent");
}

TEST_F(outbox, an_attempt_records_when_it_began_not_when_it_was_claimed) {
  // A claim may wait in its host's queue (up to a minute): last_attempt_at is the claim's time
  // while it is held, then the attempt's start; an outcome that does not know it keeps the claim's.
  request("v1", request_status::completed);
  request("v2", request_status::completed);
  auto held = claim();
  ASSERT_EQ(held.size(), 2u);
  auto began = outcome(held[0], delivery_status::delivered);
  began.attempted_at_us = 1893456000123456;  // 2030-01-01T00:00:00.123456Z
  auto unknown = outcome(held[1], delivery_status::delivered);
  EXPECT_EQ(record_outcomes(c, "node-a", {began, unknown}), 2);
  EXPECT_EQ(find_delivery(c, held[0].delivery_id, "")->last_attempt_at, "2030-01-01T00:00:00Z");
  pqxx::nontransaction tx{c};
  auto at = [&](const std::string& id) {
    return tx.exec_params1("SELECT (extract(epoch FROM last_attempt_at) * 1000000)::bigint "
                           "FROM platform.webhook_delivery_state WHERE delivery_id = $1", id)[0]
      .as<int64_t>();
  };
  EXPECT_EQ(at(held[0].delivery_id), 1893456000123456);
  auto claimed_at = at(held[1].delivery_id);  // the claim's time, within the last minute
  auto now = tx.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<int64_t>();
  EXPECT_GT(claimed_at, now - 60000000);
  EXPECT_LE(claimed_at, now);
}

TEST_F(outbox, a_retry_waits_and_a_gone_receiver_fails_the_callback) {
  auto id = request("v1", request_status::completed);
  auto d = claim().at(0);
  auto retry = outcome(d, delivery_status::pending, 500);
  retry.error = "the receiver answered 500";
  retry.retry_in_ms = 60000;
  record_outcomes(c, "node-a", {retry});
  EXPECT_TRUE(claim().empty());  // not due for a minute
  auto stored = find_delivery(c, d.delivery_id, "");
  EXPECT_EQ(stored->status, "pending");
  EXPECT_EQ(stored->last_error, "the receiver answered 500");
  EXPECT_FALSE(stored->next_attempt_at.empty());
  {
    pqxx::work tx{c};
    tx.exec("UPDATE platform.webhook_delivery_state SET next_attempt_at = now()");
    tx.commit();
  }
  auto again = claim().at(0);
  EXPECT_EQ(again.attempts, 2);
  record_outcomes(c, "node-a", {outcome(again, delivery_status::failed, 410)});
  EXPECT_EQ(find_request(c, id)->callback_status, "failed");
}

TEST_F(outbox, a_stale_outcome_is_not_written) {
  request("v1", request_status::completed);
  auto first = claim(10, 1).at(0);
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  auto second = claim().at(0);  // the lease ran out: claimed again
  EXPECT_EQ(second.delivery_id, first.delivery_id);
  EXPECT_EQ(second.attempts, 2);
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(first, delivery_status::delivered)}), 0);
  EXPECT_EQ(find_delivery(c, first.delivery_id, "")->status, "delivering");
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(second, delivery_status::delivered)}), 1);
}

TEST_F(outbox, a_claim_given_back_unattempted_keeps_its_attempts) {
  request("v1", request_status::completed);
  auto d = claim().at(0);
  auto back = outcome(d, delivery_status::pending, 0);
  back.attempted = false;
  record_outcomes(c, "node-a", {back});
  auto again = claim().at(0);
  EXPECT_EQ(again.attempts, 1);
}

TEST_F(outbox, busy_hosts_are_skipped_and_released_claims_are_due_at_once) {
  request("v1", request_status::completed);
  request("v2", request_status::completed, "http://other.example.org:8080/x");
  auto claimed = claim(10, 60000, {"hooks.example.org"});
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].host, "other.example.org:8080");
  EXPECT_EQ(release_claims(c, "node-a"), 1);
  EXPECT_EQ(claim().size(), 2u);
}

// A claim can start past the rows the previous one passed over (a busy host's): it leaves out
// the rows due before `due_from_us` and tells the oldest due time of those it took.
TEST_F(outbox, a_claim_can_start_past_older_due_rows_and_tells_its_oldest) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(
      insert_ping(c, "ddh", "https://hooks.example.org/p", R"({"event": "platform.ping"})"));
  {
    pqxx::work tx{c};
    for (int i = 0; i < 3; ++i)  // due 30, 20 and 10 minutes ago
      tx.exec_params("UPDATE platform.webhook_delivery_state SET next_attempt_at = "
                     "timestamptz '2026-01-01T00:00:00Z' + $2 * interval '10 minutes' "
                     "WHERE delivery_id = $1",
                     ids[i], i);
    tx.commit();
  }
  auto at = [](int i) { return (int64_t{1767225600} + 600 * i) * 1000000; };
  int64_t oldest = -1;
  auto later = claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 1000000, {}, at(1), &oldest);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].delivery_id == ids[0] || later[1].delivery_id == ids[0], false);
  EXPECT_EQ(oldest, at(1));
  auto rest = claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 1000000, {}, 0, &oldest);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].delivery_id, ids[0]);
  EXPECT_EQ(oldest, at(0));
  EXPECT_TRUE(claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 1000000, {}, 0, &oldest)
                .empty());
  EXPECT_EQ(oldest, 0);
}

TEST_F(outbox, a_claim_takes_at_most_per_host_of_one_host) {
  for (int i = 0; i < 5; ++i)
    request("a" + std::to_string(i), request_status::completed);
  request("b", request_status::completed, "http://other.example.org/x");
  auto claimed = claim_deliveries(c, "node-a", 10, 2, 60000, {});
  ASSERT_EQ(claimed.size(), 3u);
  int other = 0;
  for (const auto& d : claimed)
    other += d.host == "other.example.org" ? 1 : 0;
  EXPECT_EQ(other, 1);
  EXPECT_EQ(claim_deliveries(c, "node-a", 10, 2, 60000, {}).size(), 2u);
}

TEST_F(outbox, a_claim_takes_at_most_per_client_of_one_client_and_skips_busy_ones) {
  ASSERT_TRUE(gp::test::add_client(c, "other"));
  for (int i = 0; i < 4; ++i)
    request("a" + std::to_string(i), request_status::completed,
            "https://h" + std::to_string(i) + ".example.org/x");
  insert_ping(c, "other", "https://o.example.org/p", R"({"event": "platform.ping"})");
  auto claimed = claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 2);
  ASSERT_EQ(claimed.size(), 3u);
  int of_ddh = 0;
  for (const auto& d : claimed)
    of_ddh += d.client_id == "ddh" ? 1 : 0;
  EXPECT_EQ(of_ddh, 2);
  EXPECT_TRUE(claim_deliveries(c, "node-a", 10, 100, 60000, {}, {"ddh"}, 2).empty());
  // The room left to a client this node holds some of.
  auto one = claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 2, {{"ddh", 1}});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].client_id, "ddh");
  EXPECT_EQ(claim_deliveries(c, "node-a", 10, 100, 60000, {}, {}, 2).size(), 1u);
}

TEST_F(outbox, concurrent_claims_never_share_a_delivery) {
  for (int i = 0; i < 40; ++i)
    request("v" + std::to_string(i), request_status::completed);
  std::vector<std::vector<gp::claimed_delivery>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      pqxx::connection own{db.url()};
      for (int round = 0; round < 10; ++round) {
        auto part = claim_deliveries(own, "node-" + std::to_string(t), 3, 100, 60000, {});
        got[t].insert(got[t].end(), part.begin(), part.end());
      }
    });
  for (auto& t : threads)
    t.join();
  std::set<std::string> ids;
  size_t total = 0;
  for (const auto& g : got)
    for (const auto& d : g) {
      ids.insert(d.delivery_id);
      ++total;
    }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(ids.size(), 40u);
}

TEST_F(outbox, a_later_event_replaces_a_waiting_one) {
  auto id = request("v1", request_status::failed);
  auto first = list_deliveries(c, {}).at(0);
  ASSERT_TRUE(retry_request(c, id).changed);
  ASSERT_TRUE(write(id, request_status::completed));
  delivery_filter f;
  f.request_id = id;
  auto list = list_deliveries(c, f);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].event, "platform.request.completed");
  EXPECT_EQ(list[0].status, "pending");
  EXPECT_EQ(list[1].delivery_id, first.delivery_id);
  EXPECT_EQ(list[1].status, "failed");
  EXPECT_EQ(list[1].last_error, "replaced by a later event of the request");
  EXPECT_EQ(find_request(c, id)->callback_status, "pending");
}

TEST_F(outbox, an_event_in_flight_when_a_later_one_is_written_is_not_retried) {
  auto id = request("v1", request_status::failed);
  auto first = claim().at(0);  // being attempted
  ASSERT_TRUE(retry_request(c, id).changed);
  ASSERT_TRUE(write(id, request_status::completed));
  auto retry = outcome(first, delivery_status::pending, 500);
  retry.retry_in_ms = 0;
  EXPECT_EQ(record_outcomes(c, "node-a", {retry}), 1);
  auto stored = find_delivery(c, first.delivery_id, "");
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->last_error, "replaced by a later event of the request");
  auto next = claim();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(json::parse(next[0].payload_json)["event"], "platform.request.completed");
}

// Nor is one given back unattempted (its host's queue was too slow for the lease), nor one a
// stopping node hands back: each fails as replaced rather than reach its receiver after the
// later event.
TEST_F(outbox, an_event_given_back_after_a_later_one_is_written_fails_as_replaced) {
  auto id = request("v1", request_status::failed);
  auto first = claim().at(0);
  ASSERT_TRUE(retry_request(c, id).changed);
  ASSERT_TRUE(write(id, request_status::completed));
  auto back = outcome(first, delivery_status::pending, 0);
  back.attempted = false;
  EXPECT_EQ(record_outcomes(c, "node-a", {back}), 1);
  auto stored = find_delivery(c, first.delivery_id, "");
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->last_error, "replaced by a later event of the request");
  EXPECT_EQ(stored->attempts, first.attempts - 1);  // given back: no attempt was made
  auto next = claim();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(json::parse(next[0].payload_json)["event"], "platform.request.completed");
}

TEST_F(outbox, an_event_a_stopping_node_releases_after_a_later_one_is_written_fails_as_replaced) {
  auto id = request("v1", request_status::failed);
  auto first = claim().at(0);
  ASSERT_TRUE(retry_request(c, id).changed);
  ASSERT_TRUE(write(id, request_status::completed));
  auto second = claim().at(0);  // the completed event, while the failed one is still held
  EXPECT_NE(second.delivery_id, first.delivery_id);
  EXPECT_EQ(release_claims(c, "node-a"), 2);
  auto stored = find_delivery(c, first.delivery_id, "");
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->last_error, "replaced by a later event of the request");
  EXPECT_EQ(find_delivery(c, second.delivery_id, "")->status, "pending");
  auto next = claim();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].delivery_id, second.delivery_id);
}

// A claim whose node died (its lease ran out) is as good as waiting: a later event of its
// request replaces it, and it can be redelivered.
TEST_F(outbox, a_lapsed_claim_is_replaced_by_a_later_event_and_can_be_redelivered) {
  auto id = request("v1", request_status::failed);
  auto first = claim(10, 1).at(0);  // its node dies; the lease (1 ms) runs out
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(retry_request(c, id).changed);
  ASSERT_TRUE(write(id, request_status::completed));
  auto stored = find_delivery(c, first.delivery_id, "");
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->last_error, "replaced by a later event of the request");
  auto next = claim(10, 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(json::parse(next[0].payload_json)["event"], "platform.request.completed");
  // That one lapses too: redelivering it is not refused as in flight.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(redeliver(c, next[0].delivery_id, test_admin), redelivery::queued);
  EXPECT_EQ(find_delivery(c, next[0].delivery_id, "")->status, "pending");
  // The node that held it is fenced off: its late outcome is not written.
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(next[0], delivery_status::delivered)}), 0);
}

TEST_F(outbox, a_late_outcome_of_a_claim_before_a_redelivery_is_not_written) {
  request("v1", request_status::completed);
  auto first = claim(10, 1).at(0);  // attempt 1; its node is slow to report, the lease runs out
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(redeliver(c, first.delivery_id, test_admin), redelivery::queued);
  auto second = claim().at(0);  // attempt 1 again, by the same node
  ASSERT_EQ(second.delivery_id, first.delivery_id);
  ASSERT_EQ(second.attempts, first.attempts);
  EXPECT_NE(second.lease_us, first.lease_us);
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(first, delivery_status::delivered)}), 0);
  EXPECT_EQ(find_delivery(c, first.delivery_id, "")->status, "delivering");
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(second, delivery_status::failed, 410)}), 1);
  EXPECT_EQ(find_delivery(c, first.delivery_id, "")->status, "failed");
}

TEST_F(outbox, only_the_claiming_node_writes_an_outcome) {
  request("v1", request_status::completed);
  auto d = claim().at(0);
  EXPECT_EQ(record_outcomes(c, "node-b", {outcome(d, delivery_status::delivered)}), 0);
  EXPECT_EQ(find_delivery(c, d.delivery_id, "")->status, "delivering");
  EXPECT_EQ(record_outcomes(c, "node-a", {outcome(d, delivery_status::delivered)}), 1);
}

TEST_F(outbox, redelivery_starts_a_fresh_schedule_under_the_same_id) {
  request("v1", request_status::completed);
  auto d = claim().at(0);
  EXPECT_EQ(redeliver(c, d.delivery_id, test_admin), redelivery::in_flight);
  auto dead = outcome(d, delivery_status::dead, 500);
  record_outcomes(c, "node-a", {dead});
  EXPECT_EQ(redeliver(c, d.delivery_id, test_admin), redelivery::queued);
  auto again = claim().at(0);
  EXPECT_EQ(again.delivery_id, d.delivery_id);
  EXPECT_EQ(again.attempts, 1);
  EXPECT_EQ(redeliver(c, "msg_00000000000000000000000000000000", test_admin), redelivery::missing);
}

TEST_F(outbox, pings_listings_and_client_scope) {
  ASSERT_TRUE(gp::test::add_client(c, "other"));
  auto id = insert_ping(c, "ddh", "https://hooks.example.org/p", R"({"event": "platform.ping"})");
  request("v1", request_status::completed);
  delivery_filter f;
  f.client_id = "ddh";
  EXPECT_EQ(list_deliveries(c, f).size(), 2u);
  f.client_id = "other";
  EXPECT_TRUE(list_deliveries(c, f).empty());
  EXPECT_FALSE(find_delivery(c, id, "other"));
  auto ping = find_delivery(c, id, "ddh");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->event, "platform.ping");
  EXPECT_EQ(ping->request_id, "");
  f.client_id.clear();
  f.status = delivery_status::pending;
  f.limit = 1;
  auto page = list_deliveries(c, f);
  ASSERT_EQ(page.size(), 1u);
  f.after = page[0].delivery_id;
  auto next = list_deliveries(c, f);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_NE(next[0].delivery_id, page[0].delivery_id);
}

TEST_F(outbox, a_rotation_signs_with_both_secrets_for_its_grace) {
  request("v1", request_status::completed);
  auto until = rotate_webhook_secret(c, "ddh", "whsec_new", 3600, test_admin);
  ASSERT_TRUE(until);
  EXPECT_EQ(until->size(), 20u);
  auto d = claim().at(0);
  EXPECT_EQ(d.secrets, (std::vector<std::string>{"whsec_new", "whsec_x"}));
  release_claims(c, "node-a");
  rotate_webhook_secret(c, "ddh", "whsec_newer", 0, test_admin);
  d = claim().at(0);
  EXPECT_EQ(d.secrets, std::vector<std::string>{"whsec_newer"});
  EXPECT_FALSE(rotate_webhook_secret(c, "nobody", "whsec_y", 10, test_admin));
}

// A claim changes no indexed column, so PostgreSQL rewrites each claimed row in place (a HOT
// update) and touches no index: an index on the status, or a lease kept in next_attempt_at,
// would make every claim write two index entries again (migration 0018).
TEST_F(outbox, a_claim_rewrites_its_rows_in_place) {
  for (int i = 0; i < 20; ++i)
    insert_ping(c, "ddh", "https://hooks.example.org/p", R"({"event": "platform.ping"})");
  auto counts = [&] { return state_counters("n_tup_upd", "n_tup_hot_upd"); };
  auto before = counts();
  ASSERT_EQ(claim(100).size(), 20u);
  auto after = counts();
  EXPECT_EQ(after.first - before.first, 20);
  EXPECT_EQ(after.second - before.second, 20);
}

// Outcomes are written by their keys whatever PostgreSQL's statistics say. Analysed while every
// row was pending, they make the rows a node holds look like none; planned on that, the write
// read the whole table, then went over the batch again for every row held (25-110 ms for 256
// outcomes on 10,000 deliveries, and more as the table grows).
TEST_F(outbox, outcomes_are_written_by_key_after_statistics_that_saw_no_claim) {
  {
    pqxx::work tx{c};
    tx.exec(R"sql(
INSERT INTO platform.webhook_deliveries (delivery_id, client_id, url, host, event, payload)
SELECT 'msg_' || lpad(to_hex(i), 32, '0'), 'ddh', 'https://hooks.example.org/p',
       'hooks.example.org', 'platform.ping', '{"event": "platform.ping"}'
FROM generate_series(1, 10000) i;
INSERT INTO platform.webhook_delivery_state (delivery_id, client_id, host)
SELECT delivery_id, client_id, host FROM platform.webhook_deliveries)sql");
    tx.commit();
  }
  pqxx::nontransaction{c}.exec("ANALYZE platform.webhook_delivery_state");
  auto claimed = claim_deliveries(c, "node-a", 256, 256, 60000, {});
  ASSERT_EQ(claimed.size(), 256u);
  std::vector<delivery_outcome> outcomes;
  for (const auto& d : claimed)
    outcomes.push_back(outcome(d, delivery_status::delivered));
  // Rows read by sequential scans, and rows fetched through indexes.
  auto rows_read = [&] { return state_counters("seq_tup_read", "idx_tup_fetch"); };
  auto check = [&](const std::pair<int64_t, int64_t>& before) {
    auto after = rows_read();
    EXPECT_EQ(after.first - before.first, 0) << "the write read the whole table";
    EXPECT_LE(after.second - before.second, 256) << "the write read more than its rows";
  };
  auto before = rows_read();
  EXPECT_EQ(record_outcomes(c, "node-a", outcomes), 256);
  check(before);
  // The same statement again, now planned once for the connection.
  auto next = claim_deliveries(c, "node-a", 256, 256, 60000, {});
  ASSERT_EQ(next.size(), 256u);
  outcomes.clear();
  for (const auto& d : next)
    outcomes.push_back(outcome(d, delivery_status::pending));
  before = rows_read();
  EXPECT_EQ(record_outcomes(c, "node-a", outcomes), 256);
  check(before);
  EXPECT_EQ(list_deliveries(c, {"", "", delivery_status::delivered, "", 1000}).size(), 256u);
}
