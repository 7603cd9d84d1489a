#include "io/http/router.hpp"

#include <algorithm>

namespace gp::io::http {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path[0] == '/')
    path.remove_prefix(1);
  if (path.empty())
    return out;
  // Empty segments are kept ("/a/" → {"a", ""}) so that they never match a route.
  for (size_t i = 0;;) {
    auto j = path.find('/', i);
    out.emplace_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos)
      break;
    i = j + 1;
  }
  return out;
}

namespace {

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> decode_segment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size())
      return std::nullopt;
    int hi = hex_value(segment[i + 1]);
    int lo = hex_value(segment[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string encode_segment(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      out.emplace_back(percent_decode(pair.substr(0, eq)),
                       eq == std::string_view::npos ? std::string{}
                                                    : percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void router::add(std::string method, std::string pattern, int route) {
  entries_.push_back({std::move(method), split_path(pattern), route});
}

route_match router::match(std::string_view method, std::string_view path) const {
  route_match m;
  auto segments = split_path(path);
  std::vector<std::string> allowed;
  for (const auto& e : entries_) {
    if (e.segments.size() != segments.size())
      continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& p = e.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}')
        ok = !segments[i].empty() && (params[p.substr(1, p.size() - 2)] = segments[i], true);
      else
        ok = p == segments[i];
    }
    if (!ok)
      continue;
    bool same = e.method == method || (e.method == "GET" && method == "HEAD");
    if (same && m.result != route_match::kind::found) {
      m.result = route_match::kind::found;
      m.route = e.route;
      m.params = std::move(params);
    }
    allowed.push_back(e.method);
    if (e.method == "GET")
      allowed.push_back("HEAD");
  }
  if (m.result == route_match::kind::found)
    return m;
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    m.result = route_match::kind::method_not_allowed;
    for (const auto& a : allowed)
      m.allow += (m.allow.empty() ? "" : ", ") + a;
  }
  return m;
}

}  // namespace gp::io::http
