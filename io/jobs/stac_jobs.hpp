#pragma once
// The facts of published rasters for their STAC items, as the jobs keep them with a request's
// outputs (outputs.stac.rasters), read by the stac_catalog actor.
#include <string>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

/// The STAC facts of the COG at `path`, published as `name`: {"file", "epsg", "wkt2", "shape",
/// "transform", "proj_bbox", "bands", "bounds"}; with `overview`, also a PNG preview written
/// beside it as `<stem>.overview.png`, named in "overview". Throws geodata::raster_rejected.
json raster_stac_json(const std::string& path, const std::string& name, bool overview = false);

}  // namespace gp::io::jobs
