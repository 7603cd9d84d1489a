// The coremachine actor with real task workers and a real PostgreSQL: a watcher hears of the job's
// progress and end; submissions are idempotent; bad input is refused.
#include "tests/status_words.hpp"
#include "actors/coremachine.hpp"

#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/db_pool.hpp"
#include "io/jobs/registry.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/jobs.hpp"
#include "messages/messages.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

#include <pqxx/pqxx>

using namespace std::chrono_literals;

namespace {

struct coremachine : ::testing::Test {
  gp::test::scratch_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  gp::db_pool_actor pool;
  gp::coremachine_actor core;

  void SetUp() override {
    pqxx::connection c{db.url()};
    gp::persistence::migrate(c, gp::persistence::embedded_migrations());
    gp::register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    gp::persistence::db_options o;
    o.url = db.url();
    pool = gp::spawn_db_pool(*sys, o, 2);
    gp::engine_options e;
    e.node_id = "test-node";
    e.workers = 2;
    e.lease = 2s;
    e.retry_base = 50ms;
    e.idle_poll_max = 100ms;
    e.db = o;
    core = gp::spawn_coremachine(*sys, pool, e, gp::io::jobs::builtin_registry());
  }

  void TearDown() override {
    caf::anon_send_exit(core, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    core = nullptr;
    pool = nullptr;
    sys.reset();
  }

  /// Another node's coremachine on the same database that runs no task: it only watches.
  gp::coremachine_actor watching_node(std::chrono::milliseconds refresh, std::chrono::milliseconds max) {
    gp::engine_options e;
    e.node_id = "watching-node";
    e.workers = 0;
    e.watch_refresh = refresh;
    e.watch_refresh_max = max;
    // Reached at the fourth look with the refreshes these tests use (450 s, also the fourth
    // look, with the defaults).
    e.first_job_deadline = std::chrono::seconds(1);
    return gp::spawn_coremachine(*sys, pool, e, gp::io::jobs::builtin_registry());
  }

  caf::expected<gp::job_submission> submit(caf::scoped_actor& self, const std::string& type,
                                           const std::string& params) {
    caf::expected<gp::job_submission> out{caf::error{}};
    self->request(core, 10s, gp::submit_atom_v, type, params, std::string{})
      .receive([&](gp::job_submission& s) { out = s; }, [&](caf::error& e) { out = e; });
    return out;
  }
};

}  // namespace

TEST_F(coremachine, a_watcher_hears_progress_and_completion) {
  caf::scoped_actor self{*sys};
  auto s = submit(self, "hello_world", R"({"n": 3})");
  ASSERT_TRUE(s) << sys->render(s.error());
  EXPECT_TRUE(s->created);
  self->send(core, gp::watch_atom_v, s->job_id, false);
  std::string last;
  int events = 0;
  bool done = false;
  while (!done) {
    self->receive([&](gp::job_event_atom, const gp::job_event& ev) {
                    EXPECT_EQ(ev.job_id, s->job_id);
                    last = gp::to_string(ev.status);
                    ++events;
                    done = ev.status == "completed" || ev.status == "failed";
                  },
                  caf::after(std::chrono::seconds(15)) >> [&] { done = true; });
  }
  EXPECT_EQ(last, "completed");
  EXPECT_GE(events, 1);
}

TEST_F(coremachine, a_failing_job_is_reported_with_its_code) {
  caf::scoped_actor self{*sys};
  auto s = submit(self, "fail", R"({"mode": "permanent"})");
  ASSERT_TRUE(s);
  self->send(core, gp::watch_atom_v, s->job_id, false);
  gp::job_event last;
  bool done = false;
  while (!done)
    self->receive(
      [&](gp::job_event_atom, const gp::job_event& ev) {
        last = ev;
        done = ev.status != "processing" && ev.status != "queued";
      },
      caf::after(std::chrono::seconds(15)) >> [&] { done = true; });
  EXPECT_EQ(last.status, "failed");
  EXPECT_EQ(last.error_code, "bad_input");
}

TEST_F(coremachine, a_watch_after_the_end_is_answered_at_once) {
  caf::scoped_actor self{*sys};
  auto s = submit(self, "noop", R"({"tasks": 0})");  // completes inside its creation
  ASSERT_TRUE(s);
  self->send(core, gp::watch_atom_v, s->job_id, false);
  std::string status = "none";
  self->receive([&](gp::job_event_atom, const gp::job_event& ev) { status = gp::to_string(ev.status); },
                caf::after(std::chrono::seconds(10)) >> [] {});
  EXPECT_EQ(status, "completed");
}

TEST_F(coremachine, a_fresh_watch_after_the_start_or_end_hears_of_it_at_once) {
  caf::scoped_actor self{*sys};
  auto s = submit(self, "sleep", R"({"ms": 1500, "tag": "fresh"})");
  ASSERT_TRUE(s);
  // Wait until the task runs: its "started" event found no watcher.
  pqxx::connection c{db.url()};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    pqxx::nontransaction tx{c};
    if (tx.exec_params1("SELECT count(*) FROM app.tasks WHERE job_id = $1 AND status = "
                        "'processing'", s->job_id)[0].as<int>() == 1)
      break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(100ms);
  self->send(core, gp::watch_atom_v, s->job_id, true);
  std::vector<std::string> seen;
  bool done = false;
  self->receive_while([&] { return !done; })(
    [&](gp::job_event_atom, const gp::job_event& ev) {
      seen.push_back(gp::to_string(ev.status));
      done = ev.status == "completed";
    },
    caf::after(std::chrono::seconds(10)) >> [&] { done = true; });
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), "processing");  // at once, not when the task ends
  EXPECT_EQ(seen.back(), "completed");
  // A fresh watch after the end is answered from memory.
  self->send(core, gp::watch_atom_v, s->job_id, true);
  std::string status = "none";
  self->receive([&](gp::job_event_atom, const gp::job_event& ev) { status = gp::to_string(ev.status); },
                caf::after(std::chrono::seconds(5)) >> [] {});
  EXPECT_EQ(status, "completed");
}

TEST_F(coremachine, a_job_that_ends_on_another_node_is_found_by_the_watch_refresh) {
  // This node runs no task; the fixture's coremachine (another node) runs the job, and its
  // events never reach this one. A fresh watch looks nothing up at first: only the periodic
  // look-up of watched jobs can tell the watcher that the job ended.
  auto other = watching_node(200ms, 400ms);
  caf::scoped_actor self{*sys};
  auto s = submit(self, "noop", R"({"tasks": 1, "tag": "elsewhere"})");
  ASSERT_TRUE(s);
  self->send(other, gp::watch_atom_v, s->job_id, true);
  std::string status = "none";
  bool done = false;
  self->receive_while([&] { return !done; })(
    [&](gp::job_event_atom, const gp::job_event& ev) {
      EXPECT_EQ(ev.job_id, s->job_id);
      status = gp::to_string(ev.status);
      done = status == "completed";
    },
    caf::after(std::chrono::seconds(10)) >> [&] { done = true; });
  EXPECT_EQ(status, "completed");
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
}

TEST_F(coremachine, a_fresh_watch_of_a_job_not_created_yet_is_kept_until_it_exists) {
  // A new request's first job is created by a claim, maybe long after the request's actor
  // watched it: refreshes that do not find it keep the watch without a word, so the job's
  // events reach the watcher once it exists.
  auto other = watching_node(100ms, 400ms);
  caf::scoped_actor self{*sys};
  const std::string job_id(64, 'e');
  self->send(other, gp::watch_atom_v, job_id, true);
  // Refreshes at about 0.1, 0.3 and 0.7 s find nothing; the job exists before the fourth.
  std::this_thread::sleep_for(800ms);
  self->request(core, 10s, gp::submit_atom_v, job_id, std::string{"noop"},
                std::string{R"({"tasks": 1, "tag": "late"})"}, std::string{})
    .receive([&](gp::job_submission& s) { EXPECT_TRUE(s.created); },
             [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  std::string status = "none";
  self->receive_while([&] { return status != "completed" && status != "timeout"; })(
    [&](gp::job_event_atom, const gp::job_event& ev) {
      EXPECT_NE(ev.status, "unknown");
      status = gp::to_string(ev.status);
    },
    caf::after(std::chrono::seconds(10)) >> [&] { status = "timeout"; });
  EXPECT_EQ(status, "completed");
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
}

TEST_F(coremachine, a_fresh_watch_of_a_job_never_created_says_unknown_once_after_four_looks) {
  // No claim made the job (no node makes it): at the first look after the first-job deadline
  // (1 s here, the fourth look: about 0.1, 0.3, 0.7 and 1.1 s; 450 s with the defaults) the
  // watcher hears "unknown", once, and is dropped.
  auto other = watching_node(100ms, 400ms);
  caf::scoped_actor self{*sys};
  const std::string job_id(64, 'f');
  auto watched = std::chrono::steady_clock::now();
  self->send(other, gp::watch_atom_v, job_id, true);
  int unknown = 0;
  std::chrono::milliseconds first{0};
  self->receive_while([&] { return std::chrono::steady_clock::now() - watched < 3s; })(
    [&](gp::job_event_atom, const gp::job_event& ev) {
      EXPECT_EQ(ev.job_id, job_id);
      EXPECT_EQ(ev.status, "unknown");
      if (unknown++ == 0)
        first = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - watched);
    },
    caf::after(std::chrono::milliseconds(200)) >> [] {});
  EXPECT_EQ(unknown, 1);
  EXPECT_GE(first.count(), 1000) << "said unknown before its fourth look";
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
}

TEST_F(coremachine, a_new_watch_is_refreshed_soon_even_while_older_ones_wait_long) {
  // A long job's refreshes back off (100, 200, ... up to 3.2 s apart); a job watched after that
  // still gets its first look-up about 100 ms after its watch, not when the long job's next one
  // is due.
  auto other = watching_node(100ms, 3200ms);
  caf::scoped_actor self{*sys};
  auto slow = submit(self, "sleep", R"({"ms": 6000, "tag": "slow"})");
  ASSERT_TRUE(slow);
  self->send(other, gp::watch_atom_v, slow->job_id, true);
  // Its refreshes at about 0.1, 0.3, 0.7, 1.5 and 3.1 s (each up to 100 ms late: the timer
  // ticks at that rate), the next one 3.2 s after the last: not before 6.3 s.
  std::this_thread::sleep_for(4500ms);
  auto quick = submit(self, "noop", R"({"tasks": 1, "tag": "quick"})");
  ASSERT_TRUE(quick);
  auto watched = std::chrono::steady_clock::now();
  self->send(other, gp::watch_atom_v, quick->job_id, true);
  bool done = false;
  self->receive_while([&] { return !done; })(
    [&](gp::job_event_atom, const gp::job_event& ev) {
      done = ev.job_id == quick->job_id && ev.status == "completed";
    },
    caf::after(std::chrono::seconds(10)) >> [&] { done = true; });
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - watched);
  EXPECT_LT(waited.count(), 1500) << "the new watch waited for the slow job's refresh";
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
}

TEST_F(coremachine, the_same_submission_names_the_same_job) {
  caf::scoped_actor self{*sys};
  auto a = submit(self, "noop", R"({"tasks": 2})");
  auto b = submit(self, "noop", R"({"tasks": 2})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->job_id, b->job_id);
  EXPECT_TRUE(a->created);
  EXPECT_FALSE(b->created);
}

TEST_F(coremachine, bad_input_is_refused_naming_the_field) {
  caf::scoped_actor self{*sys};
  auto r = submit(self, "hello_world", R"({"n": "x"})");
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::invalid_input));
  EXPECT_NE(gp::error_detail(r.error()).find("n:"), std::string::npos);
  auto unknown = submit(self, "nope", "{}");
  ASSERT_FALSE(unknown);
  EXPECT_NE(gp::error_detail(unknown.error()).find("job_type"), std::string::npos);
  auto garbage = submit(self, "noop", "{");
  EXPECT_FALSE(garbage);
}
