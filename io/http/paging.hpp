#pragma once
// The query parameters shared by the listing routes (GET /jobs, GET /platform/requests):
// a status out of a fixed set, a page size and the previous page's cursor.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/http/json_body.hpp"

namespace gp::io::http {

struct page_query {
  /// Empty = any.
  std::string status;
  /// 1-500, default 50.
  int limit = 50;
  /// Empty = the first page.
  std::string cursor;
};

/// Reads `status` (one of `statuses`), `limit` and `cursor` (accepted by `cursor_ok`) from a
/// query string; appends one error per bad parameter.
page_query parse_page_query(std::string_view query, const std::vector<std::string>& statuses,
                            const std::function<bool(const std::string&)>& cursor_ok,
                            std::vector<field_error>& errors);

/// Whether `s` is `n` lowercase hex characters.
bool is_hex_id(const std::string& s, size_t n);

}  // namespace gp::io::http
