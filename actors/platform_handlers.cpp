// The /platform request routes of the http_edge actor (internal and admin keys) but submit
// (submit_handlers.cpp): status, list, cancel and retry. The registry owns the requests.
#include <algorithm>
#include <ctime>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/platform_common.hpp"
#include "actors/status_board.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/request_codec.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "io/http/router.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/requests.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

}  // namespace

namespace platform_detail {

/// Seconds until the client should poll again.
std::string retry_after(int64_t eta) {
  if (eta > 0) {
    auto left = eta - static_cast<int64_t>(std::time(nullptr));
    return std::to_string(std::clamp<int64_t>(left, 1, 60));
  }
  return "2";
}

}  // namespace platform_detail

namespace {

using platform_detail::retry_after;

bool is_request_id(const std::string& s) { return io::http::is_hex_id(s, 32); }

io::http::response status_response(edge_self* self, unsigned code, const request_view& v,
                                   int64_t eta) {
  auto r = json_response(code, io::http::status_body(v, self->state.opts.public_base_url, eta));
  if (!is_terminal(v.status))
    r.headers.emplace_back("Retry-After", retry_after(eta));
  return r;
}

io::http::response status_response(edge_self* self, unsigned code, const request_view& v) {
  return status_response(self, code, v, v.estimated_completion);
}

/// Errors of the registry as problem+json.
io::http::response registry_failure(const caf::error& err) {
  if (is(err, errc::not_found))
    return problem(404, "not_found", error_detail(err));
  if (is(err, errc::conflict))
    return problem(409, "conflict", error_detail(err));
  return failure_response(err);
}

}  // namespace

namespace {

/// The status body of `v` with its stored history as `events` (detail=full).
void answer_with_history(edge_self* self, io::http::responder reply, const request_view& v) {
  self->request(self->state.peers.pool, self->state.opts.db_timeout,
                db::read_request_events{v.request_id})
    .then(
      [self, reply, v](const db::read_request_events::result& res) {
        auto body = io::http::status_body(v, self->state.opts.public_base_url,
                                          v.estimated_completion);
        body["events"] = io::http::history_body(v, res.events);
        auto r = json_response(200, body);
        if (!is_terminal(v.status))
          r.headers.emplace_back("Retry-After", retry_after(v.estimated_completion));
        reply(std::move(r));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace

void handle_platform_status(edge_self* self, http_call call, const principal& who,
                            const std::string& id) {
  auto reply = call.reply;
  if (!is_request_id(id))
    return reply(problem(404, "not_found", "no request " + id));
  bool full = false;
  if (auto detail = io::http::query_param(call.req.query, "detail")) {
    if (*detail != "full")
      return reply(io::http::validation_problem(
        {{"detail", "must be full (the status with its event history) or left out"}}));
    full = true;
  }
  if (full)
    return self
      ->request(self->state.peers.registry, self->state.opts.request_timeout, query_atom_v, id,
                client_scope(who))
      .then([self, reply](const request_view& v) { answer_with_history(self, reply, v); },
            [reply](const caf::error& err) { reply(registry_failure(err)); });
  // The latest view its actor published (or the registry, for ended ones), rendered once. An
  // ended request with a callback is asked for: its callback_status moves after it ended.
  if (const auto& board = self->state.peers.board)
    if (auto e = board->find(id);
        e && e->view && !(is_terminal(e->view->status) && !e->view->callback_url.empty())) {
      auto scope = client_scope(who);
      if (!scope.empty() && e->view->client_id != scope)
        return reply(problem(404, "not_found", "no request " + id));
      auto eta = board->estimated_completion(*e->view);
      auto* cached = self->state.status_cache.find(id);
      if (cached == nullptr || cached->view != e->view || cached->eta != eta) {
        auto r = status_response(self, 200, *e->view, eta);
        self->state.status_cache.put(id, {e->view, eta, r.body});
        return reply(std::move(r));
      }
      io::http::response r;
      r.body = cached->body;
      if (!is_terminal(e->view->status))
        r.headers.emplace_back("Retry-After", retry_after(eta));
      return reply(std::move(r));
    }
  self->request(self->state.peers.registry, self->state.opts.request_timeout, query_atom_v, id,
                client_scope(who))
    .then([self, reply](const request_view& v) { reply(status_response(self, 200, v)); },
          [reply](const caf::error& err) { reply(registry_failure(err)); });
}

void handle_platform_list(edge_self* self, http_call call, const principal& who) {
  const auto& q = call.req.query;
  std::vector<io::http::field_error> errors;
  static const auto statuses = names_of(all_request_statuses);
  auto page = io::http::parse_page_query(q, statuses, is_request_id, errors);
  auto dataset = io::http::query_param(q, "dataset_id").value_or("");
  if (dataset.size() > 255)
    errors.push_back({"dataset_id", "must be at most 255 characters"});
  auto client = client_scope(who);
  if (auto c = io::http::query_param(q, "client_id")) {
    if (who.access_level != "admin")
      errors.push_back({"client_id", "only admin keys may list other clients' requests"});
    else
      client = *c;
  }
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto status = parse_request_status(page.status);
  auto limit = page.limit;
  auto cursor = page.cursor;
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  // One more than the page: whether a next page exists.
  self->request(self->state.peers.pool, self->state.opts.db_timeout,
                db::list_requests{client, status, dataset, limit + 1, cursor})
    .then(
      [reply, base, limit,
       board = self->state.peers.board](const db::list_requests::result& page) {
        auto out = json::array();
        for (size_t i = 0; i < page.rows.size() && i < static_cast<size_t>(limit); ++i) {
          auto v = io::requests::view_of(page.rows[i]);
          // As in the request's status: its creation plus its type's average, while not ended.
          out.push_back(io::http::status_body(v, base, board ? board->estimated_completion(v) : 0));
        }
        json next = page.rows.size() > static_cast<size_t>(limit)
                      ? json(page.rows[static_cast<size_t>(limit) - 1].request_id)
                      : json();
        reply(json_response(200, {{"requests", out}, {"next_cursor", next}}));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

void handle_platform_cancel(edge_self* self, http_call call, const principal& who,
                            const std::string& id) {
  auto reply = call.reply;
  if (!is_request_id(id))
    return reply(problem(404, "not_found", "no request " + id));
  auto key = who.key_id;
  self->request(self->state.peers.registry, self->state.opts.request_timeout, cancel_atom_v, id,
                client_scope(who))
    .then(
      [self, reply, key](const request_view& v) {
        GP_LOG_INFO("http_edge: request {} cancelled by key {}", v.request_id, key);
        reply(status_response(self, 200, v));
      },
      [reply](const caf::error& err) { reply(registry_failure(err)); });
}

void handle_platform_retry(edge_self* self, http_call call, const principal& who,
                           const std::string& id) {
  auto reply = call.reply;
  if (!is_request_id(id))
    return reply(problem(404, "not_found", "no request " + id));
  auto key = who.key_id;
  self->request(self->state.peers.registry, self->state.opts.request_timeout, retry_atom_v, id,
                client_scope(who))
    .then(
      [self, reply, key](const request_view& v) {
        GP_LOG_INFO("http_edge: request {} retried by key {}", v.request_id, key);
        reply(status_response(self, 202, v));
      },
      [reply](const caf::error& err) { reply(registry_failure(err)); });
}

}  // namespace gp