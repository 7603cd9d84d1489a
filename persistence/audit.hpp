#pragma once
// platform.audit_log: one row per admin change (clients, keys, secrets, redeliveries), written
// in the transaction of the change itself, never with a secret or a key hash in it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/records.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// Appends an audit row in `tx`. `before` and `after` are JSON text (empty: none).
void write_audit(pqxx::transaction_base& tx, const audit_context& by, const std::string& action,
                 const std::string& target, const std::string& before, const std::string& after);

/// A client as the audit shows it (its columns without the webhook secrets), locked for the
/// change that follows; empty when there is no such client.
std::string client_snapshot(pqxx::transaction_base& tx, const std::string& client_id);

/// A key as the audit shows it (its columns without the hash), locked; empty when none.
std::string key_snapshot(pqxx::transaction_base& tx, const std::string& key_id);

/// The audit rows of one target ("client:ddh", "key:ab12cd34"; empty: all), newest first,
/// below `before_id` (0: from the newest), at most `limit`.
std::vector<audit_row> list_audit(pqxx::connection& c, const std::string& target,
                                  int64_t before_id, int limit);

}  // namespace gp::persistence
