// A request's estimated completion (and so the submit's and status's Retry-After): its creation
// plus the running average of completed requests of its type, loaded at start-up from the last 100
// completed rows and moved by each completion.
#include <chrono>
#include <thread>

#include "io/http/request_codec.hpp"
#include "registry_fixture.hpp"

using gp::io::http::epoch_of;
using gp::test::registry;

namespace {

/// Vector requests whose first step sleeps 1.2 s, so a completed one took at least a second.
const char* slow_pipeline =
  R"({"vector": [{"step": "ingest_vector", "job": "sleep", "params": {"ms": 1200}},
                 {"step": "stac_catalog_vectors", "job": "noop"}]})";

}  // namespace

TEST_F(registry, the_estimate_is_the_average_time_of_completed_requests_of_the_type) {
  start_registry(3, slow_pipeline);
  auto first = submit(submission("v1"));
  ASSERT_EQ(first.outcome, gp::submit_answer::created);
  EXPECT_EQ(first.view.estimated_completion, 0) << "no request of the type completed yet";
  auto done = wait_terminal(first.view.request_id);
  ASSERT_EQ(done.status, "completed");
  auto took = epoch_of(done.completed_at) - epoch_of(done.created_at);
  ASSERT_GE(took, 1);
  // The actor tells the registry of its end as it publishes it: wait for the registry's average.
  until("average_seconds_vector", std::to_string(took));
  auto second = submit(submission("v2"));
  ASSERT_EQ(second.outcome, gp::submit_answer::created);
  auto expected = epoch_of(second.view.created_at) + took;
  EXPECT_EQ(second.view.estimated_completion, expected);
  EXPECT_EQ(submit(submission("v2")).view.estimated_completion, expected) << "a repeat";
  EXPECT_EQ(status(second.view.request_id).estimated_completion, expected) << "its status";
  // An ended request has no estimate.
  EXPECT_EQ(status(first.view.request_id).estimated_completion, 0);
  EXPECT_EQ(submit(submission("v1")).view.estimated_completion, 0);
}

TEST_F(registry, the_average_is_loaded_from_the_completed_rows_at_start_up) {
  {
    pqxx::connection c{db.url()};
    for (auto [version, seconds] : {std::pair{"old-1", 80}, std::pair{"old-2", 120}}) {
      auto r = stored_request(version);
      ASSERT_TRUE(gp::persistence::insert_request(c, r).created);
      pqxx::work tx{c};
      tx.exec_params("UPDATE platform.requests SET status = 'completed', progress_percent = 100, "
                     "created_at = now() - $2 * interval '1 second', completed_at = now() "
                     "WHERE request_id = $1",
                     r.request_id, seconds);
      tx.commit();
    }
  }
  start_registry();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    caf::scoped_actor self{*sys};
    std::string state;
    self->request(reg, 5s, gp::status_atom_v)
      .receive([&](gp::status_report& r) { state = gp::to_string(r.state); }, [&](caf::error&) {});
    if (state == "running")
      break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the registry did not resume";
    std::this_thread::sleep_for(10ms);
  }
  auto a = submit(submission("v1"));
  ASSERT_EQ(a.outcome, gp::submit_answer::created);
  EXPECT_EQ(a.view.estimated_completion, epoch_of(a.view.created_at) + 100);
}
