// The raster jobs of platform requests (validate_raster, process_raster), and inspect_source: a
// source's size and content hash, or a folder's matching files (for pipelines that override the
// built-in steps).
#include <filesystem>

#include "io/geodata/cog.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/jobs/outputs.hpp"
#include "io/jobs/registry.hpp"
#include "io/jobs/source_files.hpp"
#include "io/jobs/stac_jobs.hpp"

namespace gp::io::jobs {

namespace {

namespace fs = std::filesystem;

json inspect_folder(const fs::path& dir, const std::string& pattern, const task_context& ctx) {
  json files = json::array();
  uint64_t total = 0;
  auto found = matching_files(dir, pattern, ctx);
  for (const auto& f : found) {
    total += f.bytes;
    if (files.size() < 10000)
      files.push_back(json{{"name", f.name}, {"bytes", f.bytes}});
  }
  return json{{"kind", "folder"}, {"pattern", pattern}, {"count", found.size()}, {"bytes", total},
              {"files", files}};
}

json inspect_source(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  check_inside_source_root(source, ctx);
  if (source.rfind("/vsi", 0) == 0)
    return json{{"kind", "virtual"}, {"source", source}};
  if (req.value("request_type", "") == "collection") {
    auto pattern = req.at("processing_config").value("pattern", "*.tif");
    return inspect_folder(source, pattern, ctx);
  }
  std::error_code ec;
  if (!fs::is_regular_file(source, ec))
    throw task_failure(true, "source_not_found", "the source file no longer exists");
  check_source_size(fs::file_size(source, ec), ctx);
  uint64_t bytes = 0;
  auto digest = hash_file(source, ctx, bytes);
  return json{{"kind", "file"}, {"bytes", bytes}, {"sha256", digest}};
}


/// validate_raster: the raster is described with GDAL (or refused with a code the client can act
/// on), and its bytes hashed.
json validate_raster(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  check_inside_source_root(source, ctx);
  auto config = req.value("processing_config", json::object());
  auto source_crs = config.value("source_crs", "");
  bool local = source.rfind("/vsi", 0) != 0;
  std::error_code ec;
  if (local && fs::is_regular_file(source, ec))
    check_source_size(fs::file_size(source, ec), ctx);
  json facts;
  try {
    facts = geodata::describe_raster(source, source_crs, [&] { ctx.check_stop(); });
  } catch (const geodata::raster_rejected& e) {
    throw task_failure(true, e.code, e.what());
  }
  check_pixels(facts, ctx);
  if (local) {
    uint64_t bytes = 0;
    facts["sha256"] = hash_file(source, ctx, bytes);
    facts["bytes"] = bytes;
    if (auto earlier = find_reusable(ctx, facts["sha256"]); !earlier.empty())
      facts["reused_from"] = earlier;
  }
  return facts;
}

/// process_raster: the raster as a Cloud-Optimized GeoTIFF in the request's output folder,
/// named after the source (`<stem>.tif`). A re-run replaces the file.
json process_raster(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  check_inside_source_root(source, ctx);
  auto config = req.value("processing_config", json::object());
  geodata::cog_options opts;
  opts.compression = config.value("compression", "deflate");
  opts.blocksize = config.value("blocksize", 512);
  opts.source_crs = config.value("source_crs", "");
  if (auto n = config.find("nodata"); n != config.end() && n->is_number()) {
    opts.has_nodata = true;
    opts.nodata = n->get<double>();
  }
  auto out_dir = req.at("output_dir").get<std::string>();
  auto name = fs::path{source}.stem().string() + ".tif";
  try {
    auto out = geodata::write_cog(source, out_dir + "/" + name, opts,
                                  [&] { return !ctx.stop.load(); });
    out["file"] = name;
    out["outputs"] = json{{"download", name}};
    return out;
  } catch (const geodata::raster_rejected& e) {
    if (e.code == "stopped")
      ctx.check_stop();
    // A file that validated but cannot be written is worth another attempt (disk, memory).
    throw task_failure(e.code != "cog_failed" || ctx.attempt >= 3, e.code, e.what());
  }
}

/// stac_catalog_raster: what the request's COG (written by process_raster) says in STAC terms,
/// and a PNG preview of it, kept with the request's outputs:
/// {"outputs": {"stac": {"rasters": [facts]}, "files": ["<stem>.overview.png"]}}.
json stac_catalog_raster(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto name = fs::path{req.at("source").get<std::string>()}.stem().string() + ".tif";
  auto path = req.at("output_dir").get<std::string>() + "/" + name;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw task_failure(true, "output_missing", "the request's COG " + name + " was not written");
  try {
    auto facts = raster_stac_json(path, name, true);
    // The preview is served as one of the request's files (/platform/data/<id>/files/<name>).
    return {{"outputs", {{"stac", {{"rasters", json::array({facts})}}},
                         {"files", json::array({facts["overview"]})}}}};
  } catch (const geodata::raster_rejected& e) {
    throw task_failure(true, e.code, e.what());
  }
}

}  // namespace

void add_request_jobs(registry& r) {
  add_single_task_request_job(
    r, "inspect_source", "inspect",
    "Checks a request's source (a file, or a folder's files matching the pattern) and records its "
    "size and SHA-256.",
    inspect_source);
  add_single_task_request_job(
    r, "validate_raster", "validate",
    "Describes a request's raster with GDAL (size, bands, types, nodata, CRS, resolution, extent "
    "in EPSG:4326, SHA-256), or refuses it with a code.",
    validate_raster);
  add_single_task_request_job(
    r, "process_raster", "cog",
    "Writes a request's raster as a Cloud-Optimized GeoTIFF (its compression, overviews, tiles) "
    "in its output folder, with band statistics.",
    process_raster);
  add_single_task_request_job(
    r, "stac_catalog_raster", "catalog",
    "Reads a request's COG for its STAC item: CRS (EPSG or WKT2), grid, bands with approximate "
    "statistics, and bounds in EPSG:4326 (west > east across the antimeridian).",
    stac_catalog_raster);
}

}  // namespace gp::io::jobs
