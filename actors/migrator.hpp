#pragma once
// Brings the database schema up to date at start-up, retrying until the database is reachable.
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"

namespace gp {

/// Spawns the migrator; it starts migrating at once and retries with backoff (1 s doubling to 30 s)
/// while the database is unreachable or not migratable.
migrator_actor spawn_migrator(caf::actor_system& sys, db_pool_actor pool);

}  // namespace gp
