#include "io/http/json_body.hpp"

#include <cctype>

#include "io/http/problem.hpp"

namespace gp::io::http {

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back())))
    media.remove_suffix(1);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.front())))
    media.remove_prefix(1);
  return iequals(media, "application/json");
}

namespace {

/// Appends a field error for every string (member name or value) holding a NUL character.
void find_nul(const nlohmann::json& v, const std::string& path, std::vector<field_error>& out) {
  auto here = path.empty() ? std::string{"(body)"} : path;
  if (v.is_string()) {
    if (v.get_ref<const std::string&>().find('\0') != std::string::npos)
      out.push_back({here, "must not contain NUL characters (\\u0000)"});
  } else if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      auto sub = path.empty() ? k : path + "." + k;
      if (k.find('\0') != std::string::npos)
        out.push_back({here, "member names must not contain NUL characters (\\u0000)"});
      else
        find_nul(child, sub, out);
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      find_nul(v[i], path + "[" + std::to_string(i) + "]", out);
  }
}

}  // namespace

std::optional<response> parse_json_body(const request& req, nlohmann::json& out) {
  auto ct = req.header("Content-Type");
  if (!is_json_content_type(ct))
    return problem(415, "unsupported_media_type",
                   ct.empty() ? "the request body must be application/json (no Content-Type "
                                "was sent)"
                              : "the request body must be application/json, not " +
                                  std::string{ct});
  try {
    // Deep nesting is refused before anything recursive (copies, dumps) touches the value.
    constexpr int max_depth = 64;
    bool too_deep = false;
    auto guard = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > max_depth)
        too_deep = true;
      return !too_deep;
    };
    out = nlohmann::json::parse(req.body, guard);
    if (too_deep)
      return problem(400, "malformed_json",
                     "the request body nests deeper than " + std::to_string(max_depth) + " levels");
    // NUL characters cannot be stored (PostgreSQL text) and are never meaningful: name where.
    if (req.body.find("\\u0000") != std::string::npos) {
      std::vector<field_error> errors;
      find_nul(out, "", errors);
      if (!errors.empty())
        return validation_problem(errors);
    }
  } catch (const nlohmann::json::parse_error& e) {
    return problem(400, "malformed_json",
                   "the request body is not valid JSON (error at byte " +
                     std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception& e) {
    // e.g. a number too large for a double
    return problem(400, "malformed_json", "the request body cannot be read as JSON: " +
                                            std::string{e.what()});
  }
  return std::nullopt;
}

std::string string_field(const nlohmann::json& body, const char* name, bool required,
                         std::vector<field_error>& errors) {
  auto i = body.find(name);
  if (i == body.end() || i->is_null()) {
    if (required)
      errors.push_back({name, "is required"});
    return {};
  }
  if (!i->is_string()) {
    errors.push_back({name, "must be a string"});
    return {};
  }
  return i->get<std::string>();
}

response validation_problem(const std::vector<field_error>& errors) {
  auto list = nlohmann::json::array();
  std::string detail;
  for (const auto& e : errors) {
    list.push_back({{"field", e.field}, {"message", e.message}});
    detail += (detail.empty() ? "" : "; ") + e.field + ": " + e.message;
  }
  return problem(400, "validation_error", detail, nlohmann::json{{"errors", list}});
}

}  // namespace gp::io::http
