#pragma once
// The OpenAPI document of the node's HTTP API (GET /openapi.json), generated from the route table
// (actors/route_table.hpp) and the request and response schemas beside it, so a route that is
// served is also documented.
#include <string>

namespace gp {

/// The OpenAPI 3.1 document as JSON text, built once on first use. `version` is the service
/// version shown in `info.version`.
const std::string& openapi_json(const std::string& version);

}  // namespace gp
