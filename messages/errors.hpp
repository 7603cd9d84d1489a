#pragma once
// Error codes carried in caf::error across actors (category "gp").
#include <cstdint>
#include <string>

#include <caf/error.hpp>

namespace gp {

/// Failure classes a caller can act on. Keep values stable: they cross process boundaries.
enum class errc : uint8_t {
  none = 0,
  /// The database cannot be reached (down, restarting, network).
  database_unavailable,
  /// A statement ran past its statement_timeout.
  database_timeout,
  /// Any other database error (constraint, syntax, permission).
  database_error,
  /// The schema is missing, too old, or its prerequisites (PostGIS) are absent.
  schema_not_ready,
  /// No key, or a key that is malformed, unknown, expired, revoked or of an inactive client.
  unauthorized,
  /// A request's content is invalid; the detail names the fields.
  invalid_input,
  /// An unexpected failure inside the service.
  internal,
  /// No such request (or it belongs to another client).
  not_found,
  /// The request is in a state that does not allow the operation; the detail says which.
  conflict,
};

/// Stable snake_case name of an error code (used in logs and problem bodies).
const char* to_string(errc x);

/// The human-readable detail attached to a gp error (empty when there is none).
std::string error_detail(const caf::error& err);

/// True when `err` carries the gp error code `code`.
bool is(const caf::error& err, errc code);

}  // namespace gp

CAF_ERROR_CODE_ENUM(gp::errc, "gp")
