#pragma once
// Every actor's interface in one place. Handles are dynamically typed where replies carry the
// result of an arbitrary persistence operation (db pool); each interface lists its messages.
#include <caf/fwd.hpp>

namespace gp {

/// db_pool: (db_run_atom, db_job) → whatever the job returns, or a gp error;
///          (status_atom) → status_report.
using db_pool_actor = caf::actor;

/// auth: (auth_atom, std::string key) → principal, errc::unauthorized, or the pool's database
///       error; (invalidate_atom, std::string key_id) → forget a key at once;
///       (status_atom) → status_report.
using auth_actor = caf::actor;

/// migrator: (migrate_atom) → nothing (sent to itself; retries until migrated);
///           (status_atom) → status_report.
using migrator_actor = caf::actor;

/// http_edge: (http_atom, http_call) → nothing (answers through the call's responder);
///            (drain_atom, milliseconds) → bool drained; (status_atom) → status_report.
using http_edge_actor = caf::actor;

/// coremachine: (submit_atom, type, params_json, request_id) → job_submission or
///              errc::invalid_input; (watch_atom, job_id) → the sender gets (job_event_atom,
///              job_event) on progress and at the end; (cancel_atom, job_id) → bool;
///              (job_event_atom, job_event) from workers; (work_atom); (status_atom) → status_report.
using coremachine_actor = caf::actor;

/// root: (shutdown_atom) → bool drained; (status_atom) → status_report.
using root_actor = caf::actor;

}  // namespace gp
