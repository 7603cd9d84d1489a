#include "io/disk_usage.hpp"

#include <sys/statvfs.h>

#include <filesystem>

namespace gp::io {

int64_t bytes_under(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path.rfind("/vsi", 0) == 0)
    return 0;
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec)
    return 0;
  if (fs::is_regular_file(st)) {
    auto n = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(n);
  }
  if (!fs::is_directory(st))
    return 0;
  int64_t total = 0;
  for (fs::recursive_directory_iterator i{path, fs::directory_options::skip_permission_denied, ec},
       end;
       !ec && i != end; i.increment(ec)) {
    std::error_code fec;
    if (i->is_regular_file(fec) && !i->is_symlink(fec)) {
      auto n = i->file_size(fec);
      if (!fec)
        total += static_cast<int64_t>(n);
    }
  }
  return total;
}

std::optional<disk_space> space_of(const std::string& path) {
  struct statvfs fs {};
  if (path.empty() || ::statvfs(path.c_str(), &fs) != 0)
    return std::nullopt;
  return disk_space{
    static_cast<int64_t>(static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize),
    static_cast<int64_t>(static_cast<unsigned long long>(fs.f_blocks) * fs.f_frsize)};
}

}  // namespace gp::io
