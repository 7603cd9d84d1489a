// Where a request's source and outputs are, and the first job it starts with: shared by the
// registry (which creates the first job with the row) and the request actors.
#include <nlohmann/json.hpp>

#include "actors/request.hpp"
#include "io/http/request_codec.hpp"
#include "io/jobs/pipelines.hpp"
#include "io/jobs/registry.hpp"

namespace gp {

std::string source_of(const request_options& opts, const std::string& client_id,
                      const std::string& source_path) {
  if (source_path.rfind("/vsi", 0) == 0)
    return source_path;
  return opts.bronze_root + "/" + client_id + "/" + source_path;
}

std::string source_root_of(const request_options& opts, const std::string& client_id,
                           const std::string& source_path) {
  if (source_path.rfind("/vsi", 0) == 0)
    return {};
  return opts.bronze_root + "/" + client_id;
}

std::string output_dir_of(const request_options& opts, const std::string& client_id,
                          const std::string& dataset_id, const std::string& resource_id,
                          const std::string& version_id) {
  return opts.silver_root + "/" + client_id + "/" + dataset_id + "/" + resource_id + "/" +
         version_id;
}

persistence::new_job first_job_of(const request_options& opts, const request_submission& s,
                                  std::string& snapshot) {
  persistence::new_job job;
  auto steps = opts.pipelines.find(s.request_type);
  if (steps == opts.pipelines.end() || steps->second.empty() || opts.jobs == nullptr)
    return job;
  const auto& step = steps->second.front();
  const auto* def = opts.jobs->job(step.job_type);
  if (def == nullptr)
    return job;
  io::jobs::request_facts facts{s.request_id, s.client_id, s.request_type,
                                source_of(opts, s.client_id, s.source_path),
                                nlohmann::json::parse(s.processing_config_json, nullptr, false),
                                output_dir_of(opts, s.client_id, s.dataset_id, s.resource_id,
                                              s.version_id),
                                s.dataset_id, s.resource_id, s.version_id,
                                source_root_of(opts, s.client_id, s.source_path)};
  job.job_id = io::jobs::request_job_id(s.request_id, 0, step.job_type);
  job.job_type = step.job_type;
  job.params_json = io::jobs::step_params(*opts.jobs, step, facts).dump();
  job.total_stages = static_cast<int>(def->stages.size());
  job.platform_request_id = s.request_id;
  snapshot = io::http::encode_snapshot(
    {0, {{job.job_id, job.job_type, "queued", 0, job.total_stages}}});
  return job;
}

}  // namespace gp
