// The /jobs routes of the http_edge actor (admin): submit, inspect, list and cancel CoreMachine
// jobs directly.
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "io/http/admin_codec.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/router.hpp"
#include "io/jobs/registry.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/jobs.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

/// The coremachine gives its database work 15 s; wait a little longer than that.
std::chrono::milliseconds job_timeout(edge_self* self) {
  return std::max<std::chrono::milliseconds>(self->state.opts.db_timeout, std::chrono::seconds(20));
}

bool is_job_id(const std::string& s) { return io::http::is_hex_id(s, 64); }

/// Reads one job and hands it to `then` (404 when there is none).
template <class F>
void with_job(edge_self* self, const http_call& call, const std::string& job_id, F then) {
  auto reply = call.reply;
  if (!is_job_id(job_id))
    return reply(problem(404, "not_found", "no job " + job_id));
  self->request(self->state.peers.pool, self->state.opts.db_timeout, db::find_job{job_id})
    .then(
      [reply, job_id, then](const db::find_job::result& found) mutable {
        if (!found.row)
          return reply(problem(404, "not_found", "no job " + job_id));
        then(*found.row);
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace

void handle_job_submit(edge_self* self, http_call call, const std::string& job_type,
                       const json& body) {
  json params = body;
  auto errors = io::jobs::validate_job(io::jobs::builtin_registry(), job_type, params);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  self->request(self->state.peers.coremachine, job_timeout(self), submit_atom_v,
                job_type, params.dump(), std::string{})
    .then(
      [reply, base](const job_submission& s) {
        auto url = base + "/jobs/" + s.job_id;
        auto r = json_response(s.created ? 202 : 200,
                               {{"job_id", s.job_id},
                                {"status", std::string{name_of(s.status)}},
                                {"status_url", url}});
        r.headers.emplace_back("Location", url);
        reply(std::move(r));
      },
      [reply](const caf::error& err) {
        if (is(err, errc::invalid_input))
          return reply(problem(400, "validation_error", error_detail(err)));
        reply(failure_response(err));
      });
}

void handle_job_get(edge_self* self, http_call call, const std::string& job_id) {
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  with_job(self, call, job_id,
           [reply, base](const job_row& row) { reply(json_response(200, io::http::to_json(row, base))); });
}

void handle_job_list(edge_self* self, http_call call) {
  std::vector<io::http::field_error> errors;
  static const auto statuses = names_of(all_job_statuses);
  auto page = io::http::parse_page_query(call.req.query, statuses, is_job_id, errors);
  auto status = parse_job_status(page.status);
  auto limit = page.limit;
  auto cursor = page.cursor;
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  // One more than the page: whether a next page exists.
  self->request(self->state.peers.pool, self->state.opts.db_timeout,
                db::list_jobs{status, limit + 1, cursor})
    .then(
      [reply, base, limit](const db::list_jobs::result& page) {
        auto jobs = json::array();
        for (size_t i = 0; i < page.rows.size() && i < static_cast<size_t>(limit); ++i)
          jobs.push_back(io::http::to_json(page.rows[i], base));
        json next = page.rows.size() > static_cast<size_t>(limit)
                      ? json(page.rows[static_cast<size_t>(limit) - 1].job_id)
                      : json();
        reply(json_response(200, {{"jobs", jobs}, {"next_cursor", next}}));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

void handle_job_cancel(edge_self* self, http_call call, const std::string& job_id) {
  auto reply = call.reply;
  if (!is_job_id(job_id))
    return reply(problem(404, "not_found", "no job " + job_id));
  self->request(self->state.peers.coremachine, job_timeout(self), cancel_atom_v,
                job_id)
    .then(
      [self, call, job_id](bool cancelled) {
        auto reply = call.reply;
        auto base = self->state.opts.public_base_url;
        with_job(self, call, job_id, [reply, base, cancelled](const job_row& row) {
          if (!cancelled)
            return reply(problem(409, "conflict", "job " + row.job_id + " is already " +
                                                    row.status + " and cannot be cancelled"));
          reply(json_response(200, io::http::to_json(row, base)));
        });
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace gp
