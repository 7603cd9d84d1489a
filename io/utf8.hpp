#pragma once
// UTF-8 for text that comes from outside (a receiver's answer, a header): how long a valid
// sequence is, and such text made safe to store and show.
#include <cstddef>
#include <string>
#include <string_view>

namespace gp::io {

/// The length of the valid UTF-8 sequence that starts at `s[i]`, or 0 when none does (overlong
/// forms, surrogates and values past U+10FFFF are not valid).
size_t utf8_length(std::string_view s, size_t i);

/// `s` as one line of valid UTF-8 of at most `max_bytes` bytes (three more when cut, for the
/// "..." that says so): bytes that start no valid sequence become U+FFFD, control characters
/// (NUL, line breaks, tabs and the like) a space, and a cut never splits a character.
/// PostgreSQL's text holds no NUL and only valid UTF-8, and JSON writers refuse invalid UTF-8.
std::string printable_text(std::string_view s, size_t max_bytes);

}  // namespace gp::io
