#pragma once
// What a platform request runs: per request type, the steps of the product's design, each run by
// one CoreMachine job, one after another. The table is data: the geodata jobs replace the
// stand-in job types of the steps as they land, and an operator (or a test) may override it.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

/// One step of a request type's sequence.
struct pipeline_step {
  /// The step as the design names it (ingest_vector, stac_catalog_vectors, …).
  std::string name;
  /// The job type that runs it.
  std::string job_type;
  /// Fixed parameters of that job (a job that takes the request also gets "request").
  json params = json::object();
};

/// request type → its steps, in order.
using pipeline_table = std::map<std::string, std::vector<pipeline_step>>;

/// vector: ingest_vector → stac_catalog_vectors; raster: validate_raster → process_raster;
/// collection: process_raster_collection → create_mosaic_json. The raster and vector steps are
/// the real GDAL jobs; until the collection jobs exist, the first step of collection requests
/// runs inspect_source (the source is still there and readable; size and content hash) and its
/// second step runs noop.
const pipeline_table& default_pipelines();

/// Reads an override, e.g. {"vector": [{"step": "ingest_vector", "job": "sleep",
/// "params": {"ms": 500}}]}; request types it leaves out keep their default. Every job type must
/// exist in `reg` and every parameter set must validate. Throws std::invalid_argument naming the
/// bad part.
pipeline_table parse_pipelines(const std::string& json_text, const registry& reg);

/// The facts of a request that jobs taking the request see.
struct request_facts {
  std::string request_id;
  std::string client_id;
  std::string request_type;
  /// The source, resolved inside the client's bronze folder (or a GDAL virtual path).
  std::string source;
  json processing_config = json::object();
  /// Where its outputs go: <silver root>/<client>/<dataset>/<resource>/<version>.
  std::string output_dir;
  /// The request's identity (with client_id): names derived from it, e.g. its geo table.
  std::string dataset_id;
  std::string resource_id;
  std::string version_id;
  /// The client's bronze folder (empty for a GDAL virtual path): jobs check that what they open
  /// resolves inside it (a symlink placed after the submission must not reach other files).
  std::string source_root;
};

/// The parameters of `step`'s job for one request (defaults applied).
json step_params(const registry& reg, const pipeline_step& step, const request_facts& facts);

/// The job id of step `index` of a request: one job per request and step, so a re-submission
/// after a crash or restart finds the same job instead of creating a second one.
std::string request_job_id(const std::string& request_id, size_t index,
                           const std::string& job_type);

}  // namespace gp::io::jobs
