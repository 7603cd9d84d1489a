#pragma once
// The request actor's own state and state machine, shared by its two files: actors/request.cpp
// (steps, job events, outputs, the behaviour) and actors/request_writes.cpp (its state writes).
// Internal to the request actor: nothing else includes this.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>

#include "actors/live_actor.hpp"
#include "actors/request.hpp"
#include "messages/jobs.hpp"
#include "messages/requests.hpp"
#include "persistence/requests.hpp"

namespace gp::request_detail {

/// Where a request actor is. Every change goes through enter(), which allows only the
/// transitions listed in `transitions` below; docs/actors/request.md draws them (the drift check
/// keeps the two the same).
enum class phase : uint8_t {
  /// Spawned from a row: its first step_atom starts (or resumes) the current step.
  starting,
  /// A state write is in flight (or waits to be tried again); what follows is in its `then`.
  writing,
  /// The current step's job is being created by the coremachine.
  submitting,
  /// The current step's job is watched: its events move the request.
  watching,
  /// Step 0's job of a pending request read from its row is watched with one look: it may not
  /// exist yet (the claim that creates it may still come), so "unknown" means await it.
  looking,
  /// Step 0's job is watched fresh: the first worker claim that finds the request creates it.
  /// The coremachine answers "unknown" only after the first-job deadline.
  awaiting,
  /// A finishing step completed: what the request's jobs produced is being read.
  gathering,
  /// A job submission or a read failed: a step_atom tries the current step again.
  paused,
  /// Terminal and stored, or ended elsewhere, or cancelled: the actor stops.
  ended,
};

inline constexpr const char* phase_names[] = {"starting", "writing", "submitting",
                                       "watching", "looking", "awaiting",
                                       "gathering", "paused", "ended"};

struct transition {
  phase from, to;
};

/// Every transition the actor may take; any phase may also end (a cancel from the registry).
inline constexpr transition transitions[] = {
  // Spawned: a new step's job is stored first (or an unsupported type fails); a named job is
  // watched, looked at (step 0 of a pending request) or awaited (a fresh request); resumed after
  // its last step; its row had ended.
  {phase::starting, phase::writing},
  {phase::starting, phase::watching},
  {phase::starting, phase::looking},
  {phase::starting, phase::awaiting},
  {phase::starting, phase::gathering},
  // Stored: what waited for the write.
  {phase::writing, phase::submitting},
  {phase::writing, phase::watching},
  // Created and watched; refused parameters fail it; a failure of the coremachine pauses it.
  {phase::submitting, phase::watching},
  {phase::submitting, phase::writing},
  {phase::submitting, phase::paused},
  // An event stored (processing, an end, the next step's new job); the step completed; the job
  // is unknown (created again); the next step's job was already named.
  {phase::watching, phase::writing},
  {phase::watching, phase::gathering},
  {phase::watching, phase::submitting},
  {phase::watching, phase::watching},
  // Work started (stored as processing); not made yet: awaited.
  {phase::looking, phase::writing},
  {phase::looking, phase::awaiting},
  // Work started (stored as processing); the deadline passed without a claim: created here.
  {phase::awaiting, phase::writing},
  {phase::awaiting, phase::submitting},
  // Completed (or the next step's new job) stored; the next step's job was named; the read
  // failed.
  {phase::gathering, phase::writing},
  {phase::gathering, phase::watching},
  {phase::gathering, phase::paused},
  // The step runs again.
  {phase::paused, phase::writing},
  {phase::paused, phase::watching},
};

constexpr bool allowed(phase from, phase to) {
  if (to == phase::ended)
    return from != phase::ended;
  for (auto t : transitions)
    if (t.from == from && t.to == to)
      return true;
  return false;
}

/// A state write in flight (or waiting to be tried again).
struct write_in_flight {
  request_view next;
  persistence::request_state stored;
  std::function<void()> then;
  /// The completed state: written by the stac_catalog actor with the request's catalogue rows.
  bool publish = false;
};

/// Kept lean: one of these lives per live request.
struct request_state : live_actor<actor_kind::request> {
  std::shared_ptr<const request_options> opts;
  /// The stored state, as published on the status board: immutable, replaced on every change.
  /// It holds the request's spec (source, processing_config) as stored.
  std::shared_ptr<const request_view> view;
  int64_t version = 0;
  int step = 0;
  phase at = phase::starting;
  /// Set while writing.
  std::unique_ptr<write_in_flight> write;
  /// The newest job event that arrived while writing or submitting; handled once watching.
  std::unique_ptr<job_event> deferred;
  caf::actor_clock::time_point next_progress{};
  static inline const char* name = "request";
};

using req_self = caf::stateful_actor<request_state, request_impl::base>;

/// The request's current view (the stored state).
const request_view& view_of(req_self* self);
/// The steps of its request type (none for an unknown type).
const std::vector<io::jobs::pipeline_step>& steps_of(req_self* self);
/// The first 12 characters of its id, for log lines.
std::string short_id(req_self* self);
/// Moves to `next`. A transition the table does not allow is a bug: the actor stops abnormally
/// and its supervisor restarts it from its row. False when refused.
bool enter(req_self* self, phase next);
inline bool in(req_self* self, phase p) { return self->state.at == p; }
/// Makes `v` the view and shows it on the status board.
void publish(req_self* self, request_view v);

// In actors/request_writes.cpp:

/// Stores `next` (fenced by the version this actor last wrote), then makes it the view and runs
/// `then`, which moves the actor on. `publish`: the completed state, stored through the
/// stac_catalog actor with what the request publishes (its stac_metadata and endpoints come
/// back from it). Nobody hears of the new state before it is stored: queries
/// and the status board show the old view until then, and the registry is told after the write.
/// `bytes_read` and `bytes_written` of a completed request go to its client's usage.
void persist(req_self* self, request_view next, std::function<void()> then,
             std::string outputs_json = {}, bool publish = false, int64_t bytes_read = 0,
             int64_t bytes_written = 0);
/// Sends the write in flight (again, after a failure).
void send_write(req_self* self);
/// Handles the event that waited for a write or a submission, once the job is watched again.
void replay_deferred(req_self* self);
/// Terminal: tell the registry (which caches the final view) and stop.
void finish(req_self* self);

// In actors/request.cpp:

/// What the coremachine said of the current step's job.
void on_job_event(req_self* self, const job_event& ev);

}  // namespace gp::request_detail
