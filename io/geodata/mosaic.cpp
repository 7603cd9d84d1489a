#include "io/geodata/mosaic.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace gp::io::geodata {

namespace {

constexpr double max_lat = 85.0511287798066;
/// Metres per pixel of a 256-pixel tile at zoom 0 (2π·6378137 / 256).
constexpr double zoom0_resolution = 156543.03392804097;
/// Metres of web-mercator x per degree of longitude.
constexpr double metres_per_degree = 111319.49079327357;

int tile_x(double lon, int zoom) {
  double n = std::ldexp(1.0, zoom);
  auto x = static_cast<int64_t>(std::floor((lon + 180.0) / 360.0 * n));
  return static_cast<int>(std::clamp<int64_t>(x, 0, static_cast<int64_t>(n) - 1));
}

int tile_y(double lat, int zoom) {
  double n = std::ldexp(1.0, zoom);
  double r = std::clamp(lat, -max_lat, max_lat) * M_PI / 180.0;
  double y = (1.0 - std::log(std::tan(r) + 1.0 / std::cos(r)) / M_PI) / 2.0 * n;
  return static_cast<int>(std::clamp<int64_t>(static_cast<int64_t>(std::floor(y)), 0,
                                              static_cast<int64_t>(n) - 1));
}

std::string quadkey(int x, int y, int zoom) {
  std::string key;
  for (int i = zoom; i > 0; --i) {
    int digit = 0;
    int mask = 1 << (i - 1);
    if ((x & mask) != 0)
      digit += 1;
    if ((y & mask) != 0)
      digit += 2;
    key += static_cast<char>('0' + digit);
  }
  return key;
}

/// Tiles at `zoom` that `b` touches (without building them).
uint64_t tile_count(const std::array<double, 4>& b, int zoom) {
  auto w = static_cast<uint64_t>(tile_x(b[2], zoom) - tile_x(b[0], zoom) + 1);
  auto h = static_cast<uint64_t>(tile_y(b[1], zoom) - tile_y(b[3], zoom) + 1);
  return w * h;
}

}  // namespace

int native_zoom(const mosaic_source& s) {
  double span = std::max(s.bounds[2] - s.bounds[0], 1e-12);
  double res = span * metres_per_degree / static_cast<double>(std::max<int64_t>(s.width, 1));
  int z = static_cast<int>(std::ceil(std::log2(zoom0_resolution / res) - 1e-9));
  return std::clamp(z, 0, 24);
}

int overview_zoom(const mosaic_source& s) {
  double pixels = static_cast<double>(std::max<int64_t>({s.width, s.height, 1}));
  int levels = pixels <= 256 ? 0 : static_cast<int>(std::ceil(std::log2(pixels / 256.0)));
  return std::max(0, native_zoom(s) - levels);
}

std::vector<std::string> quadkeys_covering(const std::array<double, 4>& b, int zoom) {
  std::vector<std::string> out;
  int x0 = tile_x(b[0], zoom), x1 = tile_x(b[2], zoom);
  int y0 = tile_y(b[3], zoom), y1 = tile_y(b[1], zoom);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x)
      out.push_back(quadkey(x, y, zoom));
  return out;
}

nlohmann::json mosaic_document(const std::vector<mosaic_source>& sources, const std::string& name,
                               size_t max_tiles) {
  if (sources.empty())
    throw std::invalid_argument{"a mosaic needs at least one source"};
  std::array<double, 4> bounds = sources.front().bounds;
  int minzoom = 24, maxzoom = 0;
  for (const auto& s : sources) {
    bounds[0] = std::min(bounds[0], s.bounds[0]);
    bounds[1] = std::min(bounds[1], s.bounds[1]);
    bounds[2] = std::max(bounds[2], s.bounds[2]);
    bounds[3] = std::max(bounds[3], s.bounds[3]);
    minzoom = std::min(minzoom, overview_zoom(s));
    maxzoom = std::max(maxzoom, native_zoom(s));
  }
  int qz = minzoom;
  auto total = [&](int z) {
    uint64_t n = 0;
    for (const auto& s : sources)
      n += tile_count(s.bounds, z);
    return n;
  };
  while (qz > 0 && total(qz) > max_tiles)
    --qz;
  minzoom = std::min(minzoom, qz);  // the index zoom is never below minzoom
  std::map<std::string, std::vector<std::string>> tiles;
  for (const auto& s : sources)
    for (auto& key : quadkeys_covering(s.bounds, qz))
      tiles[key].push_back(s.name);
  nlohmann::json t = nlohmann::json::object();
  for (auto& [key, names] : tiles)
    t[key] = names;
  return {{"mosaicjson", "0.0.3"},
          {"name", name},
          {"version", "1.0.0"},
          {"minzoom", minzoom},
          {"maxzoom", maxzoom},
          {"quadkey_zoom", qz},
          {"bounds", {bounds[0], bounds[1], bounds[2], bounds[3]}},
          {"center", {(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, minzoom}},
          {"tiles", t}};
}

}  // namespace gp::io::geodata
