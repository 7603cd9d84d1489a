#pragma once
// A request's source files as the jobs see them: content hashes (the key of incremental reuse),
// a folder's matching files, and the size limit.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

/// SHA-256 (hex) of a file, read in 1 MiB pieces (never the whole file in memory), stopping when
/// asked. Sets `bytes`. Throws a transient task_failure("source_unreadable").
std::string hash_file(const std::filesystem::path& path, const task_context& ctx,
                      uint64_t& bytes);

/// One file of a source folder.
struct source_file {
  std::string name;
  uint64_t bytes = 0;
};

/// The regular files of `dir` whose names match the shell pattern, sorted by name. Throws
/// task_failure: source_not_found (no folder), source_unreadable, no_matching_files.
std::vector<source_file> matching_files(const std::filesystem::path& dir,
                                        const std::string& pattern, const task_context& ctx);

/// Throws a permanent task_failure("source_outside_folder") when `path` (a file or folder of the
/// request's source) resolves, symlinks followed, outside the request's "source_root" (the
/// client's bronze folder). Nothing is checked without a source_root (a virtual path) or when
/// `path` does not exist (the opener reports that).
void check_inside_source_root(const std::string& path, const task_context& ctx);

/// Throws a permanent task_failure("source_too_large") when `bytes` exceeds the limit.
void check_source_size(uint64_t bytes, const task_context& ctx);

/// Throws a permanent task_failure("raster_too_large") when a described raster (its "width" and
/// "height") has more pixels than the limit.
void check_pixels(const json& facts, const task_context& ctx);

}  // namespace gp::io::jobs
