#include "io/geodata/raster_facts.hpp"

#include <cpl_http.h>

#include "io/geodata/gdal_common.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

namespace gp::io::geodata {

using json = nlohmann::json;

namespace {

/// GDAL's HTTP fetches (CPLHTTPFetch: a GeoJSON "crs" of type link, a CRS given as a URL, …)
/// all fail: a client's file must never make this node reach the network (its own metadata
/// service, other hosts). Virtual sources (/vsicurl/, /vsis3/, …) use GDAL's virtual file
/// systems, not this path, so an operator can still enable them.
CPLHTTPResult* refuse_http(const char* url, CSLConstList, GDALProgressFunc, void*,
                           CPLHTTPFetchWriteFunc, void*, void*) {
  auto* r = static_cast<CPLHTTPResult*>(CPLCalloc(1, sizeof(CPLHTTPResult)));
  r->nStatus = 1;
  r->pszErrBuf = CPLStrdup("network access from a client's file is not allowed");
  CPLError(CE_Failure, CPLE_AppDefined, "refused to fetch %s: network access from a client's "
           "file is not allowed", url != nullptr ? url : "a URL");
  return r;
}

}  // namespace

void ensure_gdal() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    GDALAllRegister();
    CPLHTTPSetFetchCallback(refuse_http, nullptr);
  });
}

namespace {

/// ": <GDAL's message>" for the client, or nothing.
std::string last_gdal_error(const std::string& path) {
  auto msg = client_gdal_error(path);
  return msg.empty() ? msg : ": " + msg;
}

}  // namespace

json describe_raster(const std::string& path, const std::string& source_crs,
                     const std::function<void()>& check_stop) {
  quiet_gdal quiet;
  CPLErrorReset();
  auto ds = open_client_raster(path);
  if (!ds)
    throw raster_rejected("unreadable", std::string{"the source is not a raster this service can "
                                                    "read ("} +
                                          client_raster_formats + ")" + last_gdal_error(path));
  int width = ds->GetRasterXSize();
  int height = ds->GetRasterYSize();
  int bands = ds->GetRasterCount();
  if (width <= 0 || height <= 0 || bands <= 0)
    throw raster_rejected("empty_raster", "the raster has no pixels or no bands");
  json out{{"driver", ds->GetDriverName()}, {"width", width}, {"height", height},
           {"bands", bands}};
  json types = json::array();
  json nodata = json::array();
  // One row of every band, the last one: a truncated file fails here rather than later.
  std::vector<double> row(static_cast<size_t>(width));
  for (int b = 1; b <= bands; ++b) {
    check_stop();
    auto* band = ds->GetRasterBand(b);
    types.push_back(GDALGetDataTypeName(band->GetRasterDataType()));
    int has = 0;
    double v = band->GetNoDataValue(&has);
    nodata.push_back(has && std::isfinite(v) ? json(v) : json());
    if (band->RasterIO(GF_Read, 0, height - 1, width, 1, row.data(), width, 1, GDT_Float64, 0,
                       0, nullptr) != CE_None)
      throw raster_rejected("unreadable",
                            "band " + std::to_string(b) +
                              " cannot be read (is the file truncated?)" + last_gdal_error(path));
  }
  out["data_types"] = types;
  out["nodata"] = nodata;
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None || (gt[1] == 1 && gt[5] == 1 && gt[0] == 0 && gt[3] == 0))
    throw raster_rejected("not_georeferenced",
                          "the raster has no georeferencing (no geotransform): it cannot be "
                          "placed on a map");
  OGRSpatialReference srs;
  std::string crs_from = "file";
  if (const auto* own = ds->GetSpatialRef(); own != nullptr && !own->IsEmpty()) {
    if (own->IsLocal())
      throw raster_rejected("not_georeferenced",
                            "the raster's coordinates are in a local engineering system (e.g. "
                            "pixels or metres on a drawing), not a place on Earth");
    srs = *own;
  } else if (!source_crs.empty()) {
    if (srs.SetFromUserInput(source_crs.c_str()) != OGRERR_NONE)
      throw raster_rejected("invalid_source_crs",
                            "processing_config.source_crs is not a CRS GDAL knows");
    crs_from = "source_crs";
  } else {
    throw raster_rejected("crs_unknown",
                          "the raster has no CRS; give one as processing_config.source_crs "
                          "(e.g. EPSG:32633)");
  }
  srs.AutoIdentifyEPSG();
  const char* authority = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  json epsg;
  if (authority != nullptr && code != nullptr && std::string{authority} == "EPSG")
    epsg = std::stoi(code);
  char* wkt = nullptr;
  const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
  srs.exportToWkt(&wkt, wkt_options);
  out["crs"] = {{"epsg", epsg}, {"wkt2", wkt != nullptr ? wkt : ""}};
  CPLFree(wkt);
  out["crs_from"] = crs_from;
  out["resolution"] = {std::abs(gt[1]), std::abs(gt[5])};
  check_stop();
  // The extent in EPSG:4326 (longitude, latitude), from points along the raster's edges.
  OGRSpatialReference wgs84;
  wgs84.importFromEPSG(4326);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct{
    OGRCreateCoordinateTransformation(&srs, &wgs84)};
  if (!ct)
    throw raster_rejected("crs_unknown", "the raster's CRS cannot be transformed to EPSG:4326" +
                                           last_gdal_error(path));
  constexpr int steps = 20;
  std::vector<double> xs, ys;
  for (int i = 0; i <= steps; ++i) {
    double f = static_cast<double>(i) / steps;
    for (auto [px, py] : {std::pair{f * width, 0.0}, std::pair{f * width, double(height)},
                          std::pair{0.0, f * height}, std::pair{double(width), f * height}}) {
      xs.push_back(gt[0] + px * gt[1] + py * gt[2]);
      ys.push_back(gt[3] + px * gt[4] + py * gt[5]);
    }
  }
  std::vector<int> ok(xs.size());
  ct->Transform(static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data());
  double w = std::numeric_limits<double>::max(), s = w, e = -w, n = -w;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!ok[i] || !std::isfinite(xs[i]) || !std::isfinite(ys[i]))
      continue;
    w = std::min(w, xs[i]);
    e = std::max(e, xs[i]);
    s = std::min(s, ys[i]);
    n = std::max(n, ys[i]);
  }
  if (w > e || s > n)
    throw raster_rejected("crs_unknown",
                          "the raster's corners cannot be placed in EPSG:4326 with its CRS");
  out["extent_4326"] = {w, s, e, n};
  return out;
}

}  // namespace gp::io::geodata
