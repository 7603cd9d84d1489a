#pragma once
// Bytes on disk under a path, for usage accounting (what a request's processing read and wrote),
// and the free space of the file system holding a path (/health, /metrics).
#include <cstdint>
#include <optional>
#include <string>

namespace gp::io {

/// The size of a regular file, or the sizes of the regular files under a folder (symbolic links
/// not followed); 0 for anything else, a GDAL virtual path, or what cannot be read. Never
/// throws.
int64_t bytes_under(const std::string& path);

/// The size of the file system holding a path and what an unprivileged writer may still use.
struct disk_space {
  int64_t free_bytes = 0;
  int64_t total_bytes = 0;
};

/// statvfs of `path`; nothing when it cannot be read (or `path` is empty).
std::optional<disk_space> space_of(const std::string& path);

}  // namespace gp::io
