#pragma once
// The features collections as plain values: a layer of the platform.vector_layers catalogue, what
// to read of its table and one page of it. Shared by persistence (which reads them from the
// database) and io (which parses the query into them and encodes them as OGC API documents).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gp {

/// A column of a staging table that a vector load fills.
struct vector_column {
  std::string name;
  /// A PostgreSQL type (integer, text, jsonb, …).
  std::string type;
};

/// Where and when a published layer's features are, for its STAC item.
struct vector_footprint {
  /// The convex hull of the features in EPSG:4326, as GeoJSON (empty when there is none).
  std::string hull_geojson;
  /// [west, south, east, north] in EPSG:4326, west > east across the antimeridian; empty when
  /// the layer has no geometry.
  std::vector<double> bounds;
  /// Geometry types present, as OGC names (Point, MultiPolygon, …), sorted.
  std::vector<std::string> geometry_types;
  /// The range of the time column asked for, RFC 3339 UTC (empty when none was asked for, or
  /// it holds no value).
  std::string start, end;
  /// Set when the time column holds a value that is not a date or time: what was refused.
  std::string time_error;
};

/// The catalogue row (platform.vector_layers) that publishing a loaded table writes.
struct vector_layer_row {
  std::string table_name;
  std::string request_id;
  std::string client_id;
  std::string title;
  long long feature_count = 0;
  std::string geometry_type;
  /// [minx, miny, maxx, maxy] in EPSG:4326; empty for none.
  std::vector<double> bbox;
  std::string source_crs;
  /// JSON array [{"name", "type", "source_name"}...].
  std::string columns_json = "[]";
};

/// One row of platform.vector_layers whose table exists.
struct vector_layer {
  std::string table_name;
  std::string request_id;
  std::string client_id;
  std::string title;
  int64_t feature_count = 0;
  std::string geometry_type;
  /// [minx, miny, maxx, maxy] in EPSG:4326; absent for an empty layer.
  std::optional<std::array<double, 4>> bbox;
  std::string source_crs;
  /// RFC 3339 UTC.
  std::string created_at;
};

/// A bounding box filter in EPSG:4326 (longitude, latitude). min_lon > max_lon means the box
/// crosses the antimeridian (it is then two boxes, one each side).
struct lon_lat_box {
  double min_lon = 0;
  double min_lat = 0;
  double max_lon = 0;
  double max_lat = 0;
};

/// Most bytes of features in one page by default (at least one feature is always returned).
constexpr int64_t page_byte_budget = 32 << 20;

/// What to read from a layer's table: features intersecting `box` (all when absent), ordered by
/// fid, `limit` of them after skipping `offset`.
struct items_selection {
  std::optional<lon_lat_box> box;
  int64_t limit = 10;
  int64_t offset = 0;
  /// The page ends early once its features reach this many bytes.
  int64_t max_bytes = page_byte_budget;
};

/// One page of a layer's features.
struct items_page {
  /// Features matching the selection (without limit and offset).
  int64_t matched = 0;
  /// Features in `features`.
  int64_t returned = 0;
  /// A JSON array of GeoJSON Feature objects (`id` = fid, every column but fid and geom in
  /// `properties`, in table order).
  std::string features = "[]";
};

}  // namespace gp
