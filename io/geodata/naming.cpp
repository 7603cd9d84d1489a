#include "io/geodata/naming.hpp"

#include <set>

#include "io/crypto.hpp"

namespace gp::io::geodata {

namespace {

/// Lower-case [a-z0-9] with every other run made one '_', no '_' at either end.
std::string slug(const std::string& s) {
  std::string out;
  bool gap = false;
  for (unsigned char c : s) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<unsigned char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) {
      gap = true;
      continue;
    }
    if (gap && !out.empty())
      out += '_';
    gap = false;
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string table_name_for(const std::string& client_id, const std::string& dataset_id,
                           const std::string& resource_id, const std::string& version_id) {
  auto hash = sha256_hex(client_id + "|" + dataset_id + "|" + resource_id + "|" + version_id)
                .substr(0, 10);
  std::string base;
  for (const auto* part : {&client_id, &dataset_id, &resource_id, &version_id}) {
    auto s = slug(*part);
    if (s.empty())
      continue;
    base += (base.empty() ? "" : "_") + s;
  }
  if (base.empty() || !(base[0] >= 'a' && base[0] <= 'z'))
    base = "t_" + base;
  constexpr size_t max_len = 63;
  size_t room = max_len - 1 - hash.size();
  if (base.size() > room)
    base.resize(room);
  while (!base.empty() && base.back() == '_')
    base.pop_back();
  return base + "_" + hash;
}

std::string sanitize_column_name(const std::string& name) {
  auto s = slug(name);
  if (s.empty())
    s = "column";
  if (s[0] >= '0' && s[0] <= '9')
    s = "c_" + s;
  if (s.size() > 63)
    s.resize(63);
  while (s.back() == '_')
    s.pop_back();
  if (s == "fid" || s == "geom")
    s += "_1";
  return s;
}

std::vector<std::string> unique_column_names(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::set<std::string> taken{"fid", "geom"};
  for (const auto& n : names) {
    auto base = sanitize_column_name(n);
    auto name = base;
    for (int i = 2; taken.count(name) != 0; ++i) {
      auto suffix = "_" + std::to_string(i);
      name = base.substr(0, 63 - suffix.size()) + suffix;
    }
    taken.insert(name);
    out.push_back(name);
  }
  return out;
}

std::string staging_table_name(const std::string& table) {
  constexpr size_t max_len = 63;
  const std::string prefix = "_stg_";
  if (prefix.size() + table.size() <= max_len)
    return prefix + table;
  // Keep the `_<hash>` suffix (the part that makes the name unique), cut the readable part.
  auto cut = table.rfind('_');
  auto suffix = cut == std::string::npos ? std::string{} : table.substr(cut);
  if (suffix.size() > 20)
    suffix.clear();
  return prefix + table.substr(0, max_len - prefix.size() - suffix.size()) + suffix;
}

}  // namespace gp::io::geodata
