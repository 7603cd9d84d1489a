#include "io/geodata/cog.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <gdal_utils.h>

#include "io/geodata/gdal_common.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/geodata/raster_facts.hpp"

namespace gp::io::geodata {

namespace {

namespace fs = std::filesystem;

int progress(double, const char*, void* arg) {
  const auto* keep_going = static_cast<const std::function<bool()>*>(arg);
  return (*keep_going)() ? TRUE : FALSE;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

nlohmann::json write_cog(const std::string& source, const std::string& target,
                         const cog_options& opts, const std::function<bool()>& keep_going) {
  auto src = open_client_raster(source);
  if (!src)
    throw raster_rejected("unreadable", "the source raster cannot be opened");
  std::error_code ec;
  fs::create_directories(fs::path{target}.parent_path(), ec);
  if (ec)
    throw raster_rejected("cog_failed", "the output folder cannot be created");
  // Temporary files of earlier attempts (a node killed mid-write) go first: their tasks were
  // claimed again, which is why this attempt runs.
  remove_partials(fs::path{target}.parent_path(), fs::path{target}.filename().string());
  // Unique per process and call: a retried or concurrent attempt never writes into this one.
  auto temp = partial_path(target).string();
  CPLStringList args;
  args.AddString("-of");
  args.AddString("COG");
  args.AddString("-co");
  args.AddString(("COMPRESS=" + upper(opts.compression)).c_str());
  args.AddString("-co");
  args.AddString(("BLOCKSIZE=" + std::to_string(opts.blocksize)).c_str());
  args.AddString("-co");
  args.AddString("NUM_THREADS=ALL_CPUS");
  args.AddString("-co");
  args.AddString("OVERVIEWS=AUTO");
  if (!opts.source_crs.empty() &&
      (src->GetSpatialRef() == nullptr || src->GetSpatialRef()->IsEmpty())) {
    args.AddString("-a_srs");
    args.AddString(opts.source_crs.c_str());
  }
  if (opts.has_nodata) {
    args.AddString("-a_nodata");
    args.AddString(CPLSPrintf("%.17g", opts.nodata));
  }
  auto* translate = GDALTranslateOptionsNew(args.List(), nullptr);
  GDALTranslateOptionsSetProgress(translate, progress,
                                  const_cast<std::function<bool()>*>(&keep_going));
  int usage_error = FALSE;
  GDALDatasetH out = nullptr;
  std::string why;
  {
    quiet_gdal quiet;
    CPLErrorReset();
    out = GDALTranslate(temp.c_str(), GDALDataset::ToHandle(src.get()), translate, &usage_error);
    why = client_gdal_error(source);
  }
  GDALTranslateOptionsFree(translate);
  bool ok = out != nullptr && !usage_error;
  if (out != nullptr) {
    // Closing flushes the last tiles: an error then means an incomplete file.
    CPLErrorReset();
    GDALClose(out);
    ok = ok && CPLGetLastErrorType() != CE_Failure && CPLGetLastErrorType() != CE_Fatal;
  }
  if (!ok) {
    fs::remove(temp, ec);
    if (!keep_going())
      throw raster_rejected("stopped", "the conversion was stopped");
    throw raster_rejected("cog_failed",
                          "the Cloud-Optimized GeoTIFF could not be written" +
                            (why.empty() ? std::string{} : ": " + why.substr(0, 300)));
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw raster_rejected("cog_failed", "the finished file could not be put in place");
  }
  // Approximate statistics of the result (from its overviews: cheap).
  nlohmann::json bands = nlohmann::json::array();
  GDALDatasetUniquePtr cog{GDALDataset::Open(target.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY)};
  if (cog)
    for (int b = 1; b <= cog->GetRasterCount(); ++b) {
      double mn = 0, mx = 0, mean = 0, sd = 0;
      if (cog->GetRasterBand(b)->GetStatistics(TRUE, TRUE, &mn, &mx, &mean, &sd) == CE_None)
        bands.push_back({{"min", mn}, {"max", mx}, {"mean", mean}, {"stddev", sd}});
      else
        bands.push_back(nullptr);
    }
  // Statistics are kept in an .aux.xml written when the dataset closes: close it, then remove
  // that file (the COG itself is what is served).
  cog.reset();
  fs::remove(target + ".aux.xml", ec);
  return {{"bytes", static_cast<uint64_t>(fs::file_size(target, ec))},
          {"compression", opts.compression},
          {"blocksize", opts.blocksize},
          {"bands", bands}};
}

}  // namespace gp::io::geodata
