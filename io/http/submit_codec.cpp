#include "io/http/submit_codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/crypto.hpp"

namespace gp::io::http {

namespace {

using json = nlohmann::json;

bool identifier_ok(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max || !std::isalnum(static_cast<unsigned char>(s[0])))
    return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}

void identifier(const json& body, const char* name, size_t max, std::vector<field_error>& errors,
                std::string& out) {
  out = string_field(body, name, true, errors);
  auto i = body.find(name);
  bool given = i != body.end() && i->is_string();
  if (given && !identifier_ok(out, max))
    errors.push_back({name, "must be 1-" + std::to_string(max) +
                              " characters of letters, digits, '.', '_' or '-', starting with a "
                              "letter or digit"});
}

bool is_crs(const std::string& s) {
  if (s.rfind("EPSG:", 0) == 0)
    return s.size() > 5 && s.size() <= 11 &&
           std::all_of(s.begin() + 5, s.end(), [](char c) { return std::isdigit(c) != 0; });
  // WKT: a keyword followed by a bracketed body.
  auto bracket = s.find_first_of("[(");
  return bracket != std::string::npos && bracket > 0 && (s.back() == ']' || s.back() == ')') &&
         s.size() < 20000;
}

void config_string(const json& cfg, const std::string& key, std::vector<field_error>& errors,
                   size_t max = 255) {
  const auto& v = cfg.at(key);
  if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > max)
    errors.push_back({"processing_config." + key,
                      "must be a non-empty string of at most " + std::to_string(max) +
                        " characters"});
}

void check_config(const std::string& type, json& cfg, const submit_policy& policy,
                  std::vector<field_error>& errors) {
  static const std::vector<std::string> vector_keys{"layer_name", "lat_column", "lon_column",
                                                    "wkt_column", "source_crs", "datetime_column",
                                                    "reuse"};
  static const std::vector<std::string> raster_keys{"compression", "source_crs", "nodata",
                                                    "blocksize", "reuse"};
  static const std::vector<std::string> collection_keys{"pattern", "compression", "source_crs",
                                                        "reuse"};
  const auto& keys = type == "vector" ? vector_keys : type == "raster" ? raster_keys
                                                                      : collection_keys;
  for (const auto& [k, v] : cfg.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::string known;
      for (const auto& n : keys)
        known += (known.empty() ? "" : ", ") + n;
      errors.push_back({"processing_config." + k,
                        "is not a setting of " + type + " requests (known: " + known + ")"});
      continue;
    }
    if (k == "source_crs") {
      if (!v.is_string() || !is_crs(v.get<std::string>()))
        errors.push_back({"processing_config.source_crs",
                          "must be EPSG:<code> (e.g. EPSG:2263) or a WKT definition"});
    } else if (k == "compression") {
      static const std::vector<std::string> ok{"deflate", "lzw", "zstd", "jpeg"};
      if (!v.is_string() || std::find(ok.begin(), ok.end(), v.get<std::string>()) == ok.end())
        errors.push_back({"processing_config.compression",
                          "must be one of: deflate, lzw, zstd, jpeg"});
    } else if (k == "nodata") {
      if (!v.is_number())
        errors.push_back({"processing_config.nodata", "must be a number"});
    } else if (k == "reuse") {
      if (!v.is_boolean())
        errors.push_back({"processing_config.reuse",
                          "must be true or false (false: process even when a completed version "
                          "has the same source)"});
    } else if (k == "blocksize") {
      if (!v.is_number_integer() ||
          (v.get<int64_t>() != 256 && v.get<int64_t>() != 512 && v.get<int64_t>() != 1024))
        errors.push_back({"processing_config.blocksize", "must be 256, 512 or 1024"});
    } else if (k == "pattern") {
      if (!v.is_string() || v.get<std::string>().empty() ||
          v.get<std::string>().find('/') != std::string::npos || v.get<std::string>().size() > 255)
        errors.push_back({"processing_config.pattern",
                          "must be a file-name glob such as *.tif (no '/')"});
    } else {
      config_string(cfg, k, errors);
    }
  }
  if (type != "vector" && !cfg.contains("compression"))
    cfg["compression"] = policy.default_compression;
  if (type == "collection" && !cfg.contains("pattern"))
    cfg["pattern"] = "*.tif";
}

}  // namespace

submit_request parse_submit(const json& body, const submit_policy& policy,
                            std::vector<field_error>& errors) {
  submit_request r;
  if (!body.is_object()) {
    errors.push_back({"(body)", "must be a JSON object"});
    return r;
  }
  static const std::vector<std::string> known{
    "dataset_id",  "resource_id",       "version_id",   "request_type",
    "source_path", "processing_config", "callback_url", "client_request_id"};
  for (const auto& [k, _] : body.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      errors.push_back({k, "is not a known field"});
  identifier(body, "dataset_id", 255, errors, r.dataset_id);
  identifier(body, "resource_id", 255, errors, r.resource_id);
  identifier(body, "version_id", 50, errors, r.version_id);
  r.request_type = string_field(body, "request_type", true, errors);
  bool type_ok = r.request_type == "vector" || r.request_type == "raster" ||
                 r.request_type == "collection";
  if (!r.request_type.empty() && !type_ok)
    errors.push_back({"request_type", "must be vector, raster or collection"});
  r.source_path = string_field(body, "source_path", true, errors);
  if (body.contains("source_path") && body["source_path"].is_string() && r.source_path.empty())
    errors.push_back({"source_path", "must not be empty"});
  else if (!r.source_path.empty())
    if (auto why = check_source_path(r.source_path, policy.allow_virtual_paths); !why.empty())
      errors.push_back({"source_path", why});
  if (auto i = body.find("processing_config"); i != body.end() && !i->is_null()) {
    if (!i->is_object())
      errors.push_back({"processing_config", "must be an object"});
    else
      r.processing_config = *i;
  }
  if (type_ok && r.processing_config.is_object())
    check_config(r.request_type, r.processing_config, policy, errors);
  r.callback_url = string_field(body, "callback_url", false, errors);
  r.client_request_id = string_field(body, "client_request_id", false, errors);
  if (r.client_request_id.size() > 255)
    errors.push_back({"client_request_id", "must be at most 255 characters"});
  return r;
}

std::string request_id_for(const std::string& client_id, const std::string& dataset_id,
                           const std::string& resource_id, const std::string& version_id) {
  return sha256_hex(client_id + "|" + dataset_id + "|" + resource_id + "|" + version_id)
    .substr(0, 32);
}

std::string payload_fingerprint(const submit_request& r) {
  return json{{"request_type", r.request_type},
              {"source_path", r.source_path},
              {"processing_config", r.processing_config}}
    .dump();
}

request_submission submission_for(const std::string& client_id, const submit_request& r) {
  request_submission sub;
  sub.request_id = request_id_for(client_id, r.dataset_id, r.resource_id, r.version_id);
  sub.client_id = client_id;
  sub.dataset_id = r.dataset_id;
  sub.resource_id = r.resource_id;
  sub.version_id = r.version_id;
  sub.request_type = r.request_type;
  sub.source_path = r.source_path;
  sub.processing_config_json = r.processing_config.dump();
  sub.callback_url = r.callback_url;
  sub.client_request_id = r.client_request_id;
  sub.fingerprint = payload_fingerprint(r);
  return sub;
}

std::string check_source_path(const std::string& path, bool allow_virtual) {
  if (path.find('\0') != std::string::npos)
    return "must not contain NUL bytes";
  if (path.size() > 1024)
    return "must be at most 1024 characters";
  for (const char* prefix : {"/vsis3/", "/vsiaz/", "/vsicurl/"})
    if (path.rfind(prefix, 0) == 0)
      return allow_virtual ? std::string{} : "GDAL virtual paths are not enabled on this service";
  if (path.rfind("/vsi", 0) == 0)
    return "only /vsis3/, /vsiaz/ and /vsicurl/ virtual paths are supported";
  if (path.front() == '/' || path.front() == '~')
    return "must be relative to your bronze folder, not absolute";
  if (path.find('\\') != std::string::npos)
    return "must use '/' as separator";
  size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto segment = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (segment == "..")
      return "must not contain a '..' segment";
    if (slash == std::string::npos)
      break;
    pos = slash + 1;
  }
  return {};
}

namespace {

source_state kind_of(const struct stat& st, bool want_folder) {
  return want_folder == S_ISDIR(st.st_mode) ? source_state::ok : source_state::wrong_kind;
}

/// The real path of both, compared: the general case (and the only one without openat2).
source_state resolve_by_real_paths(const std::string& folder_path, const std::string& path,
                                   bool want_folder) {
  auto real_path = [](const std::string& p) -> std::optional<std::string> {
    std::unique_ptr<char, decltype(&std::free)> r{::realpath(p.c_str(), nullptr), &std::free};
    if (!r)
      return std::nullopt;
    return std::string{r.get()};
  };
  auto folder = real_path(folder_path);
  if (!folder)
    return source_state::not_found;
  auto real = real_path(folder_path + "/" + path);
  if (!real)
    return source_state::not_found;
  bool inside = *real == *folder || (real->size() > folder->size() &&
                                     real->compare(0, folder->size(), *folder) == 0 &&
                                     (*real)[folder->size()] == '/');
  if (!inside && *folder != "/")
    return source_state::outside;
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0)
    return source_state::not_found;
  return kind_of(st, want_folder);
}

}  // namespace

source_state resolve_source(const std::string& bronze_root, const std::string& client_id,
                            const std::string& path, bool want_folder) {
  // This runs on every submit. openat2 with RESOLVE_BENEATH opens the source only if resolving
  // it never leaves the client's folder: five system calls, where realpath(3) reads every link
  // of both paths one by one. It refuses any absolute link and any link out of the folder
  // (EXDEV); those, and kernels without openat2, are decided by comparing real paths, so an
  // absolute link that ends inside the folder is still accepted.
  auto folder_path = bronze_root + "/" + client_id;
  int dir = ::open(folder_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return errno == ENOENT || errno == ENOTDIR ? source_state::not_found
                                               : resolve_by_real_paths(folder_path, path,
                                                                       want_folder);
  struct open_how how {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  int fd = static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
  int err = errno;
  ::close(dir);
  if (fd >= 0) {
    struct stat st {};
    int r = ::fstat(fd, &st);
    ::close(fd);
    return r == 0 ? kind_of(st, want_folder) : source_state::not_found;
  }
  if (err == ENOENT || err == ENOTDIR)
    return source_state::not_found;
  return resolve_by_real_paths(folder_path, path, want_folder);
}

std::string check_callback_url(const std::string& url, const std::vector<std::string>& hosts) {
  std::string rest;
  if (url.rfind("https://", 0) == 0)
    rest = url.substr(8);
  else if (url.rfind("http://", 0) == 0)
    rest = url.substr(7);
  else
    return "must be an http:// or https:// URL";
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string::npos)
    return "must not contain user information";
  auto host = authority.substr(0, authority.rfind(':') == std::string::npos ||
                                      authority.front() == '['
                                    ? authority.size()
                                    : authority.rfind(':'));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host.empty())
    return "must name a host";
  for (auto allowed : hosts) {
    std::transform(allowed.begin(), allowed.end(), allowed.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (allowed == host)
      return {};
    if (allowed.rfind("*.", 0) == 0) {
      auto suffix = allowed.substr(1);  // ".example.org"
      if (host.size() > suffix.size() &&
          host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
        return {};
    }
  }
  return "host " + host + " is not among your client's callback hosts";
}

}  // namespace gp::io::http
