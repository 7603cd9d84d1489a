#include "actors/registry.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/coremachine.hpp"
#include "actors/db_pool.hpp"
#include "actors/node_metrics.hpp"
#include "actors/registry_state.hpp"
#include "actors/sizing.hpp"
#include "io/http/request_codec.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"

namespace gp {

namespace {

using namespace registry_detail;

constexpr size_t finals_limit = 20000;

void fill_eta(reg_self* self, request_view& v) {
  v.estimated_completion = self->state.board->estimated_completion(v);
}

/// Shows an ended request's final view on the board; beyond finals_limit the oldest ended ones
/// leave it (their rows answer for them).
void remember_final(reg_self* self, const request_view& v) {
  auto& st = self->state;
  st.board->publish(std::make_shared<const request_view>(v));
  st.finals_order.push_back(v.request_id);
  while (st.finals_order.size() > finals_limit) {
    auto id = std::move(st.finals_order.front());
    st.finals_order.pop_front();
    auto i = st.index.find(id);
    if (i == st.index.end() || is_terminal(i->second.status))
      st.board->erase(id);
  }
}

}  // namespace

namespace registry_detail {

namespace {

/// Queues an ended request without an actor to be forgotten once the index is full.
void forget_later(registry_state& st, const std::string& id, entry& e) {
  // An actor asked for (started) may not be reported yet: its request is not forgotten before
  // the actor stops (stopped_atom queues it then).
  if (e.forget_queued || e.actor || e.started || !is_terminal(e.status))
    return;
  e.forget_queued = true;
  st.forgettable.push_back(id);
}

/// Forgets up to two ended requests, oldest first, looking at eight queued ids at most. An id
/// whose request was retried or got an actor since it was queued is dropped from the queue (it
/// is queued again when it ends).
void forget_some(registry_state& st) {
  for (int forgot = 0, looked = 0; forgot < 2 && looked < 8 && !st.forgettable.empty(); ++looked) {
    auto id = std::move(st.forgettable.front());
    st.forgettable.pop_front();
    auto i = st.index.find(id);
    if (i == st.index.end())
      continue;
    i->second.forget_queued = false;
    if (!is_terminal(i->second.status) || i->second.actor || i->second.started)
      continue;
    st.board->erase(id);
    st.index.erase(i);
    ++st.forgotten;
    ++forgot;
  }
}

}  // namespace

entry& remember(reg_self* self, const request_row& row, const fingerprint_t& fp) {
  auto& st = self->state;
  // Live requests are never forgotten, so the limit is soft: with none ended, this costs nothing
  // (a scan of the index here once stalled the registry for seconds at 200 000 live requests).
  if (st.index.size() >= st.opts.index_limit)
    forget_some(st);
  auto& e = st.index[row.request_id];
  if (e.client_id.empty()) {
    ++st.pending;  // a new entry starts pending (set_status below moves it)
    e.client_id = row.client_id;
    e.fingerprint = fp;
    st.board->set_fingerprint(row.request_id, fp);
    e.request_type = row.request_type;
    e.created = io::http::epoch_of(row.created_at);
  }
  if (row.state_version >= e.version) {
    set_status(st, e, row.status);
    e.version = row.state_version;
  }
  forget_later(st, row.request_id, e);
  return e;
}

void start_actor(reg_self* self, entry& e, const request_row& row,
                 const std::vector<request_job>* fresh_jobs) {
  e.started = true;
  ++self->state.actors_started;
  if (fresh_jobs)
    self->send(self->state.supervisor, start_atom_v, fresh_request{row, *fresh_jobs});
  else
    self->send(self->state.supervisor, start_atom_v, row);
}

request_view view_with_eta(reg_self* self, const request_row& row,
                           const std::vector<request_job>* jobs) {
  auto v = jobs ? view_of(row, *jobs) : io::requests::view_of(row);
  fill_eta(self, v);
  return v;
}

}  // namespace registry_detail

namespace {

/// Reads a request's row; `then(row)` runs when it exists and belongs to `client` (or client is
/// empty); otherwise `rp` gets errc::not_found.
template <class Promise, class F>
void with_row(reg_self* self, const std::string& id, const std::string& client, Promise rp,
              F then) {
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout,
                db::find_request{id})
    .then(
      [=](const db::find_request::result& f) mutable {
        if (!f.row || (!client.empty() && f.row->client_id != client)) {
          rp.deliver(caf::make_error(errc::not_found, "no request " + id));
          return;
        }
        then(*f.row);
      },
      [=](const caf::error& err) mutable { rp.deliver(err); });
}

caf::typed_response_promise<request_view> query(reg_self* self, const std::string& id,
                                                const std::string& client) {
  auto& st = self->state;
  auto rp = self->make_response_promise<request_view>();
  auto not_found = [&] { rp.deliver(caf::make_error(errc::not_found, "no request " + id)); };
  auto i = st.index.find(id);
  if (i != st.index.end() && !client.empty() && i->second.client_id != client) {
    not_found();
    return rp;
  }
  if (auto f = st.board->find(id); f && f->view && is_terminal(f->view->status)) {
    if (!client.empty() && f->view->client_id != client) {
      not_found();
      return rp;
    }
    // An ended request's view is final, but for its callback_status, which moves with its
    // webhook's delivery: a request with a callback is read from its row (and stays on the
    // board as it is).
    if (f->view->callback_url.empty())
      rp.deliver(*f->view);
    else
      with_row(self, id, client, rp,
               [=](const request_row& row) mutable { rp.deliver(view_with_eta(self, row)); });
    return rp;
  }
  auto from_row = [=](const request_row& row) mutable {
    auto v = view_with_eta(self, row);
    if (is_terminal(v.status))
      remember_final(self, v);
    rp.deliver(v);
  };
  if (i != st.index.end() && i->second.actor) {
    self->request(i->second.actor, self->state.opts.db_timeout, query_atom_v)
      .then(
        [=](request_view v) mutable {
          fill_eta(self, v);
          rp.deliver(std::move(v));
        },
        // The actor stopped meanwhile: its row has the last word.
        [=](const caf::error&) mutable { with_row(self, id, client, rp, from_row); });
    return rp;
  }
  with_row(self, id, client, rp, from_row);
  return rp;
}

/// A submission that cannot be accepted as new (its source or callback fails the checks): if its
/// request exists, from the index or its row, it is answered as a repeat; else errc::not_found.
caf::typed_response_promise<submit_answer> known_repeat(reg_self* self,
                                                        const request_submission& sub) {
  auto rp = self->make_response_promise<submit_answer>();
  auto fp = digest(sub.fingerprint);
  // Known, or the same submission accepted a moment ago waits for its insert: answered with it.
  if (answer_from_memory(self, sub, fp, rp))
    return rp;
  with_row(self, sub.request_id, sub.client_id, rp, [=](const request_row& row) mutable {
    submit_answer answer;
    answer.outcome = digest(io::requests::stored_fingerprint(row)) == fp ? submit_answer::same
                                                                      : submit_answer::conflict;
    (answer.outcome == submit_answer::same ? self->state.repeats : self->state.conflicts)++;
    answer.view = view_with_eta(self, row);
    rp.deliver(std::move(answer));
  });
  return rp;
}

/// Runs a cancel or retry in the database after checking the request's owner and state.
template <class F>
caf::typed_response_promise<request_view> change(reg_self* self, const std::string& id,
                                                 const std::string& client, const char* allowed,
                                                 db::change_request::change_kind kind, F then) {
  auto rp = self->make_response_promise<request_view>();
  std::string allowed_states = allowed;
  using changed = db::change_request::result;
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout,
                db::change_request{id, client, kind})
    .then(
      [=](const changed& r) mutable {
        if (r.kind == changed::missing || !r.row) {
          rp.deliver(caf::make_error(errc::not_found, "no request " + id));
          return;
        }
        if (r.kind == changed::refused) {
          rp.deliver(caf::make_error(errc::conflict, "request " + id + " is " + std::string{name_of(r.row->status)} +
                                                       "; only " + allowed_states));
          return;
        }
        then(*r.row);
        rp.deliver(view_with_eta(self, *r.row));
      },
      [=](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

/// Loads live requests page by page and starts their actors; then the averages.
void rehydrate(reg_self* self, std::string after) {
  auto page = self->state.opts.rehydrate_page;
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout,
                db::live_requests{after, page})
    .then(
      [=](const db::live_requests::result& p) {
        auto& st = self->state;
        for (const auto& row : p.rows) {
          auto& e = remember(self, row, digest(io::requests::stored_fingerprint(row)));
          if (!e.started && !is_terminal(e.status))
            start_actor(self, e, row);
        }
        if (!p.rows.empty() && static_cast<int>(p.rows.size()) == page)
          return rehydrate(self, p.rows.back().request_id);
        for (const auto& [type, seconds] : p.averages) {
          st.averages[type] = average{seconds, 100};
          st.board->set_average(type, seconds);
        }
        st.rehydrated = true;
        GP_LOG_INFO("registry: {} live requests resumed", st.index.size());
      },
      [=](const caf::error& err) {
        GP_LOG_DEBUG("registry: cannot load live requests yet ({}); trying again",
                     self->system().render(err));
        self->delayed_send(self, std::chrono::seconds(1), resume_atom_v, after);
      });
}

registry_impl::behavior_type registry_fn(reg_self* self, registry_options opts,
                                         request_options request, supervisor_options sup) {
  auto& st = self->state;
  st.opts = std::move(opts);
  request.registry = caf::actor_cast<registry_actor>(self);
  if (!request.board)
    request.board = std::make_shared<status_board>();
  st.board = request.board;
  st.index.reserve(std::max(st.opts.index_limit, reserved_live_requests));
  st.request_opts = std::make_shared<request_options>(std::move(request));
  st.supervisor = st.opts.make_supervisor
                    ? st.opts.make_supervisor(self->system(), st.request_opts, sup)
                    : spawn_request_supervisor(self->system(), st.request_opts, sup);
  self->link_to(st.supervisor);
  // When the registry stops, its supervisor stops the request actors. The handle held here keeps
  // the supervisor reachable until it got the message (else it would end as "unreachable"
  // without running its exit handler, leaving the request actors, which re-arm their own timers,
  // running, and the actor system waiting for them for ever).
  self->attach_functor([sup = st.supervisor](const caf::error& reason) {
    static_cast<void>(reason);
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  });
  self->send(self, resume_atom_v, std::string{});
  return {
    [=](submit_atom, request_submission& sub) { return submit(self, sub); },
    [=](query_atom, const request_submission& sub) { return known_repeat(self, sub); },
    [=](query_atom, const std::string& id, const std::string& client) {
      return query(self, id, client);
    },
    [=](cancel_atom, const std::string& id, const std::string& client) {
      return change(
        self, id, client, "pending or processing requests can be cancelled",
        db::change_request::cancel,
        [=](const request_row& row) {
          std::optional<request_status> from;
          if (auto i = self->state.index.find(id); i != self->state.index.end())
            from = i->second.status;
          auto& e = remember(self, row, digest(io::requests::stored_fingerprint(row)));
          note_request_transition(io::requests::view_of(row), from);
          if (e.actor)
            self->send(e.actor, cancel_atom_v);
          // Their watchers (the actor, if it did not hear of the cancel yet) learn that its
          // jobs ended; the coremachine forgets them.
          for (const auto& j : io::requests::decode_snapshot(row.snapshot_json).jobs)
            self->send(self->state.request_opts->coremachine, job_event_atom_v,
                       job_event{j.job_id, job_status::cancelled, j.stage, false, {}, {}});
          remember_final(self, io::requests::view_of(row));
          GP_LOG_INFO("registry: request {} cancelled", id.substr(0, 12));
        });
    },
    [=](retry_atom, const std::string& id, const std::string& client) {
      return change(
        self, id, client, "failed requests can be retried",
        db::change_request::retry,
        [=](const request_row& row) {
          auto& e = remember(self, row, digest(io::requests::stored_fingerprint(row)));
          note_request_transition(io::requests::view_of(row), request_status::failed);
          // Polls see the re-opened request at once, before its actor publishes.
          self->state.board->publish(std::make_shared<const request_view>(io::requests::view_of(row)));
          start_actor(self, e, row);
          // Its reset tasks wait in the queue: wake the task workers.
          self->send(self->state.request_opts->coremachine, work_atom_v);
          GP_LOG_INFO("registry: request {} retried", id.substr(0, 12));
        });
    },
    [=](moved_atom, const std::string& id, request_status status, int64_t version) {
      if (auto i = self->state.index.find(id);
          i != self->state.index.end() && version >= i->second.version) {
        set_status(self->state, i->second, status);
        i->second.version = version;
        forget_later(self->state, id, i->second);
      }
    },
    [=](ended_atom, const request_view& v) {
      auto& st = self->state;
      if (auto i = st.index.find(v.request_id);
          i != st.index.end() && v.state_version >= i->second.version) {
        set_status(st, i->second, v.status);
        i->second.version = v.state_version;
        forget_later(st, v.request_id, i->second);
      }
      remember_final(self, v);
      // The event was written with the end (one transaction): deliver it now.
      if (st.opts.webhooks && !v.callback_url.empty())
        self->send(st.opts.webhooks, work_atom_v);
      if (v.status == request_status::completed) {
        auto took = io::http::epoch_of(v.completed_at) - io::http::epoch_of(v.created_at);
        auto& avg = st.averages[v.request_type];
        avg.samples = std::min(avg.samples + 1, 100);
        avg.seconds += (static_cast<double>(std::max<int64_t>(took, 0)) - avg.seconds) /
                       avg.samples;
        st.board->set_average(v.request_type, avg.seconds);
      }
    },
    [=](started_atom, const std::string& id, const request_actor& actor) {
      auto i = self->state.index.find(id);
      if (i == self->state.index.end()) {
        // Forgotten (it had ended, with no actor asked for): nothing for this actor to do.
        GP_LOG_WARN("registry: request {} is not known here; stopping its actor",
                    id.substr(0, 12));
        self->send_exit(actor, caf::exit_reason::user_shutdown);
        return;
      }
      auto& e = i->second;
      if (e.actor && e.actor != actor) {
        // Never expected (one start per request while its actor lives), but a second actor must
        // not run beside the first: it stops before doing anything.
        GP_LOG_WARN("registry: request {} already has an actor; stopping the second one",
                    id.substr(0, 12));
        self->send_exit(actor, caf::exit_reason::user_shutdown);
        return;
      }
      if (!e.actor)
        ++self->state.live_actors;
      e.actor = actor;
      e.started = true;
      // Ended before its actor was known here: it has nothing to do. Only a cancelled request's
      // actor is told to cancel (which removes its outputs); others just stop.
      if (e.status == request_status::cancelled)
        self->send(actor, cancel_atom_v);
      else if (is_terminal(e.status))
        self->send_exit(actor, caf::exit_reason::user_shutdown);
    },
    [=](stopped_atom, const std::string& id, const caf::actor_addr& addr) {
      auto i = self->state.index.find(id);
      if (i == self->state.index.end())
        return;
      if (!addr) {
        // A start asked for while the request's restart was pending; the restart started none
        // (the request had ended).
        if (!i->second.actor) {
          i->second.started = false;
          forget_later(self->state, id, i->second);
        }
        return;
      }
      if (i->second.actor.address() == addr) {
        i->second.actor = nullptr;
        --self->state.live_actors;
        i->second.started = false;
        forget_later(self->state, id, i->second);
      }
    },
    // Rehydration (retried until the database answers).
    [=](resume_atom, const std::string& after) { rehydrate(self, after); },
    [=](status_atom) {
      auto& st = self->state;
      status_report report{"registry",
                           st.rehydrated ? actor_state::running : actor_state::resuming,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"known_requests", std::to_string(st.index.size())},
                            {"live_actors", std::to_string(st.live_actors)},
                            {"created", std::to_string(st.created)},
                            {"repeats", std::to_string(st.repeats)},
                            {"conflicts", std::to_string(st.conflicts)},
                            {"insert_batches", std::to_string(st.batches)},
                            {"actors_started", std::to_string(st.actors_started)},
                            {"waiting_inserts", std::to_string(st.queue.size())},
                            {"forgotten_requests", std::to_string(st.forgotten)},
                            {"forget_queue", std::to_string(st.forgettable.size())}}};
      report.details["pending_requests"] = std::to_string(st.pending);
      report.details["processing_requests"] = std::to_string(st.processing);
      // What estimated completions are made of: the running average per request type, and over
      // every type (weighted by the requests each has seen).
      double total = 0;
      int samples = 0;
      for (const auto& [type, avg] : st.averages) {
        total += avg.seconds * avg.samples;
        samples += avg.samples;
      }
      report.details["average_processing_seconds"] =
        samples > 0 ? std::to_string(std::round(total / samples * 10) / 10) : std::string{};
      for (const auto& [type, avg] : st.averages)
        report.details["average_seconds_" + type] = std::to_string(std::lround(avg.seconds));
      return report;
    },
  };
}

}  // namespace

registry_actor spawn_registry(caf::actor_system& sys, registry_options opts,
                              request_options request, supervisor_options sup) {
  return caf::actor_cast<registry_actor>(
    sys.spawn(registry_fn, std::move(opts), std::move(request), sup));
}

}  // namespace gp
