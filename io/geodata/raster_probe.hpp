#pragma once
// A quick look at a raster's structure (bands and sample types) with GDAL, without reading its
// pixels: what a submission needs to check before it is accepted (JPEG compression takes 8-bit
// data with 1 or 3 bands only). Only raster drivers that cannot reach other files are used.
#include <optional>
#include <string>
#include <vector>

namespace gp::io::geodata {

struct raster_shape {
  int bands = 0;
  /// GDAL's names of the bands' data types ("Byte", "UInt16", "Float32", …).
  std::vector<std::string> data_types;
};

/// Opens `path` read-only with the drivers a client's raster may use (open_client_raster);
/// nothing when none can.
std::optional<raster_shape> probe_raster(const std::string& path);

/// Empty when JPEG compression suits `shape` (8-bit samples, 1 or 3 bands); else the reason.
std::string jpeg_unsuitable(const raster_shape& shape);

/// Empty when JPEG compression suits the raster at `path`; else the reason (also when the file
/// cannot be read as a raster).
std::string jpeg_unsuitable(const std::string& path);

}  // namespace gp::io::geodata
