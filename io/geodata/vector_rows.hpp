#pragma once
// How one feature becomes one row of a COPY stream (text format): attribute values typed for
// their PostgreSQL columns, the geometry as hex EWKB with SRID 4326, and counts of what had to
// be changed on the way.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <ogr_feature.h>

namespace gp::io::geodata {

/// Features dropped or changed by a load (the "warnings" of its result).
struct feature_counts {
  uint64_t empty_geometries = 0;
  uint64_t repaired_geometries = 0;
  uint64_t unrepairable_geometries = 0;
  uint64_t other_geometry_types = 0;
  uint64_t untransformable_geometries = 0;
  uint64_t recoded_texts = 0;
  uint64_t invalid_values = 0;

  /// The counts that are not zero.
  nlohmann::json to_json() const;
};

/// How a field's values are written (from its OGR type and subtype; see pg_type_for).
enum class field_kind { integer, integer64, real, boolean, text, json_text, date, time, datetime,
                        binary, integer_list, integer64_list, real_list, string_list };

field_kind kind_of(const OGRFieldDefn& fd);

/// Appends field `i` of `f` as COPY text (\N for null). Text that is not UTF-8 is repaired, and
/// values PostgreSQL would refuse (a date of month 13, JSON that does not parse) become NULL, in
/// the feature too (the GeoPackage gets the same values), and are counted in `warn`.
void append_field(std::string& row, OGRFeature& f, int i, field_kind k, feature_counts& warn);

/// Appends `g` (2D) as hex EWKB with SRID 4326 (what PostGIS reads fastest from COPY text);
/// `buf` is scratch space reused between calls.
void append_ewkb_hex(std::string& out, const OGRGeometry& g, std::vector<unsigned char>& buf);

/// Appends `v` in decimal.
void append_integer(std::string& out, long long v);

}  // namespace gp::io::geodata
