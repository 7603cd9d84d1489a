#pragma once
// platform.api_keys: only the SHA-256 of each key is stored.
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

using gp::api_key_row;


/// Inserts a key row without an audit row (test fixtures); returns false when key_id or
/// key_hash already exist.
bool insert_api_key(pqxx::connection& c, const api_key_row& row);

/// What create_api_key did.
enum class create_key_outcome { created, unknown_client, expiry_not_in_future, id_taken };

/// Inserts a key after checking, in the same transaction, that its client exists and its expiry
/// (if any) lies ahead, with its audit row. `id_taken` asks the caller to draw a new key id.
/// The expiry as stored (UTC, or empty) goes to `*stored_expiry` when given.
create_key_outcome create_api_key(pqxx::connection& c, const api_key_row& row,
                                  const audit_context& by, std::string* stored_expiry = nullptr);

/// Draws keys from `generate` (returning an object with `key`, `key_id` and `hash`) and creates
/// the first whose id is free (five tries). Returns the outcome, the key drawn last and the
/// expiry as stored (UTC).
template <class Generator>
auto create_generated_key(pqxx::connection& c, api_key_row row, Generator generate,
                          const audit_context& by) {
  auto key = generate();
  for (int attempt = 0;; ++attempt) {
    row.key_id = key.key_id;
    row.key_hash = key.hash;
    auto outcome = create_api_key(c, row, by, &row.expires_at);
    if (outcome != create_key_outcome::id_taken || attempt == 4)
      return std::make_tuple(outcome, key, row.expires_at);
    key = generate();
  }
}

/// The keys of one client, or of every client when `client_id` is empty, newest first.
std::vector<api_key_row> list_api_keys(pqxx::connection& c, const std::string& client_id);

/// Whether a key with this public id exists.
bool api_key_exists(pqxx::connection& c, const std::string& key_id);

/// What authentication needs to know about one key (looked up by its public id).
struct key_credentials {
  std::string key_id;
  std::string client_id;
  std::string key_hash;
  std::string access_level;
  std::optional<std::vector<std::string>> allowed_endpoints;
  /// RFC 3339, empty = never.
  std::string expires_at;
  /// Seconds since the epoch, 0 = never (compared with the service's clock).
  int64_t expires_epoch = 0;
  bool revoked = false;
  bool client_active = true;
  /// The client's submissions a minute (platform.clients.rate_limit_per_minute).
  int rate_limit_per_minute = 0;
  /// The client's read and tiles calls a minute; 0: the service's default.
  int read_rate_limit_per_minute = 0;
  int tiles_rate_limit_per_minute = 0;
};

/// The key with this public id, or nothing.
std::optional<key_credentials> find_key_credentials(pqxx::connection& c, const std::string& key_id);

/// Marks a key revoked, with its audit row; false when no such key exists or it was already
/// revoked.
bool revoke_api_key(pqxx::connection& c, const std::string& key_id, const audit_context& by);

/// What rotate_api_key did.
struct key_rotation {
  enum outcome_kind { rotated, missing, not_active, already_rotated, expiry_not_in_future, id_taken };
  outcome_kind outcome = missing;
  /// rotated: the new key's row (its id, client, level, scopes, description and expiry).
  api_key_row row;
  /// rotated: when the old key stops working (RFC 3339).
  std::string old_expires_at;
  /// already_rotated: its successor.
  std::string rotated_to;
};

/// Replaces a working key by a new one (`new_key_id`, `new_key_hash`) with the same client,
/// level, scopes and description, expiring at `expires_at` (empty: as the old one); the old key
/// keeps working for `overlap_seconds` (or until its own expiry, if sooner). Audited.
/// `id_taken` asks the caller to draw a new key.
key_rotation rotate_api_key(pqxx::connection& c, const std::string& key_id,
                            const std::string& new_key_id, const std::string& new_key_hash,
                            const std::string& expires_at, int64_t overlap_seconds,
                            const audit_context& by);

/// rotate_api_key with successors drawn from `generate` (as create_generated_key): the first
/// whose id is free (five tries). Returns the rotation and the key drawn last.
template <class Generator>
auto rotate_generated_key(pqxx::connection& c, const std::string& key_id,
                          const std::string& expires_at, int64_t overlap_seconds,
                          const audit_context& by, Generator generate) {
  auto key = generate();
  for (int attempt = 0;; ++attempt) {
    auto r = rotate_api_key(c, key_id, key.key_id, key.hash, expires_at, overlap_seconds, by);
    if (r.outcome != key_rotation::id_taken || attempt == 4)
      return std::make_pair(std::move(r), key);
    key = generate();
  }
}

}  // namespace gp::persistence
