#pragma once
// Bodies of the admin API (API.md "Administration"): validation with every bad field reported.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/http/json_body.hpp"
#include "messages/records.hpp"

namespace gp::io::http {

/// POST /admin/keys.
struct key_request {
  std::string client_id;
  std::string access_level;
  /// RFC 3339, empty = never.
  std::string expires_at;
  std::optional<std::vector<std::string>> allowed_endpoints;
  std::string description;
};

/// A JSON string, or null for an empty string (optional text columns and timestamps).
nlohmann::json string_or_null(const std::string& s);

/// A client as the API shows it (never its webhook secret).
nlohmann::json to_json(const client_row& row);

/// A key as the API shows it (never its hash).
nlohmann::json to_json(const api_key_row& row);

/// A job as GET /jobs/{job_id} shows it; `base_url` makes its status_url absolute.
nlohmann::json to_json(const job_row& row, const std::string& base_url);

/// Reads a POST /admin/keys body; appends one entry to `errors` per bad or unknown field.
key_request parse_key_request(const nlohmann::json& body, std::vector<field_error>& errors);

}  // namespace gp::io::http
