#pragma once
// One PostgreSQL connection with the service's session settings, and the translation of
// libpqxx failures into gp error codes. Knows nothing about actors.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// How to reach the database and what every session sets.
struct db_options {
  /// libpq URI, e.g. postgresql://user:pass@127.0.0.1:5433/geoplatform
  std::string url;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::seconds connect_timeout{3};
  std::string application_name = "geoplatform";
};

/// `url` with connect_timeout and application_name appended as URI parameters.
std::string connection_string(const db_options& opts);

/// `url` with any password replaced by "***" (safe to log).
std::string redact_url(const std::string& url);

/// What a client may read of a database error: an SQL error's first line (about the data, e.g.
/// a value of the wrong type), "the database cannot be reached" for a lost or refused
/// connection (whose text names hosts and users), else "an internal error". Callers log the
/// full text.
std::string db_error_for_client(const std::exception& e);

/// Thrown by a repository when the state of a row does not allow the operation (becomes
/// errc::conflict).
struct conflict_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Translates the exception in flight (call inside a catch block) into a gp error.
caf::error current_exception_to_error();

/// A lazily (re)connecting database session. Not thread-safe: one owner at a time.
class db_session {
public:
  explicit db_session(db_options opts);
  ~db_session();
  db_session(const db_session&) = delete;
  db_session& operator=(const db_session&) = delete;

  /// The open connection, connecting first when needed. Throws pqxx errors.
  pqxx::connection& conn();

  /// Runs `fn` on the connection. Exceptions become gp errors; a broken connection is dropped so
  /// the next call reconnects (this is how the pool survives a database restart).
  template <class T>
  caf::expected<T> run(const std::function<T(pqxx::connection&)>& fn) {
    try {
      return fn(conn());
    } catch (...) {
      auto err = current_exception_to_error();
      drop_if_broken(err);
      return err;
    }
  }

  /// True while a connection is open.
  bool connected() const;

  /// Closes the connection (the next call reconnects).
  void disconnect();

  const db_options& options() const { return opts_; }

private:
  void drop_if_broken(const caf::error& err);

  db_options opts_;
  std::unique_ptr<pqxx::connection> conn_;
};

/// Opens a connection with the session settings applied. Throws pqxx errors.
std::unique_ptr<pqxx::connection> open_connection(const db_options& opts);

}  // namespace gp::persistence
