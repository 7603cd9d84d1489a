#pragma once
// What the geodata code shares when it touches a client's raster with GDAL (private to
// io/geodata): the one list of drivers a client's file may be opened with, quiet error handling,
// and GDAL messages fit for a client.
#include <string>

#include <gdal_priv.h>

namespace gp::io::geodata {

/// Keeps GDAL's own error output out of the log while a client's file is read or written.
struct quiet_gdal {
  quiet_gdal();
  ~quiet_gdal();
  quiet_gdal(const quiet_gdal&) = delete;
  quiet_gdal& operator=(const quiet_gdal&) = delete;
};

/// Opens a client's raster read-only with GTiff, COG, PNG, JPEG, JP2OpenJPEG, or AAIGrid only
/// (never VRT or any driver that reaches other files or the network); null when none can.
GDALDatasetUniquePtr open_client_raster(const std::string& path);

/// The formats open_client_raster reads, for messages.
inline constexpr const char* client_raster_formats =
  "GeoTIFF, PNG, JPEG, JPEG 2000 or ASCII grid";

/// GDAL's last error message with `path` (which would reveal the storage layout) replaced by
/// its file name; empty when there is none.
std::string client_gdal_error(const std::string& path);

}  // namespace gp::io::geodata
