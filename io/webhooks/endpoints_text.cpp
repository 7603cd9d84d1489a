#include "io/webhooks/endpoints_text.hpp"

#include <cstring>

#include "io/json_text.hpp"

namespace gp::io::webhooks {

namespace {

constexpr auto npos = std::string_view::npos;

/// The character at `i`, or NUL past the end.
char at(std::string_view t, size_t i) { return i < t.size() ? t[i] : '\0'; }

size_t skip_space(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
    ++i;
  return i;
}

/// The index after the string whose opening quote is at `i`, or npos. Quotes are found with
/// memchr (a body is mostly long strings): one closes the string unless an odd number of
/// backslashes, inside the string, comes right before it.
size_t string_end(std::string_view t, size_t i) {
  size_t from = i + 1;
  while (from < t.size()) {
    const auto* q = static_cast<const char*>(std::memchr(t.data() + from, '"', t.size() - from));
    if (q == nullptr)
      return npos;
    size_t quote = static_cast<size_t>(q - t.data());
    size_t backslashes = 0;
    while (quote - backslashes > i + 1 && t[quote - backslashes - 1] == '\\')
      ++backslashes;
    if (backslashes % 2 == 0)
      return quote + 1;
    from = quote + 1;
  }
  return npos;
}

/// The index after the value that starts at `i` (a string, an object or an array with all it
/// holds, or a number, true, false or null), or npos.
size_t value_end(std::string_view t, size_t i) {
  char c = at(t, i);
  if (c == '"')
    return string_end(t, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < t.size()) {
      c = t[i];
      if (c == '"') {
        i = string_end(t, i);
        if (i == npos)
          return npos;
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      else if ((c == '}' || c == ']') && --depth == 0)
        return i + 1;
      ++i;
    }
    return npos;
  }
  size_t start = i;
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
         t[i] != '\n' && t[i] != '\t' && t[i] != '\r')
    ++i;
  return i == start ? npos : i;
}

/// Walks the members of the object whose '{' is at `i`, calling `on_value(value_start)` for
/// each; returns the index after its '}', or npos.
template <typename OnValue>
size_t members(std::string_view t, size_t i, OnValue on_value) {
  i = skip_space(t, i + 1);
  if (at(t, i) == '}')
    return i + 1;
  for (;;) {
    if (at(t, i) != '"')
      return npos;
    size_t key_end = string_end(t, i);
    if (key_end == npos)
      return npos;
    auto key = t.substr(i + 1, key_end - i - 2);
    i = skip_space(t, key_end);
    if (at(t, i) != ':')
      return npos;
    i = skip_space(t, i + 1);
    i = on_value(key, i);
    if (i == npos)
      return npos;
    i = skip_space(t, i);
    if (at(t, i) == '}')
      return i + 1;
    if (at(t, i) != ',')
      return npos;
    i = skip_space(t, i + 1);
  }
}

}  // namespace

std::optional<std::string> with_absolute_endpoints(std::string_view payload,
                                                   std::string_view base_url) {
  std::string base;
  append_json_string(base, base_url);
  std::string_view prefix{base.data() + 1, base.size() - 2};  // without its quotes

  std::string out;
  size_t copied = 0;
  auto t = payload;
  size_t start = skip_space(t, 0);
  if (at(t, start) != '{')
    return std::nullopt;
  size_t end = members(t, start, [&](std::string_view key, size_t v) {
    if (key != "endpoints" || at(t, v) != '{')
      return value_end(t, v);
    return members(t, v, [&](std::string_view, size_t u) {
      if (at(t, u) == '"' && at(t, u + 1) == '/') {
        if (out.empty())
          out.reserve(t.size() + 8 * prefix.size());
        out.append(t.substr(copied, u + 1 - copied)).append(prefix);
        copied = u + 1;
      }
      return value_end(t, u);
    });
  });
  if (end == npos || skip_space(t, end) != t.size())
    return std::nullopt;
  out.append(t.substr(copied));
  return out;
}

}  // namespace gp::io::webhooks
