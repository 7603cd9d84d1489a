#include "persistence/readiness.hpp"

#include <pqxx/pqxx>

#include "persistence/migrations.hpp"

namespace gp::persistence {

db_health check_readiness(pqxx::connection& c) {
  db_health h;
  h.postgis = postgis_installed(c);
  h.schema_version = applied_schema_version(c);
  h.expected_version = latest_migration_version();
  h.reachable = true;
  return h;
}

}  // namespace gp::persistence
