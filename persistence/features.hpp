#pragma once
// The features collections: the platform.vector_layers catalogue and the geo.<table_name> tables
// it lists (migration 0006). Table and column names are never taken from a caller: a table name
// is used only after its catalogue row was found, and column names are read from the table itself;
// both are quoted as identifiers. Pages are built as GeoJSON text by PostgreSQL.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

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

/// What to read from a layer's table: features intersecting `box` (all when absent), ordered by
/// fid, `limit` of them after skipping `offset`.
/// Most bytes of features in one page by default (at least one feature is always returned).
constexpr int64_t page_byte_budget = 32 << 20;

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

/// The layers a client may see (`client_id` empty: every client's), by table name. Catalogue rows
/// whose table does not exist are left out.
std::vector<vector_layer> list_vector_layers(pqxx::connection& c, const std::string& client_id);

/// One layer, if it exists and belongs to `client_id` (empty: any client).
std::optional<vector_layer> find_vector_layer(pqxx::connection& c, const std::string& table_name,
                                              const std::string& client_id);

/// A page of `layer`'s features and an exact count of the matching rows, read in one snapshot.
/// The page ends early when its features reach selection.max_bytes (returned says how many).
items_page read_items(pqxx::connection& c, const vector_layer& layer,
                      const items_selection& selection);

/// One feature of `layer` as GeoJSON text, if a row with this fid exists.
std::optional<std::string> read_item(pqxx::connection& c, const vector_layer& layer, int64_t fid);

}  // namespace gp::persistence
