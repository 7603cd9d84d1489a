#pragma once
// The request snapshot in and out of its stored JSON form ({"step": n, "jobs": [...]}, the
// platform.requests.snapshot column), and the view of a stored row with its snapshot read.
#include <string>

#include "messages/requests.hpp"

namespace gp::io::requests {

std::string encode_snapshot(const request_snapshot& s);

/// Tolerant: a malformed or empty snapshot reads as step 0 with no jobs, and a job whose status
/// is not a stored job status reads as queued.
request_snapshot decode_snapshot(const std::string& json_text);

/// The status of a request as its row has it (its snapshot's jobs included).
request_view view_of(const request_row& row);

/// The fingerprint of a stored request (same form as payload_fingerprint of a submission).
std::string stored_fingerprint(const request_row& row);

}  // namespace gp::io::requests
