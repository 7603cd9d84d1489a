#pragma once
// The auth actor: checks API keys against platform.api_keys through the db pool, with a short
// cache so a hot key costs no database round trip and a revoked key stops working within the TTL.
#include <chrono>
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "messages/auth.hpp"
#include "persistence/api_keys.hpp"

namespace gp {

/// Cache and lookup settings.
struct auth_options {
  /// How long a looked-up key (or its absence) is trusted. Revocation takes effect within this.
  std::chrono::milliseconds cache_ttl{2000};
  /// How long a database lookup may take.
  std::chrono::milliseconds lookup_timeout{5000};
  /// Entries kept at most; stale ones are dropped first.
  size_t max_entries = 10000;
};

/// (auth_atom, key) → principal, or errc::unauthorized with the reason; a failed lookup answers
/// the pool's error (database_unavailable, database_timeout).
auth_actor spawn_auth(caf::actor_system& sys, db_pool_actor pool, auth_options opts);

/// Why a presented key is refused, or empty when it is accepted. `now_epoch` in seconds.
/// The hash is compared in constant time; expiry and revocation are told only for a correct key.
std::string key_refusal(const persistence::key_credentials& stored, const std::string& presented,
                        int64_t now_epoch);

/// The principal for an accepted key.
principal principal_of(const persistence::key_credentials& stored);

}  // namespace gp
