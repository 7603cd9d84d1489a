#include "actors/registry.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/coremachine.hpp"
#include "actors/db_pool.hpp"
#include "io/crypto.hpp"
#include "io/http/request_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "persistence/requests.hpp"

namespace gp {

namespace {

struct inserted {
  std::vector<persistence::insert_outcome> outcomes;
};


/// The outcome of a cancel or retry done in the database.
struct changed_row {
  enum kind_t { missing, refused, changed } kind = missing;
  std::optional<request_row> row;
};

struct live_page {
  std::vector<request_row> rows;
  std::vector<std::pair<std::string, double>> averages;
};

}  // namespace

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::inserted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::changed_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::live_page)

namespace gp {

namespace {

using fingerprint_t = status_board::fingerprint_t;

fingerprint_t digest(const std::string& fingerprint) { return status_board::digest(fingerprint); }

/// What the registry remembers of a request (kept small: one per known request).
struct entry {
  std::string client_id;
  fingerprint_t fingerprint{};
  std::string status;
  /// The state_version `status` was read or reported at (older news is ignored).
  int64_t version = -1;
  std::string request_type;
  int64_t created = 0;
  /// The live actor on this node, once the supervisor reported it.
  caf::actor actor;
  /// A start was asked for and the actor has not stopped since.
  bool started = false;
};

/// Submissions waiting for an insert transaction, with everyone waiting on each.
struct waiting {
  /// The row and first job to insert, built when the submission arrives (not when its group
  /// leaves, which would hold up that group).
  persistence::new_request row;
  persistence::new_job first_job;
  fingerprint_t fingerprint{};
  std::vector<caf::response_promise> promises;
  /// The jobs its snapshot names once inserted (its first job), so the new row's view needs no
  /// decoding.
  std::vector<request_job> jobs;
};

struct average {
  double seconds = 0;
  int samples = 0;
};

struct registry_state {
  registry_options opts;
  std::shared_ptr<request_options> request_opts;
  persistence::stage_planner planner;
  request_supervisor_actor supervisor;
  std::unordered_map<std::string, entry> index;
  std::deque<waiting> queue;
  std::unordered_map<std::string, size_t> queued;  // request id → count in queue (coalescing)
  int inflight = 0;
  /// Ended requests shown on the board (a terminal status never changes), oldest removed first.
  std::deque<std::string> finals_order;
  std::map<std::string, average> averages;
  std::shared_ptr<status_board> board;
  bool rehydrated = false;
  uint64_t created = 0, repeats = 0, conflicts = 0, batches = 0, actors_started = 0;
  static inline const char* name = "registry";
};

using reg_self = caf::stateful_actor<registry_state>;

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

entry& remember(reg_self* self, const request_row& row, const fingerprint_t& fp) {
  auto& st = self->state;
  if (st.index.size() >= st.opts.index_limit) {
    // Forget ended requests first; their rows answer for them.
    for (auto i = st.index.begin(); i != st.index.end();)
      if (is_terminal(i->second.status) && !i->second.actor) {
        st.board->erase(i->first);
        i = st.index.erase(i);
      } else {
        ++i;
      }
  }
  auto& e = st.index[row.request_id];
  if (e.client_id.empty()) {
    e.client_id = row.client_id;
    e.fingerprint = fp;
    st.board->set_fingerprint(row.request_id, fp);
    e.request_type = row.request_type;
    e.created = io::http::epoch_of(row.created_at);
  }
  if (row.state_version >= e.version) {
    e.status = row.status;
    e.version = row.state_version;
  }
  return e;
}

/// `fresh_jobs`: the row and its first job (these jobs) were inserted by this node a moment ago.
void start_actor(reg_self* self, entry& e, const request_row& row,
                 const std::vector<request_job>* fresh_jobs = nullptr) {
  e.started = true;
  ++self->state.actors_started;
  if (fresh_jobs)
    self->send(self->state.supervisor, start_atom_v, fresh_request{row, *fresh_jobs});
  else
    self->send(self->state.supervisor, start_atom_v, row);
}

request_view view_with_eta(reg_self* self, const request_row& row,
                           const std::vector<request_job>* jobs = nullptr) {
  auto v = jobs ? io::http::view_of(row, *jobs) : io::http::view_of(row);
  fill_eta(self, v);
  return v;
}

void flush(reg_self* self);

void answer_batch(reg_self* self, std::vector<waiting>& batch, const inserted& res) {
  auto& st = self->state;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& w = batch[i];
    if (auto q = st.queued.find(w.row.request_id); q != st.queued.end() && --q->second == 0)
      st.queued.erase(q);
    const auto& out = res.outcomes.at(i);
    submit_answer answer;
    if (out.row.request_id.empty()) {
      for (auto& p : w.promises)
        p.deliver(caf::make_error(errc::database_unavailable,
                                  std::string{"the stored request could not be read; submit it "
                                              "again"}));
      continue;
    }
    auto stored_fp = out.created ? w.fingerprint : digest(io::http::stored_fingerprint(out.row));
    auto& e = remember(self, out.row, stored_fp);
    answer.view = view_with_eta(self, out.row, out.created ? &w.jobs : nullptr);
    if (out.created) {
      ++st.created;
      answer.outcome = submit_answer::created;
      // Another group with the same id may have found the committed row and answered first; it
      // started the actor then (which may even have ended the request since).
      if (!e.started && !is_terminal(e.status))
        start_actor(self, e, out.row, out.first_job_waiting ? &w.jobs : nullptr);
      GP_LOG_INFO("registry: request {} created ({} {}/{}/{})", out.row.request_id.substr(0, 12),
                  out.row.request_type, out.row.dataset_id, out.row.resource_id,
                  out.row.version_id);
    } else if (stored_fp == w.fingerprint) {
      ++st.repeats;
      answer.outcome = submit_answer::same;
    } else {
      ++st.conflicts;
      answer.outcome = submit_answer::conflict;
    }
    // A live row without an actor here: created by a transaction whose answer came too late
    // (the submitter got a 503) or has not come yet, or found while resuming. It gets its actor
    // now (once: `started` stays set until the actor stops).
    if (!out.created && !is_terminal(e.status) && !e.started && st.rehydrated)
      start_actor(self, e, out.row);
    // Identical submissions that shared this insert: the first one created the request, the
    // others repeat it.
    for (auto& p : w.promises) {
      p.deliver(answer);
      if (answer.outcome == submit_answer::created) {
        answer.outcome = submit_answer::same;
        ++st.repeats;
      }
    }
  }
}

/// Sends waiting submissions to the database in groups: one transaction, one commit each.
void flush(reg_self* self) {
  auto& st = self->state;
  // While a group is in flight, another starts only once enough submissions wait: two small
  // concurrent groups cost the database more per row than one larger group a moment later.
  while (st.inflight < st.opts.max_inflight_batches && !st.queue.empty() &&
         (st.inflight == 0 || st.queue.size() >= st.opts.min_concurrent_batch)) {
    auto batch = std::make_shared<std::vector<waiting>>();
    std::vector<persistence::new_request> rows;
    std::vector<persistence::new_job> jobs;
    std::set<std::string> ids;
    std::deque<waiting> later;  // the same id with another payload: the next group decides it
    while (!st.queue.empty() && batch->size() < st.opts.max_batch) {
      auto& w = st.queue.front();
      if (!ids.insert(w.row.request_id).second) {
        later.push_back(std::move(w));
        st.queue.pop_front();
        continue;
      }
      // Handed over to the insert; the id stays for the answer.
      rows.push_back(std::move(w.row));
      w.row.request_id = rows.back().request_id;
      jobs.push_back(std::move(w.first_job));
      batch->push_back(std::move(w));
      st.queue.pop_front();
    }
    for (auto i = later.rbegin(); i != later.rend(); ++i)
      st.queue.push_front(std::move(*i));
    ++st.inflight;
    ++st.batches;
    db_job insert = [rows = std::move(rows), jobs = std::move(jobs), plan = st.planner,
                     after = st.opts.after_insert](pqxx::connection& c) {
      inserted res{persistence::insert_requests(c, rows, jobs, plan)};
      if (after)
        after(std::any_of(res.outcomes.begin(), res.outcomes.end(),
                          [](const auto& o) { return o.created; }));
      return caf::make_message(std::move(res));
    };
    self->request(st.request_opts->pool, st.opts.db_timeout, db_run_atom_v,
                  std::move(insert))
      .then(
        [=](const inserted& res) {
          --self->state.inflight;
          // The next group leaves first: answering this one takes a while, and the database
          // would be idle meanwhile.
          flush(self);
          answer_batch(self, *batch, res);
          // New first jobs wait in the queue: wake the task workers.
          self->send(self->state.request_opts->coremachine, work_atom_v);
        },
        [=](const caf::error& err) {
          --self->state.inflight;
          GP_LOG_WARN("registry: {} submissions not stored: {}", batch->size(),
                      self->system().render(err));
          for (auto& w : *batch) {
            if (auto q = self->state.queued.find(w.row.request_id);
                q != self->state.queued.end() && --q->second == 0)
              self->state.queued.erase(q);
            for (auto& p : w.promises)
              p.deliver(err);
          }
          flush(self);
        });
  }
}

caf::response_promise submit(reg_self* self, request_submission& sub) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  auto fp = digest(sub.fingerprint);
  if (auto i = st.index.find(sub.request_id); i != st.index.end()) {
    auto& e = i->second;
    submit_answer answer;
    answer.outcome = e.fingerprint == fp ? submit_answer::same : submit_answer::conflict;
    (answer.outcome == submit_answer::same ? st.repeats : st.conflicts)++;
    auto& v = answer.view;
    v.request_id = sub.request_id;
    v.client_id = e.client_id;
    v.status = e.status;
    v.request_type = e.request_type;
    auto avg = st.board->average(e.request_type);
    if (!is_terminal(e.status) && avg > 0)
      v.estimated_completion = e.created + static_cast<int64_t>(std::ceil(avg));
    rp.deliver(answer);
    return rp;
  }
  // Identical submissions waiting for the same insert share it.
  if (st.queued.count(sub.request_id) > 0)
    for (auto& w : st.queue)
      if (w.row.request_id == sub.request_id && w.fingerprint == fp) {
        w.promises.push_back(rp);
        return rp;
      }
  ++st.queued[sub.request_id];
  waiting w;
  w.fingerprint = fp;
  w.promises.push_back(rp);
  std::string snapshot = "{}";  // first_job_of names the first job here, if there is one
  w.first_job = first_job_of(*st.request_opts, sub, snapshot);
  w.row = {std::move(sub.request_id),  std::move(sub.client_id),
           std::move(sub.dataset_id),  std::move(sub.resource_id),
           std::move(sub.version_id),  std::move(sub.request_type),
           std::move(sub.source_path), std::move(sub.processing_config_json),
           std::move(sub.callback_url), std::move(sub.client_request_id),
           st.opts.node_id,            std::move(snapshot)};
  if (const auto& j = w.first_job; !j.job_id.empty())
    w.jobs = {{j.job_id, j.job_type, "queued", 0, j.total_stages}};
  st.queue.push_back(std::move(w));
  flush(self);
  return rp;
}

/// Reads a request's row; `then(row)` runs when it exists and belongs to `client` (or client is
/// empty); otherwise `rp` gets errc::not_found.
template <class F>
void with_row(reg_self* self, const std::string& id, const std::string& client,
              caf::response_promise rp, F then) {
  db_job find = [id](pqxx::connection& c) {
    return caf::make_message(request_lookup{persistence::find_request(c, id)});
  };
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout, db_run_atom_v,
                std::move(find))
    .then(
      [=](const request_lookup& f) mutable {
        if (!f.row || (!client.empty() && f.row->client_id != client))
          return rp.deliver(caf::make_error(errc::not_found, "no request " + id));
        then(*f.row);
      },
      [=](const caf::error& err) mutable { rp.deliver(err); });
}

caf::response_promise query(reg_self* self, const std::string& id, const std::string& client) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  auto not_found = [&] { rp.deliver(caf::make_error(errc::not_found, "no request " + id)); };
  auto i = st.index.find(id);
  if (i != st.index.end() && !client.empty() && i->second.client_id != client) {
    not_found();
    return rp;
  }
  if (auto f = st.board->find(id); f && f->view && is_terminal(f->view->status)) {
    if (!client.empty() && f->view->client_id != client)
      not_found();
    else
      rp.deliver(*f->view);
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

/// Runs a cancel or retry in the database after checking the request's owner and state.
template <class Op, class F>
caf::response_promise change(reg_self* self, const std::string& id, const std::string& client,
                             const char* allowed, Op op, F then) {
  auto rp = self->make_response_promise();
  std::string allowed_states = allowed;
  db_job job = [id, client, allowed_states, op](pqxx::connection& c) {
    changed_row out;
    auto row = persistence::find_request(c, id);
    if (!row || (!client.empty() && row->client_id != client))
      return caf::make_message(out);
    auto result = op(c, id);
    out.kind = result.changed ? changed_row::changed : changed_row::refused;
    out.row = result.row ? result.row : row;
    return caf::make_message(out);
  };
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout, db_run_atom_v,
                std::move(job))
    .then(
      [=](const changed_row& r) mutable {
        if (r.kind == changed_row::missing || !r.row)
          return rp.deliver(caf::make_error(errc::not_found, "no request " + id));
        if (r.kind == changed_row::refused)
          return rp.deliver(caf::make_error(
            errc::conflict, "request " + id + " is " + r.row->status + "; only " +
                              allowed_states));
        then(*r.row);
        rp.deliver(view_with_eta(self, *r.row));
      },
      [=](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

/// Loads live requests page by page and starts their actors; then the averages.
void rehydrate(reg_self* self, std::string after) {
  auto page = self->state.opts.rehydrate_page;
  db_job load = [after, page](pqxx::connection& c) {
    live_page out;
    out.rows = persistence::live_requests(c, page, after);
    if (static_cast<int>(out.rows.size()) < page)
      out.averages = persistence::completion_averages(c);
    return caf::make_message(std::move(out));
  };
  self->request(self->state.request_opts->pool, self->state.opts.db_timeout, db_run_atom_v,
                std::move(load))
    .then(
      [=](const live_page& p) {
        auto& st = self->state;
        for (const auto& row : p.rows) {
          auto& e = remember(self, row, digest(io::http::stored_fingerprint(row)));
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
        self->delayed_send(self, std::chrono::seconds(1), tick_atom_v, after);
      });
}

caf::behavior registry_fn(reg_self* self, registry_options opts, request_options request,
                          supervisor_options sup) {
  auto& st = self->state;
  st.opts = std::move(opts);
  request.registry = caf::actor_cast<caf::actor>(self);
  if (!request.board)
    request.board = std::make_shared<status_board>();
  st.board = request.board;
  st.request_opts = std::make_shared<request_options>(std::move(request));
  if (st.request_opts->jobs != nullptr)
    st.planner = planner_for(*st.request_opts->jobs);
  st.supervisor = spawn_request_supervisor(self->system(), st.request_opts, sup);
  self->link_to(st.supervisor);
  // When the registry stops, its supervisor stops the request actors. The handle held here keeps
  // the supervisor reachable until it got the message (else it would end as "unreachable"
  // without running its exit handler, leaving the request actors, which re-arm their own timers,
  // running, and the actor system waiting for them for ever).
  self->attach_functor([sup = st.supervisor](const caf::error& reason) {
    static_cast<void>(reason);
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  });
  self->send(self, tick_atom_v, std::string{});
  return {
    [=](submit_atom, request_submission& sub) { return submit(self, sub); },
    [=](query_atom, const std::string& id, const std::string& client) {
      return query(self, id, client);
    },
    [=](cancel_atom, const std::string& id, const std::string& client) {
      return change(
        self, id, client, "pending or processing requests can be cancelled",
        [](pqxx::connection& c, const std::string& rid) {
          return persistence::cancel_request(c, rid);
        },
        [=](const request_row& row) {
          auto& e = remember(self, row, digest(io::http::stored_fingerprint(row)));
          if (e.actor)
            self->send(e.actor, cancel_atom_v);
          // Their watchers (the actor, if it did not hear of the cancel yet) learn that its
          // jobs ended; the coremachine forgets them.
          for (const auto& j : io::http::decode_snapshot(row.snapshot_json).jobs)
            self->send(self->state.request_opts->coremachine, job_event_atom_v,
                       job_event{j.job_id, "cancelled", j.stage, false, {}, {}});
          remember_final(self, io::http::view_of(row));
          GP_LOG_INFO("registry: request {} cancelled", id.substr(0, 12));
        });
    },
    [=](retry_atom, const std::string& id, const std::string& client) {
      return change(
        self, id, client, "failed requests can be retried",
        [](pqxx::connection& c, const std::string& rid) {
          return persistence::retry_request(c, rid);
        },
        [=](const request_row& row) {
          auto& e = remember(self, row, digest(io::http::stored_fingerprint(row)));
          // Polls see the re-opened request at once, before its actor publishes.
          self->state.board->publish(std::make_shared<const request_view>(io::http::view_of(row)));
          start_actor(self, e, row);
          // Its reset tasks wait in the queue: wake the task workers.
          self->send(self->state.request_opts->coremachine, work_atom_v);
          GP_LOG_INFO("registry: request {} retried", id.substr(0, 12));
        });
    },
    [=](moved_atom, const std::string& id, const std::string& status, int64_t version) {
      if (auto i = self->state.index.find(id);
          i != self->state.index.end() && version >= i->second.version) {
        i->second.status = status;
        i->second.version = version;
      }
    },
    [=](ended_atom, const request_view& v) {
      auto& st = self->state;
      if (auto i = st.index.find(v.request_id);
          i != st.index.end() && v.state_version >= i->second.version) {
        i->second.status = v.status;
        i->second.version = v.state_version;
      }
      remember_final(self, v);
      if (v.status == "completed") {
        auto took = io::http::epoch_of(v.completed_at) - io::http::epoch_of(v.created_at);
        auto& avg = st.averages[v.request_type];
        avg.samples = std::min(avg.samples + 1, 100);
        avg.seconds += (static_cast<double>(std::max<int64_t>(took, 0)) - avg.seconds) /
                       avg.samples;
        st.board->set_average(v.request_type, avg.seconds);
      }
    },
    [=](track_atom, const std::string& id, const caf::actor& actor) {
      auto& e = self->state.index[id];
      if (e.actor && e.actor != actor) {
        // Never expected (one start per request while its actor lives), but a second actor must
        // not run beside the first: it stops before doing anything.
        GP_LOG_WARN("registry: request {} already has an actor; stopping the second one",
                    id.substr(0, 12));
        self->send_exit(actor, caf::exit_reason::user_shutdown);
        return;
      }
      e.actor = actor;
      e.started = true;
      // Ended before its actor was known here: it has nothing to do. Only a cancelled request's
      // actor is told to cancel (which removes its outputs); others just stop.
      if (e.status == "cancelled")
        self->send(actor, cancel_atom_v);
      else if (is_terminal(e.status))
        self->send_exit(actor, caf::exit_reason::user_shutdown);
    },
    [=](untrack_atom, const std::string& id, const caf::actor_addr& addr) {
      if (auto i = self->state.index.find(id); i != self->state.index.end())
        if (i->second.actor.address() == addr) {
          i->second.actor = nullptr;
          i->second.started = false;
        }
    },
    // Rehydration (retried until the database answers).
    [=](tick_atom, const std::string& after) { rehydrate(self, after); },
    [=](status_atom) {
      auto& st = self->state;
      size_t live = 0;
      for (const auto& [_, e] : st.index)
        live += e.actor ? 1 : 0;
      return status_report{"registry",
                           st.rehydrated ? "running" : "resuming",
                           {{"known_requests", std::to_string(st.index.size())},
                            {"live_actors", std::to_string(live)},
                            {"created", std::to_string(st.created)},
                            {"repeats", std::to_string(st.repeats)},
                            {"conflicts", std::to_string(st.conflicts)},
                            {"insert_batches", std::to_string(st.batches)},
                            {"actors_started", std::to_string(st.actors_started)},
                            {"waiting_inserts", std::to_string(st.queue.size())}}};
    },
  };
}

}  // namespace

registry_actor spawn_registry(caf::actor_system& sys, registry_options opts,
                              request_options request, supervisor_options sup) {
  return sys.spawn(registry_fn, std::move(opts), std::move(request), sup);
}

}  // namespace gp
