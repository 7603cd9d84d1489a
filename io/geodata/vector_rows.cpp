#include "io/geodata/vector_rows.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <ogr_geometry.h>

#include "io/geodata/vector_schema.hpp"

namespace gp::io::geodata {

using json = nlohmann::json;

json feature_counts::to_json() const {
  json out = json::object();
  auto put = [&](const char* k, uint64_t v) {
    if (v != 0)
      out[k] = v;
  };
  put("empty_geometries", empty_geometries);
  put("repaired_geometries", repaired_geometries);
  put("unrepairable_geometries", unrepairable_geometries);
  put("other_geometry_types", other_geometry_types);
  put("untransformable_geometries", untransformable_geometries);
  put("recoded_texts", recoded_texts);
  put("invalid_values", invalid_values);
  return out;
}

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex(std::string& out, const unsigned char* p, size_t n) {
  auto at = out.size();
  out.resize(at + 2 * n);
  char* d = out.data() + at;
  for (size_t i = 0; i < n; ++i) {
    *d++ = hex_digits[p[i] >> 4];
    *d++ = hex_digits[p[i] & 15];
  }
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  if (std::isnan(v))
    out += "NaN";
  else if (std::isinf(v))
    out += v > 0 ? "Infinity" : "-Infinity";
  else
    append_number(out, v);
}

bool plausible_date(int y, int m, int d) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

bool plausible_time(int h, int mi, float s) {
  return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 61;
}

}  // namespace

void append_ewkb_hex(std::string& out, const OGRGeometry& g, std::vector<unsigned char>& buf) {
  auto n = static_cast<size_t>(g.WkbSize());
  buf.resize(n);
  g.exportToWkb(wkbNDR, buf.data(), wkbVariantIso);
  uint32_t type = static_cast<uint32_t>(buf[1]) | (static_cast<uint32_t>(buf[2]) << 8) |
                  (static_cast<uint32_t>(buf[3]) << 16) | (static_cast<uint32_t>(buf[4]) << 24);
  type |= 0x20000000u;  // EWKB: an SRID follows
  const uint32_t srid = 4326;
  unsigned char head[9] = {1,
                           static_cast<unsigned char>(type),
                           static_cast<unsigned char>(type >> 8),
                           static_cast<unsigned char>(type >> 16),
                           static_cast<unsigned char>(type >> 24),
                           static_cast<unsigned char>(srid),
                           static_cast<unsigned char>(srid >> 8),
                           static_cast<unsigned char>(srid >> 16),
                           static_cast<unsigned char>(srid >> 24)};
  append_hex(out, head, sizeof head);
  append_hex(out, buf.data() + 5, n - 5);
}

void append_integer(std::string& out, long long v) { append_number(out, v); }

field_kind kind_of(const OGRFieldDefn& fd) {
  switch (fd.GetType()) {
    case OFTInteger:
      return fd.GetSubType() == OFSTBoolean ? field_kind::boolean : field_kind::integer;
    case OFTInteger64:
      return field_kind::integer64;
    case OFTReal:
      return field_kind::real;
    case OFTString:
      return fd.GetSubType() == OFSTJSON ? field_kind::json_text : field_kind::text;
    case OFTDate:
      return field_kind::date;
    case OFTTime:
      return field_kind::time;
    case OFTDateTime:
      return field_kind::datetime;
    case OFTBinary:
      return field_kind::binary;
    case OFTIntegerList:
      return field_kind::integer_list;
    case OFTInteger64List:
      return field_kind::integer64_list;
    case OFTRealList:
      return field_kind::real_list;
    case OFTStringList:
      return field_kind::string_list;
    default:
      return field_kind::text;
  }
}

void append_field(std::string& row, OGRFeature& f, int i, field_kind k, feature_counts& warn) {
  if (!f.IsFieldSetAndNotNull(i)) {
    row += "\\N";
    return;
  }
  char buf[64];
  switch (k) {
    case field_kind::integer:
      append_number(row, f.GetFieldAsInteger(i));
      return;
    case field_kind::integer64:
      append_number(row, static_cast<long long>(f.GetFieldAsInteger64(i)));
      return;
    case field_kind::real:
      append_double(row, f.GetFieldAsDouble(i));
      return;
    case field_kind::boolean:
      row += f.GetFieldAsInteger(i) != 0 ? 't' : 'f';
      return;
    case field_kind::text:
    case field_kind::json_text: {
      const char* s = f.GetFieldAsString(i);
      std::string_view v{s};
      std::string fixed;
      if (!valid_utf8(v)) {
        fixed = repair_utf8(v);
        f.SetField(i, fixed.c_str());
        v = fixed;
        ++warn.recoded_texts;
      }
      // jsonb refuses \u0000 (valid JSON otherwise): such a value is invalid here too, rather
      // than failing the whole COPY.
      if (k == field_kind::json_text &&
          (!json::accept(v) || v.find("\\u0000") != std::string_view::npos)) {
        f.SetFieldNull(i);
        ++warn.invalid_values;
        row += "\\N";
        return;
      }
      append_copy_escaped(row, v);
      return;
    }
    case field_kind::date:
    case field_kind::time:
    case field_kind::datetime: {
      int y = 0, m = 0, d = 0, h = 0, mi = 0, tz = 0;
      float s = 0;
      f.GetFieldAsDateTime(i, &y, &m, &d, &h, &mi, &s, &tz);
      bool ok = (k == field_kind::time || plausible_date(y, m, d)) &&
                (k == field_kind::date || plausible_time(h, mi, s));
      if (!ok) {
        f.SetFieldNull(i);
        ++warn.invalid_values;
        row += "\\N";
        return;
      }
      if (k == field_kind::date)
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
      else if (k == field_kind::time)
        std::snprintf(buf, sizeof buf, "%02d:%02d:%06.3f", h, mi, static_cast<double>(s));
      else
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%06.3f", y, m, d, h, mi,
                      static_cast<double>(s));
      row += buf;
      // OGR's time zone flag: 100 is UTC, each step 15 minutes; 0 and 1 (unknown, local time)
      // leave the value in the session's zone, UTC.
      if (k == field_kind::datetime && tz >= 2) {
        int minutes = (tz - 100) * 15;
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                      std::abs(minutes) / 60, std::abs(minutes) % 60);
        row += buf;
      }
      return;
    }
    case field_kind::binary: {
      int n = 0;
      const GByte* p = f.GetFieldAsBinary(i, &n);
      row += "\\\\x";
      append_hex(row, p, static_cast<size_t>(n));
      return;
    }
    case field_kind::integer_list:
    case field_kind::integer64_list:
    case field_kind::real_list:
    case field_kind::string_list: {
      json list = json::array();
      int n = 0;
      if (k == field_kind::integer_list) {
        const int* v = f.GetFieldAsIntegerList(i, &n);
        for (int j = 0; j < n; ++j)
          list.push_back(v[j]);
      } else if (k == field_kind::integer64_list) {
        const GIntBig* v = f.GetFieldAsInteger64List(i, &n);
        for (int j = 0; j < n; ++j)
          list.push_back(static_cast<long long>(v[j]));
      } else if (k == field_kind::real_list) {
        const double* v = f.GetFieldAsDoubleList(i, &n);
        for (int j = 0; j < n; ++j)
          list.push_back(std::isfinite(v[j]) ? json(v[j]) : json());
      } else {
        for (char** s = f.GetFieldAsStringList(i); s != nullptr && *s != nullptr; ++s)
          list.push_back(repair_utf8(*s));
      }
      append_copy_escaped(row, list.dump());
      return;
    }
  }
}

}  // namespace gp::io::geodata
