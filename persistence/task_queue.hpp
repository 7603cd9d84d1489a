#pragma once
// The durable job and task queue (app.jobs, app.tasks). Every state change is one transaction;
// the transaction that records the last task of a stage also advances the job and inserts the
// next stage's tasks, under a lock on the job row, so a stage advances exactly once.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "messages/status.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

using gp::job_row;

/// A task to insert.
struct new_task {
  std::string task_type;
  std::string params_json;
  int max_attempts = 3;
};

/// The tasks of stage `stage` (1-based) given the job's type, parameters and the previous stage's
/// results (a JSON array). Provided by the job library.
using stage_planner = std::function<std::vector<new_task>(
  const std::string& job_type, const std::string& params_json, int stage,
  const std::string& previous_results_json)>;

/// A job to create.
struct new_job {
  std::string job_id;
  std::string job_type;
  std::string params_json;
  int total_stages = 1;
  /// Owning platform request (32 hex) or empty.
  std::string platform_request_id;
};

/// Inserts the job and its first stage's tasks (advancing over stages without tasks). Returns
/// false when a job with this id already exists (nothing is changed then). Throws conflict_error
/// when the job belongs to a platform request that ended (e.g. was cancelled meanwhile).
bool create_job(pqxx::connection& c, const new_job& job, const stage_planner& plan);

/// The same for several jobs inside the caller's transaction, with one statement for the jobs and
/// one for their first tasks. Returns, per job, whether it was created.
std::vector<bool> create_jobs(pqxx::transaction_base& tx, const std::vector<new_job>& jobs,
                              const stage_planner& plan);

/// Where a job stands (no task counts: cheap enough to ask for many at once).
struct job_state {
  std::string job_id;
  ::gp::job_status status = ::gp::job_status::queued;
  int stage = 0;
  std::string error_code;
  std::string error_message;
};

/// The status a jobs.status column holds (throws on a word that is not a job status).
::gp::job_status job_status_of(const std::string& column);

/// The states of the jobs that exist among `job_ids` (missing ones are left out).
std::vector<job_state> job_states(pqxx::connection& c, const std::vector<std::string>& job_ids);

/// A task a worker now holds.
struct claimed_task {
  int64_t task_id = 0;
  std::string job_id;
  int stage = 0;
  int task_index = 0;
  std::string task_type;
  std::string params_json;
  /// This claim's attempt number; it fences the later completion.
  int attempt = 0;
  int max_attempts = 0;
};

/// Makes the first jobs of requests.
struct first_job_planner {
  /// The pairs (request type, first job type) it makes first jobs for, side by side; a request
  /// whose snapshot names another first job (the accepting node's pipelines differ) is left to
  /// nodes that make it.
  std::vector<std::string> request_types;
  std::vector<std::string> job_types;
  /// The first job of a request (platform.requests.first_job_planned = false), the one its
  /// snapshot names (an empty job_id: not made here; the request is left as it is). Only the
  /// row's identity, type, source, processing_config and snapshot are read. When its parameters
  /// cannot be made, sets `error`: no job is created, and the job is reported failed
  /// (invalid_job_parameters) so the request fails.
  std::function<new_job(const request_row& request, std::string& error)> make;

  explicit operator bool() const { return make && !request_types.empty(); }
};

/// Claims up to `limit` due tasks (waiting ones whose execute_after passed, and running ones whose
/// lease lapsed) for `owner`, with a lease of `lease`. FOR UPDATE SKIP LOCKED: concurrent claimers
/// never get the same task. First, with `plan`, writes the first tasks of up to `limit` queued jobs
/// of `job_types` created without them (tasks_planned = false: a request's first job, see
/// below), in the same transaction; other jobs of that kind wait for a claimer that
/// knows their type. A job whose planning throws fails (planning_failed).
///
/// Before that, with `first_jobs`, creates the first jobs of up to `limit` live requests that have
/// none yet (oldest first; SKIP LOCKED under the request rows' locks, so each is created once and
/// a cancel that holds the row waits, then finds the job). They are created without tasks, so
/// the planning above writes their first tasks (in this transaction unless older jobs waiting
/// for theirs fill its limit). Jobs that ended in this transaction (a first stage without tasks,
/// a failed planning, first-job parameters that could not be made or stored) are added to
/// `ended`: no task will ever report them.
std::vector<claimed_task> claim_tasks(pqxx::connection& c, const std::string& owner, int limit,
                                      std::chrono::milliseconds lease,
                                      const stage_planner& plan = {},
                                      const std::vector<std::string>& job_types = {},
                                      const first_job_planner& first_jobs = {},
                                      std::vector<job_state>* ended = nullptr);

/// A claim this node holds: the task and the attempt it was claimed as.
struct held_claim {
  int64_t task_id = 0;
  int attempt = 0;
};

/// What renewing found.
struct renewal {
  /// Claims whose lease was extended.
  std::vector<int64_t> renewed;
  /// Renewed claims whose job is no longer running (cancelled or failed): stop their handlers.
  std::vector<int64_t> job_stopped;
};

/// Extends the leases of `claims` still held by `owner` in the same attempt. A claim missing from
/// `renewed` was lost (its lease lapsed and the task was claimed again): stop its handler.
renewal renew_leases(pqxx::connection& c, const std::string& owner,
                     const std::vector<held_claim>& claims, std::chrono::milliseconds lease);

/// What recording a task's outcome did to its job.
struct task_outcome {
  /// False when the claim was no longer valid (lease lost to another claim): nothing recorded.
  bool recorded = false;
  /// The job's status afterwards.
  ::gp::job_status job_status = ::gp::job_status::queued;
  /// The job's stage afterwards.
  int job_stage = 0;
  /// Whether this call advanced the job to a new stage (new tasks may be waiting).
  bool advanced = false;
  /// For a failure: whether the task will be retried.
  bool retrying = false;
  /// For a failure: the job had already ended (cancelled or failed by another task); this task
  /// just ended with it.
  bool ended_with_job = false;
  /// When the job failed: the code and message its failing task stored with it. Every task
  /// recorded after that reports them, so whichever report reaches the job's watchers first
  /// names the same cause.
  std::string job_error_code;
  std::string job_error_message;
};

/// Records a successful task and, when it was the last of its stage, advances the job.
task_outcome complete_task(pqxx::connection& c, const claimed_task& t, const std::string& owner,
                           const std::string& result_json, const stage_planner& plan);

/// Records several successful tasks in one transaction (one commit for a whole claimed batch);
/// each job concerned is advanced at most once. Outcomes are in the order of `done`.
std::vector<task_outcome> complete_tasks(
  pqxx::connection& c, const std::vector<std::pair<claimed_task, std::string>>& done,
  const std::string& owner, const stage_planner& plan);

/// Records a failed task: a transient failure with attempts left waits `backoff` and is retried;
/// otherwise the task and its job fail with `code` and `message`, and the job's waiting tasks are
/// cancelled.
task_outcome fail_task(pqxx::connection& c, const claimed_task& t, const std::string& owner,
                       bool permanent, const std::string& code, const std::string& message,
                       std::chrono::milliseconds backoff);

/// Hands claimed but unstarted (or shutdown-stopped) tasks back to the queue without counting
/// their attempt; tasks of a job that ended meanwhile are cancelled instead.
void release_tasks(pqxx::connection& c, const std::string& owner,
                   const std::vector<claimed_task>& tasks);

/// Resets a failed job in place for another try (persistence/job_changes.cpp). Failed for a
/// reason a retry with nothing changed may get past: the failed and cancelled tasks of its current
/// stage wait again with fresh attempts, completed tasks are kept. Failed at a later stage for a
/// reason about its source (source_failure of messages/failure_codes.hpp: the source's own codes
/// and source_changed): it starts again from its first stage, so what the client changed is read again (the later stages' tasks are removed and
/// planned anew). False when it had not failed.
bool reset_failed_job(pqxx::connection& c, const std::string& job_id);

/// The same inside the caller's transaction (which then commits it with its own changes).
bool reset_failed_job(pqxx::transaction_base& tx, const std::string& job_id);

/// Cancels a queued or processing job and its waiting tasks. False when it was not running.
bool cancel_job(pqxx::connection& c, const std::string& job_id);

/// The same inside the caller's transaction.
bool cancel_job(pqxx::transaction_base& tx, const std::string& job_id);


/// One job with its task counts, or nothing.
std::optional<job_row> find_job(pqxx::connection& c, const std::string& job_id);

/// Jobs newest first, optionally of one status; `after` is the cursor (the last job_id seen).
std::vector<job_row> list_jobs(pqxx::connection& c, const std::string& status, int limit,
                               const std::string& after);

}  // namespace gp::persistence
