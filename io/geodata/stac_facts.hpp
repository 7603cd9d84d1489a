#pragma once
// What a published raster says about itself in STAC terms, read with GDAL: its grid and CRS (the
// EPSG code, or WKT2 when it has none), its bands with approximate statistics, and its bounds in
// EPSG:4326 from the densified outline of its extent (west > east across the antimeridian). Run
// off the scheduler threads: statistics read the raster's overviews.
#include <string>

#include "io/stac/items.hpp"

namespace gp::io::geodata {

struct raster_stac_facts {
  stac::raster_facts raster;
  stac::lon_lat_bounds bounds;
};

/// The facts of the raster at `path` (a COG the platform wrote). Writes nothing beside it (no
/// .aux.xml). Throws raster_rejected (io/geodata/raster_facts.hpp) when it cannot be read or
/// placed on Earth.
raster_stac_facts stac_facts_of_raster(const std::string& path);

/// Writes a PNG preview of the raster at `path` (its facts `f`) to `png`, at most `max_side`
/// pixels on its longer side, read from the COG's overviews: its first three bands when it has
/// three 8-bit ones, else its first band in grey, scaled from its approximate minimum and maximum.
/// Written through a temporary file; nothing is left beside either file. Throws raster_rejected.
void write_overview_png(const std::string& path, const raster_stac_facts& f,
                        const std::string& png, int max_side = 256);

}  // namespace gp::io::geodata
