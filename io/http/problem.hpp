#pragma once
// RFC 9457 problem+json responses (API.md "Errors").
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "io/http/types.hpp"

namespace gp::io::http {

/// The reason phrase for a status code ("Not Found").
const char* reason_phrase(unsigned status);

/// A problem+json response with type, title, status, detail and code; `extra` members
/// (such as "errors") are merged in.
response problem(unsigned status, const std::string& code, const std::string& detail);
response problem(unsigned status, const std::string& code, const std::string& detail,
                 const nlohmann::json& extra);

/// A JSON response with the given status.
response json_response(unsigned status, const nlohmann::json& body);

}  // namespace gp::io::http
