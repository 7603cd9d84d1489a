#pragma once
// The request model: what a client asked for (request_spec), where the request stands
// (request_progress), the snapshot its actor keeps (request_snapshot), the one stored record
// (request_row, in messages/records.hpp), and the status derived from it (request_view).
// Strings for statuses appear only in messages/status.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/jobs.hpp"
#include "messages/status.hpp"

namespace gp {

/// One job of a request, as the status body lists it.
struct request_job {
  std::string job_id;
  std::string job_type;
  job_status status = job_status::queued;
  int stage = 0;
  int total_stages = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_job& x) {
  return f(caf::meta::type_name("gp.request_job"), x.job_id, x.job_type, x.status, x.stage,
           x.total_stages);
}

/// What identifies a request and what its client asked for: written once, never changed.
struct request_spec {
  std::string client_id;
  std::string dataset_id, resource_id, version_id;
  std::string request_type, source_path;
  /// Canonical JSON with defaults applied.
  std::string processing_config_json = "{}";
  std::string callback_url;       ///< empty when none
  std::string client_request_id;  ///< empty when none
};

/// Where a request stands: the part of its record that its actor moves (and stores).
struct request_progress {
  request_status status = request_status::pending;
  int progress_percent = 0;
  std::string message;
  std::string endpoints_json = "null";      ///< set when completed
  std::string stac_metadata_json = "null";  ///< set when completed
  std::string error_code, error_message;    ///< empty unless failed
  bool error_retryable = false;
  /// The completed request whose outputs this one serves instead of processing (empty: none).
  std::string reused_from;
};

/// What a request actor keeps in its row besides the columns: the step it is on (or about to
/// run) and its jobs. Stored as JSON (io/requests/snapshot_codec).
struct request_snapshot {
  int step = 0;
  std::vector<request_job> jobs;
};

/// A request's status: from its live actor, or from its row once it ended. Derived from the
/// stored record by view_of (messages/records.hpp); the status body of API.md, without URLs.
struct request_view : request_spec, request_progress {
  std::string request_id;
  std::vector<request_job> jobs;
  std::string created_at, started_at, completed_at;  ///< RFC 3339 or empty
  /// Seconds since the epoch when the request is expected to end (0 = unknown).
  int64_t estimated_completion = 0;
  /// The row's state_version this view was stored as: a view never replaces a newer one.
  int64_t state_version = 0;
  /// "pending", "sent" or "failed" (callback_status_of, messages/webhooks.hpp) once its end
  /// was notified at its callback_url; empty otherwise. Read from the outbox with the row.
  std::string callback_status;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_view& x) {
  return f(caf::meta::type_name("gp.request_view"), x.request_id, x.client_id, x.dataset_id,
           x.resource_id, x.version_id, x.request_type, x.source_path, x.processing_config_json,
           x.callback_url, x.client_request_id, x.status, x.progress_percent, x.message,
           x.endpoints_json, x.stac_metadata_json, x.error_code, x.error_message,
           x.error_retryable, x.reused_from, x.jobs, x.created_at, x.started_at, x.completed_at,
           x.estimated_completion, x.state_version, x.callback_status);
}

/// One stored change of a request's status (platform.request_events): when (RFC 3339 with
/// milliseconds), from and to which status, why (the failure's code, else the status message)
/// and the state version it was stored as.
struct request_event {
  std::string at;
  request_status from = request_status::pending;
  request_status to = request_status::pending;
  std::string reason;
  int64_t state_version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_event& x) {
  return f(caf::meta::type_name("gp.request_event"), x.at, x.from, x.to, x.reason,
           x.state_version);
}

/// A platform request as stored (platform.requests): the one record of a request. Its view and
/// its snapshot are derived from it.
struct request_row : request_spec, request_progress {
  std::string request_id;
  std::string owner_node;
  int64_t state_version = 0;
  /// The request snapshot as stored (JSON; io/requests/snapshot_codec reads it).
  std::string snapshot_json = "{}";
  std::string created_at, started_at, completed_at;  ///< RFC 3339 or empty
  /// The status of its latest event's delivery as callback_status shows it (empty: none).
  std::string callback_status;
};

/// The status of the stored request `row` whose snapshot lists `jobs`.
request_view view_of(const request_row& row, std::vector<request_job> jobs);

/// The progress the view shows, as its actor stores it.
inline const request_progress& progress_of(const request_view& v) { return v; }

/// A validated POST /platform/submit, with the caller's client and the derived request id.
struct request_submission : request_spec {
  std::string request_id;
  /// What must match for a repeat to be the same request (see io/http/submit_codec).
  std::string fingerprint;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_submission& x) {
  return f(caf::meta::type_name("gp.request_submission"), x.request_id, x.client_id,
           x.dataset_id, x.resource_id, x.version_id, x.request_type, x.source_path,
           x.processing_config_json, x.callback_url, x.client_request_id, x.fingerprint);
}

/// The registry's answer to a submission.
struct submit_answer {
  enum outcome_t : int { created = 0, same = 1, conflict = 2 };
  int outcome = created;
  request_view view;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_answer& x) {
  return f(caf::meta::type_name("gp.submit_answer"), x.outcome, x.view);
}

}  // namespace gp
