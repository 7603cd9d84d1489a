#include "io/http/probes.hpp"

#include <nlohmann/json.hpp>

#include "io/http/problem.hpp"

namespace gp::io::http {

namespace {

using json = nlohmann::json;

response not_ready(const std::string& detail, const char* database_check) {
  return problem(503, "not_ready", detail, json{{"checks", {{"database", database_check}}}});
}

}  // namespace

response liveness_response() { return json_response(200, json{{"status", "alive"}}); }

response readiness_response(const db_health& h) {
  if (!h.postgis)
    return not_ready("the PostGIS extension is not installed in the database", "postgis_missing");
  if (h.schema_version < h.expected_version)
    return not_ready("database schema at version " + std::to_string(h.schema_version) +
                       ", migrations to version " + std::to_string(h.expected_version) +
                       " pending",
                     "migrations_pending");
  if (h.schema_version > h.expected_version)
    return not_ready("database schema at version " + std::to_string(h.schema_version) +
                       " is newer than this binary (" + std::to_string(h.expected_version) +
                       "); run a newer geoplatform",
                     "schema_newer");
  return json_response(200, json{{"status", "ready"},
                                 {"checks", {{"database", "ok"}}},
                                 {"schema_version", h.schema_version}});
}

response readiness_unavailable(bool timed_out) {
  return not_ready(timed_out ? "the database did not answer in time"
                             : "the database is unreachable",
                   "unavailable");
}

response readiness_shutting_down() { return not_ready("the service is shutting down", "unknown"); }

}  // namespace gp::io::http
