#pragma once
// What a raster is, as a publisher needs to know it, read with GDAL without reading its pixels
// (except one row per band, which shows a truncated file): size, bands, sample types, nodata, CRS,
// resolution, extent in EPSG:4326. Rasters that cannot be published are refused with a code the
// client can act on.
#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gp::io::geodata {

/// A raster that cannot be published: `code` is one of unreadable, empty_raster,
/// not_georeferenced, crs_unknown, invalid_source_crs.
struct raster_rejected : std::runtime_error {
  raster_rejected(std::string code, const std::string& message)
    : std::runtime_error(message), code(std::move(code)) {}
  std::string code;
};

/// Opens `path` with the raster drivers a client's file may use (GTiff, COG, PNG, JPEG,
/// JP2OpenJPEG, AAIGrid; never VRT, HFA or anything that reaches other files) and describes it:
/// {"driver", "width", "height", "bands", "data_types": [...], "nodata": [number|null...],
///  "crs": {"epsg": n|null, "wkt2": "..."}, "crs_from": "file"|"source_crs",
///  "resolution": [x, y], "extent_4326": [west, south, east, north]}.
/// `source_crs` (EPSG:n or WKT, may be empty) is used when the file has no CRS. `check_stop`
/// is called between steps (it throws to stop). Throws raster_rejected.
nlohmann::json describe_raster(const std::string& path, const std::string& source_crs,
                               const std::function<void()>& check_stop);

/// Registers GDAL's drivers once per process.
void ensure_gdal();

}  // namespace gp::io::geodata
