// The lease keeper under CAF's deterministic scheduler, its pool a strict mock that records each
// db::renew_leases and answers what the test says: claims are renewed every round, and a task is
// asked to stop when its claim was lost, its job stopped, it passed its deadline, or the node
// stops.
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/task_worker.hpp"
#include "messages/atoms.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct mock_db {
  std::vector<gp::db::renew_leases> rounds;
  /// Task ids the next answers leave out of `renewed` (lost claims).
  std::vector<int64_t> lost;
  /// Task ids whose job is no longer running.
  std::vector<int64_t> job_stopped;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<mock_db> db) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [db](const gp::db::renew_leases& op) -> caf::result<gp::persistence::renewal> {
      db->rounds.push_back(op);
      gp::persistence::renewal r;
      for (const auto& c : op.claims) {
        if (std::find(db->lost.begin(), db->lost.end(), c.task_id) == db->lost.end())
          r.renewed.push_back(c.task_id);
      }
      r.job_stopped = db->job_stopped;
      return r;
    },
  };
}

struct lease_keeper_actor : gp::test::deterministic {
  std::shared_ptr<mock_db> db = std::make_shared<mock_db>();
  gp::engine_options opts;
  gp::lease_keeper_actor keeper;

  void SetUp() override {
    opts.node_id = "node-a";
    opts.lease = 3000ms;  // a round every 500 ms
    auto pool = caf::actor_cast<gp::db_pool_actor>(sys->spawn(mock_pool, db));
    keeper = gp::spawn_lease_keeper(*sys, pool, opts);
    run();
  }

  void TearDown() override {
    if (keeper)
      caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
    run();
    keeper = nullptr;
  }

  /// A tracked task: its stop flag, so the test sees whether the keeper asked it to stop.
  std::shared_ptr<std::atomic<bool>> track(int64_t id, int attempt,
                                           std::chrono::steady_clock::time_point deadline =
                                             std::chrono::steady_clock::time_point::max()) {
    auto stop = std::make_shared<std::atomic<bool>>(false);
    caf::anon_send(keeper, gp::track_atom_v, gp::running_task{id, attempt, "noop", stop, deadline});
    run();
    return stop;
  }

  void round() { after(500ms); }

  gp::status_report status() { return status_of(keeper); }
};

std::vector<int64_t> ids_of(const gp::db::renew_leases& op) {
  std::vector<int64_t> out;
  for (const auto& c : op.claims)
    out.push_back(c.task_id);
  return out;
}

}  // namespace

TEST_F(lease_keeper_actor, no_round_reaches_the_pool_while_nothing_is_tracked) {
  round();
  round();
  EXPECT_TRUE(db->rounds.empty());
}

TEST_F(lease_keeper_actor, each_round_renews_every_tracked_claim_as_this_node_for_one_lease) {
  auto a = track(1, 1);
  auto b = track(2, 3);
  round();
  ASSERT_EQ(db->rounds.size(), 1u);
  EXPECT_EQ(db->rounds[0].owner, "node-a");
  EXPECT_EQ(db->rounds[0].lease, 3000ms);
  EXPECT_EQ(ids_of(db->rounds[0]), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(db->rounds[0].claims[1].attempt, 3);
  round();
  EXPECT_EQ(db->rounds.size(), 2u);
  EXPECT_FALSE(a->load());
  EXPECT_FALSE(b->load());
  EXPECT_EQ(status().details["renewals"], "2");
}

TEST_F(lease_keeper_actor, a_claim_the_renewal_lost_is_asked_to_stop) {
  auto a = track(1, 1);
  auto b = track(2, 1);
  db->lost = {2};
  round();
  EXPECT_FALSE(a->load());
  EXPECT_TRUE(b->load());
}

TEST_F(lease_keeper_actor, a_task_whose_job_stopped_is_asked_to_stop) {
  auto a = track(1, 1);
  db->job_stopped = {1};
  round();
  EXPECT_TRUE(a->load());
}

TEST_F(lease_keeper_actor, a_task_past_its_deadline_is_stopped_and_renewed_for_one_more_lease_only) {
  auto now = std::chrono::steady_clock::now();
  auto late = track(1, 1, now - 1s);      // past its deadline, within one lease of it
  auto gone = track(2, 1, now - 10s);     // more than a lease past: no longer renewed
  auto fine = track(3, 1, now + 1h);
  round();
  EXPECT_TRUE(late->load());
  EXPECT_TRUE(gone->load());
  EXPECT_FALSE(fine->load());
  ASSERT_EQ(db->rounds.size(), 1u);
  EXPECT_EQ(ids_of(db->rounds[0]), (std::vector<int64_t>{1, 3}));
}

TEST_F(lease_keeper_actor, an_older_claims_messages_never_displace_the_newer_claim) {
  track(7, 2);
  // The first claim's late messages: its track and its untrack.
  track(7, 1);
  caf::anon_send(keeper, gp::untrack_atom_v, int64_t{7}, 1);
  run();
  round();
  ASSERT_EQ(db->rounds.size(), 1u);
  ASSERT_EQ(db->rounds[0].claims.size(), 1u);
  EXPECT_EQ(db->rounds[0].claims[0].attempt, 2);
  caf::anon_send(keeper, gp::untrack_atom_v, int64_t{7}, 2);
  run();
  EXPECT_EQ(status().details["running_tasks"], "0");
}

TEST_F(lease_keeper_actor, the_node_stopping_asks_every_running_task_to_stop) {
  auto a = track(1, 1);
  auto b = track(2, 1);
  caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
  run();
  keeper = nullptr;
  EXPECT_TRUE(a->load());
  EXPECT_TRUE(b->load());
  EXPECT_TRUE(opts.stopping->load());
}
