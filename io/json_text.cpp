#include "io/json_text.hpp"

namespace gp::io {

namespace {

/// Length of the valid UTF-8 sequence starting at `s[i]` (0 when it is not valid).
size_t utf8_length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 0;
  // Overlong forms, surrogates and values past U+10FFFF are not valid either.
  auto c1 = static_cast<unsigned char>(s[i + (n > 1 ? 1 : 0)]);
  if ((n == 2 && b < 0xC2) || (n == 3 && b == 0xE0 && c1 < 0xA0) ||
      (n == 3 && b == 0xED && c1 > 0x9F) || (n == 4 && b == 0xF0 && c1 < 0x90) ||
      (n == 4 && (b > 0xF4 || (b == 0xF4 && c1 > 0x8F))))
    return 0;
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < v.size()) {
    auto ch = static_cast<unsigned char>(v[i]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
      ++i;
    } else if (ch < 0x20) {
      out += "\\u00";
      out += hex[ch >> 4];
      out += hex[ch & 0xF];
      ++i;
    } else if (ch < 0x80) {
      out += static_cast<char>(ch);
      ++i;
    } else if (auto n = utf8_length(v, i)) {
      out.append(v.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
      ++i;
    }
  }
  out += '"';
}

}  // namespace gp::io
