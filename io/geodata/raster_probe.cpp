#include "io/geodata/raster_probe.hpp"

#include "io/geodata/raster_facts.hpp"

#include <mutex>

#include <gdal.h>
#include <cpl_error.h>
#include <gdal_priv.h>

namespace gp::io::geodata {

std::optional<raster_shape> probe_raster(const std::string& path) {
  ensure_gdal();
  static const char* const drivers[] = {"GTiff", "COG", "PNG", "JPEG", nullptr};
  // A file GDAL cannot read is an answer here, not an error for the log.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetUniquePtr ds{GDALDataset::FromHandle(
    GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, nullptr, nullptr))};
  CPLPopErrorHandler();
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

}  // namespace gp::io::geodata
