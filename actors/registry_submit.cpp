// The registry's submission path: new submissions wait in a queue and are inserted in groups,
// one statement and one commit each; the answers start the new requests' actors.
#include "actors/registry_state.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <set>

#include "actors/coremachine.hpp"
#include "actors/db_pool.hpp"
#include "io/http/request_codec.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/jobs.hpp"

namespace gp::registry_detail {

namespace {

void flush(reg_self* self);

/// A waiting submission's group was answered: it no longer waits.
void unqueue(registry_state& st, const std::string& id) {
  if (auto q = st.queued.find(id); q != st.queued.end() && --q->second == 0)
    st.queued.erase(q);
}

void answer_batch(reg_self* self, std::vector<waiting>& batch, const inserted& res) {
  auto& st = self->state;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& w = batch[i];
    unqueue(st, w.row.request_id);
    const auto& out = res.outcomes.at(i);
    submit_answer answer;
    if (out.row.request_id.empty()) {
      for (auto& p : w.promises)
        p.deliver(caf::make_error(errc::database_unavailable,
                                  std::string{"the stored request could not be read; submit it "
                                              "again"}));
      continue;
    }
    auto stored_fp = out.created ? w.fingerprint : digest(io::requests::stored_fingerprint(out.row));
    auto& e = remember(self, out.row, stored_fp);
    answer.view = view_with_eta(self, out.row, out.created ? &w.jobs : nullptr);
    if (out.created) {
      ++st.created;
      answer.outcome = submit_answer::created;
      // Another group with the same id may have found the committed row and answered first; it
      // started the actor then (which may even have ended the request since).
      if (!e.started && !is_terminal(e.status))
        start_actor(self, e, out.row, w.jobs.empty() ? nullptr : &w.jobs);
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
    // others repeat it (and are counted as repeats, as the first is counted above).
    for (size_t k = 0; k < w.promises.size(); ++k) {
      if (k > 0) {
        if (answer.outcome == submit_answer::created)
          answer.outcome = submit_answer::same;
        ++(answer.outcome == submit_answer::conflict ? st.conflicts : st.repeats);
      }
      w.promises[k].deliver(answer);
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
      batch->push_back(std::move(w));
      st.queue.pop_front();
    }
    for (auto i = later.rbegin(); i != later.rend(); ++i)
      st.queue.push_front(std::move(*i));
    ++st.inflight;
    ++st.batches;
    self->request(st.request_opts->pool, st.opts.db_timeout,
                  db::insert_request_group{std::move(rows), st.opts.after_insert})
      .then(
        [=](const db::insert_request_group::result& res) {
          --self->state.inflight;
          // The next group leaves first: answering this one takes a while, and the database
          // would be idle meanwhile.
          flush(self);
          answer_batch(self, *batch, res);
          // New requests wait for a claim to create their first jobs: wake the task workers.
          self->send(self->state.request_opts->coremachine, work_atom_v);
        },
        [=](const caf::error& err) {
          --self->state.inflight;
          GP_LOG_WARN("registry: {} submissions not stored: {}", batch->size(),
                      self->system().render(err));
          for (auto& w : *batch) {
            unqueue(self->state, w.row.request_id);
            for (auto& p : w.promises)
              p.deliver(err);
          }
          flush(self);
        });
  }
}

}  // namespace

submit_answer repeat_answer(reg_self* self, const std::string& id, const entry& e,
                            const fingerprint_t& fp) {
  auto& st = self->state;
  submit_answer answer;
  answer.outcome = e.fingerprint == fp ? submit_answer::same : submit_answer::conflict;
  (answer.outcome == submit_answer::same ? st.repeats : st.conflicts)++;
  auto& v = answer.view;
  v.request_id = id;
  v.client_id = e.client_id;
  v.status = e.status;
  v.request_type = e.request_type;
  auto avg = st.board->average(e.request_type);
  if (!is_terminal(e.status) && avg > 0)
    v.estimated_completion = e.created + static_cast<int64_t>(std::ceil(avg));
  return answer;
}

bool answer_from_memory(reg_self* self, const request_submission& sub, const fingerprint_t& fp,
                        caf::typed_response_promise<submit_answer>& rp) {
  auto& st = self->state;
  if (auto i = st.index.find(sub.request_id); i != st.index.end()) {
    rp.deliver(repeat_answer(self, sub.request_id, i->second, fp));
    return true;
  }
  // Identical submissions waiting for the same insert share it.
  if (st.queued.count(sub.request_id) > 0)
    for (auto& w : st.queue)
      if (w.row.request_id == sub.request_id && w.fingerprint == fp) {
        w.promises.push_back(rp);
        return true;
      }
  return false;
}

caf::typed_response_promise<submit_answer> submit(reg_self* self, request_submission& sub) {
  auto& st = self->state;
  auto rp = self->make_response_promise<submit_answer>();
  auto fp = digest(sub.fingerprint);
  if (answer_from_memory(self, sub, fp, rp))
    return rp;
  ++st.queued[sub.request_id];
  waiting w;
  w.fingerprint = fp;
  w.promises.push_back(rp);
  std::string snapshot = "{}";  // first_job_named names the first job here, if there is one
  auto first = first_job_named(*st.request_opts, sub.request_type, sub.request_id, snapshot);
  static_cast<request_spec&>(w.row) = std::move(static_cast<request_spec&>(sub));
  w.row.request_id = std::move(sub.request_id);
  w.row.owner_node = st.opts.node_id;
  w.row.snapshot_json = std::move(snapshot);
  // The first claim that finds the row creates the job its snapshot names.
  w.row.first_job_planned = first.job_id.empty();
  if (!first.job_id.empty())
    w.jobs = {{first.job_id, first.job_type, job_status::queued, 0, first.total_stages}};
  st.queue.push_back(std::move(w));
  flush(self);
  return rp;
}

}  // namespace gp::registry_detail
