#include "io/http/outputs.hpp"

#include <nlohmann/json.hpp>

#include "io/http/router.hpp"

namespace gp::io::http {

namespace {

using json = nlohmann::json;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size())
    return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i];
    if (a >= 'A' && a <= 'Z')
      a = static_cast<char>(a - 'A' + 'a');
    if (a != suffix[i])
      return false;
  }
  return true;
}

std::optional<std::string> file_name_member(const json& doc, const char* key, std::string& out) {
  auto i = doc.find(key);
  if (i == doc.end() || i->is_null())
    return std::nullopt;
  if (!i->is_string() || !is_plain_file_name(i->get_ref<const std::string&>()))
    return std::string{key} + " must be a plain file name";
  out = i->get<std::string>();
  return std::nullopt;
}

}  // namespace

bool is_plain_file_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.')
    return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '/' || ch == '\\' || c < 0x20 || c == 0x7f)
      return false;
  }
  return true;
}

std::optional<request_outputs> parse_outputs(const std::string& text, std::string& why) {
  why.clear();
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    why = "outputs is not JSON";
    return std::nullopt;
  }
  if (doc.is_null())
    return std::nullopt;
  if (!doc.is_object()) {
    why = "outputs must be an object";
    return std::nullopt;
  }
  request_outputs out;
  auto dir = doc.find("dir");
  if (dir == doc.end() || !dir->is_string() || dir->get_ref<const std::string&>().empty() ||
      dir->get_ref<const std::string&>().front() != '/') {
    why = "outputs.dir must be an absolute folder";
    return std::nullopt;
  }
  out.dir = dir->get<std::string>();
  if (auto bad = file_name_member(doc, "download", out.download)) {
    why = "outputs." + *bad;
    return std::nullopt;
  }
  if (auto files = doc.find("files"); files != doc.end() && !files->is_null()) {
    if (!files->is_array()) {
      why = "outputs.files must be a list of file names";
      return std::nullopt;
    }
    for (const auto& f : *files) {
      if (!f.is_string() || !is_plain_file_name(f.get_ref<const std::string&>())) {
        why = "outputs.files must list plain file names";
        return std::nullopt;
      }
      out.files.push_back(f.get<std::string>());
    }
  }
  if (auto c = doc.find("collection"); c != doc.end() && !c->is_null()) {
    if (!c->is_string() || c->get_ref<const std::string&>().empty()) {
      why = "outputs.collection must be a non-empty string";
      return std::nullopt;
    }
    out.collection = c->get<std::string>();
  }
  if (auto m = doc.find("mosaic"); m != doc.end() && !m->is_null()) {
    if (!m->is_boolean()) {
      why = "outputs.mosaic must be true or false";
      return std::nullopt;
    }
    out.mosaic = m->get<bool>();
  }
  return out;
}

std::string download_media_type(std::string_view request_type) {
  if (request_type == "vector")
    return "application/geopackage+sqlite3";
  if (request_type == "raster")
    return "image/tiff; application=geotiff; profile=cloud-optimized";
  return "application/octet-stream";
}

std::string file_media_type(std::string_view name) {
  if (ends_with_ci(name, ".tif") || ends_with_ci(name, ".tiff"))
    return download_media_type("raster");
  if (ends_with_ci(name, ".gpkg"))
    return download_media_type("vector");
  if (ends_with_ci(name, ".json"))
    return "application/json";
  return "application/octet-stream";
}

json endpoints_for(std::string_view request_type, std::string_view request_id,
                   const json& outputs) {
  json out = json::object();
  if (!outputs.is_object())
    return out;
  auto data = "/platform/data/" + std::string{request_id};
  auto has_string = [&](const char* key) {
    auto i = outputs.find(key);
    return i != outputs.end() && i->is_string() && !i->get_ref<const std::string&>().empty();
  };
  if (request_type == "vector" || request_type == "raster") {
    if (has_string("download"))
      out["download"] = data + "/download";
    if (request_type == "vector" && has_string("collection"))
      out["features"] = "/features/collections/" +
                        encode_segment(outputs.at("collection").get<std::string>()) + "/items";
  } else if (request_type == "collection") {
    auto m = outputs.find("mosaic");
    if (m != outputs.end() && m->is_boolean() && m->get<bool>())
      out["mosaic"] = data + "/mosaic.json";
  }
  return out;
}

std::optional<std::string> mosaic_with_urls(json& mosaic, const std::string& files_url) {
  if (!mosaic.is_object())
    return std::string{"the mosaic is not a JSON object"};
  auto tiles = mosaic.find("tiles");
  if (tiles == mosaic.end() || !tiles->is_object())
    return std::string{"the mosaic has no tiles object"};
  for (auto& [quadkey, names] : tiles->items()) {
    if (!names.is_array())
      return "the tile " + quadkey + " is not a list of file names";
    for (auto& name : names) {
      if (!name.is_string() || !is_plain_file_name(name.get_ref<const std::string&>()))
        return "the tile " + quadkey + " lists something that is not a plain file name";
      name = files_url + encode_segment(name.get_ref<const std::string&>());
    }
  }
  return std::nullopt;
}

}  // namespace gp::io::http
