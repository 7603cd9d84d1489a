#include "actors/request_supervisor.hpp"

#include <deque>
#include <optional>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/node_metrics.hpp"
#include "actors/sizing.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/requests.hpp"

namespace gp {

namespace {

using clock_type = std::chrono::steady_clock;

struct supervisor_state : live_actor<actor_kind::request_supervisor> {
  std::shared_ptr<const request_options> opts;
  supervisor_options sup;
  /// Live children: actor address → request id.
  std::unordered_map<caf::actor_addr, std::string> children;
  /// Recent abnormal stops per request (only requests that crashed).
  std::unordered_map<std::string, std::deque<clock_type::time_point>> crashes;
  /// Crashed requests whose restart (or failing) is pending, each with the newest row of a start
  /// the registry asked for meanwhile. Such a request is this supervisor's to start: the registry,
  /// told that its actor stopped, may ask (resuming, finding its row live, or retrying it), and a
  /// start then would skip the restart's pause and later meet the restart's own actor.
  std::unordered_map<std::string, std::optional<request_row>> pending;
  uint64_t started = 0;
  uint64_t restarted = 0;
  uint64_t given_up = 0;
  static inline const char* name = "request_supervisor";
};

using sup_self = caf::stateful_actor<supervisor_state, request_supervisor_impl::base>;

/// Tells the registry of an actor that started or stopped (after report_delay in tests).
template <class... Ts>
void report(sup_self* self, const Ts&... xs) {
  const auto& st = self->state;
  if (st.sup.report_delay.count() > 0)
    self->delayed_send(st.opts->registry, st.sup.report_delay, xs...);
  else
    self->send(st.opts->registry, xs...);
}

void adopt(sup_self* self, const request_actor& actor, const std::string& request_id) {
  auto& st = self->state;
  self->monitor(actor);
  st.children.emplace(actor.address(), request_id);
  ++st.started;
  report(self, started_atom_v, request_id, actor);
}

/// A new actor for the stored row (the injected maker's, if any).
request_actor make_actor(sup_self* self, const request_row& row) {
  const auto& st = self->state;
  if (st.sup.make_actor)
    return st.sup.make_actor(self->system(), st.opts, fresh_request{row, {}}, false);
  return spawn_request(self->system(), st.opts, row);
}

/// A new actor for a request this node just inserted (the injected maker's, if any).
request_actor make_actor(sup_self* self, fresh_request fresh) {
  const auto& st = self->state;
  if (st.sup.make_actor)
    return st.sup.make_actor(self->system(), st.opts, std::move(fresh), true);
  return spawn_request(self->system(), st.opts, std::move(fresh));
}

void start(sup_self* self, const request_row& row) {
  adopt(self, make_actor(self, row), row.request_id);
}

/// A pending restart ended without an actor: the row it found (`seen`) had ended, or was failed
/// here. A start the registry asked for meanwhile with a newer live row (a retry reopened the
/// request after that) starts from it; otherwise the registry is told that no actor will come (an
/// untrack without an actor), so it does not wait for one.
void drop_pending(sup_self* self, const std::string& id, const std::optional<request_row>& seen) {
  auto& st = self->state;
  auto p = st.pending.find(id);
  if (p == st.pending.end())
    return;
  auto asked = std::move(p->second);
  st.pending.erase(p);
  if (!asked)
    return;
  if (!is_terminal(asked->status) && (!seen || asked->state_version > seen->state_version))
    return start(self, *asked);
  report(self, stopped_atom_v, id, caf::actor_addr{});
}

/// Reads the row again and starts its actor from that snapshot.
void restart(sup_self* self, const std::string& id) {
  auto& st = self->state;
  self->request(st.opts->pool, st.opts->db_timeout, db::find_request{id})
    .then(
      [=](const db::find_request::result& found) {
        auto& st = self->state;
        if (!found.row || is_terminal(found.row->status)) {
          st.crashes.erase(id);
          // Ended by someone else meanwhile: the registry's index learns it as from an actor.
          if (found.row)
            self->send(st.opts->registry, moved_atom_v, id, found.row->status,
                       found.row->state_version);
          drop_pending(self, id, found.row);
          return;
        }
        // A start the registry asked for meanwhile may carry a newer row than this read.
        auto row = *found.row;
        if (auto p = st.pending.find(id); p != st.pending.end()) {
          if (p->second && p->second->state_version > row.state_version)
            row = *p->second;
          st.pending.erase(p);
        }
        ++st.restarted;
        GP_LOG_INFO("request_supervisor: restarting request {} from its snapshot",
                    id.substr(0, 12));
        start(self, row);
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request_supervisor: cannot read request {} ({}); trying again",
                    id.substr(0, 12), self->system().render(err));
        self->delayed_send(self, self->state.sup.restart_backoff * 5, restart_atom_v, id);
      });
}

/// Too many crashes: the request fails (a fenced write over whatever version the row has).
void give_up(sup_self* self, const std::string& id, size_t crashes) {
  auto& st = self->state;
  ++st.given_up;
  auto message = "the request's actor failed " + std::to_string(crashes) + " times within " +
                 std::to_string(st.sup.restart_window.count() / 1000) +
                 " s; it was stopped to protect the node (retry it once the cause is fixed)";
  GP_LOG_ERROR("request_supervisor: request {}: {}", id.substr(0, 12), message);
  self->request(st.opts->pool, st.opts->db_timeout,
                db::fail_request{id, "request_actor_crashed", message})
    .then(
      [=](const db::find_request::result& found) {
        self->state.crashes.erase(id);
        if (found.row && found.row->status == request_status::failed &&
            found.row->error_code == "request_actor_crashed")
          note_request_transition(io::requests::view_of(*found.row), std::nullopt);
        if (found.row)
          self->send(self->state.opts->registry, ended_atom_v, io::requests::view_of(*found.row));
        drop_pending(self, id, found.row);
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request_supervisor: cannot fail request {} ({}); trying again",
                    id.substr(0, 12), self->system().render(err));
        self->delayed_send(self, self->state.sup.restart_backoff * 5, restart_atom_v, id);
      });
}

void on_down(sup_self* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.children.find(dm.source);
  if (i == st.children.end())
    return;
  auto id = std::move(i->second);
  st.children.erase(i);
  report(self, stopped_atom_v, id, dm.source);
  if (!dm.reason || dm.reason == caf::exit_reason::user_shutdown ||
      dm.reason == caf::exit_reason::normal) {
    st.crashes.erase(id);
    return;
  }
  auto now = clock_type::now();
  auto& times = st.crashes[id];
  times.push_back(now);
  while (!times.empty() && now - times.front() > st.sup.restart_window)
    times.pop_front();
  GP_LOG_WARN("request_supervisor: request {} actor died ({}), crash {} in the window",
              id.substr(0, 12), self->system().render(dm.reason), times.size());
  st.pending.emplace(id, std::nullopt);
  if (static_cast<int>(times.size()) > st.sup.max_restarts)
    return give_up(self, id, times.size());
  auto pause = st.sup.restart_backoff * (1 << std::min<size_t>(times.size() - 1, 10));
  self->delayed_send(self, pause, restart_atom_v, id);
}

request_supervisor_impl::behavior_type supervisor(sup_self* self,
                                                  std::shared_ptr<const request_options> opts,
                                                  supervisor_options sup) {
  self->state.opts = std::move(opts);
  self->state.sup = sup;
  self->state.children.reserve(reserved_live_requests);
  self->set_down_handler([=](const caf::down_msg& dm) { on_down(self, dm); });
  // Children are monitored, not linked (a crash must not take the supervisor down); when the
  // registry it is linked to stops, they stop with it.
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    GP_LOG_DEBUG("request_supervisor: stopping with {} request actors",
                 self->state.children.size());
    for (const auto& [addr, _] : self->state.children)
      if (auto a = caf::actor_cast<caf::actor>(addr))
        self->send_exit(a, caf::exit_reason::user_shutdown);
    self->state.children.clear();
    self->quit(msg.reason);
  });
  return {
    [=](start_atom, const request_row& row) {
      // A crashed request's restart is pending: it starts the actor, after its pause.
      if (auto p = self->state.pending.find(row.request_id); p != self->state.pending.end()) {
        if (!p->second || row.state_version >= p->second->state_version)
          p->second = row;
        return;
      }
      start(self, row);
    },
    // A request the registry created a moment ago (its first job is created by a claim).
    [=](start_atom, fresh_request& fresh) {
      auto id = fresh.row.request_id;
      adopt(self, make_actor(self, std::move(fresh)), id);
    },
    // A restart that is due (or a retried read).
    [=](restart_atom, const std::string& id) {
      auto& crashes = self->state.crashes;
      auto i = crashes.find(id);
      size_t n = i == crashes.end() ? 0 : i->second.size();
      if (n > static_cast<size_t>(self->state.sup.max_restarts))
        return give_up(self, id, n);
      restart(self, id);
    },
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"request_supervisor",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"live_requests", std::to_string(st.children.size())},
                            {"started", std::to_string(st.started)},
                            {"restarted", std::to_string(st.restarted)},
                            {"given_up", std::to_string(st.given_up)}}};
    },
  };
}

}  // namespace

request_supervisor_actor spawn_request_supervisor(caf::actor_system& sys,
                                                  std::shared_ptr<const request_options> opts,
                                                  supervisor_options sup) {
  return caf::actor_cast<request_supervisor_actor>(sys.spawn(supervisor, std::move(opts), sup));
}

}  // namespace gp
