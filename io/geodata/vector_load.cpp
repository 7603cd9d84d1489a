#include "io/geodata/vector_load.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ogrsf_frmts.h>
#include <pqxx/pqxx>

#include "io/geodata/gdal_common.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/geodata/vector_schema.hpp"
#include "io/geodata/naming.hpp"
#include "io/geodata/vector_source.hpp"
#include "io/jobs/registry.hpp"
#include "persistence/vector_tables.hpp"

namespace gp::io::geodata {

using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

/// A queue between the reader and one kind of consumer; the reader waits while it is full, so
/// memory stays bounded whatever the layer's size.
template <class T>
class bounded_queue {
public:
  explicit bounded_queue(size_t capacity) : capacity_(capacity) {}

  /// False when the queue was closed (a consumer failed, or the load ends).
  bool push(T item) {
    std::unique_lock lock{m_};
    not_full_.wait(lock, [&] { return closed_ || q_.size() < capacity_; });
    if (closed_)
      return false;
    q_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  /// Nothing once the queue is closed and empty.
  std::optional<T> pop() {
    std::unique_lock lock{m_};
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty())
      return std::nullopt;
    T item = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return item;
  }

  void close() {
    std::lock_guard lock{m_};
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> q_;
  size_t capacity_;
  bool closed_ = false;
};

/// The first failure of any thread of the load.
class failure_slot {
public:
  void set(std::string code, std::string message, bool permanent) {
    std::lock_guard lock{m_};
    if (failed_)
      return;
    failed_ = true;
    code_ = std::move(code);
    message_ = std::move(message);
    permanent_ = permanent;
  }
  bool failed() {
    std::lock_guard lock{m_};
    return failed_;
  }
  [[noreturn]] void raise() {
    std::lock_guard lock{m_};
    throw vector_rejected(code_, message_, permanent_);
  }

private:
  std::mutex m_;
  bool failed_ = false;
  std::string code_, message_;
  bool permanent_ = false;
};

struct counts {
  uint64_t empty_geometries = 0;
  uint64_t repaired_geometries = 0;
  uint64_t unrepairable_geometries = 0;
  uint64_t other_geometry_types = 0;
  uint64_t untransformable_geometries = 0;
  uint64_t recoded_texts = 0;
  uint64_t invalid_values = 0;

  json to_json() const {
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
};

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

/// The geometry as hex EWKB with SRID 4326 (what PostGIS reads fastest from COPY text).
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

enum class kind { integer, integer64, real, boolean, text, json_text, date, time, datetime,
                  binary, integer_list, integer64_list, real_list, string_list };

kind kind_of(const OGRFieldDefn& fd) {
  switch (fd.GetType()) {
    case OFTInteger:
      return fd.GetSubType() == OFSTBoolean ? kind::boolean : kind::integer;
    case OFTInteger64:
      return kind::integer64;
    case OFTReal:
      return kind::real;
    case OFTString:
      return fd.GetSubType() == OFSTJSON ? kind::json_text : kind::text;
    case OFTDate:
      return kind::date;
    case OFTTime:
      return kind::time;
    case OFTDateTime:
      return kind::datetime;
    case OFTBinary:
      return kind::binary;
    case OFTIntegerList:
      return kind::integer_list;
    case OFTInteger64List:
      return kind::integer64_list;
    case OFTRealList:
      return kind::real_list;
    case OFTStringList:
      return kind::string_list;
    default:
      return kind::text;
  }
}

bool plausible_date(int y, int m, int d) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
    return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

bool plausible_time(int h, int mi, float s) { return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 61; }

/// Appends field `i` of `f` as COPY text. Text that is not UTF-8 is repaired, and values
/// PostgreSQL would refuse become NULL, in the feature too (the GeoPackage gets the same).
void append_field(std::string& row, OGRFeature& f, int i, kind k, counts& warn) {
  if (!f.IsFieldSetAndNotNull(i)) {
    row += "\\N";
    return;
  }
  char buf[64];
  switch (k) {
    case kind::integer:
      append_number(row, f.GetFieldAsInteger(i));
      return;
    case kind::integer64:
      append_number(row, static_cast<long long>(f.GetFieldAsInteger64(i)));
      return;
    case kind::real:
      append_double(row, f.GetFieldAsDouble(i));
      return;
    case kind::boolean:
      row += f.GetFieldAsInteger(i) != 0 ? 't' : 'f';
      return;
    case kind::text:
    case kind::json_text: {
      const char* s = f.GetFieldAsString(i);
      std::string_view v{s};
      std::string fixed;
      if (!valid_utf8(v)) {
        fixed = repair_utf8(v);
        f.SetField(i, fixed.c_str());
        v = fixed;
        ++warn.recoded_texts;
      }
      if (k == kind::json_text && !json::accept(v)) {
        f.SetFieldNull(i);
        ++warn.invalid_values;
        row += "\\N";
        return;
      }
      append_copy_escaped(row, v);
      return;
    }
    case kind::date:
    case kind::time:
    case kind::datetime: {
      int y = 0, m = 0, d = 0, h = 0, mi = 0, tz = 0;
      float s = 0;
      f.GetFieldAsDateTime(i, &y, &m, &d, &h, &mi, &s, &tz);
      bool ok = (k == kind::time || plausible_date(y, m, d)) &&
                (k == kind::date || plausible_time(h, mi, s));
      if (!ok) {
        f.SetFieldNull(i);
        ++warn.invalid_values;
        row += "\\N";
        return;
      }
      if (k == kind::date)
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
      else if (k == kind::time)
        std::snprintf(buf, sizeof buf, "%02d:%02d:%06.3f", h, mi, static_cast<double>(s));
      else
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%06.3f", y, m, d, h, mi,
                      static_cast<double>(s));
      row += buf;
      // OGR's time zone flag: 100 is UTC, each step 15 minutes; 0 and 1 (unknown, local time)
      // leave the value in the session's zone, UTC.
      if (k == kind::datetime && tz >= 2) {
        int minutes = (tz - 100) * 15;
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+',
                      std::abs(minutes) / 60, std::abs(minutes) % 60);
        row += buf;
      }
      return;
    }
    case kind::binary: {
      int n = 0;
      const GByte* p = f.GetFieldAsBinary(i, &n);
      row += "\\\\x";
      append_hex(row, p, static_cast<size_t>(n));
      return;
    }
    case kind::integer_list:
    case kind::integer64_list:
    case kind::real_list:
    case kind::string_list: {
      json list = json::array();
      int n = 0;
      if (k == kind::integer_list) {
        const int* v = f.GetFieldAsIntegerList(i, &n);
        for (int j = 0; j < n; ++j)
          list.push_back(v[j]);
      } else if (k == kind::integer64_list) {
        const GIntBig* v = f.GetFieldAsInteger64List(i, &n);
        for (int j = 0; j < n; ++j)
          list.push_back(static_cast<long long>(v[j]));
      } else if (k == kind::real_list) {
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

int family_of(OGRwkbGeometryType t) {
  switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
      return 1;
    case wkbLineString:
    case wkbMultiLineString:
      return 2;
    case wkbPolygon:
    case wkbMultiPolygon:
      return 3;
    default:
      return 0;
  }
}

OGRwkbGeometryType type_from_name(const std::string& name) {
  static const std::pair<const char*, OGRwkbGeometryType> names[] = {
    {"Point", wkbPoint},
    {"LineString", wkbLineString},
    {"Polygon", wkbPolygon},
    {"MultiPoint", wkbMultiPoint},
    {"MultiLineString", wkbMultiLineString},
    {"MultiPolygon", wkbMultiPolygon},
    {"GeometryCollection", wkbGeometryCollection}};
  for (const auto& [n, t] : names)
    if (name == n)
      return t;
  return wkbUnknown;
}

/// The polygonal part of a repaired geometry (MakeValid may add the lines or points a polygon
/// collapsed to); null when nothing polygonal is left.
OGRGeometry* polygonal_part(OGRGeometry* g) {
  auto t = wkbFlatten(g->getGeometryType());
  if (t == wkbPolygon || t == wkbMultiPolygon)
    return g;
  std::unique_ptr<OGRGeometry> owner{g};
  if (t != wkbGeometryCollection)
    return nullptr;
  auto multi = std::make_unique<OGRMultiPolygon>();
  for (const auto* part : *g->toGeometryCollection()) {
    auto pt = wkbFlatten(part->getGeometryType());
    if (pt == wkbPolygon)
      multi->addGeometry(part);
    else if (pt == wkbMultiPolygon)
      for (const auto* p : *part->toMultiPolygon())
        multi->addGeometry(p);
  }
  if (multi->IsEmpty())
    return nullptr;
  return multi.release();
}

/// Writes the GeoPackage from the features the reader hands over (their geometries already
/// repaired, reprojected and typed), in one transaction, without a rollback journal: the file
/// is temporary until it is complete.
void write_gpkg(const std::string& path, const std::string& layer_name,
                OGRwkbGeometryType type,
                const std::vector<std::unique_ptr<OGRFieldDefn>>& fields,
                uint64_t index_max_features, bounded_queue<std::vector<OGRFeatureUniquePtr>>& q,
                failure_slot& failure) {
  CPLSetThreadLocalConfigOption("OGR_SQLITE_JOURNAL", "OFF");
  CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
  quiet_gdal quiet;
  auto fail = [&](const std::string& what) {
    failure.set("load_failed", "the GeoPackage could not be written (" + what + ")", false);
    q.close();
  };
  auto* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  GDALDatasetUniquePtr ds{driver == nullptr ? nullptr
                                            : driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown,
                                                             nullptr)};
  if (!ds)
    return fail("cannot create the file");
  OGRSpatialReference wgs84;
  wgs84.importFromEPSG(4326);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  CPLStringList lco;
  lco.SetNameValue("FID", "fid");
  lco.SetNameValue("GEOMETRY_NAME", "geom");
  // The spatial index is built at the end, and only for layers small enough (see below).
  lco.SetNameValue("SPATIAL_INDEX", "NO");
  auto* layer = ds->CreateLayer(layer_name.c_str(), &wgs84, type, lco.List());
  if (layer == nullptr)
    return fail("cannot create the layer");
  for (const auto& fd : fields)
    if (layer->CreateField(fd.get(), TRUE) != OGRERR_NONE)
      return fail(std::string{"cannot create the column "} + fd->GetNameRef());
  std::vector<int> map(fields.size());
  for (size_t i = 0; i < map.size(); ++i)
    map[i] = static_cast<int>(i);
  ds->StartTransaction();
  OGRFeature out{layer->GetLayerDefn()};
  uint64_t n = 0;
  while (auto batch = q.pop()) {
    n += batch->size();
    for (auto& f : *batch) {
      out.SetFieldsFrom(f.get(), map.data(), TRUE);
      out.SetGeometryDirectly(f->StealGeometry());
      out.SetFID(f->GetFID());
      if (layer->CreateFeature(&out) != OGRERR_NONE)
        return fail("feature " + std::to_string(f->GetFID()));
    }
  }
  if (ds->CommitTransaction() != OGRERR_NONE)
    return fail("the transaction did not commit");
  // Built in one pass at the end, only for layers small enough (vector_load_options): SQLite's
  // R-tree is slow to fill, with random or spatially sorted input alike.
  if (n <= index_max_features) {
    auto sql = "SELECT CreateSpatialIndex('" + layer_name + "', 'geom')";
    CPLErrorReset();
    ds->ReleaseResultSet(ds->ExecuteSQL(sql.c_str(), nullptr, nullptr));
    if (CPLGetLastErrorType() == CE_Failure)
      return fail("the spatial index could not be built");
  }
  CPLErrorReset();
  ds.reset();  // builds the spatial index and closes the file
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    fail("closing the file failed");
}

}  // namespace

std::string partial_gpkg_prefix(const std::string& table) {
  return "." + table + ".gpkg.partial-";
}

void remove_partial_gpkgs(const std::string& dir, const std::string& table) {
  std::error_code ec;
  auto prefix = partial_gpkg_prefix(table);
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      fs::remove(e.path(), ec);
}

void discard_vector_outputs(const jobs::task_environment& env, const std::string& table,
                            const std::string& output_dir, bool drop_table) {
  try {
    pqxx::connection c{env.database_url};
    persistence::drop_geo_table(c, staging_table_name(table));
    if (drop_table)
      persistence::forget_vector_table(c, table);
  } catch (const std::exception&) {
    // Best effort: the database may be down; a re-run recreates the staging table anyway.
  }
  if (output_dir.empty())
    return;
  remove_partial_gpkgs(output_dir, table);
  if (drop_table) {
    std::error_code ec;
    fs::remove(fs::path{output_dir} / (table + ".gpkg"), ec);
  }
}

json load_vector(const vector_load_options& opts) {
  ensure_gdal();
  const auto& facts = opts.facts;
  auto target = type_from_name(facts.at("geometry_type").get<std::string>());

  // Columns, from inspect's description.
  std::vector<persistence::vector_column> columns;
  std::vector<std::string> copy_columns{"fid"};
  json described = json::array();
  for (const auto& f : facts.at("fields")) {
    columns.push_back({f.at("name").get<std::string>(), f.at("type").get<std::string>()});
    copy_columns.push_back(columns.back().name);
    described.push_back({{"name", f["name"]}, {"type", f["type"]}, {"source_name", f["source_name"]}});
  }
  copy_columns.push_back("geom");

  auto source = open_inspected_layer(opts.source, facts);
  auto& layer = *source.layer;
  auto* defn = layer.GetLayerDefn();
  std::vector<kind> kinds;
  std::vector<std::unique_ptr<OGRFieldDefn>> gpkg_fields;
  for (int i = 0; i < defn->GetFieldCount(); ++i) {
    kinds.push_back(kind_of(*defn->GetFieldDefn(i)));
    gpkg_fields.push_back(std::make_unique<OGRFieldDefn>(defn->GetFieldDefn(i)));
    gpkg_fields.back()->SetName(columns[static_cast<size_t>(i)].name.c_str());
  }

  // Reprojection to EPSG:4326 in longitude, latitude order; none when the source already is.
  auto src_srs = inspected_crs(facts);
  OGRSpatialReference wgs84;
  wgs84.importFromEPSG(4326);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_wgs84;
  if (!src_srs.IsSame(&wgs84)) {
    to_wgs84.reset(OGRCreateCoordinateTransformation(&src_srs, &wgs84));
    if (!to_wgs84)
      throw vector_rejected("crs_required",
                            "the source's CRS cannot be transformed to EPSG:4326");
  }

  // A retried load starts from an empty staging table, and from no temporary GeoPackage.
  try {
    pqxx::connection c{opts.database_url};
    persistence::create_staging_table(c, opts.staging, columns, postgis_type_name(target));
  } catch (const std::exception& e) {
    throw vector_rejected("load_failed",
                          std::string{"the staging table could not be created: "} + e.what(),
                          false);
  }
  std::string gpkg_path, gpkg_name;
  if (!opts.output_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opts.output_dir, ec);
    remove_partial_gpkgs(opts.output_dir, opts.table);
    static std::atomic<uint64_t> serial{0};
    gpkg_name = partial_gpkg_prefix(opts.table) + std::to_string(::getpid()) + "-" +
                std::to_string(++serial);
    gpkg_path = (fs::path{opts.output_dir} / gpkg_name).string();
  }

  failure_slot failure;
  int writers = std::max(1, opts.copy_writers);
  bounded_queue<std::string> copy_q{static_cast<size_t>(2 * writers)};
  bounded_queue<std::vector<OGRFeatureUniquePtr>> gpkg_q{16};
  std::atomic<bool> abandon{false};
  std::vector<std::thread> threads;
  auto cleanup = [&] {
    abandon = true;
    copy_q.close();
    gpkg_q.close();
    for (auto& t : threads)
      if (t.joinable())
        t.join();
    try {
      pqxx::connection c{opts.database_url};
      persistence::drop_geo_table(c, opts.staging);
    } catch (const std::exception&) {
      // Best effort: a later attempt or discard_vector_outputs drops it.
    }
    if (!gpkg_path.empty()) {
      std::error_code ec;
      fs::remove(gpkg_path, ec);
    }
  };

  counts warn;
  uint64_t written = 0;
  OGREnvelope bbox;
  // Where the time goes (in the result): the reader's loop, then waiting for the consumers.
  auto started = std::chrono::steady_clock::now();
  double read_s = 0, drain_s = 0;
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() *
                      100) / 100;
  };
  try {
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&] {
        try {
          persistence::copy_stream stream{opts.database_url, opts.staging, copy_columns};
          while (auto rows = copy_q.pop())
            stream.put(*rows);
          if (abandon)
            stream.abort();
          else
            stream.finish();
        } catch (const std::exception& e) {
          failure.set("load_failed", std::string{"loading into the database failed: "} + e.what(),
                      false);
          copy_q.close();
        }
      });
    if (!gpkg_path.empty())
      threads.emplace_back([&] {
        write_gpkg(gpkg_path, opts.table, target, gpkg_fields, opts.gpkg_index_max_features,
                   gpkg_q, failure);
      });

    constexpr size_t batch_bytes = 1 << 20;
    constexpr size_t gpkg_batch = 1000;
    std::string rows;
    rows.reserve(batch_bytes + (64 << 10));
    std::vector<OGRFeatureUniquePtr> features;
    std::vector<unsigned char> wkb;
    uint64_t read = 0;
    quiet_gdal quiet;
    layer.ResetReading();
    for (;;) {
      // A read error ends GDAL's loop like the end of the layer does: told apart by the error
      // state, which only this loop's own call may have set.
      CPLErrorReset();
      OGRFeatureUniquePtr f{layer.GetNextFeature()};
      if (!f) {
        if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
          throw vector_rejected("source_unreadable",
                                "the source cannot be read after " + std::to_string(read) +
                                  " features: " + client_gdal_error(opts.source).substr(0, 300));
        break;
      }
      if ((++read & 1023) == 0) {
        if (!opts.keep_going())
          throw vector_rejected("stopped", "the load was stopped", false);
        if (failure.failed())
          break;
      }
      std::unique_ptr<OGRGeometry> g{f->StealGeometry()};
      if (!g || g->IsEmpty()) {
        ++warn.empty_geometries;
        continue;
      }
      g->flattenTo2D();
      if (to_wgs84 && g->transform(to_wgs84.get()) != OGRERR_NONE) {
        ++warn.untransformable_geometries;
        continue;
      }
      auto type = wkbFlatten(g->getGeometryType());
      if (family_of(type) == 3 && !g->IsValid()) {
        OGRGeometry* fixed = g->MakeValid();
        fixed = fixed == nullptr ? nullptr : polygonal_part(fixed);
        if (fixed == nullptr || fixed->IsEmpty()) {
          delete fixed;
          ++warn.unrepairable_geometries;
          continue;
        }
        g.reset(fixed);
        type = wkbFlatten(g->getGeometryType());
        ++warn.repaired_geometries;
      }
      if (target != wkbUnknown && type != target) {
        // A single part where the table holds multi parts (or a one-part multi where it holds
        // single ones) is converted; anything else does not fit the table.
        bool convertible = family_of(type) != 0 && family_of(type) == family_of(target);
        if (convertible)
          g.reset(OGRGeometryFactory::forceTo(g.release(), target));
        if (!g || wkbFlatten(g->getGeometryType()) != target) {
          ++warn.other_geometry_types;
          continue;
        }
      }
      if (++written > opts.max_features)
        throw vector_rejected("too_many_features",
                              "the layer has more than " + std::to_string(opts.max_features) +
                                " features (the limit of this service)");
      OGREnvelope e;
      g->getEnvelope(&e);
      bbox.Merge(e);
      append_number(rows, static_cast<long long>(written));
      for (int i = 0; i < static_cast<int>(kinds.size()); ++i) {
        rows += '\t';
        append_field(rows, *f, i, kinds[static_cast<size_t>(i)], warn);
      }
      rows += '\t';
      append_ewkb_hex(rows, *g, wkb);
      rows += '\n';
      if (rows.size() >= batch_bytes) {
        std::string full;
        full.reserve(batch_bytes + (64 << 10));
        full.swap(rows);
        if (!copy_q.push(std::move(full)))
          break;
      }
      if (!gpkg_path.empty()) {
        f->SetGeometryDirectly(g.release());
        f->SetFID(static_cast<GIntBig>(written));
        features.push_back(std::move(f));
        if (features.size() >= gpkg_batch) {
          if (!gpkg_q.push(std::move(features)))
            break;
          features.clear();
          features.reserve(gpkg_batch);
        }
      }
    }
    read_s = seconds_since(started);
    auto draining = std::chrono::steady_clock::now();
    if (!rows.empty())
      copy_q.push(std::move(rows));
    if (!features.empty())
      gpkg_q.push(std::move(features));
    copy_q.close();
    gpkg_q.close();
    for (auto& t : threads)
      t.join();
    threads.clear();
    drain_s = seconds_since(draining);
    if (failure.failed())
      failure.raise();
    if (!opts.keep_going())
      throw vector_rejected("stopped", "the load was stopped", false);
    if (written == 0)
      throw vector_rejected("no_features", "the layer has no features with a geometry");
  } catch (...) {
    // Features handed to the GeoPackage thread refer to the source layer: it ends first.
    cleanup();
    throw;
  }
  json box = nullptr;
  if (bbox.IsInit())
    box = {bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY};
  return {{"staging", opts.staging},
          {"feature_count", written},
          {"geometry_type", postgis_type_name(target)},
          {"bbox", box},
          {"columns", described},
          {"warnings", warn.to_json()},
          {"gpkg_partial", gpkg_name.empty() ? json() : json(gpkg_name)},
          {"seconds", {{"read", read_s}, {"drain", drain_s}}}};
}

}  // namespace gp::io::geodata
