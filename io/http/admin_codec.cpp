#include "io/http/admin_codec.hpp"

#include <nlohmann/json.hpp>

#include "io/validate.hpp"

namespace gp::io::http {

namespace {

void check(const char* field, const std::string& value, std::string why,
           std::vector<field_error>& errors) {
  if (!value.empty() && !why.empty())
    errors.push_back({field, std::move(why)});
}

}  // namespace

nlohmann::json string_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

nlohmann::json to_json(const client_row& r) {
  return {{"client_id", r.client_id},
          {"name", r.name},
          {"rate_limit_per_minute", r.rate_limit_per_minute},
          {"read_rate_limit_per_minute",
           r.read_rate_limit_per_minute > 0 ? nlohmann::json(r.read_rate_limit_per_minute)
                                            : nlohmann::json()},
          {"tiles_rate_limit_per_minute",
           r.tiles_rate_limit_per_minute > 0 ? nlohmann::json(r.tiles_rate_limit_per_minute)
                                             : nlohmann::json()},
          {"callback_hosts", r.callback_hosts},
          {"is_active", r.is_active},
          {"created_at", r.created_at}};
}

nlohmann::json to_json(const api_key_row& r) {
  return {{"key_id", r.key_id},
          {"client_id", r.client_id},
          {"access_level", r.access_level},
          {"description", r.description},
          {"state", r.state},
          {"expires_at", string_or_null(r.expires_at)},
          {"revoked_at", string_or_null(r.revoked_at)},
          {"created_at", r.created_at},
          {"last_used_at", string_or_null(r.last_used_at)},
          {"rotated_to", string_or_null(r.rotated_to)},
          {"allowed_endpoints",
           r.allowed_endpoints ? nlohmann::json(*r.allowed_endpoints) : nlohmann::json()}};
}

nlohmann::json to_json(const job_row& r, const std::string& base_url) {
  auto tasks = nlohmann::json::object();
  for (const char* status :
       {"pending", "processing", "completed", "failed", "pending_retry", "cancelled"}) {
    auto i = r.task_counts.find(status);
    tasks[status] = i == r.task_counts.end() ? 0 : i->second;
  }
  return {{"job_id", r.job_id},
          {"job_type", r.job_type},
          {"status", r.status},
          {"stage", r.stage},
          {"total_stages", r.total_stages},
          {"parameters", nlohmann::json::parse(r.params_json, nullptr, false)},
          {"tasks", tasks},
          {"result", nlohmann::json::parse(r.result_json, nullptr, false)},
          {"error", nlohmann::json::parse(r.error_json, nullptr, false)},
          {"platform_request_id", string_or_null(r.platform_request_id)},
          {"status_url", base_url + "/jobs/" + r.job_id},
          {"created_at", r.created_at},
          {"started_at", string_or_null(r.started_at)},
          {"completed_at", string_or_null(r.completed_at)}};
}

key_request parse_key_request(const nlohmann::json& body, std::vector<field_error>& errors) {
  key_request r;
  if (!body.is_object()) {
    errors.push_back({"(body)", "must be a JSON object"});
    return r;
  }
  for (const auto& [k, _] : body.items())
    if (k != "client_id" && k != "access_level" && k != "expires_at" &&
        k != "allowed_endpoints" && k != "description")
      errors.push_back({k, "is not a known field"});
  r.client_id = string_field(body, "client_id", true, errors);
  check("client_id", r.client_id, check_client_id(r.client_id), errors);
  r.access_level = string_field(body, "access_level", true, errors);
  check("access_level", r.access_level, check_access_level(r.access_level), errors);
  r.expires_at = string_field(body, "expires_at", false, errors);
  check("expires_at", r.expires_at, check_rfc3339(r.expires_at), errors);
  r.description = string_field(body, "description", false, errors);
  if (r.description.size() > 200)
    errors.push_back({"description", "must be at most 200 characters"});
  if (auto i = body.find("allowed_endpoints"); i != body.end() && !i->is_null()) {
    if (!i->is_array()) {
      errors.push_back({"allowed_endpoints", "must be an array of \"METHOD /path\" strings or null"});
    } else if (i->empty()) {
      errors.push_back({"allowed_endpoints",
                        "must list at least one \"METHOD /path\" pattern, or be null for no "
                        "restriction"});
    } else {
      r.allowed_endpoints.emplace();
      for (size_t n = 0; n < i->size(); ++n) {
        const auto& p = (*i)[n];
        auto field = "allowed_endpoints[" + std::to_string(n) + "]";
        if (!p.is_string()) {
          errors.push_back({field, "must be a string"});
          continue;
        }
        if (auto why = check_endpoint_pattern(p.get<std::string>()); !why.empty())
          errors.push_back({field, why});
        r.allowed_endpoints->push_back(p.get<std::string>());
      }
    }
  }
  return r;
}

}  // namespace gp::io::http
