#pragma once
// platform.webhook_deliveries and webhook_delivery_state: the outbox of webhooks (migrations 0013
// and 0017: each event written once, where its delivery stands apart). A request's terminal
// event is added in the transaction that stores that state, so a crash between "completed" and
// "sent" loses nothing; nodes claim due deliveries with FOR UPDATE SKIP LOCKED and a lease, and
// write what each attempt came to, fenced by the attempt they claimed.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "messages/records.hpp"
#include "messages/webhooks.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// In `tx` (which has just stored a terminal state of `request_id`): adds the delivery of the
/// request's event when it has a callback_url. An earlier event of the request still waiting
/// is marked failed ("replaced by a later event"), so a receiver never hears of an old end after
/// a newer one.
void enqueue_request_event(pqxx::transaction_base& tx, const std::string& request_id);

/// Claims up to `limit` due deliveries for `node` (status delivering, attempts + 1, a lease of
/// `lease_ms`), at most `per_host` to one authority and, of one client, its room in `rooms`
/// (else `per_client`), skipping rows other nodes hold, the authorities in `busy_hosts` and the
/// clients in `busy_clients`. A claim whose lease ran out is due again, and claimed like a
/// pending delivery.
/// `due_from_us` (µs since the epoch; 0: none) leaves out due rows older than that: the rows
/// before the oldest that the previous claim took, while the same hosts are busy (they are
/// theirs). `oldest_due_us`, when given, receives the oldest due time among the rows claimed
/// (0 when none).
std::vector<claimed_delivery> claim_deliveries(
  pqxx::connection& c, const std::string& node, int limit, int per_host, int64_t lease_ms,
  const std::vector<std::string>& busy_hosts, const std::vector<std::string>& busy_clients = {},
  int per_client = 1000000, const std::vector<std::pair<std::string, int>>& rooms = {},
  int64_t due_from_us = 0, int64_t* oldest_due_us = nullptr);

/// Makes the deliveries `node` was delivering due again (the node restarted: nobody else holds
/// them); one whose event a later one of its request replaced meanwhile fails as replaced.
/// Returns how many.
int release_claims(pqxx::connection& c, const std::string& node);

/// Writes the outcomes of attempts `node` claimed, in one statement; an outcome whose delivery is
/// no longer that claim (its lease ran out and it was claimed again, here or elsewhere) is
/// skipped, and a retry of an event a later end of its request replaced fails as replaced.
/// Returns how many were written. Committed without waiting for the WAL flush (an outcome lost
/// to a database crash means one more attempt under the same webhook-id).
int record_outcomes(pqxx::connection& c, const std::string& node,
                    const std::vector<delivery_outcome>& outcomes);

/// What a listing of deliveries selects; empty fields select everything.
struct delivery_filter {
  std::string client_id;
  std::string request_id;
  std::optional<delivery_status> status;
  /// The delivery_id of the previous page's last row.
  std::string after;
  int limit = 50;
};

/// Deliveries newest first.
std::vector<webhook_delivery> list_deliveries(pqxx::connection& c, const delivery_filter& f);

/// One delivery (of `client_id` when not empty).
std::optional<webhook_delivery> find_delivery(pqxx::connection& c, const std::string& delivery_id,
                                              const std::string& client_id);

/// What redelivering found.
enum class redelivery { missing, in_flight, queued };

/// Makes a delivery due now with a fresh schedule (the same delivery id); refused while one of
/// its attempts is in flight (a claim whose lease ran out is not: its node is gone).
redelivery redeliver(pqxx::connection& c, const std::string& delivery_id,
                     const audit_context& by);

/// Adds a `platform.ping` for `client_id` to `url` (checked by the caller); returns its id.
std::string insert_ping(pqxx::connection& c, const std::string& client_id, const std::string& url,
                        const std::string& payload_json);

}  // namespace gp::persistence
