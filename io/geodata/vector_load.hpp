#pragma once
// The load of a vector layer: one streaming reader (GDAL's feature loop, never the whole layer in
// memory) repairs, reprojects and types each feature, and feeds parallel COPY streams into a
// staging table in schema geo and, on a thread of its own, the GeoPackage for download (written
// under a temporary name in one transaction).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "io/geodata/vector_store.hpp"

namespace gp::io::geodata {

struct vector_load_options {
  /// The request's source and what inspect_vector said of it.
  std::string source;
  nlohmann::json facts;
  /// geo.`table` is the final table; the rows go to geo.`staging` (recreated first).
  std::string table;
  std::string staging;
  /// Where the GeoPackage goes (`.<table>.gpkg.partial-…`); empty: none is written.
  std::string output_dir;
  /// Where the staging table and its rows go (one row_sink per COPY writer).
  std::shared_ptr<vector_store> store;
  int copy_writers = 2;
  uint64_t max_features = 0;
  /// The GeoPackage gets a spatial index when the layer has at most this many features: SQLite's
  /// R-tree costs about 12 s of CPU per million features on the reference machine, more than the
  /// whole load into PostgreSQL (bench/vector.sh). A GIS builds one when it opens a larger file.
  uint64_t gpkg_index_max_features = 250000;
  /// Asked between features; false stops the load.
  std::function<bool()> keep_going;
};

/// Loads the layer. Returns {"staging", "feature_count", "geometry_type", "bbox": [...]|null,
/// "columns": [{"name", "type", "source_name"}...], "warnings": {...}, "gpkg_partial": <file
/// name in output_dir>|null, "seconds": {"read", "drain"}} (the reader's loop, then the wait for
/// the COPY streams and the GeoPackage to finish). Warnings count features dropped or changed: empty_geometries,
/// repaired_geometries, unrepairable_geometries, other_geometry_types, untransformable_geometries,
/// recoded_texts, invalid_values. Throws vector_rejected: too_many_features, no_features,
/// source_unreadable, source_changed (permanent); stopped, load_failed (database or disk,
/// transient). On failure the staging table and the temporary GeoPackage are removed.
nlohmann::json load_vector(const vector_load_options& opts);

/// `.<table>.gpkg.partial-` — the prefix of the temporary GeoPackages of geo.`table`.
std::string partial_gpkg_prefix(const std::string& table);

/// Removes the temporary GeoPackages of geo.`table` in `dir` (earlier attempts, failed loads).
void remove_partial_gpkgs(const std::string& dir, const std::string& table);

/// What a failed or cancelled vector request leaves behind, removed (best effort, never
/// throws): the staging table of geo.`table` and the temporary GeoPackages in `output_dir`; with
/// `drop_table` (the request never completed, so nothing serves them) also geo.`table` itself,
/// its catalogue row and `<output_dir>/<table>.gpkg`.
void discard_vector_outputs(vector_store& store, const std::string& table,
                            const std::string& output_dir, bool drop_table);

/// Its file part (never throws).
void discard_vector_files(const std::string& output_dir, const std::string& table,
                          bool drop_table);

}  // namespace gp::io::geodata
