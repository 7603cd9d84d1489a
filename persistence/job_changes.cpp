// Changes made to a whole job from outside the queue's claims: a failed job reset for a retry of
// its request, and a cancel. Declared in persistence/task_queue.hpp.
#include <string>

#include <pqxx/pqxx>

#include "messages/failure_codes.hpp"
#include "persistence/task_queue.hpp"

namespace gp::persistence {

namespace job_sql {

constexpr const char* lock_job = R"sql(
SELECT status, stage FROM app.jobs WHERE job_id = $1 FOR UPDATE)sql";

constexpr const char* failed_codes = R"sql(
SELECT DISTINCT coalesce(error_code, '') FROM app.tasks
WHERE job_id = $1 AND stage = $2 AND status = 'failed')sql";

constexpr const char* reset_tasks = R"sql(
UPDATE app.tasks
SET status = 'pending', attempts = 0, error = NULL, error_code = NULL, lease_owner = NULL,
    lease_until = NULL, execute_after = now(), completed_at = NULL, updated_at = now()
WHERE job_id = $1 AND stage = $2 AND status IN ('failed', 'cancelled'))sql";

// A job whose first task was never written (its planning failed) waits for a claim to write it.
constexpr const char* reopen_job = R"sql(
UPDATE app.jobs
SET status = CASE WHEN tasks_planned THEN 'processing' ELSE 'queued' END, error = NULL,
    completed_at = NULL, updated_at = now()
WHERE job_id = $1)sql";

// From the first stage: the later stages' tasks go (the stage advance plans them again from what
// the first stage finds), the first stage's wait again.
constexpr const char* drop_later_tasks = R"sql(
DELETE FROM app.tasks WHERE job_id = $1 AND stage > 1)sql";

constexpr const char* restart_first_tasks = R"sql(
UPDATE app.tasks
SET status = 'pending', attempts = 0, error = NULL, error_code = NULL, lease_owner = NULL,
    lease_until = NULL, execute_after = now(), result = NULL, started_at = NULL,
    completed_at = NULL, updated_at = now()
WHERE job_id = $1 AND stage = 1)sql";

constexpr const char* restart_job = R"sql(
UPDATE app.jobs
SET status = CASE WHEN tasks_planned THEN 'processing' ELSE 'queued' END, stage = 1,
    stage_results = '[]'::jsonb, result = NULL, error = NULL, completed_at = NULL,
    updated_at = now()
WHERE job_id = $1)sql";

constexpr const char* cancel_job = R"sql(
UPDATE app.jobs SET status = 'cancelled', completed_at = now(), updated_at = now()
WHERE job_id = $1 AND status IN ('queued', 'processing')
RETURNING job_id)sql";

constexpr const char* cancel_waiting_tasks = R"sql(
UPDATE app.tasks SET status = 'cancelled', updated_at = now()
WHERE job_id = $1 AND status IN ('pending', 'pending_retry'))sql";

}  // namespace job_sql

namespace {

/// Whether a job failed at `stage` starts again from its first stage (see reset_failed_job).
bool restarts_from_first_stage(pqxx::transaction_base& tx, const std::string& job_id,
                               int stage) {
  if (stage <= 1)
    return false;
  for (const auto& row : tx.exec_params(job_sql::failed_codes, job_id, stage)) {
    auto code = row[0].as<std::string>();
    // What an earlier stage found in the source no longer holds, or the failure was about the
    // source itself: whatever the client changed must be read again from the start. Other
    // failures (retryable, or about the platform or the settings' use) resume where they were.
    if (source_failure(code))
      return true;
  }
  return false;
}

}  // namespace

bool reset_failed_job(pqxx::transaction_base& tx, const std::string& job_id) {
  auto job = tx.exec_params(job_sql::lock_job, job_id);
  if (job.empty() || job_status_of(job[0][0].as<std::string>()) != ::gp::job_status::failed)
    return false;
  auto stage = job[0][1].as<int>();
  if (restarts_from_first_stage(tx, job_id, stage)) {
    tx.exec_params(job_sql::drop_later_tasks, job_id);
    tx.exec_params(job_sql::restart_first_tasks, job_id);
    tx.exec_params(job_sql::restart_job, job_id);
    return true;
  }
  tx.exec_params(job_sql::reset_tasks, job_id, stage);
  tx.exec_params(job_sql::reopen_job, job_id);
  return true;
}

bool reset_failed_job(pqxx::connection& c, const std::string& job_id) {
  pqxx::work tx{c};
  if (!reset_failed_job(tx, job_id))
    return false;
  tx.commit();
  return true;
}

bool cancel_job(pqxx::transaction_base& tx, const std::string& job_id) {
  if (tx.exec_params(job_sql::cancel_job, job_id).empty())
    return false;
  tx.exec_params(job_sql::cancel_waiting_tasks, job_id);
  return true;
}

bool cancel_job(pqxx::connection& c, const std::string& job_id) {
  pqxx::work tx{c};
  if (!cancel_job(tx, job_id))
    return false;
  tx.commit();
  return true;
}

}  // namespace gp::persistence
