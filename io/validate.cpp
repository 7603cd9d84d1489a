#include "io/validate.hpp"

#include <string>

#include <map>
#include <regex>

namespace gp::io {

namespace {

bool matches(const std::string& s, const char* pattern) {
  // std::regex recurses per character: never hand it unbounded input.
  if (s.size() > 1024)
    return false;
  static thread_local std::map<const char*, std::regex> cache;
  auto i = cache.find(pattern);
  if (i == cache.end())
    i = cache.emplace(pattern, std::regex{pattern, std::regex::ECMAScript}).first;
  return std::regex_match(s, i->second);
}

}  // namespace

std::string check_client_id(const std::string& id) {
  if (!matches(id, "^[a-z0-9][a-z0-9_-]{1,49}$"))
    return "must be 2-50 characters of a-z, 0-9, '_' or '-', starting with a letter or digit";
  return {};
}

std::string check_access_level(const std::string& level) {
  if (level != "internal" && level != "trusted" && level != "admin")
    return "must be one of: internal, trusted, admin";
  return {};
}

std::string check_rfc3339(const std::string& ts) {
  if (!matches(ts, R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$)"))
    return "must be an RFC 3339 timestamp such as 2026-11-26T10:00:00Z";
  // A day the month has (the pattern lets 2026-02-30 through).
  int year = std::stoi(ts.substr(0, 4)), month = std::stoi(ts.substr(5, 2)),
      day = std::stoi(ts.substr(8, 2));
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > days[month - 1] + (month == 2 && leap ? 1 : 0))
    return "must be an RFC 3339 timestamp of a real day (" + ts.substr(0, 7) + " has no day " +
           ts.substr(8, 2) + ")";
  return {};
}

std::string check_endpoint_pattern(const std::string& pattern) {
  if (!matches(pattern, R"(^(GET|POST|PUT|PATCH|DELETE|HEAD|\*) /[A-Za-z0-9._~/-]*\*?$)"))
    return "must look like \"GET /platform/status/*\": a method (or *), one space, a path "
           "starting with '/', optionally ending in '*'";
  return {};
}

std::string check_callback_host(const std::string& host) {
  if (host.size() > 253 ||
      !matches(host, R"(^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$)"))
    return "must be a host name such as hooks.example.org or *.example.org";
  return {};
}

}  // namespace gp::io
