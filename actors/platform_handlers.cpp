// The /platform request routes of the http_edge actor (internal and admin keys): submit, status,
// list, cancel and retry. Validation happens here; the registry owns the requests.
#include <fnmatch.h>

#include <filesystem>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/status_board.hpp"
#include "io/geodata/raster_probe.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/request_codec.hpp"
#include "io/http/router.hpp"
#include "io/http/submit_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/requests.hpp"
#include "persistence/clients.hpp"
#include "persistence/requests.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::json_response;
using io::http::problem;

struct host_list {
  std::vector<std::string> hosts;
};
struct request_page {
  std::vector<request_row> rows;
};

}  // namespace

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::host_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::request_page)

namespace gp {

namespace {

bool is_request_id(const std::string& s) { return io::http::is_hex_id(s, 32); }

/// The client whose requests a key may see: its own, or any (empty) for admin keys.
std::string scope_of(const principal& who) {
  return who.access_level == "admin" ? std::string{} : who.client_id;
}

/// Seconds until the client should poll again.
std::string retry_after(int64_t eta) {
  if (eta > 0) {
    auto left = eta - static_cast<int64_t>(std::time(nullptr));
    return std::to_string(std::clamp<int64_t>(left, 1, 60));
  }
  return "2";
}

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

io::http::response submit_response(edge_self* self, const request_view& v, bool created,
                                   int64_t eta) {
  const auto& base = self->state.opts.public_base_url;
  io::http::response r;
  r.status = created ? 202 : 200;
  r.body = io::http::submit_body_text(v, base, created, eta);
  r.headers.emplace_back("Location", base + "/platform/status/" + v.request_id);
  if (!is_terminal(v.status))
    r.headers.emplace_back("Retry-After", retry_after(eta));
  return r;
}

io::http::response conflict_response(const std::string& request_id) {
  return problem(409, "conflict",
                 "request " + request_id +
                   " already exists for this dataset, resource and version with a different "
                   "request_type, source_path or processing_config; submit a new version_id",
                 json{{"existing_request_id", request_id}});
}

/// Errors of the registry as problem+json.
io::http::response registry_failure(const caf::error& err) {
  if (is(err, errc::not_found))
    return problem(404, "not_found", error_detail(err));
  if (is(err, errc::conflict))
    return problem(409, "conflict", error_detail(err));
  return failure_response(err);
}

/// Answers a repeat of a known request from the status board, as the registry would (200 for
/// the same payload, 409 for another); false when the board does not know it.
bool answer_repeat(edge_self* self, const http_call& call, const request_submission& sub) {
  const auto& board = self->state.peers.board;
  if (!board)
    return false;
  auto e = board->find(sub.request_id);
  if (!e || !e->view || !e->has_fingerprint)
    return false;
  if (e->fingerprint != status_board::digest(sub.fingerprint))
    call.reply(conflict_response(sub.request_id));
  else
    call.reply(submit_response(self, *e->view, false, board->estimated_completion(*e->view)));
  return true;
}

void send_submission(edge_self* self, const http_call& call, request_submission sub) {
  auto reply = call.reply;
  auto cid = call.req.correlation_id;
  if (answer_repeat(self, call, sub))
    return;
  // No CAF timeout: the edge's expiry timer answers a submission the registry has not answered
  // by its deadline (expire_submissions), and this handler then drops the late answer.
  auto& st = self->state;
  auto ticket = st.submits.push(std::chrono::steady_clock::now() + st.opts.request_timeout,
                                [self, reply, cid] {
                                  GP_LOG_WARN("http_edge: submit not answered within {} ms cid={}",
                                              self->state.opts.request_timeout.count(), cid);
                                  try {
                                    reply(failure_response(
                                      caf::make_error(caf::sec::request_timeout)));
                                  } catch (const std::exception& e) {
                                    GP_LOG_ERROR("http_edge: answering an expired submit failed: "
                                                 "{} cid={}", e.what(), cid);
                                  }
                                });
  arm_expiry(self);
  self->request(st.peers.registry, caf::infinite, submit_atom_v, std::move(sub))
    .then(
      [self, reply, ticket](const submit_answer& a) mutable {
        if (!ticket.take())
          return;
        const auto& v = a.view;
        if (a.outcome == submit_answer::conflict)
          return reply(conflict_response(v.request_id));
        reply(submit_response(self, v, a.outcome == submit_answer::created,
                              v.estimated_completion));
      },
      [self, reply, cid, ticket](const caf::error& err) mutable {
        if (!ticket.take())
          return;
        GP_LOG_WARN("http_edge: submit not accepted: {} cid={}", self->system().render(err), cid);
        reply(failure_response(err));
      });
}

void check_callback_then_submit(edge_self* self, http_call call, request_submission sub);
std::string first_match(const std::string& folder, const std::string& pattern);
void check_jpeg(edge_self* self, http_call call, request_submission sub, std::string path,
                std::string pattern);

}  // namespace

void arm_expiry(edge_self* self) {
  auto& st = self->state;
  if (st.expiry_armed || st.submits.empty())
    return;
  st.expiry_armed = true;
  // Deadlines are kept to within a tenth of the timeout (at most 100 ms late).
  auto step = std::min<std::chrono::milliseconds>(std::chrono::milliseconds{100},
                                                  st.opts.request_timeout / 10);
  self->delayed_send(self, std::max(step, std::chrono::milliseconds{1}), expire_atom_v);
}

void expire_submissions(edge_self* self) {
  auto& st = self->state;
  st.expiry_armed = false;
  st.submits.expire(std::chrono::steady_clock::now());
  arm_expiry(self);
}

void handle_platform_submit(edge_self* self, http_call call, const principal& who,
                            const json& body) {
  const auto& opts = self->state.opts;
  std::vector<io::http::field_error> errors;
  auto req = io::http::parse_submit(body, opts.submit, errors);
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  request_submission sub;
  sub.request_id = io::http::request_id_for(who.client_id, req.dataset_id, req.resource_id,
                                            req.version_id);
  sub.client_id = who.client_id;
  sub.dataset_id = req.dataset_id;
  sub.resource_id = req.resource_id;
  sub.version_id = req.version_id;
  sub.request_type = req.request_type;
  sub.source_path = req.source_path;
  sub.processing_config_json = req.processing_config.dump();
  sub.callback_url = req.callback_url;
  sub.client_request_id = req.client_request_id;
  sub.fingerprint = io::http::payload_fingerprint(req);
  // An identical resubmission is answered from the status board before the file system is
  // looked at again: nothing is reprocessed, and its source may have been moved since.
  if (sub.callback_url.empty() && answer_repeat(self, call, sub))
    return;
  bool is_virtual = req.source_path.rfind("/vsi", 0) == 0;
  if (!is_virtual) {
    bool folder = req.request_type == "collection";
    using io::http::source_state;
    switch (io::http::resolve_source(opts.bronze_root, who.client_id, req.source_path, folder)) {
      case source_state::ok: break;
      case source_state::not_found:
        return call.reply(problem(
          400, "source_not_found",
          "source_path '" + req.source_path + "' does not exist in your bronze folder",
          json{{"errors", json::array({json{{"field", "source_path"},
                                            {"message", "does not exist"}}})}}));
      case source_state::outside:
        return call.reply(io::http::validation_problem(
          {{"source_path", "leads outside your bronze folder"}}));
      case source_state::wrong_kind:
        return call.reply(io::http::validation_problem(
          {{"source_path", folder ? "must be a folder for a collection request"
                                  : "must be a file for a " + req.request_type + " request"}}));
    }
  }
  if (!is_virtual && req.processing_config.value("compression", "") == "jpeg") {
    auto path = opts.bronze_root + "/" + who.client_id + "/" + req.source_path;
    auto pattern = req.request_type == "collection"
                     ? req.processing_config.value("pattern", "*.tif")
                     : std::string{};
    return check_jpeg(self, std::move(call), std::move(sub), path, pattern);
  }
  check_callback_then_submit(self, std::move(call), std::move(sub));
}

namespace {

/// The first file (by name) in `folder` matching `pattern`, or "" when none does.
std::string first_match(const std::string& folder, const std::string& pattern) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string best;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    auto name = e.path().filename().string();
    if (e.is_regular_file(ec) && fnmatch(pattern.c_str(), name.c_str(), 0) == 0 &&
        (best.empty() || name < best))
      best = name;
  }
  return best.empty() ? best : folder + "/" + best;
}

/// JPEG compression takes 8-bit data with 1 or 3 bands: the raster (with a `pattern`, the folder's
/// first matching file) is opened with GDAL to see, on a thread of its own (the folder listing and
/// the file reads never block the scheduler).
void check_jpeg(edge_self* self, http_call call, request_submission sub, std::string path,
                std::string pattern) {
  auto probe = self->system().spawn<caf::detached>([path, pattern](caf::event_based_actor* p) {
    return caf::behavior{[p, path, pattern](tick_atom) {
      p->quit();
      auto file = pattern.empty() ? path : first_match(path, pattern);
      if (file.empty())  // an empty collection folder: its job reports that
        return std::string{};
      return io::geodata::jpeg_unsuitable(file);
    }};
  });
  auto reply = call.reply;
  self->request(probe, self->state.opts.request_timeout, tick_atom_v)
    .then(
      [self, call, sub](const std::string& why) mutable {
        if (!why.empty())
          return call.reply(
            io::http::validation_problem({{"processing_config.compression", why}}));
        check_callback_then_submit(self, std::move(call), std::move(sub));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace

namespace {

/// The callback host must be on the client's allowlist; then the registry takes the submission.
void check_callback_then_submit(edge_self* self, http_call call, request_submission sub) {
  if (sub.callback_url.empty())
    return send_submission(self, call, std::move(sub));
  const auto& opts = self->state.opts;
  auto client = sub.client_id;
  db_job hosts = [client](pqxx::connection& c) {
    return caf::make_message(host_list{persistence::callback_hosts_of(c, client)});
  };
  auto reply = call.reply;
  self->request(self->state.peers.pool, opts.db_timeout, db_run_atom_v, std::move(hosts))
    .then(
      [self, call, sub](const host_list& h) mutable {
        if (auto why = io::http::check_callback_url(sub.callback_url, h.hosts); !why.empty())
          return call.reply(io::http::validation_problem({{"callback_url", why}}));
        send_submission(self, call, std::move(sub));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace

void handle_platform_status(edge_self* self, http_call call, const principal& who,
                            const std::string& id) {
  auto reply = call.reply;
  if (!is_request_id(id))
    return reply(problem(404, "not_found", "no request " + id));
  // The latest view its actor published (or the registry, for ended ones), rendered once.
  if (const auto& board = self->state.peers.board)
    if (auto e = board->find(id); e && e->view) {
      auto scope = scope_of(who);
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
                scope_of(who))
    .then([self, reply](const request_view& v) { reply(status_response(self, 200, v)); },
          [reply](const caf::error& err) { reply(registry_failure(err)); });
}

void handle_platform_list(edge_self* self, http_call call, const principal& who) {
  const auto& q = call.req.query;
  std::vector<io::http::field_error> errors;
  static const std::vector<std::string> statuses{"pending", "processing", "completed", "failed",
                                                 "cancelled"};
  auto page = io::http::parse_page_query(q, statuses, is_request_id, errors);
  auto dataset = io::http::query_param(q, "dataset_id").value_or("");
  if (dataset.size() > 255)
    errors.push_back({"dataset_id", "must be at most 255 characters"});
  auto client = scope_of(who);
  if (auto c = io::http::query_param(q, "client_id")) {
    if (who.access_level != "admin")
      errors.push_back({"client_id", "only admin keys may list other clients' requests"});
    else
      client = *c;
  }
  if (!errors.empty())
    return call.reply(io::http::validation_problem(errors));
  auto status = page.status;
  auto limit = page.limit;
  auto cursor = page.cursor;
  db_job list = [client, status, dataset, limit, cursor](pqxx::connection& c) {
    return caf::make_message(
      request_page{persistence::list_requests(c, client, status, dataset, limit + 1, cursor)});
  };
  auto reply = call.reply;
  auto base = self->state.opts.public_base_url;
  self->request(self->state.peers.pool, self->state.opts.db_timeout, db_run_atom_v,
                std::move(list))
    .then(
      [reply, base, limit](const request_page& page) {
        auto out = json::array();
        for (size_t i = 0; i < page.rows.size() && i < static_cast<size_t>(limit); ++i)
          out.push_back(io::http::status_body(io::http::view_of(page.rows[i]), base));
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
                scope_of(who))
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
                scope_of(who))
    .then(
      [self, reply, key](const request_view& v) {
        GP_LOG_INFO("http_edge: request {} retried by key {}", v.request_id, key);
        reply(status_response(self, 202, v));
      },
      [reply](const caf::error& err) { reply(registry_failure(err)); });
}

}  // namespace gp
