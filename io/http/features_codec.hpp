#pragma once
// OGC API - Features (Part 1 subset) over the loaded vector tables: the query parameters of its
// routes (bbox, limit, offset, f) and the JSON documents it answers (landing page, conformance,
// collections, item pages). Pure; unit-tested without a server or a database.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/http/json_body.hpp"
#include "messages/features.hpp"

namespace gp::io::http {

/// Page size when `limit` is absent.
constexpr int64_t features_default_limit = 10;
/// Larger `limit` values are lowered to this (not refused), as OGC API - Features recommends.
constexpr int64_t features_max_limit = 10000;

/// Reads `bbox`, `limit`, `offset` and `f` of an items request; appends one error per bad
/// parameter (a parameter not listed, or one given twice, is an error too).
items_selection parse_items_query(std::string_view query, std::vector<field_error>& errors);

/// Checks the query of the other features routes: only `f` (`json`, and with `geojson_too` also
/// `geojson`) is accepted.
void check_plain_query(std::string_view query, bool geojson_too, std::vector<field_error>& errors);

/// A bbox value "minx,miny,maxx,maxy" in CRS84 degrees; nothing with `why` set when it is bad.
std::optional<lon_lat_box> parse_bbox(std::string_view text, std::string& why);

/// Whether `s` can name a collection (a table name of the catalogue: `^[a-z_][a-z0-9_]{0,62}$`).
bool is_collection_id(std::string_view s);

/// A feature id (a decimal 64-bit integer, optionally negative); nothing for anything else.
std::optional<int64_t> parse_feature_id(std::string_view s);

/// GET /features. `base` is the public base URL (no trailing slash).
nlohmann::json features_landing(const std::string& base);

/// GET /features/conformance.
nlohmann::json features_conformance();

/// One collection (in the list and at /features/collections/{cid}).
nlohmann::json collection_body(const vector_layer& layer, const std::string& base);

/// GET /features/collections.
nlohmann::json collections_body(const std::vector<vector_layer>& layers, const std::string& base);

/// A GeoJSON FeatureCollection around one page (`page.features` is spliced in as it is): with
/// numberMatched, numberReturned and links self, collection, prev (offset > 0) and next (when
/// offset + returned < matched).
std::string items_body(const vector_layer& layer, const items_selection& selection,
                       const items_page& page, const std::string& base);

/// One GeoJSON Feature (`feature`, an object as PostgreSQL built it) with links self and
/// collection added.
std::string item_body(const vector_layer& layer, int64_t fid,
                      const std::string& feature, const std::string& base);

}  // namespace gp::io::http
