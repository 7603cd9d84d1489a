#include "messages/status.hpp"

namespace gp {

namespace {

constexpr std::string_view request_names[] = {"pending", "processing", "completed", "failed",
                                              "cancelled"};
constexpr std::string_view job_names[] = {"queued",    "processing", "completed",
                                          "failed",    "cancelled",  "unknown"};

constexpr std::string_view actor_state_names[] = {"running",  "resuming", "pending",
                                                  "retrying", "migrated", "serving",
                                                  "draining", "stopping", "unreachable"};

}  // namespace

std::string_view name_of(actor_state s) { return actor_state_names[static_cast<size_t>(s)]; }

std::string_view name_of(request_status s) { return request_names[static_cast<size_t>(s)]; }

std::string_view name_of(job_status s) { return job_names[static_cast<size_t>(s)]; }

std::optional<request_status> parse_request_status(std::string_view name) {
  for (auto s : all_request_statuses)
    if (name_of(s) == name)
      return s;
  return std::nullopt;
}

std::optional<job_status> parse_job_status(std::string_view name) {
  for (auto s : all_job_statuses)
    if (name_of(s) == name)
      return s;
  return std::nullopt;
}

std::string to_string(request_status s) { return std::string{name_of(s)}; }

std::string to_string(job_status s) { return std::string{name_of(s)}; }

std::string to_string(actor_state s) { return std::string{name_of(s)}; }

std::ostream& operator<<(std::ostream& out, request_status s) { return out << name_of(s); }

std::ostream& operator<<(std::ostream& out, job_status s) { return out << name_of(s); }

std::ostream& operator<<(std::ostream& out, actor_state s) { return out << name_of(s); }

}  // namespace gp
