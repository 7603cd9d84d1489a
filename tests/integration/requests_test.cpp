// platform.requests against a real PostgreSQL: idempotent inserts under concurrency, fenced state
// writes, monotonic progress, listing.
#include "persistence/requests.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "io/http/submit_codec.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

using namespace gp::persistence;

namespace {

struct requests : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override {
    migrate(c, embedded_migrations());
    client_row client;
    client.client_id = "ddh";
    client.name = "DDH";
    client.webhook_secret = "whsec_x";
    ASSERT_TRUE(insert_client(c, client));
  }

  new_request sample(const std::string& version = "v1") {
    new_request r;
    r.client_id = "ddh";
    r.dataset_id = "d";
    r.resource_id = "r";
    r.version_id = version;
    r.request_id = gp::io::http::request_id_for("ddh", "d", "r", version);
    r.request_type = "vector";
    r.source_path = "a.gpkg";
    r.processing_config_json = R"({"layer_name": "x"})";
    return r;
  }

  int64_t scalar(const std::string& sql) {
    pqxx::nontransaction tx{c};
    return tx.exec1(sql)[0].as<int64_t>();
  }
};

}  // namespace

TEST_F(requests, a_repeat_returns_the_existing_row) {
  auto first = insert_request(c, sample());
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.row.status, "pending");
  auto repeat = sample();
  repeat.source_path = "changed.gpkg";
  auto second = insert_request(c, repeat);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.row.request_id, first.row.request_id);
  EXPECT_EQ(second.row.source_path, "a.gpkg");  // the first stays
}

TEST_F(requests, concurrent_identical_inserts_create_one_row) {
  for (int round = 0; round < 3; ++round) {
    auto r = sample("v" + std::to_string(round + 10));
    std::atomic<int> ready{0};
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 24; ++i)
      threads.emplace_back([&] {
        pqxx::connection own{db.url()};
        ++ready;
        while (ready < 24)
          std::this_thread::yield();
        auto out = insert_request(own, r);
        EXPECT_EQ(out.row.request_id, r.request_id);
        if (out.created)
          ++created;
      });
    for (auto& t : threads)
      t.join();
    EXPECT_EQ(created.load(), 1) << "round " << round;
    EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE request_id = '" +
                     r.request_id + "'"),
              1);
  }
}

TEST_F(requests, a_stale_state_write_is_refused) {
  auto row = insert_request(c, sample()).row;
  request_state s;
  s.status = "processing";
  s.progress_percent = 10;
  ASSERT_TRUE(save_request_state(c, row.request_id, row.state_version, s));
  s.status = "failed";
  EXPECT_FALSE(save_request_state(c, row.request_id, row.state_version, s));  // stale version
  auto now = *find_request(c, row.request_id);
  EXPECT_EQ(now.status, "processing");
  EXPECT_EQ(now.state_version, row.state_version + 1);
  EXPECT_FALSE(now.started_at.empty());
  EXPECT_TRUE(now.completed_at.empty());
}

TEST_F(requests, progress_never_decreases_and_terminal_states_are_timed) {
  auto row = insert_request(c, sample()).row;
  request_state s;
  s.status = "processing";
  s.progress_percent = 60;
  ASSERT_TRUE(save_request_state(c, row.request_id, 0, s));
  s.progress_percent = 30;
  ASSERT_TRUE(save_request_state(c, row.request_id, 1, s));
  EXPECT_EQ(find_request(c, row.request_id)->progress_percent, 60);
  s.status = "completed";
  s.progress_percent = 100;
  s.endpoints_json = R"({"download": "/x"})";
  ASSERT_TRUE(save_request_state(c, row.request_id, 2, s));
  auto done = *find_request(c, row.request_id);
  EXPECT_EQ(done.progress_percent, 100);
  EXPECT_FALSE(done.completed_at.empty());
  EXPECT_NE(done.endpoints_json.find("download"), std::string::npos);
  EXPECT_TRUE(live_request_ids(c).empty());
}

TEST_F(requests, listing_filters_and_pages_newest_first) {
  for (int i = 0; i < 5; ++i) {
    insert_request(c, sample("v" + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto page = list_requests(c, "ddh", "", "", 3, "");
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].version_id, "v4");
  auto rest = list_requests(c, "ddh", "", "", 3, page[2].request_id);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].version_id, "v0");
  EXPECT_EQ(list_requests(c, "other", "", "", 10, "").size(), 0u);
  EXPECT_EQ(list_requests(c, "", "pending", "d", 10, "").size(), 5u);
  EXPECT_EQ(list_requests(c, "", "completed", "", 10, "").size(), 0u);
  EXPECT_EQ(live_request_ids(c).size(), 5u);
}
