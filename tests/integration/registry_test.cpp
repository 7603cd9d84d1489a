// The registry, the request supervisor and request actors with a real coremachine and a real
// PostgreSQL: a request runs to the end; an actor that throws is restarted from its snapshot and
// finishes; one that keeps crashing fails its request; live requests are resumed at start-up (also
// one whose first job was never created); a stale actor's write is refused. Forgetting ended
// requests: registry_forget_test.cpp.
#include "pool_wrappers.hpp"
#include "registry_fixture.hpp"

using gp::test::registry;

TEST_F(registry, a_request_runs_its_steps_to_the_end) {
  start_registry();
  auto a = submit(submission("v1"));
  EXPECT_EQ(a.outcome, gp::submit_answer::created);
  EXPECT_EQ(a.view.status, "pending");
  auto done = wait_terminal(a.view.request_id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.progress_percent, 100);
  ASSERT_EQ(done.jobs.size(), 2u);
  EXPECT_EQ(done.jobs[0].job_type, "hello_world");
  EXPECT_EQ(done.jobs[1].status, "completed");
  EXPECT_FALSE(done.completed_at.empty());
  // Repeats: the same payload is "same", another is a conflict; nothing new is created.
  EXPECT_EQ(submit(submission("v1")).outcome, gp::submit_answer::same);
  auto changed = submission("v1");
  changed.fingerprint = "other";
  EXPECT_EQ(submit(changed).outcome, gp::submit_answer::conflict);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2);
}

TEST_F(registry, a_first_job_that_ends_as_it_is_created_is_not_waited_for) {
  // No task in its first stage: the job is complete inside the insert transaction, and no worker
  // will ever report it.
  start_registry(3, R"({"vector": [{"job": "hello_world", "params": {"n": 0}},
                                   {"job": "noop", "params": {"tasks": 0}}]})");
  auto a = submit(submission("v1"));
  EXPECT_EQ(a.outcome, gp::submit_answer::created);
  auto done = wait_terminal(a.view.request_id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE status = 'completed'"), 2);
}

TEST_F(registry, an_actor_that_throws_is_restarted_and_finishes) {
  *faults = 1;
  start_registry();
  auto a = submit(submission("v1"));
  auto done = wait_terminal(a.view.request_id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(faults->load(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2);
}

TEST_F(registry, an_actor_that_keeps_crashing_fails_its_request) {
  *faults = -1;
  start_registry(2);
  auto a = submit(submission("v1"));
  auto done = wait_terminal(a.view.request_id);
  EXPECT_EQ(done.status, "failed");
  EXPECT_EQ(done.error_code, "request_actor_crashed");
  EXPECT_TRUE(done.error_retryable);
  EXPECT_NE(done.error_message.find("3 times"), std::string::npos) << done.error_message;
}

TEST_F(registry, restarts_wait_a_doubling_pause) {
  // Crashes 1 and 2 are restarted after 200 and 400 ms; the third gives up. Submitted as the
  // registry resumes, so its resuming may find a row whose actor has crashed already: it must
  // not start one without the pause (and later meet the restart's own).
  *faults = -1;
  restart_backoff = 200ms;
  start_registry(2);
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> sent;
  for (int i = 0; i < 6; ++i) {
    auto at = std::chrono::steady_clock::now();
    sent.emplace_back(submit(submission("v" + std::to_string(i))).view.request_id, at);
  }
  for (const auto& [id, at] : sent) {
    auto done = wait_terminal(id);
    EXPECT_EQ(done.status, "failed");
    EXPECT_GE(std::chrono::steady_clock::now() - at, 600ms) << done.error_message;
    EXPECT_NE(done.error_message.find("3 times"), std::string::npos) << done.error_message;
  }
}

TEST_F(registry, crashes_older_than_the_window_do_not_count) {
  // Four crashes, each one restart pause (200 ms) after the last, with a window of 150 ms: never
  // more than one in the window, so the request is restarted each time and finishes (three in
  // one window would fail it).
  *faults = 4;
  restart_backoff = 200ms;
  restart_window = 150ms;
  start_registry(2);
  auto start = std::chrono::steady_clock::now();
  auto a = submit(submission("v1"));
  auto done = wait_terminal(a.view.request_id);
  EXPECT_EQ(done.status, "completed") << done.error_message;
  EXPECT_EQ(faults->load(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
}

TEST_F(registry, concurrent_submissions_share_insert_transactions_and_make_one_actor_each) {
  start_registry();
  caf::scoped_actor self{*sys};
  constexpr int n = 60;
  for (int i = 0; i < n; ++i)
    for (int copy = 0; copy < 3; ++copy)
      self->send(reg, gp::submit_atom_v, submission("v" + std::to_string(i)));
  int created = 0, same = 0;
  for (int i = 0; i < n * 3; ++i)
    self->receive(
      [&](gp::submit_answer& a) {
        created += a.outcome == gp::submit_answer::created;
        same += a.outcome == gp::submit_answer::same;
      },
      [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(created, n);
  EXPECT_EQ(same, 2 * n);
  auto report = supervisor_report();
  EXPECT_LT(std::stoi(report["insert_batches"]), n) << "inserts were not grouped";
  // The counters agree with the answers.
  EXPECT_EQ(report["created"], std::to_string(n));
  EXPECT_EQ(report["repeats"], std::to_string(2 * n));
  EXPECT_EQ(report["conflicts"], "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), n);
  for (int i = 0; i < n; ++i)
    wait_terminal(gp::io::http::request_id_for("ddh", "d", "r", "v" + std::to_string(i)));
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2 * n);
}

TEST_F(registry, a_repeat_answered_before_the_creating_group_still_makes_one_actor) {
  // The group that creates the row answers late (after commit); a second group with the same
  // submission, sent while the first is in flight, finds the committed row and answers first.
  // It starts the actor; the creating group's answer must not start another.
  auto committed = std::make_shared<std::atomic<bool>>(false);
  start_registry(3, R"({"vector": [{"step": "ingest_vector", "job": "hello_world", "params": {"n": 2}},
                                   {"step": "stac_catalog_vectors", "job": "noop"}]})",
                 [committed = committed](bool created_any) {
                   if (!created_any)
                     return;
                   *committed = true;
                   std::this_thread::sleep_for(800ms);
                 });
  caf::scoped_actor self{*sys};
  auto s = submission("late");
  auto first = self->request(reg, 10s, gp::submit_atom_v, s);
  // The first group committed the row and now holds its answer back.
  for (int i = 0; i < 500 && !*committed; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(*committed);
  auto second = self->request(reg, 10s, gp::submit_atom_v, s);
  std::vector<int> outcomes;
  for (auto* h : {&second, &first})
    h->receive([&](gp::submit_answer& a) { outcomes.push_back(a.outcome); },
               [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(outcomes, (std::vector<int>{gp::submit_answer::same, gp::submit_answer::created}));
  auto done = wait_terminal(s.request_id);
  EXPECT_EQ(done.status, "completed");
  auto report = supervisor_report();
  EXPECT_EQ(report["actors_started"], "1") << "two actors ran for one request";
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2);
}

TEST_F(registry, while_a_group_is_in_flight_a_few_waiting_submissions_form_the_next_one) {
  // The first group answers late; 10 submissions arrive meanwhile, fewer than the 16 a second
  // concurrent group needs: they wait and go in one group once the first is through.
  min_concurrent_batch = 16;
  caf::scoped_actor self{*sys};
  ASSERT_NO_FATAL_FAILURE(start_registry_with_a_slow_first_group(self));
  for (int i = 0; i < 10; ++i)
    self->send(reg, gp::submit_atom_v, submission("w" + std::to_string(i)));
  for (int i = 0; i < 11; ++i)
    self->receive([](gp::submit_answer& a) { EXPECT_EQ(a.outcome, gp::submit_answer::created); },
                  [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(supervisor_report()["insert_batches"], "2");
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), 11);
}

TEST_F(registry, a_refused_repeat_of_a_submission_waiting_for_its_insert_is_answered_with_it) {
  // The edge refused a submission (its source was just removed) that another, identical one
  // accepted a moment ago: still waiting for its insert, it is a repeat all the same.
  min_concurrent_batch = 16;
  caf::scoped_actor self{*sys};
  ASSERT_NO_FATAL_FAILURE(start_registry_with_a_slow_first_group(self));
  self->send(reg, gp::submit_atom_v, submission("waiting"));  // queued behind the first group
  caf::scoped_actor edge{*sys};
  gp::submit_answer repeat;
  edge->request(reg, 10s, gp::query_atom_v, submission("waiting"))
    .receive([&](gp::submit_answer& a) { repeat = a; },
             [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(repeat.outcome, gp::submit_answer::same);
  EXPECT_EQ(repeat.view.request_id, submission("waiting").request_id);
  for (int i = 0; i < 2; ++i)
    self->receive([](gp::submit_answer& a) { EXPECT_EQ(a.outcome, gp::submit_answer::created); },
                  [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  // Not known at all: not_found, so the edge sends its refusal.
  edge->request(reg, 10s, gp::query_atom_v, submission("never"))
    .receive([&](gp::submit_answer&) { ADD_FAILURE() << "answered as a repeat"; },
             [&](caf::error& e) { EXPECT_TRUE(gp::is(e, gp::errc::not_found)); });
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), 2);
}

TEST_F(registry, one_identity_with_two_payloads_in_one_group_is_one_request_and_one_conflict) {
  start_registry();
  caf::scoped_actor self{*sys};
  auto a = submission("v1");
  auto b = submission("v1");
  b.source_path = "b.csv";
  b.fingerprint += "-other";
  auto ha = self->request(reg, 10s, gp::submit_atom_v, a);
  auto hb = self->request(reg, 10s, gp::submit_atom_v, b);
  int oa = -1, ob = -1;
  ha.receive([&](gp::submit_answer& x) { oa = x.outcome; },
             [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  hb.receive([&](gp::submit_answer& x) { ob = x.outcome; },
             [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  // In one group the first wins; in two concurrent groups the unique key decides. Either way one
  // is created and the other is a conflict, and the stored payload is the winner's.
  std::vector<int> outcomes{oa, ob};
  std::sort(outcomes.begin(), outcomes.end());
  EXPECT_EQ(outcomes, (std::vector<int>{gp::submit_answer::created, gp::submit_answer::conflict}));
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests"), 1);
  EXPECT_EQ(scalar(std::string{"SELECT count(*) FROM platform.requests WHERE source_path = '"} +
                   (oa == gp::submit_answer::created ? "a.csv" : "b.csv") + "'"),
            1);
  wait_terminal(a.request_id);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2);
}

TEST_F(registry, live_requests_are_resumed_at_start_up) {
  pqxx::connection c{db.url()};
  auto r = stored_request("old");
  ASSERT_TRUE(gp::persistence::insert_request(c, r).created);
  start_registry();
  auto done = wait_terminal(r.request_id);
  EXPECT_EQ(done.status, "completed");
}

TEST_F(registry, a_live_request_whose_first_job_was_never_created_is_resumed_and_finishes) {
  // As a submit leaves it when the node dies before any claim found it: the row names its first
  // job, which does not exist. Resumed, its actor finds no job and waits; a claim creates it.
  pqxx::connection c{db.url()};
  auto r = stored_request("unclaimed");
  gp::request_options named;
  named.jobs = &gp::io::jobs::builtin_registry();
  named.pipelines = gp::io::jobs::parse_pipelines(
    R"({"vector": [{"step": "ingest_vector", "job": "hello_world", "params": {"n": 2}},
                   {"step": "stac_catalog_vectors", "job": "noop"}]})",
    gp::io::jobs::builtin_registry());
  auto first = gp::first_job_named(named, r.request_type, r.request_id, r.snapshot_json);
  ASSERT_FALSE(first.job_id.empty());
  r.first_job_planned = false;
  ASSERT_TRUE(gp::persistence::insert_requests(c, {r}).at(0).created);
  start_registry();
  auto done = wait_terminal(r.request_id);
  EXPECT_EQ(done.status, "completed");
  ASSERT_EQ(done.jobs.size(), 2u);
  EXPECT_EQ(done.jobs[0].job_id, first.job_id);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM platform.requests WHERE NOT first_job_planned"), 0);
}

TEST_F(registry, a_stale_actor_cannot_overwrite_newer_state) {
  pqxx::connection c{db.url()};
  auto r = stored_request("stale");
  auto row = gp::persistence::insert_request(c, r).row;
  // Another writer moved the row on after this snapshot was read.
  gp::persistence::request_state s;
  s.status = gp::request_status::cancelled;
  s.message = "newer";
  ASSERT_TRUE(gp::persistence::save_request_state(c, r.request_id, 0, s));
  auto opts = std::make_shared<gp::request_options>();
  opts->pool = pool;
  opts->jobs = &gp::io::jobs::builtin_registry();
  opts->pipelines = gp::io::jobs::default_pipelines();
  start_coremachine(*opts);
  opts->coremachine = core;
  caf::scoped_actor self{*sys};
  opts->registry = caf::actor_cast<gp::registry_actor>(caf::actor{self});
  auto actor = gp::spawn_request(*sys, opts, row);  // row says pending, version 0
  self->monitor(actor);
  bool down = false;
  gp::request_status ended_as = gp::request_status::pending;
  self->receive_while([&] { return !down; })(
    [&](caf::down_msg&) { down = true; },
    [&](gp::moved_atom, std::string&, gp::request_status, int64_t) {
      ADD_FAILURE() << "a stale write was acknowledged";
    },
    // The registry learns the end the row shows (its answers and forgetting go by it).
    [&](gp::ended_atom, gp::request_view& v) { ended_as = v.status; });
  EXPECT_EQ(ended_as, "cancelled");
  auto now = *gp::persistence::find_request(c, r.request_id);
  EXPECT_EQ(now.status, "cancelled");
  EXPECT_EQ(now.message, "newer");
  EXPECT_EQ(now.state_version, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs"), 0);
}

TEST_F(registry, duplicate_completed_events_never_skip_a_step) {
  // A watch's look-up and the worker's report can both say that a job completed; while the
  // actor reads what that step produced, the duplicates must not start another step.
  pqxx::connection c{db.url()};
  auto r = stored_request("dup");
  auto row = gp::persistence::insert_request(c, r).row;
  auto opts = std::make_shared<gp::request_options>();
  opts->pool = gp::test::shuffling_pool(*sys, pool);
  opts->jobs = &gp::io::jobs::builtin_registry();
  opts->pipelines = gp::io::jobs::parse_pipelines(
    R"({"vector": [{"step": "a", "job": "noop"},
                   {"step": "b", "job": "sleep", "params": {"ms": 300}},
                   {"step": "c", "job": "noop"}]})",
    gp::io::jobs::builtin_registry());
  start_coremachine(*opts);
  opts->coremachine = core;
  caf::scoped_actor self{*sys};
  opts->registry = caf::actor_cast<gp::registry_actor>(caf::actor{self});
  auto actor = gp::spawn_request(*sys, opts, row);
  self->monitor(actor);
  auto first = gp::io::jobs::request_job_id(r.request_id, 0, "noop");
  gp::job_event done{first, gp::job_status::completed, 1, true, {}, {}};
  for (int i = 0; i < 200; ++i) {
    caf::anon_send(actor, gp::job_event_atom_v, done);
    std::this_thread::sleep_for(1ms);
  }
  bool down = false;
  gp::request_view last;
  self->receive_while([&] { return !down; })(
    [&](caf::down_msg&) { down = true; }, [&](gp::ended_atom, gp::request_view& v) { last = v; },
    [&](gp::moved_atom, std::string&, gp::request_status, int64_t) {});
  EXPECT_EQ(last.status, "completed");
  ASSERT_EQ(last.jobs.size(), 3u);
  EXPECT_EQ(last.jobs[1].job_type, "sleep");
  EXPECT_EQ(scalar("SELECT count(*) FROM app.jobs WHERE platform_request_id = '" +
                   r.request_id + "' AND status = 'completed'"),
            3);
}
