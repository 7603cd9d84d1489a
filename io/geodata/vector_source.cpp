#include "io/geodata/vector_source.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <ogrsf_frmts.h>

#include "io/geodata/gdal_common.hpp"
#include "io/geodata/naming.hpp"
#include "io/geodata/raster_facts.hpp"
#include "io/geodata/vector_schema.hpp"

namespace gp::io::geodata {

using json = nlohmann::json;

namespace {

/// The only drivers a client's vector file is opened with: none of them follows references to
/// other files or to the network (no VRT, no OGR_VRT, no WFS; KML is read by the plain KML
/// driver, the smaller of the two, not LIBKML).
const char* const vector_drivers[] = {"GeoJSON", "GPKG", "ESRI Shapefile", "CSV", "KML",
                                      nullptr};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string extension(const std::string& name) {
  auto slash = name.find_last_of('/');
  auto dot = name.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return {};
  return lower(name.substr(dot + 1));
}

std::string joined(const std::vector<std::string>& names, size_t max = 20) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max; ++i)
    out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > max)
    out += ", …";
  return out;
}

/// ": <GDAL's message>" with storage paths replaced by file names, or nothing.
std::string gdal_reason(const std::string& path) {
  auto msg = client_gdal_error(path);
  return msg.empty() ? msg : ": " + msg.substr(0, 300);
}

/// Whether the file's first 4 KiB name a KML document.
bool looks_like_kml(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return head.find("<kml") != std::string::npos;
}

bool starts_with_zip_magic(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' &&
         ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
}

/// What is inside a ZIP, from its directory only.
struct archive_listing {
  std::vector<std::string> files;
  uint64_t expanded = 0;
};

archive_listing list_archive(const std::string& path) {
  archive_listing out;
  auto root = "/vsizip/" + path;
  char** entries = VSIReadDirRecursive(root.c_str());
  if (entries == nullptr)
    throw vector_rejected("archive_unreadable",
                          "the ZIP archive cannot be read (is it a complete ZIP file?)" +
                            gdal_reason(path));
  for (char** e = entries; *e != nullptr; ++e) {
    VSIStatBufL st;
    auto entry = root + "/" + *e;
    if (VSIStatL(entry.c_str(), &st) != 0) {
      CSLDestroy(entries);
      throw vector_rejected("archive_unreadable",
                            std::string{"the ZIP archive's entry '"} + *e + "' cannot be read");
    }
    if (VSI_ISREG(st.st_mode)) {
      out.files.push_back(*e);
      out.expanded += static_cast<uint64_t>(st.st_size);
    }
  }
  CSLDestroy(entries);
  return out;
}

/// The GDAL path of the vector data inside a ZIP: the folder of its Shapefile(s), or its one
/// GeoPackage, GeoJSON, CSV or KML file.
std::string archive_member(const archive_listing& zip) {
  for (const auto& f : zip.files)
    if (extension(f) == "shp") {
      auto slash = f.find_last_of('/');
      return slash == std::string::npos ? std::string{} : f.substr(0, slash);
    }
  std::vector<std::string> others;
  for (const auto& f : zip.files) {
    auto ext = extension(f);
    if (ext == "gpkg" || ext == "geojson" || ext == "json" || ext == "csv" || ext == "kml")
      others.push_back(f);
  }
  if (others.size() == 1)
    return others.front();
  if (others.empty())
    throw vector_rejected("source_unreadable",
                          "the ZIP archive holds no Shapefile (.shp), GeoPackage, GeoJSON, CSV "
                          "or KML file");
  throw vector_rejected("source_unreadable",
                        "the ZIP archive holds several vector files (" + joined(others) +
                          "); upload one per request");
}

GDALDatasetUniquePtr open_vector(const std::string& gdal_path, const CPLStringList& options) {
  return GDALDatasetUniquePtr{GDALDataset::FromHandle(
    GDALOpenEx(gdal_path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, vector_drivers,
               options.List(), nullptr))};
}

std::string gdal_path_of(const std::string& source, const json& member) {
  if (member.is_null())
    return source;
  auto m = member.get<std::string>();
  return "/vsizip/" + source + (m.empty() ? "" : "/" + m);
}

/// The CSV open options for the geometry columns `csv` names.
CPLStringList csv_options(const json& csv) {
  CPLStringList o;
  o.SetNameValue("AUTODETECT_TYPE", "YES");
  o.SetNameValue("EMPTY_STRING_AS_NULL", "YES");
  if (csv.contains("wkt")) {
    o.SetNameValue("GEOM_POSSIBLE_NAMES", csv["wkt"].get<std::string>().c_str());
    o.SetNameValue("KEEP_GEOM_COLUMNS", "NO");
  } else {
    o.SetNameValue("X_POSSIBLE_NAMES", csv["lon"].get<std::string>().c_str());
    o.SetNameValue("Y_POSSIBLE_NAMES", csv["lat"].get<std::string>().c_str());
    o.SetNameValue("KEEP_GEOM_COLUMNS", "YES");
  }
  return o;
}

OGRLayer* choose_layer(GDALDataset& ds, const std::string& wanted, std::vector<std::string>& names) {
  for (auto* l : ds.GetLayers())
    names.push_back(l->GetName());
  if (!wanted.empty()) {
    if (auto* l = ds.GetLayerByName(wanted.c_str()))
      return l;
    throw vector_rejected("layer_not_found", "processing_config.layer_name '" + wanted +
                                               "' is not a layer of the source; its layers: " +
                                               joined(names));
  }
  if (names.empty())
    throw vector_rejected("source_unreadable", "the source has no layers");
  if (names.size() > 1)
    throw vector_rejected("layer_required",
                          "the source has " + std::to_string(names.size()) + " layers (" +
                            joined(names) + "): choose one with processing_config.layer_name");
  return ds.GetLayer(0);
}

enum family { point = 1, line = 2, polygon = 4, other = 8 };

int family_of(OGRwkbGeometryType t) {
  switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
      return point;
    case wkbLineString:
    case wkbMultiLineString:
      return line;
    case wkbPolygon:
    case wkbMultiPolygon:
      return polygon;
    default:
      return other;
  }
}

bool is_multi(OGRwkbGeometryType t) {
  auto f = wkbFlatten(t);
  return f == wkbMultiPoint || f == wkbMultiLineString || f == wkbMultiPolygon;
}

OGRwkbGeometryType multi_of(int fam) {
  return fam == point ? wkbMultiPoint : fam == line ? wkbMultiLineString : wkbMultiPolygon;
}

OGRwkbGeometryType single_of(int fam) {
  return fam == point ? wkbPoint : fam == line ? wkbLineString : wkbPolygon;
}

/// The geometry type the table will hold. Reads every geometry (not the attributes) when the
/// declared type cannot be trusted: unknown or mixed types, a Shapefile's polygons or lines (its
/// format does not tell single from multi parts), and polygons, whose repair may split them.
OGRwkbGeometryType target_type(OGRLayer& layer, const std::string& driver, uint64_t max_features,
                               const std::function<void()>& check_stop, json& count) {
  auto declared = wkbFlatten(layer.GetGeomType());
  bool shapefile = driver == "ESRI Shapefile";
  bool scan = declared == wkbUnknown || declared == wkbGeometryCollection ||
              declared == wkbPolygon || (shapefile && declared == wkbLineString);
  if (!scan)
    return declared;
  // Attributes are skipped while the geometries are looked at.
  std::vector<std::string> names;
  auto* defn = layer.GetLayerDefn();
  for (int i = 0; i < defn->GetFieldCount(); ++i)
    names.emplace_back(defn->GetFieldDefn(i)->GetNameRef());
  CPLStringList ignored;
  for (const auto& n : names)
    ignored.AddString(n.c_str());
  layer.SetIgnoredFields(const_cast<const char**>(ignored.List()));
  layer.ResetReading();
  int families = 0;
  bool multi = false, invalid_single_polygon = false;
  uint64_t n = 0;
  for (OGRFeatureUniquePtr f{layer.GetNextFeature()}; f; f.reset(layer.GetNextFeature())) {
    if ((++n & 1023) == 0)
      check_stop();
    if (n > max_features)
      throw vector_rejected("too_many_features",
                            "the layer has more than " + std::to_string(max_features) +
                              " features (the limit of this service)");
    const auto* g = f->GetGeometryRef();
    if (g == nullptr || g->IsEmpty())
      continue;
    auto t = g->getGeometryType();
    families |= family_of(t);
    multi = multi || is_multi(t);
    if (!multi && !invalid_single_polygon && wkbFlatten(t) == wkbPolygon && !g->IsValid())
      invalid_single_polygon = true;
  }
  layer.SetIgnoredFields(nullptr);
  layer.ResetReading();
  count = n;
  if (families == 0)
    return declared;
  if (families != point && families != line && families != polygon)
    return wkbUnknown;  // several kinds, or collections: a generic geometry column
  if (multi || invalid_single_polygon || (shapefile && families != point && is_multi(declared)))
    return multi_of(families);
  return is_multi(declared) ? multi_of(families) : single_of(families);
}

std::string crs_text(OGRSpatialReference& srs) {
  std::unique_ptr<OGRSpatialReference, void (*)(OGRSpatialReference*)> best{
    srs.FindBestMatch(90), [](OGRSpatialReference* p) {
      if (p != nullptr)
        p->Release();
    }};
  const OGRSpatialReference& use = best ? *best : srs;
  const char* authority = use.GetAuthorityName(nullptr);
  const char* code = use.GetAuthorityCode(nullptr);
  if (authority != nullptr && code != nullptr && std::string{authority} == "EPSG")
    return std::string{"EPSG:"} + code;
  char* wkt = nullptr;
  const char* options[] = {"FORMAT=WKT2_2019", nullptr};
  srs.exportToWkt(&wkt, options);
  std::string out = wkt != nullptr ? wkt : "";
  CPLFree(wkt);
  return out;
}

}  // namespace

json inspect_vector(const std::string& source, const json& config,
                    const source_limits& limits, const std::function<void()>& check_stop) {
  ensure_gdal();
  quiet_gdal quiet;
  CPLErrorReset();
  json facts;
  facts["member"] = nullptr;
  bool is_virtual = source.rfind("/vsi", 0) == 0;
  uint64_t kml_bytes = 0;
  if (!is_virtual) {
    VSIStatBufL st;
    if (VSIStatL(source.c_str(), &st) != 0)
      throw vector_rejected("source_not_found", "the source file no longer exists");
    if (static_cast<uint64_t>(st.st_size) > limits.max_source_bytes)
      throw vector_rejected("source_too_large",
                            "the source has " + std::to_string(st.st_size) +
                              " bytes; the limit is " + std::to_string(limits.max_source_bytes));
    if (extension(source) == "zip" || starts_with_zip_magic(source)) {
      auto zip = list_archive(source);
      auto compressed = std::max<uint64_t>(1, static_cast<uint64_t>(st.st_size));
      if (zip.expanded > limits.max_expanded_bytes ||
          zip.expanded / compressed > limits.max_expansion_ratio)
        throw vector_rejected(
          "archive_too_large",
          "the ZIP archive expands to " + std::to_string(zip.expanded) + " bytes (" +
            std::to_string(zip.expanded / compressed) + " times its size); the limits are " +
            std::to_string(limits.max_expanded_bytes) + " bytes and " +
            std::to_string(limits.max_expansion_ratio) + " times");
      facts["member"] = archive_member(zip);
      facts["expanded_bytes"] = zip.expanded;
      if (facts["member"].is_string() && extension(facts["member"].get<std::string>()) == "kml")
        kml_bytes = zip.expanded;
    } else if (extension(source) == "kml" || looks_like_kml(source)) {
      kml_bytes = static_cast<uint64_t>(st.st_size);
    }
    // GDAL's KML driver reads the whole document into memory: a large one could exhaust the
    // node, so it is refused before it is opened.
    if (kml_bytes > limits.max_kml_bytes)
      throw vector_rejected("source_too_large",
                            "the KML document has " + std::to_string(kml_bytes) +
                              " bytes; KML sources are read whole, so this service accepts " +
                              std::to_string(limits.max_kml_bytes) +
                              " at most (limits.max_kml_mib); GeoPackage, GeoJSON or a zipped "
                              "Shapefile have no such limit");
  }
  check_stop();
  auto path = gdal_path_of(source, facts["member"]);
  auto ds = open_vector(path, {});
  if (!ds)
    throw vector_rejected("source_unreadable",
                          std::string{"the source is not a vector file this service can read ("} +
                            client_vector_formats + ")" + gdal_reason(source));
  std::string driver = ds->GetDriverName();
  std::vector<std::string> names;
  auto* layer = choose_layer(*ds, config.value("layer_name", ""), names);
  facts["driver"] = driver;
  facts["layers"] = names;
  facts["layer"] = layer->GetName();
  facts["csv"] = nullptr;
  if (driver == "CSV") {
    std::vector<std::string> header;
    auto* defn = layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i)
      header.emplace_back(defn->GetFieldDefn(i)->GetNameRef());
    auto found = detect_csv_geometry(header, config.value("lon_column", ""),
                                     config.value("lat_column", ""),
                                     config.value("wkt_column", ""));
    if (!found.missing_key.empty())
      throw vector_rejected("column_not_found",
                            "processing_config." + found.missing_key + " '" +
                              config.value(found.missing_key, "") +
                              "' is not a column of the CSV; its columns: " + joined(header));
    if (found.found == csv_geometry::kind::none)
      throw vector_rejected("no_geometry",
                            "the CSV has no geometry columns (lon/lat or WKT); name them with "
                            "processing_config.lon_column and lat_column, or wkt_column; its "
                            "columns: " + joined(header));
    facts["csv"] = found.found == csv_geometry::kind::wkt ? json{{"wkt", found.wkt}}
                                                          : json{{"lon", found.lon}, {"lat", found.lat}};
    layer = nullptr;
    ds = open_vector(path, csv_options(facts["csv"]));
    if (!ds || ds->GetLayerCount() != 1)
      throw vector_rejected("source_unreadable", "the CSV cannot be read" + gdal_reason(source));
    layer = ds->GetLayer(0);
  }
  auto* defn = layer->GetLayerDefn();
  if (defn->GetGeomFieldCount() == 0)
    throw vector_rejected("no_geometry", "the layer '" + std::string{layer->GetName()} +
                                           "' has no geometry column");
  json count = nullptr;
  if (auto n = layer->GetFeatureCount(FALSE); n >= 0) {
    if (static_cast<uint64_t>(n) > limits.max_features)
      throw vector_rejected("too_many_features",
                            "the layer has " + std::to_string(n) + " features; the limit is " +
                              std::to_string(limits.max_features));
    count = n;
  }
  // The CRS: the file's own; a client's source_crs only where the file has none (and checked
  // whenever given, so that a typo is reported; never read from a file or a URL); CSV has no
  // way to carry one: EPSG:4326.
  OGRSpatialReference given;
  auto source_crs = config.value("source_crs", "");
  if (!source_crs.empty() && given.SetFromUserInput(source_crs.c_str(),
                                OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS_get()) !=
                           OGRERR_NONE)
    throw vector_rejected("invalid_source_crs",
                          "processing_config.source_crs is not a CRS GDAL knows");
  OGRSpatialReference srs;
  const auto* own = layer->GetSpatialRef();
  if (own != nullptr && !own->IsEmpty() && !own->IsLocal()) {
    srs = *own;
    facts["crs_from"] = "file";
  } else if (!source_crs.empty()) {
    srs = given;
    facts["crs_from"] = "source_crs";
  } else if (driver == "CSV") {
    srs.importFromEPSG(4326);
    facts["crs_from"] = "default";
  } else {
    throw vector_rejected("crs_required",
                          "the layer has no CRS; give one as processing_config.source_crs "
                          "(EPSG:<code> or WKT, e.g. EPSG:2263)");
  }
  facts["source_crs"] = crs_text(srs);
  check_stop();
  facts["declared_geometry_type"] = postgis_type_name(layer->GetGeomType());
  auto target = target_type(*layer, driver, limits.max_features, check_stop, count);
  facts["geometry_type"] = postgis_type_name(target);
  facts["feature_count"] = count;
  std::vector<std::string> sources;
  for (int i = 0; i < defn->GetFieldCount(); ++i)
    sources.emplace_back(defn->GetFieldDefn(i)->GetNameRef());
  auto columns = unique_column_names(sources);
  json fields = json::array();
  for (int i = 0; i < defn->GetFieldCount(); ++i) {
    const auto* fd = defn->GetFieldDefn(i);
    fields.push_back({{"source_name", repair_utf8(sources[static_cast<size_t>(i)])},
                      {"name", columns[static_cast<size_t>(i)]},
                      {"type", pg_type_for(fd->GetType(), fd->GetSubType())},
                      {"ogr_type", OGRFieldDefn::GetFieldTypeName(fd->GetType())}});
  }
  facts["fields"] = fields;
  return facts;
}

opened_layer open_inspected_layer(const std::string& source, const json& facts) {
  ensure_gdal();
  quiet_gdal quiet;
  CPLErrorReset();
  auto path = gdal_path_of(source, facts.at("member"));
  opened_layer out;
  out.dataset = open_vector(path, facts.at("csv").is_null() ? CPLStringList{}
                                                             : csv_options(facts["csv"]));
  if (out.dataset)
    out.layer = facts.at("csv").is_null()
                  ? out.dataset->GetLayerByName(facts.at("layer").get<std::string>().c_str())
                  : out.dataset->GetLayer(0);
  if (out.layer == nullptr)
    throw vector_rejected("source_unreadable",
                          "the source can no longer be read" + gdal_reason(source));
  if (out.layer->GetLayerDefn()->GetFieldCount() !=
      static_cast<int>(facts.at("fields").size()))
    throw vector_rejected("source_changed", "the source changed since it was inspected");
  return out;
}

OGRSpatialReference inspected_crs(const json& facts) {
  OGRSpatialReference srs;
  srs.SetFromUserInput(facts.at("source_crs").get<std::string>().c_str(),
                       OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS_get());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

}  // namespace gp::io::geodata
