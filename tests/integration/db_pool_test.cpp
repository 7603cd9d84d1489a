#include "actors/db_pool.hpp"

#include "actors/db_pool_impl.hpp"

#include <set>
#include <thread>

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "test_database.hpp"

using namespace std::chrono_literals;

namespace gp_db_pool_test {

/// The operation of these tests: any SQL answering one integer, so the pool's own behaviour
/// (timeouts, error mapping, reconnection, spreading) is tested apart from the product's
/// operations.
struct query_int {
  std::string sql;
  using result = int64_t;
};

caf::expected<int64_t> execute(gp::persistence::db_session& s, const query_int& q) {
  return s.run<int64_t>([&](pqxx::connection& c) {
    pqxx::nontransaction tx{c};
    return tx.exec1(q.sql)[0].as<int64_t>();
  });
}

using operations = caf::detail::type_list<query_int>;
using pool_actor = gp::db_pool_detail::types<operations>::pool;

}  // namespace gp_db_pool_test

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp_db_pool_test::query_int)

namespace {

using gp_db_pool_test::query_int;


struct db_pool : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  gp::test::scratch_database db;

  void SetUp() override {
    gp::register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  gp::persistence::db_options options(std::chrono::milliseconds timeout = 5000ms) {
    gp::persistence::db_options o;
    o.url = db.url();
    o.statement_timeout = timeout;
    return o;
  }

  /// Sends one operation and waits for its answer: the int64 it returns, or the error.
  caf::expected<int64_t> run(const gp_db_pool_test::pool_actor& pool, query_int job) {
    caf::scoped_actor self{*sys};
    caf::expected<int64_t> out{caf::error{}};
    self->request(pool, 10s, std::move(job))
      .receive([&](int64_t v) { out = v; }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  void TearDown() override {
    caf::anon_send_exit(pool_handle, caf::exit_reason::user_shutdown);
    pool_handle = nullptr;
    sys.reset();
  }

  gp_db_pool_test::pool_actor spawn_pool(const gp::persistence::db_options& o, size_t size) {
    return gp::db_pool_detail::spawn(*sys, gp_db_pool_test::operations{}, o, size);
  }

  gp_db_pool_test::pool_actor pool_handle;
};

}  // namespace

TEST_F(db_pool, runs_a_job_and_returns_its_result) {
  pool_handle = spawn_pool(options(), 2);
  auto r = run(pool_handle, query_int{"SELECT 40 + 2"});
  ASSERT_TRUE(r) << sys->render(r.error());
  EXPECT_EQ(*r, 42);
}

TEST_F(db_pool, sessions_have_the_configured_statement_timeout) {
  pool_handle = spawn_pool(options(1234ms), 1);
  auto r = run(pool_handle, query_int{"SELECT setting::bigint FROM pg_settings WHERE name = "
                                      "'statement_timeout'"});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1234);
}

TEST_F(db_pool, a_statement_past_its_timeout_is_a_database_timeout) {
  pool_handle = spawn_pool(options(200ms), 1);
  auto r = run(pool_handle, query_int{"SELECT 1 FROM pg_sleep(2)"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::database_timeout)) << sys->render(r.error());
  // The worker is still usable afterwards.
  auto again = run(pool_handle, query_int{"SELECT 7"});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 7);
}

TEST_F(db_pool, sql_errors_become_database_errors_with_the_sqlstate) {
  pool_handle = spawn_pool(options(), 1);
  auto r = run(pool_handle, query_int{"SELECT 1 / 0"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::database_error));
  EXPECT_NE(gp::error_detail(r.error()).find("22012"), std::string::npos);
}

TEST_F(db_pool, a_missing_table_means_the_schema_is_not_ready) {
  pool_handle = spawn_pool(options(), 1);
  auto r = run(pool_handle, query_int{"SELECT count(*) FROM platform.no_such_table"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::schema_not_ready)) << sys->render(r.error());
}

TEST_F(db_pool, an_unreachable_server_is_database_unavailable) {
  auto o = options();
  o.url = "postgresql://nobody:x@127.0.0.1:1/none";
  o.connect_timeout = 1s;
  pool_handle = spawn_pool(o, 1);
  auto r = run(pool_handle, query_int{"SELECT 1"});
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::database_unavailable)) << sys->render(r.error());
}

TEST_F(db_pool, concurrent_jobs_spread_over_workers) {
  pool_handle = spawn_pool(options(), 2);
  caf::scoped_actor self{*sys};
  std::set<int64_t> backends;
  auto job = query_int{"SELECT pg_backend_pid() FROM pg_sleep(0.3)"};
  for (int i = 0; i < 2; ++i)
    self->send(pool_handle, job);
  for (int i = 0; i < 2; ++i)
    self->receive([&](int64_t pid) { backends.insert(pid); },
                  [&](caf::error& e) { FAIL() << sys->render(e); });
  EXPECT_EQ(backends.size(), 2u);
}

TEST_F(db_pool, a_connection_lost_during_a_job_fails_it_and_the_next_job_reconnects) {
  pool_handle = spawn_pool(options(), 1);
  auto pid = run(pool_handle, query_int{"SELECT pg_backend_pid()"});
  ASSERT_TRUE(pid);
  auto broken =
    run(pool_handle, query_int{"SELECT count(*) FROM (SELECT pg_terminate_backend(pg_backend_pid())) t"});
  ASSERT_FALSE(broken);
  EXPECT_TRUE(gp::is(broken.error(), gp::errc::database_unavailable))
    << sys->render(broken.error());
  auto fresh = run(pool_handle, query_int{"SELECT pg_backend_pid()"});
  ASSERT_TRUE(fresh) << sys->render(fresh.error());
  EXPECT_NE(*fresh, *pid);
}

// A database restart closes every idle connection of the pool; the first job on each must not
// fail for it (a /health right after the restart found its backlog "unavailable" that way).
TEST_F(db_pool, an_idle_connection_the_server_closed_is_replaced_before_the_next_job) {
  pool_handle = spawn_pool(options(), 1);
  auto pid = run(pool_handle, query_int{"SELECT pg_backend_pid()"});
  ASSERT_TRUE(pid);
  {
    pqxx::connection admin{db.url()};
    pqxx::nontransaction tx{admin};
    tx.exec("SELECT pg_terminate_backend(" + std::to_string(*pid) + ")");
    // Until the server process is gone (and has closed its end of the connection).
    for (int i = 0; i < 100; ++i) {
      auto left = tx.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = " +
                          std::to_string(*pid))[0][0].as<int>();
      if (left == 0)
        break;
      std::this_thread::sleep_for(20ms);
    }
  }
  auto next = run(pool_handle, query_int{"SELECT pg_backend_pid()"});
  ASSERT_TRUE(next) << sys->render(next.error());
  EXPECT_NE(*next, *pid);
}
