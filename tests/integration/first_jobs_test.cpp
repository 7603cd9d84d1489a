// A request's first job is created by the first claim that finds the request
// (platform.requests.first_job_planned = false), against a real PostgreSQL: once, with its first
// tasks, never for an ended request, and a planning failure fails that job only.
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/status_words.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/http/submit_codec.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "persistence/requests.hpp"
#include "persistence/task_queue.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using namespace std::chrono_literals;

namespace {

/// "plain": one task with the job's parameters; "split": two tasks of their own; "empty": none
/// (the job ends as it is planned). Throws for parameters naming "boom".
stage_planner test_planner() {
  return [](const std::string& type, const std::string& params, int, const std::string&) {
    if (params.find("boom") != std::string::npos)
      throw std::runtime_error("no such parameter: boom");
    std::vector<new_task> out;
    if (type == "plain")
      out.push_back({"plain_task", params, 2});
    else if (type == "split")
      out = {{"split_task", R"({"part": 0})", 3}, {"split_task", R"({"part": 1})", 3}};
    return out;
  };
}

const std::vector<std::string> all_types = {"plain", "split", "empty"};

/// The first job type of a request of version `version`: its first word ("plain-1" → plain);
/// "boom" (parameters the stage planner rejects), "unmakeable" (parameters that cannot be made)
/// and "nul" (parameters PostgreSQL refuses) are plain.
std::string job_type_of(const std::string& version) {
  auto type = version.substr(0, version.find('-'));
  return type == "split" || type == "empty" ? type : "plain";
}

/// Makes the job the snapshot names (as first_job_planner_of does), of the (request type, job
/// type) pairs given.
first_job_planner test_first_jobs(int* calls = nullptr,
                                  std::vector<std::string> request_types = {"vector", "vector",
                                                                            "vector"},
                                  std::vector<std::string> job_types = {"plain", "split",
                                                                        "empty"}) {
  first_job_planner planner;
  planner.request_types = std::move(request_types);
  planner.job_types = std::move(job_types);
  planner.make = [calls](const gp::request_row& r, std::string& error) {
    if (calls)
      ++*calls;
    auto named = gp::io::requests::decode_snapshot(r.snapshot_json);
    new_job j;
    j.job_id = named.jobs.at(0).job_id;
    j.job_type = named.jobs.at(0).job_type;
    j.platform_request_id = r.request_id;
    j.params_json = R"({"source": "/bronze/ddh/a.gpkg"})";
    if (r.version_id == "boom")
      j.params_json = R"({"boom": true})";
    if (r.version_id == "nul")
      j.params_json = R"({"name": "a\u0000b"})";
    if (r.version_id == "unmakeable")
      error = "the processing_config no longer fits the pipeline";
    return j;
  };
  return planner;
}

struct first_jobs : ::testing::Test {
  gp::test::scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override {
    migrate(c, embedded_migrations());
    ASSERT_TRUE(gp::test::add_client(c));
  }

  /// Inserts an unplanned request of version `version` (as the registry does); returns its id.
  std::string submit(const std::string& version, const std::string& type = "vector") {
    new_request r;
    r.client_id = "ddh";
    r.dataset_id = "d";
    r.resource_id = "r";
    r.version_id = version;
    r.request_id = gp::io::http::request_id_for("ddh", "d", "r", version);
    r.request_type = type;
    r.source_path = "a.gpkg";
    r.first_job_planned = false;
    r.snapshot_json = gp::io::requests::encode_snapshot(
      {0, {{r.request_id + r.request_id, job_type_of(version), gp::job_status::queued, 0, 1}}});
    auto out = insert_requests(c, {r});
    EXPECT_TRUE(out.at(0).created);
    return r.request_id;
  }

  std::vector<claimed_task> claim(int limit, std::vector<job_state>* ended = nullptr,
                                  const std::vector<std::string>& types = all_types,
                                  const std::string& owner = "n1") {
    return claim_tasks(c, owner, limit, 30s, test_planner(), types, test_first_jobs(), ended);
  }

  int64_t scalar(const std::string& sql) {
    pqxx::nontransaction tx{c};
    return tx.exec1(sql)[0].as<int64_t>();
  }
};

}  // namespace

TEST_F(first_jobs, a_submit_writes_no_job_and_the_first_claim_creates_it_with_its_task) {
  auto id = submit("plain-1");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 1);
  // A claimer that makes no first jobs leaves the request alone.
  EXPECT_TRUE(claim_tasks(c, "n0", 10, 30s, test_planner(), all_types).empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 0);
  auto claimed = claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, id + id);
  EXPECT_EQ(claimed[0].task_type, "plain_task");
  EXPECT_EQ(claimed[0].max_attempts, 2);
  EXPECT_EQ(nlohmann::json::parse(claimed[0].params_json),
            nlohmann::json::parse(R"({"source": "/bronze/ddh/a.gpkg"})"));
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE platform_request_id = '" + id +
                   "' AND job_type = 'plain' AND status = 'processing' AND tasks_planned"),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE first_job_planned"), 1);
  // Created once: later claims find no request to plan and write no second job or task.
  int calls = 0;
  EXPECT_TRUE(
    claim_tasks(c, "n2", 10, 30s, test_planner(), all_types, test_first_jobs(&calls)).empty());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks"), 1);
}

TEST_F(first_jobs, claims_create_first_jobs_oldest_first_and_at_most_their_limit) {
  auto first = submit("plain-1");
  auto second = submit("plain-2");
  auto third = submit("plain-3");
  auto one = claim(1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].job_id, first + first);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 2);
  auto two = claim(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].job_id.substr(0, 32) == second || two[1].job_id.substr(0, 32) == second, true);
  EXPECT_EQ(two[0].job_id.substr(0, 32) == third || two[1].job_id.substr(0, 32) == third, true);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 3);
}

TEST_F(first_jobs, a_first_stage_with_tasks_of_its_own_gets_them_in_the_claim) {
  auto id = submit("split-1");
  auto claimed = claim(10);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].task_type, "split_task");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.tasks WHERE job_id = '" + id + id + "'"), 2);
}

TEST_F(first_jobs, a_first_job_that_ends_as_it_is_planned_is_reported) {
  auto id = submit("empty-1");
  std::vector<job_state> ended;
  EXPECT_TRUE(claim(10, &ended).empty());
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].job_id, id + id);
  EXPECT_EQ(ended[0].status, "completed");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE status = 'completed'"), 1);
}

TEST_F(first_jobs, an_ended_request_gets_no_first_job) {
  auto id = submit("plain-1");
  ASSERT_TRUE(cancel_request(c, id).changed);
  EXPECT_TRUE(claim(10).empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 0);
  // Out of the claims' index: no claim looks at it again.
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned "
                   "AND status IN ('pending', 'processing')"),
            0);
}

TEST_F(first_jobs, a_request_held_by_another_transaction_is_skipped_then_planned) {
  auto held = submit("plain-1");
  auto free = submit("plain-2");
  pqxx::connection other{db.url()};
  pqxx::work lock{other};
  lock.exec_params("SELECT 1 FROM platform.requests WHERE request_id = $1 FOR UPDATE", held);
  auto claimed = claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, free + free);
  lock.commit();
  claimed = claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, held + held);
}

TEST_F(first_jobs, a_first_job_that_cannot_be_planned_fails_alone_and_is_reported) {
  auto boom = submit("boom");
  auto unmakeable = submit("unmakeable");
  auto nul = submit("nul");
  auto good = submit("plain-1");
  std::vector<job_state> ended;
  auto claimed = claim(10, &ended);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, good + good);
  std::map<std::string, job_state> by_job;
  for (const auto& e : ended)
    by_job[e.job_id] = e;
  ASSERT_EQ(by_job.size(), 3u);
  // Its first stage could not be planned: the job exists, failed (a retry plans it again).
  EXPECT_EQ(by_job[boom + boom].status, "failed");
  EXPECT_EQ(by_job[boom + boom].error_code, "planning_failed");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE job_id = '" + boom + boom +
                   "' AND status = 'failed' AND error->>'message' LIKE '%boom%'"),
            1);
  // Its parameters could not be made, or PostgreSQL refused them: no job (the request fails;
  // a retry makes them again), and the other requests of the claim are not held up.
  for (const auto& id : {unmakeable, nul}) {
    EXPECT_EQ(by_job[id + id].status, "failed");
    EXPECT_EQ(by_job[id + id].error_code, "invalid_job_parameters");
    EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE job_id = '" + id + id + "'"), 0);
  }
  EXPECT_NE(by_job[unmakeable + unmakeable].error_message.find("no longer fits"),
            std::string::npos);
  EXPECT_NE(by_job[nul + nul].error_message.find("could not be stored"), std::string::npos);
  // None comes back in later claims.
  ended.clear();
  EXPECT_TRUE(claim(10, &ended).empty());
  EXPECT_TRUE(ended.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 0);
}

TEST_F(first_jobs, a_job_the_request_created_itself_is_not_created_again) {
  // The request actor's fallback (no claim made it for minutes) creates the job alone.
  auto id = submit("plain-1");
  new_job job;
  job.job_id = id + id;
  job.job_type = "plain";
  job.params_json = R"({"source": "/bronze/ddh/a.gpkg"})";
  job.platform_request_id = id;
  ASSERT_TRUE(create_job(c, job, test_planner()));
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 0);
  int calls = 0;
  auto claimed =
    claim_tasks(c, "n1", 10, 30s, test_planner(), all_types, test_first_jobs(&calls));
  EXPECT_EQ(calls, 0);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 1);
}

TEST_F(first_jobs, a_first_job_of_a_type_this_node_does_not_know_waits_for_a_node_that_does) {
  auto id = submit("plain-1");
  // Created by a claimer whose library lacks its type, but neither planned nor run there.
  EXPECT_TRUE(claim(10, nullptr, {"split"}, "old").empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE NOT tasks_planned AND status = 'queued'"),
            1);
  auto claimed = claim(10, nullptr, {"plain"}, "new");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, id + id);
}

TEST_F(first_jobs, a_request_whose_first_job_this_node_does_not_make_is_left_to_one_that_does) {
  // Another request type, or a first job other than this node's pipelines start with (the
  // accepting node's pipelines differ): not made here, and not in this node's way.
  auto raster = submit("plain-1", "raster");
  auto split = submit("split-2");
  auto plain = submit("plain-3");
  int calls = 0;
  auto claimed = claim_tasks(c, "n1", 1, 30s, test_planner(), all_types,
                             test_first_jobs(&calls, {"vector"}, {"plain"}));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, plain + plain);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 2);
  claimed = claim_tasks(c, "n2", 10, 30s, test_planner(), all_types,
                        test_first_jobs(nullptr, {"vector", "raster"}, {"split", "plain"}));
  ASSERT_EQ(claimed.size(), 3u);  // the raster request's task and the split job's two
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE job_id IN ('" + raster + raster + "', '" +
                   split + split + "')"),
            2);
}

TEST_F(first_jobs, an_older_requests_next_job_is_claimed_before_a_younger_requests_first) {
  // Requests complete in the order they came: a task is due from its request's creation, so the
  // older request's second job, created last, still goes first.
  auto older = submit("plain-1");
  auto younger = submit("plain-2");
  auto first = claim(1);  // the older request's first job, created and claimed
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].job_id, older + older);
  new_job theirs{younger + younger, "plain", R"({"source": "/bronze/ddh/b.gpkg"})", 1, younger};
  ASSERT_TRUE(create_job(c, theirs, test_planner()));  // the younger's, made by its own actor
  EXPECT_EQ(complete_task(c, first[0], "n1", "{}", test_planner()).job_status, "completed");
  new_job next{std::string(64, 'e'), "plain", R"({"source": "/silver/ddh/a.gpkg"})", 1, older};
  ASSERT_TRUE(create_job(c, next, test_planner()));  // the older request's second job
  auto claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, next.job_id);
  claimed = claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job_id, theirs.job_id);
}
