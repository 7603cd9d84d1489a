#include "persistence/database.hpp"

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
  auto scheme = url.find("://");
  if (scheme == std::string::npos)
    return url;
  auto at = url.find('@', scheme + 3);
  if (at == std::string::npos)
    return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
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
    if (state == "57014")
      return caf::make_error(errc::database_timeout, std::string{"statement timeout"});
    return caf::make_error(errc::database_error, state + ": " + e.what());
  } catch (const migration_error& e) {
    return caf::make_error(errc::schema_not_ready, std::string{e.what()});
  } catch (const pqxx::in_doubt_error& e) {
    return caf::make_error(errc::database_unavailable, std::string{e.what()});
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

pqxx::connection& db_session::conn() {
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

}  // namespace gp::persistence
