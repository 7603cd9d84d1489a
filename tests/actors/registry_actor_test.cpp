// The registry under CAF's deterministic scheduler. Its supervisor is a probe made by an injected
// factory, its pool a strict mock over a map of rows, its coremachine a probe, and the request
// actors it is told of are mocks: it resumes live requests page by page; inserts new
// submissions in groups and starts their actors; answers repeats from memory; reads rows for
// requests it does not track; cancels and retries; keeps the newest news of each request; and
// stops an actor reported after its request ended.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/registry.hpp"
#include "io/jobs/pipelines.hpp"
#include "io/jobs/registry.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct world {
  std::map<std::string, gp::request_row> rows;
  /// Rows answered by live_requests (in id order).
  std::vector<gp::request_row> live;
  std::vector<std::pair<std::string, double>> averages;
  int failed_resumes = 0;
  /// Each live_requests read's `after`.
  std::vector<std::string> resumes;
  /// Sizes of the insert groups.
  std::vector<size_t> inserts;
  int row_reads = 0;
  std::vector<std::string> changes;
  /// What the supervisor was asked ("start r" with a row, "fresh r 1" with its named jobs).
  std::vector<std::string> starts;
  /// What the coremachine heard ("work", "cancelled <job>").
  std::vector<std::string> core;
  /// What mock request actors heard ("cancel").
  std::vector<std::string> actor_heard;
};

gp::request_row stored_row(const gp::persistence::new_request& r) {
  gp::request_row row;
  static_cast<gp::request_spec&>(row) = r;
  row.request_id = r.request_id;
  row.snapshot_json = r.snapshot_json;
  row.created_at = "2026-12-06T00:00:00Z";
  return row;
}

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [w](const gp::db::live_requests& op) -> caf::result<gp::db::live_requests::result> {
      w->resumes.push_back(op.after);
      if (w->failed_resumes > 0) {
        --w->failed_resumes;
        return caf::make_error(gp::errc::database_unavailable, std::string{"down"});
      }
      gp::db::live_requests::result out;
      for (const auto& r : w->live)
        if (r.request_id > op.after && static_cast<int>(out.rows.size()) < op.limit)
          out.rows.push_back(r);
      out.averages = w->averages;
      return out;
    },
    [w](const gp::db::insert_request_group& op)
      -> caf::result<gp::db::insert_request_group::result> {
      w->inserts.push_back(op.rows.size());
      gp::db::insert_request_group::result out;
      for (const auto& r : op.rows) {
        auto [at, created] = w->rows.emplace(r.request_id, stored_row(r));
        out.outcomes.push_back({created, at->second});
      }
      return out;
    },
    [w](const gp::db::find_request& op) -> caf::result<gp::db::find_request::result> {
      ++w->row_reads;
      auto i = w->rows.find(op.request_id);
      if (i == w->rows.end())
        return gp::db::find_request::result{};
      return gp::db::find_request::result{i->second};
    },
    [w](const gp::db::change_request& op) -> caf::result<gp::db::change_request::result> {
      using result = gp::db::change_request::result;
      bool cancel = op.kind == gp::db::change_request::cancel;
      w->changes.push_back(std::string{cancel ? "cancel " : "retry "} + op.request_id);
      auto i = w->rows.find(op.request_id);
      if (i == w->rows.end() || (!op.client_id.empty() && i->second.client_id != op.client_id))
        return result{};
      auto& row = i->second;
      bool allowed = cancel ? !gp::is_terminal(row.status) : row.status == gp::request_status::failed;
      if (!allowed)
        return result{result::refused, row};
      row.status = cancel ? gp::request_status::cancelled : gp::request_status::processing;
      ++row.state_version;
      return result{result::changed, row};
    },
  };
}

caf::behavior supervisor_probe(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the supervisor probe");
  return {
    [w](gp::start_atom, const gp::request_row& row) { w->starts.push_back("start " + row.request_id); },
    [w](gp::start_atom, const gp::fresh_request& f) {
      w->starts.push_back("fresh " + f.row.request_id + " " + std::to_string(f.jobs.size()));
    },
  };
}

caf::behavior coremachine_probe(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the coremachine probe");
  return {
    [w](gp::work_atom) { w->core.push_back("work"); },
    [w](gp::job_event_atom, const gp::job_event& ev) {
      w->core.push_back(gp::to_string(ev.status) + " " + ev.job_id);
    },
  };
}

/// A request actor that answers its view and records a cancel.
caf::behavior mock_request(caf::event_based_actor* self, std::shared_ptr<world> w,
                           gp::request_view v) {
  gp::test::fail_on_unexpected(self, "a mock request actor");
  return {
    [v](gp::query_atom) { return v; },
    [w](gp::cancel_atom) { w->actor_heard.push_back("cancel"); },
  };
}

const char* one_step = R"({"vector": [{"step": "a", "job": "noop", "params": {"tasks": 0}}]})";

struct registry_actor : gp::test::deterministic {
  std::shared_ptr<world> w = std::make_shared<world>();
  caf::actor pool, core, supervisor;
  gp::registry_actor reg;
  std::vector<caf::actor> requests;
  gp::registry_options opts;

  void SetUp() override {
    pool = sys->spawn(mock_pool, w);
    core = sys->spawn(coremachine_probe, w);
    opts.node_id = "n1";
    opts.rehydrate_page = 2;
    opts.db_timeout = 5s;
  }

  void start() {
    gp::request_options r;
    r.pool = caf::actor_cast<gp::db_pool_actor>(pool);
    r.coremachine = caf::actor_cast<gp::coremachine_actor>(core);
    r.jobs = &gp::io::jobs::builtin_registry();
    r.pipelines = gp::io::jobs::parse_pipelines(one_step, *r.jobs);
    auto world = w;
    auto* sup = &supervisor;
    opts.make_supervisor = [world, sup](caf::actor_system& sys,
                                        std::shared_ptr<const gp::request_options>,
                                        gp::supervisor_options) {
      *sup = sys.spawn(supervisor_probe, world);
      return caf::actor_cast<gp::request_supervisor_actor>(*sup);
    };
    reg = gp::spawn_registry(*sys, opts, r, {});
    run();
  }

  void TearDown() override {
    if (reg)
      caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
    for (auto* a : {&pool, &core, &supervisor})
      if (*a)
        caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    for (auto& a : requests)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  gp::request_row live_row(const std::string& id, gp::request_status s) {
    gp::request_row r;
    static_cast<gp::request_spec&>(r) = gp::test::sample_spec(id);
    r.request_id = id;
    r.status = s;
    r.state_version = 3;
    r.created_at = "2026-12-06T00:00:00Z";
    return r;
  }

  gp::request_submission submission(const std::string& id, const std::string& source = "a.gpkg") {
    gp::request_submission s;
    static_cast<gp::request_spec&>(s) = gp::test::sample_spec(id, source);
    s.request_id = id;
    // As the edge computes it; equal to the stored row's (io/requests/snapshot_codec).
    gp::request_row as_stored;
    static_cast<gp::request_spec&>(as_stored) = s;
    s.fingerprint = gp::io::requests::stored_fingerprint(as_stored);
    return s;
  }

  caf::expected<gp::submit_answer> submit(const gp::request_submission& s) {
    return ask<gp::submit_answer>(reg, gp::submit_atom_v, s);
  }

  /// Reports a mock actor for `id` as the supervisor would.
  caf::actor report_actor(const std::string& id, gp::request_view v) {
    auto a = sys->spawn(mock_request, w, std::move(v));
    requests.push_back(a);
    caf::anon_send(reg, gp::started_atom_v, id, caf::actor_cast<gp::request_actor>(a));
    run();
    return a;
  }

  gp::request_view view_of_row(const gp::request_row& r) { return gp::io::requests::view_of(r); }
};

using lines = std::vector<std::string>;

}  // namespace

TEST_F(registry_actor, resumes_every_live_request_page_by_page_then_takes_the_averages) {
  w->live = {live_row("r1", gp::request_status::pending), live_row("r2", gp::request_status::processing),
             live_row("r3", gp::request_status::processing)};
  w->averages = {{"vector", 12.0}};
  start();
  EXPECT_EQ(w->resumes, (lines{"", "r2"}));
  EXPECT_EQ(w->starts, (lines{"start r1", "start r2", "start r3"}));
  auto report = status_of(reg);
  EXPECT_EQ(report.state, "running");
  EXPECT_EQ(report.details["known_requests"], "3");
  EXPECT_EQ(report.details["average_seconds_vector"], "12");
}

TEST_F(registry_actor, a_failed_resume_is_tried_again_a_second_later) {
  w->failed_resumes = 1;
  w->live = {live_row("r1", gp::request_status::processing)};
  start();
  EXPECT_EQ(w->resumes, lines{""});
  EXPECT_EQ(status_of(reg).state, "resuming");
  after(999ms);
  EXPECT_TRUE(w->starts.empty());
  after(1ms);
  EXPECT_EQ(w->resumes, (lines{"", ""}));
  EXPECT_EQ(w->starts, lines{"start r1"});
}

TEST_F(registry_actor, a_new_submission_is_inserted_answered_created_and_started_fresh) {
  start();
  auto a = submit(submission("n1"));
  ASSERT_TRUE(a) << sys->render(a.error());
  EXPECT_EQ(a->outcome, gp::submit_answer::created);
  EXPECT_EQ(a->view.status, "pending");
  ASSERT_EQ(a->view.jobs.size(), 1u);  // its first job, named in its snapshot
  EXPECT_EQ(a->view.jobs[0].job_id, gp::io::jobs::request_job_id("n1", 0, "noop"));
  EXPECT_EQ(w->inserts, std::vector<size_t>{1});
  EXPECT_EQ(w->starts, lines{"fresh n1 1"});
  EXPECT_EQ(w->core, lines{"work"});  // a claim creates its first job: the workers are woken
  // The row names the job for that claim.
  auto named = gp::io::requests::decode_snapshot(w->rows.at("n1").snapshot_json);
  ASSERT_EQ(named.jobs.size(), 1u);
  EXPECT_EQ(named.jobs[0].job_id, a->view.jobs[0].job_id);
}

TEST_F(registry_actor, a_repeat_is_answered_from_memory_as_the_same_or_a_conflict) {
  start();
  ASSERT_TRUE(submit(submission("n1")));
  auto same = submit(submission("n1"));
  auto other = submit(submission("n1", "b.gpkg"));
  ASSERT_TRUE(same && other);
  EXPECT_EQ(same->outcome, gp::submit_answer::same);
  EXPECT_EQ(other->outcome, gp::submit_answer::conflict);
  EXPECT_EQ(w->inserts.size(), 1u);  // no database round trip for either
  EXPECT_EQ(w->row_reads, 0);
  EXPECT_EQ(w->starts.size(), 1u);
  auto report = status_of(reg);
  EXPECT_EQ(report.details["repeats"], "1");
  EXPECT_EQ(report.details["conflicts"], "1");
}

TEST_F(registry_actor, identical_submissions_behind_an_insert_share_the_next_one) {
  start();
  // All three arrive before the registry runs: the first leaves in a group of its own, the other
  // two wait for it and then share one insert, which finds the row the first created.
  caf::scoped_actor self{*sys, true};
  std::vector<caf::response_handle<caf::blocking_actor, caf::detail::type_list<gp::submit_answer>, true>> handles;
  for (int i = 0; i < 3; ++i)
    handles.push_back(self->request(reg, caf::infinite, gp::submit_atom_v, submission("n1")));
  run();
  std::vector<int> outcomes;
  for (auto& h : handles)
    h.receive([&](gp::submit_answer& a) { outcomes.push_back(a.outcome); },
              [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(outcomes, (std::vector<int>{gp::submit_answer::created, gp::submit_answer::same,
                                        gp::submit_answer::same}));
  EXPECT_EQ(w->inserts, (std::vector<size_t>{1, 1}));
  EXPECT_EQ(w->starts, lines{"fresh n1 1"});
}

TEST_F(registry_actor, a_live_request_is_asked_through_its_actor) {
  w->live = {live_row("r1", gp::request_status::processing)};
  start();
  auto v = view_of_row(live_row("r1", gp::request_status::processing));
  v.progress_percent = 60;
  report_actor("r1", v);
  auto got = ask<gp::request_view>(reg, gp::query_atom_v, std::string{"r1"}, std::string{"ddh"});
  ASSERT_TRUE(got) << sys->render(got.error());
  EXPECT_EQ(got->progress_percent, 60);
  EXPECT_EQ(w->row_reads, 0);
  // Another client's request does not exist for it.
  auto theirs = ask<gp::request_view>(reg, gp::query_atom_v, std::string{"r1"}, std::string{"other"});
  ASSERT_FALSE(theirs);
  EXPECT_TRUE(gp::is(theirs.error(), gp::errc::not_found));
}

TEST_F(registry_actor, an_untracked_request_is_read_from_its_row) {
  start();
  auto done = live_row("old", gp::request_status::completed);
  w->rows["old"] = done;
  auto got = ask<gp::request_view>(reg, gp::query_atom_v, std::string{"old"}, std::string{});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "completed");
  EXPECT_EQ(w->row_reads, 1);
  // Ended: its view is kept and the next query needs no read.
  ASSERT_TRUE(ask<gp::request_view>(reg, gp::query_atom_v, std::string{"old"}, std::string{}));
  EXPECT_EQ(w->row_reads, 1);
  auto none = ask<gp::request_view>(reg, gp::query_atom_v, std::string{"nope"}, std::string{});
  ASSERT_FALSE(none);
  EXPECT_TRUE(gp::is(none.error(), gp::errc::not_found));
}

TEST_F(registry_actor, a_cancel_tells_the_actor_and_ends_the_requests_jobs) {
  auto row = live_row("r1", gp::request_status::processing);
  row.snapshot_json = gp::io::requests::encode_snapshot({0, {{"j1", "noop", gp::job_status::processing, 1, 1}}});
  w->live = {row};
  w->rows["r1"] = row;
  start();
  report_actor("r1", view_of_row(row));
  auto got = ask<gp::request_view>(reg, gp::cancel_atom_v, std::string{"r1"}, std::string{"ddh"});
  ASSERT_TRUE(got) << sys->render(got.error());
  EXPECT_EQ(got->status, "cancelled");
  EXPECT_EQ(w->actor_heard, lines{"cancel"});
  EXPECT_EQ(w->core, lines{"cancelled j1"});
  // Cancelling again is refused, naming the state and what can be cancelled.
  auto again = ask<gp::request_view>(reg, gp::cancel_atom_v, std::string{"r1"}, std::string{"ddh"});
  ASSERT_FALSE(again);
  EXPECT_TRUE(gp::is(again.error(), gp::errc::conflict));
  EXPECT_EQ(gp::error_detail(again.error()),
            "request r1 is cancelled; only pending or processing requests can be cancelled");
}

TEST_F(registry_actor, a_retry_starts_the_actor_from_the_reopened_row_and_wakes_the_workers) {
  start();
  auto row = live_row("r1", gp::request_status::failed);
  w->rows["r1"] = row;
  auto got = ask<gp::request_view>(reg, gp::retry_atom_v, std::string{"r1"}, std::string{"ddh"});
  ASSERT_TRUE(got) << sys->render(got.error());
  EXPECT_EQ(got->status, "processing");
  EXPECT_EQ(got->state_version, 4);
  EXPECT_EQ(w->starts, lines{"start r1"});
  EXPECT_EQ(w->core, lines{"work"});
  auto live = ask<gp::request_view>(reg, gp::retry_atom_v, std::string{"r1"}, std::string{"ddh"});
  ASSERT_FALSE(live);
  EXPECT_TRUE(gp::is(live.error(), gp::errc::conflict));
}

TEST_F(registry_actor, an_actor_reported_after_its_request_ended_is_stopped) {
  auto row = live_row("r1", gp::request_status::processing);
  w->live = {row};
  start();
  // The request ends (e.g. its actor failed it at once) before the supervisor's report arrives.
  auto ended = view_of_row(live_row("r1", gp::request_status::failed));
  ended.state_version = 4;
  caf::anon_send(reg, gp::ended_atom_v, ended);
  run();
  auto a = report_actor("r1", ended);
  // Stopped, not cancelled: a failed request keeps what it wrote.
  EXPECT_TRUE(w->actor_heard.empty());
  auto q = ask<gp::request_view>(a, gp::query_atom_v);
  EXPECT_FALSE(q);  // it is gone
}

TEST_F(registry_actor, an_actor_reported_after_its_request_was_cancelled_is_told_to_cancel) {
  w->live = {live_row("r1", gp::request_status::processing)};
  start();
  caf::anon_send(reg, gp::moved_atom_v, std::string{"r1"}, gp::request_status::cancelled,
                 int64_t{4});
  run();
  report_actor("r1", view_of_row(live_row("r1", gp::request_status::processing)));
  EXPECT_EQ(w->actor_heard, lines{"cancel"});
}

TEST_F(registry_actor, older_news_of_a_request_never_replaces_newer) {
  start();
  ASSERT_TRUE(submit(submission("n1")));
  caf::anon_send(reg, gp::moved_atom_v, std::string{"n1"}, gp::request_status::processing,
                 int64_t{2});
  caf::anon_send(reg, gp::moved_atom_v, std::string{"n1"}, gp::request_status::pending,
                 int64_t{1});  // late, from before
  run();
  auto a = submit(submission("n1"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->view.status, "processing");
}

TEST_F(registry_actor, a_completed_request_feeds_its_types_average) {
  start();
  auto v = view_of_row(live_row("r1", gp::request_status::completed));
  v.created_at = "2026-12-06T00:00:00Z";
  v.completed_at = "2026-12-06T00:00:30Z";
  caf::anon_send(reg, gp::ended_atom_v, v);
  run();
  EXPECT_EQ(status_of(reg).details["average_seconds_vector"], "30");
}

// A request that ends with a callback_url has its event in the outbox: the dispatcher is told
// at once, not at its next look; one without a callback_url is not news to it.
TEST_F(registry_actor, an_end_with_a_callback_url_wakes_the_webhook_dispatcher) {
  auto heard = std::make_shared<int>(0);
  auto dispatcher = sys->spawn([heard](caf::event_based_actor* self) -> caf::behavior {
    gp::test::fail_on_unexpected(self, "the mock dispatcher");
    return {[heard](gp::work_atom) { ++*heard; }};
  });
  opts.webhooks = caf::actor_cast<gp::webhook_dispatcher_actor>(dispatcher);
  start();
  auto quiet = view_of_row(live_row("r1", gp::request_status::failed));
  caf::anon_send(reg, gp::ended_atom_v, quiet);
  run();
  EXPECT_EQ(*heard, 0);
  auto v = view_of_row(live_row("r2", gp::request_status::completed));
  v.callback_url = "https://hooks.example.org/geo";
  caf::anon_send(reg, gp::ended_atom_v, v);
  run();
  EXPECT_EQ(*heard, 1);
  caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
}

TEST_F(registry_actor, a_refused_submission_is_answered_as_a_repeat_only_when_its_request_exists) {
  start();
  // The edge's checks refused it (e.g. its source is gone now): no row either → not found.
  auto unknown = ask<gp::submit_answer>(reg, gp::query_atom_v, submission("n1"));
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(gp::is(unknown.error(), gp::errc::not_found));
  EXPECT_EQ(w->row_reads, 1);
  // Known in memory: the same payload repeats it, without a read.
  ASSERT_TRUE(submit(submission("n1")));
  auto known = ask<gp::submit_answer>(reg, gp::query_atom_v, submission("n1"));
  ASSERT_TRUE(known);
  EXPECT_EQ(known->outcome, gp::submit_answer::same);
  EXPECT_EQ(w->row_reads, 1);
  // Not in memory but stored: read from its row, and another payload is a conflict.
  auto old = live_row("old", gp::request_status::completed);
  w->rows["old"] = old;
  auto other = submission("old", "b.gpkg");
  auto stored = ask<gp::submit_answer>(reg, gp::query_atom_v, other);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->outcome, gp::submit_answer::conflict);
  EXPECT_EQ(stored->view.status, "completed");
  EXPECT_EQ(w->row_reads, 2);
}

TEST_F(registry_actor, a_stopped_actor_is_let_go_and_only_its_own_stop_counts) {
  w->live = {live_row("r1", gp::request_status::processing)};
  start();
  auto first = report_actor("r1", view_of_row(live_row("r1", gp::request_status::processing)));
  EXPECT_EQ(status_of(reg).details["live_actors"], "1");
  // A stop of some other (older) actor of the request does not clear the one it tracks.
  auto stranger = sys->spawn(mock_request, w, gp::request_view{});
  requests.push_back(stranger);
  caf::anon_send(reg, gp::stopped_atom_v, std::string{"r1"}, stranger.address());
  run();
  EXPECT_EQ(status_of(reg).details["live_actors"], "1");
  caf::anon_send(reg, gp::stopped_atom_v, std::string{"r1"}, first.address());
  run();
  EXPECT_EQ(status_of(reg).details["live_actors"], "0");
  // Its queries now go to the row.
  w->rows["r1"] = live_row("r1", gp::request_status::processing);
  ASSERT_TRUE(ask<gp::request_view>(reg, gp::query_atom_v, std::string{"r1"}, std::string{}));
  EXPECT_EQ(w->row_reads, 1);
}

TEST_F(registry_actor, a_start_that_the_supervisor_did_not_make_leaves_the_request_waiting_for_none) {
  start();
  ASSERT_TRUE(submit(submission("n1")));  // started (fresh)
  // The supervisor answers that its pending restart started no actor (the request had ended).
  caf::anon_send(reg, gp::moved_atom_v, std::string{"n1"}, gp::request_status::failed, int64_t{3});
  caf::anon_send(reg, gp::stopped_atom_v, std::string{"n1"}, caf::actor_addr{});
  run();
  // No actor is waited for: a retry starts one again.
  w->rows.at("n1").status = gp::request_status::failed;
  ASSERT_TRUE(ask<gp::request_view>(reg, gp::retry_atom_v, std::string{"n1"}, std::string{"ddh"}));
  EXPECT_EQ(w->starts, (lines{"fresh n1 1", "start n1"}));
}
