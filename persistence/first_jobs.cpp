// A request's first job, created by the first claim that finds the request (see claim_tasks and
// migration 11): the part of a claim that reads requests rather than jobs and tasks.
#include "persistence/first_jobs.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"
#include "persistence/prepared.hpp"

namespace gp::persistence {

namespace sql {

// Live requests whose first job is left to the first claim (requests_unplanned_idx), of the
// pairs (request type, first job type) this node makes. NO KEY UPDATE: other claimers skip them,
// a cancel or a state write waits for this transaction.
constexpr const char* unplanned_requests = R"sql(
SELECT request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
       processing_config::text, snapshot::text
FROM platform.requests
WHERE NOT first_job_planned AND status IN ('pending', 'processing')
  AND (request_type, snapshot->'jobs'->0->>'job_type') IN
      (SELECT t, j FROM unnest($2::text[], $3::text[]) AS p(t, j))
ORDER BY created_at, request_id
LIMIT $1
FOR NO KEY UPDATE SKIP LOCKED)sql";

constexpr const char* mark_requests_planned =
  "UPDATE platform.requests SET first_job_planned = true WHERE request_id = ANY($1::bpchar[])";

// A first job without its tasks: the deferred planning of the claim writes them.
constexpr const char* insert_first_job = R"sql(
INSERT INTO app.jobs (job_id, job_type, parameters, total_stages, platform_request_id,
                      tasks_planned)
VALUES ($1, $2, $3::jsonb, $4, $5, false)
ON CONFLICT (job_id) DO NOTHING)sql";

}  // namespace sql

/// Creates the first jobs of up to `limit` live requests that have none yet (see claim_tasks).
/// Each job is inserted after a savepoint: one that PostgreSQL refuses fails that request alone
/// instead of every claim (it would come first in each).
void plan_first_jobs(pqxx::dbtransaction& tx, int limit, const first_job_planner& first_jobs,
                     std::vector<job_state>* ended) {
  std::vector<std::string> requests;
  auto failed = [&](const std::string& job_id, const std::string& why) {
    if (ended)
      ended->push_back({job_id, ::gp::job_status::failed, 1, "invalid_job_parameters", why});
  };
  for (const auto& r : tx.exec_prepared(
         prepared(tx.conn(), "gp_unplanned_requests", sql::unplanned_requests), limit,
         to_pg_array(first_jobs.request_types), to_pg_array(first_jobs.job_types))) {
    request_row u;
    u.request_id = r[0].as<std::string>();
    u.client_id = r[1].as<std::string>();
    u.dataset_id = r[2].as<std::string>();
    u.resource_id = r[3].as<std::string>();
    u.version_id = r[4].as<std::string>();
    u.request_type = r[5].as<std::string>();
    u.source_path = r[6].as<std::string>();
    u.processing_config_json = r[7].as<std::string>();
    u.snapshot_json = r[8].as<std::string>();
    std::string error;
    new_job job;
    try {
      job = first_jobs.make(u, error);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (job.job_id.empty())
      continue;  // not made here: left for a node that makes it
    requests.push_back(u.request_id);
    // No job with parameters that could not be made (a retry makes them again).
    if (!error.empty()) {
      failed(job.job_id, "the request's first job could not be made: " + error);
      continue;
    }
    tx.exec("SAVEPOINT gp_first_job");
    try {
      tx.exec_prepared(prepared(tx.conn(), "gp_insert_first_job", sql::insert_first_job),
                       job.job_id, job.job_type, job.params_json, std::max(job.total_stages, 1),
                       u.request_id);
      tx.exec("RELEASE SAVEPOINT gp_first_job");
    } catch (const pqxx::sql_error& e) {
      tx.exec("ROLLBACK TO SAVEPOINT gp_first_job");
      failed(job.job_id, std::string{"the request's first job could not be stored: "} + e.what());
    }
  }
  if (!requests.empty())
    tx.exec_prepared(prepared(tx.conn(), "gp_mark_requests_planned", sql::mark_requests_planned),
                     to_pg_array(requests));
}

}  // namespace gp::persistence
