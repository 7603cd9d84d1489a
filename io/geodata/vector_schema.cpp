#include "io/geodata/vector_schema.hpp"

#include <algorithm>
#include <cctype>

#include "io/utf8.hpp"

namespace gp::io::geodata {

std::string pg_type_for(OGRFieldType type, OGRFieldSubType subtype) {
  switch (type) {
    case OFTInteger:
      return subtype == OFSTBoolean ? "boolean" : "integer";
    case OFTInteger64:
      return "bigint";
    case OFTReal:
      return "double precision";
    case OFTString:
      return subtype == OFSTJSON ? "jsonb" : "text";
    case OFTDate:
      return "date";
    case OFTTime:
      return "time";
    case OFTDateTime:
      return "timestamptz";
    case OFTBinary:
      return "bytea";
    case OFTIntegerList:
    case OFTInteger64List:
    case OFTRealList:
    case OFTStringList:
      return "jsonb";
    default:
      return "text";
  }
}

std::string postgis_type_name(OGRwkbGeometryType type) {
  switch (wkbFlatten(type)) {
    case wkbPoint:
      return "Point";
    case wkbLineString:
      return "LineString";
    case wkbPolygon:
      return "Polygon";
    case wkbMultiPoint:
      return "MultiPoint";
    case wkbMultiLineString:
      return "MultiLineString";
    case wkbMultiPolygon:
      return "MultiPolygon";
    case wkbGeometryCollection:
      return "GeometryCollection";
    default:
      return "Geometry";
  }
}

namespace {

std::string folded(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n\"");
  auto e = s.find_last_not_of(" \t\r\n\"");
  std::string out = b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// The header's spelling of the first of `candidates` it has; empty when none.
std::string find_column(const std::vector<std::string>& header,
                        std::initializer_list<const char*> candidates) {
  for (const char* c : candidates)
    for (const auto& h : header)
      if (folded(h) == c)
        return h;
  return {};
}

std::string find_column(const std::vector<std::string>& header, const std::string& name) {
  auto want = folded(name);
  for (const auto& h : header)
    if (folded(h) == want)
      return h;
  return {};
}

}  // namespace

csv_geometry detect_csv_geometry(const std::vector<std::string>& header,
                                 const std::string& lon_column, const std::string& lat_column,
                                 const std::string& wkt_column) {
  csv_geometry out;
  if (!wkt_column.empty()) {
    out.wkt = find_column(header, wkt_column);
    if (out.wkt.empty())
      out.missing_key = "wkt_column";
    else
      out.found = csv_geometry::kind::wkt;
    return out;
  }
  if (!lon_column.empty() || !lat_column.empty()) {
    out.lon = lon_column.empty() ? find_column(header, {"lon", "long", "longitude", "lng", "x"})
                                 : find_column(header, lon_column);
    out.lat = lat_column.empty() ? find_column(header, {"lat", "latitude", "y"})
                                 : find_column(header, lat_column);
    if (out.lon.empty())
      out.missing_key = "lon_column";
    else if (out.lat.empty())
      out.missing_key = "lat_column";
    else
      out.found = csv_geometry::kind::lon_lat;
    return out;
  }
  out.wkt = find_column(header, {"wkt", "geometry", "geom", "the_geom", "wkt_geom"});
  if (!out.wkt.empty()) {
    out.found = csv_geometry::kind::wkt;
    return out;
  }
  out.lon = find_column(header, {"lon", "long", "longitude", "lng", "x"});
  out.lat = find_column(header, {"lat", "latitude", "y"});
  if (!out.lon.empty() && !out.lat.empty())
    out.found = csv_geometry::kind::lon_lat;
  else
    out.lon.clear(), out.lat.clear();
  return out;
}

namespace {

void append_code_point(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Windows-1252 0x80-0x9F; 0 where the code page leaves a byte undefined.
constexpr uint16_t cp1252_high[32] = {
  0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
  0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
  0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

}  // namespace

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    // Plain ASCII eight bytes at a time: the common case.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::copy(s.data() + i, s.data() + i + 8, reinterpret_cast<char*>(&w));
      if ((w & 0x8080808080808080ull) != 0)
        break;
      i += 8;
    }
    if (i >= s.size())
      break;
    auto n = utf8_length(s, i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  if (valid_utf8(s))
    return std::string{s};
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (size_t i = 0; i < s.size();) {
    if (auto n = utf8_length(s, i); n > 0) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i++]);
    uint32_t cp = c;
    if (c >= 0x80 && c <= 0x9F)
      cp = cp1252_high[c - 0x80] != 0 ? cp1252_high[c - 0x80] : 0xFFFD;
    append_code_point(out, cp);
  }
  return out;
}

void append_copy_escaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\':
        esc = "\\\\";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      default:
        continue;
    }
    out.append(s.data() + start, i - start);
    out += esc;
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

}  // namespace gp::io::geodata
