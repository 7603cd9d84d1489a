#pragma once
// The registry test fixture: a scratch database with one client, a db pool, and (per test) a
// coremachine whose claims create first jobs, and the registry with its supervisor.
#include "actors/registry.hpp"
#include "tests/status_words.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "actors/coremachine.hpp"
#include "actors/db_pool.hpp"
#include "io/http/submit_codec.hpp"
#include "io/jobs/registry.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/messages.hpp"
#include "messages/requests.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "persistence/requests.hpp"
#include "test_database.hpp"

using namespace std::chrono_literals;

namespace gp::test {

struct registry : ::testing::Test {
  gp::test::scratch_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  gp::db_pool_actor pool;
  gp::coremachine_actor core;
  gp::registry_actor reg;
  std::shared_ptr<std::atomic<int>> faults = std::make_shared<std::atomic<int>>(0);
  /// 1: a second insert group may start beside the first at once.
  size_t min_concurrent_batch = 1;
  size_t index_limit = 200000;
  /// The supervisor's reports of started and stopped actors reach the registry this much later.
  std::chrono::milliseconds report_delay{0};
  /// The supervisor's first restart pause (doubling with each crash in the window), and the window.
  std::chrono::milliseconds restart_backoff{20};
  std::chrono::milliseconds restart_window{60000};

  void SetUp() override {
    pqxx::connection c{db.url()};
    gp::persistence::migrate(c, gp::persistence::embedded_migrations());
    gp::test::add_client(c);
    gp::register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    gp::persistence::db_options o;
    o.url = db.url();
    pool = gp::spawn_db_pool(*sys, o, 3);
  }

  /// The coremachine, whose claims create the requests' first jobs (as the node's root does).
  void start_coremachine(const gp::request_options& r) {
    gp::engine_options e;
    e.node_id = "test-node";
    e.workers = 2;
    e.lease = 2s;
    e.retry_base = 50ms;
    e.idle_poll_max = 50ms;
    e.db.url = db.url();
    e.first_jobs = gp::first_job_planner_of(r);
    core = gp::spawn_coremachine(*sys, pool, e, gp::io::jobs::builtin_registry());
  }

  /// A two-step vector pipeline: hello_world, then noop.
  static constexpr const char* two_steps =
    R"({"vector": [{"step": "ingest_vector", "job": "hello_world", "params": {"n": 2}},
                   {"step": "stac_catalog_vectors", "job": "noop"}]})";

  /// The request actors' options over `pipelines`, with the coremachine started. `faults`
  /// writes of "processing" throw before they happen (a negative count: every one).
  gp::request_options request_options_for(const std::string& pipelines) {
    gp::request_options r;
    r.pool = pool;
    r.jobs = &gp::io::jobs::builtin_registry();
    r.pipelines = gp::io::jobs::parse_pipelines(pipelines, gp::io::jobs::builtin_registry());
    start_coremachine(r);
    r.coremachine = core;
    r.retry_delay = 100ms;
    auto faults = this->faults;
    r.fault = [faults](gp::request_status status) {
      if (status != gp::request_status::processing)
        return;
      int left = faults->load();
      if (left < 0 || (left > 0 && faults->compare_exchange_strong(left, left - 1)))
        throw std::runtime_error("injected fault");
    };
    return r;
  }

  /// The supervisor's options of this fixture.
  gp::supervisor_options supervisor_options_for(int max_restarts) const {
    gp::supervisor_options so;
    so.max_restarts = max_restarts;
    so.restart_backoff = restart_backoff;
    so.restart_window = restart_window;
    so.report_delay = report_delay;
    return so;
  }

  /// Starts the registry over a two-step vector pipeline (hello_world, then noop).
  void start_registry(int max_restarts = 3, const std::string& pipelines = two_steps,
                      std::function<void(bool)> after_insert = {}) {
    auto r = request_options_for(pipelines);
    gp::registry_options ro;
    ro.node_id = "test-node";
    ro.after_insert = std::move(after_insert);
    ro.min_concurrent_batch = min_concurrent_batch;
    ro.index_limit = index_limit;
    reg = gp::spawn_registry(*sys, ro, r, supervisor_options_for(max_restarts));
  }

  void TearDown() override {
    if (reg)
      caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
    if (core)
      caf::anon_send_exit(core, caf::exit_reason::user_shutdown);
    if (pool)
      caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    reg = nullptr;
    core = nullptr;
    pool = nullptr;
    sys.reset();
  }

  /// Starts the registry with an insert group that answers 300 ms late, submits `first` and
  /// waits until its group is in the database: what is submitted next waits for that group.
  void start_registry_with_a_slow_first_group(caf::scoped_actor& self) {
    auto committed = std::make_shared<std::atomic<bool>>(false);
    start_registry(3, two_steps, [committed](bool) {
      *committed = true;
      std::this_thread::sleep_for(300ms);
    });
    self->send(reg, gp::submit_atom_v, submission("first"));
    for (int i = 0; i < 500 && !*committed; ++i)
      std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(*committed);
  }

  gp::request_submission submission(const std::string& version) {
    gp::request_submission s;
    s.client_id = "ddh";
    s.dataset_id = "d";
    s.resource_id = "r";
    s.version_id = version;
    s.request_id = gp::io::http::request_id_for("ddh", "d", "r", version);
    s.request_type = "vector";
    s.source_path = "a.csv";
    // As the edge computes it (stored rows are compared in the same form).
    gp::io::http::submit_request req;
    req.request_type = s.request_type;
    req.source_path = s.source_path;
    s.fingerprint = gp::io::http::payload_fingerprint(req);
    return s;
  }

  gp::submit_answer submit(const gp::request_submission& s) {
    caf::scoped_actor self{*sys};
    gp::submit_answer out;
    self->request(reg, 10s, gp::submit_atom_v, s)
      .receive([&](gp::submit_answer& a) { out = a; },
               [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
    return out;
  }

  /// A request as stored directly (not through the registry).
  static gp::persistence::new_request stored_request(const std::string& version) {
    gp::persistence::new_request r;
    r.client_id = "ddh";
    r.dataset_id = "d";
    r.resource_id = "r";
    r.version_id = version;
    r.request_id = gp::io::http::request_id_for("ddh", "d", "r", version);
    r.request_type = "vector";
    r.source_path = "a.csv";
    return r;
  }

  gp::request_view status(const std::string& id) {
    caf::scoped_actor self{*sys};
    gp::request_view out;
    self->request(reg, 10s, gp::query_atom_v, id, std::string{})
      .receive([&](gp::request_view& v) { out = v; },
               [&](caf::error& e) { ADD_FAILURE() << sys->render(e); });
    return out;
  }

  gp::request_view wait_terminal(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    gp::request_view v;
    int last_progress = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      v = status(id);
      EXPECT_GE(v.progress_percent, last_progress) << "progress went back";
      last_progress = v.progress_percent;
      if (gp::is_terminal(v.status))
        return v;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "request " << id << " is still " << v.status;
    return v;
  }

  std::map<std::string, std::string> supervisor_report() {
    caf::scoped_actor self{*sys};
    std::map<std::string, std::string> out;
    self->request(reg, 5s, gp::status_atom_v)
      .receive([&](gp::status_report& r) { out = r.details; }, [&](caf::error&) {});
    return out;
  }

  /// Waits until the registry's status report has `value` under `key`.
  void until(const char* key, const std::string& value) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (supervisor_report()[key] != value) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << key << " is not " << value;
      std::this_thread::sleep_for(10ms);
    }
  }

  int64_t scalar(const std::string& sql) {
    pqxx::connection c{db.url()};
    pqxx::nontransaction tx{c};
    return tx.exec1(sql)[0].as<int64_t>();
  }
};

}  // namespace gp::test
