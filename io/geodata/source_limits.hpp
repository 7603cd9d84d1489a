#pragma once
// What a client's source may cost: checked by the geodata readers and by the jobs that hand
// sources to them, so it lives here, below both.
#include <cstdint>

namespace gp::io::geodata {

/// Limits on what a client's source may cost (the [limits] configuration section).
struct source_limits {
  /// Largest source file (or sum of a folder's matching files), in bytes.
  uint64_t max_source_bytes = 20ull << 30;
  /// Most bytes an archive (a zipped Shapefile) may expand to.
  uint64_t max_expanded_bytes = 20ull << 30;
  /// Largest expansion ratio of an archive (expanded / compressed).
  uint64_t max_expansion_ratio = 200;
  /// Most pixels (width × height) of one raster.
  uint64_t max_pixels = 4000ull * 1000 * 1000;
  /// Most features of one vector source.
  uint64_t max_features = 100ull * 1000 * 1000;
  /// Largest KML source (GDAL's KML driver holds the whole document in memory).
  uint64_t max_kml_bytes = 64ull << 20;
};

}  // namespace gp::io::geodata
