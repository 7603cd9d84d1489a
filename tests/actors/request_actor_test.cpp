// The request actor under CAF's deterministic scheduler: its pool, coremachine and registry are
// strict mocks. It walks its state machine (docs/actors/request.md): a fresh request awaits its
// first job and is stored as processing at the first sign of work; steps run one after another,
// each new job named in a stored snapshot before it is created; a finishing step's outputs are
// read and the request completes with them; failures and cancels end it; events that arrive
// during a write are handled after it; refused and failed writes are resolved from the row.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/request.hpp"
#include "io/jobs/pipelines.hpp"
#include "io/jobs/registry.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

/// What the mocks saw and how they answer.
struct world {
  /// Every state the actor asked to store, in order.
  std::vector<gp::persistence::request_state> writes;
  /// Held write answers (hold_writes), released by a tick to the pool.
  bool hold_writes = false;
  std::vector<std::pair<caf::response_promise, gp::db::write_request_state::result>> held;
  /// Answers for the next writes: true stored, false refused; empty: stored. An error is sent
  /// for `fail_writes` writes first.
  std::vector<bool> write_answers;
  int fail_writes = 0;
  /// The row find_request answers (empty: no row).
  std::optional<gp::request_row> row;
  gp::persistence::produced_outputs produced;
  int gathers = 0;
  int fail_gathers = 0;
  int progress_reads = 0;
  int progress_answer = 40;
  /// (job id, fresh) of each watch.
  std::vector<std::pair<std::string, bool>> watches;
  /// Job ids of each submission; the next `fail_submits` fail (database_unavailable), and
  /// `refuse_submits` refuses parameters.
  std::vector<std::string> submits;
  int fail_submits = 0;
  bool refuse_submits = false;
  /// What the registry heard ("moved processing 1", "ended completed").
  std::vector<std::string> heard;
  bool down = false;
  caf::error reason;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [=](const gp::db::write_request_state& op) -> caf::result<gp::db::write_request_state::result> {
      w->writes.push_back(op.state);
      if (w->fail_writes > 0) {
        --w->fail_writes;
        return caf::make_error(gp::errc::database_unavailable, std::string{"down"});
      }
      bool stored = true;
      if (!w->write_answers.empty()) {
        stored = w->write_answers.front();
        w->write_answers.erase(w->write_answers.begin());
      }
      gp::db::write_request_state::result out{stored, {"2026-12-06T00:00:01Z", ""}};
      if (gp::is_terminal(op.state.status))
        out.times.completed_at = "2026-12-06T00:00:09Z";
      if (w->hold_writes) {
        w->held.emplace_back(self->make_response_promise(), out);
        return caf::delegated<gp::db::write_request_state::result>{};
      }
      return out;
    },
    // Answers the held writes.
    [=](gp::tick_atom) {
      auto held = std::move(w->held);
      w->held.clear();
      for (auto& [rp, out] : held)
        rp.deliver(out);
    },
    [=](const gp::db::find_request&) -> caf::result<gp::db::find_request::result> {
      return gp::db::find_request::result{w->row};
    },
    [=](const gp::db::gather_outputs&) -> caf::result<gp::db::gather_outputs::result> {
      ++w->gathers;
      if (w->fail_gathers > 0) {
        --w->fail_gathers;
        return caf::make_error(gp::errc::database_timeout, std::string{"slow"});
      }
      return gp::db::gather_outputs::result{w->produced};
    },
    [=](const gp::db::refresh_progress&) -> caf::result<int> {
      ++w->progress_reads;
      return w->progress_answer;
    },
  };
}

caf::behavior mock_coremachine(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock coremachine");
  return {
    [=](gp::watch_atom, const std::string& job_id, bool fresh) {
      w->watches.emplace_back(job_id, fresh);
    },
    [=](gp::submit_atom, const std::string& job_id, const std::string&, const std::string&,
        const std::string&) -> caf::result<gp::job_submission> {
      w->submits.push_back(job_id);
      if (w->fail_submits > 0) {
        --w->fail_submits;
        return caf::make_error(gp::errc::database_unavailable, std::string{"down"});
      }
      if (w->refuse_submits)
        return caf::make_error(gp::errc::invalid_input, std::string{"tasks: must be >= 0"});
      return gp::job_submission{job_id, true, gp::job_status::queued};
    },
  };
}

caf::behavior registry_probe(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the registry probe");
  return {
    [=](gp::moved_atom, const std::string&, gp::request_status s, int64_t version) {
      w->heard.push_back("moved " + gp::to_string(s) + " " + std::to_string(version));
    },
    [=](gp::ended_atom, const gp::request_view& v) {
      w->heard.push_back("ended " + gp::to_string(v.status));
    },
  };
}

const char* two_steps = R"({"vector": [{"step": "a", "job": "noop", "params": {"tasks": 0}},
                                       {"step": "b", "job": "noop", "params": {"tasks": 0}}]})";

struct request_actor : gp::test::deterministic {
  std::shared_ptr<world> w = std::make_shared<world>();
  std::shared_ptr<gp::request_options> opts = std::make_shared<gp::request_options>();
  caf::actor pool, core, registry, monitor;
  gp::request_actor actor;
  std::string id = std::string(32, 'a');

  void SetUp() override {
    pool = sys->spawn(mock_pool, w);
    core = sys->spawn(mock_coremachine, w);
    registry = sys->spawn(registry_probe, w);
    opts->pool = caf::actor_cast<gp::db_pool_actor>(pool);
    opts->coremachine = caf::actor_cast<gp::coremachine_actor>(core);
    opts->registry = caf::actor_cast<gp::registry_actor>(registry);
    opts->jobs = &gp::io::jobs::builtin_registry();
    opts->pipelines = gp::io::jobs::parse_pipelines(two_steps, *opts->jobs);
    opts->bronze_root = "/nonexistent/bronze";
    opts->silver_root = "/nonexistent/silver";
    opts->retry_delay = 1s;
    opts->progress_interval = 1s;
  }

  void TearDown() override {
    for (auto* a : {&pool, &core, &registry, &monitor})
      if (*a)
        caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    if (actor)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    run();
  }

  gp::request_row row(gp::request_status status, int step, std::vector<gp::request_job> jobs) {
    gp::request_row r;
    static_cast<gp::request_spec&>(r) = gp::test::sample_spec("r");
    r.request_id = id;
    r.status = status;
    r.state_version = 1;
    r.snapshot_json = gp::io::requests::encode_snapshot({step, std::move(jobs)});
    return r;
  }

  std::string job(int step) { return gp::io::jobs::request_job_id(id, static_cast<size_t>(step), "noop"); }

  gp::request_job named(int step, gp::job_status s = gp::job_status::queued) {
    return {job(step), "noop", s, 0, 1};
  }

  void watch_down() {
    auto w = this->w;
    auto target = caf::actor_cast<caf::actor>(actor);
    monitor = sys->spawn([w, target](caf::event_based_actor* self) -> caf::behavior {
      self->monitor(target);
      self->set_down_handler([w](caf::down_msg& dm) {
        w->down = true;
        w->reason = dm.reason;
      });
      return {[](gp::tick_atom) {}};
    });
    run();
  }

  /// A request just inserted by this node, with its first job named.
  void spawn_fresh() {
    auto r = row(gp::request_status::pending, 0, {});
    actor = gp::spawn_request(*sys, opts, gp::fresh_request{r, {named(0)}});
    watch_down();
  }

  /// A request read from its row (a restart or a resume).
  void spawn_row(const gp::request_row& r) {
    actor = gp::spawn_request(*sys, opts, r);
    watch_down();
  }

  void event(const std::string& job_id, gp::job_status s, std::string code = {},
             std::string message = {}) {
    caf::anon_send(actor, gp::job_event_atom_v,
                   gp::job_event{job_id, s, 1, false, std::move(code), std::move(message)});
    run();
  }

  /// The next write is refused, and the row then reads as `status` at `version`.
  void refuse_next_write(gp::request_status status, int64_t version) {
    w->write_answers = {false};
    auto r = row(status, 0, {named(0)});
    r.state_version = version;
    w->row = r;
  }

  /// Answers the writes held so far.
  void release() {
    w->hold_writes = false;
    caf::anon_send(pool, gp::tick_atom_v);
    run();
  }

  gp::request_view view() {
    auto v = ask<gp::request_view>(actor, gp::query_atom_v);
    EXPECT_TRUE(v) << sys->render(v.error());
    return v ? *v : gp::request_view{};
  }

  std::vector<std::string> written() {
    std::vector<std::string> out;
    for (const auto& s : w->writes)
      out.push_back(gp::to_string(s.status));
    return out;
  }
};

using lines = std::vector<std::string>;
using watches = std::vector<std::pair<std::string, bool>>;

}  // namespace

TEST_F(request_actor, a_fresh_request_awaits_its_first_job_and_writes_nothing_before_work_starts) {
  spawn_fresh();
  EXPECT_EQ(w->watches, (watches{{job(0), true}}));
  EXPECT_TRUE(w->writes.empty());
  EXPECT_TRUE(w->submits.empty());
  EXPECT_EQ(view().status, "pending");
}

TEST_F(request_actor, the_first_sign_of_work_is_stored_as_processing_then_shown) {
  spawn_fresh();
  w->hold_writes = true;
  event(job(0), gp::job_status::processing);
  ASSERT_EQ(written(), lines{"processing"});
  EXPECT_EQ(w->writes[0].message, "running a");
  // While the write is in flight, queries see the stored state and the registry hears nothing.
  EXPECT_EQ(view().status, "pending");
  EXPECT_TRUE(w->heard.empty());
  EXPECT_EQ(w->progress_reads, 0);
  release();
  EXPECT_EQ(view().status, "processing");
  EXPECT_EQ(w->heard, lines{"moved processing 2"});
  // The event itself is handled once stored: a progress refresh.
  EXPECT_EQ(w->progress_reads, 1);
  EXPECT_EQ(view().progress_percent, 40);
}

TEST_F(request_actor, steps_run_in_order_each_job_named_in_a_stored_snapshot_before_it_is_created) {
  spawn_fresh();
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::completed);
  // Step 0 done: what it produced is read (it may reuse a completed version), then step 1's job
  // is stored in the snapshot, created and watched.
  EXPECT_EQ(w->gathers, 1);
  ASSERT_EQ(written(), (lines{"processing", "processing"}));
  auto snapshot = gp::io::requests::decode_snapshot(w->writes[1].snapshot_json);
  EXPECT_EQ(snapshot.step, 1);
  ASSERT_EQ(snapshot.jobs.size(), 2u);
  EXPECT_EQ(snapshot.jobs[1].job_id, job(1));
  EXPECT_EQ(w->writes[1].message, "running b");
  EXPECT_EQ(w->writes[1].progress_percent, 50);
  EXPECT_EQ(w->submits, lines{job(1)});
  EXPECT_EQ(w->watches, (watches{{job(0), true}, {job(1), false}}));
}

TEST_F(request_actor, the_last_step_completes_the_request_with_its_outputs_and_the_actor_stops) {
  w->produced.outputs_json = R"([{"geopackage": "x.gpkg"}])";
  spawn_fresh();
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::completed);
  event(job(1), gp::job_status::completed);
  EXPECT_EQ(w->gathers, 2);
  ASSERT_EQ(written(), (lines{"processing", "processing", "completed"}));
  const auto& done = w->writes.back();
  EXPECT_EQ(done.progress_percent, 100);
  EXPECT_NE(done.outputs_json.find("x.gpkg"), std::string::npos) << done.outputs_json;
  EXPECT_NE(done.endpoints_json, "null");
  EXPECT_EQ(w->heard.back(), "ended completed");
  EXPECT_TRUE(w->down);
  EXPECT_FALSE(w->reason) << sys->render(w->reason);
}

TEST_F(request_actor, the_completed_state_is_stored_by_the_stac_catalog_with_its_metadata) {
  // The mock catalogue stores through the pool (as the real one does) and adds its findings.
  auto pool = opts->pool;
  auto stac = sys->spawn([pool](caf::event_based_actor* self) -> caf::behavior {
    gp::test::fail_on_unexpected(self, "the mock stac_catalog");
    return {[=](gp::db::finalise_request op) -> caf::result<gp::db::finalise_request::result> {
      EXPECT_EQ(op.completed.status, gp::request_status::completed);
      auto rp = self->make_response_promise<gp::db::finalise_request::result>();
      op.write.state.stac_metadata_json = R"({"id":"d_r_v1"})";
      self->request(pool, caf::infinite, op.write).then(
        [=](const gp::db::write_request_state::result& r) mutable {
          rp.deliver(gp::db::finalise_request::result{r.stored, r.times, R"({"id":"d_r_v1"})",
                                                      R"({"stac_item":"/i"})"});
        });
      return rp;
    }};
  });
  opts->stac = caf::actor_cast<gp::stac_catalog_actor>(stac);
  spawn_fresh();
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::completed);
  event(job(1), gp::job_status::completed);
  ASSERT_EQ(written(), (lines{"processing", "processing", "completed"}));
  EXPECT_EQ(w->writes.back().stac_metadata_json, R"({"id":"d_r_v1"})");
  EXPECT_EQ(w->heard.back(), "ended completed");
  EXPECT_TRUE(w->down);
  caf::anon_send_exit(stac, caf::exit_reason::user_shutdown);
}

TEST_F(request_actor, a_reused_version_completes_after_the_first_step_without_running_the_rest) {
  w->produced.reused_from = std::string(32, 'b');
  w->produced.outputs_json = R"({"dir": "/elsewhere"})";
  spawn_fresh();
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::completed);
  EXPECT_TRUE(w->submits.empty());
  ASSERT_EQ(written(), (lines{"processing", "completed"}));
  EXPECT_EQ(w->writes.back().reused_from, std::string(32, 'b'));
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, a_failed_job_fails_the_request_with_its_code_and_the_tables_retryable) {
  spawn_fresh();
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::failed, "source_not_found", "no such file");
  ASSERT_EQ(written(), (lines{"processing", "failed"}));
  EXPECT_EQ(w->writes.back().error_code, "source_not_found");
  EXPECT_EQ(w->writes.back().error_message, "no such file");
  EXPECT_FALSE(w->writes.back().error_retryable);
  EXPECT_EQ(w->heard.back(), "ended failed");
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, a_transient_failure_is_retryable_and_an_unnamed_one_is_job_failed) {
  spawn_row(row(gp::request_status::processing, 0, {named(0, gp::job_status::processing)}));
  event(job(0), gp::job_status::failed);
  ASSERT_EQ(written(), lines{"failed"});
  EXPECT_EQ(w->writes.back().error_code, "job_failed");
  EXPECT_EQ(w->writes.back().error_message, "job noop failed");
  EXPECT_TRUE(w->writes.back().error_retryable);
}

TEST_F(request_actor, a_cancelled_job_ends_the_request_cancelled) {
  spawn_row(row(gp::request_status::processing, 0, {named(0, gp::job_status::processing)}));
  event(job(0), gp::job_status::cancelled);
  ASSERT_EQ(written(), lines{"cancelled"});
  EXPECT_EQ(w->writes.back().error_code, "");
  EXPECT_EQ(w->heard.back(), "ended cancelled");
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, an_awaited_first_job_still_unknown_after_the_deadline_is_created) {
  spawn_fresh();
  event(job(0), gp::job_status::unknown);
  EXPECT_EQ(w->submits, lines{job(0)});
  EXPECT_EQ(w->watches, (watches{{job(0), true}, {job(0), false}}));
  EXPECT_TRUE(w->writes.empty());  // the job was named before: nothing new to store
}

TEST_F(request_actor, a_restarted_pending_request_awaits_its_first_job_before_creating_it) {
  spawn_row(row(gp::request_status::pending, 0, {named(0)}));
  EXPECT_EQ(w->watches, (watches{{job(0), false}}));
  // Not created yet: it may still wait for the claim that creates it.
  event(job(0), gp::job_status::unknown);
  EXPECT_TRUE(w->submits.empty());
  EXPECT_EQ(w->watches, (watches{{job(0), false}, {job(0), true}}));
  // The coremachine's first-job deadline passed: the actor creates it.
  event(job(0), gp::job_status::unknown);
  EXPECT_EQ(w->submits, lines{job(0)});
}

TEST_F(request_actor, a_missing_job_of_a_processing_request_is_created_at_once) {
  spawn_row(row(gp::request_status::processing, 1, {named(0, gp::job_status::completed), named(1)}));
  EXPECT_EQ(w->watches, (watches{{job(1), false}}));
  event(job(1), gp::job_status::unknown);
  EXPECT_EQ(w->submits, lines{job(1)});
}

TEST_F(request_actor, an_end_that_arrives_during_a_write_is_handled_after_it) {
  spawn_fresh();
  w->hold_writes = true;
  event(job(0), gp::job_status::processing);
  // Before the "processing" write is answered: the job fails.
  event(job(0), gp::job_status::failed, "no_geometry", "the layer has no geometry");
  EXPECT_EQ(written(), lines{"processing"});
  release();
  ASSERT_EQ(written(), (lines{"processing", "failed"}));
  EXPECT_EQ(w->writes.back().error_code, "no_geometry");
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, an_end_waiting_behind_a_write_is_not_replaced_by_a_later_event) {
  spawn_fresh();
  w->hold_writes = true;
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::cancelled);
  event(job(0), gp::job_status::processing);  // stale: the end stays the one to handle
  release();
  ASSERT_EQ(written(), (lines{"processing", "cancelled"}));
  EXPECT_EQ(w->heard.back(), "ended cancelled");
}

TEST_F(request_actor, events_after_the_end_are_ignored) {
  spawn_row(row(gp::request_status::processing, 0, {named(0, gp::job_status::processing)}));
  w->fail_writes = 1;  // the end's first write fails and waits for its retry
  event(job(0), gp::job_status::cancelled);
  event(job(0), gp::job_status::processing);
  after(1s);
  ASSERT_EQ(written(), (lines{"cancelled", "cancelled"}));
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, a_failed_write_is_tried_again_after_the_retry_delay) {
  spawn_fresh();
  w->fail_writes = 1;
  event(job(0), gp::job_status::processing);
  EXPECT_EQ(written(), lines{"processing"});
  EXPECT_EQ(view().status, "pending");  // not stored yet: not shown
  after(999ms);
  EXPECT_EQ(w->writes.size(), 1u);
  after(1ms);
  EXPECT_EQ(written(), (lines{"processing", "processing"}));
  EXPECT_EQ(view().status, "processing");
}

TEST_F(request_actor, a_refused_write_that_its_own_earlier_attempt_committed_counts_as_stored) {
  spawn_fresh();
  refuse_next_write(gp::request_status::processing, 2);
  event(job(0), gp::job_status::processing);
  EXPECT_EQ(view().status, "processing");
  EXPECT_EQ(view().state_version, 2);
  EXPECT_FALSE(w->down);
}

TEST_F(request_actor, a_refused_write_after_a_cancel_stops_it_and_tells_the_registry_the_end) {
  spawn_fresh();
  refuse_next_write(gp::request_status::cancelled, 2);
  event(job(0), gp::job_status::processing);
  EXPECT_EQ(w->heard, lines{"ended cancelled"});
  EXPECT_TRUE(w->down);
  EXPECT_FALSE(w->reason) << sys->render(w->reason);
}

TEST_F(request_actor, a_row_moved_by_another_writer_stops_it_abnormally_for_a_restart) {
  spawn_fresh();
  refuse_next_write(gp::request_status::processing, 5);
  event(job(0), gp::job_status::processing);
  EXPECT_TRUE(w->down);
  EXPECT_TRUE(w->reason);
}

TEST_F(request_actor, a_failed_submission_is_tried_again_and_refused_parameters_fail_the_request) {
  spawn_row(row(gp::request_status::processing, 1, {named(0, gp::job_status::completed), named(1)}));
  w->fail_submits = 1;
  event(job(1), gp::job_status::unknown);
  EXPECT_EQ(w->submits, lines{job(1)});
  after(1s);
  // The step runs again: its job is watched (and still unknown, so created again).
  EXPECT_EQ(w->watches, (watches{{job(1), false}, {job(1), false}}));
  w->refuse_submits = true;
  event(job(1), gp::job_status::unknown);
  EXPECT_EQ(w->submits, (lines{job(1), job(1)}));
  ASSERT_EQ(written(), lines{"failed"});
  EXPECT_EQ(w->writes.back().error_code, "invalid_job_parameters");
}

TEST_F(request_actor, progress_is_read_at_most_once_per_interval) {
  spawn_row(row(gp::request_status::processing, 0, {named(0, gp::job_status::processing)}));
  event(job(0), gp::job_status::processing);
  event(job(0), gp::job_status::processing);
  EXPECT_EQ(w->progress_reads, 1);
  after(1s);
  event(job(0), gp::job_status::processing);
  EXPECT_EQ(w->progress_reads, 2);
  EXPECT_TRUE(w->writes.empty());  // progress is stored by the read itself
}

TEST_F(request_actor, a_terminal_row_stops_at_once_and_tells_the_registry) {
  spawn_row(row(gp::request_status::completed, 1, {}));
  EXPECT_EQ(w->heard, lines{"ended completed"});
  EXPECT_TRUE(w->watches.empty());
  EXPECT_TRUE(w->down);
}

TEST_F(request_actor, a_cancel_from_the_registry_stops_it_without_a_write) {
  spawn_fresh();
  caf::anon_send(actor, gp::cancel_atom_v);
  run();
  EXPECT_TRUE(w->writes.empty());
  EXPECT_TRUE(w->down);
  EXPECT_FALSE(w->reason);
}

TEST_F(request_actor, a_type_without_steps_fails_as_unsupported) {
  auto r = row(gp::request_status::pending, 0, {});
  r.request_type = "unheard_of";
  spawn_row(r);
  ASSERT_EQ(written(), lines{"failed"});
  EXPECT_EQ(w->writes.back().error_code, "unsupported_request_type");
}

TEST_F(request_actor, a_stale_event_of_an_earlier_job_is_ignored) {
  spawn_row(row(gp::request_status::processing, 1, {named(0, gp::job_status::completed), named(1)}));
  event(job(0), gp::job_status::failed, "boom", "old news");
  EXPECT_TRUE(w->writes.empty());
  EXPECT_FALSE(w->down);
}

TEST_F(request_actor, a_first_job_whose_creation_failed_is_created_again_without_a_second_deadline) {
  spawn_fresh();
  w->fail_submits = 1;
  event(job(0), gp::job_status::unknown);  // the deadline passed: it creates the job, which fails
  EXPECT_EQ(w->submits, lines{job(0)});
  after(1s);
  // The step runs again: a plain watch (not a fresh one, which would wait another deadline).
  EXPECT_EQ(w->watches, (watches{{job(0), true}, {job(0), false}}));
  event(job(0), gp::job_status::unknown);
  EXPECT_EQ(w->submits, (lines{job(0), job(0)}));
}

TEST_F(request_actor, a_failed_read_of_the_outputs_pauses_and_the_step_runs_again) {
  spawn_row(row(gp::request_status::processing, 1, {named(0, gp::job_status::completed), named(1)}));
  w->fail_gathers = 1;
  event(job(1), gp::job_status::completed);
  EXPECT_EQ(w->gathers, 1);
  EXPECT_TRUE(w->writes.empty());
  event(job(1), gp::job_status::completed);  // a duplicate while paused: ignored
  EXPECT_EQ(w->gathers, 1);
  after(1s);
  EXPECT_EQ(w->watches, (watches{{job(1), false}, {job(1), false}}));
  event(job(1), gp::job_status::completed);  // the watch answers at once: it ended
  EXPECT_EQ(w->gathers, 2);
  ASSERT_EQ(written(), lines{"completed"});
}

TEST_F(request_actor, an_event_that_arrives_while_its_job_is_created_is_handled_once_watched) {
  spawn_row(row(gp::request_status::processing, 1, {named(0, gp::job_status::completed), named(1)}));
  // Both before the actor runs: the creation's answer comes after the second event.
  caf::anon_send(actor, gp::job_event_atom_v,
                 gp::job_event{job(1), gp::job_status::unknown, 0, false, {}, {}});
  caf::anon_send(actor, gp::job_event_atom_v,
                 gp::job_event{job(1), gp::job_status::processing, 1, false, {}, {}});
  run();
  EXPECT_EQ(w->submits, lines{job(1)});
  EXPECT_EQ(w->progress_reads, 1);  // the processing event, handled after the watch
}
