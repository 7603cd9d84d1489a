#pragma once
// What a vector load and the vector jobs need of the database, as an interface: the staging
// table and its COPY rows, publishing, the catalogue row, and the clean-up. io/ declares it and
// holds no SQL and no database client; the service implements it over persistence/
// (app/stores.*) and hands it to the job library in its task_environment.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "messages/features.hpp"

namespace gp::io::geodata {

/// A database failure behind a store. what() is the whole text, for the log; `for_client` is the
/// part a client may read (a lost connection's text names hosts and users, so it is not).
struct store_error : std::runtime_error {
  store_error(const std::string& what, std::string for_client)
    : std::runtime_error(what), for_client(std::move(for_client)) {}
  std::string for_client;
};

/// Thrown by vector_store::publish when the request was cancelled meanwhile: a cancelled request
/// never gains a table after its clean-up.
struct store_conflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What a client may read of a failure behind a store: a store_error's `for_client`, and for
/// anything else (not a database failure) "an internal error".
inline std::string client_text(const std::exception& e) {
  const auto* db = dynamic_cast<const store_error*>(&e);
  return db != nullptr ? db->for_client : "an internal error";
}

using gp::vector_column;
using gp::vector_footprint;

using gp::vector_layer_row;

/// One COPY stream into a staging table, owned by one writer thread of a load. It is called once
/// per batch of complete text-format lines (about 1 MiB), never per row, so the interface costs
/// nothing next to the copy itself. Not thread-safe: one owner.
class row_sink {
public:
  virtual ~row_sink() = default;
  /// Sends `rows` (complete lines, tab-separated, COPY's text format). Throws store_error.
  virtual void put(const std::string& rows) = 0;
  /// Ends the stream and commits what it sent. Throws store_error.
  virtual void finish() = 0;
  /// Ends the stream without committing (best effort); also what destruction without finish
  /// does.
  virtual void abort() noexcept = 0;
};

/// The tables vector requests load into schema geo and their catalogue. Shared by every task
/// worker, load thread and clean-up of a node, so implementations are thread-safe. Table and
/// column names come from naming.hpp (safe identifiers). Every method throws store_error when
/// the database fails.
class vector_store {
public:
  virtual ~vector_store() = default;

  /// Drops geo.`staging` if it exists and creates it: fid bigint NOT NULL, `columns`, and geom
  /// geometry(`geometry_type`, 4326), without indexes (they are built once, by publish), so a
  /// retried load starts from an empty table.
  virtual void create_staging_table(const std::string& staging,
                                    const std::vector<vector_column>& columns,
                                    const std::string& geometry_type) = 0;

  /// Drops geo.`name` if it exists (a staging table a load left).
  virtual void drop_table(const std::string& name) = 0;

  /// Drops geo.`name` and deletes its catalogue row, together (a cancelled request's table).
  virtual void forget_table(const std::string& name) = 0;

  /// Whether geo.`name` exists.
  virtual bool table_exists(const std::string& name) = 0;

  /// Together: the primary key on fid and a GIST index of geo.`staging`, statistics, the old
  /// geo.`row.table_name` replaced by the staging table, and the catalogue row inserted or
  /// replaced. A re-run replaces, never duplicates. Throws store_conflict when the request was
  /// cancelled (nothing is published then).
  virtual void publish(const std::string& staging, const vector_layer_row& row) = 0;

  /// The catalogue row of geo.`table_name` as JSON ({"table_name", "request_id", "client_id",
  /// "title", "feature_count", "geometry_type", "bbox", "source_crs", "columns",
  /// "created_at"}), or nothing.
  virtual std::optional<std::string> find_layer(const std::string& table_name) = 0;

  /// The footprint of geo.`table`: its convex hull and geometry types, and the range of
  /// `time_column` (empty: none) read as timestamps: a date, timestamp or timestamptz column, or
  /// text holding dates or times PostgreSQL reads (another value sets `time_error`).
  virtual vector_footprint footprint(const std::string& table, const std::string& time_column) = 0;

  /// Starts a COPY of `columns` into geo.`table` on a connection of its own (one per writer
  /// thread: the streams run in parallel).
  virtual std::unique_ptr<row_sink> open_sink(const std::string& table,
                                              const std::vector<std::string>& columns) = 0;
};

}  // namespace gp::io::geodata
