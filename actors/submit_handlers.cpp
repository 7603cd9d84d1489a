// The /platform/submit route of the http_edge actor: the body's rules and the source, JPEG and
// callback checks, a repeat answered from the status board (or, when those checks refuse it, by the
// registry from memory or the row), and the submission's deadline while the registry answers.
#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "actors/platform_common.hpp"
#include "actors/status_board.hpp"
#include "io/geodata/raster_probe.hpp"
#include "io/http/problem.hpp"
#include "io/http/request_codec.hpp"
#include "io/http/submit_codec.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/requests.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::problem;
using platform_detail::retry_after;

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
void refuse_unless_known(edge_self* self, const http_call& call, request_submission sub,
                         io::http::response refusal);
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

namespace {

/// The source check's refusal, or nullopt when the source is fine.
std::optional<io::http::field_error> source_error(io::http::source_state state,
                                                  const std::string& request_type) {
  using io::http::source_state;
  switch (state) {
    case source_state::ok: return std::nullopt;
    case source_state::not_found: return io::http::field_error{"source_path", "does not exist"};
    case source_state::outside:
      return io::http::field_error{"source_path", "leads outside your bronze folder"};
    case source_state::wrong_kind:
      return io::http::field_error{"source_path",
                                   request_type == "collection"
                                     ? "must be a folder for a collection request"
                                     : "must be a file for a " + request_type + " request"};
  }
  return std::nullopt;
}

bool names(const std::vector<io::http::field_error>& errors, const std::string& field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const auto& e) { return e.field == field; });
}

}  // namespace

void handle_platform_submit(edge_self* self, http_call call, const principal& who,
                            const json& body) {
  const auto& opts = self->state.opts;
  // The client's submit budget was taken before (actors/edge_metering.cpp).
  std::vector<io::http::field_error> errors;
  auto req = io::http::parse_submit(body, opts.submit, errors);
  bool is_virtual = req.source_path.rfind("/vsi", 0) == 0;
  bool folder = req.request_type == "collection";
  auto resolve = [&] {
    return io::http::resolve_source(opts.bronze_root, who.client_id, req.source_path, folder);
  };
  if (!errors.empty()) {
    // Every bad field at once: the source too, when the body is an object and the source's path
    // and the request type are sound.
    if (!is_virtual && !names(errors, "(body)") && !names(errors, "source_path") &&
        !names(errors, "request_type"))
      if (auto bad = source_error(resolve(), req.request_type))
        errors.push_back(*bad);
    return call.reply(io::http::validation_problem(errors));
  }
  auto sub = io::http::submission_for(who.client_id, req);
  // An identical resubmission is answered from the status board before the file system is
  // looked at again: nothing is reprocessed, its source may have been moved since, and its
  // callback_url is not compared (the first one stays).
  if (answer_repeat(self, call, sub))
    return;
  if (!is_virtual) {
    auto state = resolve();
    if (auto bad = source_error(state, req.request_type)) {
      auto refusal =
        state == io::http::source_state::not_found
          ? problem(400, "source_not_found",
                    "source_path '" + req.source_path + "' does not exist in your bronze folder",
                    json{{"errors", json::array({json{{"field", bad->field},
                                                      {"message", bad->message}}})}})
          : io::http::validation_problem({*bad});
      return refuse_unless_known(self, call, std::move(sub), std::move(refusal));
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
    return caf::behavior{[p, path, pattern](check_atom) {
      p->quit();
      auto file = pattern.empty() ? path : first_match(path, pattern);
      if (file.empty())  // an empty collection folder: its job reports that
        return std::string{};
      return io::geodata::jpeg_unsuitable(file);
    }};
  });
  auto reply = call.reply;
  self->request(probe, self->state.opts.request_timeout, check_atom_v)
    .then(
      [self, call, sub](const std::string& why) mutable {
        if (!why.empty())
          return refuse_unless_known(
            self, call, std::move(sub),
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
  auto reply = call.reply;
  self->request(self->state.peers.pool, opts.db_timeout, db::callback_hosts{client})
    .then(
      [self, call, sub](const db::callback_hosts::result& h) mutable {
        if (auto why = io::http::check_callback_url(sub.callback_url, h.hosts); !why.empty())
          return refuse_unless_known(self, call, std::move(sub),
                                     io::http::validation_problem({{"callback_url", why}}));
        send_submission(self, call, std::move(sub));
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

/// A submission whose source or callback fails the checks is still a repeat when its request
/// exists (the board did not know it: ended and forgotten, or not resumed yet): 200 or 409 as for
/// any repeat, since nothing is processed again. Otherwise the refusal.
void refuse_unless_known(edge_self* self, const http_call& call, request_submission sub,
                         io::http::response refusal) {
  auto reply = call.reply;
  self->request(self->state.peers.registry, self->state.opts.request_timeout, query_atom_v,
                std::move(sub))
    .then(
      [self, reply](const submit_answer& a) {
        if (a.outcome == submit_answer::conflict)
          return reply(conflict_response(a.view.request_id));
        reply(submit_response(self, a.view, false, a.view.estimated_completion));
      },
      [reply, refusal](const caf::error& err) {
        reply(is(err, errc::not_found) ? refusal : failure_response(err));
      });
}

}  // namespace

}  // namespace gp
