#include "actors/request.hpp"

#include <filesystem>
#include <optional>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/request_state.hpp"
#include "io/geodata/naming.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/geodata/vector_load.hpp"
#include "io/disk_usage.hpp"
#include "io/http/outputs.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/jobs/outputs.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/failure_codes.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "persistence/requests.hpp"

namespace gp::request_detail {

using json = nlohmann::json;

const request_view& view_of(req_self* self) { return *self->state.view; }

const std::vector<io::jobs::pipeline_step>& steps_of(req_self* self) {
  static const std::vector<io::jobs::pipeline_step> none;
  const auto& table = self->state.opts->pipelines;
  auto i = table.find(view_of(self).request_type);
  return i == table.end() ? none : i->second;
}

std::string short_id(req_self* self) { return view_of(self).request_id.substr(0, 12); }

bool enter(req_self* self, phase next) {
  auto& st = self->state;
  if (!allowed(st.at, next)) {
    GP_LOG_ERROR("request {}: no transition from {} to {}", short_id(self),
                 phase_names[static_cast<size_t>(st.at)], phase_names[static_cast<size_t>(next)]);
    self->quit(caf::make_error(errc::internal, std::string{"request actor: bad transition"}));
    return false;
  }
  st.at = next;
  // An event kept for later belongs to the job being watched: a step that pauses or finishes
  // watches again, and hears its job anew.
  if (next == phase::paused || next == phase::gathering)
    st.deferred.reset();
  return true;
}

void publish(req_self* self, request_view v) {
  auto shared = std::make_shared<const request_view>(std::move(v));
  if (self->state.opts->board)
    self->state.opts->board->publish(shared);
  self->state.view = std::move(shared);
}

namespace {

std::string output_dir(req_self* self) {
  const auto& v = view_of(self);
  return output_dir_of(*self->state.opts, v.client_id, v.dataset_id, v.resource_id,
                       v.version_id);
}

/// What a request that ended without completing leaves behind, removed on a thread of its own.
/// A failed request (which may be retried: a retry re-runs only the failed tasks, so what its
/// completed tasks wrote must stay) loses its partial work: temporary files and a vector
/// request's staging table. A cancelled one (never resumed) loses everything: its output folder,
/// and a vector request's table and catalogue row. Nothing of either is served: only completed
/// requests have outputs, and features list only layers of completed requests.
void discard_outputs(req_self* self, bool everything) {
  auto dir = output_dir(self);
  const auto& v = view_of(self);
  // A request that never left pending, with no output folder, wrote nothing: a vector load
  // creates the folder before its tables, and every output file is written into it. (Thousands
  // of pending requests may be cancelled at once; they cost nothing here.) Otherwise the folder
  // may be on another node's disk, so the tables are dropped regardless.
  std::error_code ec;
  if (v.status == request_status::pending && !std::filesystem::exists(dir, ec))
    return;
  std::string table;
  if (v.request_type == "vector")
    table = io::geodata::table_name_for(v.client_id, v.dataset_id, v.resource_id, v.version_id);
  // On a thread and a connection of their own: a drop may wait for a load that still holds its
  // table (until the load sees the cancel), which must not hold up a pooled connection.
  auto env = self->state.opts->env;
  self->spawn<caf::detached>([dir, table, env, everything] {
    if (!table.empty() && env.vectors)
      io::geodata::discard_vector_outputs(*env.vectors, table, dir, everything);
    std::error_code ec;
    if (everything)
      std::filesystem::remove_all(dir, ec);
    else
      io::geodata::remove_partials(dir);
  });
}

/// Ends the request failed. Its `retryable` comes from its code (messages/failure_codes.hpp).
void fail(req_self* self, const std::string& code, const std::string& message) {
  auto v = view_of(self);
  v.status = request_status::failed;
  v.message = message;
  v.error_code = code;
  v.error_message = message;
  v.error_retryable = retryable_failure(code);
  persist(self, std::move(v), [self] {
    discard_outputs(self, false);
    finish(self);
  });
}

/// Ends the request cancelled (its job was cancelled): everything it wrote is removed.
void cancelled(req_self* self, const std::string& message) {
  auto v = view_of(self);
  v.status = request_status::cancelled;
  v.message = message;
  persist(self, std::move(v), [self] {
    discard_outputs(self, true);
    finish(self);
  });
}

/// Completed: what the jobs produced (or the reused request's outputs) is stored with the final
/// state, and the endpoints that serve it.
void complete(req_self* self, const persistence::produced_outputs& produced) {
  auto v = view_of(self);
  json outputs;
  if (produced.reused_from.empty()) {
    outputs = io::jobs::merge_outputs(json::parse(produced.outputs_json, nullptr, false));
    outputs["dir"] = output_dir(self);
  } else {
    outputs = json::parse(produced.outputs_json, nullptr, false);
    if (!outputs.is_object())
      outputs = json::object();
    v.reused_from = produced.reused_from;
  }
  v.status = request_status::completed;
  v.progress_percent = 100;
  v.message = std::string{name_of(v.status)};
  if (!produced.reused_from.empty())
    v.message += ": the source and settings equal those of request " + produced.reused_from +
                 ", whose outputs this version serves";
  v.endpoints_json = io::http::endpoints_for(v.request_type, v.request_id, outputs).dump();
  // The client's usage: what the processing read (the source) and wrote (the outputs); a
  // request that reused another's outputs processed nothing.
  int64_t read = 0, written = 0;
  if (produced.reused_from.empty()) {
    read = io::bytes_under(source_of(*self->state.opts, v.client_id, v.source_path));
    written = io::bytes_under(output_dir(self));
  }
  persist(self, std::move(v), [self] { finish(self); }, outputs.dump(), true, read, written);
}

void run_step(req_self* self);

/// A step's job completed. The first step may have found a completed version with the same
/// source and settings (its outputs are reused and nothing else runs); the last step completes
/// the request with what its jobs produced. Other steps simply lead to the next.
void step_done(req_self* self) {
  auto& st = self->state;
  bool last = st.step + 1 >= static_cast<int>(steps_of(self).size());
  if (!last && st.step != 0) {
    ++st.step;
    return run_step(self);
  }
  if (!enter(self, phase::gathering))
    return;
  auto id = view_of(self).request_id;
  self->request(st.opts->pool, st.opts->db_timeout, db::gather_outputs{id})
    .then(
      [=](const db::gather_outputs::result& a) {
        if (!in(self, phase::gathering))
          return;
        if (!a.produced.reused_from.empty() || last)
          return complete(self, a.produced);
        ++self->state.step;
        run_step(self);
      },
      [=](const caf::error& err) {
        if (!in(self, phase::gathering))
          return;
        GP_LOG_WARN("request {}: cannot read what its jobs produced ({}); trying again",
                    short_id(self), self->system().render(err));
        // The step is still the current one: its job is watched again and completes at once.
        enter(self, phase::paused);
        self->delayed_send(self, self->state.opts->retry_delay, step_atom_v);
      });
}

int progress_at(req_self* self, int step) {
  auto n = steps_of(self).size();
  return n == 0 ? 0 : static_cast<int>(100 * static_cast<size_t>(step) / n);
}

void submit_step(req_self* self);

/// Asks the coremachine for the job's events. `fresh`: step 0's job of a request that may not
/// have been claimed yet (the claim creates it); no database look now, and "unknown" only after
/// the first-job deadline. Either way the coremachine looks the job up now and then, in case an
/// event cannot reach this node (its job ran elsewhere), with one timer for all watched jobs.
void watch(req_self* self, const std::string& job_id, bool fresh) {
  // Read from its row at step 0 while pending: its first job may not be made yet.
  bool first_look = in(self, phase::starting) && self->state.step == 0 &&
                    view_of(self).status == request_status::pending;
  if (!enter(self, fresh ? phase::awaiting : first_look ? phase::looking : phase::watching))
    return;
  self->send(self->state.opts->coremachine, watch_atom_v, job_id, fresh);
}

/// Runs the current step. A job the snapshot already names (a new request's first job, which the
/// first claim creates, or one named before a restart) is watched; the watch says "unknown" if it
/// does not exist (see on_job_event).
/// Otherwise the job is first recorded in the snapshot (so a restart finds the same job), then
/// created (idempotent) and watched.
void run_step(req_self* self) {
  auto& st = self->state;
  const auto& steps = steps_of(self);
  if (steps.empty())
    return fail(self, "unsupported_request_type",
                "no steps are configured for request type " + view_of(self).request_type);
  if (st.step >= static_cast<int>(steps.size())) {
    // Resumed after its last step (snapshots from before outputs were gathered here).
    st.step = static_cast<int>(steps.size()) - 1;
    return step_done(self);
  }
  const auto& step = steps[static_cast<size_t>(st.step)];
  auto job_id = io::jobs::request_job_id(view_of(self).request_id, static_cast<size_t>(st.step),
                                         step.job_type);
  for (const auto& j : view_of(self).jobs)
    if (j.job_id == job_id)
      return watch(self, job_id, false);
  auto next = view_of(self);
  const auto* def = st.opts->jobs->job(step.job_type);
  next.jobs.push_back({job_id, step.job_type, job_status::queued, 0,
                       def ? static_cast<int>(def->stages.size()) : 0});
  next.status = request_status::processing;
  next.message = "running " + step.name;
  next.progress_percent = std::max(next.progress_percent, progress_at(self, st.step));
  persist(self, std::move(next), [self] { submit_step(self); });
}

const request_job* current_job(req_self* self) {
  const auto& jobs = view_of(self).jobs;
  return jobs.empty() ? nullptr : &jobs.back();
}

/// Records what the job engine said of the current job (a new view: views are immutable).
void update_job(req_self* self, const std::string& job_id, job_status status, int stage) {
  auto v = view_of(self);
  if (v.jobs.empty() || v.jobs.back().job_id != job_id)
    return;
  v.jobs.back().status = status;
  if (stage > 0)
    v.jobs.back().stage = stage;
  publish(self, std::move(v));
}

void submit_step(req_self* self) {
  auto& st = self->state;
  if (!enter(self, phase::submitting))
    return;
  const auto& step = steps_of(self)[static_cast<size_t>(st.step)];
  const auto& v = view_of(self);
  std::string params;
  try {
    params = step_params_of(*st.opts, step, v.request_id, v);
  } catch (const std::exception& e) {
    return fail(self, "invalid_job_parameters", e.what());
  }
  auto job_id = current_job(self)->job_id;
  self->request(st.opts->coremachine, st.opts->db_timeout, submit_atom_v, job_id, step.job_type,
                params, v.request_id)
    .then(
      [=](const job_submission& s) {
        if (!in(self, phase::submitting))
          return;
        update_job(self, job_id, s.status, 0);
        // The watch answers at once when the job already ended (e.g. before a restart).
        watch(self, job_id, false);
        replay_deferred(self);
      },
      [=](const caf::error& err) {
        if (!in(self, phase::submitting))
          return;
        if (is(err, errc::invalid_input))
          return fail(self, "invalid_job_parameters", error_detail(err));
        if (is(err, errc::conflict)) {
          // Its row ended meanwhile (a cancel): nothing is left to run.
          GP_LOG_INFO("request {}: ended elsewhere; stopping", short_id(self));
          enter(self, phase::ended);
          return self->quit();
        }
        GP_LOG_WARN("request {}: cannot submit its job ({}); trying again", short_id(self),
                    self->system().render(err));
        enter(self, phase::paused);
        self->delayed_send(self, self->state.opts->retry_delay, step_atom_v);
      });
}

/// A running job moved: refresh the progress now and then (stored, so it never goes back).
void refresh_progress(req_self* self, const request_job& job) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now < st.next_progress)
    return;
  st.next_progress = now + st.opts->progress_interval;
  auto id = view_of(self).request_id;
  auto job_id = job.job_id;
  int step = st.step;
  int steps = static_cast<int>(steps_of(self).size());
  self->request(st.opts->pool, st.opts->db_timeout,
                db::refresh_progress{id, job_id, step, steps})
    .then(
      [=](int stored) {
        const auto& v = view_of(self);
        if (stored > v.progress_percent && !is_terminal(v.status) &&
            !in(self, phase::writing) && !in(self, phase::ended)) {
          auto next = v;
          next.progress_percent = stored;
          publish(self, std::move(next));
        }
      },
      [](const caf::error&) {});
}

}  // namespace

void on_job_event(req_self* self, const job_event& ev) {
  auto& st = self->state;
  const auto* job = current_job(self);
  if (job == nullptr || job->job_id != ev.job_id)
    return;
  if (in(self, phase::writing) || in(self, phase::submitting)) {
    // Handled once the job is watched again. Ended events must not be lost; a newer event
    // replaces an older one.
    if (!st.deferred || !is_terminal(st.deferred->status) || is_terminal(ev.status))
      st.deferred = std::make_unique<job_event>(ev);
    return;
  }
  if (!in(self, phase::watching) && !in(self, phase::looking) && !in(self, phase::awaiting))
    return;  // gathering (a duplicate "completed"), paused (the step runs again), ended
  if (ev.status == job_status::unknown) {
    // Looked at after a restart, a pending request's first job may still wait for the claim that
    // creates it: it is awaited, until the coremachine's first-job deadline. Awaited, or any
    // other job: it is created (a crash came between naming and creating it).
    if (in(self, phase::looking))
      return watch(self, ev.job_id, true);
    return submit_step(self);
  }
  if (view_of(self).status == request_status::pending) {
    // The first sign of work: the request is processing from now on (stored first).
    const auto& steps = steps_of(self);
    auto next = view_of(self);
    next.status = request_status::processing;
    if (st.step < static_cast<int>(steps.size()))
      next.message = "running " + steps[static_cast<size_t>(st.step)].name;
    // The job exists now: it is watched plainly from here on.
    return persist(self, std::move(next), [self, ev] {
      if (enter(self, phase::watching))
        on_job_event(self, ev);
    });
  }
  auto job_type = job->job_type;
  update_job(self, ev.job_id, ev.status, ev.stage);
  switch (ev.status) {
    case job_status::completed:
      return step_done(self);
    case job_status::failed:
      return fail(self, ev.error_code.empty() ? "job_failed" : ev.error_code,
                  ev.error_message.empty() ? "job " + job_type + " failed" : ev.error_message);
    case job_status::cancelled:
      return cancelled(self, "job " + job_type + " was cancelled");
    default:
      refresh_progress(self, *current_job(self));
  }
}

namespace {

/// `known`: the snapshot's jobs when the caller has them (a request just created: step 0).
request_impl::behavior_type request_actor_fn(req_self* self,
                                             std::shared_ptr<const request_options> opts,
                                             request_row row,
                                             std::optional<std::vector<request_job>> known) {
  auto& st = self->state;
  st.opts = std::move(opts);
  bool fresh = known.has_value() && !known->empty();
  if (known) {
    st.step = 0;
    publish(self, gp::view_of(row, std::move(*known)));
  } else {
    auto snapshot = io::requests::decode_snapshot(row.snapshot_json);
    st.step = snapshot.step;
    publish(self, gp::view_of(row, std::move(snapshot.jobs)));
  }
  st.version = row.state_version;
  if (is_terminal(view_of(self).status))
    finish(self);  // stops it: the behaviour below never runs
  else if (fresh)
    watch(self, view_of(self).jobs.front().job_id, true);  // its first claim creates the job
  else
    self->send(self, step_atom_v);  // start (or resume where the snapshot stopped)
  return {
    // Begin or continue the current step.
    [=](step_atom) {
      if (in(self, phase::starting) || in(self, phase::paused))
        run_step(self);
    },
    // A failed write is tried again.
    [=](tick_atom) {
      if (in(self, phase::writing))
        send_write(self);
    },
    [=](job_event_atom, const job_event& ev) { on_job_event(self, ev); },
    [=](query_atom) { return view_of(self); },
    // The row was cancelled (and its jobs with it) by the registry: nothing left to do.
    [=](cancel_atom) {
      GP_LOG_INFO("request {}: cancelled", short_id(self));
      discard_outputs(self, true);
      enter(self, phase::ended);  // from any phase
      self->quit();
    },
  };
}

}  // namespace

}  // namespace gp::request_detail

namespace gp {

using request_detail::request_actor_fn;
using request_detail::req_self;

request_actor spawn_request(caf::actor_system& sys, std::shared_ptr<const request_options> opts,
                            const request_row& row) {
  return caf::actor_cast<request_actor>(sys.spawn(request_actor_fn, std::move(opts), row,
                                                  std::optional<std::vector<request_job>>{}));
}

request_actor spawn_request(caf::actor_system& sys, std::shared_ptr<const request_options> opts,
                            fresh_request fresh) {
  return caf::actor_cast<request_actor>(
    sys.spawn(request_actor_fn, std::move(opts), std::move(fresh.row),
              std::optional<std::vector<request_job>>{std::move(fresh.jobs)}));
}

}  // namespace gp
