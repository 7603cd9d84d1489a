#include "io/requests/snapshot_codec.hpp"

#include <nlohmann/json.hpp>

namespace gp::io::requests {

using json = nlohmann::json;

std::string encode_snapshot(const request_snapshot& s) {
  json jobs = json::array();
  for (const auto& j : s.jobs)
    jobs.push_back({{"job_id", j.job_id},
                    {"job_type", j.job_type},
                    {"status", std::string{name_of(j.status)}},
                    {"stage", j.stage},
                    {"total_stages", j.total_stages}});
  return json{{"step", s.step}, {"jobs", std::move(jobs)}}.dump();
}

request_snapshot decode_snapshot(const std::string& json_text) {
  request_snapshot s;
  auto doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object())
    return s;
  try {
    s.step = doc.value("step", 0);
    for (const auto& j : doc.value("jobs", json::array()))
      s.jobs.push_back({j.value("job_id", ""), j.value("job_type", ""),
                        parse_job_status(j.value("status", "")).value_or(job_status::queued),
                        j.value("stage", 0), j.value("total_stages", 0)});
  } catch (const json::exception&) {
    return request_snapshot{};
  }
  return s;
}

request_view view_of(const request_row& row) {
  return gp::view_of(row, decode_snapshot(row.snapshot_json).jobs);
}

std::string stored_fingerprint(const request_row& row) {
  auto config = json::parse(row.processing_config_json, nullptr, false);
  return json{{"request_type", row.request_type},
              {"source_path", row.source_path},
              {"processing_config", config}}
    .dump();
}

}  // namespace gp::io::requests
