// The jobs of vector requests. ingest_vector: inspect (the source described, checked against the
// limits, hashed) → load (streamed into a staging table and a GeoPackage) → publish (indexes, the
// table put in place, the catalogue row). stac_catalog_vectors: the published layer's facts, for
// the STAC catalogue.
#include <cctype>
#include <filesystem>

#include "io/geodata/naming.hpp"
#include "io/geodata/vector_load.hpp"
#include "io/geodata/vector_source.hpp"
#include "io/jobs/outputs.hpp"
#include "io/jobs/registry.hpp"
#include "io/jobs/source_files.hpp"
#include "io/logging.hpp"

namespace gp::io::jobs {

namespace {

/// The client's part of a database error; the whole of it goes to the log.
std::string client_db_error(const std::exception& e) {
  GP_LOG_WARN("vector job: database error: {}", e.what());
  return geodata::client_text(e);
}

namespace fs = std::filesystem;

std::string table_of(const json& req) {
  return geodata::table_name_for(req.at("client_id").get<std::string>(),
                                 req.value("dataset_id", ""), req.value("resource_id", ""),
                                 req.value("version_id", ""));
}

[[noreturn]] void rethrow_as_task_failure(const geodata::vector_rejected& e,
                                          const task_context& ctx) {
  if (e.code == "stopped")
    ctx.check_stop();
  throw task_failure(e.permanent, e.code, e.what());
}

/// A Shapefile is several files: GDAL opens the companions beside a .shp (.dbf, .shx, .prj,
/// .cpg, …) by name, so each must resolve inside the client's folder too.
void check_companions(const std::string& source, const task_context& ctx) {
  fs::path shp{source};
  auto ext = shp.extension().string();
  for (auto& c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".shp" || source.rfind("/vsi", 0) == 0)
    return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(shp.parent_path(), ec))
    if (entry.path().stem() == shp.stem())
      check_inside_source_root(entry.path().string(), ctx);
}

/// Stage 1: what the source is (see geodata::inspect_vector), its SHA-256 and the table it goes to.
json vector_inspect(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  check_inside_source_root(source, ctx);
  check_companions(source, ctx);
  auto config = req.value("processing_config", json::object());
  json facts;
  try {
    facts = geodata::inspect_vector(source, config, ctx.env.limits, [&] { ctx.check_stop(); });
  } catch (const geodata::vector_rejected& e) {
    rethrow_as_task_failure(e, ctx);
  }
  if (source.rfind("/vsi", 0) != 0) {
    uint64_t bytes = 0;
    facts["sha256"] = hash_file(source, ctx, bytes);
    facts["bytes"] = bytes;
    if (auto earlier = find_reusable(ctx, facts["sha256"]); !earlier.empty())
      facts["reused_from"] = earlier;
  }
  facts["table"] = table_of(req);
  return facts;
}

/// Stage 2: the features into geo.<staging> and the temporary GeoPackage.
json vector_load(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  const auto& facts = ctx.params.at("inspect");
  geodata::vector_load_options opts;
  opts.source = req.at("source").get<std::string>();
  check_inside_source_root(opts.source, ctx);
  check_companions(opts.source, ctx);
  opts.facts = facts;
  opts.table = facts.at("table").get<std::string>();
  opts.staging = geodata::staging_table_name(opts.table);
  opts.output_dir = req.value("output_dir", "");
  opts.store = ctx.env.vectors;
  opts.copy_writers = ctx.env.copy_writers;
  opts.max_features = ctx.env.limits.max_features;
  opts.keep_going = [&] { return !ctx.stop.load(); };
  json out;
  try {
    out = geodata::load_vector(opts);
  } catch (const geodata::vector_rejected& e) {
    rethrow_as_task_failure(e, ctx);
  }
  out["table"] = opts.table;
  out["source_crs"] = facts.at("source_crs");
  out["sha256"] = facts.value("sha256", json());
  return out;
}

/// Stage 3: the staging table published as geo.<table> with its catalogue row, the GeoPackage
/// under its final name. Safe to re-run after a failure at any point.
json vector_finalize(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  const auto& load = ctx.params.at("load");
  auto table = load.at("table").get<std::string>();
  auto staging = load.at("staging").get<std::string>();
  auto output_dir = req.value("output_dir", "");
  auto download = table + ".gpkg";
  if (load.contains("gpkg_partial") && load["gpkg_partial"].is_string() && !output_dir.empty()) {
    auto partial = fs::path{output_dir} / load["gpkg_partial"].get<std::string>();
    auto final_path = fs::path{output_dir} / download;
    std::error_code ec;
    if (fs::exists(partial, ec)) {
      fs::rename(partial, final_path, ec);
      if (ec)
        throw task_failure(ctx.attempt >= 3, "publish_failed",
                           "the GeoPackage could not be put in place");
    } else if (!fs::exists(final_path, ec)) {
      throw task_failure(true, "load_lost",
                         "the loaded GeoPackage is gone; submit the request again");
    }
  }
  geodata::vector_layer_row row;
  row.table_name = table;
  row.request_id = req.at("request_id").get<std::string>();
  row.client_id = req.at("client_id").get<std::string>();
  row.title = req.value("dataset_id", "") + "/" + req.value("resource_id", "") + "/" +
              req.value("version_id", "");
  row.feature_count = load.at("feature_count").get<long long>();
  row.geometry_type = load.at("geometry_type").get<std::string>();
  if (load.at("bbox").is_array())
    row.bbox = load["bbox"].get<std::vector<double>>();
  row.source_crs = load.at("source_crs").get<std::string>();
  row.columns_json = load.at("columns").dump();
  auto& store = *ctx.env.vectors;
  try {
    if (store.table_exists(staging)) {
      store.publish(staging, row);
    } else {
      // Published by an earlier attempt whose answer was lost, or the staging table is gone.
      auto layer = store.find_layer(table);
      if (!layer || json::parse(*layer).value("request_id", "") != row.request_id ||
          !store.table_exists(table))
        throw task_failure(true, "load_lost",
                           "the loaded table is gone; submit the request again");
    }
  } catch (const task_failure&) {
    throw;
  } catch (const geodata::store_conflict&) {
    throw task_failure(true, "request_cancelled",
                       "the request was cancelled while its table was being published");
  } catch (const std::exception& e) {
    throw task_failure(ctx.attempt >= 3, "publish_failed",
                       std::string{"the table could not be published: "} +
                         client_db_error(e));
  }
  return {{"outputs", {{"download", download}, {"collection", table}}},
          {"facts",
           {{"feature_count", row.feature_count},
            {"geometry_type", row.geometry_type},
            {"bbox", load.at("bbox")},
            {"source_crs", row.source_crs},
            {"columns", load.at("columns")},
            {"warnings", load.value("warnings", json::object())},
            {"sha256", load.value("sha256", json())}}}};
}

/// stac_catalog_vectors: the published layer's catalogue row.
json stac_catalog_vectors(const task_context& ctx) {
  auto table = table_of(ctx.params.at("request"));
  std::optional<std::string> layer;
  try {
    layer = ctx.env.vectors->find_layer(table);
  } catch (const std::exception& e) {
    throw task_failure(false, "database_unavailable",
                       std::string{"the layer catalogue cannot be read: "} +
                         client_db_error(e));
  }
  if (!layer)
    throw task_failure(true, "layer_not_loaded", "the request's layer has not been loaded");
  auto facts = json::parse(*layer);
  // processing_config.datetime_column: the layer's column with that source name (or that
  // name, as loaded).
  std::string time_column;
  auto config = ctx.params.at("request").value("processing_config", json::object());
  if (auto given = config.find("datetime_column"); given != config.end() && given->is_string()) {
    auto wanted = given->get<std::string>();
    std::string names;
    for (const auto& c : facts.value("columns", json::array())) {
      auto name = c.value("name", "");
      names += (names.empty() ? "" : ", ") + c.value("source_name", name);
      if (time_column.empty() && (c.value("source_name", "") == wanted || name == wanted))
        time_column = name;
    }
    if (time_column.empty())
      throw task_failure(true, "column_not_found",
                         "processing_config.datetime_column: the layer has no column " +
                           given->get<std::string>() + " (its columns: " + names + ")");
  }
  io::geodata::vector_footprint fp;
  try {
    fp = ctx.env.vectors->footprint(table, time_column);
  } catch (const std::exception& e) {
    throw task_failure(false, "database_unavailable",
                       std::string{"the layer's footprint cannot be read: "} + client_db_error(e));
  }
  if (!fp.time_error.empty())
    throw task_failure(true, "datetime_column_not_a_time",
                       "processing_config.datetime_column " + time_column +
                         " holds a value that is not a date or time: " + fp.time_error);
  json footprint = {{"hull", fp.hull_geojson.empty() ? json() : json::parse(fp.hull_geojson)},
                    {"bounds", fp.bounds.empty() ? json() : json(fp.bounds)},
                    {"geometry_types", fp.geometry_types},
                    {"start_datetime", fp.start.empty() ? json() : json(fp.start)},
                    {"end_datetime", fp.end.empty() ? json() : json(fp.end)}};
  // What the request's STAC item says, kept with its outputs (a version that reuses them
  // publishes the same facts).
  json item = footprint;
  item["feature_count"] = facts.value("feature_count", 0);
  item["collection"] = table;
  return {{"stac", facts}, {"footprint", footprint}, {"outputs", {{"stac", {{"vector", item}}}}}};
}

}  // namespace

void add_vector_jobs(registry& r) {
  r.add(task_type_def{"vector_inspect", vector_inspect, 3});
  r.add(task_type_def{"vector_load", vector_load, 3});
  r.add(task_type_def{"vector_finalize", vector_finalize, 3});
  // Load and publish are planned from the previous stage's result, and plan no task when the
  // inspection found outputs to reuse ("reused_from") or the previous stage planned none.
  r.add(job_def{
    "ingest_vector",
    "Loads a request's vector layer (GeoJSON, GeoPackage, zipped Shapefile, CSV or KML) into "
    "geo.<table> in EPSG:4326 with a GIST index, and writes it as a GeoPackage for download.",
    {stage_def{"inspect", "vector_inspect", stage_kind::single, nullptr},
     stage_def{"load", "vector_load", stage_kind::fan_out,
               [](const json& p, const json& previous) {
                 std::vector<json> out;
                 if (previous.is_array() && previous.size() == 1 &&
                     !previous[0].contains("reused_from"))
                   out.push_back({{"request", p.at("request")}, {"inspect", previous[0]}});
                 return out;
               }},
     stage_def{"finalize", "vector_finalize", stage_kind::fan_out,
               [](const json& p, const json& previous) {
                 std::vector<json> out;
                 if (previous.is_array() && previous.size() == 1)
                   out.push_back({{"request", p.at("request")}, {"load", previous[0]}});
                 return out;
               }}},
    request_only, true});
  add_single_task_request_job(
    r, "stac_catalog_vectors", "catalog",
    "Reads a loaded vector layer's facts (feature count, geometry type, extent, CRS, columns) "
    "for its STAC item.",
    stac_catalog_vectors);
}

}  // namespace gp::io::jobs
