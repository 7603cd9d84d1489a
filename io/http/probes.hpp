#pragma once
// Bodies of the public probes /livez and /readyz.
#include "io/http/types.hpp"
#include "messages/health.hpp"

namespace gp::io::http {

/// 200 {"status":"alive"}.
response liveness_response();

/// 200 when PostGIS exists and the schema is exactly at the expected version, else 503
/// problem+json with `checks.database` = postgis_missing | migrations_pending | schema_newer.
response readiness_response(const db_health& h);

/// 503 problem+json for a failed or timed-out database check (`checks.database` = unavailable).
response readiness_unavailable(bool timed_out);

/// 503 problem+json while the node shuts down (`checks.database` = unknown).
response readiness_shutting_down();

}  // namespace gp::io::http
