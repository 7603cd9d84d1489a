#pragma once
// The administration operations of the db_pool (persistence/operations.hpp explains
// operations): clients, key rotation, the audit trail and usage (docs/admin.md). Every change is
// written with its audit row in one transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include "messages/records.hpp"
#include "persistence/api_keys.hpp"
#include "persistence/clients.hpp"
#include "persistence/usage.hpp"

namespace gp::persistence {
class db_session;
}

namespace gp::db {

/// A key drawn by the caller (the secret never reaches the database, only its hash).
struct key_candidate {
  std::string key;
  std::string key_id;
  std::string hash;
};

/// Creates a client (its webhook secret drawn by the caller) → the client as stored, or nothing
/// when the id is taken.
struct create_client {
  client_row row;
  audit_context by;
  struct result {
    std::optional<client_row> client;
  };
};

/// One client, or nothing.
struct find_client {
  std::string client_id;
  struct result {
    std::optional<client_row> client;
  };
};

/// Changes a client → the client afterwards, or nothing when there is no such client.
struct update_client {
  std::string client_id;
  client_changes changes;
  audit_context by;
  struct result {
    std::optional<client_row> client;
  };
};

/// Replaces a working key by a new one from the first candidate whose id is free; the old one
/// works for `overlap_seconds` more.
struct rotate_key {
  std::string key_id;
  std::vector<key_candidate> candidates;
  /// The new key's expiry (RFC 3339); empty: the old key's.
  std::string expires_at;
  int64_t overlap_seconds = 86400;
  audit_context by;
  struct result {
    persistence::key_rotation rotation;
    /// The candidate used last (the new key when rotated).
    key_candidate key;
  };
};

/// Audit rows of a target (empty: all), newest first, below `before_id` (0: from the newest).
struct list_audit {
  std::string target;
  int64_t before_id = 0;
  int limit = 100;
  struct result {
    std::vector<audit_row> rows;
  };
};

/// Adds usage counted in memory, and moves keys' last_used_at forward → rows added to.
struct record_usage {
  std::vector<persistence::usage_delta> deltas;
  std::vector<std::pair<std::string, int64_t>> key_uses;
  using result = int;
};

/// Usage per client and hour or day.
struct read_usage {
  persistence::usage_query query;
  struct result {
    std::vector<usage_row> rows;
  };
};

}  // namespace gp::db

namespace gp::persistence {

caf::expected<db::create_client::result> execute(db_session& s, const db::create_client& op);
caf::expected<db::find_client::result> execute(db_session& s, const db::find_client& op);
caf::expected<db::update_client::result> execute(db_session& s, const db::update_client& op);
caf::expected<db::rotate_key::result> execute(db_session& s, const db::rotate_key& op);
caf::expected<db::list_audit::result> execute(db_session& s, const db::list_audit& op);
caf::expected<int> execute(db_session& s, const db::record_usage& op);
caf::expected<db::read_usage::result> execute(db_session& s, const db::read_usage& op);

}  // namespace gp::persistence

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::create_client)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::create_client::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_client)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::find_client::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::update_client)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::update_client::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::rotate_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::rotate_key::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_audit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::list_audit::result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::record_usage)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_usage)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::db::read_usage::result)
