// Reads of app.jobs for the jobs API and the request actors: one job, a page of jobs, the states
// of several. Writes (creation, claims, completions) are in task_queue.cpp.
#include <stdexcept>

#include <pqxx/pqxx>

#include "persistence/pg_array.hpp"
#include "persistence/task_queue.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* job_columns = R"sql(
SELECT j.job_id, j.job_type, j.parameters::text, j.status, j.stage, j.total_stages,
       coalesce(j.result::text, 'null'), coalesce(j.error::text, 'null'),
       coalesce(j.platform_request_id, ''),
       to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       coalesce(to_char(j.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ''),
       coalesce(to_char(j.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ''),
       (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)::text
        FROM (SELECT status, count(*) AS n FROM app.tasks t WHERE t.job_id = j.job_id
              GROUP BY status) c)
FROM app.jobs j )sql";

constexpr const char* job_states = R"sql(
SELECT job_id, status, stage, coalesce(error ->> 'code', ''), coalesce(error ->> 'message', '')
FROM app.jobs WHERE job_id = ANY($1::bpchar[]))sql";

}  // namespace sql

namespace {

job_row read_job(const pqxx::row& r) {
  job_row j;
  j.job_id = r[0].as<std::string>();
  j.job_type = r[1].as<std::string>();
  j.params_json = r[2].as<std::string>();
  j.status = r[3].as<std::string>();
  j.stage = r[4].as<int>();
  j.total_stages = r[5].as<int>();
  j.result_json = r[6].as<std::string>();
  j.error_json = r[7].as<std::string>();
  j.platform_request_id = r[8].as<std::string>();
  j.created_at = r[9].as<std::string>();
  j.started_at = r[10].as<std::string>();
  j.completed_at = r[11].as<std::string>();
  // {"pending": 2, "completed": 3} — parsed without a JSON library: keys are fixed words.
  auto counts = r[12].as<std::string>();
  size_t pos = 0;
  while ((pos = counts.find('"', pos)) != std::string::npos) {
    auto end = counts.find('"', pos + 1);
    auto key = counts.substr(pos + 1, end - pos - 1);
    auto colon = counts.find(':', end);
    j.task_counts[key] = std::stoll(counts.substr(colon + 1));
    pos = counts.find_first_of(",}", colon);
  }
  return j;
}

}  // namespace

::gp::job_status job_status_of(const std::string& column) {
  if (auto s = parse_job_status(column))
    return *s;
  throw std::runtime_error("app.jobs.status holds '" + column + "', which is not a job status");
}

std::vector<job_state> job_states(pqxx::connection& c, const std::vector<std::string>& job_ids) {
  pqxx::nontransaction tx{c};
  std::vector<job_state> out;
  for (const auto& r : tx.exec_params(sql::job_states, to_pg_array(job_ids)))
    out.push_back({r[0].as<std::string>(), job_status_of(r[1].as<std::string>()), r[2].as<int>(),
                   r[3].as<std::string>(), r[4].as<std::string>()});
  return out;
}

std::optional<job_row> find_job(pqxx::connection& c, const std::string& job_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(std::string{sql::job_columns} + "WHERE j.job_id = $1", job_id);
  if (r.empty())
    return std::nullopt;
  return read_job(r[0]);
}

std::vector<job_row> list_jobs(pqxx::connection& c, const std::string& status, int limit,
                               const std::string& after) {
  pqxx::nontransaction tx{c};
  // Newest first; the cursor is the last job seen: continue strictly after it in that order.
  auto r = tx.exec_params(
    std::string{sql::job_columns} +
      "WHERE ($1 = '' OR j.status = $1) AND ($2 = '' OR (j.created_at, j.job_id) < "
      "(SELECT created_at, job_id FROM app.jobs WHERE job_id = $2)) "
      "ORDER BY j.created_at DESC, j.job_id DESC LIMIT $3",
    status, after, limit);
  std::vector<job_row> out;
  for (const auto& row : r)
    out.push_back(read_job(row));
  return out;
}

}  // namespace gp::persistence
