#pragma once
// The answer to a GET or HEAD of a file: validators, conditional requests and byte ranges
// (RFC 9110), with the body streamed by the server from the open file.
#include <memory>
#include <string>

#include "io/http/types.hpp"

namespace gp::io::http {

class open_file;

/// Answers `req` (GET or HEAD) with the open file `f` of media type `content_type`:
/// - always `ETag` (strong), `Last-Modified`, `Accept-Ranges: bytes`,
///   `Cache-Control: private, no-cache` and the `extra` headers;
/// - 304 (no body) when If-None-Match matches the tag;
/// - for GET with a Range (and an If-Range that holds, when sent): 206 with `Content-Range` for
///   one satisfiable range, 416 `range_not_satisfiable` with `Content-Range: bytes */size` when
///   none is satisfiable;
/// - otherwise 200 with the whole file.
/// HEAD ignores Range (RFC 9110 14.2: range handling is defined for GET only).
response file_response(const request& req, std::shared_ptr<const open_file> f,
                       const std::string& content_type, header_list extra = {});

}  // namespace gp::io::http
