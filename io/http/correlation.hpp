#pragma once
// X-Correlation-Id: accepted when ≤ 128 characters of [A-Za-z0-9._-], else replaced.
#include <string>
#include <string_view>

namespace gp::io::http {

/// Whether a client-supplied correlation id may be echoed.
bool valid_correlation_id(std::string_view id);

/// A new random correlation id (32 hex characters).
std::string new_correlation_id();

/// `incoming` when valid, otherwise a new id.
std::string correlation_id_for(std::string_view incoming);

}  // namespace gp::io::http
