#include "persistence/migrations.hpp"

#include <cstdio>
#include <map>
#include <thread>
#include <stdexcept>

#include <pqxx/pqxx>

namespace gp::persistence {

namespace sql {

// The advisory lock key is an arbitrary constant shared by every geoplatform process.
constexpr const char* try_advisory_lock = "SELECT pg_try_advisory_lock(28548151460684148)";
constexpr const char* advisory_unlock = "SELECT pg_advisory_unlock(28548151460684148)";

constexpr const char* postgis_installed =
  "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')";

constexpr const char* migrations_table_exists =
  "SELECT to_regclass('platform.schema_migrations') IS NOT NULL";

constexpr const char* create_migrations_table = R"sql(
CREATE SCHEMA IF NOT EXISTS platform;
CREATE TABLE IF NOT EXISTS platform.schema_migrations (
  version    bigint PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr const char* applied_migrations =
  "SELECT version, checksum FROM platform.schema_migrations ORDER BY version";

constexpr const char* max_version =
  "SELECT coalesce(max(version), 0) FROM platform.schema_migrations";

constexpr const char* record_migration =
  "INSERT INTO platform.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

}  // namespace sql

int64_t latest_migration_version() {
  const auto& all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

std::string migration_checksum(const std::string& text) {
  // FNV-1a 64: stable across builds and platforms, enough to notice an edited file.
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool postgis_installed(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  return tx.exec1(sql::postgis_installed)[0].as<bool>();
}

int64_t applied_schema_version(pqxx::connection& c) {
  pqxx::nontransaction tx{c};
  if (!tx.exec1(sql::migrations_table_exists)[0].as<bool>())
    return 0;
  return tx.exec1(sql::max_version)[0].as<int64_t>();
}

namespace {

// Holds the advisory lock for the lifetime of the object. Waiting polls pg_try_advisory_lock, so no
// statement ever blocks: the session keeps its timeouts and a caller can give up. If the connection
// breaks, the server releases the lock by itself.
class advisory_lock_guard {
public:
  advisory_lock_guard(pqxx::connection& c, std::chrono::milliseconds wait) : c_(c) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      {
        pqxx::nontransaction tx{c_};
        if (tx.exec1(sql::try_advisory_lock)[0].as<bool>())
          return;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        throw migration_error{"another process has been migrating this database for more than " +
                              std::to_string(wait.count() / 1000) + " s; try again later"};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~advisory_lock_guard() {
    try {
      pqxx::nontransaction tx{c_};
      tx.exec(sql::advisory_unlock);
    } catch (...) {
      // Connection gone: the server already dropped the lock.
    }
  }

private:
  pqxx::connection& c_;
};

}  // namespace

migrate_report migrate(pqxx::connection& c, const std::vector<migration>& all,
                       std::chrono::milliseconds lock_wait) {
  if (!postgis_installed(c))
    throw migration_error{
      "the PostGIS extension is not installed in database '" + std::string{c.dbname()} +
      "'; a superuser must run: CREATE EXTENSION postgis; (scripts/run does this for the local "
      "cluster)"};
  advisory_lock_guard lock{c, lock_wait};
  {
    pqxx::work tx{c};
    tx.exec(sql::create_migrations_table);
    tx.commit();
  }
  std::map<int64_t, std::string> applied;
  {
    pqxx::nontransaction tx{c};
    for (const auto& row : tx.exec(sql::applied_migrations))
      applied.emplace(row[0].as<int64_t>(), row[1].as<std::string>());
  }
  migrate_report report;
  report.version_before = applied.empty() ? 0 : applied.rbegin()->first;
  int64_t latest = all.empty() ? 0 : all.back().version;
  if (report.version_before > latest)
    throw migration_error{"the database schema is at version " +
                          std::to_string(report.version_before) +
                          ", newer than this binary knows (" + std::to_string(latest) +
                          "); run a newer geoplatform"};
  for (const auto& m : all) {
    auto sum = migration_checksum(m.sql);
    if (auto i = applied.find(m.version); i != applied.end()) {
      if (i->second != sum)
        throw migration_error{"migration " + std::to_string(m.version) + " (" + m.name +
                              ") was changed after it was applied; add a new migration instead"};
      continue;
    }
    pqxx::work tx{c};
    // Schema changes may take long; only this transaction lifts the session's limit.
    tx.exec("SET LOCAL statement_timeout = 0");
    tx.exec(m.sql);
    tx.exec_params(sql::record_migration, m.version, m.name, sum);
    tx.commit();
    report.applied.push_back(m.version);
  }
  report.version_after = report.applied.empty() ? report.version_before : report.applied.back();
  return report;
}

}  // namespace gp::persistence
