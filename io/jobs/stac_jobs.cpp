#include "io/jobs/stac_jobs.hpp"

#include <filesystem>

#include "io/geodata/stac_facts.hpp"

namespace gp::io::jobs {

json raster_stac_json(const std::string& path, const std::string& name, bool overview) {
  auto f = geodata::stac_facts_of_raster(path);
  std::string png;
  if (overview) {
    png = std::filesystem::path{name}.stem().string() + ".overview.png";
    geodata::write_overview_png(path, f, (std::filesystem::path{path}.parent_path() / png).string());
  }
  json bands = json::array();
  for (const auto& b : f.raster.bands) {
    json band = {{"data_type", b.data_type}, {"spatial_resolution", b.spatial_resolution}};
    band["nodata"] = b.nodata ? json(*b.nodata) : json();
    if (b.minimum)
      band["statistics"] = {
        {"minimum", *b.minimum}, {"maximum", *b.maximum}, {"mean", *b.mean}, {"stddev", *b.stddev}};
    bands.push_back(band);
  }
  return {{"file", name},
          {"epsg", f.raster.epsg ? json(*f.raster.epsg) : json()},
          {"wkt2", f.raster.wkt2},
          {"shape", {f.raster.height, f.raster.width}},
          {"transform", stac::affine_of(f.raster.geotransform)},
          {"proj_bbox", stac::native_bbox(f.raster)},
          {"bands", bands},
          {"bounds", {f.bounds.west, f.bounds.south, f.bounds.east, f.bounds.north}},
          {"overview", png.empty() ? json() : json(png)}};
}

}  // namespace gp::io::jobs
