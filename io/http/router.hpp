#pragma once
// The route table: method + path pattern → route id. Pure; unit-tested without a server.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::io::http {

/// How a request matched the table.
struct route_match {
  enum class kind { found, not_found, method_not_allowed } result = kind::not_found;
  /// The matched route's id (when found).
  int route = -1;
  /// Values of `{name}` segments.
  std::map<std::string, std::string> params;
  /// Methods the path supports (for 405's Allow header), comma separated.
  std::string allow;
};

/// Patterns are absolute paths whose segments are literals or `{name}` (one segment each).
class router {
public:
  /// Adds a route; HEAD is implied for GET.
  void add(std::string method, std::string pattern, int route);

  /// Finds the route for a method and path (trailing slash is not ignored).
  route_match match(std::string_view method, std::string_view path) const;

private:
  struct entry {
    std::string method;
    std::vector<std::string> segments;
    int route;
  };
  std::vector<entry> entries_;
};

/// The percent-decoded value of `name` in a query string ("a=1&b=x%20y"), if present.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// Every name=value pair of a query string, percent-decoded, in order (a pair without `=` has an
/// empty value; empty pairs from `&&` are skipped).
std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query);

/// Splits "/a/b/c" into {"a","b","c"}; "/" gives {}.
std::vector<std::string> split_path(std::string_view path);

/// The percent-decoded value of one path segment; nothing when an escape is malformed (`+` is a
/// plus sign in a path, unlike in a query string).
std::optional<std::string> decode_segment(std::string_view segment);

/// A value made safe as one path segment: every byte but A-Z a-z 0-9 - . _ ~ percent-encoded.
std::string encode_segment(std::string_view value);

}  // namespace gp::io::http
