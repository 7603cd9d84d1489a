#pragma once
// The STAC catalogue as plain values: what a completed request adds to it, a search of it (with
// its CQL2 filter as a tree), and what a search finds. Shared by io (which parses queries into
// them and builds the documents) and persistence (which stores items and turns a search into
// parameterised SQL).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gp {

/// A property a search may filter and sort on (the Filter extension's queryables).
struct queryable {
  const char* name;
  /// JSON Schema of its values: "string", "integer", "datetime" (a string of format
  /// date-time) or "geometry".
  const char* type;
  const char* description;
  /// Whether sortby may name it.
  bool sortable;
};

/// Every queryable, the same for every collection.
inline constexpr queryable queryables[] = {
  {"id", "string", "The item's id", true},
  {"collection", "string", "The item's collection", true},
  {"geometry", "geometry", "The item's footprint (EPSG:4326)", false},
  {"datetime", "datetime", "The item's time, or the start of its time range", true},
  {"start_datetime", "datetime", "The start of the item's time range (its datetime when it has none)", true},
  {"end_datetime", "datetime", "The end of the item's time range (its datetime when it has none)", true},
  {"ddh:dataset_id", "string", "The DDH dataset of the published version", true},
  {"ddh:resource_id", "string", "The DDH resource of the published version", true},
  {"ddh:version_id", "string", "The DDH version published", true},
  {"ddh:request_id", "string", "The platform request that published it", true},
  {"vector:feature_count", "integer", "Features in a vector layer", true},
  {"proj:epsg", "integer", "EPSG code of the served asset's CRS (null when it has none)", true},
};

/// The queryable named `name`, or nullptr.
inline const queryable* find_queryable(const std::string& name) {
  for (const auto& q : queryables)
    if (name == q.name)
      return &q;
  return nullptr;
}

/// One item a completed request writes into the catalogue (platform.stac_items), replacing the
/// one it wrote before under the same key.
struct catalogue_item {
  std::string collection_id;
  std::string item_id;
  /// Which item of its request this is: "" for a vector or raster request, the COG's file name
  /// for one of a collection request's items.
  std::string item_key;
  std::string client_id, dataset_id, resource_id, version_id, request_id;
  /// The item's geometry (GeoJSON, EPSG:4326).
  std::string geometry_geojson;
  /// [west, south, east, north]; west > east across the antimeridian.
  std::array<double, 4> bbox{};
  /// The typed queryables `vector:feature_count` and `proj:epsg` (unset: null).
  std::optional<int64_t> feature_count;
  std::optional<int> epsg;
  /// RFC 3339; datetime empty when start and end are given.
  std::string datetime, start_datetime, end_datetime;
  /// The item as served.
  std::string item_json;
};

/// A collection a completed request writes into (platform.stac_collections); its extents are
/// kept current from its items by the write.
struct catalogue_collection {
  std::string collection_id;
  std::string client_id;
  /// The collection request it belongs to; empty for a client's vectors and rasters.
  std::string request_id;
  std::string title, description;
};

/// What a completed request adds to the catalogue, written in the transaction that stores its
/// completed state.
struct catalogue_entries {
  std::vector<catalogue_collection> collections;
  std::vector<catalogue_item> items;
  bool empty() const { return items.empty() && collections.empty(); }
};

/// A literal of a CQL2 filter.
struct filter_value {
  enum class kind : uint8_t { string, number, boolean, timestamp, date };
  kind type = kind::string;
  /// The string, the timestamp or date (RFC 3339), or the number's text.
  std::string text;
  double number = 0;
  bool boolean = false;
};

/// A node of a CQL2 filter, checked against the queryables when it was parsed.
struct filter_node {
  enum class kind : uint8_t {
    all_of,        ///< and: every child
    any_of,        ///< or: any child
    negation,      ///< not: its one child
    comparison,    ///< property op value (op: = <> < <= > >=)
    like,          ///< property like value (a pattern: % and _)
    in_list,       ///< property in values
    between,       ///< values[0] <= property <= values[1]
    is_null,       ///< property is null
    s_intersects,  ///< the item's geometry intersects geometry_geojson
    t_intersects,  ///< the item's time intersects [values[0], values[1]] (either may be "..")
    constant,      ///< true or false (values[0])
  };
  kind type = kind::constant;
  std::string op;
  /// A queryable's name (ddh:dataset_id, datetime, …).
  std::string property;
  std::vector<filter_value> values;
  std::string geometry_geojson;
  std::vector<filter_node> children;
};

/// A time interval; an empty end is open ("..").
struct time_interval {
  std::string start, end;
};

/// Sort keys of a search: a queryable, ascending or not.
struct sort_key {
  std::string property;
  bool ascending = true;
};

/// Where a page starts: after (or, going back, before) the item with these sort values.
struct page_position {
  bool backwards = false;
  /// The sort keys' values of the boundary item as text, then its collection and item id.
  std::vector<std::string> values;
};

/// A STAC search, parsed and checked (from GET /search's query, POST /search's body, or an
/// items route).
struct stac_search {
  /// Empty = every collection the scope sees.
  std::vector<std::string> collections;
  std::vector<std::string> ids;
  /// [west, south, east, north]; west > east across the antimeridian.
  std::optional<std::array<double, 4>> bbox;
  /// A GeoJSON geometry.
  std::string intersects_geojson;
  std::optional<time_interval> datetime;
  std::optional<filter_node> filter;
  std::vector<sort_key> sortby;
  int limit = 10;
  std::optional<page_position> position;
};

/// One item found, with the sort values that place it.
struct found_item {
  std::string collection_id, item_id;
  std::string item_json;
  std::vector<std::string> sort_values;
};

/// A page of a search.
struct search_page {
  std::vector<found_item> items;
  /// Whether items exist past each end of the page.
  bool more_after = false, more_before = false;
  /// -1 when not counted.
  int64_t matched = -1;
};

/// A collection row, its extents kept current by the writes of its items.
struct catalogue_collection_row {
  std::string collection_id, client_id, request_id, title, description;
  /// Unset while it has no item.
  std::optional<std::array<double, 4>> bbox;
  std::string start, end;
  int64_t item_count = 0;
};

}  // namespace gp
