#include "actors/node_metrics.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

#include "io/http/request_codec.hpp"
#include "io/logging.hpp"
#include "messages/webhooks.hpp"

namespace gp {

namespace {

using io::metrics::labels;

size_t method_slot(std::string_view m) {
  for (size_t i = 0; i < node_metrics::methods.size(); ++i)
    if (node_metrics::methods[i] == m)
      return i;
  return node_metrics::methods.size();
}

size_t status_slot(unsigned s) {
  for (size_t i = 0; i < node_metrics::statuses.size(); ++i)
    if (node_metrics::statuses[i] == s)
      return i;
  auto cls = s / 100;
  return node_metrics::statuses.size() + (cls >= 1 && cls <= 5 ? cls - 1 : 4);
}

std::string status_label(size_t slot) {
  if (slot < node_metrics::statuses.size())
    return std::to_string(node_metrics::statuses[slot]);
  return std::to_string(slot - node_metrics::statuses.size() + 1) + "xx";
}

const char* route_label(size_t route) {
  return route < static_cast<size_t>(routing::route_count) ? routing::route_table[route].pattern
                                                           : "unmatched";
}

/// A webhook outcome's label: the delivery's own status word where it ended in one.
std::string outcome_name(webhook_outcome o) {
  switch (o) {
    case webhook_outcome::delivered: return std::string{name_of(delivery_status::delivered)};
    case webhook_outcome::retry: return "retry";
    case webhook_outcome::failed: return std::string{name_of(delivery_status::failed)};
    case webhook_outcome::dead: return std::string{name_of(delivery_status::dead)};
    case webhook_outcome::given_back: break;
  }
  return "given_back";
}

}  // namespace

namespace {

std::array<std::atomic<int64_t>, actor_kind_count> live_by_kind{};

}  // namespace

void count_live_actor(actor_kind k, int delta) noexcept {
  live_by_kind[static_cast<size_t>(k)].fetch_add(delta, std::memory_order_relaxed);
}

int64_t live_actors(actor_kind k) noexcept {
  return live_by_kind[static_cast<size_t>(k)].load(std::memory_order_relaxed);
}

node_metrics& node_metrics::get() {
  static node_metrics m;
  return m;
}

node_metrics::node_metrics() : http_(new http_slot[route_slots * method_slots]) {}

void node_metrics::http_call(int route, std::string_view method, unsigned status,
                             double seconds) noexcept {
  if (route < 0 || route > unmatched_route)
    route = unmatched_route;
  auto& slot = http_[static_cast<size_t>(route) * method_slots + method_slot(method)];
  slot.by_status[status_slot(status)].fetch_add(1, std::memory_order_relaxed);
  slot.latency.observe(seconds);
}

void node_metrics::request_entered(const std::string& type, request_status to,
                                   std::optional<double> took) {
  std::lock_guard<std::mutex> guard{lock_};
  auto& series = requests_[type];
  auto i = static_cast<size_t>(to);
  ++series.entered[i];
  if (!took)
    return;
  if (!series.processing[i])
    series.processing[i] = std::make_unique<io::metrics::histogram>(io::metrics::work_buckets);
  series.processing[i]->observe(*took);
}

void node_metrics::task_ended(const std::string& type, bool ok, double seconds) {
  std::lock_guard<std::mutex> guard{lock_};
  auto& t = tasks_[type];
  ++(ok ? t.succeeded : t.failed);
  t.duration.observe(seconds);
}

void node_metrics::task_retried(const std::string& type) {
  std::lock_guard<std::mutex> guard{lock_};
  ++tasks_[type].retried;
}

void node_metrics::write(io::metrics::text_writer& out) const {
  out.family("geoplatform_http_requests_total", "counter",
             "HTTP calls answered, by route template, method and status.");
  for (size_t r = 0; r < route_slots; ++r)
    for (size_t m = 0; m < method_slots; ++m) {
      const auto& slot = http_[r * method_slots + m];
      for (size_t s = 0; s < status_slots; ++s) {
        auto n = slot.by_status[s].load(std::memory_order_relaxed);
        if (n == 0)
          continue;
        out.sample("geoplatform_http_requests_total",
                   {{"route", route_label(r)},
                    {"method", m < methods.size() ? std::string{methods[m]} : "other"},
                    {"status", status_label(s)}},
                   static_cast<double>(n));
      }
    }
  out.family("geoplatform_http_request_duration_seconds", "histogram",
             "Time from a call's dispatch to its answer, by route template and method.");
  for (size_t r = 0; r < route_slots; ++r)
    for (size_t m = 0; m < method_slots; ++m) {
      const auto& slot = http_[r * method_slots + m];
      if (slot.latency.count() == 0)
        continue;
      out.histogram("geoplatform_http_request_duration_seconds",
                    {{"route", route_label(r)},
                     {"method", m < methods.size() ? std::string{methods[m]} : "other"}},
                    slot.latency.read());
    }

  std::lock_guard<std::mutex> guard{lock_};
  out.family("geoplatform_request_transitions_total", "counter",
             "Platform requests that entered a state on this node, by request type and state.");
  for (const auto& [type, s] : requests_)
    for (auto st : all_request_statuses)
      if (auto n = s.entered[static_cast<size_t>(st)])
        out.sample("geoplatform_request_transitions_total",
                   {{"type", type}, {"state", std::string{name_of(st)}}}, static_cast<double>(n));
  out.family("geoplatform_request_processing_seconds", "histogram",
             "Time from a request's submission to its end, by request type and final state.");
  for (const auto& [type, s] : requests_)
    for (auto st : all_request_statuses)
      if (const auto& h = s.processing[static_cast<size_t>(st)])
        out.histogram("geoplatform_request_processing_seconds",
                      {{"type", type}, {"state", std::string{name_of(st)}}}, h->read());
  out.family("geoplatform_tasks_total", "counter",
             "Tasks that ended on this node, by task type and outcome.");
  for (const auto& [type, t] : tasks_) {
    out.sample("geoplatform_tasks_total",
               {{"task_type", type}, {"outcome", std::string{name_of(job_status::completed)}}},
               static_cast<double>(t.succeeded));
    out.sample("geoplatform_tasks_total",
               {{"task_type", type}, {"outcome", std::string{name_of(job_status::failed)}}},
               static_cast<double>(t.failed));
  }
  out.family("geoplatform_task_retries_total", "counter",
             "Tasks claimed again after an earlier attempt, by task type.");
  for (const auto& [type, t] : tasks_)
    out.sample("geoplatform_task_retries_total", {{"task_type", type}},
               static_cast<double>(t.retried));
  out.family("geoplatform_task_duration_seconds", "histogram",
             "How long tasks ran on this node, by task type.");
  for (const auto& [type, t] : tasks_)
    if (t.duration.count() > 0)
      out.histogram("geoplatform_task_duration_seconds", {{"task_type", type}},
                    t.duration.read());

  out.family("geoplatform_webhook_attempts_total", "counter",
             "Webhook delivery attempts made by this node, by outcome.");
  for (size_t i = 0; i < webhook_outcome_count; ++i)
    out.sample("geoplatform_webhook_attempts_total",
               {{"outcome", outcome_name(static_cast<webhook_outcome>(i))}},
               static_cast<double>(webhooks_[i].load(std::memory_order_relaxed)));
  out.family("geoplatform_actors", "gauge", "Live actors of this node, by kind.");
  for (size_t i = 0; i < actor_kind_count; ++i)
    out.sample("geoplatform_actors", {{"kind", actor_kind_names[i]}},
               static_cast<double>(live_actors(static_cast<actor_kind>(i))));
}

void note_request_transition(const request_view& v, std::optional<request_status> from) {
  std::optional<double> took;
  if (is_terminal(v.status)) {
    auto created = io::http::epoch_of(v.created_at);
    auto ended = v.completed_at.empty() ? static_cast<int64_t>(std::time(nullptr))
                                        : io::http::epoch_of(v.completed_at);
    if (created > 0 && ended >= created)
      took = static_cast<double>(ended - created);
  }
  node_metrics::get().request_entered(v.request_type, v.status, took);
  if (!io::log_enabled(spdlog::level::info))
    return;
  nlohmann::json f = {
    {"request_id", v.request_id},
    {"type", v.request_type},
    {"from", from ? nlohmann::json(std::string{name_of(*from)}) : nlohmann::json()},
    {"to", std::string{name_of(v.status)}},
    {"reason", io::redact_secrets(v.status == request_status::failed && !v.error_code.empty()
                                    ? v.error_code
                                    : v.message)}};
  // Values are scrubbed before they are encoded (the formatter scrubs only an event's message).
  if (v.status == request_status::failed)
    f["error_message"] = io::redact_secrets(v.error_message);
  auto msg = "request " + v.request_id.substr(0, 12) + ": " +
             (from ? std::string{name_of(*from)} : std::string{"-"}) + " -> " +
             std::string{name_of(v.status)} + " (" + f["reason"].get<std::string>() + ")";
  io::log_event(spdlog::level::info, "request_state", msg,
                f.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace gp
