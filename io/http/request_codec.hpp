#pragma once
// Platform requests in HTTP bodies: the status body of API.md and the submit answer. (The request
// model is in messages/requests.hpp, its stored snapshot in io/requests/snapshot_codec.)
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/requests.hpp"

namespace gp::io::http {

/// The status body of GET /platform/status/{id}; URLs made absolute with `base_url`.
nlohmann::json status_body(const request_view& v, const std::string& base_url);

/// The same with `eta` (seconds since the epoch, 0 = unknown) as estimated_completion.
nlohmann::json status_body(const request_view& v, const std::string& base_url, int64_t eta);

/// The `events` of a status body with detail=full: the submission (at created_at, from null to
/// pending), then each stored change of its status, oldest first.
nlohmann::json history_body(const request_view& v, const std::vector<request_event>& events);

/// The body of a 202 (`created`: status "accepted") or 200 (the current status) submit answer.
nlohmann::json submit_body(const request_view& v, const std::string& base_url, bool created);
nlohmann::json submit_body(const request_view& v, const std::string& base_url, bool created,
                           int64_t eta);

/// submit_body as JSON text, written without building a document.
std::string submit_body_text(const request_view& v, const std::string& base_url, bool created,
                             int64_t eta);

/// Seconds since the epoch of an RFC 3339 UTC timestamp as the rows carry them (0 if unreadable).
int64_t epoch_of(const std::string& rfc3339);

/// RFC 3339 UTC for seconds since the epoch (0 → null).
nlohmann::json rfc3339_or_null(int64_t epoch_seconds);

/// Stored JSON text as a value (null when it does not parse); with `urls`, the relative URLs
/// among its members made absolute (make_urls_absolute).
nlohmann::json stored_json(const std::string& text, const std::string& base_url, bool urls);

/// Prefixes `base_url` to the members of object `doc` that are relative URLs (how endpoints are
/// stored). The status and the webhooks both show endpoints through this.
void make_urls_absolute(nlohmann::json& doc, const std::string& base_url);

}  // namespace gp::io::http
