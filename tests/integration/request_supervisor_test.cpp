// The request supervisor alone, with a probe in the registry's place: a crashed request's restart
// is the supervisor's, whatever the registry asks meanwhile.
#include "tests/status_words.hpp"
#include "actors/request_supervisor.hpp"

#include <chrono>
#include <thread>

#include "actors/status_board.hpp"
#include "pool_wrappers.hpp"
#include "registry_fixture.hpp"

namespace {

/// The supervisor alone: `probe` stands in for the registry (it hears track, untrack, moved and
/// ended), over a stored live request.
struct request_supervisor : gp::test::registry {
  gp::request_row live_row(const std::string& version) {
    pqxx::connection c{db.url()};
    auto r = stored_request(version);
    EXPECT_TRUE(gp::persistence::insert_request(c, r).created);
    return *gp::persistence::find_request(c, r.request_id);
  }

  /// With `db_delay`, every database job of the supervisor and its actors waits that long first
  /// (so the probe's messages reach the supervisor before a job's answer does).
  gp::request_supervisor_actor supervisor_reporting_to(const caf::actor& probe, int max_restarts,
                                     std::chrono::milliseconds db_delay = 0ms) {
    auto r = request_options_for(two_steps);
    r.registry = caf::actor_cast<gp::registry_actor>(probe);
    if (db_delay.count() > 0)
      r.pool = gp::test::delaying_pool(*sys, pool, db_delay);
    r.board = std::make_shared<gp::status_board>();
    return gp::spawn_request_supervisor(
      *sys, std::make_shared<const gp::request_options>(std::move(r)),
      supervisor_options_for(max_restarts));
  }
};

}  // namespace

TEST_F(request_supervisor, a_start_asked_for_during_a_restart_pause_waits_for_the_restart) {
  auto row = live_row("v1");
  *faults = 1;  // the first actor crashes; the next one runs the request to its end
  restart_backoff = 600ms;
  caf::scoped_actor probe{*sys};
  auto sup = supervisor_reporting_to(probe, 3);
  probe->send(sup, gp::start_atom_v, row);
  int tracked = 0;
  std::chrono::steady_clock::time_point crashed;
  bool ended = false;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    probe->receive(
      [&](gp::started_atom, const std::string&, const gp::request_actor&) {
        ++tracked;
        if (tracked == 2)  // the restart: not before its pause
          EXPECT_GE(std::chrono::steady_clock::now() - crashed, 300ms);
      },
      [&](gp::stopped_atom, const std::string&, const caf::actor_addr& addr) {
        if (tracked == 1 && addr) {
          crashed = std::chrono::steady_clock::now();
          // As the registry would on hearing that the actor stopped (e.g. resuming).
          probe->send(sup, gp::start_atom_v, row);
        }
      },
      [&](gp::ended_atom, const gp::request_view& v) {
        EXPECT_EQ(v.status, "completed");
        ended = true;
      },
      [&](gp::moved_atom, const std::string&, gp::request_status, int64_t) {},
      caf::after(std::chrono::milliseconds(100)) >> [] {});
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(tracked, 2) << "one actor, restarted once";
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(request_supervisor, a_start_asked_for_while_a_request_is_being_failed_is_answered_with_none) {
  auto row = live_row("v1");
  *faults = -1;  // every actor crashes; no restart allowed: the first crash fails the request
  caf::scoped_actor probe{*sys};
  auto sup = supervisor_reporting_to(probe, 0, 250ms);
  probe->send(sup, gp::start_atom_v, row);
  int tracked = 0, untracked = 0;
  bool failed = false, released = false;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!released && std::chrono::steady_clock::now() < deadline) {
    probe->receive(
      [&](gp::started_atom, const std::string&, const gp::request_actor&) { ++tracked; },
      [&](gp::stopped_atom, const std::string& id, const caf::actor_addr& addr) {
        if (addr) {
          ++untracked;
          probe->send(sup, gp::start_atom_v, row);  // as the registry would
        } else {
          // No actor will come for the start asked for: the registry stops waiting for one.
          EXPECT_EQ(id, row.request_id);
          EXPECT_TRUE(failed) << "told after the request was failed";
          released = true;
        }
      },
      [&](gp::ended_atom, const gp::request_view& v) {
        EXPECT_EQ(v.status, "failed");
        EXPECT_EQ(v.error_code, "request_actor_crashed");
        failed = true;
      },
      [&](gp::moved_atom, const std::string&, gp::request_status, int64_t) {},
      caf::after(std::chrono::milliseconds(100)) >> [] {});
  }
  EXPECT_TRUE(released);
  EXPECT_EQ(tracked, 1);
  EXPECT_EQ(untracked, 1);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(request_supervisor, a_request_retried_while_it_is_being_failed_gets_its_actor) {
  auto row = live_row("v1");
  *faults = 1;  // the first actor crashes, which fails the request (no restarts allowed)
  caf::scoped_actor probe{*sys};
  auto sup = supervisor_reporting_to(probe, 0, 250ms);
  probe->send(sup, gp::start_atom_v, row);
  int tracked = 0;
  bool released = false;
  // Until the retried request's actor starts, and a moment after (no release may follow).
  auto deadline = std::chrono::steady_clock::now() + 15s;
  std::chrono::steady_clock::time_point settled{};
  while (std::chrono::steady_clock::now() < deadline &&
         (tracked < 2 || std::chrono::steady_clock::now() < settled)) {
    probe->receive(
      [&](gp::started_atom, const std::string&, const gp::request_actor&) {
        if (++tracked == 2)
          settled = std::chrono::steady_clock::now() + 500ms;
      },
      [&](gp::stopped_atom, const std::string&, const caf::actor_addr& addr) {
        if (addr && tracked == 1) {
          // As the registry would after a retry reopened the request (a newer version) while
          // the supervisor's failing write was still on its way.
          auto reopened = row;
          reopened.state_version = row.state_version + 10;
          probe->send(sup, gp::start_atom_v, reopened);
        } else if (!addr) {
          released = true;
        }
      },
      [&](gp::ended_atom, const gp::request_view&) {},
      [&](gp::moved_atom, const std::string&, gp::request_status, int64_t) {},
      caf::after(std::chrono::milliseconds(100)) >> [] {});
  }
  EXPECT_EQ(tracked, 2) << "the retried request's actor started";
  EXPECT_FALSE(released) << "the registry was told no actor would come";
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}
