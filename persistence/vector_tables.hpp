#pragma once
// The tables vector requests load into schema geo, and their catalogue platform.vector_layers:
// a staging table filled by parallel COPY streams (libpq, one connection each), then published
// in one transaction (indexes, statistics, the old table replaced, the catalogue row upserted).
// Table and column names come from io/geodata/naming (safe identifiers); they are quoted anyway.
#include <optional>
#include <string>
#include <vector>

#include "messages/features.hpp"
#include "persistence/pqxx_fwd.hpp"

typedef struct pg_conn PGconn;

namespace gp::persistence {

using gp::vector_column;

/// Drops geo.`staging` if it exists and creates it: fid bigint NOT NULL, `columns`, and geom
/// geometry(`geometry_type`, 4326). No index yet: they are built once, after the load.
void create_staging_table(pqxx::connection& c, const std::string& staging,
                          const std::vector<vector_column>& columns,
                          const std::string& geometry_type);

/// DROP TABLE IF EXISTS geo.`name`.
void drop_geo_table(pqxx::connection& c, const std::string& name);

/// In one transaction: geo.`name` dropped and its catalogue row deleted.
void forget_vector_table(pqxx::connection& c, const std::string& name);

/// Whether geo.`name` exists.
bool geo_table_exists(pqxx::connection& c, const std::string& name);

using gp::vector_layer_row;
using gp::vector_footprint;

/// In one transaction: the primary key on fid and a GIST index on geom of geo.`staging`,
/// ANALYZE, the old geo.`row.table_name` dropped, the staging table renamed to it, and the
/// catalogue row inserted or replaced. A re-run replaces, never duplicates.
void publish_vector_table(pqxx::connection& c, const std::string& staging,
                          const vector_layer_row& row);

/// The catalogue row of geo.`table_name` as JSON ({"table_name", "request_id", "client_id",
/// "title", "feature_count", "geometry_type", "bbox", "source_crs", "columns", "created_at"}),
/// or nothing.
std::optional<std::string> find_vector_layer(pqxx::connection& c, const std::string& table_name);

/// The convex hull and geometry types of geo.`table`, and the range of `time_column` (empty:
/// none; a date or time column, or text cast to timestamptz).
vector_footprint vector_table_footprint(pqxx::connection& c, const std::string& table,
                                        const std::string& time_column);

/// One COPY … FROM STDIN (text format) on a connection of its own. Not thread-safe: one owner.
class copy_stream {
public:
  /// Connects to `url` (UTC session time zone, asynchronous commit: the data is committed by the
  /// publishing transaction's own durable commit later) and starts COPY geo.`table` (`columns`).
  /// Throws std::runtime_error.
  copy_stream(const std::string& url, const std::string& table,
              const std::vector<std::string>& columns);
  ~copy_stream();
  copy_stream(const copy_stream&) = delete;
  copy_stream& operator=(const copy_stream&) = delete;

  /// Sends rows (complete lines). Throws std::runtime_error with the server's message.
  void put(const std::string& rows);
  /// Ends the COPY and commits it. Throws std::runtime_error with the server's message.
  void finish();
  /// Ends the COPY without committing (best effort).
  void abort() noexcept;

private:
  std::string error_text() const;
  PGconn* conn_ = nullptr;
  bool open_ = false;
};

}  // namespace gp::persistence
