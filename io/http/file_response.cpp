#include "io/http/file_response.hpp"

#include "io/http/open_file.hpp"
#include "io/http/problem.hpp"
#include "io/http/ranges.hpp"

namespace gp::io::http {

response file_response(const request& req, std::shared_ptr<const open_file> f,
                       const std::string& content_type, header_list extra) {
  auto size = f->size();
  auto etag = strong_etag(f->identity());
  auto last_modified = http_date(f->mtime_seconds());
  header_list headers{{"ETag", etag},
                      {"Last-Modified", last_modified},
                      {"Accept-Ranges", "bytes"},
                      {"Cache-Control", "private, no-cache"}};
  for (auto& h : extra)
    headers.push_back(std::move(h));

  auto if_none_match = req.header("If-None-Match");
  if (!if_none_match.empty() && none_match_hits(if_none_match, etag)) {
    response r;
    r.status = 304;
    r.content_type.clear();
    r.headers = std::move(headers);
    return r;
  }

  auto range = req.header("Range");
  range_answer answer;
  if (req.method == "GET" && !range.empty()) {
    auto if_range = req.header("If-Range");
    if (if_range.empty() || if_range_holds(if_range, etag, last_modified))
      answer = evaluate_range(range, size);
  }
  if (answer.result == range_answer::kind::unsatisfiable) {
    auto shown = std::string{range.substr(0, 100)};
    auto r = problem(416, "range_not_satisfiable",
                     "no range in '" + shown + "' overlaps the " + std::to_string(size) +
                       " bytes of the file");
    r.headers = std::move(headers);
    r.headers.emplace_back("Content-Range", unsatisfied_range(size));
    return r;
  }
  response r;
  r.content_type = content_type;
  r.headers = std::move(headers);
  if (answer.result == range_answer::kind::partial) {
    r.status = 206;
    r.headers.emplace_back("Content-Range", content_range(answer.offset, answer.length, size));
    r.file = file_part{std::move(f), answer.offset, answer.length};
  } else {
    r.file = file_part{std::move(f), 0, size};
  }
  return r;
}

}  // namespace gp::io::http
