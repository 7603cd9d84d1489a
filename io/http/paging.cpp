#include "io/http/paging.hpp"

#include <algorithm>
#include <stdexcept>

#include "io/http/router.hpp"

namespace gp::io::http {

page_query parse_page_query(std::string_view query, const std::vector<std::string>& statuses,
                            const std::function<bool(const std::string&)>& cursor_ok,
                            std::vector<field_error>& errors) {
  page_query out;
  out.status = query_param(query, "status").value_or("");
  if (!out.status.empty() &&
      std::find(statuses.begin(), statuses.end(), out.status) == statuses.end()) {
    std::string list;
    for (const auto& s : statuses)
      list += (list.empty() ? "" : ", ") + s;
    errors.push_back({"status", "must be one of: " + list});
  }
  if (auto l = query_param(query, "limit")) {
    try {
      size_t used = 0;
      out.limit = std::stoi(*l, &used);
      if (used != l->size() || out.limit < 1 || out.limit > 500)
        throw std::invalid_argument{"range"};
    } catch (const std::exception&) {
      errors.push_back({"limit", "must be an integer from 1 to 500"});
    }
  }
  out.cursor = query_param(query, "cursor").value_or("");
  if (!out.cursor.empty() && !cursor_ok(out.cursor))
    errors.push_back({"cursor", "must be the next_cursor of a previous page"});
  return out;
}

bool is_hex_id(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace gp::io::http
