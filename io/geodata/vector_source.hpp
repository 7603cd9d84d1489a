#pragma once
// A client's vector source read with GDAL: opened with the vector drivers a client's file may use
// only, its archive checked from the ZIP directory before anything is extracted, its layer
// chosen, and described (CRS, geometry type, fields, feature count) without loading it. Sources
// that cannot be published are refused with a code the client can act on.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <gdal_priv.h>
#include <nlohmann/json.hpp>

#include "io/geodata/source_limits.hpp"

namespace gp::io::geodata {

/// A vector source that cannot be published (`permanent`: the client's data is at fault), or a
/// load that failed for another reason (database, disk: worth another attempt).
struct vector_rejected : std::runtime_error {
  vector_rejected(std::string code, const std::string& message, bool permanent = true)
    : std::runtime_error(message), code(std::move(code)), permanent(permanent) {}
  std::string code;
  bool permanent;
};

/// The formats a vector source may have, for messages.
inline constexpr const char* client_vector_formats =
  "GeoJSON, GeoPackage, zipped Shapefile, CSV or KML";

/// Describes the layer of `source` a vector request loads. `config` is the request's
/// processing_config (layer_name, lon_column, lat_column, wkt_column, source_crs). Checks the
/// source's size, and a ZIP's expanded size and ratio from its directory, against `limits`, and
/// the feature count when it is cheap to know. Returns
/// {"driver", "layer", "layers": [...], "member": <file inside a ZIP>|null,
///  "csv": {"lon", "lat"}|{"wkt"}|null, "source_crs": "EPSG:n"|WKT2, "crs_from":
///  "file"|"source_crs"|"default", "declared_geometry_type", "geometry_type" (what the table
///  will hold, e.g. MultiPolygon when single and multi polygons mix), "feature_count": n|null,
///  "fields": [{"source_name", "name", "type", "ogr_type"}...], "expanded_bytes" (ZIP only)}.
/// `check_stop` is called between steps and features (it throws to stop). Throws
/// vector_rejected with codes source_too_large, archive_unreadable, archive_too_large,
/// source_unreadable, layer_required, layer_not_found, column_not_found, no_geometry,
/// too_many_features, crs_required, invalid_source_crs.
nlohmann::json inspect_vector(const std::string& source, const nlohmann::json& config,
                              const source_limits& limits,
                              const std::function<void()>& check_stop);

/// The layer inspect_vector described (`facts` is its result), opened again.
struct opened_layer {
  GDALDatasetUniquePtr dataset;
  OGRLayer* layer = nullptr;
};

/// Opens the layer of `facts` in `source`; throws vector_rejected (source_unreadable).
opened_layer open_inspected_layer(const std::string& source, const nlohmann::json& facts);

/// The CRS `facts` recorded (EPSG:n or WKT2), with longitude-first axis order.
OGRSpatialReference inspected_crs(const nlohmann::json& facts);

}  // namespace gp::io::geodata
