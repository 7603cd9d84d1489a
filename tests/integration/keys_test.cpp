#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "io/crypto.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/clients.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

using namespace gp::persistence;
using gp::test::scratch_database;

namespace {

struct keys : ::testing::Test {
  scratch_database db;
  pqxx::connection c{db.url()};
  void SetUp() override {
    migrate(c, embedded_migrations());
    client_row client;
    client.client_id = "ddh";
    client.name = "Data Hub";
    client.webhook_secret = gp::io::generate_webhook_secret();
    client.callback_hosts = {"hooks.example.org", "*.ddh.example.org"};
    ASSERT_TRUE(insert_client(c, client));
  }

  api_key_row row_for(const gp::io::generated_key& k, const std::string& level) {
    api_key_row row;
    row.key_id = k.key_id;
    row.client_id = "ddh";
    row.key_hash = k.hash;
    row.access_level = level;
    return row;
  }

  std::string all_key_columns_as_text() {
    pqxx::nontransaction tx{c};
    std::string out;
    for (const auto& r : tx.exec("SELECT row_to_json(k)::text FROM platform.api_keys k"))
      out += r[0].as<std::string>();
    return out;
  }
};

}  // namespace

TEST_F(keys, only_the_sha256_of_the_key_is_stored) {
  auto k = gp::io::generate_api_key();
  ASSERT_TRUE(insert_api_key(c, row_for(k, "admin")));
  auto stored = all_key_columns_as_text();
  auto secret = k.key.substr(12);
  EXPECT_EQ(stored.find(secret), std::string::npos) << stored;
  EXPECT_EQ(stored.find(k.key), std::string::npos);
  EXPECT_NE(stored.find(gp::io::sha256_hex(k.key)), std::string::npos);
  auto listed = list_api_keys(c, "ddh");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key_hash, gp::io::sha256_hex(k.key));
  EXPECT_EQ(listed[0].key_id, k.key_id);
}

TEST_F(keys, allowed_endpoints_and_expiry_round_trip) {
  auto k = gp::io::generate_api_key();
  auto row = row_for(k, "internal");
  row.allowed_endpoints = std::vector<std::string>{"GET /platform/status/*", "POST /x \"q\""};
  row.expires_at = "2030-01-02T03:04:05Z";
  ASSERT_TRUE(insert_api_key(c, row));
  auto open = gp::io::generate_api_key();
  ASSERT_TRUE(insert_api_key(c, row_for(open, "trusted")));
  for (const auto& r : list_api_keys(c, "")) {
    if (r.key_id == k.key_id) {
      ASSERT_TRUE(r.allowed_endpoints.has_value());
      EXPECT_EQ(*r.allowed_endpoints, *row.allowed_endpoints);
      EXPECT_EQ(r.expires_at, "2030-01-02T03:04:05Z");
    } else {
      EXPECT_FALSE(r.allowed_endpoints.has_value());
      EXPECT_EQ(r.expires_at, "");
    }
  }
}

TEST_F(keys, duplicate_key_id_is_reported_not_thrown) {
  auto k = gp::io::generate_api_key();
  ASSERT_TRUE(insert_api_key(c, row_for(k, "admin")));
  auto again = row_for(gp::io::generate_api_key(), "admin");
  again.key_id = k.key_id;
  EXPECT_FALSE(insert_api_key(c, again));
}

TEST_F(keys, the_database_rejects_an_unknown_level) {
  auto row = row_for(gp::io::generate_api_key(), "root");
  EXPECT_THROW(insert_api_key(c, row), pqxx::check_violation);
}

TEST_F(keys, clients_round_trip_and_duplicates_are_reported) {
  auto clients = list_clients(c);
  ASSERT_EQ(clients.size(), 1u);
  EXPECT_EQ(clients[0].callback_hosts,
            (std::vector<std::string>{"hooks.example.org", "*.ddh.example.org"}));
  EXPECT_TRUE(client_exists(c, "ddh"));
  EXPECT_FALSE(client_exists(c, "other"));
  client_row dup = clients[0];
  EXPECT_FALSE(insert_client(c, dup));
}

TEST(pg_array, quoting_round_trips) {
  std::vector<std::string> xs{"plain", "with space", "quote\"d", "back\\slash", ""};
  scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::nontransaction tx{c};
  auto text = tx.exec_params1("SELECT $1::text[]::text", to_pg_array(xs))[0].as<std::string>();
  EXPECT_EQ(from_pg_array(text), xs);
}
