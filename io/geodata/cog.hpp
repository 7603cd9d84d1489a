#pragma once
// Cloud-Optimized GeoTIFFs with GDAL's COG driver: tiled, with overviews, written under a
// temporary name and renamed when complete (a crash never leaves a half file under the final
// name), stoppable through GDAL's progress callback.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace gp::io::geodata {

struct cog_options {
  /// deflate | lzw | zstd | jpeg
  std::string compression = "deflate";
  int blocksize = 512;
  /// EPSG:n or WKT for a source without a CRS (empty: none).
  std::string source_crs;
  /// Set as the nodata value when given.
  bool has_nodata = false;
  double nodata = 0;
};

/// Writes `source` as a COG at `target` (its folder is created). `keep_going` is asked from
/// GDAL's progress callback; false stops the write. Returns {"bytes", "compression", "blocksize",
/// "bands": [{"min", "max", "mean", "stddev"}...]} (approximate statistics). Throws
/// raster_rejected (code `unreadable` or `cog_failed`) and removes the temporary file on failure.
nlohmann::json write_cog(const std::string& source, const std::string& target,
                         const cog_options& opts, const std::function<bool()>& keep_going);

}  // namespace gp::io::geodata
