#pragma once
// Who is calling: the result of checking an API key.
#include <optional>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace gp {

/// An authenticated caller. `allowed_endpoints` empty with `restricted` false = no restriction.
struct principal {
  std::string client_id;
  std::string key_id;
  /// internal | trusted | admin
  std::string access_level;
  /// RFC 3339, empty = never.
  std::string expires_at;
  bool restricted = false;
  std::vector<std::string> allowed_endpoints;
  /// The client's submissions a minute (0: no limit), as of the key's lookup.
  int rate_limit_per_minute = 0;
  /// The client's read and tiles calls a minute (0: the service's default).
  int read_rate_limit_per_minute = 0;
  int tiles_rate_limit_per_minute = 0;
  /// Until when (actor clock, nanoseconds since its epoch) this verdict may be reused without
  /// asking the auth actor again: the end of its cache entry or the key's expiry, whichever is first.
  int64_t reusable_until_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, principal& x) {
  return f(caf::meta::type_name("gp.principal"), x.client_id, x.key_id, x.access_level,
           x.expires_at, x.restricted, x.allowed_endpoints, x.rate_limit_per_minute,
           x.read_rate_limit_per_minute, x.tiles_rate_limit_per_minute, x.reusable_until_ns);
}

}  // namespace gp
