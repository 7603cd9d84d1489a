#pragma once
// The live database check behind /readyz.
#include "messages/health.hpp"

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// Reachability, PostGIS presence and schema version, in one round trip when migrated.
db_health check_readiness(pqxx::connection& c);

}  // namespace gp::persistence
