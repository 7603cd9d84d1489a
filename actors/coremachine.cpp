#include "actors/coremachine.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/live_actor.hpp"
#include "actors/sizing.hpp"
#include "actors/task_worker.hpp"
#include "io/jobs/registry.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"

namespace gp {

using json = nlohmann::json;

persistence::stage_planner planner_for(const io::jobs::registry& reg) {
  return [&reg](const std::string& type, const std::string& params_json, int stage,
                const std::string& previous_json) {
    std::vector<persistence::new_task> out;
    const auto* job = reg.job(type);
    if (job == nullptr)
      return out;
    if (stage >= 1 && stage <= static_cast<int>(job->stages.size())) {
      // A single task that takes the job's parameters as they are (most first stages): no
      // parsing and printing them again.
      const auto& def = job->stages[static_cast<size_t>(stage - 1)];
      if (def.kind == io::jobs::stage_kind::single && !def.plan) {
        const auto* tt = reg.task(def.task_type);
        out.push_back({def.task_type, params_json, tt ? tt->max_attempts : 1});
        return out;
      }
    }
    auto planned = io::jobs::plan_stage(*job, stage, json::parse(params_json),
                                        json::parse(previous_json));
    for (auto& [task_type, params] : planned) {
      const auto* tt = reg.task(task_type);
      out.push_back({task_type, params.dump(), tt ? tt->max_attempts : 1});
    }
    return out;
  };
}

std::chrono::milliseconds retry_backoff(const engine_options& opts, int attempt, double jitter) {
  double full = static_cast<double>(opts.retry_base.count()) *
                std::pow(2.0, std::max(0, attempt - 1));
  full = std::min(full, static_cast<double>(opts.retry_max.count()));
  return std::chrono::milliseconds{static_cast<int64_t>(full * (0.5 + 0.5 * jitter))};
}

std::chrono::milliseconds max_duration_of(const engine_options& opts, const std::string& type) {
  auto i = opts.max_duration_by_type.find(type);
  return i == opts.max_duration_by_type.end() ? opts.max_duration : i->second;
}

namespace {

using namespace std::chrono_literals;

struct coremachine_state : live_actor<actor_kind::coremachine> {
  db_pool_actor pool;
  engine_options opts;
  const io::jobs::registry* reg = nullptr;
  lease_keeper_actor keeper;
  std::vector<task_worker_actor> workers;
  /// A job's watchers, and the refresh chain that looks it up now and then (see refreshes).
  struct watch {
    std::vector<job_watcher_actor> actors;
    uint64_t chain = 0;
    /// Watched fresh: the job may not exist yet (a request's first job waits for a claim).
    /// Refreshes that do not find it keep the watch, silently, and go on doubling their pauses,
    /// until this time (engine_options::first_job_deadline after the watch): the first refresh
    /// after it tells the watchers "unknown" and drops them (no claim made the job: they create
    /// it). The epoch (the default) for a watch that is not fresh.
    caf::actor_clock::time_point first_job_due{};
  };
  std::unordered_map<std::string, watch> watchers;
  /// The latest event of each job seen here, for fresh watches that arrive after it (bounded;
  /// oldest forgotten first).
  std::unordered_map<std::string, job_event> latest;
  std::deque<std::string> latest_order;
  /// Watched jobs to look up, and whether a look is in flight (looks are grouped).
  std::vector<std::string> looks;
  bool looking = false;
  /// Watched jobs due for a look in the database, one queue per refresh interval (30 s, 60 s,
  /// ... up to the maximum), each in the order it is due; one timer serves them all. An entry
  /// belongs to the chain its job's watch started; one of an older watch of the job (it ended
  /// and was watched again) is dropped when due.
  struct due_look {
    caf::actor_clock::time_point at;
    std::string job_id;
    uint64_t chain;
  };
  std::vector<std::deque<due_look>> refreshes;
  uint64_t chains = 0;
  bool refresh_armed = false;
  uint64_t submitted = 0;
  uint64_t finished = 0;
  static inline const char* name = "coremachine";
};

using core_self = caf::stateful_actor<coremachine_state, coremachine_impl::base>;

void poke_workers(core_self* self) {
  for (auto& w : self->state.workers)
    self->send(w, work_atom_v);
}

/// Tells the job's watchers; forgets them when the job ended. Every job's latest event is kept
/// (bounded) for fresh watches that arrive after it.
void notify(core_self* self, const job_event& ev) {
  auto& st = self->state;
  bool ended = is_terminal(ev.status);
  if (ended)
    ++st.finished;
  auto [at, added] = st.latest.emplace(ev.job_id, ev);
  if (added) {
    st.latest_order.push_back(ev.job_id);
    if (st.latest_order.size() > 20000) {
      st.latest.erase(st.latest_order.front());
      st.latest_order.pop_front();
    }
  } else if (!(is_terminal(at->second.status) && !ended)) {
    at->second = ev;
  }
  auto i = st.watchers.find(ev.job_id);
  if (i == st.watchers.end())
    return;
  for (auto& w : i->second.actors)
    self->send(w, job_event_atom_v, ev);
  if (ended)
    st.watchers.erase(i);
}

void look(core_self* self);

/// The refresh interval of queue `level`: watch_refresh · 2^level, capped.
std::chrono::milliseconds refresh_interval(const engine_options& opts, size_t level) {
  auto d = opts.watch_refresh;
  for (size_t i = 0; i < level && d < opts.watch_refresh_max; ++i)
    d *= 2;
  return std::min(d, opts.watch_refresh_max);
}

void arm_refresh(core_self* self) {
  auto& st = self->state;
  if (st.refresh_armed)
    return;
  auto next = caf::actor_clock::time_point::max();
  for (const auto& q : st.refreshes)
    if (!q.empty())
      next = std::min(next, q.front().at);
  if (next == caf::actor_clock::time_point::max())
    return;
  st.refresh_armed = true;
  // At most one timer event a second, whatever the number of watched jobs; and never later than
  // watch_refresh from now, the soonest a job watched meanwhile can be due (an armed timer is not
  // moved earlier).
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
    next - self->clock().now());
  auto tick = std::min<std::chrono::milliseconds>(1s, st.opts.watch_refresh);
  self->delayed_send(self, std::clamp(wait, tick, std::max(tick, st.opts.watch_refresh)),
                     refresh_atom_v);
}

/// Queues a refresh of the job at `level` (the caller arms the timer).
void schedule_refresh(core_self* self, std::string job_id, size_t level, uint64_t chain) {
  auto& st = self->state;
  if (st.refreshes.size() <= level)
    st.refreshes.resize(level + 1);
  st.refreshes[level].push_back(
    {self->clock().now() + refresh_interval(st.opts, level), std::move(job_id),
     chain});
}

/// Looks up the still watched jobs whose refresh is due and schedules their next one (twice as
/// late, up to the maximum).
void refresh_due(core_self* self) {
  auto& st = self->state;
  st.refresh_armed = false;
  auto now = self->clock().now();
  for (size_t level = 0; level < st.refreshes.size(); ++level) {
    auto next = refresh_interval(st.opts, level) < st.opts.watch_refresh_max ? level + 1 : level;
    while (!st.refreshes[level].empty() && st.refreshes[level].front().at <= now) {
      auto due = std::move(st.refreshes[level].front());
      st.refreshes[level].pop_front();
      auto w = st.watchers.find(due.job_id);
      if (w == st.watchers.end() || w->second.chain != due.chain)
        continue;  // ended (or dropped) since, maybe watched again (with its own chain)
      st.looks.push_back(due.job_id);
      schedule_refresh(self, std::move(due.job_id), next, due.chain);
    }
  }
  look(self);
  arm_refresh(self);
}

/// Adds a watcher once (a watcher that watches again, e.g. to have the job looked up, is not
/// told twice). A job's first watcher schedules its refreshes.
void add_watcher(core_self* self, const std::string& job_id, const job_watcher_actor& who) {
  auto& st = self->state;
  auto [at, added] = st.watchers.try_emplace(job_id);
  auto& list = at->second.actors;
  if (std::find(list.begin(), list.end(), who) == list.end())
    list.push_back(who);
  if (added) {
    at->second.chain = ++st.chains;
    schedule_refresh(self, job_id, 0, at->second.chain);
    arm_refresh(self);
  }
}

/// Looks up the jobs of new watches, all waiting ones in one query; one look in flight at a time.
void look(core_self* self) {
  auto& st = self->state;
  if (st.looking || st.looks.empty())
    return;
  st.looking = true;
  auto ids = std::make_shared<std::vector<std::string>>(std::move(st.looks));
  st.looks.clear();
  self->request(st.pool, 15s, db::job_states{*ids})
    .then(
      [=](const db::job_states::result& found) {
        self->state.looking = false;
        std::unordered_map<std::string, const persistence::job_state*> by_id;
        for (const auto& s : found.states)
          by_id.emplace(s.job_id, &s);
        for (const auto& id : *ids) {
          auto i = by_id.find(id);
          if (i == by_id.end()) {
            auto w = self->state.watchers.find(id);
            if (w == self->state.watchers.end())
              continue;
            // A new request's first job not made yet: its watchers wait until the deadline.
            if (self->clock().now() < w->second.first_job_due)
              continue;
            for (auto& a : w->second.actors)
              self->send(a, job_event_atom_v, job_event{id, job_status::unknown, 0, false, {}, {}});
            self->state.watchers.erase(w);
            continue;
          }
          const auto& s = *i->second;
          // Ended: the watchers hear the end. Running: they hear that (a request waiting for
          // its job to start learns it did, e.g. while it was being restarted).
          if (is_terminal(s.status) || s.status == job_status::processing)
            notify(self, job_event{id, s.status, s.stage, false, s.error_code, s.error_message});
        }
        look(self);
      },
      [=](const caf::error& err) {
        self->state.looking = false;
        GP_LOG_WARN("coremachine: cannot look up {} watched jobs: {}; trying again", ids->size(),
                    self->system().render(err));
        auto& looks = self->state.looks;
        looks.insert(looks.end(), ids->begin(), ids->end());
        self->delayed_send(self, 1s, tick_atom_v);
      });
}

caf::result<job_submission> submit(core_self* self, const std::string& type,
                                   const std::string& params_json, const std::string& request_id,
                                   const std::string& job_id = {}) {
  auto params = json::parse(params_json, nullptr, false);
  if (params.is_discarded())
    return caf::make_error(errc::invalid_input, std::string{"parameters are not valid JSON"});
  auto errors = io::jobs::validate_job(*self->state.reg, type, params);
  if (!errors.empty()) {
    std::string why;
    for (const auto& e : errors)
      why += (why.empty() ? "" : "; ") + e.field + ": " + e.message;
    return caf::make_error(errc::invalid_input, why);
  }
  persistence::new_job job;
  job.job_type = type;
  job.params_json = params.dump();
  job.job_id = job_id.empty() ? io::jobs::job_id_for(type, params) : job_id;
  job.total_stages = static_cast<int>(self->state.reg->job(type)->stages.size());
  job.platform_request_id = request_id;
  auto plan = planner_for(*self->state.reg);
  auto rp = self->make_response_promise<job_submission>();
  // A conflict: the job's request ended meanwhile.
  self->request(self->state.pool, 15s, db::create_job{std::move(job), std::move(plan)})
    .then(
      [=](const job_submission& s) mutable {
        if (s.created) {
          ++self->state.submitted;
          GP_LOG_INFO("coremachine: job {} ({}) created", s.job_id.substr(0, 12), type);
          poke_workers(self);
        }
        rp.deliver(s);
      },
      [=](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

coremachine_impl::behavior_type coremachine(core_self* self, db_pool_actor pool,
                                            engine_options opts, const io::jobs::registry* reg) {
  auto& st = self->state;
  st.pool = pool;
  st.opts = std::move(opts);
  st.reg = reg;
  st.watchers.reserve(reserved_live_requests);
  st.keeper = spawn_lease_keeper(self->system(), pool, st.opts);
  self->link_to(st.keeper);
  for (size_t i = 0; i < st.opts.workers; ++i) {
    auto w = spawn_task_worker(self->system(), caf::actor_cast<coremachine_actor>(self),
                               st.keeper, st.opts, *reg, i);
    self->link_to(w);
    st.workers.push_back(w);
  }
  GP_LOG_INFO("coremachine: node {} with {} task workers, lease {} ms", st.opts.node_id,
              st.opts.workers, st.opts.lease.count());
  return {
    // Creates a job (idempotent: the id is derived from type and parameters).
    [=](submit_atom, const std::string& type, const std::string& params_json,
        const std::string& request_id) { return submit(self, type, params_json, request_id); },
    // Creates a request's job under the id its request chose (one job per request and step).
    [=](submit_atom, const std::string& job_id, const std::string& type,
        const std::string& params_json, const std::string& request_id) {
      return submit(self, type, params_json, request_id, job_id);
    },
    // The sender wants the job's events. Not fresh: the job may have ended before the watch
    // arrived (or on another node), or may not exist (yet): one look in the database tells,
    // grouped with the looks of other watches. A job that does not exist is reported as
    // "unknown" (and the watch dropped): the watcher creates it, or waits for the claim that
    // will (a new request's first job), and watches again. Fresh: no database look now: a new
    // request's first job, which a claim creates (on this node its events arrive here; if it
    // already ended here its end is remembered), or one still waiting for that claim. The
    // refreshes look it up later, which is how a job run by another node's workers is seen.
    [=](watch_atom, const std::string& job_id, bool fresh) {
      auto sender = caf::actor_cast<job_watcher_actor>(self->current_sender());
      if (!sender)
        return;
      auto& st = self->state;
      if (auto i = st.latest.find(job_id); fresh && i != st.latest.end()) {
        self->send(sender, job_event_atom_v, i->second);
        if (is_terminal(i->second.status))
          return;
      }
      add_watcher(self, job_id, sender);
      if (fresh)
        st.watchers[job_id].first_job_due = self->clock().now() + st.opts.first_job_deadline;
      else {
        st.looks.push_back(job_id);
        look(self);
      }
    },
    // A worker recorded a task; a job may have moved or ended.
    [=](job_event_atom, const job_event& ev) {
      if (ev.advanced && ev.status == job_status::processing)
        poke_workers(self);
      notify(self, ev);
    },
    // Cancels a running job; its workers are told to stop by the lease keeper.
    [=](cancel_atom, const std::string& job_id) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      self->request(self->state.pool, 15s, db::cancel_job{job_id})
        .then(
          [=](bool cancelled) mutable {
            if (cancelled)
              notify(self, job_event{job_id, job_status::cancelled, 0, false, {}, {}});
            rp.deliver(cancelled);
          },
          [=](const caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    // Wake the workers.
    [=](work_atom) { poke_workers(self); },
    // Looks that failed are tried again.
    [=](tick_atom) { look(self); },
    // Watched jobs due for a look.
    [=](refresh_atom) { refresh_due(self); },
    // Workers, jobs created and ended here.
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"coremachine",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"node_id", st.opts.node_id},
                            {"workers", std::to_string(st.workers.size())},
                            {"jobs_created", std::to_string(st.submitted)},
                            {"end_events", std::to_string(st.finished)},
                            {"watched_jobs", std::to_string(st.watchers.size())}}};
    },
  };
}

}  // namespace

coremachine_actor spawn_coremachine(caf::actor_system& sys, db_pool_actor pool,
                                    engine_options opts, const io::jobs::registry& reg) {
  return caf::actor_cast<coremachine_actor>(
    sys.spawn(coremachine, std::move(pool), std::move(opts), &reg));
}

}  // namespace gp
