#pragma once
// The webhook routes of the http_edge actor (actors/webhook_handlers.cpp).
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"

namespace gp {

/// GET /platform/requests/{request_id}/webhooks[?status=&limit=&cursor=]: the request's
/// deliveries, newest first (404 for another client's request).
void handle_request_webhooks(edge_self* self, http_call call, const principal& who,
                             const std::string& request_id);

/// GET /platform/webhooks/{delivery_id}: one delivery of the caller's client (an admin's: any).
void handle_webhook_get(edge_self* self, http_call call, const principal& who,
                        const std::string& delivery_id);

/// POST /platform/webhooks/test {"url"}: a signed platform.ping to a URL on the client's
/// allowlist → 202 with the delivery to follow.
void handle_webhook_test(edge_self* self, http_call call, const principal& who,
                         const nlohmann::json& body);

/// GET /admin/webhooks[?status=&request_id=&client_id=&limit=&cursor=].
void handle_admin_webhooks(edge_self* self, http_call call);

/// POST /admin/webhooks/{delivery_id}/redeliver → 202 (409 while an attempt is in flight).
void handle_admin_redeliver(edge_self* self, http_call call, const principal& who,
                            const std::string& delivery_id);

/// POST /admin/clients/{client_id}/rotate-secret → 200 with the new secret (shown once).
void handle_admin_rotate_secret(edge_self* self, http_call call, const principal& who,
                                const std::string& client_id);

}  // namespace gp
