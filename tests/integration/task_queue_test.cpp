// The durable queue against a real PostgreSQL, with the built-in job library as planner.
#include "tests/status_words.hpp"
#include "persistence/task_queue.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/coremachine.hpp"
#include "io/jobs/registry.hpp"
#include "messages/failure_codes.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

struct task_queue : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};
  stage_planner plan = gp::planner_for(gp::io::jobs::builtin_registry());

  void SetUp() override { migrate(c, embedded_migrations()); }

  std::string create(const std::string& type, json params) {
    auto errors = gp::io::jobs::validate_job(gp::io::jobs::builtin_registry(), type, params);
    EXPECT_TRUE(errors.empty());
    new_job j;
    j.job_type = type;
    j.params_json = params.dump();
    j.job_id = gp::io::jobs::job_id_for(type, params);
    j.total_stages =
      static_cast<int>(gp::io::jobs::builtin_registry().job(type)->stages.size());
    EXPECT_TRUE(create_job(c, j, plan));
    return j.job_id;
  }

  job_row job(const std::string& id) { return *find_job(c, id); }

  int64_t scalar(const std::string& sql) {
    pqxx::nontransaction tx{c};
    return tx.exec1(sql)[0].as<int64_t>();
  }
};

}  // namespace

TEST_F(task_queue, fan_out_results_arrive_in_the_fan_in_task) {
  auto id = create("hello_world", {{"n", 3}});
  auto greets = claim_tasks(c, "n1", 10, 30s);
  ASSERT_EQ(greets.size(), 3u);
  EXPECT_EQ(job(id).status, "processing");
  for (auto& t : greets) {
    auto out = complete_task(c, t, "n1",
                             json{{"greeting", "hi " + std::to_string(t.task_index)}}.dump(), plan);
    EXPECT_TRUE(out.recorded);
  }
  EXPECT_EQ(job(id).stage, 2);
  auto fan_in = claim_tasks(c, "n1", 10, 30s);
  ASSERT_EQ(fan_in.size(), 1u);
  auto params = json::parse(fan_in[0].params_json);
  ASSERT_EQ(params["results"].size(), 3u);
  EXPECT_EQ(params["results"][2]["greeting"], "hi 2");
  auto out = complete_task(c, fan_in[0], "n1", R"({"count":3})", plan);
  EXPECT_EQ(out.job_status, "completed");
  auto done = job(id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(json::parse(done.result_json)["count"], 3);
}

TEST_F(task_queue, a_stage_without_tasks_advances_at_once) {
  auto id = create("hello_world", {{"n", 0}});
  auto j = job(id);
  EXPECT_EQ(j.stage, 2);
  auto fan_in = claim_tasks(c, "n1", 10, 30s);
  ASSERT_EQ(fan_in.size(), 1u);
  EXPECT_EQ(json::parse(fan_in[0].params_json)["results"], json::array());
}

TEST_F(task_queue, a_job_without_any_task_completes_at_creation) {
  auto id = create("noop", {{"tasks", 0}});
  EXPECT_EQ(job(id).status, "completed");
}

TEST_F(task_queue, the_same_job_is_created_once) {
  auto id = create("noop", {{"tasks", 2}});
  new_job again{id, "noop", json{{"tasks", 2}}.dump(), 1, ""};
  EXPECT_FALSE(create_job(c, again, plan));
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks"), 2);
}

TEST_F(task_queue, the_last_two_tasks_finishing_together_advance_the_stage_once) {
  for (int round = 0; round < 40; ++round) {
    auto id = create("hello_world", {{"n", 2}, {"tag", std::to_string(round)}});
    auto tasks = claim_tasks(c, "n1", 2, 30s);
    ASSERT_EQ(tasks.size(), 2u);
    std::atomic<int> ready{0};
    std::atomic<int> advanced{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 2; ++k)
      threads.emplace_back([&, k] {
        pqxx::connection own{db.url()};
        ++ready;
        while (ready < 2)
          std::this_thread::yield();
        auto out = complete_task(own, tasks[static_cast<size_t>(k)], "n1",
                                 R"({"greeting":"g"})", plan);
        if (out.advanced)
          ++advanced;
      });
    for (auto& t : threads)
      t.join();
    EXPECT_EQ(advanced.load(), 1) << "round " << round;
    EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE job_id = '" + id + "' AND stage = 2"),
              1)
      << "round " << round;
    EXPECT_EQ(job(id).stage, 2);
    auto fan_in = claim_tasks(c, "n1", 1, 30s);
    ASSERT_EQ(fan_in.size(), 1u);
    complete_task(c, fan_in[0], "n1", "{}", plan);
  }
}

TEST_F(task_queue, an_older_jobs_next_stage_is_claimed_before_a_younger_jobs_first) {
  auto older = create("hello_world", {{"n", 1}, {"tag", "older"}});
  auto greet = claim_tasks(c, "n1", 1, 30s);
  ASSERT_EQ(greet.size(), 1u);
  auto younger = create("hello_world", {{"n", 1}, {"tag", "younger"}});
  // The older job's second stage is written after the younger job's first, and still goes first.
  complete_task(c, greet[0], "n1", R"({"greeting":"hi"})", plan);
  auto next = claim_tasks(c, "n1", 1, 30s);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job_id, older);
  EXPECT_EQ(next[0].stage, 2);
  next = claim_tasks(c, "n1", 1, 30s);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job_id, younger);
}

TEST_F(task_queue, a_transient_failure_is_retried_after_its_backoff) {
  auto id = create("fail", {{"succeed_on_attempt", 2}});
  auto first = claim_tasks(c, "n1", 1, 30s);
  ASSERT_EQ(first.size(), 1u);
  auto out = fail_task(c, first[0], "n1", false, "flaky", "try again", 300ms);
  EXPECT_TRUE(out.retrying);
  EXPECT_TRUE(claim_tasks(c, "n1", 1, 30s).empty());  // not due yet
  std::this_thread::sleep_for(400ms);
  auto second = claim_tasks(c, "n1", 1, 30s);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, 2);
  EXPECT_EQ(complete_task(c, second[0], "n1", "{}", plan).job_status, "completed");
}

TEST_F(task_queue, exhausted_retries_fail_the_job_with_the_handlers_message) {
  auto id = create("fail", json::object());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto t = claim_tasks(c, "n1", 1, 30s);
    ASSERT_EQ(t.size(), 1u) << attempt;
    auto out = fail_task(c, t[0], "n1", false, "flaky", "attempt " + std::to_string(attempt), 0ms);
    EXPECT_EQ(out.retrying, attempt < 3);
  }
  auto j = job(id);
  EXPECT_EQ(j.status, "failed");
  auto err = json::parse(j.error_json);
  EXPECT_EQ(err["code"], "flaky");
  EXPECT_EQ(err["message"], "attempt 3");
}

TEST_F(task_queue, a_permanent_failure_is_not_retried) {
  auto id = create("fail", {{"mode", "permanent"}});
  auto t = claim_tasks(c, "n1", 1, 30s);
  auto out = fail_task(c, t[0], "n1", true, "bad_input", "no", 0ms);
  EXPECT_FALSE(out.retrying);
  EXPECT_EQ(job(id).status, "failed");
  EXPECT_EQ(scalar("SELECT attempts FROM app.tasks"), 1);
  EXPECT_TRUE(claim_tasks(c, "n1", 1, 30s).empty());
}

TEST_F(task_queue, a_failed_job_is_reset_in_place_not_duplicated) {
  auto id = create("hello_world", {{"n", 2}});
  auto tasks = claim_tasks(c, "n1", 2, 30s);
  ASSERT_EQ(tasks.size(), 2u);
  complete_task(c, tasks[0], "n1", R"({"greeting":"a"})", plan);
  fail_task(c, tasks[1], "n1", true, "bad_input", "broken", 0ms);
  ASSERT_EQ(job(id).status, "failed");
  EXPECT_FALSE(reset_failed_job(c, "0000"));
  ASSERT_TRUE(reset_failed_job(c, id));
  EXPECT_FALSE(reset_failed_job(c, id));  // no longer failed
  auto again = claim_tasks(c, "n1", 5, 30s);
  ASSERT_EQ(again.size(), 1u);  // only the failed task runs again
  EXPECT_EQ(again[0].task_id, tasks[1].task_id);
  EXPECT_EQ(again[0].attempt, 1);
  complete_task(c, again[0], "n1", R"({"greeting":"b"})", plan);
  auto fan_in = claim_tasks(c, "n1", 5, 30s);
  ASSERT_EQ(fan_in.size(), 1u);
  complete_task(c, fan_in[0], "n1", "{}", plan);
  EXPECT_EQ(job(id).status, "completed");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks"), 3);
}

TEST_F(task_queue, a_later_stage_failed_for_its_source_starts_again_from_the_first) {
  // hello_world: stage 1 greets (one task here), stage 2 gathers the greetings.
  for (const char* code : {"no_features", "source_changed", "timeout", "invalid_result"}) {
    {
      pqxx::work tx{c};
      tx.exec0("DELETE FROM app.jobs");
      tx.commit();
    }
    auto id = create("hello_world", {{"n", 1}});
    auto first = claim_tasks(c, "n1", 1, 30s);
    ASSERT_EQ(first.size(), 1u);
    complete_task(c, first[0], "n1", R"({"greeting":"a"})", plan);
    auto fan_in = claim_tasks(c, "n1", 1, 30s);
    ASSERT_EQ(fan_in.size(), 1u);
    ASSERT_EQ(fan_in[0].stage, 2);
    fail_task(c, fan_in[0], "n1", true, code, "broken", 0ms);
    ASSERT_EQ(job(id).status, "failed");
    ASSERT_TRUE(reset_failed_job(c, id));
    auto again = claim_tasks(c, "n1", 5, 30s);
    ASSERT_EQ(again.size(), 1u) << code;
    if (!gp::source_failure(code)) {
      // Not about the source (retryable, or about the platform): the failed stage runs again,
      // what the first stage found is kept.
      EXPECT_EQ(again[0].task_id, fan_in[0].task_id);
      EXPECT_EQ(job(id).stage, 2);
    } else {
      // About the source: read again from the start; the later stage is planned anew.
      EXPECT_EQ(again[0].task_id, first[0].task_id) << code;
      EXPECT_EQ(again[0].stage, 1);
      EXPECT_EQ(job(id).stage, 1);
      EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks"), 1);
      complete_task(c, again[0], "n1", R"({"greeting":"b"})", plan);
      auto gathered = claim_tasks(c, "n1", 5, 30s);
      ASSERT_EQ(gathered.size(), 1u);
      EXPECT_EQ(gathered[0].stage, 2);
      EXPECT_EQ(gathered[0].attempt, 1);
      // The stage-2 task was planned from the new run's results only.
      EXPECT_EQ(scalar("SELECT jsonb_array_length(stage_results) FROM app.jobs"), 1);
    }
    EXPECT_EQ(again[0].attempt, 1);
  }
}

TEST_F(task_queue, a_lapsed_lease_is_claimed_again_and_fences_the_old_holder) {
  create("noop", {{"tasks", 1}});
  auto first = claim_tasks(c, "dead-node", 1, 200ms);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(claim_tasks(c, "n2", 1, 30s).empty());
  std::this_thread::sleep_for(300ms);
  auto second = claim_tasks(c, "n2", 1, 30s);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempt, 2);
  EXPECT_FALSE(complete_task(c, first[0], "dead-node", "{}", plan).recorded);
  EXPECT_TRUE(complete_task(c, second[0], "n2", "{}", plan).recorded);
}

TEST_F(task_queue, a_lost_claim_is_not_renewed) {
  create("noop", {{"tasks", 1}});
  auto first = claim_tasks(c, "n1", 1, 100ms);
  std::this_thread::sleep_for(200ms);
  auto second = claim_tasks(c, "n1", 1, 30s);  // the same node, another worker
  ASSERT_EQ(second.size(), 1u);
  auto r = renew_leases(c, "n1", {{first[0].task_id, first[0].attempt}}, 30s);
  EXPECT_TRUE(r.renewed.empty());
  EXPECT_EQ(renew_leases(c, "n1", {{second[0].task_id, second[0].attempt}}, 30s).renewed.size(),
            1u);
}

TEST_F(task_queue, renewing_keeps_a_lease_alive) {
  create("noop", {{"tasks", 1}});
  auto t = claim_tasks(c, "n1", 1, 300ms);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(150ms);
    auto r = renew_leases(c, "n1", {{t[0].task_id, t[0].attempt}}, 300ms);
    EXPECT_EQ(r.renewed, std::vector<int64_t>{t[0].task_id});
    EXPECT_TRUE(r.job_stopped.empty());
  }
  EXPECT_TRUE(claim_tasks(c, "n2", 1, 30s).empty());
  EXPECT_TRUE(complete_task(c, t[0], "n1", "{}", plan).recorded);
}

TEST_F(task_queue, cancelling_stops_waiting_tasks_and_flags_running_ones) {
  auto id = create("noop", {{"tasks", 3}});
  auto running = claim_tasks(c, "n1", 1, 30s);
  ASSERT_TRUE(cancel_job(c, id));
  EXPECT_FALSE(cancel_job(c, id));
  EXPECT_EQ(job(id).status, "cancelled");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE status = 'cancelled'"), 2);
  EXPECT_EQ(renew_leases(c, "n1", {{running[0].task_id, running[0].attempt}}, 30s).job_stopped,
            std::vector<int64_t>{running[0].task_id});
  EXPECT_TRUE(claim_tasks(c, "n2", 10, 30s).empty());
  // Its late completion is recorded but the cancelled job does not move.
  complete_task(c, running[0], "n1", "{}", plan);
  EXPECT_EQ(job(id).status, "cancelled");
}

TEST_F(task_queue, a_task_failing_after_its_job_was_cancelled_ends_with_it) {
  auto id = create("fail", json::object());
  auto t = claim_tasks(c, "n1", 1, 30s);
  ASSERT_TRUE(cancel_job(c, id));
  auto out = fail_task(c, t[0], "n1", false, "flaky", "late", 0ms);
  EXPECT_TRUE(out.recorded);
  EXPECT_FALSE(out.retrying);
  EXPECT_EQ(out.job_status, "cancelled");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE status = 'cancelled'"), 1);
  EXPECT_TRUE(claim_tasks(c, "n1", 1, 30s).empty());
}

TEST_F(task_queue, released_claims_wait_again_without_spending_an_attempt) {
  create("noop", {{"tasks", 2}});
  auto t = claim_tasks(c, "n1", 2, 30s);
  ASSERT_EQ(t.size(), 2u);
  release_tasks(c, "n1", t);
  auto again = claim_tasks(c, "n2", 2, 30s);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].attempt, 1);
}

TEST_F(task_queue, a_claim_handed_back_after_its_job_was_cancelled_is_cancelled) {
  auto id = create("noop", {{"tasks", 1}});
  auto t = claim_tasks(c, "n1", 1, 30s);
  ASSERT_TRUE(cancel_job(c, id));
  release_tasks(c, "n1", t);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE status = 'cancelled'"), 1);
}

TEST_F(task_queue, a_failure_after_another_task_failed_the_job_ends_with_it) {
  auto id = create("noop", {{"tasks", 2}});
  auto t = claim_tasks(c, "n1", 2, 30s);
  auto first = fail_task(c, t[0], "n1", true, "bad_input", "first", 0ms);
  EXPECT_EQ(first.job_error_code, "bad_input");
  auto out = fail_task(c, t[1], "n1", false, "flaky", "second", 0ms);
  EXPECT_TRUE(out.ended_with_job);
  EXPECT_EQ(out.job_status, "failed");
  EXPECT_EQ(json::parse(job(id).error_json)["message"], "first");
  // Its report names the job's cause, not its own.
  EXPECT_EQ(out.job_error_code, "bad_input");
  EXPECT_EQ(out.job_error_message, "first");
}

TEST_F(task_queue, a_success_recorded_after_another_task_failed_the_job_names_the_jobs_cause) {
  // Two tasks of one stage on two workers: one fails the job, the other's success is recorded
  // after it. The success's report must carry the job's cause: its watchers may hear it first.
  auto id = create("noop", {{"tasks", 2}});
  auto t = claim_tasks(c, "n1", 2, 30s);
  fail_task(c, t[0], "n1", true, "not_georeferenced", "rgb_logo.tif has no georeferencing", 0ms);
  auto out = complete_task(c, t[1], "n1", "{}", plan);
  EXPECT_EQ(out.job_status, "failed");
  EXPECT_EQ(out.job_error_code, "not_georeferenced");
  EXPECT_EQ(out.job_error_message, "rgb_logo.tif has no georeferencing");
  EXPECT_EQ(job(id).status, "failed");
}

TEST_F(task_queue, a_large_fan_out_is_inserted_at_once) {
  auto id = create("noop", {{"tasks", 20000}});
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE job_id = '" + id + "'"), 20000);
  EXPECT_EQ(scalar("SELECT max(task_index) FROM app.tasks"), 19999);
}

TEST_F(task_queue, jobs_are_listed_newest_first_with_a_cursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(create("noop", {{"tasks", 0}, {"tag", std::to_string(i)}}));
    std::this_thread::sleep_for(5ms);
  }
  auto page1 = list_jobs(c, "", 3, "");
  ASSERT_EQ(page1.size(), 3u);
  EXPECT_EQ(page1[0].job_id, ids[4]);
  auto page2 = list_jobs(c, "", 3, page1[2].job_id);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[1].job_id, ids[0]);
  EXPECT_EQ(list_jobs(c, "failed", 10, "").size(), 0u);
  EXPECT_EQ(list_jobs(c, "completed", 10, "").size(), 5u);
}

TEST(engine, retry_backoff_doubles_with_jitter_and_a_cap) {
  gp::engine_options o;
  o.retry_base = 1000ms;
  o.retry_max = 5000ms;
  EXPECT_EQ(gp::retry_backoff(o, 1, 1.0), 1000ms);
  EXPECT_EQ(gp::retry_backoff(o, 1, 0.0), 500ms);
  EXPECT_EQ(gp::retry_backoff(o, 3, 1.0), 4000ms);
  EXPECT_EQ(gp::retry_backoff(o, 10, 1.0), 5000ms);
}
