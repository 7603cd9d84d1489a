#include "io/http/access.hpp"

namespace gp::io::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool pattern_matches(std::string_view pattern, std::string_view method, std::string_view path) {
  auto space = pattern.find(' ');
  if (space == std::string_view::npos)
    return false;
  auto pm = pattern.substr(0, space);
  auto pp = pattern.substr(space + 1);
  bool method_ok = pm == "*" || pm == method || (method == "HEAD" && pm == "GET");
  if (!method_ok)
    return false;
  if (!pp.empty() && pp.back() == '*') {
    pp.remove_suffix(1);
    return path.substr(0, pp.size()) == pp;
  }
  return pp == path;
}

}  // namespace

std::string presented_key(const request& req) {
  auto key = trim(req.header("X-Platform-API-Key"));
  if (!key.empty())
    return std::string{key};
  auto auth = trim(req.header("Authorization"));
  constexpr std::string_view bearer = "Bearer ";
  if (auth.size() > bearer.size() && iequals(auth.substr(0, bearer.size()), bearer))
    return std::string{trim(auth.substr(bearer.size()))};
  return {};
}

bool level_allows(std::string_view level, route_access access) {
  switch (access) {
    case route_access::open:
      return true;
    case route_access::any_key:
      return level == "internal" || level == "trusted" || level == "admin";
    case route_access::platform:
      return level == "internal" || level == "admin";
    case route_access::admin:
      return level == "admin";
  }
  return false;
}

bool endpoint_allowed(const std::vector<std::string>& patterns, std::string_view method,
                      std::string_view path) {
  for (const auto& p : patterns)
    if (pattern_matches(p, method, path))
      return true;
  return false;
}

std::optional<std::string> authorize(const principal& who, route_access access,
                                     std::string_view method, std::string_view path) {
  if (!level_allows(who.access_level, access))
    return "a key of level " + who.access_level + " may not call " + std::string{method} + " " +
           std::string{path};
  if (who.restricted && !endpoint_allowed(who.allowed_endpoints, method, path))
    return "key " + who.key_id + " is restricted to its allowed_endpoints, which do not include " +
           std::string{method} + " " + std::string{path};
  return std::nullopt;
}

}  // namespace gp::io::http
