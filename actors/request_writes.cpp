// The request actor's state writes: fenced by state_version, retried after a failure, and
// resolved from the row when refused (see docs/actors/request.md, "Writes").
#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/node_metrics.hpp"
#include "actors/request_state.hpp"
#include "io/logging.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"

namespace gp::request_detail {

namespace {

/// The state to store for `v` at step `step`.
persistence::request_state to_store(const request_view& v, int step) {
  persistence::request_state s;
  static_cast<request_progress&>(s) = v;
  s.snapshot_json = io::requests::encode_snapshot({step, v.jobs});
  return s;
}

}  // namespace

void persist(req_self* self, request_view next, std::function<void()> then,
             std::string outputs_json, bool publish, int64_t bytes_read, int64_t bytes_written) {
  auto& st = self->state;
  if (st.opts->fault)
    st.opts->fault(next.status);
  if (!enter(self, phase::writing))
    return;
  auto w = std::make_unique<write_in_flight>();
  w->stored = to_store(next, st.step);
  w->stored.outputs_json = std::move(outputs_json);
  w->stored.bytes_read = bytes_read;
  w->stored.bytes_written = bytes_written;
  w->next = std::move(next);
  w->then = std::move(then);
  w->publish = publish && st.opts->stac;
  st.write = std::move(w);
  send_write(self);
}

void replay_deferred(req_self* self) {
  auto& st = self->state;
  if (!st.deferred || !(in(self, phase::watching) || in(self, phase::looking) ||
                        in(self, phase::awaiting)))
    return;
  auto ev = std::move(*st.deferred);
  st.deferred.reset();
  on_job_event(self, ev);
}

namespace {

/// The write in flight is stored (as of `version`): its view becomes the published one, the
/// registry hears of it, and what waited for it runs.
void stored(req_self* self, const persistence::stored_times& times) {
  auto& st = self->state;
  ++st.version;
  auto w = std::move(st.write);
  auto& v = w->next;
  // Job statuses may have moved on while the write was in flight: keep the ended ones.
  for (auto& j : v.jobs)
    for (const auto& old : view_of(self).jobs)
      if (old.job_id == j.job_id && is_terminal(old.status))
        j.status = old.status;
  v.started_at = times.started_at;
  v.completed_at = times.completed_at;
  v.state_version = st.version;
  auto from = view_of(self).status;
  publish(self, std::move(v));
  if (view_of(self).status != from)
    note_request_transition(view_of(self), from);
  self->send(st.opts->registry, moved_atom_v, view_of(self).request_id, view_of(self).status,
             st.version);
  w->then();
  replay_deferred(self);
}

/// A write was refused: the row's version moved on. It may have been this actor's own earlier
/// attempt, which timed out here but committed (then the row holds exactly what was to be
/// written). Otherwise someone else moved it: a cancel (the row ended: stop), or a write this
/// actor did not make (stop abnormally, so the supervisor restarts from the row).
void refused(req_self* self) {
  auto& st = self->state;
  auto id = view_of(self).request_id;
  self->request(st.opts->pool, st.opts->db_timeout, db::find_request{id})
    .then(
      [=](const db::find_request::result& found) {
        auto& st = self->state;
        if (!in(self, phase::writing))
          return;
        const auto& row = found.row;
        if (row && row->state_version == st.version + 1 && row->status == st.write->stored.status &&
            io::requests::decode_snapshot(row->snapshot_json).step == st.step &&
            row->progress_percent >= st.write->stored.progress_percent) {
          // What the catalogue added to a completed state is as the row holds it.
          st.write->next.endpoints_json = row->endpoints_json;
          st.write->next.stac_metadata_json = row->stac_metadata_json;
          return stored(self, {row->started_at, row->completed_at});
        }
        if (!row || is_terminal(row->status)) {
          GP_LOG_INFO("request {}: its row ended elsewhere ({}); stopping", short_id(self),
                      row ? name_of(row->status) : "gone");
          // The registry learns the end (its answers and its forgetting go by it).
          if (row)
            self->send(st.opts->registry, ended_atom_v, io::requests::view_of(*row));
          enter(self, phase::ended);
          return self->quit();
        }
        GP_LOG_WARN("request {}: its row was changed by another writer; restarting from it",
                    short_id(self));
        self->quit(caf::make_error(errc::conflict, std::string{"request row moved on"}));
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request {}: cannot read its row ({}); restarting", short_id(self),
                    self->system().render(err));
        self->quit(err);
      });
}

}  // namespace

namespace {

/// Sends the completed state to the stac_catalog actor, which stores it with the request's
/// catalogue rows.
void send_publishing_write(req_self* self) {
  auto& st = self->state;
  auto id = view_of(self).request_id;
  db::finalise_request op{st.write->next, {id, st.version, st.write->stored}};
  // The catalogue makes two round trips to the pool (a look, then the write).
  self->request(st.opts->stac, 2 * st.opts->db_timeout, std::move(op))
    .then(
      [=](const db::finalise_request::result& res) {
        if (!in(self, phase::writing))
          return;
        if (!res.stored)
          return refused(self);
        auto& w = *self->state.write;
        w.next.stac_metadata_json = w.stored.stac_metadata_json = res.stac_metadata_json;
        w.next.endpoints_json = w.stored.endpoints_json = res.endpoints_json;
        stored(self, res.times);
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request {}: cannot store its completed state ({}); trying again",
                    short_id(self), self->system().render(err));
        self->delayed_send(self, self->state.opts->retry_delay, tick_atom_v);
      });
}

}  // namespace

void send_write(req_self* self) {
  auto& st = self->state;
  if (st.write->publish)
    return send_publishing_write(self);
  auto id = view_of(self).request_id;
  // The write stays kept for a retry: the message gets a copy.
  self->request(st.opts->pool, st.opts->db_timeout,
                db::write_request_state{id, st.version, st.write->stored})
    .then(
      [=](const db::write_request_state::result& res) {
        if (!in(self, phase::writing))
          return;
        if (res.stored)
          return stored(self, res.times);
        refused(self);
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("request {}: cannot store its state ({}); trying again", short_id(self),
                    self->system().render(err));
        self->delayed_send(self, self->state.opts->retry_delay, tick_atom_v);
      });
}

void finish(req_self* self) {
  auto& st = self->state;
  if (!enter(self, phase::ended))
    return;
  GP_LOG_INFO("request {}: {}", short_id(self), name_of(view_of(self).status));
  self->send(st.opts->registry, ended_atom_v, view_of(self));
  self->quit();
}

}  // namespace gp::request_detail
