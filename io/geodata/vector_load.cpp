#include "io/geodata/vector_load.hpp"

#include <atomic>
#include <chrono>
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

#include "io/geodata/gdal_common.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/geodata/vector_rows.hpp"
#include "io/geodata/vector_schema.hpp"
#include "io/geodata/naming.hpp"
#include "io/geodata/partial_files.hpp"
#include "io/geodata/vector_source.hpp"
#include "io/logging.hpp"

namespace gp::io::geodata {

using json = nlohmann::json;

namespace {

/// The client's part of a database error; the whole of it goes to the log.
std::string client_db_error(const std::exception& e) {
  GP_LOG_WARN("vector job: database error: {}", e.what());
  return client_text(e);
}

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
  return partial_prefix(table + ".gpkg");
}

void remove_partial_gpkgs(const std::string& dir, const std::string& table) {
  remove_partials(dir, table + ".gpkg");
}

void discard_vector_files(const std::string& output_dir, const std::string& table,
                          bool drop_table) {
  if (output_dir.empty())
    return;
  remove_partial_gpkgs(output_dir, table);
  if (drop_table) {
    std::error_code ec;
    fs::remove(fs::path{output_dir} / (table + ".gpkg"), ec);
  }
}

void discard_vector_outputs(vector_store& store, const std::string& table,
                            const std::string& output_dir, bool drop_table) {
  try {
    store.drop_table(staging_table_name(table));
    if (drop_table)
      store.forget_table(table);
  } catch (const std::exception&) {
    // Best effort: the database may be down; a re-run recreates the staging table anyway.
  }
  discard_vector_files(output_dir, table, drop_table);
}

json load_vector(const vector_load_options& opts) {
  ensure_gdal();
  const auto& facts = opts.facts;
  auto target = type_from_name(facts.at("geometry_type").get<std::string>());

  // Columns, from inspect's description.
  std::vector<vector_column> columns;
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
  std::vector<field_kind> kinds;
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

  // The output folder first: a request's tables exist only once its folder does (a cancelled
  // request without a folder has nothing to remove, see discard_outputs).
  if (!opts.output_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opts.output_dir, ec);
  }
  // A retried load starts from an empty staging table, and from no temporary GeoPackage.
  try {
    opts.store->create_staging_table(opts.staging, columns, postgis_type_name(target));
  } catch (const std::exception& e) {
    throw vector_rejected("load_failed",
                          std::string{"the staging table could not be created: "} +
                            client_db_error(e),
                          false);
  }
  std::string gpkg_path, gpkg_name;
  if (!opts.output_dir.empty()) {
    remove_partial_gpkgs(opts.output_dir, opts.table);
    gpkg_path = partial_path(fs::path{opts.output_dir} / (opts.table + ".gpkg")).string();
    gpkg_name = fs::path{gpkg_path}.filename().string();
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
      opts.store->drop_table(opts.staging);
    } catch (const std::exception&) {
      // Best effort: a later attempt or discard_vector_outputs drops it.
    }
    if (!gpkg_path.empty()) {
      std::error_code ec;
      fs::remove(gpkg_path, ec);
    }
  };

  feature_counts warn;
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
          // One sink per writer, fed whole batches: one call per ~1 MiB, never one per row.
          auto sink = opts.store->open_sink(opts.staging, copy_columns);
          while (auto rows = copy_q.pop())
            sink->put(*rows);
          if (abandon)
            sink->abort();
          else
            sink->finish();
        } catch (const std::exception& e) {
          failure.set("load_failed", std::string{"loading into the database failed: "} +
                        client_db_error(e),
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
      append_integer(rows, static_cast<long long>(written));
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
