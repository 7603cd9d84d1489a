#include "io/geodata/partial_files.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace gp::io::geodata {

namespace fs = std::filesystem;

namespace {

constexpr const char* marker = ".partial-";

}  // namespace

std::string partial_prefix(const std::string& final_name) { return "." + final_name + marker; }

fs::path partial_path(const fs::path& target) {
  static std::atomic<uint64_t> serial{0};
  return target.parent_path() / (partial_prefix(target.filename().string()) +
                                 std::to_string(::getpid()) + "-" + std::to_string(++serial));
}

bool is_partial_name(const std::string& file_name) {
  return file_name.size() > 1 && file_name[0] == '.' && file_name.find(marker) != std::string::npos;
}

void remove_partials(const fs::path& dir, const std::string& final_name) {
  std::error_code ec;
  auto prefix = final_name.empty() ? std::string{} : partial_prefix(final_name);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (final_name.empty() ? is_partial_name(name) : name.rfind(prefix, 0) == 0)
      fs::remove(e.path(), ec);
  }
}

bool write_file_atomically(const fs::path& target, const std::string& text) {
  auto tmp = partial_path(target);
  std::error_code ec;
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out << text;
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace gp::io::geodata
