#include "io/geodata/raster_probe.hpp"

#include "io/geodata/gdal_common.hpp"

namespace gp::io::geodata {

std::optional<raster_shape> probe_raster(const std::string& path) {
  // A file GDAL cannot read is an answer here, not an error for the log.
  quiet_gdal quiet;
  auto ds = open_client_raster(path);
  if (!ds)
    return std::nullopt;
  raster_shape out;
  out.bands = ds->GetRasterCount();
  for (int i = 1; i <= out.bands; ++i)
    out.data_types.emplace_back(GDALGetDataTypeName(ds->GetRasterBand(i)->GetRasterDataType()));
  return out;
}

std::string jpeg_unsuitable(const raster_shape& shape) {
  if (shape.bands != 1 && shape.bands != 3)
    return "jpeg needs 1 or 3 bands; this raster has " + std::to_string(shape.bands);
  for (const auto& t : shape.data_types)
    if (t != "Byte")
      return "jpeg needs 8-bit samples; this raster has " + t;
  return {};
}

std::string jpeg_unsuitable(const std::string& path) {
  auto shape = probe_raster(path);
  if (!shape)
    return std::string{"jpeg needs a raster GDAL can read ("} + client_raster_formats + ")";
  return jpeg_unsuitable(*shape);
}

}  // namespace gp::io::geodata
