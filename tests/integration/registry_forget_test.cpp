// The registry forgets ended requests past its index limit, oldest first, but never one whose
// actor is asked for, running, or not yet reported; forgotten requests are answered from their
// rows (real PostgreSQL, coremachine and request actors).
#include "registry_fixture.hpp"

using gp::test::registry;

TEST_F(registry, a_full_index_of_live_requests_queues_nothing_to_forget) {
  // Live requests cannot be forgotten: past the limit the index grows, and a new submission
  // finds nothing queued to forget (the index was once scanned for ended requests instead).
  index_limit = 100;
  start_registry(3, R"({"vector": [{"step": "ingest_vector", "job": "sleep", "params": {"ms": 60000}},
                                   {"step": "stac_catalog_vectors", "job": "noop"}]})");
  caf::scoped_actor self{*sys};
  constexpr int n = 300;
  for (int i = 0; i < n; ++i)
    self->send(reg, gp::submit_atom_v, submission("live" + std::to_string(i)));
  int created = 0;
  for (int i = 0; i < n; ++i)
    self->receive([&](gp::submit_answer& a) { created += a.outcome == gp::submit_answer::created; },
                  [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  EXPECT_EQ(created, n);
  until("live_actors", std::to_string(n));
  auto report = supervisor_report();
  EXPECT_EQ(report["known_requests"], std::to_string(n));
  EXPECT_EQ(report["forget_queue"], "0");
  EXPECT_EQ(report["forgotten_requests"], "0");
}

TEST_F(registry, past_the_limit_ended_requests_are_forgotten_and_still_answered_from_their_rows) {
  index_limit = 10;
  start_registry();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto a = submit(submission("old" + std::to_string(i)));
    ASSERT_EQ(a.outcome, gp::submit_answer::created);
    ids.push_back(a.view.request_id);
  }
  for (const auto& id : ids)
    EXPECT_EQ(wait_terminal(id).status, "completed");
  // Their actors stop after the end; then each waits to be forgotten.
  until("forget_queue", "10");
  EXPECT_EQ(supervisor_report()["live_actors"], "0");
  // The index is full: the next submission forgets two of them.
  EXPECT_EQ(submit(submission("new")).outcome, gp::submit_answer::created);
  auto report = supervisor_report();
  EXPECT_EQ(report["forgotten_requests"], "2");
  EXPECT_EQ(report["known_requests"], "9");
  // Forgotten requests are read from their rows again: status and a repeated submission.
  for (const auto& id : ids)
    EXPECT_EQ(status(id).status, "completed");
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(submit(submission("old" + std::to_string(i))).outcome, gp::submit_answer::same);
}

TEST_F(registry, a_retried_request_waiting_to_be_forgotten_is_kept_while_it_runs_again) {
  index_limit = 3;
  *faults = -1;  // its actor crashes until the request fails
  start_registry(0, R"({"vector": [{"step": "ingest_vector", "job": "sleep", "params": {"ms": 1000}},
                                   {"step": "stac_catalog_vectors", "job": "noop"}]})");
  auto id = submit(submission("again")).view.request_id;
  EXPECT_EQ(wait_terminal(id).status, "failed");
  until("forget_queue", "1");
  *faults = 0;
  caf::scoped_actor self{*sys};
  self->request(reg, 10s, gp::retry_atom_v, id, std::string{"ddh"})
    .receive([&](gp::request_view& v) { EXPECT_FALSE(gp::is_terminal(v.status)) << v.status; },
             [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  // The index fills past its limit while the retried request runs: its queued id comes up and
  // is dropped (the request is live and has its actor), the request is kept.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(submit(submission("more" + std::to_string(i))).outcome, gp::submit_answer::created);
  auto report = supervisor_report();
  EXPECT_EQ(report["forgotten_requests"], "0");
  EXPECT_EQ(report["forget_queue"], "0");
  EXPECT_EQ(report["known_requests"], "5");
  EXPECT_FALSE(gp::is_terminal(status(id).status));
  // Once it ends again it is queued again, with the four others, and can be forgotten.
  EXPECT_EQ(wait_terminal(id).status, "completed");
  until("forget_queue", "5");
  EXPECT_EQ(submit(submission("last")).outcome, gp::submit_answer::created);
  report = supervisor_report();
  EXPECT_EQ(report["forgotten_requests"], "2");
  EXPECT_EQ(report["known_requests"], "4");
}

TEST_F(registry, a_request_is_not_forgotten_between_its_actors_start_and_its_report) {
  // The window between the registry asking for an actor and the supervisor reporting it, widened:
  // each request ends (its jobs end as they are created) before its actor is reported, and the
  // index is past its limit. None may be forgotten until its actor has been reported and has
  // stopped (one forgotten in the window came back as an entry with no client).
  index_limit = 2;
  report_delay = 2s;
  start_registry(3, R"({"vector": [{"job": "hello_world", "params": {"n": 0}},
                                   {"job": "noop", "params": {"tasks": 0}}]})");
  caf::scoped_actor self{*sys};
  for (int i = 0; i < 4; ++i)
    self->send(reg, gp::submit_atom_v, submission("early" + std::to_string(i)));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i)
    self->receive(
      [&](gp::submit_answer& a) {
        EXPECT_EQ(a.outcome, gp::submit_answer::created);
        ids.push_back(a.view.request_id);
      },
      [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
  ASSERT_EQ(ids.size(), 4u);
  for (const auto& id : ids)
    EXPECT_EQ(wait_terminal(id).status, "completed");
  auto report = supervisor_report();
  ASSERT_EQ(report["live_actors"], "0") << "an actor was reported before the test looked";
  EXPECT_EQ(report["forgotten_requests"], "0");
  EXPECT_EQ(report["forget_queue"], "0");
  EXPECT_EQ(report["known_requests"], "4");
  auto all_answered = [&] {
    for (const auto& id : ids) {
      auto v = status(id);
      EXPECT_EQ(v.status, "completed");
      EXPECT_EQ(v.client_id, "ddh");
    }
  };
  all_answered();
  // Reported (started, then stopped): now each waits to be forgotten, and the next new request
  // forgets the two oldest; they are still answered from their rows.
  until("forget_queue", "4");
  EXPECT_EQ(supervisor_report()["live_actors"], "0");
  EXPECT_EQ(submit(submission("late")).outcome, gp::submit_answer::created);
  report = supervisor_report();
  EXPECT_EQ(report["forgotten_requests"], "2");
  EXPECT_EQ(report["known_requests"], "3");
  all_answered();
}
