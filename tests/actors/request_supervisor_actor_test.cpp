// The request supervisor under CAF's deterministic scheduler. Its request actors are mocks made
// by an injected maker (the test stops or crashes them), its registry a probe that records what
// it hears, its pool a strict mock over a map of rows: a start makes an actor and reports it; a
// stop is reported and not restarted; a crash is restarted from the row after a pause that
// doubles; too many crashes fail the request; a start asked for while a restart is pending waits
// for the restart; a restart that finds its row ended makes no actor.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/request_supervisor.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct world {
  std::map<std::string, gp::request_row> rows;
  /// Actors made, in order: (request id, whether fresh, the actor).
  std::vector<std::tuple<std::string, bool, caf::actor>> made;
  /// What the registry heard, one line each ("started r1", "stopped r1", "ended r1 failed", …).
  std::vector<std::string> heard;
  std::vector<std::string> reads;
  std::vector<gp::db::fail_request> failed;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<world> w) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [w](const gp::db::find_request& op) -> caf::result<gp::db::find_request::result> {
      w->reads.push_back(op.request_id);
      auto i = w->rows.find(op.request_id);
      if (i == w->rows.end())
        return gp::db::find_request::result{};
      return gp::db::find_request::result{i->second};
    },
    [w](const gp::db::fail_request& op) -> caf::result<gp::db::find_request::result> {
      w->failed.push_back(op);
      auto& row = w->rows.at(op.request_id);
      row.status = gp::request_status::failed;
      row.error_code = op.error_code;
      ++row.state_version;
      return gp::db::find_request::result{row};
    },
  };
}

caf::behavior registry_probe(caf::event_based_actor*, std::shared_ptr<world> w) {
  return {
    [w](gp::started_atom, const std::string& id, const gp::request_actor&) {
      w->heard.push_back("started " + id);
    },
    [w](gp::stopped_atom, const std::string& id, const caf::actor_addr& addr) {
      w->heard.push_back(std::string{addr ? "stopped " : "none "} + id);
    },
    [w](gp::ended_atom, const gp::request_view& v) {
      w->heard.push_back("ended " + v.request_id + " " + gp::to_string(v.status));
    },
    [w](gp::moved_atom, const std::string& id, gp::request_status status, int64_t) {
      w->heard.push_back("moved " + id + " " + gp::to_string(status));
    },
  };
}

/// A request actor that does nothing until the test stops or crashes it.
caf::behavior idle_request(caf::event_based_actor*) {
  return {[](gp::query_atom) { return gp::request_view{}; }};
}

gp::request_row live_row(const std::string& id) {
  gp::request_row r;
  r.request_id = id;
  r.client_id = "ddh";
  r.request_type = "vector";
  r.status = gp::request_status::processing;
  r.snapshot_json = "{}";
  return r;
}

struct request_supervisor_actor : gp::test::deterministic {
  std::shared_ptr<world> w = std::make_shared<world>();
  gp::request_supervisor_actor sup;
  caf::actor registry;
  caf::actor pool;

  void SetUp() override {
    pool = sys->spawn(mock_pool, w);
    registry = sys->spawn(registry_probe, w);
    auto opts = std::make_shared<gp::request_options>();
    opts->pool = caf::actor_cast<gp::db_pool_actor>(pool);
    opts->registry = caf::actor_cast<gp::registry_actor>(registry);
    gp::supervisor_options s;
    s.max_restarts = 2;
    s.restart_window = 60s;
    s.restart_backoff = 200ms;
    auto world = w;
    s.make_actor = [world](caf::actor_system& sys, std::shared_ptr<const gp::request_options>,
                           gp::fresh_request r, bool fresh) {
      auto a = sys.spawn(idle_request);
      world->made.emplace_back(r.row.request_id, fresh, a);
      return caf::actor_cast<gp::request_actor>(a);
    };
    sup = gp::spawn_request_supervisor(*sys, opts, s);
    run();
  }

  void TearDown() override {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    run();
    for (auto* a : {&registry, &pool})
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    run();
    sup = nullptr;
  }

  void start(const gp::request_row& row) {
    w->rows[row.request_id] = row;
    caf::anon_send(sup, gp::start_atom_v, row);
    run();
  }

  /// The newest actor made for `id`.
  caf::actor actor_of(const std::string& id) {
    for (auto i = w->made.rbegin(); i != w->made.rend(); ++i)
      if (std::get<0>(*i) == id)
        return std::get<2>(*i);
    return nullptr;
  }

  void crash(const std::string& id) {
    caf::anon_send_exit(actor_of(id), caf::exit_reason::kill);
    run();
  }

  size_t made_for(const std::string& id) {
    size_t n = 0;
    for (const auto& m : w->made)
      n += std::get<0>(m) == id ? 1 : 0;
    return n;
  }

  gp::status_report status() { return status_of(sup); }
};

using lines = std::vector<std::string>;

}  // namespace

TEST_F(request_supervisor_actor, a_start_makes_the_actor_of_the_row_and_tells_the_registry) {
  start(live_row("r1"));
  ASSERT_EQ(w->made.size(), 1u);
  EXPECT_EQ(std::get<0>(w->made[0]), "r1");
  EXPECT_FALSE(std::get<1>(w->made[0]));
  EXPECT_EQ(w->heard, lines{"started r1"});
  EXPECT_TRUE(w->reads.empty());  // the row came with the start
}

TEST_F(request_supervisor_actor, a_fresh_start_makes_a_fresh_actor) {
  auto row = live_row("r1");
  w->rows["r1"] = row;
  caf::anon_send(sup, gp::start_atom_v, gp::fresh_request{row, {}});
  run();
  ASSERT_EQ(w->made.size(), 1u);
  EXPECT_TRUE(std::get<1>(w->made[0]));
  EXPECT_EQ(w->heard, lines{"started r1"});
}

TEST_F(request_supervisor_actor, an_actor_that_stops_is_reported_and_not_restarted) {
  start(live_row("r1"));
  caf::anon_send_exit(actor_of("r1"), caf::exit_reason::user_shutdown);
  run();
  after(10s);
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1"}));
  EXPECT_EQ(made_for("r1"), 1u);
}

TEST_F(request_supervisor_actor, a_crashed_actor_is_restarted_from_its_row_after_the_pause) {
  start(live_row("r1"));
  crash("r1");
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1"}));
  after(199ms);
  EXPECT_EQ(made_for("r1"), 1u);
  EXPECT_TRUE(w->reads.empty());
  after(1ms);
  EXPECT_EQ(w->reads, lines{"r1"});
  EXPECT_EQ(made_for("r1"), 2u);
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1", "started r1"}));
  EXPECT_EQ(status().details["restarted"], "1");
}

TEST_F(request_supervisor_actor, the_pause_doubles_with_each_crash_in_the_window) {
  start(live_row("r1"));
  crash("r1");
  after(200ms);
  ASSERT_EQ(made_for("r1"), 2u);
  crash("r1");
  after(399ms);
  EXPECT_EQ(made_for("r1"), 2u);
  after(1ms);
  EXPECT_EQ(made_for("r1"), 3u);
}

TEST_F(request_supervisor_actor, too_many_crashes_fail_the_request_instead_of_restarting_it) {
  start(live_row("r1"));
  crash("r1");
  after(200ms);
  crash("r1");
  after(400ms);
  crash("r1");  // the third in the window: more than max_restarts (2)
  after(10s);
  EXPECT_EQ(made_for("r1"), 3u);
  ASSERT_EQ(w->failed.size(), 1u);
  EXPECT_EQ(w->failed[0].error_code, "request_actor_crashed");
  EXPECT_NE(w->failed[0].message.find("3 times"), std::string::npos) << w->failed[0].message;
  EXPECT_EQ(w->heard.back(), "ended r1 failed");
  EXPECT_EQ(status().details["given_up"], "1");
}

TEST_F(request_supervisor_actor, a_start_asked_for_during_the_pause_waits_for_the_restart) {
  start(live_row("r1"));
  crash("r1");
  // The registry, told the actor stopped, asks for a start at once (as when resuming).
  caf::anon_send(sup, gp::start_atom_v, live_row("r1"));
  run();
  EXPECT_EQ(made_for("r1"), 1u);
  after(200ms);
  EXPECT_EQ(made_for("r1"), 2u);
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1", "started r1"}));
}

TEST_F(request_supervisor_actor, a_restart_that_finds_its_row_ended_makes_no_actor) {
  start(live_row("r1"));
  crash("r1");
  w->rows["r1"].status = gp::request_status::cancelled;  // cancelled meanwhile
  after(200ms);
  EXPECT_EQ(made_for("r1"), 1u);
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1", "moved r1 cancelled"}));
}

TEST_F(request_supervisor_actor, a_start_asked_for_while_the_restart_finds_the_row_ended_is_dropped) {
  start(live_row("r1"));
  crash("r1");
  caf::anon_send(sup, gp::start_atom_v, live_row("r1"));  // noted, left to the restart
  run();
  w->rows["r1"].status = gp::request_status::completed;
  w->rows["r1"].state_version = 5;
  after(200ms);
  EXPECT_EQ(made_for("r1"), 1u);
  // The noted start's row is older than the ended one: no actor will come, the registry is told.
  EXPECT_EQ(w->heard, (lines{"started r1", "stopped r1", "moved r1 completed", "none r1"}));
}

TEST_F(request_supervisor_actor, a_retry_while_failing_starts_from_the_newer_live_row) {
  start(live_row("r1"));
  crash("r1");
  after(200ms);
  crash("r1");
  after(400ms);
  // The third crash: the request is being failed when a retry reopens it (a newer live row).
  auto retried = live_row("r1");
  retried.state_version = 10;
  crash("r1");
  caf::anon_send(sup, gp::start_atom_v, retried);
  run();
  after(10s);
  ASSERT_EQ(w->failed.size(), 1u);
  EXPECT_EQ(made_for("r1"), 4u);
  EXPECT_EQ(w->heard.back(), "started r1");
}
