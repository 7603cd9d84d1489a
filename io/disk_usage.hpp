#pragma once
// Bytes on disk under a path, for usage accounting (what a request's processing read and wrote).
#include <cstdint>
#include <string>

namespace gp::io {

/// The size of a regular file, or the sizes of the regular files under a folder (symbolic links
/// not followed); 0 for anything else, a GDAL virtual path, or what cannot be read. Never
/// throws.
int64_t bytes_under(const std::string& path);

}  // namespace gp::io
