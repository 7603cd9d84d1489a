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

}  // namespace gp::io::geodata
