#pragma once
// Outputs are written under a temporary name, `.<final name>.partial-<pid>-<n>`, and renamed when
// complete, so a crash never leaves a half file under a final name. This is the one place that
// knows the naming: the writers (COG, GeoPackage, mosaic.json) and the clean-up of a failed
// request use it.
#include <filesystem>
#include <string>

namespace gp::io::geodata {

/// `.<final_name>.partial-`: what every temporary file of `final_name` starts with.
std::string partial_prefix(const std::string& final_name);

/// A temporary path for `target` in its folder, unique per process and call.
std::filesystem::path partial_path(const std::filesystem::path& target);

/// Whether a file name is a temporary file of some output.
bool is_partial_name(const std::string& file_name);

/// Removes the temporary files of `final_name` in `dir` (earlier attempts: a node killed
/// mid-write), or every temporary file when `final_name` is empty. Best effort.
void remove_partials(const std::filesystem::path& dir, const std::string& final_name = {});

/// Writes `text` to `target` through a temporary file and a rename; false when it cannot (the
/// temporary file is removed).
bool write_file_atomically(const std::filesystem::path& target, const std::string& text);

}  // namespace gp::io::geodata
