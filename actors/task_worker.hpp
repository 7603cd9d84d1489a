#pragma once
// A task worker: a detached actor with its own database connection that claims due tasks, runs
// their handlers (which may block) and records the outcome. Idle, it looks again after a growing
// pause (up to idle_poll_max) or at once when told there is work.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/coremachine.hpp"

namespace gp {


/// Spawns one worker (detached) reporting to `coremachine` and `keeper`.
task_worker_actor spawn_task_worker(caf::actor_system& sys, coremachine_actor coremachine,
                                    lease_keeper_actor keeper, const engine_options& opts,
                                    const io::jobs::registry& reg, size_t index);

/// Spawns the node's lease keeper: renews the leases of tracked tasks every lease/3 (at most
/// every 500 ms) through `pool`, and sets a task's stop flag when its job stopped running, its
/// claim was lost, or it passed its deadline. A handler that ignores its stop flag for a whole lease
/// past its deadline is no longer renewed, so another node can take the task over.
lease_keeper_actor spawn_lease_keeper(caf::actor_system& sys, db_pool_actor pool,
                                      const engine_options& opts);

}  // namespace gp

