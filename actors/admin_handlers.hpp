#pragma once
// The http_edge's handlers of the admin API for clients, keys, the audit trail and usage
// (docs/admin.md). Every change is written with its audit row (actor "key:<key_id>").
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"

namespace gp {

/// GET /admin/clients.
void handle_admin_clients(edge_self* self, http_call call);

/// POST /admin/clients: 201 with the webhook secret (shown once); 409 when the id is taken.
void handle_admin_create_client(edge_self* self, http_call call, const principal& who,
                                const nlohmann::json& body);

/// GET /admin/clients/{client_id}.
void handle_admin_get_client(edge_self* self, http_call call, const std::string& client_id);

/// PATCH /admin/clients/{client_id}.
void handle_admin_patch_client(edge_self* self, http_call call, const principal& who,
                               const std::string& client_id, const nlohmann::json& body);

/// GET /admin/keys[?client=|?client_id=].
void handle_admin_keys(edge_self* self, http_call call);

/// POST /admin/keys.
void handle_admin_create_key(edge_self* self, http_call call, const principal& who,
                             const nlohmann::json& body);

/// POST /admin/keys/{key_id}/rotate (body optional: expires_at, overlap_seconds).
void handle_admin_rotate_key(edge_self* self, http_call call, const principal& who,
                             const std::string& key_id);

/// DELETE /admin/keys/{key_id}.
void handle_admin_revoke_key(edge_self* self, http_call call, const principal& who,
                             const std::string& key_id);

/// GET /admin/audit?target=&limit=&cursor=.
void handle_admin_audit(edge_self* self, http_call call);

/// GET /admin/usage?client=&from=&to=&granularity=hour|day.
void handle_admin_usage(edge_self* self, http_call call);

}  // namespace gp
