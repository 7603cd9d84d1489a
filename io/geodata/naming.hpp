#pragma once
// Names the geodata jobs derive from a request's identity: safe PostgreSQL identifiers.
#include <string>
#include <vector>

namespace gp::io::geodata {

/// The table of a vector request in schema geo: `<client>_<dataset>_<resource>_<version>`
/// lower-cased, every run of characters outside [a-z0-9] made one `_`, cut so that with the
/// suffix `_<10 hex of SHA-256 of the identity>` it stays within 63 characters, and prefixed
/// with `t_` when it would not start with a letter. Distinct identities give distinct names
/// (the hash), the same identity always the same name (a re-run replaces the table).
std::string table_name_for(const std::string& client_id, const std::string& dataset_id,
                           const std::string& resource_id, const std::string& version_id);

/// A source column name as a PostgreSQL column: lower-case, [a-z0-9_] only, not starting with a
/// digit, at most 63 bytes, never `fid` or `geom` (those get a `_1` suffix); empty becomes
/// `column`. Callers de-duplicate (see unique_column_names).
std::string sanitize_column_name(const std::string& name);

/// The source column names as PostgreSQL columns, in order: each sanitized, and a name already
/// taken (case and punctuation differences collapse, e.g. `Name` and `NAME`) gets `_2`, `_3`, …
/// (cut so that it stays within 63 bytes).
std::vector<std::string> unique_column_names(const std::vector<std::string>& names);

/// The staging table a load of geo.`table` writes before finalize renames it into place:
/// `_stg_<table>`, cut before the table's hash suffix when longer than 63 bytes. Table names
/// start with a letter, so a staging name never equals a table name.
std::string staging_table_name(const std::string& table);

}  // namespace gp::io::geodata
