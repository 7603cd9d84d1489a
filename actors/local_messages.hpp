#pragma once
// Message types that never leave this process, and why (docs/architecture.md, "Message types"):
// each carries a callback, a flag shared with a running thread, or a row a node keeps for itself.
// They are allowed as unsafe message types instead of being inspectable.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

#include "io/http/types.hpp"
#include "messages/records.hpp"
#include "messages/requests.hpp"
#include "messages/webhooks.hpp"

namespace gp {

/// One HTTP call in flight: the parsed request and where its answer goes (a callback into the
/// connection's strand). An HTTP call is answered by the node that holds its connection.
struct http_call {
  io::http::request req;
  io::http::responder reply;
};

/// A task running on this node, as the lease keeper tracks it. A claim is held by the node whose
/// worker runs it.
struct running_task {
  int64_t task_id = 0;
  /// The attempt it was claimed as. A lapsed claim re-taken on this node replaces the entry; the
  /// older claim's untrack (with its own attempt) is then ignored.
  int attempt = 0;
  std::string task_type;
  /// Set by the keeper to ask the handler to stop.
  std::shared_ptr<std::atomic<bool>> stop;
  /// When the task passes its maximum duration.
  std::chrono::steady_clock::time_point deadline;
};

/// A row this node inserted a moment ago, and the jobs its snapshot names (known to the
/// registry already, so the actor needs no database read to start). A node starts actors only
/// for the requests it owns.
struct fresh_request {
  request_row row;
  std::vector<request_job> jobs;
};

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::http_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::claimed_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::delivery_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<gp::claimed_delivery>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<gp::delivery_outcome>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::running_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::request_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::fresh_request)
