#pragma once
// What a node counts for GET /metrics (docs/monitoring.md "Metrics"): HTTP calls by route
// template, method and status with latency histograms; request state changes and processing
// times by request type; task durations and retries by task type; webhook attempts by outcome;
// live actors by kind (actors/live_actor.hpp). One set a process, added to from any thread. HTTP calls touch only
// relaxed atomics in fixed arrays (no lock, no allocation); the per-type families take a short
// lock once a task or a request ends, never per HTTP call.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "actors/live_actor.hpp"
#include "actors/route_table.hpp"
#include "io/metrics.hpp"
#include "messages/requests.hpp"
#include "messages/status.hpp"

namespace gp {

/// How one webhook delivery attempt ended: delivered (2xx), retry (to be tried again), failed or
/// dead (given up: the delivery's final statuses), or given back unattempted (its claim would
/// outlast its lease, or the node stops).
enum class webhook_outcome : uint8_t { delivered, retry, failed, dead, given_back };
inline constexpr size_t webhook_outcome_count = 5;

class node_metrics {
public:
  /// The process's set.
  static node_metrics& get();

  /// Methods with a series of their own; any other is counted as "other".
  static constexpr std::array<std::string_view, 7> methods = {"GET",   "HEAD",   "POST",   "PUT",
                                                              "PATCH", "DELETE", "OPTIONS"};
  static constexpr size_t method_slots = methods.size() + 1;
  /// Statuses with a series of their own; any other is counted under its class (e.g. 5xx).
  static constexpr std::array<unsigned, 27> statuses = {
    200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 406,
    409, 410, 412, 413, 414, 415, 416, 422, 429, 431, 500, 503, 504};
  static constexpr size_t status_slots = statuses.size() + 5;  // + 1xx..5xx
  /// Route slots: each route of the table, then one for calls that matched none.
  static constexpr int unmatched_route = routing::route_count;
  static constexpr size_t route_slots = routing::route_count + 1;

  /// One answered HTTP call of `route` (or unmatched_route) and how long it took.
  void http_call(int route, std::string_view method, unsigned status, double seconds) noexcept;

  /// A request of `type` entered `to`; `took`, for an end, is the time since its submission.
  void request_entered(const std::string& type, request_status to,
                       std::optional<double> took = std::nullopt);

  /// A task of `type` ended after `seconds`; `ok` false when it failed or was stopped.
  void task_ended(const std::string& type, bool ok, double seconds);
  /// A task of `type` was claimed again after an earlier attempt.
  void task_retried(const std::string& type);

  /// One webhook delivery attempt ended so.
  void webhook_attempt(webhook_outcome o) noexcept {
    webhooks_[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }

  /// Writes every family above in the exposition format.
  void write(io::metrics::text_writer& out) const;

private:
  node_metrics();

  struct http_slot {
    std::array<io::metrics::counter, status_slots> by_status{};
    io::metrics::histogram latency{io::metrics::http_buckets};
  };
  // route × method, each with its statuses and latencies (allocated once, never moved).
  std::unique_ptr<http_slot[]> http_;

  struct type_series {
    static constexpr size_t states = std::size(all_request_statuses);
    std::array<uint64_t, states> entered{};  // by request_status
    std::array<std::unique_ptr<io::metrics::histogram>, states> processing{};
  };
  struct task_series {
    uint64_t succeeded = 0, failed = 0, retried = 0;
    io::metrics::histogram duration{io::metrics::work_buckets};
  };
  mutable std::mutex lock_;
  std::map<std::string, type_series> requests_;
  std::map<std::string, task_series> tasks_;

  std::array<io::metrics::counter, webhook_outcome_count> webhooks_{};
};

/// A request was stored as `v` after being `from` (nothing: not known here). Counted by its type
/// and new state (and, for an end, the time since its submission), and logged as one
/// "request_state" event line: request id, type, from, to and the reason (the failure's code
/// or the status message).
void note_request_transition(const request_view& v, std::optional<request_status> from);

}  // namespace gp
