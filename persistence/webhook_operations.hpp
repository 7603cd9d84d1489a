#pragma once
// The webhook operations of the db_pool (persistence/operations.hpp explains operations): the
// dispatcher's claims and outcomes, the listings and redelivery of deliveries, pings, and the
// rotation of a client's webhook secret.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include "messages/webhooks.hpp"
#include "persistence/webhook_outbox.hpp"

namespace gp::persistence {
class db_session;
}

namespace gp::db {

/// Claims up to `limit` due deliveries for `node` with a lease of `lease_ms`, at most
/// `per_host` to one authority and none to the authorities in `busy_hosts` or of the clients in
/// `busy_clients` (their limit is reached on this node).
struct claim_deliveries {
  std::string node;
  int limit = 64;
  int per_host = 16;
  int64_t lease_ms = 60000;
  std::vector<std::string> busy_hosts;
  std::vector<std::string> busy_clients;
  int per_client = 64;
  /// The room left to clients this node holds claims of (fewer than per_client).
  std::vector<std::pair<std::string, int>> client_rooms;
  /// Due rows older than this (µs since the epoch; 0: none) are left out (see claim_deliveries).
  int64_t due_from_us = 0;
  struct result {
    std::vector<claimed_delivery> deliveries;
    /// The oldest due time among them (µs since the epoch; 0 when none).
    int64_t oldest_due_us = 0;
  };
};

/// Writes what the attempts `node` claimed came to (and gives back claims not attempted) → how
/// many were written.
struct record_deliveries {
  std::string node;
  std::vector<delivery_outcome> outcomes;
  using result = int;
};

/// Writes `outcomes`, then makes the deliveries `node` still holds due again (it is stopping) →
/// how many it gave back.
struct release_deliveries {
  std::string node;
  std::vector<delivery_outcome> outcomes;
  using result = int;
};

/// A page of deliveries, newest first.
struct list_deliveries {
  persistence::delivery_filter filter;
  struct result {
    std::vector<webhook_delivery> deliveries;
  };
};

/// One delivery (of `client_id`, when not empty).
struct find_delivery {
  std::string delivery_id;
  std::string client_id;
  struct result {
    std::optional<webhook_delivery> delivery;
  };
};

/// Makes a delivery due now with a fresh schedule → what redelivering found.
struct redeliver {
  std::string delivery_id;
  audit_context by;
  struct result {
    persistence::redelivery outcome = persistence::redelivery::missing;
  };
};

/// Adds a ping of `client_id` to `url` → its delivery id.
struct insert_ping {
  std::string client_id;
  std::string url;
  std::string payload_json;
  struct result {
    std::string delivery_id;
  };
};

/// Gives a client a new webhook secret; the previous one signs for `grace_seconds` more →
/// until when (RFC 3339), or nothing when there is no such client.
struct rotate_secret {
  std::string client_id;
  std::string new_secret;
  int64_t grace_seconds = 86400;
  audit_context by;
  struct result {
    std::optional<std::string> previous_valid_until;
  };
};

}  // namespace gp::db

namespace gp::persistence {

caf::expected<db::claim_deliveries::result> execute(db_session& s, const db::claim_deliveries& op);
caf::expected<int> execute(db_session& s, const db::record_deliveries& op);
caf::expected<int> execute(db_session& s, const db::release_deliveries& op);
caf::expected<db::list_deliveries::result> execute(db_session& s, const db::list_deliveries& op);
caf::expected<db::find_delivery::result> execute(db_session& s, const db::find_delivery& op);
caf::expected<db::redeliver::result> execute(db_session& s, const db::redeliver& op);
caf::expected<db::insert_ping::result> execute(db_session& s, const db::insert_ping& op);
caf::expected<db::rotate_secret::result> execute(db_session& s, const db::rotate_secret& op);

}  // namespace gp::persistence

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::claim_deliveries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::claim_deliveries::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::record_deliveries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::release_deliveries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_deliveries)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_deliveries::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_delivery::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::redeliver)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::redeliver::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::insert_ping)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::insert_ping::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::rotate_secret)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::rotate_secret::result)
