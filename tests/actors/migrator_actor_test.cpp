// The migrator under CAF's deterministic scheduler, its pool a strict mock that answers
// db::migrate as told and fails the test on any other message: it migrates at start, reports
// its state, and retries a failed migration after a pause that doubles up to 30 s.
#include "actors/migrator.hpp"

#include <chrono>
#include <deque>
#include <memory>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

/// What the mock pool answers to each db::migrate, in order (an error, or a version); it counts
/// the attempts.
struct mock_db {
  std::deque<caf::expected<int64_t>> answers;
  int attempts = 0;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<mock_db> db) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [db](const gp::db::migrate&) -> caf::result<gp::db::migrate::result> {
      ++db->attempts;
      if (db->answers.empty())
        return caf::make_error(gp::errc::database_unavailable, std::string{"no answer left"});
      auto next = std::move(db->answers.front());
      db->answers.pop_front();
      if (!next)
        return std::move(next.error());
      return gp::db::migrate::result{*next, {*next}};
    },
  };
}

struct migrator_actor : gp::test::deterministic {
  std::shared_ptr<mock_db> db = std::make_shared<mock_db>();
  gp::migrator_actor migrator;

  void start() {
    auto pool = caf::actor_cast<gp::db_pool_actor>(sys->spawn(mock_pool, db));
    migrator = gp::spawn_migrator(*sys, pool);
    run();
  }

  void TearDown() override {
    if (migrator)
      caf::anon_send_exit(migrator, caf::exit_reason::user_shutdown);
    run();
    migrator = nullptr;
  }

  gp::status_report status() { return status_of(migrator); }
};

caf::error unreachable() {
  return caf::make_error(gp::errc::database_unavailable, std::string{"connection refused"});
}

}  // namespace

TEST_F(migrator_actor, migrates_at_start_and_reports_the_version) {
  db->answers.push_back(int64_t{11});
  start();
  EXPECT_EQ(db->attempts, 1);
  auto s = status();
  EXPECT_EQ(s.state, "migrated");
  EXPECT_EQ(s.details["schema_version"], "11");
  EXPECT_EQ(s.details["attempts"], "1");
  EXPECT_EQ(s.details["last_error"], "");
}

TEST_F(migrator_actor, a_failed_attempt_is_retried_after_a_second_and_reported_meanwhile) {
  db->answers.push_back(unreachable());
  db->answers.push_back(int64_t{11});
  start();
  EXPECT_EQ(db->attempts, 1);
  auto s = status();
  EXPECT_EQ(s.state, "retrying");
  EXPECT_EQ(s.details["last_error"], "connection refused");
  after(999ms);
  EXPECT_EQ(db->attempts, 1);
  after(1ms);
  EXPECT_EQ(db->attempts, 2);
  s = status();
  EXPECT_EQ(s.state, "migrated");
  EXPECT_EQ(s.details["last_error"], "");
}

TEST_F(migrator_actor, the_pause_between_attempts_doubles_up_to_thirty_seconds) {
  for (int i = 0; i < 8; ++i)
    db->answers.push_back(unreachable());
  start();
  // Pauses 1, 2, 4, 8, 16, 30, 30 s: each attempt comes exactly when its pause ends.
  for (auto pause : {1s, 2s, 4s, 8s, 16s, 30s, 30s}) {
    int before = db->attempts;
    after(pause - 1ms);
    EXPECT_EQ(db->attempts, before) << "too early after a pause of " << pause.count() << " s";
    after(1ms);
    EXPECT_EQ(db->attempts, before + 1) << "not after a pause of " << pause.count() << " s";
  }
  EXPECT_EQ(status().details["attempts"], "8");
}

TEST_F(migrator_actor, once_migrated_it_asks_the_pool_no_more) {
  db->answers.push_back(int64_t{11});
  start();
  after(120s);
  EXPECT_EQ(db->attempts, 1);
}
