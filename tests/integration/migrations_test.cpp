#include "persistence/migrations.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "io/http/submit_codec.hpp"
#include "persistence/database.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using gp::test::scratch_database;

namespace {

int64_t count(pqxx::connection& c, const std::string& sql) {
  pqxx::nontransaction tx{c};
  return tx.exec1(sql)[0].as<int64_t>();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

void add_client_ddh(pqxx::transaction_base& tx) {
  tx.exec("INSERT INTO platform.clients (client_id, name, webhook_secret) VALUES ('ddh','d','s')");
}

/// Applies every migration and adds client "ddh".
void migrate_with_client(pqxx::connection& c) {
  migrate(c, embedded_migrations());
  pqxx::work tx{c};
  add_client_ddh(tx);
  tx.commit();
}

/// The embedded migrations up to `version`: a database as an older binary left it.
std::vector<migration> migrations_up_to(int version) {
  std::vector<migration> out;
  for (const auto& m : embedded_migrations())
    if (m.version <= version)
      out.push_back(m);
  return out;
}

/// Migrates `c` up to `version` (a database as an older binary left it), then adds client "ddh"
/// and runs `seed` in one transaction.
void seed_at(pqxx::connection& c, int version, const char* seed) {
  migrate(c, migrations_up_to(version));
  pqxx::work tx{c};
  add_client_ddh(tx);
  tx.exec(seed);
  tx.commit();
}

/// A result row as text, each field followed by '|'.
std::string fields_of(const pqxx::row& r) {
  std::string out;
  for (const auto& f : r)
    out += f.as<std::string>() + "|";
  return out;
}

}  // namespace

TEST(migrations, fresh_database_gets_every_migration_then_nothing_on_a_second_run) {
  scratch_database db;
  pqxx::connection c{db.url()};
  const auto& all = embedded_migrations();
  ASSERT_GE(all.size(), 3u);
  auto first = migrate(c, all);
  EXPECT_EQ(first.version_before, 0);
  EXPECT_EQ(first.version_after, latest_migration_version());
  EXPECT_EQ(first.applied.size(), all.size());
  auto second = migrate(c, all);
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.version_after, latest_migration_version());
  EXPECT_EQ(count(c, "SELECT count(*) FROM platform.schema_migrations"),
            static_cast<int64_t>(all.size()));
  EXPECT_EQ(applied_schema_version(c), latest_migration_version());
}

TEST(migrations, create_the_documented_schemas_and_tables) {
  scratch_database db;
  pqxx::connection c{db.url()};
  migrate(c, embedded_migrations());
  EXPECT_EQ(count(c, "SELECT count(*) FROM pg_namespace WHERE nspname IN "
                     "('platform','app','stac','geo')"),
            4);
  for (const char* col : {"client_id", "owner_node", "lease_until", "state_version", "snapshot"})
    EXPECT_EQ(count(c, std::string{"SELECT count(*) FROM information_schema.columns WHERE "
                                   "table_schema='platform' AND table_name='requests' AND "
                                   "column_name='"} + col + "'"),
              1)
      << col;
  EXPECT_EQ(count(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema="
                     "'platform' AND table_name IN ('clients','api_keys')"),
            2);
}

TEST(migrations, requests_are_unique_per_client_dataset_resource_version) {
  scratch_database db;
  pqxx::connection c{db.url()};
  migrate_with_client(c);
  auto insert = [&](const std::string& id, const std::string& version) {
    pqxx::work tx{c};
    tx.exec_params("INSERT INTO platform.requests (request_id, client_id, dataset_id, "
                   "resource_id, version_id, request_type, source_path) VALUES ($1, 'ddh', 'd', "
                   "'r', $2, 'vector', 'x.gpkg')",
                   id, version);
    tx.commit();
  };
  // A request's id is its identity's hash, in the service and in the database alike.
  auto id = gp::io::http::request_id_for("ddh", "d", "r", "v1");
  {
    pqxx::nontransaction tx{c};
    auto row = tx.exec1("SELECT platform.request_id_for('ddh', 'd', 'r', 'v1')");
    EXPECT_EQ(row[0].as<std::string>(), id);
  }
  EXPECT_NO_THROW(insert(id, "v1"));
  // The same identity again: the same id, refused by the primary key.
  EXPECT_THROW(insert(id, "v1"), pqxx::unique_violation);
  // The same identity under another id (well formed, or another identity's): refused too.
  EXPECT_THROW(insert(std::string(32, 'b'), "v1"), pqxx::check_violation);
  EXPECT_THROW(insert(gp::io::http::request_id_for("ddh", "d", "r", "v2"), "v1"),
               pqxx::check_violation);
  EXPECT_EQ(count(c, "SELECT count(*) FROM platform.requests"), 1);
}

TEST(migrations, rows_whose_id_is_not_their_identity_hash_stop_migration_9_with_a_clear_error) {
  scratch_database db;
  pqxx::connection c{db.url()};
  const auto& all = embedded_migrations();
  // Well formed for version 8, but not the identity's hash (written by hand).
  seed_at(c, 8,
          "INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id, "
          "version_id, request_type, source_path) VALUES (repeat('a', 32), 'ddh', 'd', 'r', "
          "'v1', 'vector', 'x.gpkg')");
  auto err = error_of([&] { migrate(c, all); });
  EXPECT_NE(err.find("1 request rows have an id that is not the SHA-256 of their identity"),
            std::string::npos)
    << err;
  EXPECT_EQ(applied_schema_version(c), 8) << "migration 9 must not be recorded";
  {
    pqxx::work tx{c};
    tx.exec("UPDATE platform.requests SET request_id = "
            "left(encode(sha256(convert_to('ddh|d|r|v1', 'UTF8')), 'hex'), 32)");
    tx.commit();
  }
  EXPECT_EQ(migrate(c, all).version_after, latest_migration_version());
}

TEST(migrations, request_and_job_ids_must_be_lower_case_hex_of_their_length) {
  scratch_database db;
  pqxx::connection c{db.url()};
  migrate_with_client(c);
  auto request = [&](const std::string& id, const std::string& resource) {
    pqxx::work tx{c};
    tx.exec_params("INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id, "
                   "version_id, request_type, source_path) VALUES ($1, 'ddh', 'd', $2, 'v1', "
                   "'vector', 'x.gpkg')",
                   id, resource);
    tx.commit();
  };
  auto job = [&](const std::string& id) {
    pqxx::work tx{c};
    tx.exec_params("INSERT INTO app.jobs (job_id, job_type, total_stages) VALUES ($1, 'noop', 1)",
                   id);
    tx.commit();
  };
  // A request id is its identity's hash: that one is accepted, any other (well formed or not)
  // refused.
  EXPECT_NO_THROW(request(gp::io::http::request_id_for("ddh", "d", "ok", "v1"), "ok"));
  EXPECT_THROW(request("0123456789abcdef0123456789abcdef", "r"), pqxx::check_violation);
  for (const auto& bad : {std::string(31, 'a'), std::string(31, 'a') + "A",
                          std::string(31, 'a') + "g", std::string(31, 'a') + " ",
                          std::string(30, 'a') + "-1"})
    EXPECT_THROW(request(bad, "r"), pqxx::check_violation) << bad;
  EXPECT_NO_THROW(job(std::string(64, 'f')));
  for (const auto& bad : {std::string(63, 'a'), std::string(63, 'a') + "A", std::string(63, 'a') + "x"})
    EXPECT_THROW(job(bad), pqxx::check_violation) << bad;
  // Ids compare byte by byte.
  EXPECT_EQ(count(c, "SELECT count(*) FROM information_schema.columns WHERE column_name IN "
                     "('request_id', 'job_id', 'platform_request_id', 'reused_from') AND "
                     "table_schema IN ('platform', 'app') AND collation_name IS DISTINCT FROM 'C'"),
            0);
}

TEST(migrations, analyze_skips_payload_columns_and_keeps_the_filtered_ones) {
  scratch_database db;
  pqxx::connection c{db.url()};
  migrate_with_client(c);
  pqxx::nontransaction tx{c};
  auto without = [&](const std::string& table) {
    std::vector<std::string> names;
    for (const auto& row : tx.exec("SELECT attname FROM pg_attribute WHERE attrelid = '" + table +
                                   "'::regclass AND attnum > 0 AND NOT attisdropped AND "
                                   "attstattarget = 0 "
                                   "ORDER BY attname"))
      names.push_back(row[0].as<std::string>());
    return names;
  };
  EXPECT_EQ(without("platform.requests"),
            (std::vector<std::string>{"callback_url", "client_request_id", "endpoints",
                                      "error_message", "message", "outputs", "processing_config",
                                      "snapshot", "source_path", "stac_metadata"}));
  EXPECT_EQ(without("app.jobs"), (std::vector<std::string>{"error", "job_id", "parameters",
                                                           "result", "stage_results"}));
  // What queries filter on is still measured: ANALYZE fills in its statistics.
  tx.exec("INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id, "
          "version_id, request_type, source_path) VALUES (platform.request_id_for('ddh', 'd', "
          "'r', 'v1'), 'ddh', 'd', 'r', 'v1', 'vector', 'x.gpkg')");
  tx.exec("ANALYZE platform.requests");
  auto measured = [&](const std::string& columns) {
    return tx
      .exec1("SELECT count(*) FROM pg_stats WHERE schemaname = 'platform' AND tablename = "
             "'requests' AND attname IN (" + columns + ")")[0]
      .as<int>();
  };
  EXPECT_EQ(measured("'client_id', 'status', 'created_at', 'request_id'"), 4);
  EXPECT_EQ(measured("'snapshot', 'processing_config'"), 0);
}

TEST(migrations, concurrent_migrators_apply_each_migration_once) {
  for (int round = 0; round < 3; ++round) {
    scratch_database db;
    std::vector<std::thread> threads;
    std::vector<migrate_report> reports(4);
    std::vector<std::string> errors(4);
    for (size_t i = 0; i < reports.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          pqxx::connection c{db.url()};
          reports[i] = migrate(c, embedded_migrations());
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    for (auto& t : threads)
      t.join();
    size_t applied = 0;
    for (size_t i = 0; i < reports.size(); ++i) {
      EXPECT_EQ(errors[i], "") << "migrator " << i;
      EXPECT_EQ(reports[i].version_after, latest_migration_version());
      applied += reports[i].applied.size();
    }
    EXPECT_EQ(applied, embedded_migrations().size());
    pqxx::connection c{db.url()};
    EXPECT_EQ(count(c, "SELECT count(*) FROM platform.schema_migrations"),
              static_cast<int64_t>(embedded_migrations().size()));
  }
}

TEST(migrations, a_failing_migration_leaves_no_trace) {
  scratch_database db;
  pqxx::connection c{db.url()};
  auto all = embedded_migrations();
  migrate(c, all);
  auto next = latest_migration_version() + 1;
  all.push_back({next, "broken", "CREATE TABLE platform.half_done (x int); SELEC broken;"});
  EXPECT_THROW(migrate(c, all), pqxx::syntax_error);
  EXPECT_EQ(applied_schema_version(c), latest_migration_version());
  EXPECT_EQ(count(c, "SELECT count(*) FROM information_schema.tables WHERE table_name='half_done'"),
            0);
  // The lock was released: a corrected migration applies.
  all.back().sql = "CREATE TABLE platform.half_done (x int);";
  EXPECT_EQ(migrate(c, all).applied, std::vector<int64_t>{next});
}

TEST(migrations, an_edited_applied_migration_is_refused) {
  scratch_database db;
  pqxx::connection c{db.url()};
  auto all = embedded_migrations();
  migrate(c, all);
  all.front().sql += "\n-- edited";
  auto e = error_of([&] { migrate(c, all); });
  EXPECT_NE(e.find("was changed after it was applied"), std::string::npos) << e;
}

TEST(migrations, a_database_newer_than_the_binary_is_refused) {
  scratch_database db;
  pqxx::connection c{db.url()};
  auto all = embedded_migrations();
  migrate(c, all);
  all.pop_back();
  auto e = error_of([&] { migrate(c, all); });
  EXPECT_NE(e.find("newer than this binary"), std::string::npos) << e;
}

TEST(migrations, missing_postgis_is_reported_clearly) {
  scratch_database db{false};
  pqxx::connection c{db.url()};
  EXPECT_FALSE(postgis_installed(c));
  auto e = error_of([&] { migrate(c, embedded_migrations()); });
  EXPECT_NE(e.find("PostGIS extension is not installed"), std::string::npos) << e;
  EXPECT_NE(e.find("CREATE EXTENSION postgis"), std::string::npos) << e;
  EXPECT_EQ(applied_schema_version(c), 0);
}

TEST(migrations, checksums_are_stable_and_sensitive) {
  EXPECT_EQ(migration_checksum("abc"), migration_checksum("abc"));
  EXPECT_NE(migration_checksum("abc"), migration_checksum("abd"));
  EXPECT_EQ(migration_checksum("").size(), 16u);
}

// Migration 17 moves each delivery's state to a table of its own: every row keeps where it
// stood, a claim in flight keeps its lease's end as the time it is due again, and the payload
// its text.
TEST(migrations, migration_17_keeps_every_delivery_where_it_stood) {
  scratch_database db;
  pqxx::connection c{db.url()};
  seed_at(c, 16, R"sql(
INSERT INTO platform.webhook_deliveries
  (delivery_id, client_id, url, host, event, payload, status, attempts, next_attempt_at,
   claimed_by, lease_until, last_status_code, last_error, delivered_at)
VALUES
  ('msg_' || repeat('1', 32), 'ddh', 'http://h/k', 'h', 'platform.ping', '{"n": 1}', 'pending',
   2, '2030-01-01T00:00:00Z', NULL, NULL, 500, 'the receiver answered 500', NULL),
  ('msg_' || repeat('2', 32), 'ddh', 'http://h/k', 'h', 'platform.ping', '{"n": 2}',
   'delivering', 1, now(), 'node-a', '2031-01-01T00:00:00Z', NULL, NULL, NULL),
  ('msg_' || repeat('3', 32), 'ddh', 'http://h/k', 'h', 'platform.ping', '{"n": 3}',
   'delivered', 1, now(), NULL, NULL, 204, NULL, '2029-01-01T00:00:00Z'))sql");
  // Up to this migration: the next one moves the lease out of next_attempt_at (below).
  EXPECT_EQ(migrate(c, migrations_up_to(17)).version_after, 17);
  pqxx::nontransaction tx{c};
  auto r = tx.exec(R"sql(
SELECT s.status, s.attempts, to_char(s.next_attempt_at AT TIME ZONE 'UTC', 'YYYY'),
       coalesce(s.claimed_by, ''), coalesce(s.last_status_code, 0), coalesce(s.last_error, ''),
       coalesce(to_char(s.delivered_at AT TIME ZONE 'UTC', 'YYYY'), ''), s.client_id, s.host,
       d.payload::text
FROM platform.webhook_deliveries d JOIN platform.webhook_delivery_state s USING (delivery_id)
ORDER BY delivery_id)sql");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(fields_of(r[0]), "pending|2|2030||500|the receiver answered 500||ddh|h|{\"n\": 1}|");
  EXPECT_EQ(fields_of(r[1]), "delivering|1|2031|node-a|0|||ddh|h|{\"n\": 2}|");
  auto this_year = tx.exec1("SELECT to_char(now(), 'YYYY')")[0].as<std::string>();
  EXPECT_EQ(fields_of(r[2]), "delivered|1|" + this_year + "||204||2029|ddh|h|{\"n\": 3}|");
  // The old columns are gone from the event's table.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                     "'platform' AND table_name = 'webhook_deliveries' AND column_name IN "
                     "('status', 'attempts', 'lease_until', 'delivered_at')")[0]
              .as<int>(),
            0);
}

TEST(migrations, migration_18_moves_leases_out_of_the_due_time) {
  scratch_database db;
  pqxx::connection c{db.url()};
  seed_at(c, 17, R"sql(
INSERT INTO platform.webhook_deliveries (delivery_id, client_id, url, host, event, payload)
SELECT 'msg_' || repeat(n::text, 32), 'ddh', 'http://h/k', 'h', 'platform.ping', '{}'
FROM generate_series(1, 4) n;
INSERT INTO platform.webhook_delivery_state
  (delivery_id, client_id, host, status, attempts, next_attempt_at, claimed_by, delivered_at)
VALUES
  ('msg_' || repeat('1', 32), 'ddh', 'h', 'pending', 2, '2030-01-01T00:00:00Z', NULL, NULL),
  ('msg_' || repeat('2', 32), 'ddh', 'h', 'delivering', 1, '2031-01-01T00:00:00Z', 'node-a', NULL),
  ('msg_' || repeat('3', 32), 'ddh', 'h', 'delivered', 1, now(), NULL, '2029-01-01T00:00:00Z'),
  ('msg_' || repeat('4', 32), 'ddh', 'h', 'dead', 9, now(), NULL, NULL))sql");
  EXPECT_EQ(migrate(c, embedded_migrations()).version_after, latest_migration_version());
  pqxx::nontransaction tx{c};
  auto r = tx.exec(R"sql(
SELECT status, coalesce(to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY'), '-'),
       coalesce(to_char(lease_until AT TIME ZONE 'UTC', 'YYYY'), '-'), coalesce(claimed_by, '-')
FROM platform.webhook_delivery_state ORDER BY delivery_id)sql");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(fields_of(r[0]), "pending|2030|-|-|");
  // A claim in flight keeps its lease's end, and is due again then.
  EXPECT_EQ(fields_of(r[1]), "delivering|2031|2031|node-a|");
  // Nothing more is due of an ended delivery.
  EXPECT_EQ(fields_of(r[2]), "delivered|-|-|-|");
  EXPECT_EQ(fields_of(r[3]), "dead|-|-|-|");
  // The constraints hold them to it: an ended delivery with a due time, a lease without a claim.
  EXPECT_THROW(tx.exec("UPDATE platform.webhook_delivery_state SET next_attempt_at = now() "
                       "WHERE status = 'dead'"),
               pqxx::check_violation);
  EXPECT_THROW(tx.exec("UPDATE platform.webhook_delivery_state SET lease_until = now() "
                       "WHERE status = 'pending'"),
               pqxx::check_violation);
}
