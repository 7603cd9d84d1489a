#pragma once
// What a webhook receiver checks of a delivery (the `geoplatform webhooks listen` command, and
// what DDH's receiver should do): both signatures by one of the client's secrets, a timestamp
// within the tolerance (Standard Webhooks: a replay of an old delivery is refused), and a JSON
// body. Pure: the receiver's HTTP server and printing live in app/.
#include <cstdint>
#include <string>
#include <vector>

#include "io/http/types.hpp"

namespace gp::io::webhooks {

struct delivery_check {
  bool accepted = false;
  bool standard_signature_ok = false;
  bool platform_signature_ok = false;
  /// Why it was refused (empty when accepted).
  std::string reason;
  /// One line for a person: the id, event, request, status, and the verdict.
  std::string summary;
};

/// Checks `req` against the secrets' `keys` (secret_key of each) at `now` (Unix seconds),
/// refusing timestamps more than `tolerance_s` away from it.
delivery_check check_delivery(const http::request& req, const std::vector<std::string>& keys,
                              int64_t now, int64_t tolerance_s);

}  // namespace gp::io::webhooks
