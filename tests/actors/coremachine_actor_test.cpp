// The coremachine under CAF's deterministic scheduler, without task workers, its pool a strict
// mock (jobs in a map) that fails the test on any operation it does not expect: submissions are
// validated before the database, created under their derived id, and answered as created or
// found; watchers hear a looked-up job's state, a fresh watch waits for events without a look,
// events reach every watcher until the job ends, and a cancel tells them. The refreshes run on
// the actor clock: they double up to their maximum, and a fresh watch hears "unknown" only at the
// first refresh after the first-job deadline.
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/coremachine.hpp"
#include "io/jobs/registry.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct mock_db {
  /// Jobs that exist, by id.
  std::map<std::string, gp::persistence::job_state> jobs;
  std::vector<gp::db::create_job> created;
  std::vector<std::vector<std::string>> looks;
  std::vector<std::string> cancels;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<mock_db> db) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [db](const gp::db::create_job& op) -> caf::result<gp::job_submission> {
      db->created.push_back(op);
      auto [at, added] = db->jobs.try_emplace(op.job.job_id);
      if (added)
        at->second = {op.job.job_id, gp::job_status::queued, 1, {}, {}};
      return gp::job_submission{op.job.job_id, added, at->second.status};
    },
    [db](const gp::db::job_states& op) -> caf::result<gp::db::job_states::result> {
      db->looks.push_back(op.job_ids);
      gp::db::job_states::result out;
      for (const auto& id : op.job_ids)
        if (auto i = db->jobs.find(id); i != db->jobs.end())
          out.states.push_back(i->second);
      return out;
    },
    [db](const gp::db::cancel_job& op) -> caf::result<bool> {
      db->cancels.push_back(op.job_id);
      auto i = db->jobs.find(op.job_id);
      if (i == db->jobs.end() || i->second.status != "processing")
        return false;
      i->second.status = gp::job_status::cancelled;
      return true;
    },
  };
}

/// Stands in for a request actor: watches as told and keeps the events it hears.
caf::behavior watcher(caf::event_based_actor* self, gp::coremachine_actor core,
                      std::shared_ptr<std::vector<gp::job_event>> heard) {
  return {
    [=](gp::watch_atom, const std::string& job_id, bool fresh) {
      self->send(core, gp::watch_atom_v, job_id, fresh);
    },
    [=](gp::job_event_atom, const gp::job_event& ev) { heard->push_back(ev); },
  };
}

struct coremachine_actor : gp::test::deterministic {
  std::shared_ptr<mock_db> db = std::make_shared<mock_db>();
  gp::coremachine_actor core;
  caf::actor probe;
  std::shared_ptr<std::vector<gp::job_event>> heard =
    std::make_shared<std::vector<gp::job_event>>();

  void SetUp() override {
    gp::engine_options opts;
    opts.node_id = "node-a";
    opts.workers = 0;  // no detached task workers: the engine alone
    auto pool = caf::actor_cast<gp::db_pool_actor>(sys->spawn(mock_pool, db));
    core = gp::spawn_coremachine(*sys, pool, opts, gp::io::jobs::builtin_registry());
    probe = sys->spawn(watcher, core, heard);
    run();
  }

  void TearDown() override {
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(core, caf::exit_reason::user_shutdown);
    run();
    core = nullptr;
    probe = nullptr;
  }

  template <class... Ts>
  caf::expected<gp::job_submission> submit(Ts... xs) {
    return ask<gp::job_submission>(core, gp::submit_atom_v, std::string{xs}...);
  }

  void watch(const std::string& job_id, bool fresh) {
    caf::anon_send(probe, gp::watch_atom_v, job_id, fresh);
    run();
  }

  void event(gp::job_event ev) {
    caf::anon_send(core, gp::job_event_atom_v, std::move(ev));
    run();
  }

  gp::status_report status() { return status_of(core); }
};

}  // namespace

TEST_F(coremachine_actor, parameters_that_are_not_json_are_refused_before_the_database) {
  auto s = submit("hello_world", "{not json", "");
  ASSERT_FALSE(s);
  EXPECT_TRUE(gp::is(s.error(), gp::errc::invalid_input));
  EXPECT_EQ(gp::error_detail(s.error()), "parameters are not valid JSON");
  EXPECT_TRUE(db->created.empty());
}

TEST_F(coremachine_actor, parameters_the_job_type_refuses_name_the_field) {
  auto s = submit("fail", R"({"mode": "sometimes"})", "");
  ASSERT_FALSE(s);
  EXPECT_TRUE(gp::is(s.error(), gp::errc::invalid_input));
  EXPECT_NE(gp::error_detail(s.error()).find("mode: must be transient or permanent"),
            std::string::npos)
    << gp::error_detail(s.error());
  EXPECT_TRUE(db->created.empty());
}

TEST_F(coremachine_actor, a_job_is_created_under_the_id_of_its_type_and_parameters_once) {
  auto first = submit("hello_world", R"({"n": 2})", "");
  ASSERT_TRUE(first) << sys->render(first.error());
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->job_id, gp::io::jobs::job_id_for("hello_world", nlohmann::json{{"n", 2}}));
  ASSERT_EQ(db->created.size(), 1u);
  EXPECT_EQ(db->created[0].job.job_type, "hello_world");
  EXPECT_EQ(db->created[0].job.total_stages, 2);
  auto again = submit("hello_world", R"({"n": 2})", "");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job_id, first->job_id);
  EXPECT_EQ(status().details["jobs_created"], "1");
}

TEST_F(coremachine_actor, a_requests_job_keeps_the_id_and_request_it_was_given) {
  std::string id(64, 'a');
  std::string request(32, 'b');
  auto s = submit(id, "noop", "{}", request);
  ASSERT_TRUE(s) << sys->render(s.error());
  EXPECT_EQ(s->job_id, id);
  ASSERT_EQ(db->created.size(), 1u);
  EXPECT_EQ(db->created[0].job.job_id, id);
  EXPECT_EQ(db->created[0].job.platform_request_id, request);
}

TEST_F(coremachine_actor, a_watch_looks_the_job_up_and_tells_a_running_one_at_once) {
  db->jobs["j1"] = {"j1", gp::job_status::processing, 2, {}, {}};
  watch("j1", false);
  ASSERT_EQ(db->looks.size(), 1u);
  EXPECT_EQ(db->looks[0], std::vector<std::string>{"j1"});
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "processing");
  EXPECT_EQ((*heard)[0].stage, 2);
}

TEST_F(coremachine_actor, a_watch_of_an_ended_job_hears_its_end_and_nothing_after) {
  db->jobs["j1"] = {"j1", gp::job_status::failed, 1, "no_geometry", "the layer has no geometry"};
  watch("j1", false);
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "failed");
  EXPECT_EQ((*heard)[0].error_code, "no_geometry");
  event({"j1", gp::job_status::processing, 1, false, {}, {}});
  EXPECT_EQ(heard->size(), 1u);
  EXPECT_EQ(status().details["watched_jobs"], "0");
}

TEST_F(coremachine_actor, a_watch_of_a_missing_job_hears_unknown) {
  watch("nope", false);
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "unknown");
  EXPECT_EQ(status().details["watched_jobs"], "0");
}

TEST_F(coremachine_actor, a_fresh_watch_needs_no_look_and_hears_the_events_until_the_end) {
  watch("j2", true);
  EXPECT_TRUE(db->looks.empty());
  EXPECT_TRUE(heard->empty());
  event({"j2", gp::job_status::processing, 1, false, {}, {}});
  event({"j2", gp::job_status::completed, 1, false, {}, {}});
  event({"j2", gp::job_status::processing, 1, false, {}, {}});  // after its end: nobody watches it any more
  ASSERT_EQ(heard->size(), 2u);
  EXPECT_EQ((*heard)[0].status, "processing");
  EXPECT_EQ((*heard)[1].status, "completed");
  EXPECT_EQ(status().details["end_events"], "1");
}

TEST_F(coremachine_actor, a_fresh_watch_after_the_job_ended_hears_its_end_at_once) {
  event({"j3", gp::job_status::completed, 2, false, {}, {}});  // a claim on this node ran it before the watch
  watch("j3", true);
  EXPECT_TRUE(db->looks.empty());
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "completed");
  EXPECT_EQ((*heard)[0].stage, 2);
}

TEST_F(coremachine_actor, a_cancel_tells_the_watchers_and_answers_whether_it_cancelled) {
  db->jobs["j4"] = {"j4", gp::job_status::processing, 1, {}, {}};
  watch("j4", true);
  auto answer = ask<bool>(core, gp::cancel_atom_v, std::string{"j4"});
  ASSERT_TRUE(answer) << sys->render(answer.error());
  EXPECT_TRUE(*answer);
  EXPECT_EQ(db->cancels, std::vector<std::string>{"j4"});
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "cancelled");
  // An ended job is not cancelled again: false, and nobody is told.
  answer = ask<bool>(core, gp::cancel_atom_v, std::string{"j4"});
  ASSERT_TRUE(answer) << sys->render(answer.error());
  EXPECT_FALSE(*answer);
  EXPECT_EQ(heard->size(), 1u);
}

namespace {

/// How many looks asked for `id`.
size_t looks_for(const mock_db& db, const std::string& id) {
  size_t n = 0;
  for (const auto& l : db.looks)
    n += static_cast<size_t>(std::count(l.begin(), l.end(), id));
  return n;
}

}  // namespace

TEST_F(coremachine_actor, a_fresh_watch_hears_unknown_only_at_the_first_refresh_after_the_deadline) {
  // Defaults: refreshes 30 s after the watch, then 60, 120, 240 s apart; the first-job deadline
  // is 450 s, which the fourth refresh reaches.
  const std::string id(64, 'f');
  watch(id, true);
  EXPECT_EQ(looks_for(*db, id), 0u);  // fresh: no look at once
  after(30s);
  EXPECT_EQ(looks_for(*db, id), 1u);
  after(60s);
  after(120s);
  EXPECT_EQ(looks_for(*db, id), 3u);
  after(239s);  // 449 s after the watch
  EXPECT_TRUE(heard->empty());
  after(1s);
  EXPECT_EQ(looks_for(*db, id), 4u);
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "unknown");
  // Dropped: no further look, nothing more heard.
  after(1200s);
  EXPECT_EQ(looks_for(*db, id), 4u);
  EXPECT_EQ(heard->size(), 1u);
}

TEST_F(coremachine_actor, a_fresh_watch_whose_job_a_claim_made_meanwhile_hears_it_at_the_next_refresh) {
  const std::string id(64, 'e');
  watch(id, true);
  after(30s);
  db->jobs[id] = {id, gp::job_status::processing, 1, {}, {}};  // made by another node's claim
  after(59s);
  EXPECT_TRUE(heard->empty());
  after(1s);
  ASSERT_EQ(heard->size(), 1u);
  EXPECT_EQ((*heard)[0].status, "processing");
}

TEST_F(coremachine_actor, refreshes_of_a_watched_job_double_up_to_the_maximum) {
  const std::string id(64, 'd');
  db->jobs[id] = {id, gp::job_status::processing, 1, {}, {}};
  watch(id, false);
  EXPECT_EQ(looks_for(*db, id), 1u);  // at once
  // 30, 60, 120, 240, 480 s apart, then the 600 s maximum.
  for (auto pause : {30s, 60s, 120s, 240s, 480s, 600s, 600s}) {
    auto before = looks_for(*db, id);
    after(pause - 1s);
    EXPECT_EQ(looks_for(*db, id), before) << pause.count();
    after(1s);
    EXPECT_EQ(looks_for(*db, id), before + 1) << pause.count();
  }
  // Ended on another node: the next refresh tells the watcher, and the chain stops.
  db->jobs[id].status = gp::job_status::completed;
  after(600s);
  EXPECT_EQ(heard->back().status, "completed");
  auto looks = looks_for(*db, id);
  after(1200s);
  EXPECT_EQ(looks_for(*db, id), looks);
}
