#include "messages/status.hpp"

#include "messages/webhooks.hpp"

#include <iterator>

namespace gp {

namespace {

constexpr std::string_view request_names[] = {"pending", "processing", "completed", "failed",
                                              "cancelled"};
constexpr std::string_view job_names[] = {"queued",    "processing", "completed",
                                          "failed",    "cancelled",  "unknown"};

constexpr std::string_view actor_state_names[] = {"running",  "resuming", "pending",
                                                  "retrying", "migrated", "serving",
                                                  "draining", "stopping", "unreachable"};

constexpr std::string_view delivery_names[] = {"pending", "delivering", "delivered", "failed",
                                               "dead"};

}  // namespace

std::string_view name_of(delivery_status s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(delivery_names) ? delivery_names[i] : std::string_view{"invalid"};
}

std::optional<delivery_status> parse_delivery_status(std::string_view word) {
  for (auto s : all_delivery_statuses)
    if (name_of(s) == word)
      return s;
  return std::nullopt;
}

std::string_view callback_status_of(delivery_status s) {
  switch (s) {
    case delivery_status::delivered:
      return "sent";
    case delivery_status::failed:
    case delivery_status::dead:
      return "failed";
    default:
      return "pending";
  }
}

std::string_view name_of(actor_state s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(actor_state_names) ? actor_state_names[i] : std::string_view{"invalid"};
}

std::string_view name_of(request_status s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(request_names) ? request_names[i] : std::string_view{"invalid"};
}

std::string_view name_of(job_status s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(job_names) ? job_names[i] : std::string_view{"invalid"};
}

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
