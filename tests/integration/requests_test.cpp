// platform.requests against a real PostgreSQL: idempotent inserts under concurrency, fenced state
// writes, monotonic progress, listing.
#include "tests/status_words.hpp"
#include "persistence/requests.hpp"

#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "io/http/submit_codec.hpp"
#include "persistence/clients.hpp"
#include "persistence/database.hpp"
#include "persistence/migrations.hpp"
#include "persistence/outputs.hpp"
#include "persistence/task_queue.hpp"
#include "test_database.hpp"

using namespace gp::persistence;

namespace {

struct requests : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override {
    migrate(c, embedded_migrations());
    ASSERT_TRUE(gp::test::add_client(c));
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
  s.status = gp::request_status::processing;
  s.progress_percent = 10;
  ASSERT_TRUE(save_request_state(c, row.request_id, row.state_version, s));
  s.status = gp::request_status::failed;
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
  s.status = gp::request_status::processing;
  s.progress_percent = 60;
  ASSERT_TRUE(save_request_state(c, row.request_id, 0, s));
  s.progress_percent = 30;
  ASSERT_TRUE(save_request_state(c, row.request_id, 1, s));
  EXPECT_EQ(find_request(c, row.request_id)->progress_percent, 60);
  s.status = gp::request_status::completed;
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
  auto page = list_requests(c, "ddh", std::nullopt, "", 3, "");
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].version_id, "v4");
  auto rest = list_requests(c, "ddh", std::nullopt, "", 3, page[2].request_id);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].version_id, "v0");
  EXPECT_EQ(list_requests(c, "other", std::nullopt, "", 10, "").size(), 0u);
  EXPECT_EQ(list_requests(c, "", gp::request_status::pending, "d", 10, "").size(), 5u);
  EXPECT_EQ(list_requests(c, "", gp::request_status::completed, "", 10, "").size(), 0u);
  EXPECT_EQ(live_request_ids(c).size(), 5u);
}

TEST_F(requests, a_batch_insert_creates_new_rows_and_returns_existing_ones) {
  auto existing = insert_request(c, sample("v1")).row;
  auto changed = sample("v1");
  changed.source_path = "other.gpkg";
  std::vector<new_request> batch{sample("v2"), changed, sample("v3"), sample("v2")};
  auto out = insert_requests(c, batch);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].created);
  EXPECT_FALSE(out[1].created);
  EXPECT_EQ(out[1].row.source_path, "a.gpkg");  // the stored row, not the submission
  EXPECT_EQ(out[1].row.request_id, existing.request_id);
  EXPECT_TRUE(out[2].created);
  EXPECT_FALSE(out[3].created);  // the same identity twice in one batch: one row
  EXPECT_EQ(out[3].row.request_id, out[0].row.request_id);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), 3);
}

TEST_F(requests, new_rows_are_answered_when_reading_the_existing_ones_fails) {
  insert_request(c, sample("v1"));
  {
    // The existing row cannot be read back (any column but the two the insert returns).
    pqxx::nontransaction tx{c};
    tx.exec("REVOKE SELECT ON platform.requests FROM CURRENT_USER");
    tx.exec("GRANT SELECT (request_id, created_at) ON platform.requests TO CURRENT_USER");
  }
  auto out = insert_requests(c, {sample("v1"), sample("v2")});
  {
    pqxx::nontransaction tx{c};
    tx.exec("GRANT SELECT ON platform.requests TO CURRENT_USER");
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].created);
  EXPECT_TRUE(out[0].row.request_id.empty());  // the repeat fails (the registry answers 503)
  EXPECT_TRUE(out[1].created);                  // the new row, committed, is answered
  EXPECT_EQ(out[1].row.request_id, sample("v2").request_id);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), 2);
}

TEST_F(requests, a_created_row_as_returned_is_the_row_as_stored) {
  auto r = sample("v9");
  r.callback_url = "https://ddh.example.org/hook";
  r.owner_node = "node-a";
  r.snapshot_json = R"({"step": 0, "jobs": []})";
  auto out = insert_requests(c, {r});
  ASSERT_TRUE(out.at(0).created);
  const auto& made = out[0].row;
  auto stored = find_request(c, r.request_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(made.request_id, stored->request_id);
  EXPECT_EQ(made.client_id, stored->client_id);
  EXPECT_EQ(made.version_id, stored->version_id);
  EXPECT_EQ(made.source_path, stored->source_path);
  EXPECT_EQ(nlohmann::json::parse(made.processing_config_json),
            nlohmann::json::parse(stored->processing_config_json));
  EXPECT_EQ(made.callback_url, stored->callback_url);
  EXPECT_EQ(made.client_request_id, stored->client_request_id);
  EXPECT_EQ(made.status, stored->status);
  EXPECT_EQ(made.progress_percent, stored->progress_percent);
  EXPECT_EQ(made.message, stored->message);
  EXPECT_EQ(made.endpoints_json, stored->endpoints_json);
  EXPECT_EQ(made.stac_metadata_json, stored->stac_metadata_json);
  EXPECT_EQ(made.error_code, stored->error_code);
  EXPECT_EQ(made.owner_node, stored->owner_node);
  EXPECT_EQ(made.state_version, stored->state_version);
  EXPECT_EQ(nlohmann::json::parse(made.snapshot_json), nlohmann::json::parse(stored->snapshot_json));
  EXPECT_EQ(made.created_at, stored->created_at);
  EXPECT_EQ(made.started_at, stored->started_at);
  EXPECT_EQ(made.completed_at, stored->completed_at);
  EXPECT_EQ(made.reused_from, stored->reused_from);
}

namespace {

/// A job for request `rid` in `status` with one task in `task_status`.
void add_job(pqxx::connection& c, const std::string& rid, const std::string& job_id,
             const std::string& status, const std::string& task_status) {
  pqxx::work tx{c};
  tx.exec_params("INSERT INTO app.jobs (job_id, job_type, parameters, total_stages, stage, "
                 "status, platform_request_id) VALUES ($1, 'noop', '{}', 1, 1, $2, $3)",
                 job_id, status, rid);
  tx.exec_params("INSERT INTO app.tasks (job_id, stage, task_index, task_type, parameters, "
                 "status, attempts) VALUES ($1, 1, 0, 'noop', '{}', $2, 1)",
                 job_id, task_status);
  tx.commit();
}

}  // namespace

TEST_F(requests, cancelling_moves_the_row_on_and_cancels_its_jobs) {
  auto row = insert_request(c, sample()).row;
  add_job(c, row.request_id, std::string(64, 'a'), "processing", "pending");
  auto out = cancel_request(c, row.request_id);
  EXPECT_TRUE(out.changed);
  ASSERT_TRUE(out.row);
  EXPECT_EQ(out.row->status, "cancelled");
  EXPECT_EQ(out.row->state_version, row.state_version + 1);  // a live actor's write is refused
  EXPECT_FALSE(out.row->completed_at.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE status = 'cancelled'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE status = 'cancelled'"), 1);
  request_state s;
  s.status = gp::request_status::completed;
  EXPECT_FALSE(save_request_state(c, row.request_id, row.state_version, s));
  auto again = cancel_request(c, row.request_id);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.row->status, "cancelled");
  EXPECT_FALSE(cancel_request(c, std::string(32, '0')).row);
}

TEST_F(requests, retrying_resets_the_failed_job_in_place) {
  auto row = insert_request(c, sample()).row;
  request_state s;
  s.status = gp::request_status::failed;
  s.error_code = "source_not_found";
  s.error_message = "gone";
  s.error_retryable = true;
  ASSERT_TRUE(save_request_state(c, row.request_id, row.state_version, s));
  add_job(c, row.request_id, std::string(64, 'b'), "failed", "failed");
  EXPECT_FALSE(retry_request(c, std::string(32, '0')).row);
  auto out = retry_request(c, row.request_id);
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(out.row->status, "processing");
  EXPECT_TRUE(out.row->error_code.empty());
  EXPECT_TRUE(out.row->completed_at.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE status = 'processing'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE status = 'pending' AND attempts = 0"), 1);
  // Only a failed request can be retried.
  EXPECT_FALSE(retry_request(c, row.request_id).changed);
}

TEST_F(requests, progress_follows_finished_tasks_and_never_goes_back) {
  auto row = insert_request(c, sample()).row;
  request_state s;
  s.status = gp::request_status::processing;
  ASSERT_TRUE(save_request_state(c, row.request_id, 0, s));
  auto job = std::string(64, 'c');
  {
    pqxx::work tx{c};
    tx.exec_params("INSERT INTO app.jobs (job_id, job_type, parameters, total_stages, stage, "
                   "status, platform_request_id) VALUES ($1, 'noop', '{}', 2, 2, 'processing', "
                   "$2)",
                   job, row.request_id);
    for (int i = 0; i < 4; ++i)
      tx.exec_params("INSERT INTO app.tasks (job_id, stage, task_index, task_type, parameters, "
                     "status) VALUES ($1, 2, $2, 'noop', '{}', $3)",
                     job, i, i == 0 ? "completed" : "pending");
    tx.commit();
  }
  // Step 1 of 2, stage 2 of 2 with 1 of 4 tasks done: (1 + (1 + 0.25) / 2) / 2 = 81 %.
  EXPECT_EQ(refresh_progress(c, row.request_id, job, 1, 2), 81);
  // Step 0 would be less: the stored value stays.
  EXPECT_EQ(refresh_progress(c, row.request_id, job, 0, 2), 81);
  {
    pqxx::work tx{c};
    tx.exec("UPDATE app.tasks SET status = 'completed'");
    tx.exec("UPDATE app.jobs SET status = 'completed'");
    tx.commit();
  }
  EXPECT_EQ(refresh_progress(c, row.request_id, job, 1, 2), 99);  // 100 only when completed
  s.status = gp::request_status::completed;
  ASSERT_TRUE(save_request_state(c, row.request_id, 1, s));
  EXPECT_EQ(refresh_progress(c, row.request_id, job, 1, 2), -1);
}

TEST_F(requests, live_requests_page_and_averages_of_completed_ones) {
  for (int i = 0; i < 5; ++i)
    insert_request(c, sample("v" + std::to_string(i)));
  auto first = live_requests(c, 3, "");
  ASSERT_EQ(first.size(), 3u);
  auto rest = live_requests(c, 3, first.back().request_id);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_LT(first.back().request_id, rest.front().request_id);
  EXPECT_TRUE(completion_averages(c).empty());
  {
    pqxx::work tx{c};
    tx.exec("UPDATE platform.requests SET status = 'completed', "
            "completed_at = created_at + interval '10 seconds' WHERE version_id IN ('v0', 'v1')");
    tx.exec("UPDATE platform.requests SET completed_at = created_at + interval '20 seconds' "
            "WHERE version_id = 'v1'");
    tx.commit();
  }
  auto avg = completion_averages(c);
  ASSERT_EQ(avg.size(), 1u);
  EXPECT_EQ(avg[0].first, "vector");
  EXPECT_NEAR(avg[0].second, 15.0, 0.01);
  EXPECT_EQ(live_requests(c, 10, "").size(), 3u);
}

TEST_F(requests, a_job_of_a_request_that_ended_is_not_created) {
  auto row = insert_request(c, sample()).row;
  ASSERT_TRUE(cancel_request(c, row.request_id).changed);
  new_job job;
  job.job_id = std::string(64, 'e');
  job.job_type = "noop";
  job.params_json = "{}";
  job.platform_request_id = row.request_id;
  stage_planner plan = [](const std::string&, const std::string&, int, const std::string&) {
    return std::vector<new_task>{{"noop", "{}", 1}};
  };
  EXPECT_THROW(create_job(c, job, plan), gp::persistence::conflict_error);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 0);
}

TEST_F(requests, reuse_finds_only_a_completed_version_with_the_same_source_and_settings) {
  auto done = insert_request(c, sample("v1")).row;
  auto same = insert_request(c, sample("v2")).row;
  auto other_config = sample("v3");
  other_config.processing_config_json = R"({"layer_name": "y"})";
  auto other = insert_request(c, other_config).row;
  // Nothing is completed yet: nothing to reuse, but the hash is recorded.
  EXPECT_FALSE(find_reusable(c, done.request_id, "h1"));
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE source_sha256 = 'h1'"), 1);
  request_state s;
  s.status = gp::request_status::completed;
  s.outputs_json = R"({"dir": "/s/ddh/d/r/v1", "download": "a.gpkg"})";
  ASSERT_TRUE(save_request_state(c, done.request_id, done.state_version, s));
  EXPECT_EQ(find_reusable(c, same.request_id, "h1"), done.request_id);
  EXPECT_FALSE(find_reusable(c, same.request_id, "h2"));   // other bytes
  EXPECT_FALSE(find_reusable(c, other.request_id, "h1"));  // other settings
  EXPECT_FALSE(find_reusable(c, done.request_id, "h1"));   // never itself
}

TEST_F(requests, gathered_outputs_are_the_tasks_outputs_or_the_reused_requests) {
  auto r = insert_request(c, sample("v1")).row;
  {
    pqxx::work tx{c};
    tx.exec_params(R"sql(
      INSERT INTO app.jobs (job_id, job_type, total_stages, platform_request_id, status)
      VALUES (repeat('a', 64), 'x', 2, $1, 'completed'))sql", r.request_id);
    tx.exec(R"sql(
      INSERT INTO app.tasks (job_id, stage, task_index, task_type, status, result) VALUES
        (repeat('a', 64), 1, 0, 't', 'completed', '{"outputs": {"files": ["b.tif"]}}'),
        (repeat('a', 64), 1, 1, 't', 'completed', '{"outputs": {"files": ["c.tif"]}}'),
        (repeat('a', 64), 2, 0, 't', 'completed', '{"outputs": {"mosaic": true}}'),
        (repeat('a', 64), 2, 1, 't', 'failed', '{"outputs": {"ignored": true}}'),
        (repeat('a', 64), 2, 2, 't', 'completed', '{"count": 2}'))sql");
    tx.commit();
  }
  auto got = gather_outputs(c, r.request_id);
  EXPECT_EQ(got.reused_from, "");
  EXPECT_EQ(got.outputs_json,
            R"([{"files": ["b.tif"]}, {"files": ["c.tif"]}, {"mosaic": true}])");
  // A task that found a reusable version: its outputs are that request's.
  auto earlier = insert_request(c, sample("v0")).row;
  request_state s;
  s.status = gp::request_status::completed;
  s.outputs_json = R"({"dir": "/s/v0", "download": "a.tif"})";
  ASSERT_TRUE(save_request_state(c, earlier.request_id, earlier.state_version, s));
  {
    pqxx::work tx{c};
    tx.exec_params(R"sql(
      INSERT INTO app.tasks (job_id, stage, task_index, task_type, status, result)
      VALUES (repeat('a', 64), 3, 0, 't', 'completed', jsonb_build_object('reused_from', $1::text)))sql",
                   earlier.request_id);
    tx.commit();
  }
  got = gather_outputs(c, r.request_id);
  EXPECT_EQ(got.reused_from, earlier.request_id);
  EXPECT_EQ(got.outputs_json, R"({"dir": "/s/v0", "download": "a.tif"})");
}

TEST_F(requests, outputs_are_read_with_owner_type_and_status) {
  EXPECT_FALSE(find_request_outputs(c, std::string(32, 'f')));
  auto r = sample();
  insert_request(c, r);
  auto row = find_request_outputs(c, r.request_id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->request_id, r.request_id);
  EXPECT_EQ(row->client_id, "ddh");
  EXPECT_EQ(row->request_type, "vector");
  EXPECT_EQ(row->status, "pending");
  EXPECT_EQ(row->outputs_json, "null");
  {
    pqxx::work tx{c};
    tx.exec_params("UPDATE platform.requests SET status = 'completed', outputs = $2::jsonb "
                   "WHERE request_id = $1",
                   r.request_id, R"({"dir": "/srv/x", "download": "a.gpkg"})");
    tx.commit();
  }
  row = find_request_outputs(c, r.request_id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "completed");
  EXPECT_EQ(nlohmann::json::parse(row->outputs_json),
            (nlohmann::json{{"dir", "/srv/x"}, {"download", "a.gpkg"}}));
}

TEST_F(requests, every_status_change_is_kept_in_the_history_whoever_makes_it) {
  auto row = insert_request(c, sample()).row;
  EXPECT_TRUE(read_request_events(c, row.request_id).empty());  // the submission is the row
  request_state s;
  s.status = gp::request_status::processing;
  s.message = "running ingest_vector";
  ASSERT_TRUE(save_request_state(c, row.request_id, 0, s));
  s.progress_percent = 50;  // progress alone is no change of status
  ASSERT_TRUE(save_request_state(c, row.request_id, 1, s));
  s.status = gp::request_status::failed;
  s.error_code = "load_failed";
  s.error_message = "disk full";
  ASSERT_TRUE(save_request_state(c, row.request_id, 2, s));
  ASSERT_TRUE(retry_request(c, row.request_id).changed);
  ASSERT_TRUE(cancel_request(c, row.request_id).changed);
  auto events = read_request_events(c, row.request_id);
  ASSERT_EQ(events.size(), 4u);
  using st = gp::request_status;
  std::vector<std::tuple<st, st, std::string, int64_t>> got;
  for (const auto& e : events)
    got.emplace_back(e.from, e.to, e.reason, e.state_version);
  EXPECT_EQ(got, (decltype(got){{st::pending, st::processing, "running ingest_vector", 1},
                                {st::processing, st::failed, "load_failed", 3},
                                {st::failed, st::processing, "retrying", 4},
                                {st::processing, st::cancelled, "cancelled by the client", 5}}));
  for (size_t i = 1; i < events.size(); ++i)
    EXPECT_LE(events[i - 1].at, events[i].at);
  EXPECT_EQ(events[0].at.size(), std::string{"2026-12-06T10:00:00.000Z"}.size());
}

TEST_F(requests, the_history_keeps_the_newest_hundred_changes) {
  auto row = insert_request(c, sample()).row;
  request_state s;
  for (int v = 0; v < 130; ++v) {
    s.status = v % 2 == 0 ? gp::request_status::processing : gp::request_status::pending;
    ASSERT_TRUE(save_request_state(c, row.request_id, v, s));
  }
  auto events = read_request_events(c, row.request_id);
  ASSERT_EQ(events.size(), 100u);
  EXPECT_EQ(events.front().state_version, 31);
  EXPECT_EQ(events.back().state_version, 130);
  // A request's history goes with it.
  pqxx::work tx{c};
  tx.exec0("DELETE FROM app.jobs WHERE platform_request_id = " + tx.quote(row.request_id));
  tx.exec0("DELETE FROM platform.requests WHERE request_id = " + tx.quote(row.request_id));
  tx.commit();
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.request_events"), 0);
}
