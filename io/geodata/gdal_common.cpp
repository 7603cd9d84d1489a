#include "io/geodata/gdal_common.hpp"

#include <cpl_error.h>

#include "io/geodata/raster_facts.hpp"

namespace gp::io::geodata {

quiet_gdal::quiet_gdal() { CPLPushErrorHandler(CPLQuietErrorHandler); }

quiet_gdal::~quiet_gdal() { CPLPopErrorHandler(); }

GDALDatasetUniquePtr open_client_raster(const std::string& path) {
  ensure_gdal();
  // Not HFA (Erdas Imagine): it opens "dependent" files named inside the file, which could
  // reach outside the client's folder.
  static const char* const drivers[] = {"GTiff", "COG",         "PNG",
                                        "JPEG",  "JP2OpenJPEG", "AAIGrid", nullptr};
  return GDALDatasetUniquePtr{GDALDataset::FromHandle(
    GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, nullptr, nullptr))};
}

std::string client_gdal_error(const std::string& path) {
  const char* raw = CPLGetLastErrorMsg();
  if (raw == nullptr || *raw == '\0')
    return {};
  std::string msg = raw;
  auto name = path.substr(path.find_last_of('/') + 1);
  for (auto at = msg.find(path); at != std::string::npos; at = msg.find(path, at + name.size()))
    msg.replace(at, path.size(), name);
  return msg;
}

}  // namespace gp::io::geodata
