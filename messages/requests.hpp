#pragma once
// Messages about platform requests: what the edge submits to the registry, and what a request's
// status looks like (the status body of API.md, without URLs, which the edge adds).
#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/jobs.hpp"

namespace gp {

/// One job of a request, as the status body lists it.
struct request_job {
  std::string job_id;
  std::string job_type;
  /// queued | processing | completed | failed | cancelled
  std::string status;
  int stage = 0;
  int total_stages = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_job& x) {
  return f(caf::meta::type_name("gp.request_job"), x.job_id, x.job_type, x.status, x.stage,
           x.total_stages);
}

/// A request's status: from its live actor, or from its row once it ended.
struct request_view {
  std::string request_id;
  std::string client_id;
  /// pending | processing | completed | failed | cancelled
  std::string status;
  int progress_percent = 0;
  std::string message;
  std::string dataset_id, resource_id, version_id, request_type, client_request_id;
  std::string created_at, started_at, completed_at;  ///< RFC 3339 or empty
  std::vector<request_job> jobs;
  std::string endpoints_json = "null";
  std::string stac_metadata_json = "null";
  std::string error_code, error_message;  ///< empty unless failed
  bool error_retryable = false;
  /// Seconds since the epoch when the request is expected to end (0 = unknown).
  int64_t estimated_completion = 0;
  /// The row's state_version this view was stored as: a view never replaces a newer one.
  int64_t state_version = 0;
  /// The completed request whose outputs this one serves instead of processing (empty: none).
  std::string reused_from;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_view& x) {
  return f(caf::meta::type_name("gp.request_view"), x.request_id, x.client_id, x.status,
           x.progress_percent, x.message, x.dataset_id, x.resource_id, x.version_id,
           x.request_type, x.client_request_id, x.created_at, x.started_at, x.completed_at,
           x.jobs, x.endpoints_json, x.stac_metadata_json, x.error_code, x.error_message,
           x.error_retryable, x.estimated_completion, x.state_version, x.reused_from);
}

/// A validated POST /platform/submit, with the caller's client and the derived request id.
struct request_submission {
  std::string request_id;
  std::string client_id;
  std::string dataset_id, resource_id, version_id, request_type, source_path;
  /// Canonical JSON with defaults applied.
  std::string processing_config_json = "{}";
  std::string callback_url, client_request_id;
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
