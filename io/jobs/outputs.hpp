#pragma once
// What requests' jobs leave behind: the "outputs" objects of their task results, merged into the
// request's platform.requests.outputs, and incremental reuse (a new version whose source and
// configuration equal a completed one's serves that one's outputs).
#include <string>

#include <nlohmann/json.hpp>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

/// Merges the "outputs" objects of a request's tasks (in order): "files" lists are concatenated
/// without repeats, other members are taken from the last object that has them.
json merge_outputs(const json& list);

/// Records `sha256` as the source hash of the task's request and returns the id of a completed
/// request it may reuse (same client, dataset, resource, type, processing_config and source
/// hash), or "" when there is none, when the request's processing_config says "reuse": false,
/// when the environment has no reuse store, or when the look-up fails (reuse only saves work; it
/// never fails a task).
std::string find_reusable(const task_context& ctx, const std::string& sha256);

}  // namespace gp::io::jobs
