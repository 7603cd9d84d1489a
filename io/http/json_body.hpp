#pragma once
// Request bodies: POST/PUT must be application/json (415 otherwise) and parse (400 otherwise).
#include <optional>

#include <nlohmann/json.hpp>

#include "io/http/types.hpp"

namespace gp::io::http {

/// Whether a Content-Type header names JSON (`application/json`, parameters allowed).
bool is_json_content_type(std::string_view content_type);

/// Parses the body of `req` into `out`. On failure returns the problem response to send:
/// 415 unsupported_media_type or 400 malformed_json (with the byte offset of the error).
std::optional<response> parse_json_body(const request& req, nlohmann::json& out);

/// One invalid field of a request body.
struct field_error {
  std::string field;
  std::string message;
};

/// A string member of a JSON object body: "" when absent or null (with "is required" reported
/// when `required`), and "must be a string" reported for any other type.
std::string string_field(const nlohmann::json& body, const char* name, bool required,
                         std::vector<field_error>& errors);

/// 400 validation_error listing every bad field in `errors`.
response validation_problem(const std::vector<field_error>& errors);

}  // namespace gp::io::http
