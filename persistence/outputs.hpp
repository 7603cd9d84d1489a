#pragma once
// The outputs of platform requests (platform.requests.outputs, migration 0006), read for serving
// their files.
#include <optional>
#include <string>

#include "messages/status.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// What serving a request's files needs of its row.
struct request_outputs_row {
  std::string request_id;
  std::string client_id;
  std::string request_type;
  request_status status = request_status::pending;
  /// The stored outputs as JSON text; "null" when none.
  std::string outputs_json = "null";
};

/// One request's owner, type, status and outputs, or nothing when there is no such request.
std::optional<request_outputs_row> find_request_outputs(pqxx::connection& c,
                                                        const std::string& request_id);

}  // namespace gp::persistence
