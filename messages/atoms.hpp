#pragma once
// The atoms of geoplatform's actor vocabulary (CAF 0.17: at most 10 characters each).
#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(gp, caf::first_custom_type_id)

/// A pooled database worker finished one operation (persistence operations are sent to the pool
/// as themselves: persistence/operations.hpp).
CAF_ADD_ATOM(gp, gp, db_done_atom, "db_done")
/// Ask an actor for its status report (health, console, tests).
CAF_ADD_ATOM(gp, gp, status_atom, "status")
/// An HTTP call handed from the edge's I/O threads to the edge actor.
CAF_ADD_ATOM(gp, gp, http_atom, "http")
/// Stop accepting and finish in-flight work within a deadline.
CAF_ADD_ATOM(gp, gp, drain_atom, "drain")
/// Periodic self-message of actors that poll or retry (no arguments).
CAF_ADD_ATOM(gp, gp, tick_atom, "tick")
/// Orderly shutdown of the whole node, sent to the root supervisor.
CAF_ADD_ATOM(gp, gp, shutdown_atom, "shutdown")
/// Check an API key: (auth_atom, key) → principal, or errc::unauthorized.
CAF_ADD_ATOM(gp, gp, auth_atom, "auth")
/// Forget what is cached about a key (it was revoked here): (invalidate_atom, key_id).
CAF_ADD_ATOM(gp, gp, invalidate_atom, "invalidate")
/// Create a job: (submit_atom, job_type, params_json, platform_request_id) → job_submission.
CAF_ADD_ATOM(gp, gp, submit_atom, "submit")
/// Ask to be told of a job's progress and end: (watch_atom, job_id, fresh).
CAF_ADD_ATOM(gp, gp, watch_atom, "watch")
/// A job moved: (job_event_atom, job_event), to the coremachine and on to its watchers.
CAF_ADD_ATOM(gp, gp, job_event_atom, "job_event")
/// Cancel a job: (cancel_atom, job_id) → bool.
CAF_ADD_ATOM(gp, gp, cancel_atom, "cancel")
/// There may be tasks to claim now.
CAF_ADD_ATOM(gp, gp, work_atom, "work")
/// A task worker's own poll timer: (claim_atom, generation).
CAF_ADD_ATOM(gp, gp, claim_atom, "claim")
/// A task was claimed, started or ended on this node: (track_atom, running_task) /
/// (untrack_atom, task_id, attempt), to the lease keeper.
CAF_ADD_ATOM(gp, gp, track_atom, "track")
CAF_ADD_ATOM(gp, gp, untrack_atom, "untrack")
/// The coremachine's own timer: watched jobs are due for a look.
CAF_ADD_ATOM(gp, gp, refresh_atom, "refresh")
/// A request actor's own timer: run (or retry) its current step.
CAF_ADD_ATOM(gp, gp, step_atom, "step")
/// Apply pending schema migrations.
CAF_ADD_ATOM(gp, gp, migrate_atom, "migrate")

/// A platform request's status: (query_atom, request_id, client_id) → request_view (registry;
/// client_id empty = any client), (query_atom) → request_view (a request actor).
CAF_ADD_ATOM(gp, gp, query_atom, "query")
/// Re-run a failed request: (retry_atom, request_id, client_id) → request_view.
CAF_ADD_ATOM(gp, gp, retry_atom, "retry")
/// Start a request actor: (start_atom, request_row) or (start_atom, fresh_request).
CAF_ADD_ATOM(gp, gp, start_atom, "start")
/// The supervisor's own timer: restart a crashed request's actor, (restart_atom, request_id).
CAF_ADD_ATOM(gp, gp, restart_atom, "restart")
/// The supervisor tells the registry a request's actor runs, (started_atom, request_id,
/// request_actor), or stopped, (stopped_atom, request_id, actor_addr).
CAF_ADD_ATOM(gp, gp, started_atom, "started")
CAF_ADD_ATOM(gp, gp, stopped_atom, "stopped")
/// The registry's own timer: load the next page of live requests, (resume_atom, after_id).
CAF_ADD_ATOM(gp, gp, resume_atom, "resume")
/// A request actor reached a terminal state: (ended_atom, request_view).
CAF_ADD_ATOM(gp, gp, ended_atom, "ended")
/// A request changed state: (moved_atom, request_id, status, state_version).
CAF_ADD_ATOM(gp, gp, moved_atom, "moved")
/// Run a one-off blocking check on a helper's own thread (the edge's JPEG probe): (check_atom).
CAF_ADD_ATOM(gp, gp, check_atom, "check")
/// Answer what waited past its deadline (the edge's submissions): (expire_atom).
CAF_ADD_ATOM(gp, gp, expire_atom, "expire")
/// Deliveries claimed from the webhook outbox, for their host's delivery actor:
/// (deliver_atom, std::vector<claimed_delivery>).
CAF_ADD_ATOM(gp, gp, deliver_atom, "deliver")
/// Attempts ended: (delivered_atom) wakes the delivery actor to read what its HTTP client's
/// threads left in its inbox, then (delivered_atom, host, std::vector<delivery_outcome>) to the
/// dispatcher.
CAF_ADD_ATOM(gp, gp, delivered_atom, "delivered")
/// Write (the dispatcher) or report (a delivery actor) the outcomes gathered so far.
CAF_ADD_ATOM(gp, gp, flush_atom, "flush")
/// A delivery actor has had nothing to do for a while: (idle_atom, host).
CAF_ADD_ATOM(gp, gp, idle_atom, "idle")
/// The node stops: a delivery actor hands over the outcomes it has not reported and gives back
/// the deliveries it has not started: (give_back_atom) -> std::vector<delivery_outcome>.
CAF_ADD_ATOM(gp, gp, give_back_atom, "give_back")
CAF_END_TYPE_ID_BLOCK(gp)
