#include "messages/requests.hpp"

namespace gp {

request_view view_of(const request_row& row, std::vector<request_job> jobs) {
  request_view v;
  static_cast<request_spec&>(v) = row;
  static_cast<request_progress&>(v) = row;
  v.request_id = row.request_id;
  v.jobs = std::move(jobs);
  v.created_at = row.created_at;
  v.started_at = row.started_at;
  v.completed_at = row.completed_at;
  v.state_version = row.state_version;
  v.callback_status = row.callback_status;
  return v;
}

}  // namespace gp
