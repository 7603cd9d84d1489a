#pragma once
// Numbered SQL migrations, embedded in the binary and applied under an advisory lock.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// One numbered schema change (persistence/migrations/NNNN_name.sql).
struct migration {
  int64_t version;
  std::string name;
  std::string sql;
};

/// Every migration compiled into this binary, in version order.
const std::vector<migration>& embedded_migrations();

/// The highest version in `embedded_migrations()`.
int64_t latest_migration_version();

/// Stable checksum of a migration's text (detects edits to applied migrations).
std::string migration_checksum(const std::string& sql);

/// What `migrate` did.
struct migrate_report {
  int64_t version_before = 0;
  int64_t version_after = 0;
  std::vector<int64_t> applied;
};

/// Thrown when the database cannot be migrated for a reason an operator must fix
/// (PostGIS missing, an applied migration edited, a database newer than this binary).
struct migration_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Applies every pending migration, each in its own transaction and recorded in
/// platform.schema_migrations. A session-level advisory lock makes concurrent callers
/// (threads or processes) wait for each other, at most `lock_wait`; running it twice is a no-op.
migrate_report migrate(pqxx::connection& c, const std::vector<migration>& all,
                       std::chrono::milliseconds lock_wait = std::chrono::minutes(10));

/// Whether the PostGIS extension is installed in the connected database.
bool postgis_installed(pqxx::connection& c);

/// Highest applied migration version, 0 when the migrations table does not exist yet.
int64_t applied_schema_version(pqxx::connection& c);

}  // namespace gp::persistence
