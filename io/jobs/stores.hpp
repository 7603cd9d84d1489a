#pragma once
// What the job library needs of the database, as interfaces: the vector tables
// (io/geodata/vector_store.hpp, where the load that uses them lives) and the reuse look-up of
// platform requests (here). io/ declares them and holds no SQL; the service implements them over
// persistence/ (app/stores.*) and hands them to handlers in the task_environment.
#include <optional>
#include <string>

#include "io/geodata/vector_store.hpp"

namespace gp::io::jobs {

/// Incremental reuse: a new version whose source and settings equal a completed one's serves
/// that one's outputs. Shared by every task worker of a node, so implementations are thread-safe.
class reuse_store {
public:
  virtual ~reuse_store() = default;

  /// Records `sha256` as the source hash of request `request_id` and returns the newest other
  /// completed request of the same client, dataset and resource with the same type,
  /// processing_config and source hash whose outputs exist, if any. Throws
  /// geodata::store_error.
  virtual std::optional<std::string> find_reusable(const std::string& request_id,
                                                   const std::string& sha256) = 0;
};

}  // namespace gp::io::jobs
