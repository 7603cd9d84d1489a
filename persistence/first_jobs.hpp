#pragma once
// Inside a claim's transaction: creates the first jobs of requests that have none yet.
#include <vector>

#include "persistence/pqxx_fwd.hpp"
#include "persistence/task_queue.hpp"

namespace pqxx {
class dbtransaction;
}

namespace gp::persistence {

/// Creates the first jobs of up to `limit` live requests that have none yet, without their tasks
/// (see claim_tasks); jobs that could not be made or stored are added to `ended` as failed.
void plan_first_jobs(pqxx::dbtransaction& tx, int limit, const first_job_planner& first_jobs,
                     std::vector<job_state>* ended);

}  // namespace gp::persistence
