#include "persistence/task_queue.hpp"

#include <algorithm>
#include <set>

#include <pqxx/pqxx>

#include "messages/jobs.hpp"
#include "persistence/database.hpp"
#include "persistence/first_jobs.hpp"
#include "persistence/pg_array.hpp"
#include "persistence/prepared.hpp"
#include "persistence/requests.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* insert_job = R"sql(
INSERT INTO app.jobs (job_id, job_type, parameters, total_stages, platform_request_id)
VALUES ($1, $2, $3::jsonb, $4, $5)
ON CONFLICT (job_id) DO NOTHING
RETURNING job_id)sql";

// A task is due from its origin: its platform request's creation, or its job's. Claims take due
// tasks oldest first, so an older request's next stage or next job goes before a younger
// request's first one, and requests complete in the order they came (not all at the end).
constexpr const char* insert_tasks = R"sql(
INSERT INTO app.tasks (job_id, stage, task_index, task_type, parameters, max_attempts,
                       execute_after)
SELECT $1, $2, d.ord - 1, d.task_type, d.params::jsonb, d.max_attempts,
       coalesce((SELECT least(now(), coalesce(r.created_at, j.created_at))
                 FROM app.jobs j LEFT JOIN platform.requests r
                   ON r.request_id = j.platform_request_id
                 WHERE j.job_id = $1), now())
FROM unnest($3::text[], $4::text[], $5::int[]) WITH ORDINALITY
     AS d(task_type, params, max_attempts, ord))sql";

constexpr const char* lock_job = R"sql(
SELECT job_type, parameters::text, status, stage, total_stages,
       coalesce(error ->> 'code', ''), coalesce(error ->> 'message', '')
FROM app.jobs WHERE job_id = $1 FOR UPDATE)sql";

constexpr const char* mark_processing = R"sql(
UPDATE app.jobs SET status = 'processing', started_at = coalesce(started_at, now()),
                    updated_at = now()
WHERE job_id = $1)sql";

constexpr const char* stage_open = R"sql(
SELECT EXISTS (SELECT 1 FROM app.tasks WHERE job_id = $1 AND stage = $2 AND status <> 'completed'))sql";

constexpr const char* stage_results = R"sql(
SELECT coalesce(jsonb_agg(result ORDER BY task_index), '[]'::jsonb)::text
FROM app.tasks WHERE job_id = $1 AND stage = $2)sql";

constexpr const char* next_stage = R"sql(
UPDATE app.jobs
SET stage = stage + 1, status = 'processing', stage_results = stage_results || jsonb_build_array($2::jsonb),
    started_at = coalesce(started_at, now()), updated_at = now()
WHERE job_id = $1)sql";

// The job's result is its last stage's result when that stage had one task, else the list.
constexpr const char* finish_job = R"sql(
UPDATE app.jobs
SET status = 'completed', stage_results = stage_results || jsonb_build_array($2::jsonb),
    result = CASE WHEN jsonb_array_length($2::jsonb) = 1 THEN $2::jsonb -> 0 ELSE $2::jsonb END,
    started_at = coalesce(started_at, now()), completed_at = now(), updated_at = now()
WHERE job_id = $1)sql";

// Two index-ordered looks, each stopping at the limit: waiting tasks that are due (tasks_due_idx),
// and running tasks whose lease lapsed (tasks_lease_idx). One ORDER BY over both would sort every
// waiting task on every claim.
constexpr const char* claim = R"sql(
WITH waiting AS (
  SELECT task_id FROM app.tasks t
  WHERE status IN ('pending', 'pending_retry') AND execute_after <= now()
    AND EXISTS (SELECT 1 FROM app.jobs j
                WHERE j.job_id = t.job_id AND j.status IN ('queued', 'processing'))
  ORDER BY execute_after, task_id
  LIMIT $2
  FOR UPDATE SKIP LOCKED),
lapsed AS (
  SELECT task_id FROM app.tasks t
  WHERE status = 'processing' AND lease_until < now()
    AND EXISTS (SELECT 1 FROM app.jobs j
                WHERE j.job_id = t.job_id AND j.status IN ('queued', 'processing'))
  ORDER BY lease_until
  LIMIT $2
  FOR UPDATE SKIP LOCKED),
due AS (
  SELECT task_id FROM lapsed UNION ALL SELECT task_id FROM waiting LIMIT $2),
claimed AS (
  UPDATE app.tasks t
  SET status = 'processing', lease_owner = $1, lease_until = now() + $3 * interval '1 millisecond',
      attempts = t.attempts + 1, started_at = coalesce(t.started_at, now()), updated_at = now()
  FROM due WHERE t.task_id = due.task_id
  RETURNING t.task_id, t.job_id, t.stage, t.task_index, t.task_type, t.parameters::text AS params,
            t.attempts, t.max_attempts),
-- A queued job becomes processing with its first claim. SKIP LOCKED: a claim never waits for a
-- job row (a cancel holds it while it updates tasks), so the two cannot deadlock; a job whose row
-- is busy is marked by its next claim or completion.
marked AS (
  UPDATE app.jobs SET status = 'processing', started_at = coalesce(started_at, now()),
                      updated_at = now()
  WHERE job_id IN (SELECT job_id FROM app.jobs
                   WHERE job_id IN (SELECT job_id FROM claimed) AND status = 'queued'
                   FOR UPDATE SKIP LOCKED))
SELECT task_id, job_id, stage, task_index, task_type, params, attempts, max_attempts
FROM claimed ORDER BY task_id)sql";

// Queued jobs whose first tasks were left to the first claim (jobs_unplanned_idx).
constexpr const char* deferred = R"sql(
SELECT job_id, job_type, parameters::text FROM app.jobs
WHERE NOT tasks_planned AND status = 'queued' AND job_type = ANY($2::text[])
ORDER BY created_at, job_id
LIMIT $1
FOR UPDATE SKIP LOCKED)sql";

constexpr const char* mark_planned =
  "UPDATE app.jobs SET tasks_planned = true WHERE job_id = ANY($1::bpchar[])";

// A request's job created otherwise (by its actor, see create_job): no claim creates it again.
constexpr const char* mark_request_planned = R"sql(
UPDATE platform.requests SET first_job_planned = true
WHERE request_id = $1 AND NOT first_job_planned)sql";

// Rows are locked in task_id order and busy ones skipped (they are being recorded right now), so a
// renewal never takes part in a lock cycle with completions or failures.
constexpr const char* renew = R"sql(
UPDATE app.tasks t SET lease_until = now() + $4 * interval '1 millisecond'
FROM app.jobs j
WHERE t.task_id IN (
        SELECT x.task_id FROM app.tasks x
        JOIN unnest($1::bigint[], $2::int[]) AS h(task_id, attempt)
          ON x.task_id = h.task_id AND x.attempts = h.attempt
        WHERE x.lease_owner = $3 AND x.status = 'processing'
        ORDER BY x.task_id
        FOR UPDATE OF x SKIP LOCKED)
  AND j.job_id = t.job_id
RETURNING t.task_id, j.status)sql";

// Fenced per task by owner and attempt: a claim that lost its lease records nothing.
constexpr const char* complete = R"sql(
UPDATE app.tasks t
SET status = 'completed', result = d.result::jsonb, lease_owner = NULL, lease_until = NULL,
    error = NULL, error_code = NULL, completed_at = now(), updated_at = now()
FROM unnest($1::bigint[], $2::int[], $3::text[]) AS d(task_id, attempt, result)
WHERE t.task_id = d.task_id AND t.attempts = d.attempt AND t.lease_owner = $4
  AND t.status = 'processing'
RETURNING t.task_id)sql";

constexpr const char* retry = R"sql(
UPDATE app.tasks
SET status = 'pending_retry', lease_owner = NULL, lease_until = NULL, error = $5, error_code = $4,
    execute_after = now() + $6 * interval '1 millisecond', updated_at = now()
WHERE task_id = $1 AND status = 'processing' AND lease_owner = $2 AND attempts = $3
RETURNING task_id)sql";

constexpr const char* fail = R"sql(
UPDATE app.tasks
SET status = 'failed', lease_owner = NULL, lease_until = NULL, error = $5, error_code = $4,
    completed_at = now(), updated_at = now()
WHERE task_id = $1 AND status = 'processing' AND lease_owner = $2 AND attempts = $3
RETURNING task_id)sql";

// Locked: a cancel cannot slip in between this read and the task's update.
constexpr const char* job_status = R"sql(
SELECT status, coalesce(error ->> 'code', ''), coalesce(error ->> 'message', '')
FROM app.jobs WHERE job_id = $1 FOR UPDATE)sql";

constexpr const char* end_with_job = R"sql(
UPDATE app.tasks
SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, error = $5, error_code = $4,
    completed_at = now(), updated_at = now()
WHERE task_id = $1 AND status = 'processing' AND lease_owner = $2 AND attempts = $3
RETURNING task_id)sql";

constexpr const char* fail_job = R"sql(
UPDATE app.jobs
SET status = 'failed', error = jsonb_build_object('code', $2::text, 'message', $3::text,
                                                  'task_id', $4::bigint, 'stage', $5::int),
    completed_at = now(), updated_at = now()
WHERE job_id = $1 AND status IN ('queued', 'processing'))sql";

constexpr const char* cancel_waiting_tasks = R"sql(
UPDATE app.tasks SET status = 'cancelled', updated_at = now()
WHERE job_id = $1 AND status IN ('pending', 'pending_retry'))sql";

// A claim handed back unstarted (the node is stopping): as if it had never been claimed.
constexpr const char* release = R"sql(
UPDATE app.tasks t
SET status = CASE WHEN j.status NOT IN ('queued', 'processing') THEN 'cancelled'
                  WHEN t.attempts > 1 THEN 'pending_retry' ELSE 'pending' END,
    attempts = t.attempts - 1, lease_owner = NULL, lease_until = NULL, updated_at = now()
FROM app.jobs j, unnest($1::bigint[], $2::int[]) AS h(task_id, attempt)
WHERE t.task_id = h.task_id AND t.attempts = h.attempt AND t.lease_owner = $3
  AND t.status = 'processing' AND j.job_id = t.job_id)sql";

}  // namespace sql

namespace {

/// Inserts the tasks of `stage`; returns how many.
size_t insert_stage(pqxx::transaction_base& tx, const std::string& job_id, int stage,
                    const std::vector<new_task>& tasks) {
  if (tasks.empty())
    return 0;
  std::vector<std::string> types, params, attempts;
  for (const auto& t : tasks) {
    types.push_back(t.task_type);
    params.push_back(t.params_json);
    attempts.push_back(std::to_string(t.max_attempts));
  }
  tx.exec_params(sql::insert_tasks, job_id, stage, to_pg_array(types), to_pg_array(params),
                 to_pg_array(attempts));
  return tasks.size();
}

/// With the job row locked: while its current stage is complete, moves to the next stage (or
/// completes the job). Stages that plan no tasks are passed at once. Returns true when it moved.
bool advance(pqxx::transaction_base& tx, const std::string& job_id, const stage_planner& plan,
             task_outcome& out) {
  bool moved = false;
  for (;;) {
    auto job = tx.exec_prepared1(prepared(tx.conn(), "gp_lock_job", sql::lock_job), job_id);
    auto status = job_status_of(job[2].as<std::string>());
    int stage = job[3].as<int>();
    int total = job[4].as<int>();
    out.job_status = status;
    out.job_stage = stage;
    if (status == ::gp::job_status::failed) {
      out.job_error_code = job[5].as<std::string>();
      out.job_error_message = job[6].as<std::string>();
    }
    if (is_terminal(status))
      return moved;
    if (status == ::gp::job_status::queued)  // its first claim could not mark it (the row was busy)
      tx.exec_params(sql::mark_processing, job_id);
    // Under the job row lock every other completion of this job has committed or waits: what is
    // seen here is final. The results are gathered once per stage, when it is done.
    if (tx.exec_prepared1(prepared(tx.conn(), "gp_stage_open", sql::stage_open), job_id, stage)[0]
          .as<bool>())
      return moved;
    auto results = tx.exec_params1(sql::stage_results, job_id, stage)[0].as<std::string>();
    if (stage >= total) {
      tx.exec_params(sql::finish_job, job_id, results);
      out.job_status = ::gp::job_status::completed;
      return true;
    }
    tx.exec_params(sql::next_stage, job_id, results);
    auto tasks = plan(job[0].as<std::string>(), job[1].as<std::string>(), stage + 1, results);
    insert_stage(tx, job_id, stage + 1, tasks);
    out.job_status = ::gp::job_status::processing;
    out.job_stage = stage + 1;
    moved = true;
  }
}

}  // namespace

namespace sql {

constexpr const char* insert_jobs = R"sql(
INSERT INTO app.jobs (job_id, job_type, parameters, total_stages, platform_request_id)
SELECT d.job_id, d.job_type, d.params::jsonb, d.total_stages, nullif(d.request_id, '')
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
     AS d(job_id, job_type, params, total_stages, request_id)
ORDER BY d.job_id
ON CONFLICT (job_id) DO NOTHING
RETURNING job_id)sql";

// Due from their origin, as insert_tasks.
constexpr const char* insert_many_tasks = R"sql(
INSERT INTO app.tasks (job_id, stage, task_index, task_type, parameters, max_attempts,
                       execute_after)
SELECT d.job_id, 1, d.task_index, d.task_type, d.params::jsonb, d.max_attempts,
       coalesce(least(now(), coalesce(r.created_at, j.created_at)), now())
FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[])
     AS d(job_id, task_index, task_type, params, max_attempts)
LEFT JOIN app.jobs j ON j.job_id = d.job_id::bpchar
LEFT JOIN platform.requests r ON r.request_id = j.platform_request_id)sql";

}  // namespace sql

std::vector<bool> create_jobs(pqxx::transaction_base& tx, const std::vector<new_job>& jobs,
                              const stage_planner& plan) {
  std::vector<std::string> ids, types, params, totals, requests;
  for (const auto& j : jobs) {
    ids.push_back(j.job_id);
    types.push_back(j.job_type);
    params.push_back(j.params_json);
    totals.push_back(std::to_string(j.total_stages));
    requests.push_back(j.platform_request_id);
  }
  std::set<std::string> created;
  for (const auto& r : tx.exec_params(sql::insert_jobs, to_pg_array(ids), to_pg_array(types),
                                      to_pg_array(params), to_pg_array(totals),
                                      to_pg_array(requests)))
    created.insert(r[0].as<std::string>());
  // The first stage's tasks of every created job in one statement; jobs whose first stage plans
  // no task advance at once, one by one (rare).
  std::vector<std::string> t_job, t_index, t_type, t_params, t_attempts;
  std::vector<std::string> empty;
  for (const auto& j : jobs) {
    if (created.count(j.job_id) == 0)
      continue;
    auto tasks = plan(j.job_type, j.params_json, 1, "[]");
    if (tasks.empty())
      empty.push_back(j.job_id);
    for (size_t i = 0; i < tasks.size(); ++i) {
      t_job.push_back(j.job_id);
      t_index.push_back(std::to_string(i));
      t_type.push_back(tasks[i].task_type);
      t_params.push_back(tasks[i].params_json);
      t_attempts.push_back(std::to_string(tasks[i].max_attempts));
    }
  }
  if (!t_job.empty())
    tx.exec_params(sql::insert_many_tasks, to_pg_array(t_job), to_pg_array(t_index),
                   to_pg_array(t_type), to_pg_array(t_params), to_pg_array(t_attempts));
  for (const auto& id : empty) {
    task_outcome ignored;
    advance(tx, id, plan, ignored);
  }
  std::vector<bool> out;
  for (const auto& j : jobs)
    out.push_back(created.count(j.job_id) > 0);
  return out;
}

bool create_job(pqxx::connection& c, const new_job& job, const stage_planner& plan) {
  pqxx::work tx{c};
  const char* request = job.platform_request_id.empty() ? nullptr : job.platform_request_id.c_str();
  // A request's job only while the request is live: a cancel that committed first wins (the
  // row lock orders the two).
  if (request != nullptr) {
    auto r = tx.exec_params(
      "SELECT status FROM platform.requests WHERE request_id = $1 FOR NO KEY UPDATE",
      job.platform_request_id);
    if (!r.empty() && is_terminal(request_status_of(r[0][0].as<std::string>())))
      throw conflict_error{"the job's request has ended"};
    tx.exec_params(sql::mark_request_planned, job.platform_request_id);
  }
  if (tx.exec_params(sql::insert_job, job.job_id, job.job_type, job.params_json, job.total_stages,
                     request)
        .empty())
    return false;
  auto tasks = plan(job.job_type, job.params_json, 1, "[]");
  if (insert_stage(tx, job.job_id, 1, tasks) == 0) {
    task_outcome ignored;
    advance(tx, job.job_id, plan, ignored);
  }
  tx.commit();
  return true;
}

/// Writes the first tasks of up to `limit` queued jobs of `types` created without them, oldest
/// first. SKIP LOCKED: a job another claimer (or a cancel) holds is left to it. Jobs of other
/// types (unknown to this node's job library) are left to nodes that know them. A job whose
/// planning throws fails with planning_failed (a retry re-opens it for planning) instead of
/// coming first in every later claim.
void plan_deferred(pqxx::transaction_base& tx, int limit, const stage_planner& plan,
                   const std::vector<std::string>& types, std::vector<job_state>* ended) {
  std::vector<std::string> planned;
  for (const auto& r : tx.exec_prepared(prepared(tx.conn(), "gp_deferred", sql::deferred), limit,
                                        to_pg_array(types))) {
    auto job_id = r[0].as<std::string>();
    std::vector<new_task> tasks;
    try {
      tasks = plan(r[1].as<std::string>(), r[2].as<std::string>(), 1, "[]");
    } catch (const std::exception& e) {
      std::string why = std::string{"the job's first stage could not be planned: "} + e.what();
      tx.exec_params(sql::fail_job, job_id, "planning_failed", why,
                     static_cast<const char*>(nullptr), 1);
      if (ended)
        ended->push_back({job_id, ::gp::job_status::failed, 1, "planning_failed", why});
      continue;
    }
    if (insert_stage(tx, job_id, 1, tasks) == 0) {
      task_outcome after;
      advance(tx, job_id, plan, after);
      if (ended && is_terminal(after.job_status))
        ended->push_back({job_id, after.job_status, after.job_stage, {}, {}});
    }
    planned.push_back(std::move(job_id));
  }
  if (!planned.empty())
    tx.exec_params(sql::mark_planned, to_pg_array(planned));
}

std::vector<claimed_task> claim_tasks(pqxx::connection& c, const std::string& owner, int limit,
                                      std::chrono::milliseconds lease, const stage_planner& plan,
                                      const std::vector<std::string>& job_types,
                                      const first_job_planner& first_jobs,
                                      std::vector<job_state>* ended) {
  pqxx::work tx{c};
  if (first_jobs)
    plan_first_jobs(tx, limit, first_jobs, ended);
  if (plan && !job_types.empty())
    plan_deferred(tx, limit, plan, job_types, ended);
  std::vector<claimed_task> out;
  for (const auto& r :
       tx.exec_prepared(prepared(c, "gp_claim", sql::claim), owner, limit, lease.count())) {
    claimed_task t;
    t.task_id = r[0].as<int64_t>();
    t.job_id = r[1].as<std::string>();
    t.stage = r[2].as<int>();
    t.task_index = r[3].as<int>();
    t.task_type = r[4].as<std::string>();
    t.params_json = r[5].as<std::string>();
    t.attempt = r[6].as<int>();
    t.max_attempts = r[7].as<int>();
    out.push_back(std::move(t));
  }
  tx.commit();
  return out;
}

renewal renew_leases(pqxx::connection& c, const std::string& owner,
                     const std::vector<held_claim>& claims, std::chrono::milliseconds lease) {
  std::vector<std::string> ids, attempts;
  for (const auto& h : claims) {
    ids.push_back(std::to_string(h.task_id));
    attempts.push_back(std::to_string(h.attempt));
  }
  pqxx::work tx{c};
  renewal out;
  for (const auto& r : tx.exec_params(sql::renew, to_pg_array(ids), to_pg_array(attempts), owner,
                                      lease.count())) {
    out.renewed.push_back(r[0].as<int64_t>());
    if (is_terminal(job_status_of(r[1].as<std::string>())))
      out.job_stopped.push_back(r[0].as<int64_t>());
  }
  tx.commit();
  return out;
}

task_outcome complete_task(pqxx::connection& c, const claimed_task& t, const std::string& owner,
                           const std::string& result_json, const stage_planner& plan) {
  return complete_tasks(c, {{t, result_json}}, owner, plan).front();
}

std::vector<task_outcome> complete_tasks(
  pqxx::connection& c, const std::vector<std::pair<claimed_task, std::string>>& done,
  const std::string& owner, const stage_planner& plan) {
  std::vector<task_outcome> out(done.size());
  std::vector<std::string> ids, attempts, results;
  for (const auto& [t, result] : done) {
    ids.push_back(std::to_string(t.task_id));
    attempts.push_back(std::to_string(t.attempt));
    results.push_back(result);
  }
  pqxx::work tx{c};
  std::set<int64_t> recorded;
  for (const auto& r : tx.exec_prepared(prepared(c, "gp_complete", sql::complete),
                                        to_pg_array(ids), to_pg_array(attempts),
                                        to_pg_array(results), owner))
    recorded.insert(r[0].as<int64_t>());
  std::vector<std::string> jobs;  // each job advanced once per batch, in first-seen order
  for (size_t i = 0; i < done.size(); ++i) {
    const auto& t = done[i].first;
    if (recorded.count(t.task_id) == 0)
      continue;
    out[i].recorded = true;
    if (std::find(jobs.begin(), jobs.end(), t.job_id) == jobs.end())
      jobs.push_back(t.job_id);
  }
  // Job rows are locked in one global order, so two batches can never deadlock on them.
  std::sort(jobs.begin(), jobs.end());
  std::map<std::string, task_outcome> by_job;
  for (const auto& job : jobs) {
    task_outcome o;
    o.recorded = true;
    o.advanced = advance(tx, job, plan, o);
    by_job[job] = o;
  }
  tx.commit();
  for (size_t i = 0; i < done.size(); ++i)
    if (out[i].recorded)
      out[i] = by_job[done[i].first.job_id];
  return out;
}

task_outcome fail_task(pqxx::connection& c, const claimed_task& t, const std::string& owner,
                       bool permanent, const std::string& code, const std::string& message,
                       std::chrono::milliseconds backoff) {
  task_outcome out;
  pqxx::work tx{c};
  auto job = tx.exec_params1(sql::job_status, t.job_id);
  auto status = job_status_of(job[0].as<std::string>());
  if (is_terminal(status)) {
    // The job was cancelled or failed meanwhile: the task ends with it, nothing is retried.
    if (tx.exec_params(sql::end_with_job, t.task_id, owner, t.attempt, code, message).empty())
      return out;
    out.recorded = true;
    out.ended_with_job = true;
    out.job_status = status;
    out.job_stage = t.stage;
    if (status == ::gp::job_status::failed) {
      out.job_error_code = job[1].as<std::string>();
      out.job_error_message = job[2].as<std::string>();
    }
    tx.commit();
    return out;
  }
  if (!permanent && t.attempt < t.max_attempts) {
    if (tx.exec_params(sql::retry, t.task_id, owner, t.attempt, code, message, backoff.count())
          .empty())
      return out;
    out.recorded = true;
    out.retrying = true;
    out.job_status = ::gp::job_status::processing;
    out.job_stage = t.stage;
    tx.commit();
    return out;
  }
  if (tx.exec_params(sql::fail, t.task_id, owner, t.attempt, code, message).empty())
    return out;
  out.recorded = true;
  tx.exec_params(sql::fail_job, t.job_id, code, message, t.task_id, t.stage);
  tx.exec_params(sql::cancel_waiting_tasks, t.job_id);
  out.job_status = ::gp::job_status::failed;
  out.job_stage = t.stage;
  out.job_error_code = code;
  out.job_error_message = message;
  tx.commit();
  return out;
}

void release_tasks(pqxx::connection& c, const std::string& owner,
                   const std::vector<claimed_task>& tasks) {
  std::vector<std::string> ids, attempts;
  for (const auto& t : tasks) {
    ids.push_back(std::to_string(t.task_id));
    attempts.push_back(std::to_string(t.attempt));
  }
  pqxx::work tx{c};
  tx.exec_params(sql::release, to_pg_array(ids), to_pg_array(attempts), owner);
  tx.commit();
}

}  // namespace gp::persistence
