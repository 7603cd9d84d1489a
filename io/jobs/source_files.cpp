#include "io/jobs/source_files.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

#include "io/crypto.hpp"

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

namespace {

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || i + n >= s.size())
      return false;
    uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2)
        return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

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
    if (!valid_utf8(name))
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

std::string hash_text(const std::string& text) { return sha256_hex(text); }

}  // namespace gp::io::jobs
