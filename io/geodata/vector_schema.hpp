#pragma once
// The pure rules of vector ingest (no file, no database): PostgreSQL column types for OGR field
// types, PostGIS names of geometry types, which columns of a CSV hold its geometry, and the text
// a COPY stream needs (escaping, UTF-8 repair).
#include <string>
#include <string_view>
#include <vector>

#include <ogr_core.h>

namespace gp::io::geodata {

/// The PostgreSQL type of an OGR field: integer (boolean for OGR's boolean subtype), bigint,
/// double precision, text (jsonb for OGR's JSON subtype), date, time, timestamptz, bytea, and
/// jsonb for every list type (the values as a JSON array).
std::string pg_type_for(OGRFieldType type, OGRFieldSubType subtype);

/// The PostGIS name of a flat (2D) geometry type: Point, LineString, Polygon, MultiPoint,
/// MultiLineString, MultiPolygon, GeometryCollection; Geometry for anything else (wkbUnknown).
std::string postgis_type_name(OGRwkbGeometryType type);

/// Where a CSV's geometry is.
struct csv_geometry {
  enum class kind { none, lon_lat, wkt } found = kind::none;
  /// The header's own spelling of the columns (GDAL matches them as given).
  std::string lon, lat, wkt;
  /// Set when a column the client named does not exist: the processing_config key.
  std::string missing_key;
};

/// Finds the geometry columns of a CSV with `header`. Names given by the client (may be empty)
/// must exist; otherwise a WKT column (`wkt`, `geometry`, `geom`, `the_geom`, `wkt_geom`) is
/// preferred, then a longitude column (`lon`, `long`, `longitude`, `lng`, `x`) with a latitude
/// column (`lat`, `latitude`, `y`). Names match without regard to case or surrounding blanks.
csv_geometry detect_csv_geometry(const std::vector<std::string>& header,
                                 const std::string& lon_column, const std::string& lat_column,
                                 const std::string& wkt_column);

/// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s);

/// `s` as UTF-8: well-formed sequences are kept; every other byte is read as Windows-1252 (the
/// usual encoding of text that is not UTF-8), or becomes U+FFFD where that code page has no
/// character.
std::string repair_utf8(std::string_view s);

/// Appends `s` to a COPY text-format row: backslash, tab, newline and carriage return escaped.
void append_copy_escaped(std::string& out, std::string_view s);

}  // namespace gp::io::geodata
