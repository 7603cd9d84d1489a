#include "io/http/request_codec.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

#include "io/http/admin_codec.hpp"

namespace gp::io::http {

using json = nlohmann::json;

namespace {

json jobs_json(const std::vector<request_job>& jobs) {
  json out = json::array();
  for (const auto& j : jobs)
    out.push_back({{"job_id", j.job_id},
                   {"job_type", j.job_type},
                   {"status", std::string{name_of(j.status)}},
                   {"stage", j.stage},
                   {"total_stages", j.total_stages}});
  return out;
}

}  // namespace

json rfc3339_or_null(int64_t epoch_seconds) {
  if (epoch_seconds <= 0)
    return json();
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void make_urls_absolute(json& doc, const std::string& base_url) {
  if (!doc.is_object())
    return;
  for (auto& [k, v] : doc.items())
    if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>()[0] == '/')
      v = base_url + v.get<std::string>();
}

json stored_json(const std::string& text, const std::string& base_url, bool urls) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return json();
  if (urls)
    make_urls_absolute(doc, base_url);
  return doc;
}

json status_body(const request_view& v, const std::string& base_url) {
  return status_body(v, base_url, v.estimated_completion);
}

json status_body(const request_view& v, const std::string& base_url, int64_t eta) {
  auto jobs = jobs_json(v.jobs);
  bool completed = v.status == request_status::completed;
  json error;
  if (v.status == request_status::failed)
    error = {{"code", v.error_code.empty() ? "internal" : v.error_code},
             {"message", v.error_message},
             {"retryable", v.error_retryable}};
  return {{"request_id", v.request_id},
          {"status", std::string{name_of(v.status)}},
          {"progress_percent", v.progress_percent},
          {"message", string_or_null(v.message)},
          {"dataset_id", v.dataset_id},
          {"resource_id", v.resource_id},
          {"version_id", v.version_id},
          {"request_type", v.request_type},
          {"client_request_id", string_or_null(v.client_request_id)},
          {"created_at", string_or_null(v.created_at)},
          {"started_at", string_or_null(v.started_at)},
          {"completed_at", string_or_null(v.completed_at)},
          {"estimated_completion", is_terminal(v.status) ? json() : rfc3339_or_null(eta)},
          {"jobs", jobs},
          {"endpoints", completed ? stored_json(v.endpoints_json, base_url, true) : json()},
          {"stac_metadata", completed ? stored_json(v.stac_metadata_json, base_url, false) : json()},
          {"error", error},
          {"reused_from", string_or_null(v.reused_from)},
          {"callback_status", string_or_null(v.callback_status)},
          {"status_url", base_url + "/platform/status/" + v.request_id}};
}

int64_t epoch_of(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr)
    return 0;
  return static_cast<int64_t>(timegm(&tm));
}

json submit_body(const request_view& v, const std::string& base_url, bool created) {
  return submit_body(v, base_url, created, v.estimated_completion);
}

std::string submit_body_text(const request_view& v, const std::string& base_url, bool created,
                             int64_t eta) {
  // The same document as submit_body (members in the same order), written directly: this is the
  // answer to every resubmission, the hottest write path.
  auto quoted = [](const std::string& x) { return json(x).dump(); };
  auto when = is_terminal(v.status) ? json() : rfc3339_or_null(eta);
  return "{\"estimated_completion\":" + when.dump() + ",\"request_id\":" + quoted(v.request_id) +
         ",\"status\":" + quoted(created ? "accepted" : std::string{name_of(v.status)}) + ",\"status_url\":" +
         quoted(base_url + "/platform/status/" + v.request_id) + "}";
}

json submit_body(const request_view& v, const std::string& base_url, bool created, int64_t eta) {
  return {{"request_id", v.request_id},
          {"status", created ? std::string{"accepted"} : std::string{name_of(v.status)}},
          {"status_url", base_url + "/platform/status/" + v.request_id},
          {"estimated_completion", is_terminal(v.status) ? json() : rfc3339_or_null(eta)}};
}

nlohmann::json history_body(const request_view& v, const std::vector<request_event>& events) {
  auto out = nlohmann::json::array();
  out.push_back({{"at", v.created_at.empty() ? nlohmann::json() : nlohmann::json(v.created_at)},
                 {"from", nullptr},
                 {"to", std::string{name_of(request_status::pending)}},
                 {"reason", "submitted"},
                 {"state_version", 0}});
  for (const auto& e : events)
    out.push_back({{"at", e.at},
                   {"from", std::string{name_of(e.from)}},
                   {"to", std::string{name_of(e.to)}},
                   {"reason", e.reason},
                   {"state_version", e.state_version}});
  return out;
}

}  // namespace gp::io::http
