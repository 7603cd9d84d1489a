// Where a request's source and outputs are, and the first job it starts with: shared by the
// registry (which names the first job in the new row's snapshot), the task queue's claims (which
// create it) and the request actors.
#include <nlohmann/json.hpp>

#include "actors/request.hpp"
#include "io/requests/snapshot_codec.hpp"
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

std::string step_params_of(const request_options& opts, const io::jobs::pipeline_step& step,
                           const std::string& request_id, const request_spec& v) {
  io::jobs::request_facts facts{request_id, v.client_id, v.request_type,
                                source_of(opts, v.client_id, v.source_path),
                                nlohmann::json::parse(v.processing_config_json, nullptr, false),
                                output_dir_of(opts, v.client_id, v.dataset_id, v.resource_id,
                                              v.version_id),
                                v.dataset_id, v.resource_id, v.version_id,
                                source_root_of(opts, v.client_id, v.source_path)};
  return io::jobs::step_params(*opts.jobs, step, facts).dump();
}

persistence::new_job first_job_named(const request_options& opts, const std::string& request_type,
                                     const std::string& request_id, std::string& snapshot) {
  persistence::new_job job;
  auto steps = opts.pipelines.find(request_type);
  if (steps == opts.pipelines.end() || steps->second.empty() || opts.jobs == nullptr)
    return job;
  const auto& step = steps->second.front();
  const auto* def = opts.jobs->job(step.job_type);
  if (def == nullptr)
    return job;
  job.job_id = io::jobs::request_job_id(request_id, 0, step.job_type);
  job.job_type = step.job_type;
  job.total_stages = static_cast<int>(def->stages.size());
  job.platform_request_id = request_id;
  snapshot = io::requests::encode_snapshot(
    {0, {{job.job_id, job.job_type, job_status::queued, 0, job.total_stages}}});
  return job;
}

persistence::first_job_planner first_job_planner_of(const request_options& opts) {
  auto o = std::make_shared<request_options>(opts);
  persistence::first_job_planner planner;
  for (const auto& [type, steps] : o->pipelines)
    if (!steps.empty() && o->jobs != nullptr && o->jobs->job(steps.front().job_type) != nullptr) {
      planner.request_types.push_back(type);
      planner.job_types.push_back(steps.front().job_type);
    }
  planner.make = [o](const request_row& r, std::string& error) {
    // The job the accepting node named in the snapshot, if this node's first step makes it.
    persistence::new_job job;
    auto named = io::requests::decode_snapshot(r.snapshot_json);
    auto steps = o->pipelines.find(r.request_type);
    if (named.jobs.empty() || steps == o->pipelines.end() || steps->second.empty())
      return job;
    const auto& step = steps->second.front();
    const auto& first = named.jobs.front();
    if (first.job_type != step.job_type ||
        first.job_id != io::jobs::request_job_id(r.request_id, 0, step.job_type))
      return job;
    job.job_id = first.job_id;
    job.job_type = first.job_type;
    job.total_stages = first.total_stages;
    job.platform_request_id = r.request_id;
    try {
      job.params_json = step_params_of(*o, step, r.request_id, r);
    } catch (const std::exception& e) {
      error = e.what();
    }
    return job;
  };
  return planner;
}

}  // namespace gp
