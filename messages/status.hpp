#pragma once
// The statuses of platform requests and CoreMachine jobs. Inside the process they are enums; their
// names (the words of API.md and of the database's status columns) are written and read only
// through name_of and parse_* below, in messages/status.cpp.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gp {

/// Where a platform request stands (platform.requests.status).
enum class request_status : uint8_t { pending, processing, completed, failed, cancelled };

/// Where a CoreMachine job stands (platform.jobs.status). `unknown` is never stored: it is the
/// coremachine's answer to a watch of a job that does not exist.
enum class job_status : uint8_t { queued, processing, completed, failed, cancelled, unknown };

/// The state word of an actor's status report (GET /health): running, or resuming its work
/// after a start (registry), pending / retrying / migrated (migrator), serving / draining
/// (http_edge), stopping (root); unreachable is the edge's word for one that did not answer.
enum class actor_state : uint8_t {
  running, resuming, pending, retrying, migrated, serving, draining, stopping, unreachable
};

std::string_view name_of(request_status s);
std::string_view name_of(job_status s);
std::string_view name_of(actor_state s);

/// The status named `name`; nothing for any other word.
std::optional<request_status> parse_request_status(std::string_view name);
/// The job status named `name`; nothing for any other word (also for "unknown", never stored).
std::optional<job_status> parse_job_status(std::string_view name);

/// Completed, failed or cancelled.
constexpr bool is_terminal(request_status s) {
  return s == request_status::completed || s == request_status::failed ||
         s == request_status::cancelled;
}
constexpr bool is_terminal(job_status s) {
  return s == job_status::completed || s == job_status::failed || s == job_status::cancelled;
}

/// Every request status, in their order (for listings and validation messages).
constexpr request_status all_request_statuses[] = {
  request_status::pending, request_status::processing, request_status::completed,
  request_status::failed, request_status::cancelled};
/// Every storable job status, in their order.
constexpr job_status all_job_statuses[] = {job_status::queued, job_status::processing,
                                           job_status::completed, job_status::failed,
                                           job_status::cancelled};

/// The names of `all` (e.g. all_request_statuses), in its order.
template <class Range>
std::vector<std::string> names_of(const Range& all) {
  std::vector<std::string> out;
  for (auto s : all)
    out.emplace_back(name_of(s));
  return out;
}

/// For CAF's message rendering.
std::string to_string(request_status s);
std::string to_string(job_status s);
std::string to_string(actor_state s);

/// For test output.
std::ostream& operator<<(std::ostream& out, request_status s);
std::ostream& operator<<(std::ostream& out, job_status s);
std::ostream& operator<<(std::ostream& out, actor_state s);

}  // namespace gp
