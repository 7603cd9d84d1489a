#include "persistence/database.hpp"

#include <poll.h>

#include <pqxx/pqxx>

#include "messages/errors.hpp"
#include "persistence/migrations.hpp"

namespace gp::persistence {

std::string connection_string(const db_options& opts) {
  std::string out = opts.url;
  out += out.find('?') == std::string::npos ? '?' : '&';
  out += "connect_timeout=" + std::to_string(opts.connect_timeout.count());
  out += "&application_name=" + opts.application_name;
  return out;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  auto at = scheme == std::string::npos ? std::string::npos : out.find('@', scheme + 3);
  auto colon = scheme == std::string::npos ? std::string::npos : out.find(':', scheme + 3);
  if (at != std::string::npos && colon != std::string::npos && colon < at)
    out = out.substr(0, colon + 1) + "***" + out.substr(at);
  // A password given as a URI parameter: ?password=... or &password=...
  for (auto p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p == 0 || (out[p - 1] != '?' && out[p - 1] != '&'))
      continue;
    auto end = out.find('&', p);
    out = out.substr(0, p + 9) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

namespace {

// SQLSTATE classes that mean "the server is not there right now".
bool is_unavailable_state(const std::string& state) {
  return state.rfind("08", 0) == 0      // connection exception
         || state == "57P01"            // admin_shutdown
         || state == "57P02"            // crash_shutdown
         || state == "57P03";           // cannot_connect_now (starting up)
}

}  // namespace

caf::error current_exception_to_error() {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return caf::make_error(errc::database_unavailable, std::string{e.what()});
  } catch (const pqxx::sql_error& e) {
    const auto& state = e.sqlstate();
    if (is_unavailable_state(state))
      return caf::make_error(errc::database_unavailable, std::string{e.what()});
    if (state == "57014" || state == "55P03")
      return caf::make_error(errc::database_timeout, std::string{"statement or lock timeout"});
    // Serialization failures and deadlocks are transient: the caller may simply try again.
    if (state == "40001" || state == "40P01")
      return caf::make_error(errc::database_unavailable, state + ": " + e.what());
    // A missing table or schema before migrations have run.
    if (state == "42P01" || state == "3F000")
      return caf::make_error(errc::schema_not_ready, state + ": " + e.what());
    return caf::make_error(errc::database_error, state + ": " + e.what());
  } catch (const migration_error& e) {
    return caf::make_error(errc::schema_not_ready, std::string{e.what()});
  } catch (const pqxx::in_doubt_error& e) {
    return caf::make_error(errc::database_unavailable, std::string{e.what()});
  } catch (const conflict_error& e) {
    return caf::make_error(errc::conflict, std::string{e.what()});
  } catch (const std::exception& e) {
    return caf::make_error(errc::internal, std::string{e.what()});
  } catch (...) {
    return caf::make_error(errc::internal, std::string{"unknown exception"});
  }
}

std::unique_ptr<pqxx::connection> open_connection(const db_options& opts) {
  auto c = std::make_unique<pqxx::connection>(connection_string(opts));
  pqxx::nontransaction tx{*c};
  tx.exec("SET statement_timeout = " + std::to_string(opts.statement_timeout.count()));
  tx.exec("SET lock_timeout = " + std::to_string(opts.statement_timeout.count()));
  tx.exec("SET TIME ZONE 'UTC'");
  return c;
}

db_session::db_session(db_options opts) : opts_(std::move(opts)) {}

db_session::~db_session() = default;

namespace {

/// Whether the server has closed (or is closing) an idle connection: a restart or
/// pg_terminate_backend sends the session a last error and closes the socket, which libpq would
/// only notice at the next statement, failing it. Nothing else arrives unasked on an idle
/// session here (no LISTEN; a parameter report is rare), so a readable socket means the end: a
/// healthy one replaced by mistake costs one reconnect.
bool closed_by_server(const pqxx::connection& c) {
  pollfd p{c.sock(), POLLIN, 0};
  return p.fd < 0 || ::poll(&p, 1, 0) != 0;
}

}  // namespace

pqxx::connection& db_session::conn() {
  // A connection the server closed while it sat idle (the database restarted) is replaced
  // before it is used: the statement would fail only to have the next one reconnect.
  if (conn_ && conn_->is_open() && closed_by_server(*conn_))
    conn_.reset();
  if (!conn_ || !conn_->is_open())
    conn_ = open_connection(opts_);
  return *conn_;
}

bool db_session::connected() const { return conn_ && conn_->is_open(); }

void db_session::disconnect() { conn_.reset(); }

void db_session::drop_if_broken(const caf::error& err) {
  // A fresh connection is the only reliable recovery after the server went away; a healthy
  // connection dropped by mistake would only cost one reconnect.
  if (is(err, errc::database_unavailable) || (conn_ && !conn_->is_open()))
    conn_.reset();
}

std::string db_error_for_client(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    std::string text = sql->what();
    auto nl = text.find('\n');
    return nl == std::string::npos ? text : text.substr(0, nl);
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr)
    return "the database cannot be reached";
  return "an internal error";
}

}  // namespace gp::persistence
