#include "io/http/ranges.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <vector>

#include "io/http/types.hpp"

namespace gp::io::http {

namespace {

constexpr uint64_t saturated = std::numeric_limits<uint64_t>::max();

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Decimal digits only (at least one); values beyond 64 bits saturate.
std::optional<uint64_t> parse_position(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      return std::nullopt;
    auto digit = static_cast<uint64_t>(ch - '0');
    v = v > (saturated - digit) / 10 ? saturated : v * 10 + digit;
  }
  return v;
}

/// One range-spec: `a-b`, `a-` (last = nullopt) or `-n` (suffix).
struct range_spec {
  bool suffix = false;
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

std::optional<range_spec> parse_spec(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos)
    return std::nullopt;
  range_spec r;
  if (dash == 0) {
    auto n = parse_position(s.substr(1));
    if (!n)
      return std::nullopt;
    r.suffix = true;
    r.first = *n;
    return r;
  }
  auto first = parse_position(s.substr(0, dash));
  if (!first)
    return std::nullopt;
  r.first = *first;
  auto rest = s.substr(dash + 1);
  if (!rest.empty()) {
    auto last = parse_position(rest);
    // A last position before the first makes the whole header invalid (RFC 9110 14.1.1).
    if (!last || *last < *first)
      return std::nullopt;
    r.last = *last;
  }
  return r;
}

/// The bytes a spec selects of `size`, or nothing when it is unsatisfiable.
std::optional<range_answer> resolve(const range_spec& r, uint64_t size) {
  range_answer a;
  a.result = range_answer::kind::partial;
  if (r.suffix) {
    if (r.first == 0 || size == 0)
      return std::nullopt;
    a.length = std::min(r.first, size);
    a.offset = size - a.length;
    return a;
  }
  if (r.first >= size)
    return std::nullopt;
  auto last = r.last ? std::min(*r.last, size - 1) : size - 1;
  a.offset = r.first;
  a.length = last - r.first + 1;
  return a;
}

bool is_etag_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

}  // namespace

range_answer evaluate_range(std::string_view header, uint64_t size) {
  range_answer full;
  header = trim_ows(header);
  auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(trim_ows(header.substr(0, eq)), "bytes"))
    return full;
  std::vector<range_spec> specs;
  auto rest = header.substr(eq + 1);
  while (true) {
    auto comma = rest.find(',');
    auto item = trim_ows(rest.substr(0, comma));
    // Empty list elements are tolerated (RFC 9110 5.6.1).
    if (!item.empty()) {
      auto spec = parse_spec(item);
      if (!spec)
        return full;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  if (specs.empty())
    return full;
  if (specs.size() == 1) {
    if (auto a = resolve(specs[0], size))
      return *a;
    range_answer none;
    none.result = range_answer::kind::unsatisfiable;
    return none;
  }
  // Several ranges: the whole representation (a multipart answer is not offered), unless none
  // of them could be served.
  for (const auto& s : specs)
    if (resolve(s, size))
      return full;
  range_answer none;
  none.result = range_answer::kind::unsatisfiable;
  return none;
}

std::string content_range(uint64_t offset, uint64_t length, uint64_t size) {
  return "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) + "/" +
         std::to_string(size);
}

std::string unsatisfied_range(uint64_t size) { return "bytes */" + std::to_string(size); }

std::string strong_etag(const file_identity& f) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(f.size),
                static_cast<unsigned long long>(f.mtime_ns),
                static_cast<unsigned long long>(f.inode));
  return buf;
}

std::string http_date(int64_t epoch_seconds) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool none_match_hits(std::string_view if_none_match, std::string_view etag) {
  auto s = trim_ows(if_none_match);
  if (s == "*")
    return true;
  // The opaque part of our tag, without its quotes (weak comparison ignores W/).
  if (etag.size() < 2)
    return false;
  auto ours = etag.substr(1, etag.size() - 2);
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      ++i;
    if (i >= s.size())
      break;
    if (s.substr(i, 2) == "W/")
      i += 2;
    if (i >= s.size() || s[i] != '"')
      return false;  // not a list of entity tags: no match
    auto close = s.find('"', i + 1);
    if (close == std::string_view::npos)
      return false;
    auto opaque = s.substr(i + 1, close - i - 1);
    if (!std::all_of(opaque.begin(), opaque.end(), is_etag_char))
      return false;
    if (opaque == ours)
      return true;
    i = close + 1;
  }
  return false;
}

bool if_range_holds(std::string_view if_range, std::string_view etag,
                    std::string_view last_modified) {
  auto s = trim_ows(if_range);
  if (s.empty())
    return false;
  if (s.front() == '"')
    return s == etag;
  if (s.substr(0, 2) == "W/")
    return false;  // a weak tag never validates a range
  return s == last_modified;
}

}  // namespace gp::io::http
