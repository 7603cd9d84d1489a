#include "actors/request.hpp"

#include <optional>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "io/http/request_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "persistence/requests.hpp"

namespace gp {

namespace {

using json = nlohmann::json;

struct write_result {
  bool stored = false;
  persistence::stored_times times;
};

}  // namespace

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::write_result)

namespace gp {

namespace {

struct request_state {
  std::shared_ptr<const request_options> opts;
  /// The stored state: what queries see. Changes are made on `next` and take effect here only
  /// once written.
  request_view view;
  request_view next;
  std::string source_path;
  std::string config_json;
  int64_t version = 0;
  int step = 0;
  /// A write in flight or waiting to be retried; what runs once it is stored.
  bool writing = false;
  persistence::request_state pending;
  std::function<void()> after_write;
  /// A job event that arrived while a write was in flight; handled once it is stored.
  std::optional<job_event> deferred;
  std::chrono::steady_clock::time_point next_progress;
  static inline const char* name = "request";
};

using req_self = caf::stateful_actor<request_state>;

const std::vector<io::jobs::pipeline_step>& steps_of(req_self* self) {
  static const std::vector<io::jobs::pipeline_step> none;
  const auto& table = self->state.opts->pipelines;
  auto i = table.find(self->state.view.request_type);
  return i == table.end() ? none : i->second;
}

std::string short_id(req_self* self) { return self->state.view.request_id.substr(0, 12); }

/// The state to store for `v` at step `step`.
persistence::request_state to_store(const request_view& v, int step) {
  persistence::request_state s;
  s.status = v.status;
  s.progress_percent = v.progress_percent;
  s.message = v.message;
  s.endpoints_json = v.endpoints_json;
  s.stac_metadata_json = v.stac_metadata_json;
  s.error_code = v.error_code;
  s.error_message = v.error_message;
  s.error_retryable = v.error_retryable;
  s.snapshot_json = io::http::encode_snapshot({step, v.jobs});
  return s;
}

void send_write(req_self* self);

/// Stores `next` (fenced by the version this actor last wrote), then makes it the view and runs
/// `then`. Nobody hears of the new state before it is stored: queries see the old view until
/// then, and the registry is told after the write.
void persist(req_self* self, request_view next, std::function<void()> then) {
  auto& st = self->state;
  if (st.opts->fault)
    st.opts->fault(next.status);
  st.pending = to_store(next, st.step);
  st.next = std::move(next);
  st.after_write = std::move(then);
  st.writing = true;
  send_write(self);
}

void send_write(req_self* self) {
  auto& st = self->state;
  auto id = st.view.request_id;
  auto version = st.version;
  auto s = st.pending;
  db_job write = [id, version, s](pqxx::connection& c) {
    auto times = persistence::store_request_state(c, id, version, s);
    return caf::make_message(write_result{times.has_value(), times.value_or(persistence::stored_times{})});
  };
  self->request(st.opts->pool, st.opts->db_timeout, db_run_atom_v, std::move(write))
    .then(
      [=](const write_result& res) {
        auto& st = self->state;
        if (!res.stored) {
          // Someone else moved the row on (a cancel, or a newer actor): this actor is stale.
          GP_LOG_INFO("request {}: state {} not written, the row moved on; stopping",
                      short_id(self), st.pending.status);
          self->quit();
          return;
        }
        ++st.version;
        st.writing = false;
        // Job statuses may have moved on while the write was in flight: keep the newer ones.
        auto jobs = std::move(st.view.jobs);
        st.view = std::move(st.next);
        st.next = request_view{};
        for (auto& j : st.view.jobs)
          for (const auto& old : jobs)
            if (old.job_id == j.job_id && is_terminal(old.status))
              j.status = old.status;
        st.view.progress_percent = std::max(st.view.progress_percent, st.pending.progress_percent);
        st.view.started_at = res.times.started_at;
        st.view.completed_at = res.times.completed_at;
        self->send(st.opts->registry, moved_atom_v, st.view.request_id, st.view.status);
        auto then = std::move(st.after_write);
        st.after_write = nullptr;
        if (then)
          then();
        if (st.deferred && !st.writing && !is_terminal(st.view.status)) {
          auto ev = std::move(*st.deferred);
          st.deferred.reset();
          self->send(self, job_event_atom_v, std::move(ev));
        }
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request {}: cannot store its state ({}); trying again", short_id(self),
                    self->system().render(err));
        self->delayed_send(self, self->state.opts->retry_delay, tick_atom_v);
      });
}

/// Terminal: tell the registry (which caches the final view) and stop.
void finish(req_self* self) {
  auto& st = self->state;
  GP_LOG_INFO("request {}: {}", short_id(self), st.view.status);
  self->send(st.opts->registry, ended_atom_v, st.view);
  self->quit();
}

void end_with(req_self* self, const std::string& status, const std::string& code,
              const std::string& message, bool retryable) {
  auto v = self->state.view;
  v.status = status;
  v.message = message;
  v.error_code = status == "failed" ? code : "";
  v.error_message = status == "failed" ? message : "";
  v.error_retryable = status == "failed" && retryable;
  if (status == "completed") {
    v.progress_percent = 100;
    // Endpoints appear as the capabilities behind them land (downloads, features, STAC).
    v.endpoints_json = "{}";
  }
  persist(self, std::move(v), [self] { finish(self); });
}

int progress_at(req_self* self, int step) {
  auto n = steps_of(self).size();
  return n == 0 ? 0 : static_cast<int>(100 * static_cast<size_t>(step) / n);
}

void submit_step(req_self* self);

void watch(req_self* self, const std::string& job_id) {
  self->send(self->state.opts->coremachine, watch_atom_v, job_id);
}

/// Runs the current step. A job the snapshot already names (created with the request, or before a
/// restart) is watched; the watch says "unknown" if it does not exist, and it is created then.
/// Otherwise the job is first recorded in the snapshot (so a restart finds the same job), then
/// created (idempotent) and watched.
void run_step(req_self* self) {
  auto& st = self->state;
  const auto& steps = steps_of(self);
  if (steps.empty())
    return end_with(self, "failed", "unsupported_request_type",
                    "no steps are configured for request type " + st.view.request_type, false);
  if (st.step >= static_cast<int>(steps.size()))
    return end_with(self, "completed", "", "completed", false);
  const auto& step = steps[static_cast<size_t>(st.step)];
  auto job_id = io::jobs::request_job_id(st.view.request_id, static_cast<size_t>(st.step),
                                         step.job_type);
  for (const auto& j : st.view.jobs)
    if (j.job_id == job_id)
      return watch(self, job_id);
  auto next = st.view;
  const auto* def = st.opts->jobs->job(step.job_type);
  next.jobs.push_back(
    {job_id, step.job_type, "queued", 0, def ? static_cast<int>(def->stages.size()) : 0});
  next.status = "processing";
  next.message = "running " + step.name;
  next.progress_percent = std::max(next.progress_percent, progress_at(self, st.step));
  persist(self, std::move(next), [self] { submit_step(self); });
}

request_job* current_job(req_self* self) {
  auto& jobs = self->state.view.jobs;
  return jobs.empty() ? nullptr : &jobs.back();
}

void submit_step(req_self* self) {
  auto& st = self->state;
  const auto& step = steps_of(self)[static_cast<size_t>(st.step)];
  auto* job = current_job(self);
  io::jobs::request_facts facts{st.view.request_id, st.view.client_id, st.view.request_type,
                                source_of(*st.opts, st.view.client_id, st.source_path),
                                json::parse(st.config_json, nullptr, false)};
  auto params = io::jobs::step_params(*st.opts->jobs, step, facts).dump();
  auto job_id = job->job_id;
  self->request(st.opts->coremachine, st.opts->db_timeout, submit_atom_v, job_id, step.job_type,
                params, st.view.request_id)
    .then(
      [=](const job_submission& s) {
        if (auto* j = current_job(self); j && j->job_id == job_id)
          j->status = s.status;
        // The watch answers at once when the job already ended (e.g. before a restart).
        self->send(self->state.opts->coremachine, watch_atom_v, job_id);
      },
      [=](const caf::error& err) {
        if (is(err, errc::invalid_input))
          return end_with(self, "failed", "invalid_job_parameters", error_detail(err), false);
        GP_LOG_WARN("request {}: cannot submit its job ({}); trying again", short_id(self),
                    self->system().render(err));
        self->delayed_send(self, self->state.opts->retry_delay, claim_atom_v);
      });
}

/// A running job moved: refresh the progress now and then (stored, so it never goes back).
void refresh_progress(req_self* self, const request_job& job) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  if (now < st.next_progress)
    return;
  st.next_progress = now + st.opts->progress_interval;
  auto id = st.view.request_id;
  auto job_id = job.job_id;
  int step = st.step;
  int steps = static_cast<int>(steps_of(self).size());
  db_job refresh = [id, job_id, step, steps](pqxx::connection& c) {
    return caf::make_message(persistence::refresh_progress(c, id, job_id, step, steps));
  };
  self->request(st.opts->pool, st.opts->db_timeout, db_run_atom_v, std::move(refresh))
    .then(
      [=](int stored) {
        auto& v = self->state.view;
        if (stored >= 0 && !is_terminal(v.status))
          v.progress_percent = std::max(v.progress_percent, stored);
      },
      [](const caf::error&) {});
}

void on_job_event(req_self* self, const job_event& ev) {
  auto& st = self->state;
  auto* job = current_job(self);
  if (job == nullptr || job->job_id != ev.job_id || is_terminal(st.view.status))
    return;
  if (st.writing) {
    // Ended events must not be lost; a newer event replaces an older one.
    if (!st.deferred || !is_terminal(st.deferred->status) || is_terminal(ev.status))
      st.deferred = ev;
    return;
  }
  if (ev.status == "unknown")
    return submit_step(self);
  if (st.view.status == "pending") {
    // The first sign of work: the request is processing from now on (stored first).
    const auto& steps = steps_of(self);
    auto next = st.view;
    next.status = "processing";
    if (st.step < static_cast<int>(steps.size()))
      next.message = "running " + steps[static_cast<size_t>(st.step)].name;
    return persist(self, std::move(next),
                   [self, ev] { self->send(self, job_event_atom_v, ev); });
  }
  job->status = ev.status;
  job->stage = ev.stage;
  if (ev.status == "completed") {
    ++st.step;
    return run_step(self);
  }
  if (ev.status == "failed")
    return end_with(self, "failed", ev.error_code.empty() ? "job_failed" : ev.error_code,
                    ev.error_message.empty() ? "job " + job->job_type + " failed"
                                             : ev.error_message,
                    true);
  if (ev.status == "cancelled")
    return end_with(self, "cancelled", "", "job " + job->job_type + " was cancelled", false);
  refresh_progress(self, *job);
}

caf::behavior request_actor_fn(req_self* self, std::shared_ptr<const request_options> opts,
                               request_row row) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.view = io::http::view_of(row);
  st.source_path = std::move(row.source_path);
  st.config_json = std::move(row.processing_config_json);
  st.version = row.state_version;
  st.step = io::http::decode_snapshot(row.snapshot_json).step;
  if (is_terminal(st.view.status)) {
    finish(self);
    return {};
  }
  // Start (or resume where the snapshot stopped) once the behaviour is installed.
  self->send(self, claim_atom_v);
  return {
    // Begin or continue the current step.
    [=](claim_atom) {
      if (!self->state.writing)
        run_step(self);
    },
    // A failed write is tried again.
    [=](tick_atom) {
      if (self->state.writing)
        send_write(self);
    },
    [=](job_event_atom, const job_event& ev) { on_job_event(self, ev); },
    [=](query_atom) { return self->state.view; },
    // The row was cancelled (and its jobs with it) by the registry: nothing left to do.
    [=](cancel_atom) {
      GP_LOG_INFO("request {}: cancelled", short_id(self));
      self->quit();
    },
  };
}

}  // namespace

std::string source_of(const request_options& opts, const std::string& client_id,
                      const std::string& source_path) {
  if (source_path.rfind("/vsi", 0) == 0)
    return source_path;
  return opts.bronze_root + "/" + client_id + "/" + source_path;
}

request_actor spawn_request(caf::actor_system& sys, std::shared_ptr<const request_options> opts,
                            const request_row& row) {
  return sys.spawn(request_actor_fn, std::move(opts), row);
}

}  // namespace gp
