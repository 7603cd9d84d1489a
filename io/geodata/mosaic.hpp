#pragma once
// MosaicJSON 0.0.3 documents over a collection's COGs: which files cover which web-mercator
// quadkey, and the zoom range a tiler should serve. Pure: the COGs are described beforehand.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gp::io::geodata {

/// One COG of a mosaic.
struct mosaic_source {
  /// The file name (the data route turns it into its URL).
  std::string name;
  /// west, south, east, north in EPSG:4326.
  std::array<double, 4> bounds{};
  /// Pixels across and down (in its own CRS).
  int64_t width = 0;
  int64_t height = 0;
};

/// The web-mercator zoom whose tile pixels are no coarser than the source's pixels, from its
/// bounds and width: ceil(log2(156543.034 m / mercator resolution)), within 0–24.
int native_zoom(const mosaic_source& s);

/// The zoom at which the whole source fits in about one 256-pixel tile (native zoom minus the
/// levels of its overviews), at least 0.
int overview_zoom(const mosaic_source& s);

/// The quadkeys of the tiles at `zoom` that `bounds` (EPSG:4326) touches. Latitudes are clamped
/// to web mercator's ±85.0511°.
std::vector<std::string> quadkeys_covering(const std::array<double, 4>& bounds, int zoom);

/// The MosaicJSON 0.0.3 document: bounds (the union), center, minzoom/maxzoom over the sources,
/// quadkey_zoom (minzoom, raised no further than needed to keep the tile map under
/// `max_tiles` entries: lowered while it is larger), and tiles: quadkey → file names in the
/// sources' order. Throws std::invalid_argument for no sources.
nlohmann::json mosaic_document(const std::vector<mosaic_source>& sources, const std::string& name,
                               size_t max_tiles = 100000);

}  // namespace gp::io::geodata
