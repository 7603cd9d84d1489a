#pragma once
// A pool of detached actors, each owning one database session. Operations go to the least busy
// worker, which answers the caller directly; a worker whose connection broke reconnects on its
// next operation, so the pool outlives database restarts.
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "persistence/database.hpp"

namespace gp {

/// Spawns the pool and its `size` detached workers (linked: they stop with the pool).
db_pool_actor spawn_db_pool(caf::actor_system& sys, const persistence::db_options& opts, size_t size);

}  // namespace gp
