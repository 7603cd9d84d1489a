#pragma once
// Plain status structs exchanged between actors (no JSON, no pqxx, no Beast here).
#include <cstdint>
#include <map>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/status.hpp"

namespace gp {

/// What a live database check found.
struct db_health {
  /// A connection could be made and a query answered.
  bool reachable = false;
  /// The PostGIS extension exists in the database.
  bool postgis = false;
  /// Highest applied migration (0 when none).
  int64_t schema_version = 0;
  /// Highest migration this binary knows.
  int64_t expected_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, db_health& x) {
  return f(caf::meta::type_name("gp.db_health"), x.reachable, x.postgis, x.schema_version,
           x.expected_version);
}

/// Answer of every long-lived actor to `status_atom`: its name, its state and details.
struct status_report {
  std::string actor;
  actor_state state = actor_state::running;
  std::map<std::string, std::string> details;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_report& x) {
  return f(caf::meta::type_name("gp.status_report"), x.actor, x.state, x.details);
}

}  // namespace gp
