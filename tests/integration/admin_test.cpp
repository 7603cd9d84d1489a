// The administration tables on a real PostgreSQL: every change writes its audit row in its own
// transaction (never a secret or a hash), key rotation, and usage added and read by hour and day.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "io/crypto.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/audit.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "persistence/usage.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using gp::test::scratch_database;

namespace {

const gp::audit_context admin{"key:ab12cd34", "cid-1"};

struct admin_tables : ::testing::Test {
  scratch_database db;
  pqxx::connection c{db.url()};

  void SetUp() override { migrate(c, embedded_migrations()); }

  client_row acme() {
    client_row r;
    r.client_id = "acme";
    r.name = "Acme";
    r.webhook_secret = gp::io::generate_webhook_secret();
    r.read_rate_limit_per_minute = 500;
    return r;
  }

  std::string one(const std::string& sql) {
    pqxx::nontransaction tx{c};
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string{} : r[0][0].as<std::string>();
  }

  /// A key of acme, created through the audited path.
  gp::io::generated_key key(const std::string& level = "internal") {
    auto k = gp::io::generate_api_key();
    api_key_row row;
    row.key_id = k.key_id;
    row.key_hash = k.hash;
    row.client_id = "acme";
    row.access_level = level;
    row.allowed_endpoints = std::vector<std::string>{"GET /platform/status/*"};
    EXPECT_EQ(create_api_key(c, row, admin), create_key_outcome::created);
    return k;
  }
};

}  // namespace

TEST_F(admin_tables, a_client_change_and_its_audit_row_are_one_write) {
  auto row = acme();
  auto made = create_client(c, row, admin);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->read_rate_limit_per_minute, 500);
  EXPECT_EQ(made->created_at.size(), 20u);
  EXPECT_FALSE(create_client(c, row, admin));  // taken: no second row, no audit row
  client_changes ch;
  ch.name = "Acme Inc";
  ch.read_rate_limit_per_minute = 0;
  auto changed = update_client(c, "acme", ch, admin);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->read_rate_limit_per_minute, 0);
  EXPECT_FALSE(update_client(c, "nobody", ch, admin));
  EXPECT_TRUE(rotate_webhook_secret(c, "acme", gp::io::generate_webhook_secret(), 60, admin));
  auto rows = list_audit(c, "client:acme", 0, 10);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].action, "client.rotate_secret");
  EXPECT_EQ(rows[1].action, "client.update");
  EXPECT_EQ(rows[2].action, "client.create");
  EXPECT_EQ(rows[1].actor, "key:ab12cd34");
  EXPECT_EQ(rows[1].correlation_id, "cid-1");
  EXPECT_NE(rows[1].before_json.find("\"Acme\""), std::string::npos);
  EXPECT_NE(rows[1].after_json.find("\"Acme Inc\""), std::string::npos);
  EXPECT_TRUE(rows[2].before_json.empty());
  for (const auto& r : rows) {
    EXPECT_EQ(r.before_json.find("whsec_"), std::string::npos);
    EXPECT_EQ(r.after_json.find("whsec_"), std::string::npos);
  }
  EXPECT_EQ(one("SELECT count(*) FROM platform.audit_log WHERE target = 'client:nobody'"), "0");
  // Paging: below an id.
  auto older = list_audit(c, "", rows[0].audit_id, 10);
  ASSERT_EQ(older.size(), 2u);
  EXPECT_EQ(older[0].audit_id, rows[1].audit_id);
}

TEST_F(admin_tables, a_rotation_copies_the_key_and_ends_the_old_one_after_the_overlap) {
  ASSERT_TRUE(create_client(c, acme(), admin));
  auto old = key("trusted");
  auto next = gp::io::generate_api_key();
  auto r = rotate_api_key(c, old.key_id, next.key_id, next.hash, "", 30, admin);
  ASSERT_EQ(r.outcome, key_rotation::rotated);
  EXPECT_EQ(r.row.access_level, "trusted");
  EXPECT_EQ(r.row.client_id, "acme");
  EXPECT_EQ(*r.row.allowed_endpoints, std::vector<std::string>{"GET /platform/status/*"});
  // Whole seconds, 30 from the rotation (whose second may have ended since).
  auto left = std::stoi(one("SELECT extract(epoch FROM expires_at - date_trunc('second', now()))"
                            "::int FROM platform.api_keys WHERE key_id = '" + old.key_id + "'"));
  EXPECT_TRUE(left == 30 || left == 29) << left;
  EXPECT_EQ(one("SELECT extract(microseconds FROM expires_at)::bigint % 1000000 "
                "FROM platform.api_keys WHERE key_id = '" + old.key_id + "'"),
            "0");
  EXPECT_EQ(one("SELECT rotated_to FROM platform.api_keys WHERE key_id = '" + old.key_id + "'"),
            next.key_id);
  auto again = gp::io::generate_api_key();
  auto twice = rotate_api_key(c, old.key_id, again.key_id, again.hash, "", 30, admin);
  EXPECT_EQ(twice.outcome, key_rotation::already_rotated);
  EXPECT_EQ(twice.rotated_to, next.key_id);
  ASSERT_TRUE(revoke_api_key(c, next.key_id, admin));
  EXPECT_EQ(rotate_api_key(c, next.key_id, again.key_id, again.hash, "", 30, admin).outcome,
            key_rotation::not_active);
  EXPECT_EQ(rotate_api_key(c, "zzzzzzzz", again.key_id, again.hash, "", 30, admin).outcome,
            key_rotation::missing);
  EXPECT_EQ(rotate_api_key(c, key().key_id, again.key_id, again.hash, "2001-01-01T00:00:00Z", 30,
                           admin)
              .outcome,
            key_rotation::expiry_not_in_future);
  // Audit rows of both keys; no hash in any.
  EXPECT_EQ(list_audit(c, "key:" + old.key_id, 0, 10).size(), 2u);
  EXPECT_EQ(list_audit(c, "key:" + next.key_id, 0, 10).size(), 2u);
  EXPECT_EQ(one("SELECT count(*) FROM platform.audit_log WHERE after::text LIKE '%key_hash%' "
                "OR before::text LIKE '%key_hash%' OR after::text LIKE '%" + old.hash + "%'"),
            "0");
}

TEST_F(admin_tables, usage_adds_up_by_hour_and_day) {
  ASSERT_TRUE(create_client(c, acme(), admin));
  int64_t hour = 1796569200;  // 2026-12-06T15:00:00Z
  usage_delta a{"acme", hour, {}};
  a.counts.submits_new = 2;
  a.counts.bytes_served = 100;
  usage_delta b{"acme", hour + 3600, {}};
  b.counts.downloads = 1;
  usage_delta gone{"deleted-client", hour, {}};
  gone.counts.tiles = 5;
  EXPECT_EQ(add_usage(c, {a, b, gone}, {}), 2);  // the deleted client's counts are dropped
  EXPECT_EQ(add_usage(c, {a}, {}), 1);           // added to the same row
  // The same client and hour twice in one write (a failed write's counts put back beside
  // newer ones) are added up, not refused.
  EXPECT_EQ(add_usage(c, {a, a}, {}), 1);
  auto hours = read_usage(c, {"acme", "", "", "hour"});
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].period, "2026-12-06T15:00:00Z");
  EXPECT_EQ(hours[0].counts.submits_new, 8);
  EXPECT_EQ(hours[0].counts.bytes_served, 400);
  auto days = read_usage(c, {"", "", "", "day"});
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].period, "2026-12-06T00:00:00Z");
  EXPECT_EQ(days[0].counts.downloads, 1);
  EXPECT_EQ(days[0].counts.submits_new, 8);
  EXPECT_TRUE(read_usage(c, {"acme", "2026-12-06T17:00:00Z", "", "hour"}).empty());
  EXPECT_EQ(read_usage(c, {"acme", "2026-12-06T16:00:00Z", "2026-12-06T17:00:00Z", "hour"}).size(),
            1u);
}

TEST_F(admin_tables, a_keys_last_use_only_moves_forward) {
  ASSERT_TRUE(create_client(c, acme(), admin));
  auto k = key();
  add_usage(c, {}, {{k.key_id, 1796569200}});
  add_usage(c, {}, {{k.key_id, 1796568800}, {"zzzzzzzz", 1796569200}, {k.key_id, 1796568000}});
  auto keys = list_api_keys(c, "acme");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].last_used_at, "2026-12-06T15:00:00Z");
}
