#pragma once
// platform.clients: the organisations (DDH and others) that use the platform.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "persistence/pg_array.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

using gp::client_row;


/// Inserts a client without an audit row (test fixtures); returns false when the client_id
/// already exists.
bool insert_client(pqxx::connection& c, const client_row& row);

/// Creates a client and its audit row → the client as stored; nothing when the client_id
/// already exists.
std::optional<client_row> create_client(pqxx::connection& c, const client_row& row,
                                        const audit_context& by);

/// One client, or nothing.
std::optional<client_row> find_client(pqxx::connection& c, const std::string& client_id);

using gp::client_changes;

/// Applies the changes to one client with their audit row; returns the client as stored
/// afterwards, or nothing when there is no such client.
std::optional<client_row> update_client(pqxx::connection& c, const std::string& client_id,
                                        const client_changes& changes, const audit_context& by);

/// Every client, ordered by client_id.
std::vector<client_row> list_clients(pqxx::connection& c);

/// The callback host allowlist of a client (empty when it has none, or no such client).
std::vector<std::string> callback_hosts_of(pqxx::connection& c, const std::string& client_id);

/// Makes `new_secret` the client's webhook secret; the one it replaces keeps signing for
/// `grace_seconds` (docs/webhooks.md). Returns when the previous secret stops signing (RFC 3339),
/// or nothing when there is no such client.
std::optional<std::string> rotate_webhook_secret(pqxx::connection& c, const std::string& client_id,
                                                 const std::string& new_secret,
                                                 int64_t grace_seconds, const audit_context& by);

/// Whether a client with this id exists.
bool client_exists(pqxx::connection& c, const std::string& client_id);


}  // namespace gp::persistence
