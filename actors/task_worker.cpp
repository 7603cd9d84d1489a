#include "actors/task_worker.hpp"

#include <algorithm>
#include <random>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/node_metrics.hpp"
#include "io/jobs/registry.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct worker_state : live_actor<actor_kind::task_worker> {
  std::unique_ptr<persistence::db_session> db;
  engine_options opts;
  const io::jobs::registry* reg = nullptr;
  persistence::stage_planner plan;
  /// The job types this node's library knows (it plans deferred first tasks of those only).
  std::vector<std::string> job_types;
  coremachine_actor coremachine;
  lease_keeper_actor keeper;
  /// Bumped by every hint of new work, so that older poll timers are ignored.
  uint64_t generation = 0;
  std::chrono::milliseconds idle{10};
  std::mt19937 rng{std::random_device{}()};
  uint64_t ran = 0;
  static inline const char* name = "task_worker";
};

using worker_self = caf::stateful_actor<worker_state, task_worker_impl::base>;

/// What running a handler produced.
struct run_result {
  bool ok = false;
  std::string result_json;
  bool permanent = false;
  std::string code;
  std::string message;
};

run_result run_handler(worker_self* self, const persistence::claimed_task& t,
                       const running_task& rt) {
  run_result r;
  const auto* type = self->state.reg->task(t.task_type);
  if (type == nullptr) {
    r.permanent = true;
    r.code = "unknown_task_type";
    r.message = "no handler for task type " + t.task_type;
    return r;
  }
  try {
    auto params = json::parse(t.params_json);
    io::jobs::task_context ctx{params, t.attempt, *rt.stop, self->state.opts.env};
    r.result_json = type->handler(ctx).dump(-1, ' ', false, json::error_handler_t::replace);
    if (r.result_json.find("\\u0000") != std::string::npos)
      throw io::jobs::task_failure(true, "invalid_result",
                                   "the handler's result contains \\u0000, which jsonb refuses");
    r.ok = true;
  } catch (const io::jobs::task_failure& e) {
    r.permanent = e.permanent;
    r.code = e.code;
    r.message = e.what();
  } catch (const std::exception& e) {
    r.code = "handler_error";
    r.message = e.what();
  }
  if (!r.ok && rt.stop->load() && std::chrono::steady_clock::now() >= rt.deadline) {
    r.code = "timeout";
    r.message = "stopped after its maximum duration of " +
                std::to_string(max_duration_of(self->state.opts, t.task_type).count()) + " ms";
  }
  return r;
}

/// Tells the coremachine what recording a task did to its job.
void report(worker_self* self, const persistence::claimed_task& t,
            const persistence::task_outcome& outcome) {
  job_event ev{t.job_id, outcome.job_status, outcome.job_stage, outcome.advanced, {}, {}};
  // A failed job's cause is the one stored with it (the failing task's own code and message),
  // also in the report of a task recorded after it, a success or a late failure.
  if (outcome.job_status == job_status::failed) {
    ev.error_code = outcome.job_error_code;
    ev.error_message = outcome.job_error_message;
  }
  self->send(self->state.coremachine, job_event_atom_v, std::move(ev));
}

/// Runs one claimed task's handler (or refuses a task re-claimed too often). `stop` is the flag
/// the keeper has known since the claim, so a stop asked while the task waited is not lost.
run_result execute(worker_self* self, const persistence::claimed_task& t,
                   const std::shared_ptr<std::atomic<bool>>& stop) {
  auto& st = self->state;
  if (t.attempt > t.max_attempts) {
    // The task's earlier workers vanished without recording anything (crashed nodes).
    run_result r;
    r.permanent = true;
    r.code = "attempts_exhausted";
    r.message = "the task was claimed " + std::to_string(t.attempt - 1) +
                " times without finishing";
    return r;
  }
  // Tracked since its claim (its lease is renewed while it waits in the batch); the keeper
  // learns the real deadline and stop flag now that it starts.
  running_task rt{t.task_id, t.attempt, t.task_type, stop,
                  std::chrono::steady_clock::now() + max_duration_of(st.opts, t.task_type)};
  self->send(st.keeper, track_atom_v, rt);
  if (stop->load()) {
    run_result r;
    r.code = "stopped";
    r.message = "asked to stop before it started";
    return r;
  }
  auto& metrics = node_metrics::get();
  if (t.attempt > 1)
    metrics.task_retried(t.task_type);
  auto started = std::chrono::steady_clock::now();
  auto r = run_handler(self, t, rt);
  metrics.task_ended(
    t.task_type, r.ok,
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ++st.ran;
  return r;
}

/// Records a failure at once (retry or job failure).
void record_failure(worker_self* self, const persistence::claimed_task& t, const run_result& r) {
  auto& st = self->state;
  auto backoff =
    retry_backoff(st.opts, t.attempt, std::uniform_real_distribution<double>{0, 1}(st.rng));
  auto outcome = persistence::execute(
    *st.db, db::fail_task{t, st.opts.node_id, r.permanent, r.code, r.message, backoff});
  self->send(st.keeper, untrack_atom_v, t.task_id, t.attempt);
  GP_LOG_INFO("task {} ({} of job {}) failed on attempt {}: [{}] {}", t.task_id, t.task_type,
              t.job_id.substr(0, 12), t.attempt, r.code, r.message);
  if (!outcome)
    GP_LOG_WARN("task {}: recording the failure failed: {}; its lease will lapse", t.task_id,
                self->system().render(outcome.error()));
  else if (outcome->recorded)
    report(self, t, *outcome);
}

/// Records the successes of a batch in one transaction and reports each job once.
void record_successes(worker_self* self,
                      const std::vector<std::pair<persistence::claimed_task, std::string>>& done) {
  if (done.empty())
    return;
  auto& st = self->state;
  auto outcomes = persistence::execute(*st.db, db::complete_tasks{done, st.opts.node_id, st.plan});
  for (const auto& [t, _] : done)
    self->send(st.keeper, untrack_atom_v, t.task_id, t.attempt);
  if (!outcomes) {
    // The leases will lapse and the tasks run again elsewhere: handlers are idempotent.
    GP_LOG_WARN("recording {} completed tasks failed: {}", done.size(),
                self->system().render(outcomes.error()));
    return;
  }
  std::vector<std::string> reported;
  for (size_t i = 0; i < done.size(); ++i) {
    const auto& t = done[i].first;
    if (!(*outcomes)[i].recorded) {
      GP_LOG_WARN("task {}: the lease was lost before the outcome was recorded", t.task_id);
      continue;
    }
    if (std::find(reported.begin(), reported.end(), t.job_id) != reported.end())
      continue;
    reported.push_back(t.job_id);
    report(self, t, (*outcomes)[i]);
  }
}

/// Hands unstarted (or shutdown-stopped) tasks back to the queue.
void release(worker_self* self, const std::vector<persistence::claimed_task>& tasks) {
  auto& st = self->state;
  auto ok = persistence::execute(*st.db, db::release_tasks{st.opts.node_id, tasks});
  if (!ok)
    GP_LOG_WARN("handing back {} tasks failed: {}; their leases will lapse", tasks.size(),
                self->system().render(ok.error()));
  for (const auto& t : tasks)
    self->send(st.keeper, untrack_atom_v, t.task_id, t.attempt);
}

/// Claims and runs one batch; schedules the next look.
void poll(worker_self* self) {
  auto& st = self->state;
  auto res = persistence::execute(*st.db, db::claim_tasks{st.opts.node_id, st.opts.claim_batch,
                                                           st.opts.lease, st.plan, st.job_types,
                                                           st.opts.first_jobs});
  auto look_again_later = [&] {
    self->delayed_send(self, st.idle, claim_atom_v, st.generation);
    st.idle = std::min(st.idle * 2, st.opts.idle_poll_max);
  };
  if (!res) {
    GP_LOG_WARN("task_worker: claiming failed: {}", self->system().render(res.error()));
    return look_again_later();
  }
  auto& claimed = res->claimed;
  // Jobs that ended as the claim planned them (no task will report them): their watchers hear
  // it now.
  for (auto& j : res->ended)
    self->send(st.coremachine, job_event_atom_v,
               job_event{std::move(j.job_id), std::move(j.status), j.stage, false,
                         std::move(j.error_code), std::move(j.error_message)});
  if (claimed.empty()) {
    // A claim that only ended jobs (as it created or planned them) may have left more to do.
    if (!res->ended.empty())
      return self->send(self, claim_atom_v, st.generation);
    return look_again_later();
  }
  st.idle = 10ms;
  // A task waiting in the batch is due to start by the time every task before it used its whole
  // maximum duration. Past that (a handler ignores its stop flag) it is stopped and, a lease
  // later, no longer renewed, so another worker can take it.
  std::vector<std::shared_ptr<std::atomic<bool>>> stops;
  auto due = std::chrono::steady_clock::now();
  for (const auto& t : claimed) {
    due += max_duration_of(st.opts, t.task_type);
    stops.push_back(std::make_shared<std::atomic<bool>>(false));
    self->send(st.keeper, track_atom_v,
               running_task{t.task_id, t.attempt, t.task_type, stops.back(), due});
    // A stage's first task starting for the first time: its job's watchers learn that work began
    // (a request leaves "pending"), without an event per task.
    if (t.task_index == 0 && t.attempt == 1)
      self->send(st.coremachine, job_event_atom_v,
                 job_event{t.job_id, job_status::processing, t.stage, false, {}, {}});
  }
  std::vector<std::pair<persistence::claimed_task, std::string>> done;
  for (size_t i = 0; i < claimed.size(); ++i) {
    const auto& t = claimed[i];
    if (st.opts.stopping->load()) {
      release(self, {claimed.begin() + static_cast<long>(i), claimed.end()});
      break;
    }
    auto r = execute(self, t, stops[i]);
    if (r.ok) {
      // Renewed without a deadline until the batch's successes are recorded.
      self->send(st.keeper, track_atom_v,
                 running_task{t.task_id, t.attempt, t.task_type, stops[i],
                              std::chrono::steady_clock::time_point::max()});
      done.emplace_back(t, std::move(r.result_json));
    }
    else if (st.opts.stopping->load() && r.code == "stopped")
      release(self, {t});  // stopped by the shutdown: no attempt is spent
    else
      record_failure(self, t, r);
  }
  record_successes(self, done);
  if (st.opts.stopping->load())
    return;
  // Look again at once, through the mailbox so that exits and hints are not starved.
  self->send(self, claim_atom_v, st.generation);
}

task_worker_impl::behavior_type task_worker(worker_self* self, coremachine_actor coremachine,
                                            lease_keeper_actor keeper, engine_options opts,
                                            const io::jobs::registry* reg, size_t index) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.opts.db.application_name = "geoplatform-worker-" + std::to_string(index);
  st.db = std::make_unique<persistence::db_session>(st.opts.db);
  st.reg = reg;
  st.plan = planner_for(*reg);
  st.job_types = reg->job_types();
  st.coremachine = std::move(coremachine);
  st.keeper = std::move(keeper);
  self->send(self, claim_atom_v, st.generation);
  return {
    // The worker's own poll (ignored when a newer hint already started another cycle).
    [=](claim_atom, uint64_t generation) {
      if (generation == self->state.generation && !self->state.opts.stopping->load())
        poll(self);
    },
    // New tasks may be waiting.
    [=](work_atom) {
      if (self->state.opts.stopping->load())
        return;
      ++self->state.generation;
      self->state.idle = 10ms;
      poll(self);
    },
  };
}

struct keeper_state : live_actor<actor_kind::lease_keeper> {
  db_pool_actor pool;
  engine_options opts;
  std::map<int64_t, running_task> running;
  uint64_t renewals = 0;
  static inline const char* name = "lease_keeper";
};

using keeper_self = caf::stateful_actor<keeper_state, lease_keeper_impl::base>;

std::chrono::milliseconds tick_of(const engine_options& opts) {
  return std::min<std::chrono::milliseconds>(opts.lease / 3, 500ms);
}

void stop_task(keeper_self* self, int64_t task_id, const char* why) {
  auto i = self->state.running.find(task_id);
  if (i != self->state.running.end() && !i->second.stop->exchange(true))
    GP_LOG_INFO("lease_keeper: asking task {} to stop: {}", task_id, why);
}

void keeper_tick(keeper_self* self) {
  auto& st = self->state;
  self->delayed_send(self, tick_of(st.opts), tick_atom_v);
  if (st.running.empty())
    return;
  auto now = std::chrono::steady_clock::now();
  std::vector<persistence::held_claim> claims;
  for (auto& [id, rt] : st.running) {
    if (now >= rt.deadline)
      stop_task(self, id, "past its maximum duration");
    if (rt.deadline == std::chrono::steady_clock::time_point::max() ||
        now < rt.deadline + st.opts.lease)
      claims.push_back({id, rt.attempt});
  }
  auto owner = st.opts.node_id;
  auto lease = st.opts.lease;
  ++st.renewals;
  self->request(st.pool, st.opts.lease / 2, db::renew_leases{owner, claims, lease})
    .then(
      [=](const persistence::renewal& r) {
        for (auto id : r.job_stopped)
          stop_task(self, id, "its job is no longer running");
        for (const auto& h : claims) {
          auto i = self->state.running.find(h.task_id);
          bool still_here = i != self->state.running.end() && i->second.attempt == h.attempt;
          // A task finished since the renewal left is simply no longer renewable.
          if (still_here &&
              std::find(r.renewed.begin(), r.renewed.end(), h.task_id) == r.renewed.end())
            stop_task(self, h.task_id, "its claim was lost to another worker");
        }
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("lease_keeper: renewing {} leases failed: {}", claims.size(),
                    self->system().render(err));
      });
}

lease_keeper_impl::behavior_type lease_keeper(keeper_self* self, db_pool_actor pool,
                                              engine_options opts) {
  self->state.pool = std::move(pool);
  self->state.opts = std::move(opts);
  self->delayed_send(self, tick_of(self->state.opts), tick_atom_v);
  // The node is stopping: ask every running handler to stop so the workers can exit. Their tasks
  // are retried (here or on another node) like any transient failure.
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    self->state.opts.stopping->store(true);
    for (auto& [id, rt] : self->state.running)
      stop_task(self, id, "the node is shutting down");
    self->quit(msg.reason);
  });
  return {
    // A task started on this node.
    [=](track_atom, running_task& rt) {
      auto i = self->state.running.find(rt.task_id);
      // An older claim of a task this node re-claimed must not displace the newer one.
      if (i != self->state.running.end() && i->second.attempt > rt.attempt)
        return;
      self->state.running[rt.task_id] = std::move(rt);
    },
    // A task ended on this node.
    [=](untrack_atom, int64_t task_id, int attempt) {
      auto i = self->state.running.find(task_id);
      if (i != self->state.running.end() && i->second.attempt == attempt)
        self->state.running.erase(i);
    },
    // Renew, and stop what must stop.
    [=](tick_atom) { keeper_tick(self); },
    // Tasks tracked and renewal rounds so far.
    [=](status_atom) {
      return status_report{"lease_keeper",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"running_tasks", std::to_string(self->state.running.size())},
                            {"renewals", std::to_string(self->state.renewals)}}};
    },
  };
}

}  // namespace

task_worker_actor spawn_task_worker(caf::actor_system& sys, coremachine_actor coremachine,
                                    lease_keeper_actor keeper, const engine_options& opts,
                                    const io::jobs::registry& reg, size_t index) {
  return caf::actor_cast<task_worker_actor>(sys.spawn<caf::detached>(
    task_worker, std::move(coremachine), std::move(keeper), opts, &reg, index));
}

lease_keeper_actor spawn_lease_keeper(caf::actor_system& sys, db_pool_actor pool,
                                      const engine_options& opts) {
  return caf::actor_cast<lease_keeper_actor>(sys.spawn(lease_keeper, std::move(pool), opts));
}

}  // namespace gp
