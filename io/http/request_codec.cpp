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
                   {"status", j.status},
                   {"stage", j.stage},
                   {"total_stages", j.total_stages}});
  return out;
}

}  // namespace

std::string encode_snapshot(const request_snapshot& s) {
  return json{{"step", s.step}, {"jobs", jobs_json(s.jobs)}}.dump();
}

request_snapshot decode_snapshot(const std::string& json_text) {
  request_snapshot s;
  auto doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object())
    return s;
  try {
    s.step = doc.value("step", 0);
    for (const auto& j : doc.value("jobs", json::array()))
      s.jobs.push_back({j.value("job_id", ""), j.value("job_type", ""), j.value("status", ""),
                        j.value("stage", 0), j.value("total_stages", 0)});
  } catch (const json::exception&) {
    return request_snapshot{};
  }
  return s;
}

request_view view_of(const request_row& r) { return view_of(r, decode_snapshot(r.snapshot_json).jobs); }

request_view view_of(const request_row& r, std::vector<request_job> jobs) {
  request_view v;
  v.request_id = r.request_id;
  v.client_id = r.client_id;
  v.status = r.status;
  v.progress_percent = r.progress_percent;
  v.message = r.message;
  v.dataset_id = r.dataset_id;
  v.resource_id = r.resource_id;
  v.version_id = r.version_id;
  v.request_type = r.request_type;
  v.client_request_id = r.client_request_id;
  v.created_at = r.created_at;
  v.started_at = r.started_at;
  v.completed_at = r.completed_at;
  v.jobs = std::move(jobs);
  v.endpoints_json = r.endpoints_json;
  v.stac_metadata_json = r.stac_metadata_json;
  v.error_code = r.error_code;
  v.error_message = r.error_message;
  v.error_retryable = r.error_retryable;
  v.reused_from = r.reused_from;
  v.state_version = r.state_version;
  return v;
}

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

namespace {

/// Stored JSON text as a value; relative URLs in endpoints made absolute.
json stored(const std::string& text, const std::string& base_url, bool urls) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return json();
  if (urls && doc.is_object())
    for (auto& [k, v] : doc.items())
      if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>()[0] == '/')
        v = base_url + v.get<std::string>();
  return doc;
}

}  // namespace

json status_body(const request_view& v, const std::string& base_url) {
  return status_body(v, base_url, v.estimated_completion);
}

json status_body(const request_view& v, const std::string& base_url, int64_t eta) {
  auto jobs = jobs_json(v.jobs);
  bool completed = v.status == "completed";
  json error;
  if (v.status == "failed")
    error = {{"code", v.error_code.empty() ? "internal" : v.error_code},
             {"message", v.error_message},
             {"retryable", v.error_retryable}};
  return {{"request_id", v.request_id},
          {"status", v.status},
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
          {"endpoints", completed ? stored(v.endpoints_json, base_url, true) : json()},
          {"stac_metadata", completed ? stored(v.stac_metadata_json, base_url, false) : json()},
          {"error", error},
          {"reused_from", string_or_null(v.reused_from)},
          {"callback_status", json()},
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
         ",\"status\":" + quoted(created ? "accepted" : v.status) + ",\"status_url\":" +
         quoted(base_url + "/platform/status/" + v.request_id) + "}";
}

json submit_body(const request_view& v, const std::string& base_url, bool created, int64_t eta) {
  return {{"request_id", v.request_id},
          {"status", created ? "accepted" : v.status},
          {"status_url", base_url + "/platform/status/" + v.request_id},
          {"estimated_completion", is_terminal(v.status) ? json() : rfc3339_or_null(eta)}};
}

std::string stored_fingerprint(const request_row& row) {
  auto config = json::parse(row.processing_config_json, nullptr, false);
  return json{{"request_type", row.request_type},
              {"source_path", row.source_path},
              {"processing_config", config}}
    .dump();
}

}  // namespace gp::io::http
