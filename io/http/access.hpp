#pragma once
// Who may call what: presented keys, access levels per route class, allowed_endpoints patterns.
// Pure functions, unit-tested without a server.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/http/types.hpp"
#include "messages/auth.hpp"

namespace gp::io::http {

/// The access a route requires (API.md "Authentication").
enum class route_access {
  /// No key: /livez, /readyz, /openapi.json.
  open,
  /// Any valid key: whoami, health, STAC, features, downloads.
  any_key,
  /// internal or admin: the platform request routes.
  platform,
  /// admin only: /admin/*, /jobs/*.
  admin,
};

/// The key from `X-Platform-API-Key`, else from `Authorization: Bearer <key>`; empty when neither.
std::string presented_key(const request& req);

/// Whether a level ("internal", "trusted", "admin") may call routes of this class.
bool level_allows(std::string_view level, route_access access);

/// Whether "METHOD /path" patterns allow this call. `*` as method matches any method, a trailing
/// `*` matches any rest of the path; HEAD is checked as GET.
bool endpoint_allowed(const std::vector<std::string>& patterns, std::string_view method,
                      std::string_view path);

/// Nothing when `who` may call; otherwise the reason for a 403.
std::optional<std::string> authorize(const principal& who, route_access access,
                                     std::string_view method, std::string_view path);

}  // namespace gp::io::http
