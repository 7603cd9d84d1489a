#pragma once
// The hot statements of the queues and the webhook outbox are prepared: PostgreSQL parses and
// plans them once per connection rather than on every call (planning alone took longer than
// executing several of them).
#include <pqxx/pqxx>

namespace gp::persistence {

/// Names a statement prepared on `c` (defined on first use; redefining it with the same text is a
/// no-op, so this also works on a fresh connection after a reconnect).
inline const char* prepared(pqxx::connection_base& c, const char* name, const char* sql) {
  c.prepare(name, sql);
  return name;
}

}  // namespace gp::persistence
