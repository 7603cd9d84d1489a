// The jobs that platform requests run. inspect_source is the first step of every request type
// until the GDAL jobs exist: it checks that the source is still where the submission found it,
// and records its size and content hash (the key of incremental reuse later).
#include <fnmatch.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

#include "io/geodata/cog.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/jobs/request_jobs.hpp"

namespace gp::io::jobs {

namespace fs = std::filesystem;

std::string hash_file(const fs::path& path, const task_context& ctx, uint64_t& bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw task_failure(true, "source_unreadable", "the source file cannot be opened");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  bytes = 0;
  while (in) {
    ctx.check_stop();
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n <= 0)
      break;
    EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
    bytes += static_cast<uint64_t>(n);
  }
  if (in.bad())
    throw task_failure(true, "source_unreadable", "reading the source file failed");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), digest, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::vector<http::field_error> request_only(json& p) {
  std::vector<http::field_error> errors;
  for (const auto& [k, _] : p.items())
    if (k != "request")
      errors.push_back({k, "is not a parameter of this job type"});
  auto i = p.find("request");
  if (i == p.end() || !i->is_object() || !i->contains("request_id"))
    errors.push_back({"request", "is required (the job runs for a request)"});
  return errors;
}

namespace {

json inspect_folder(const fs::path& dir, const std::string& pattern, const task_context& ctx) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw task_failure(true, "source_not_found", "the source folder no longer exists");
  json files = json::array();
  uint64_t total = 0;
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    ctx.check_stop();
    auto name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || fnmatch(pattern.c_str(), name.c_str(), 0) != 0)
      continue;
    auto size = entry.file_size(ec);
    ++count;
    total += size;
    if (files.size() < 10000)
      files.push_back(json{{"name", name}, {"bytes", size}});
  }
  if (ec)
    throw task_failure(true, "source_unreadable", "the source folder cannot be listed");
  if (count == 0)
    throw task_failure(true, "no_matching_files",
                       "the source folder has no file matching '" + pattern + "'");
  return json{{"kind", "folder"}, {"pattern", pattern}, {"count", count}, {"bytes", total},
              {"files", files}};
}

json inspect_source(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  if (source.rfind("/vsi", 0) == 0)
    return json{{"kind", "virtual"}, {"source", source}};
  if (req.value("request_type", "") == "collection") {
    auto pattern = req.at("processing_config").value("pattern", "*.tif");
    return inspect_folder(source, pattern, ctx);
  }
  std::error_code ec;
  if (!fs::is_regular_file(source, ec))
    throw task_failure(true, "source_not_found", "the source file no longer exists");
  uint64_t bytes = 0;
  auto digest = hash_file(source, ctx, bytes);
  return json{{"kind", "file"}, {"bytes", bytes}, {"sha256", digest}};
}

/// validate_raster: the raster is described with GDAL (or refused with a code the client can act
/// on), and its bytes hashed.
json validate_raster(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
  auto config = req.value("processing_config", json::object());
  auto source_crs = config.value("source_crs", "");
  json facts;
  try {
    facts = geodata::describe_raster(source, source_crs, [&] { ctx.check_stop(); });
  } catch (const geodata::raster_rejected& e) {
    throw task_failure(true, e.code, e.what());
  }
  if (source.rfind("/vsi", 0) != 0) {
    uint64_t bytes = 0;
    facts["sha256"] = hash_file(source, ctx, bytes);
    facts["bytes"] = bytes;
  }
  return facts;
}

/// process_raster: the raster as a Cloud-Optimized GeoTIFF in the request's output folder,
/// named after the source (`<stem>.tif`). A re-run replaces the file.
json process_raster(const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto source = req.at("source").get<std::string>();
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
    return out;
  } catch (const geodata::raster_rejected& e) {
    if (e.code == "stopped")
      ctx.check_stop();
    // A file that validated but cannot be written is worth another attempt (disk, memory).
    throw task_failure(e.code != "cog_failed" || ctx.attempt >= 3, e.code, e.what());
  }
}

/// A job of one single-task stage that works on a request, with its task type of the same name.
void add_single_task_request_job(registry& r, const char* name, const char* stage,
                                 const char* description, task_handler handler) {
  r.add(task_type_def{name, std::move(handler), 3});
  r.add(job_def{name, description, {stage_def{stage, name, stage_kind::single, nullptr}},
                request_only, true});
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
  add_vector_jobs(r);
}

}  // namespace gp::io::jobs
