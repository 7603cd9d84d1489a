#include "io/jobs/pipelines.hpp"

#include <stdexcept>

#include "io/crypto.hpp"

namespace gp::io::jobs {

const pipeline_table& default_pipelines() {
  static const pipeline_table table = {
    {"vector",
     {{"ingest_vector", "ingest_vector", json::object()},
      {"stac_catalog_vectors", "stac_catalog_vectors", json::object()}}},
    {"raster",
     {{"validate_raster", "validate_raster", json::object()},
      {"process_raster", "process_raster", json::object()},
      {"stac_catalog_raster", "stac_catalog_raster", json::object()}}},
    {"collection",
     {{"process_raster_collection", "process_raster_collection", json::object()},
      {"create_mosaic_json", "create_mosaic_json", json::object()},
      {"stac_catalog_collection", "stac_catalog_collection", json::object()}}},
  };
  return table;
}

pipeline_table parse_pipelines(const std::string& json_text, const registry& reg) {
  auto doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object())
    throw std::invalid_argument{"must be a JSON object of request type → list of steps"};
  pipeline_table out = default_pipelines();
  for (const auto& [type, steps] : doc.items()) {
    if (out.find(type) == out.end())
      throw std::invalid_argument{"unknown request type '" + type +
                                  "' (vector, raster or collection)"};
    if (!steps.is_array() || steps.empty())
      throw std::invalid_argument{type + ": must be a non-empty list of steps"};
    std::vector<pipeline_step> parsed;
    for (const auto& s : steps) {
      if (!s.is_object() || !s.contains("job") || !s["job"].is_string())
        throw std::invalid_argument{type + ": every step needs a \"job\" (a job type)"};
      pipeline_step step;
      step.job_type = s["job"].get<std::string>();
      step.name = s.value("step", step.job_type);
      step.params = s.value("params", json::object());
      const auto* job = reg.job(step.job_type);
      if (job == nullptr)
        throw std::invalid_argument{type + ": unknown job type '" + step.job_type + "'"};
      if (!step.params.is_object())
        throw std::invalid_argument{type + "." + step.name + ": params must be an object"};
      auto trial = step.params;
      if (job->takes_request)
        trial["request"] = json{{"request_id", "0"}};  // what validation needs of a request
      auto errors = validate_job(reg, step.job_type, trial);
      if (!errors.empty())
        throw std::invalid_argument{type + "." + step.name + ": " + errors.front().field + " " +
                                    errors.front().message};
      parsed.push_back(std::move(step));
    }
    out[type] = std::move(parsed);
  }
  return out;
}

json step_params(const registry& reg, const pipeline_step& step, const request_facts& facts) {
  json params = step.params;
  const auto* job = reg.job(step.job_type);
  if (job != nullptr && job->takes_request)
    params["request"] = json{{"request_id", facts.request_id},
                             {"client_id", facts.client_id},
                             {"request_type", facts.request_type},
                             {"source", facts.source},
                             {"processing_config", facts.processing_config},
                             {"output_dir", facts.output_dir},
                             {"dataset_id", facts.dataset_id},
                             {"resource_id", facts.resource_id},
                             {"version_id", facts.version_id},
                             {"source_root", facts.source_root}};
  if (job != nullptr && job->validate)
    job->validate(params);
  return params;
}

std::string request_job_id(const std::string& request_id, size_t index,
                           const std::string& job_type) {
  return sha256_hex("request\n" + request_id + "\n" + std::to_string(index) + "\n" + job_type);
}

}  // namespace gp::io::jobs
