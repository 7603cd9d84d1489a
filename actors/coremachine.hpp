#pragma once
// CoreMachine: durable jobs of stages of tasks. The coremachine actor creates jobs and tells their
// watchers how they progress; a bounded pool of detached task workers claims and runs tasks; a
// lease keeper renews the leases of running tasks and stops tasks past their maximum duration.
#include <atomic>
#include <chrono>
#include <memory>
#include <map>
#include <string>

#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "io/jobs/registry.hpp"
#include "persistence/database.hpp"
#include "persistence/task_queue.hpp"

namespace gp::io::jobs {
class registry;
}

namespace gp {

/// Engine settings (from the [workers] configuration section).
struct engine_options {
  /// Lease owner name of this node (unique per process).
  std::string node_id;
  size_t workers = 2;
  std::chrono::milliseconds lease{30000};
  int claim_batch = 1;
  /// Set when the node stops: workers start no further task.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{60000};
  /// Longest wait of an idle worker between two looks at the queue.
  std::chrono::milliseconds idle_poll_max{500};
  std::chrono::milliseconds max_duration{3600000};
  std::map<std::string, std::chrono::milliseconds> max_duration_by_type;
  /// A watched job is looked up in the database after this long, then after twice as long, up
  /// to watch_refresh_max: its events may not reach this node (it ran on another one).
  std::chrono::milliseconds watch_refresh{30000};
  std::chrono::milliseconds watch_refresh_max{600000};
  /// A fresh watch (a new request's first job, made by the first claim that finds the request)
  /// whose job a refresh still does not find this long after the watch is answered "unknown":
  /// the watcher then creates the job itself ([requests] first_job_deadline_s).
  std::chrono::milliseconds first_job_deadline{450000};
  /// Workers own one connection each (they block in handlers and transactions).
  persistence::db_options db;
  /// Handed to every handler (database for bulk work, source limits).
  io::jobs::task_environment env;
  /// Makes the first jobs of platform requests that have none yet; the workers' claims create
  /// them (none without it). See first_job_planner_of.
  persistence::first_job_planner first_jobs;
};

/// Spawns the coremachine with its lease keeper and `opts.workers` task workers (all linked to
/// it). `reg` must outlive the actor system.
coremachine_actor spawn_coremachine(caf::actor_system& sys, db_pool_actor pool,
                                    engine_options opts, const io::jobs::registry& reg);

/// The stage planner of the job library, for the task queue.
persistence::stage_planner planner_for(const io::jobs::registry& reg);

/// Exponential backoff for `attempt` (1-based): base·2^(attempt-1), capped, scaled by
/// `jitter` (0..1) into [50 %, 100 %] of that value.
std::chrono::milliseconds retry_backoff(const engine_options& opts, int attempt, double jitter);

/// The maximum duration of a task type.
std::chrono::milliseconds max_duration_of(const engine_options& opts, const std::string& type);

}  // namespace gp
