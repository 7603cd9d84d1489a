// The jobs of collection requests: process_raster_collection (the folder's matching rasters, one
// COG each, in parallel tasks) and create_mosaic_json (a MosaicJSON document over those COGs).
#include <filesystem>
#include <set>

#include "io/crypto.hpp"
#include "io/geodata/cog.hpp"
#include "io/geodata/mosaic.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/jobs/outputs.hpp"
#include "io/jobs/registry.hpp"
#include "io/jobs/source_files.hpp"
#include "io/jobs/stac_jobs.hpp"

namespace gp::io::jobs {

namespace {

namespace fs = std::filesystem;


/// The COG name of a source file: its stem with ".tif"; a name already taken gets "-2", "-3"…
std::string output_name(const std::string& file, std::set<std::string>& taken) {
  auto stem = fs::path{file}.stem().string();
  auto name = stem + ".tif";
  for (int n = 2; taken.count(name) > 0; ++n)
    name = stem + "-" + std::to_string(n) + ".tif";
  taken.insert(name);
  return name;
}

/// Stage 1: the folder's matching files, each hashed; the manifest's hash is the source hash
/// (incremental reuse).
json inspect_collection(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto dir = req.at("source").get<std::string>();
  if (dir.rfind("/vsi", 0) == 0)
    throw task_failure(true, "unsupported_source",
                       "a collection's source must be a folder of the client's storage");
  auto pattern = req.at("processing_config").value("pattern", "*.tif");
  auto files = matching_files(dir, pattern, ctx);
  uint64_t total = 0;
  for (const auto& f : files)
    total += f.bytes;
  check_source_size(total, ctx);
  json list = json::array();
  std::string manifest;
  std::set<std::string> taken;
  for (const auto& f : files) {
    uint64_t bytes = 0;
    auto digest = hash_file(fs::path{dir} / f.name, ctx, bytes);
    manifest += f.name + "\t" + digest + "\n";
    list.push_back(json{{"name", f.name}, {"bytes", bytes}, {"sha256", digest},
                        {"output", output_name(f.name, taken)}});
  }
  json out{{"count", files.size()}, {"bytes", total}, {"files", list},
           {"sha256", sha256_hex(manifest)}};
  if (auto earlier = find_reusable(ctx, out["sha256"]); !earlier.empty())
    out["reused_from"] = earlier;
  return out;
}

/// Stage 2 plan: one task per file (none when the outputs of an earlier version are reused).
std::vector<json> plan_cogs(const json& params, const json& previous) {
  std::vector<json> out;
  if (!previous.is_array() || previous.empty() || previous[0].contains("reused_from"))
    return out;
  for (const auto& f : previous[0].at("files"))
    out.push_back(json{{"request", params.at("request")},
                       {"file", f.at("name")},
                       {"output", f.at("output")}});
  return out;
}

/// Stage 2 task: one file described (refused with a code naming the file) and written as a COG.
json collection_cog(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto file = ctx.params.at("file").get<std::string>();
  auto output = ctx.params.at("output").get<std::string>();
  auto source = (fs::path{req.at("source").get<std::string>()} / file).string();
  check_inside_source_root(source, ctx);
  auto config = req.value("processing_config", json::object());
  geodata::cog_options opts;
  opts.compression = config.value("compression", "deflate");
  opts.source_crs = config.value("source_crs", "");
  json facts;
  try {
    facts = geodata::describe_raster(source, opts.source_crs, [&] { ctx.check_stop(); });
    check_pixels(facts, ctx);
    auto written = geodata::write_cog(source, req.at("output_dir").get<std::string>() + "/" + output,
                                      opts, [&] { return !ctx.stop.load(); });
    facts["cog"] = written;
  } catch (const geodata::raster_rejected& e) {
    if (e.code == "stopped")
      ctx.check_stop();
    bool permanent = e.code != "cog_failed" || ctx.attempt >= 3;
    throw task_failure(permanent, e.code, file + ": " + e.what());
  } catch (const task_failure& e) {
    if (e.code == "raster_too_large")
      throw task_failure(true, e.code, file + ": " + e.what());
    throw;
  }
  facts["file"] = file;
  facts["output"] = output;
  return facts;
}

/// create_mosaic_json: the COGs in the request's output folder (those process_raster_collection
/// wrote) as a MosaicJSON document, `mosaic.json` beside them.
/// The names of the COGs in a collection request's output folder, sorted.
std::vector<std::string> published_cogs(const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && name[0] != '.' && entry.path().extension() == ".tif")
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

json mosaic_json(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  fs::path dir = req.at("output_dir").get<std::string>();
  std::vector<geodata::mosaic_source> sources;
  auto names = published_cogs(dir);
  if (names.empty())
    throw task_failure(true, "no_outputs", "the collection produced no COG to put in a mosaic");
  for (const auto& name : names) {
    ctx.check_stop();
    json facts;
    try {
      facts = geodata::describe_raster((dir / name).string(), "", [&] { ctx.check_stop(); });
    } catch (const geodata::raster_rejected& e) {
      throw task_failure(false, "cog_unreadable", name + ": " + e.what());
    }
    const auto& b = facts.at("extent_4326");
    sources.push_back({name,
                       {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(),
                        b[3].get<double>()},
                       facts.at("width").get<int64_t>(),
                       facts.at("height").get<int64_t>()});
  }
  auto doc = geodata::mosaic_document(sources, req.value("request_id", ""));
  if (!geodata::write_file_atomically(dir / "mosaic.json", doc.dump(2)))
    throw task_failure(false, "write_failed", "cannot write mosaic.json");
  return json{{"outputs", {{"mosaic", true}, {"files", names}}},
              {"count", names.size()},
              {"bounds", doc["bounds"]},
              {"minzoom", doc["minzoom"]},
              {"maxzoom", doc["maxzoom"]},
              {"quadkey_zoom", doc["quadkey_zoom"]},
              {"tiles", doc["tiles"].size()}};
}

/// stac_catalog_collection: the STAC facts of each COG of a collection request (one item
/// each), kept with its outputs: {"outputs": {"stac": {"rasters": [facts…]}}}.
json stac_catalog_collection(const task_context& ctx) {
  fs::path dir = ctx.params.at("request").at("output_dir").get<std::string>();
  auto names = published_cogs(dir);
  if (names.empty())
    throw task_failure(true, "output_missing", "the collection's COGs were not written");
  json rasters = json::array();
  for (const auto& name : names) {
    ctx.check_stop();
    try {
      rasters.push_back(raster_stac_json((dir / name).string(), name));
    } catch (const geodata::raster_rejected& e) {
      throw task_failure(true, e.code, name + ": " + e.what());
    }
  }
  return {{"outputs", {{"stac", {{"rasters", rasters}}}}}, {"count", names.size()}};
}

}  // namespace

void add_collection_jobs(registry& r) {
  r.add(task_type_def{"inspect_collection", inspect_collection, 3});
  r.add(task_type_def{"collection_cog", collection_cog, 3});
  r.add(job_def{"process_raster_collection",
                "Lists and hashes a collection's matching rasters, then writes each as a "
                "Cloud-Optimized GeoTIFF in the request's output folder (one task per file).",
                {stage_def{"inspect", "inspect_collection", stage_kind::single, nullptr},
                 stage_def{"cog", "collection_cog", stage_kind::fan_out, plan_cogs}},
                request_only, true});
  r.add(task_type_def{"mosaic_json", mosaic_json, 3});
  r.add(job_def{"create_mosaic_json",
                "Writes a MosaicJSON 0.0.3 document over the COGs of a collection request.",
                {stage_def{"mosaic", "mosaic_json", stage_kind::single, nullptr}}, request_only,
                true});
  add_single_task_request_job(
    r, "stac_catalog_collection", "catalog",
    "Reads each COG of a collection request for its STAC item: CRS (EPSG or WKT2), grid, bands "
    "with approximate statistics, and bounds in EPSG:4326.",
    stac_catalog_collection);
}

}  // namespace gp::io::jobs
