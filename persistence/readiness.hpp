#pragma once
// The live database checks behind /readyz and /health.
#include "messages/health.hpp"

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// Reachability, PostGIS presence and schema version, in one round trip when migrated.
db_health check_readiness(pqxx::connection& c);

/// The job queue's and the webhook outbox's backlog (one round trip; each count walks its
/// partial index, so it costs in proportion to the backlog, not to the tables).
work_backlog read_backlog(pqxx::connection& c);

/// The client's integration as /platform/health shows it (three index lookups).
client_integration read_client_integration(pqxx::connection& c, const std::string& client_id);

}  // namespace gp::persistence
