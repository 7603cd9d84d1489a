#include "io/geodata/stac_facts.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include "io/geodata/gdal_common.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/geodata/raster_facts.hpp"

namespace gp::io::geodata {

namespace {

std::string gdal_reason(const std::string& path) {
  auto msg = client_gdal_error(path);
  return msg.empty() ? msg : ": " + msg;
}

/// Sets a GDAL configuration option for this thread while it lives.
struct thread_option {
  std::string key;
  std::string before;
  bool had = false;
  thread_option(const char* k, const char* value) : key(k) {
    if (const char* b = CPLGetThreadLocalConfigOption(k, nullptr)) {
      before = b;
      had = true;
    }
    CPLSetThreadLocalConfigOption(k, value);
  }
  ~thread_option() { CPLSetThreadLocalConfigOption(key.c_str(), had ? before.c_str() : nullptr); }
};

}  // namespace

raster_stac_facts stac_facts_of_raster(const std::string& path) {
  ensure_gdal();
  // Statistics are kept in memory only: nothing is written beside the published file.
  thread_option no_pam("GDAL_PAM_ENABLED", "NO");
  std::unique_ptr<GDALDataset> ds{GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY)};
  if (!ds)
    throw raster_rejected("unreadable", "the raster cannot be opened" + gdal_reason(path));
  raster_stac_facts out;
  auto& r = out.raster;
  r.width = ds->GetRasterXSize();
  r.height = ds->GetRasterYSize();
  if (ds->GetGeoTransform(r.geotransform.data()) != CE_None)
    throw raster_rejected("not_georeferenced", "the raster has no geotransform");
  const auto* own = ds->GetSpatialRef();
  if (own == nullptr || own->IsEmpty())
    throw raster_rejected("crs_unknown", "the raster has no CRS");
  OGRSpatialReference srs{*own};
  srs.AutoIdentifyEPSG();
  const char* authority = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  if (authority != nullptr && code != nullptr && std::string{authority} == "EPSG")
    r.epsg = std::stoi(code);
  else {
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2019", nullptr};
    srs.exportToWkt(&wkt, options);
    r.wkt2 = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
  }
  for (int i = 1; i <= ds->GetRasterCount(); ++i) {
    auto* band = ds->GetRasterBand(i);
    stac::band_facts b;
    b.data_type = stac::raster_data_type(GDALGetDataTypeName(band->GetRasterDataType()));
    int has_nodata = 0;
    double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata)
      b.nodata = nodata;
    double mn = 0, mx = 0, mean = 0, sd = 0;
    // Approximate: from an overview when there is one (a COG has them).
    if (band->ComputeStatistics(TRUE, &mn, &mx, &mean, &sd, nullptr, nullptr) == CE_None) {
      b.minimum = mn;
      b.maximum = mx;
      b.mean = mean;
      b.stddev = sd;
    }
    b.spatial_resolution = std::abs(r.geotransform[1]);
    r.bands.push_back(b);
  }
  // The bounds in EPSG:4326: the outline of the extent, densified (21 points a side), so a
  // curved edge is not cut short; across the antimeridian GDAL answers west > east.
  OGRSpatialReference wgs84;
  wgs84.importFromEPSG(4326);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct{OGRCreateCoordinateTransformation(&srs, &wgs84)};
  auto nb = stac::native_bbox(r);
  auto& b = out.bounds;
  if (!ct || !ct->TransformBounds(nb[0], nb[1], nb[2], nb[3], &b.west, &b.south, &b.east,
                                  &b.north, 21))
    throw raster_rejected("crs_unknown",
                          "the raster's extent cannot be placed in EPSG:4326" +
                            gdal_reason(path));
  return out;
}

void write_overview_png(const std::string& path, const raster_stac_facts& f,
                        const std::string& png, int max_side) {
  ensure_gdal();
  thread_option no_pam("GDAL_PAM_ENABLED", "NO");
  std::unique_ptr<GDALDataset> ds{GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY)};
  if (!ds)
    throw raster_rejected("unreadable", "the raster cannot be opened" + gdal_reason(path));
  const auto& r = f.raster;
  double scale = static_cast<double>(max_side) / std::max(r.width, r.height);
  int w = std::max(1, static_cast<int>(std::lround(r.width * std::min(1.0, scale))));
  int h = std::max(1, static_cast<int>(std::lround(r.height * std::min(1.0, scale))));
  CPLStringList args;
  for (const char* a : {"-of", "PNG", "-r", "average"})
    args.AddString(a);
  args.AddString("-outsize");
  args.AddString(std::to_string(w).c_str());
  args.AddString(std::to_string(h).c_str());
  bool rgb = r.bands.size() >= 3 && r.bands[0].data_type == "uint8" &&
             r.bands[1].data_type == "uint8" && r.bands[2].data_type == "uint8";
  for (int b = 1; b <= (rgb ? 3 : 1); ++b) {
    args.AddString("-b");
    args.AddString(std::to_string(b).c_str());
  }
  const auto& first = r.bands.at(0);
  if (!rgb && first.data_type != "uint8") {
    args.AddString("-ot");
    args.AddString("Byte");
    args.AddString("-scale");
    if (first.minimum && first.maximum && *first.maximum > *first.minimum) {
      args.AddString(std::to_string(*first.minimum).c_str());
      args.AddString(std::to_string(*first.maximum).c_str());
      args.AddString("0");
      args.AddString("255");
    }
  }
  auto temp = partial_path(png).string();
  auto* options = GDALTranslateOptionsNew(args.List(), nullptr);
  int usage_error = 0;
  auto* out = GDALTranslate(temp.c_str(), GDALDataset::ToHandle(ds.get()), options, &usage_error);
  GDALTranslateOptionsFree(options);
  bool ok = out != nullptr;
  if (out != nullptr)
    GDALClose(out);
  std::error_code ec;
  // With PAM off nothing is written beside it; an .aux.xml from another setting goes.
  std::filesystem::remove(temp + ".aux.xml", ec);
  if (!ok || (std::filesystem::rename(temp, png, ec), ec)) {
    std::filesystem::remove(temp, ec);
    throw raster_rejected("write_failed", "the overview cannot be written" + gdal_reason(path));
  }
}

}  // namespace gp::io::geodata
