#include "io/utf8.hpp"

namespace gp::io {

size_t utf8_length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 0;
  auto c1 = static_cast<unsigned char>(s[i + (n > 1 ? 1 : 0)]);
  if ((n == 2 && b < 0xC2) || (n == 3 && b == 0xE0 && c1 < 0xA0) ||
      (n == 3 && b == 0xED && c1 > 0x9F) || (n == 4 && b == 0xF0 && c1 < 0x90) ||
      (n == 4 && (b > 0xF4 || (b == 0xF4 && c1 > 0x8F))))
    return 0;
  return n;
}

std::string printable_text(std::string_view s, size_t max_bytes) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size() < max_bytes ? s.size() : max_bytes);
  for (size_t i = 0; i < s.size();) {
    auto ch = static_cast<unsigned char>(s[i]);
    std::string_view piece;
    size_t used = 1;
    if (ch < 0x20 || ch == 0x7F) {
      piece = " ";
    } else if (ch < 0x80) {
      piece = s.substr(i, 1);
    } else if (auto n = utf8_length(s, i)) {
      piece = s.substr(i, n);
      used = n;
    } else {
      piece = replacement;
    }
    if (out.size() + piece.size() > max_bytes)
      return out + "...";
    out.append(piece);
    i += used;
  }
  return out;
}

}  // namespace gp::io
