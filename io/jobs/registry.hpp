#pragma once
// The job library: job types as declared sequences of stages, their parameter rules, and the
// handlers of their task types. Pure: no actors, and the database only through the stores of
// stores.hpp.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/geodata/source_limits.hpp"
#include "io/http/json_body.hpp"
#include "io/jobs/stores.hpp"

namespace gp::io::jobs {

using json = nlohmann::json;

/// Thrown by a handler. Transient failures are retried with backoff while attempts remain;
/// permanent ones fail the job at once.
struct task_failure : std::runtime_error {
  task_failure(bool permanent, std::string code, const std::string& message)
    : std::runtime_error(message), permanent(permanent), code(std::move(code)) {}
  bool permanent;
  std::string code;
};

/// What handlers may reach beyond their parameters: the node's database, through the stores the
/// service injects (io/ holds no database client; app/stores.* implements them), and the source
/// limits.
struct task_environment {
  /// The vector tables (staging, COPY, publishing, catalogue); the vector jobs need it.
  std::shared_ptr<geodata::vector_store> vectors;
  /// The reuse look-up; none: no request reuses another's outputs.
  std::shared_ptr<reuse_store> reuse;
  geodata::source_limits limits;
  /// Parallel COPY writers of one vector load.
  int copy_writers = 2;
};

/// What a handler sees of its task.
struct task_context {
  const json& params;
  int attempt;
  /// Set when the task must stop (past its maximum duration, or its job was cancelled).
  const std::atomic<bool>& stop;
  const task_environment& env;

  /// Throws a transient task_failure("stopped") when the task was asked to stop.
  void check_stop() const;
};

/// Runs one task; returns its result. May block (it runs on a detached worker).
using task_handler = std::function<json(const task_context&)>;

/// How a stage's tasks are derived.
enum class stage_kind {
  /// One task from the job parameters.
  single,
  /// One task per item the plan returns (from the parameters or the previous stage's results).
  fan_out,
  /// One task over all results of the previous stage.
  fan_in,
};

struct stage_def {
  std::string name;
  std::string task_type;
  stage_kind kind;
  /// Parameters of each task of this stage, from the job parameters and the previous stage's
  /// results (a JSON array in task order; empty for the first stage). May return none.
  std::function<std::vector<json>(const json& params, const json& previous)> plan;
};

struct job_def {
  std::string type;
  std::string description;
  std::vector<stage_def> stages;
  /// Applies defaults to `params` and returns every bad field (empty = valid).
  std::function<std::vector<http::field_error>(json& params)> validate;
  /// Whether the job works on a platform request's source: its parameters then carry
  /// "request" (see pipelines.hpp, request_facts).
  bool takes_request = false;
};

struct task_type_def {
  std::string name;
  task_handler handler;
  int max_attempts = 3;
};

/// A set of job and task types.
class registry {
public:
  void add(job_def job);
  void add(task_type_def task);
  const job_def* job(const std::string& type) const;
  const task_type_def* task(const std::string& type) const;
  std::vector<std::string> job_types() const;

private:
  std::map<std::string, job_def> jobs_;
  std::map<std::string, task_type_def> tasks_;
};

/// hello_world, sleep, fail and noop, and the jobs of platform requests.
const registry& builtin_registry();

/// Adds the jobs that platform requests run (inspect_source until the GDAL jobs exist).
void add_request_jobs(registry& r);

/// Adds process_raster_collection and create_mosaic_json.
void add_collection_jobs(registry& r);

/// Adds ingest_vector and stac_catalog_vectors.
void add_vector_jobs(registry& r);

/// The parameter rule of jobs that work on a platform request: only "request" (an object with a
/// "request_id"), which the request actor fills in.
std::vector<http::field_error> request_only(json& params);

/// Adds a job of one single-task stage `stage` that works on a request (request_only), with its
/// task type of the same name (3 attempts).
void add_single_task_request_job(registry& r, const char* name, const char* stage,
                                 const char* description, task_handler handler);

/// Validates `params` for `type` (applying defaults); unknown types are reported on "job_type".
std::vector<http::field_error> validate_job(const registry& reg, const std::string& type,
                                            json& params);

/// 64 hex: SHA-256 of the type and the canonical (sorted, compact) parameters.
std::string job_id_for(const std::string& type, const json& params);

/// The tasks of stage `stage` (1-based) of a job, as (task_type, parameters) pairs.
std::vector<std::pair<std::string, json>> plan_stage(const job_def& job, int stage,
                                                     const json& params, const json& previous);

}  // namespace gp::io::jobs
