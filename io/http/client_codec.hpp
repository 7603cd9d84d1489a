#pragma once
// Bodies of the client, audit and usage routes of the admin API (docs/admin.md): validation
// with every bad field reported, and the JSON of their rows.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/http/json_body.hpp"
#include "messages/records.hpp"

namespace gp::io::http {

/// POST /admin/clients: client_id and name required (name defaults to the id when absent);
/// rate limits at least 1 (read and tiles: null or absent = the service's default); callback
/// hosts exact names or *.example.org. The webhook secret is not read (the service draws it).
client_row parse_client_create(const nlohmann::json& body, std::vector<field_error>& errors);

/// PATCH /admin/clients/{id}: name, rate_limit_per_minute, read_rate_limit_per_minute and
/// tiles_rate_limit_per_minute (null: back to the default), callback_hosts, is_active. At least
/// one of them.
client_changes parse_client_patch(const nlohmann::json& body, std::vector<field_error>& errors);

/// POST /admin/keys/{key_id}/rotate (the body is optional): expires_at of the new key, and
/// overlap_seconds (how long the old one keeps working; absent: `default_overlap`).
struct key_rotate_request {
  std::string expires_at;
  int64_t overlap_seconds = 0;
};
key_rotate_request parse_key_rotate(const nlohmann::json& body, int64_t default_overlap,
                                    std::vector<field_error>& errors);

/// An audit row; its before/after as JSON objects (null for none).
nlohmann::json to_json(const audit_row& row);

/// A usage row: {client_id, period, <counter>: n...}.
nlohmann::json to_json(const usage_row& row);

}  // namespace gp::io::http
