#pragma once
// The route handlers of the http_edge actor: parse → ask another actor → build the answer.
// Each answers through the call's responder exactly once.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <nlohmann/json_fwd.hpp>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"
#include "messages/records.hpp"

namespace gp {

/// The client whose data a key sees: internal and trusted keys their own client's (API.md: an
/// output of another client answers 404; a read-only partner gets a trusted key of the client
/// whose data it reads), admin keys every client's (empty).
inline std::string client_scope(const principal& who) {
  return who.access_level == "admin" ? std::string{} : who.client_id;
}

/// Who makes an admin change over HTTP, for its audit row.
inline audit_context audit_of(const principal& who, const http_call& call) {
  return {"key:" + who.key_id, call.req.correlation_id};
}

/// The long-lived actors that answer status_atom with their status report, by name: GET /health
/// and GET /metrics ask each (actors/health_handlers.cpp).
using status_reporter = caf::typed_actor<status_reporting>;
std::vector<std::pair<std::string, status_reporter>> status_reporters(const edge_peers& peers);

/// The edge's own status report: its mailbox (only the edge may size it), connections, calls in
/// flight, calls handled and calls refused (401/403). Its status_atom answer, and its member of
/// GET /health and GET /metrics (actors/health_handlers.cpp).
status_report edge_status(edge_self* self);

/// A detail of a status report as a number; nothing when it is absent or not a number.
std::optional<double> report_number(const status_report& r, const std::string& key);

/// GET /readyz: the database check through the pool.
void handle_readyz(edge_self* self, http_call call);

/// GET /platform/whoami.
void handle_whoami(edge_self* self, http_call call, const principal& who);

/// GET /health: database, actors, queue, webhooks and storage (actors/health_handlers.cpp);
/// 503 when the database cannot be used.
void handle_health(edge_self* self, http_call call);

/// GET /platform/health: live request counts, average processing time, webhook success rate,
/// and the caller's client's integration (actors/health_handlers.cpp).
void handle_platform_health(edge_self* self, http_call call, const principal& who);

// In actors/metrics_handlers.cpp:

/// GET /metrics: the Prometheus text exposition (404 when metrics.enabled is false).
void handle_metrics(edge_self* self, http_call call);

/// POST /jobs/submit/{job_type}: 202 (new) or 200 (the same job exists).
void handle_job_submit(edge_self* self, http_call call, const std::string& job_type,
                       const nlohmann::json& body);

/// GET /jobs/{job_id}.
void handle_job_get(edge_self* self, http_call call, const std::string& job_id);

/// GET /jobs?status=&limit=&cursor=.
void handle_job_list(edge_self* self, http_call call);

/// DELETE /jobs/{job_id}: cancel (200 with the job, 409 when it already ended).
void handle_job_cancel(edge_self* self, http_call call, const std::string& job_id);

/// Arms the edge's one expiry timer while submissions wait for the registry.
void arm_expiry(edge_self* self);

/// Answers the submissions past their deadline with a 503 and forgets the answered ones.
void expire_submissions(edge_self* self);

/// POST /platform/submit: 202 (new), 200 (the same request exists), 409 (a different one does).
void handle_platform_submit(edge_self* self, http_call call, const principal& who,
                            const nlohmann::json& body);

/// GET /platform/status/{request_id}.
void handle_platform_status(edge_self* self, http_call call, const principal& who,
                            const std::string& id);

/// GET /platform/requests?status=&dataset_id=&limit=&cursor=.
void handle_platform_list(edge_self* self, http_call call, const principal& who);

/// DELETE /platform/requests/{request_id}: cancel (200), 409 when it already ended.
void handle_platform_cancel(edge_self* self, http_call call, const principal& who,
                            const std::string& id);

/// POST /platform/requests/{request_id}/retry: 202 for a failed request, else 409.
void handle_platform_retry(edge_self* self, http_call call, const principal& who,
                           const std::string& id);

/// 503 for a failed database round trip, 500 for anything else (never leaking internals).
io::http::response failure_response(const caf::error& err);

/// Sends the persistence operation `op` to the pool and hands its answer to `on_ok`; a failure
/// answers the call (failure_response).
template <class Op, class F>
void with_db(edge_self* self, const http_call& call, std::chrono::milliseconds timeout, Op op,
             F on_ok) {
  auto reply = call.reply;
  self->request(self->state.peers.pool, timeout, std::move(op))
    .then([on_ok](const typename Op::result& value) mutable { on_ok(value); },
          [reply](const caf::error& err) { reply(failure_response(err)); });
}

/// The same with the edge's database timeout.
template <class Op, class F>
void with_db(edge_self* self, const http_call& call, Op op, F on_ok) {
  with_db(self, call, self->state.opts.db_timeout, std::move(op), std::move(on_ok));
}

}  // namespace gp
