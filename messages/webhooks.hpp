#pragma once
// Webhook deliveries as plain values: a row of the outbox as clients and admins read it, a
// delivery as the dispatcher claims it, and what one attempt came to. Shared by persistence
// (platform.webhook_deliveries), io (signing, the HTTP client, the retry policy) and the actors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp {

/// Where a delivery stands (platform.webhook_delivery_state.status).
enum class delivery_status { pending, delivering, delivered, failed, dead };

inline constexpr delivery_status all_delivery_statuses[] = {
  delivery_status::pending, delivery_status::delivering, delivery_status::delivered,
  delivery_status::failed, delivery_status::dead};

/// The word of a delivery status, and back (nothing for an unknown word); in messages/status.cpp
/// with the other status words.
std::string_view name_of(delivery_status s);
std::optional<delivery_status> parse_delivery_status(std::string_view word);

/// A request's callback_status as API.md shows it: "pending" while its latest event is waiting
/// or being retried, "sent" once delivered, "failed" once it gave up (410, dead, or replaced).
std::string_view callback_status_of(delivery_status s);

/// One delivery as listed (never its payload's secret parts: it has none, but no secret either).
struct webhook_delivery {
  std::string delivery_id;  ///< the `webhook-id`
  std::string request_id;   ///< empty for a ping
  std::string client_id;
  std::string url;
  std::string event;
  delivery_status status = delivery_status::pending;
  int attempts = 0;
  int last_status_code = 0;  ///< 0: no answer yet (or none at all)
  std::string last_error;
  /// RFC 3339, empty when unset.
  std::string next_attempt_at, last_attempt_at, delivered_at, created_at;
};

/// A delivery claimed for one attempt, with what signing and the allowlist check need.
struct claimed_delivery {
  std::string delivery_id;
  std::string request_id;
  std::string client_id;
  std::string url;
  /// The authority of the URL as stored ("host[:port]", lower case): the per-host limit's key.
  std::string host;
  std::string event;
  std::string payload_json;
  /// This attempt's number (1 = the first since creation or the last redelivery); fences the
  /// outcome's write.
  int attempts = 0;
  /// When the claim's lease ends (µs since the epoch). Every claim of a row sets a lease of its
  /// own, so this names the claim: it fences the outcome's write with `attempts`, which a
  /// redelivery starts again from 0.
  int64_t lease_us = 0;
  /// Seconds since the epoch when its retries began.
  int64_t retry_since = 0;
  /// The client's current secret, then its previous one while a rotation's grace lasts.
  std::vector<std::string> secrets;
  std::vector<std::string> callback_hosts;
  bool client_active = true;
};

/// What an attempt came to, as the outbox stores it.
struct delivery_outcome {
  std::string delivery_id;
  int attempts = 0;  ///< the claimed attempt (a stale outcome is not written)
  int64_t lease_us = 0;  ///< the claim's lease end (claimed_delivery::lease_us), the other fence
  delivery_status status = delivery_status::pending;  ///< delivered, pending (retry), failed, dead
  int status_code = 0;
  std::string error;
  /// For a retry: milliseconds from now until the next attempt.
  int64_t retry_in_ms = 0;
  /// False for a claim given back unattempted (its attempt is not counted).
  bool attempted = true;
  /// When the attempt began, in µs since the epoch: its request was about to be sent, or it was
  /// refused. The row's last_attempt_at becomes this (its claim's time until then: a claim can
  /// wait in its host's queue for a minute). 0: unknown, the claim's time stays.
  int64_t attempted_at_us = 0;
};

}  // namespace gp
