#pragma once
// Byte ranges and validators of file responses (RFC 9110 sections 8.8, 13 and 14): the Range
// header, strong entity tags, HTTP dates, If-None-Match and If-Range. Pure; unit-tested alone.
#include <cstdint>
#include <string>
#include <string_view>

namespace gp::io::http {

/// What a Range header asks of a representation of `size` bytes.
struct range_answer {
  enum class kind {
    /// No Range, or one to ignore (bad syntax, another unit, several ranges): answer 200.
    full,
    /// One satisfiable range: answer 206 with `offset` and `length`.
    partial,
    /// No requested range overlaps the representation: answer 416.
    unsatisfiable,
  } result = kind::full;
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// Evaluates a Range header value against a representation of `size` bytes. Only the `bytes`
/// unit is understood. One range `a-b`, `a-` or `-n` is answered (a last position beyond the end
/// is clamped; numbers too large for 64 bits saturate, so they mean "beyond any end"). A header
/// with several ranges is answered with the whole representation unless none of them is
/// satisfiable (then 416); a header that does not parse is ignored.
range_answer evaluate_range(std::string_view header, uint64_t size);

/// `bytes a-b/size` for a partial answer.
std::string content_range(uint64_t offset, uint64_t length, uint64_t size);

/// `bytes */size` for a 416 answer.
std::string unsatisfied_range(uint64_t size);

/// What identifies one version of a file: a rewrite (a new file renamed into place) changes
/// the inode and the modification time, an in-place change the time or the size.
struct file_identity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
};

/// A strong entity tag for a file version, quoted: `"<size>-<mtime ns>-<inode>"` in hex.
std::string strong_etag(const file_identity& f);

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for seconds since the epoch.
std::string http_date(int64_t epoch_seconds);

/// Whether an If-None-Match value (`*` or a list of entity tags) matches `etag` by the weak
/// comparison (RFC 9110 13.1.2): then a GET or HEAD is answered 304.
bool none_match_hits(std::string_view if_none_match, std::string_view etag);

/// Whether an If-Range value lets a Range apply: a strong entity tag equal to `etag`, or a date
/// equal to `last_modified`. Anything else (a weak tag, another tag or date) means the whole
/// representation is sent.
bool if_range_holds(std::string_view if_range, std::string_view etag,
                    std::string_view last_modified);

}  // namespace gp::io::http
