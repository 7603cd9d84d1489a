#pragma once
// A pool of detached actors, each owning one database session. Jobs go to the least busy worker;
// a worker whose connection broke reconnects on its next job, so the pool outlives database restarts.
#include <functional>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "persistence/database.hpp"

namespace gp {

/// A persistence operation to run on a pooled connection. Its result message is the reply.
/// Exceptions it throws become gp errors (see persistence::current_exception_to_error).
using db_job = std::function<caf::message(pqxx::connection&)>;

/// Spawns the pool and its `size` detached workers (linked: they stop with the pool).
db_pool_actor spawn_db_pool(caf::actor_system& sys, const persistence::db_options& opts, size_t size);

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db_job)
