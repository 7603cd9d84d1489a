#include "io/http/client_codec.hpp"

#include <limits>

#include <nlohmann/json.hpp>

#include "io/validate.hpp"

namespace gp::io::http {

namespace {

using json = nlohmann::json;

void unknown_fields(const json& body, std::initializer_list<const char*> known,
                    std::vector<field_error>& errors) {
  for (const auto& [k, _] : body.items()) {
    bool ok = false;
    for (const char* name : known)
      ok = ok || k == name;
    if (!ok)
      errors.push_back({k, "is not a known field"});
  }
}

/// An integer limit: at least 1 (and at most a million a minute). `nullable`: null reads as 0
/// (the service's default).
std::optional<int32_t> limit_field(const json& body, const char* name, bool nullable,
                                   std::vector<field_error>& errors) {
  auto i = body.find(name);
  if (i == body.end())
    return std::nullopt;
  if (i->is_null()) {
    if (nullable)
      return 0;
    errors.push_back({name, "must be an integer from 1 to 1000000"});
    return std::nullopt;
  }
  if (!i->is_number_integer() || i->get<int64_t>() < 1 || i->get<int64_t>() > 1000000) {
    errors.push_back({name, nullable ? "must be an integer from 1 to 1000000, or null for the "
                                       "service's default"
                                     : "must be an integer from 1 to 1000000"});
    return std::nullopt;
  }
  return static_cast<int32_t>(i->get<int64_t>());
}

std::optional<std::vector<std::string>> hosts_field(const json& body,
                                                    std::vector<field_error>& errors) {
  auto i = body.find("callback_hosts");
  if (i == body.end())
    return std::nullopt;
  if (!i->is_array()) {
    errors.push_back({"callback_hosts", "must be an array of host names"});
    return std::nullopt;
  }
  std::vector<std::string> hosts;
  for (size_t n = 0; n < i->size(); ++n) {
    const auto& h = (*i)[n];
    auto field = "callback_hosts[" + std::to_string(n) + "]";
    if (!h.is_string()) {
      errors.push_back({field, "must be a string"});
      continue;
    }
    if (auto why = check_callback_host(h.get<std::string>()); !why.empty())
      errors.push_back({field, why});
    hosts.push_back(h.get<std::string>());
  }
  return hosts;
}

std::optional<std::string> name_field(const json& body, std::vector<field_error>& errors) {
  auto i = body.find("name");
  if (i == body.end())
    return std::nullopt;
  if (!i->is_string() || i->get<std::string>().empty() || i->get<std::string>().size() > 200) {
    errors.push_back({"name", "must be a string of 1 to 200 characters"});
    return std::nullopt;
  }
  return i->get<std::string>();
}

bool require_object(const json& body, std::vector<field_error>& errors) {
  if (body.is_object())
    return true;
  errors.push_back({"(body)", "must be a JSON object"});
  return false;
}

}  // namespace

client_row parse_client_create(const json& body, std::vector<field_error>& errors) {
  client_row r;
  if (!require_object(body, errors))
    return r;
  unknown_fields(body,
                 {"client_id", "name", "rate_limit_per_minute", "read_rate_limit_per_minute",
                  "tiles_rate_limit_per_minute", "callback_hosts"},
                 errors);
  r.client_id = string_field(body, "client_id", true, errors);
  if (!r.client_id.empty())
    if (auto why = check_client_id(r.client_id); !why.empty())
      errors.push_back({"client_id", why});
  r.name = name_field(body, errors).value_or(r.client_id);
  r.rate_limit_per_minute =
    limit_field(body, "rate_limit_per_minute", false, errors).value_or(r.rate_limit_per_minute);
  r.read_rate_limit_per_minute =
    limit_field(body, "read_rate_limit_per_minute", true, errors).value_or(0);
  r.tiles_rate_limit_per_minute =
    limit_field(body, "tiles_rate_limit_per_minute", true, errors).value_or(0);
  r.callback_hosts = hosts_field(body, errors).value_or(std::vector<std::string>{});
  return r;
}

client_changes parse_client_patch(const json& body,
                                               std::vector<field_error>& errors) {
  client_changes c;
  if (!require_object(body, errors))
    return c;
  unknown_fields(body,
                 {"client_id", "name", "rate_limit_per_minute", "read_rate_limit_per_minute",
                  "tiles_rate_limit_per_minute", "callback_hosts", "is_active"},
                 errors);
  if (body.contains("client_id"))
    errors.push_back({"client_id", "cannot be changed (the path names the client)"});
  c.name = name_field(body, errors);
  c.rate_limit_per_minute = limit_field(body, "rate_limit_per_minute", false, errors);
  c.read_rate_limit_per_minute = limit_field(body, "read_rate_limit_per_minute", true, errors);
  c.tiles_rate_limit_per_minute = limit_field(body, "tiles_rate_limit_per_minute", true, errors);
  c.callback_hosts = hosts_field(body, errors);
  if (auto i = body.find("is_active"); i != body.end()) {
    if (i->is_boolean())
      c.is_active = i->get<bool>();
    else
      errors.push_back({"is_active", "must be true or false"});
  }
  if (errors.empty() && body.empty())
    errors.push_back({"(body)",
                      "names nothing to change: give name, rate_limit_per_minute, "
                      "read_rate_limit_per_minute, tiles_rate_limit_per_minute, callback_hosts "
                      "or is_active"});
  return c;
}

key_rotate_request parse_key_rotate(const json& body, int64_t default_overlap,
                                    std::vector<field_error>& errors) {
  key_rotate_request r;
  r.overlap_seconds = default_overlap;
  if (body.is_null())
    return r;
  if (!require_object(body, errors))
    return r;
  unknown_fields(body, {"expires_at", "overlap_seconds"}, errors);
  r.expires_at = string_field(body, "expires_at", false, errors);
  if (!r.expires_at.empty())
    if (auto why = check_rfc3339(r.expires_at); !why.empty())
      errors.push_back({"expires_at", why});
  if (auto i = body.find("overlap_seconds"); i != body.end()) {
    constexpr int64_t max = 90 * 86400;
    if (!i->is_number_integer() || i->get<int64_t>() < 0 || i->get<int64_t>() > max)
      errors.push_back({"overlap_seconds", "must be an integer from 0 to 7776000 (90 days)"});
    else
      r.overlap_seconds = i->get<int64_t>();
  }
  return r;
}

json to_json(const audit_row& r) {
  auto doc = [](const std::string& text) {
    return text.empty() ? json() : json::parse(text, nullptr, false);
  };
  return {{"audit_id", r.audit_id},         {"at", r.at},
          {"actor", r.actor},               {"action", r.action},
          {"target", r.target},             {"before", doc(r.before_json)},
          {"after", doc(r.after_json)},     {"correlation_id", r.correlation_id}};
}

json to_json(const usage_row& r) {
  const auto& n = r.counts;
  return {{"client_id", r.client_id},
          {"period", r.period},
          {"submits_new", n.submits_new},
          {"submits_repeat", n.submits_repeat},
          {"submits_refused", n.submits_refused},
          {"requests_completed", n.requests_completed},
          {"requests_failed", n.requests_failed},
          {"bytes_read", n.bytes_read},
          {"bytes_written", n.bytes_written},
          {"stac_searches", n.stac_searches},
          {"downloads", n.downloads},
          {"bytes_served", n.bytes_served},
          {"tiles", n.tiles}};
}

}  // namespace gp::io::http
