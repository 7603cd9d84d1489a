#pragma once
// Platform requests in and out of JSON: the status body of API.md, the submit answer, and the
// snapshot a request actor keeps in its row (which step it is on, and its jobs).
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "messages/records.hpp"
#include "messages/requests.hpp"

namespace gp::io::http {

/// What a request actor snapshots besides the row's columns.
struct request_snapshot {
  /// Index of the step being run (or about to run).
  int step = 0;
  std::vector<request_job> jobs;
};

std::string encode_snapshot(const request_snapshot& s);

/// Tolerant: a malformed or empty snapshot reads as step 0 with no jobs.
request_snapshot decode_snapshot(const std::string& json_text);

/// The status of a request as its row has it.
request_view view_of(const request_row& row);
/// The same, with the row's snapshot already decoded.
request_view view_of(const request_row& row, std::vector<request_job> jobs);

/// The status body of GET /platform/status/{id}; URLs made absolute with `base_url`.
nlohmann::json status_body(const request_view& v, const std::string& base_url);

/// The same with `eta` (seconds since the epoch, 0 = unknown) as estimated_completion.
nlohmann::json status_body(const request_view& v, const std::string& base_url, int64_t eta);

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

/// The fingerprint of a stored request (same form as payload_fingerprint of a submission).
std::string stored_fingerprint(const request_row& row);

}  // namespace gp::io::http
