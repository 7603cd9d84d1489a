#pragma once
// platform.usage_hourly: usage by client and hour (UTC). Nodes add what they counted in memory
// (usage_meter in the HTTP edge) every few seconds; a request's end adds itself in the
// transaction that stores it. Also the batched last_used_at of keys.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "messages/records.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// Counts of one client in the hour starting at `hour` (seconds since the epoch, a whole hour).
struct usage_delta {
  std::string client_id;
  int64_t hour = 0;
  usage_counts counts;
};

/// Adds the deltas (one statement) and moves each key's last_used_at forward to its time
/// (seconds since the epoch); returns the rows added to. Deltas of clients that no longer exist
/// are dropped.
int add_usage(pqxx::connection& c, const std::vector<usage_delta>& deltas,
              const std::vector<std::pair<std::string, int64_t>>& key_uses);

/// Adds one request's end (completed or failed) to its client's current hour, in `tx`.
void add_request_end(pqxx::transaction_base& tx, const std::string& request_id, bool completed,
                     int64_t bytes_read, int64_t bytes_written);

/// What GET /admin/usage reads.
struct usage_query {
  /// Empty: every client.
  std::string client_id;
  /// RFC 3339 bounds, `from` included, `to` excluded.
  std::string from;
  std::string to;
  /// "hour" or "day".
  std::string granularity = "hour";
};

/// Usage per client and period, ordered by client and period.
std::vector<usage_row> read_usage(pqxx::connection& c, const usage_query& q);

}  // namespace gp::persistence
