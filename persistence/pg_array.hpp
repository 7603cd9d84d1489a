#pragma once
// PostgreSQL text[] values in and out: how lists (callback hosts, endpoint patterns) and batches
// (task ids, results) are passed as one parameter.
#include <string>
#include <vector>

namespace gp::persistence {

/// A PostgreSQL text[] literal for `xs` (quoted and escaped).
std::string to_pg_array(const std::vector<std::string>& xs);

/// `x` as text that reads back as the same double (%.17g).
std::string exact_text(double x);

/// A PostgreSQL float8[] literal for `xs`, each exact.
std::string to_pg_float_array(const std::vector<double>& xs);

/// Parses a PostgreSQL text[] value as returned by the server.
std::vector<std::string> from_pg_array(const std::string& text);

}  // namespace gp::persistence
