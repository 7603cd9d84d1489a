#include "io/jobs/source_files.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "io/crypto.hpp"
#include "io/geodata/vector_schema.hpp"

namespace gp::io::jobs {

namespace fs = std::filesystem;

std::string hash_file(const fs::path& path, const task_context& ctx, uint64_t& bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw task_failure(true, "source_unreadable", "the source file cannot be opened");
  sha256_stream digest;
  std::vector<char> buf(1 << 20);
  bytes = 0;
  while (in) {
    ctx.check_stop();
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n <= 0)
      break;
    digest.update(buf.data(), static_cast<size_t>(n));
    bytes += static_cast<uint64_t>(n);
  }
  if (in.bad())
    throw task_failure(true, "source_unreadable", "reading the source file failed");
  return digest.hex_digest();
}

std::vector<source_file> matching_files(const fs::path& dir, const std::string& pattern,
                                        const task_context& ctx) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw task_failure(true, "source_not_found", "the source folder no longer exists");
  check_inside_source_root(dir.string(), ctx);
  std::vector<source_file> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    ctx.check_stop();
    auto name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || fnmatch(pattern.c_str(), name.c_str(), 0) != 0)
      continue;
    if (!geodata::valid_utf8(name))
      throw task_failure(true, "invalid_file_name",
                         "a file name in the source folder is not valid UTF-8; rename it");
    check_inside_source_root(entry.path().string(), ctx);
    out.push_back({name, entry.file_size(ec)});
  }
  if (ec)
    throw task_failure(true, "source_unreadable", "the source folder cannot be listed");
  if (out.empty())
    throw task_failure(true, "no_matching_files",
                       "the source folder has no file matching '" + pattern + "'");
  std::sort(out.begin(), out.end(),
            [](const source_file& a, const source_file& b) { return a.name < b.name; });
  return out;
}

void check_inside_source_root(const std::string& path, const task_context& ctx) {
  const auto& req = ctx.params.at("request");
  auto root = req.value("source_root", "");
  if (root.empty() || path.rfind("/vsi", 0) == 0)
    return;
  std::error_code ec;
  auto real = fs::canonical(path, ec);
  if (ec)
    return;
  auto real_root = fs::canonical(root, ec);
  auto inside = !ec && real.native().size() > real_root.native().size() &&
                real.native().compare(0, real_root.native().size(), real_root.native()) == 0 &&
                real.native()[real_root.native().size()] == '/';
  if (!inside)
    throw task_failure(true, "source_outside_folder",
                       fs::path{path}.filename().string() +
                         " resolves outside your bronze folder (a symbolic link); only files "
                         "inside it are read");
}

void check_source_size(uint64_t bytes, const task_context& ctx) {
  auto limit = ctx.env.limits.max_source_bytes;
  if (bytes > limit)
    throw task_failure(true, "source_too_large",
                       "the source has " + std::to_string(bytes) + " bytes; this service accepts " +
                         std::to_string(limit) + " at most (limits.max_source_mib)");
}

void check_pixels(const json& facts, const task_context& ctx) {
  auto pixels = facts.value("width", uint64_t{0}) * facts.value("height", uint64_t{0});
  if (pixels > ctx.env.limits.max_pixels)
    throw task_failure(true, "raster_too_large",
                       "the raster has " + std::to_string(pixels) + " pixels; this service "
                       "accepts " + std::to_string(ctx.env.limits.max_pixels) +
                         " at most (limits.max_megapixels)");
}


}  // namespace gp::io::jobs
