#include "io/http/problem.hpp"

#include <nlohmann/json.hpp>

namespace gp::io::http {

const char* reason_phrase(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

response json_response(unsigned status, const nlohmann::json& body) {
  response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

response problem(unsigned status, const std::string& code, const std::string& detail) {
  return problem(status, code, detail, nlohmann::json::object());
}

response problem(unsigned status, const std::string& code, const std::string& detail,
                 const nlohmann::json& extra) {
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", reason_phrase(status)},
                         {"status", status},
                         {"detail", detail},
                         {"code", code}};
  if (extra.is_object())
    for (const auto& [k, v] : extra.items())
      body[k] = v;
  auto r = json_response(status, body);
  r.content_type = "application/problem+json";
  return r;
}

}  // namespace gp::io::http
