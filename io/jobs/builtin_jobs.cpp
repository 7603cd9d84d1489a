// The built-in job types: hello_world (fan-out then fan-in), and sleep, fail and noop, which
// exercise retries, stops and throughput.
#include <thread>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

namespace {

using http::field_error;

/// Reads an optional integer member with a default and bounds; reports a bad value.
void int_param(json& params, const char* name, int64_t def, int64_t lo, int64_t hi,
               std::vector<field_error>& errors) {
  auto i = params.find(name);
  if (i == params.end() || i->is_null()) {
    params[name] = def;
    return;
  }
  if (!i->is_number_integer() || i->get<int64_t>() < lo || i->get<int64_t>() > hi)
    errors.push_back({name, "must be an integer from " + std::to_string(lo) + " to " +
                              std::to_string(hi)});
}

void only_known(const json& params, std::initializer_list<const char*> known,
                std::vector<field_error>& errors) {
  for (const auto& [k, _] : params.items()) {
    bool ok = false;
    for (const char* n : known)
      ok = ok || k == n;
    if (!ok)
      errors.push_back({k, "is not a parameter of this job type"});
  }
}

/// Sleeps `ms` in small steps, stopping when asked.
void sleep_checking(const task_context& ctx, int64_t ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{ms};
  while (std::chrono::steady_clock::now() < until) {
    ctx.check_stop();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

registry make_builtins() {
  registry r;

  r.add(task_type_def{"greet", [](const task_context& ctx) {
                        auto i = ctx.params.at("index").get<int64_t>();
                        return json{{"index", i},
                                    {"greeting", "hello from task " + std::to_string(i)}};
                      }});
  r.add(task_type_def{"summarize", [](const task_context& ctx) {
                        json greetings = json::array();
                        for (const auto& res : ctx.params.at("results"))
                          greetings.push_back(res.at("greeting"));
                        return json{{"count", greetings.size()}, {"greetings", greetings}};
                      }});
  r.add(job_def{
    "hello_world",
    "Fans out n greetings (default 3, 0-1000), then one task gathers them.",
    {stage_def{"greet", "greet", stage_kind::fan_out,
               [](const json& p, const json&) {
                 std::vector<json> out;
                 for (int64_t i = 0; i < p.at("n").get<int64_t>(); ++i)
                   out.push_back(json{{"index", i}});
                 return out;
               }},
     stage_def{"summarize", "summarize", stage_kind::fan_in, nullptr}},
    [](json& p) {
      std::vector<field_error> errors;
      only_known(p, {"n", "tag"}, errors);
      int_param(p, "n", 3, 0, 1000, errors);
      return errors;
    }});

  r.add(task_type_def{"sleep", [](const task_context& ctx) {
                        auto ms = ctx.params.at("ms").get<int64_t>();
                        sleep_checking(ctx, ms);
                        return json{{"slept_ms", ms}, {"attempt", ctx.attempt}};
                      },
                      3});
  r.add(job_def{"sleep",
                "One task that sleeps ms milliseconds (default 1000), stopping when asked.",
                {stage_def{"sleep", "sleep", stage_kind::single, nullptr}},
                [](json& p) {
                  std::vector<field_error> errors;
                  only_known(p, {"ms", "tag"}, errors);
                  int_param(p, "ms", 1000, 0, 3600000, errors);
                  return errors;
                }});

  r.add(task_type_def{"fail", [](const task_context& ctx) {
                        auto succeed_on = ctx.params.at("succeed_on_attempt").get<int64_t>();
                        if (succeed_on > 0 && ctx.attempt >= succeed_on)
                          return json{{"succeeded_on_attempt", ctx.attempt}};
                        bool permanent = ctx.params.at("mode") == "permanent";
                        throw task_failure(permanent, permanent ? "bad_input" : "flaky",
                                           "failing as asked on attempt " +
                                             std::to_string(ctx.attempt));
                      },
                      3});
  r.add(job_def{"fail",
                "One task that fails (mode transient or permanent) until attempt "
                "succeed_on_attempt (0 = never).",
                {stage_def{"fail", "fail", stage_kind::single, nullptr}},
                [](json& p) {
                  std::vector<field_error> errors;
                  only_known(p, {"mode", "succeed_on_attempt", "tag"}, errors);
                  int_param(p, "succeed_on_attempt", 0, 0, 100, errors);
                  if (!p.contains("mode"))
                    p["mode"] = "transient";
                  else if (p["mode"] != "transient" && p["mode"] != "permanent")
                    errors.push_back({"mode", "must be transient or permanent"});
                  return errors;
                }});

  r.add(task_type_def{"noop", [](const task_context&) { return json::object(); }});
  r.add(job_def{"noop", "tasks (default 1, 0-100000) tasks that do nothing, in one stage.",
                {stage_def{"noop", "noop", stage_kind::fan_out,
                           [](const json& p, const json&) {
                             return std::vector<json>(p.at("tasks").get<size_t>(),
                                                      json::object());
                           }}},
                [](json& p) {
                  std::vector<field_error> errors;
                  only_known(p, {"tasks", "tag"}, errors);
                  int_param(p, "tasks", 1, 0, 100000, errors);
                  return errors;
                }});
  add_request_jobs(r);
  add_collection_jobs(r);
  add_vector_jobs(r);
  return r;
}

}  // namespace

const registry& builtin_registry() {
  static const registry r = make_builtins();
  return r;
}

}  // namespace gp::io::jobs
