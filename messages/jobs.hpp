#pragma once
// Messages of the CoreMachine job engine.
#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/status.hpp"

namespace gp {

/// The answer to a job submission.
struct job_submission {
  std::string job_id;
  /// False when an identical job already existed (nothing new was created).
  bool created = false;
  job_status status = job_status::queued;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_submission& x) {
  return f(caf::meta::type_name("gp.job_submission"), x.job_id, x.created, x.status);
}

/// A job's progress or end, sent to whoever watches it.
struct job_event {
  std::string job_id;
  /// Also `unknown`: the answer to a watch of a job that does not exist.
  job_status status = job_status::queued;
  int stage = 0;
  /// Whether the job moved to a new stage (new tasks may be waiting).
  bool advanced = false;
  /// For failures: the code and message of the failing task.
  std::string error_code;
  std::string error_message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_event& x) {
  return f(caf::meta::type_name("gp.job_event"), x.job_id, x.status, x.stage, x.advanced,
           x.error_code, x.error_message);
}

}  // namespace gp
