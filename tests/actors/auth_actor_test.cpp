// The auth actor under CAF's deterministic test scheduler, against a mock db pool that answers
// lookups from a table and counts them (it fails the test on any other message).
#include "actors/auth.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/db_pool.hpp"
#include "io/crypto.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/messages.hpp"
#include "tests/actors/deterministic.hpp"

using namespace std::chrono_literals;

namespace {

struct mock_db {
  std::map<std::string, gp::persistence::key_credentials> keys;
  int lookups = 0;
  bool down = false;
};

caf::behavior mock_pool(caf::event_based_actor* self, std::shared_ptr<mock_db> db) {
  gp::test::fail_on_unexpected(self, "the mock pool");
  return {
    [db](const gp::db::find_key& op) -> caf::result<gp::db::find_key::result> {
      // The auth actor's only operation is a key lookup; the mock answers it from its table.
      ++db->lookups;
      if (db->down)
        return caf::make_error(gp::errc::database_unavailable, std::string{"down"});
      gp::db::find_key::result res;
      if (auto i = db->keys.find(op.key_id); i != db->keys.end())
        res.found = i->second;
      return res;
    },
  };
}

struct auth_actor : gp::test::deterministic {
  std::shared_ptr<mock_db> db = std::make_shared<mock_db>();
  gp::auth_actor auth;
  gp::io::generated_key key = gp::io::generate_api_key();

  void SetUp() override {
    auto pool = caf::actor_cast<gp::db_pool_actor>(sys->spawn(mock_pool, db));
    gp::auth_options opts;
    opts.cache_ttl = 2s;
    auth = gp::spawn_auth(*sys, pool, opts);
    gp::persistence::key_credentials k;
    k.key_id = key.key_id;
    k.client_id = "ddh";
    k.key_hash = key.hash;
    k.access_level = "internal";
    db->keys[key.key_id] = k;
  }

  void TearDown() override {
    caf::anon_send_exit(auth, caf::exit_reason::user_shutdown);
    sched->run();
    auth = nullptr;
  }

  /// One authentication, run to completion.
  caf::expected<gp::principal> check(const std::string& presented) {
    return ask<gp::principal>(auth, gp::auth_atom_v, presented);
  }

  std::string refusal(const caf::expected<gp::principal>& r) {
    EXPECT_FALSE(r);
    EXPECT_TRUE(!r && gp::is(r.error(), gp::errc::unauthorized));
    return r ? std::string{} : gp::error_detail(r.error());
  }
};

}  // namespace

TEST_F(auth_actor, a_valid_key_yields_its_principal) {
  auto p = check(key.key);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client_id, "ddh");
  EXPECT_EQ(p->key_id, key.key_id);
  EXPECT_EQ(p->access_level, "internal");
  EXPECT_FALSE(p->restricted);
}

TEST_F(auth_actor, a_cached_key_needs_no_second_lookup_until_the_ttl_passes) {
  ASSERT_TRUE(check(key.key));
  ASSERT_TRUE(check(key.key));
  EXPECT_EQ(db->lookups, 1);
  sched->advance_time(2100ms);
  ASSERT_TRUE(check(key.key));
  EXPECT_EQ(db->lookups, 2);
}

TEST_F(auth_actor, revocation_is_seen_once_the_cache_entry_expires) {
  ASSERT_TRUE(check(key.key));
  db->keys[key.key_id].revoked = true;
  EXPECT_TRUE(check(key.key));  // still cached
  sched->advance_time(2100ms);
  EXPECT_NE(refusal(check(key.key)).find("revoked"), std::string::npos);
}

TEST_F(auth_actor, a_verdict_may_be_reused_until_the_cache_entry_ends) {
  auto fetched = sys->clock().now();
  auto p = check(key.key);
  ASSERT_TRUE(p);
  auto until = std::chrono::nanoseconds{p->reusable_until_ns};
  EXPECT_EQ(until, (fetched + 2s).time_since_epoch());
  // A cached answer given later keeps the end of the entry it came from.
  sched->advance_time(500ms);
  auto later = check(key.key);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->reusable_until_ns, p->reusable_until_ns);
}

TEST_F(auth_actor, a_verdict_is_not_reused_past_the_keys_expiry) {
  auto now_epoch = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  db->keys[key.key_id].expires_epoch = now_epoch + 1;
  auto fetched = sys->clock().now();
  auto p = check(key.key);
  ASSERT_TRUE(p);
  EXPECT_LE(std::chrono::nanoseconds{p->reusable_until_ns}, (fetched + 1s).time_since_epoch());
}

TEST_F(auth_actor, malformed_keys_are_refused_without_a_lookup) {
  for (auto bad : {"", "nope", "gp_short_x", "Bearer gp_x"})
    EXPECT_NE(refusal(check(bad)).find("malformed"), std::string::npos) << bad;
  EXPECT_EQ(db->lookups, 0);
}

TEST_F(auth_actor, a_wrong_secret_for_a_known_id_reads_as_unknown) {
  auto forged = "gp_" + key.key_id + "_" + std::string(43, 'A');
  EXPECT_EQ(refusal(check(forged)), "unknown API key");
}

TEST_F(auth_actor, an_unknown_key_id_is_refused_and_cached) {
  db->keys.clear();
  EXPECT_EQ(refusal(check(key.key)), "unknown API key");
  EXPECT_EQ(refusal(check(key.key)), "unknown API key");
  EXPECT_EQ(db->lookups, 1);
}

TEST_F(auth_actor, concurrent_checks_of_one_key_share_one_lookup) {
  caf::scoped_actor self{*sys, true};
  auto a = self->request(auth, caf::infinite, gp::auth_atom_v, key.key);
  auto b = self->request(auth, caf::infinite, gp::auth_atom_v, key.key);
  sched->run();
  int ok = 0;
  a.receive([&](gp::principal&) { ++ok; }, [&](caf::error&) {});
  b.receive([&](gp::principal&) { ++ok; }, [&](caf::error&) {});
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(db->lookups, 1);
}

TEST_F(auth_actor, a_database_failure_is_passed_on_and_not_cached) {
  db->down = true;
  auto r = check(key.key);
  ASSERT_FALSE(r);
  EXPECT_TRUE(gp::is(r.error(), gp::errc::database_unavailable));
  db->down = false;
  EXPECT_TRUE(check(key.key));
  EXPECT_EQ(db->lookups, 2);
}

TEST(key_refusal, expiry_revocation_and_inactive_clients) {
  auto k = gp::io::generate_api_key();
  gp::persistence::key_credentials c;
  c.key_id = k.key_id;
  c.client_id = "ddh";
  c.key_hash = k.hash;
  EXPECT_EQ(gp::key_refusal(c, k.key, 1000), "");
  c.expires_epoch = 1000;
  c.expires_at = "1970-01-01T00:16:40Z";
  EXPECT_NE(gp::key_refusal(c, k.key, 1000).find("expired at 1970-01-01T00:16:40Z"),
            std::string::npos);
  EXPECT_EQ(gp::key_refusal(c, k.key, 999), "");
  c.client_active = false;
  EXPECT_NE(gp::key_refusal(c, k.key, 999).find("not active"), std::string::npos);
  c.revoked = true;
  EXPECT_NE(gp::key_refusal(c, k.key, 999).find("revoked"), std::string::npos);
  // Nothing about the stored key is told to a caller without the right secret.
  EXPECT_EQ(gp::key_refusal(c, "gp_" + k.key_id + "_" + std::string(43, 'x'), 999),
            "unknown API key");
}
