#include "io/jobs/registry.hpp"

#include "io/crypto.hpp"

namespace gp::io::jobs {

void task_context::check_stop() const {
  if (stop.load())
    throw task_failure(false, "stopped", "the task was asked to stop");
}

void registry::add(job_def job) { jobs_[job.type] = std::move(job); }

void registry::add(task_type_def task) { tasks_[task.name] = std::move(task); }

const job_def* registry::job(const std::string& type) const {
  auto i = jobs_.find(type);
  return i == jobs_.end() ? nullptr : &i->second;
}

const task_type_def* registry::task(const std::string& type) const {
  auto i = tasks_.find(type);
  return i == tasks_.end() ? nullptr : &i->second;
}

std::vector<std::string> registry::job_types() const {
  std::vector<std::string> out;
  for (const auto& [k, _] : jobs_)
    out.push_back(k);
  return out;
}

std::vector<http::field_error> validate_job(const registry& reg, const std::string& type,
                                            json& params) {
  const auto* job = reg.job(type);
  if (job == nullptr) {
    std::string known;
    for (const auto& t : reg.job_types())
      known += (known.empty() ? "" : ", ") + t;
    return {{"job_type", "unknown job type '" + type + "'; known types: " + known}};
  }
  if (!params.is_object())
    return {{"(body)", "job parameters must be a JSON object"}};
  return job->validate ? job->validate(params) : std::vector<http::field_error>{};
}

std::vector<http::field_error> request_only(json& p) {
  std::vector<http::field_error> errors;
  for (const auto& [k, _] : p.items())
    if (k != "request")
      errors.push_back({k, "is not a parameter of this job type"});
  auto i = p.find("request");
  if (i == p.end() || !i->is_object() || !i->contains("request_id"))
    errors.push_back({"request", "is required (the job runs for a request)"});
  return errors;
}

std::string job_id_for(const std::string& type, const json& params) {
  return sha256_hex(type + "\n" + params.dump());
}

std::vector<std::pair<std::string, json>> plan_stage(const job_def& job, int stage,
                                                     const json& params, const json& previous) {
  std::vector<std::pair<std::string, json>> out;
  if (stage < 1 || stage > static_cast<int>(job.stages.size()))
    return out;
  const auto& def = job.stages[static_cast<size_t>(stage - 1)];
  switch (def.kind) {
    case stage_kind::single:
      out.emplace_back(def.task_type, def.plan ? def.plan(params, previous).at(0) : params);
      break;
    case stage_kind::fan_out:
      for (auto& p : def.plan(params, previous))
        out.emplace_back(def.task_type, std::move(p));
      break;
    case stage_kind::fan_in: {
      json p = def.plan ? def.plan(params, previous).at(0) : json{{"results", previous}};
      out.emplace_back(def.task_type, std::move(p));
      break;
    }
  }
  return out;
}

void add_single_task_request_job(registry& r, const char* name, const char* stage,
                                 const char* description, task_handler handler) {
  r.add(task_type_def{name, std::move(handler), 3});
  r.add(job_def{name, description, {stage_def{stage, name, stage_kind::single, nullptr}},
                request_only, true});
}

}  // namespace gp::io::jobs
