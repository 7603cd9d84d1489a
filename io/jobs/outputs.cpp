#include "io/jobs/outputs.hpp"

#include <algorithm>

#include "io/logging.hpp"

namespace gp::io::jobs {

json merge_outputs(const json& list) {
  json out = json::object();
  if (!list.is_array())
    return out;
  for (const auto& o : list) {
    if (!o.is_object())
      continue;
    for (const auto& [k, v] : o.items()) {
      if (k != "files" || !v.is_array()) {
        out[k] = v;
        continue;
      }
      auto& files = out["files"];
      if (!files.is_array())
        files = json::array();
      for (const auto& f : v)
        if (std::find(files.begin(), files.end(), f) == files.end())
          files.push_back(f);
    }
  }
  return out;
}

std::string find_reusable(const task_context& ctx, const std::string& sha256) {
  const auto& req = ctx.params.at("request");
  if (!ctx.env.reuse || sha256.empty())
    return {};
  auto config = req.value("processing_config", json::object());
  if (config.is_object() && config.value("reuse", true) == false)
    return {};
  try {
    auto found = ctx.env.reuse->find_reusable(req.at("request_id").get<std::string>(), sha256);
    return found.value_or("");
  } catch (const std::exception& e) {
    GP_LOG_WARN("request {}: reuse look-up failed ({}); processing the source",
                req.value("request_id", "").substr(0, 12), e.what());
    return {};
  }
}

}  // namespace gp::io::jobs
