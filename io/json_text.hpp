#pragma once
// JSON string literals written without building a document: for log lines, which are written on
// every call and must stay valid JSON whatever bytes a path or a message holds.
#include <string>
#include <string_view>

namespace gp::io {

/// Appends `v` to `out` as a JSON string literal (quotes included): `"` and `\` escaped, control
/// characters as \u00XX, and bytes that are not valid UTF-8 replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view v);

}  // namespace gp::io
