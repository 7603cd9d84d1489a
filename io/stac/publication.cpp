#include "io/stac/publication.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "io/http/router.hpp"
#include "io/stac/items.hpp"

namespace gp::io::stac {

using json = nlohmann::json;

namespace {

constexpr const char* cog_type = "image/tiff; application=geotiff; profile=cloud-optimized";

lon_lat_bounds bounds_of(const json& b) {
  if (!b.is_array() || b.size() != 4)
    throw std::invalid_argument{"bounds must be [west, south, east, north]"};
  return {b.at(0).get<double>(), b.at(1).get<double>(), b.at(2).get<double>(),
          b.at(3).get<double>()};
}

std::string collection_path(const std::string& collection) {
  return "/platform/stac/collections/" + http::encode_segment(collection);
}

std::string item_path(const std::string& collection, const std::string& id) {
  return collection_path(collection) + "/items/" + http::encode_segment(id);
}

/// The identity part of an item of `p`.
item_facts identity_of(const publication& p, const std::string& collection) {
  item_facts f;
  f.collection = collection;
  f.dataset_id = p.spec.dataset_id;
  f.resource_id = p.spec.resource_id;
  f.version_id = p.spec.version_id;
  f.request_id = p.request_id;
  f.datetime = p.processed_at;
  f.created = p.processed_at;
  f.updated = p.processed_at;
  return f;
}

raster_facts raster_of(const json& r) {
  raster_facts out;
  if (r.contains("epsg") && r["epsg"].is_number_integer())
    out.epsg = r["epsg"].get<int>();
  out.wkt2 = r.value("wkt2", "");
  out.height = r.at("shape").at(0).get<int>();
  out.width = r.at("shape").at(1).get<int>();
  // The facts carry proj:transform [a, b, c, d, e, f]; the builder wants GDAL's geotransform.
  const auto& t = r.at("transform");
  out.geotransform = {t.at(2).get<double>(), t.at(0).get<double>(), t.at(1).get<double>(),
                      t.at(5).get<double>(), t.at(3).get<double>(), t.at(4).get<double>()};
  for (const auto& b : r.at("bands")) {
    band_facts band;
    band.data_type = b.value("data_type", "");
    if (b.contains("nodata") && b["nodata"].is_number())
      band.nodata = b["nodata"].get<double>();
    if (b.contains("statistics")) {
      const auto& s = b["statistics"];
      band.minimum = s.at("minimum").get<double>();
      band.maximum = s.at("maximum").get<double>();
      band.mean = s.at("mean").get<double>();
      band.stddev = s.at("stddev").get<double>();
    }
    band.spatial_resolution = b.value("spatial_resolution", 0.0);
    out.bands.push_back(std::move(band));
  }
  return out;
}

catalogue_item row_of(const item_facts& f, const json& doc, const std::string& client_id,
                      const std::string& key) {
  catalogue_item i;
  i.collection_id = f.collection;
  i.item_id = f.id;
  i.item_key = key;
  i.client_id = client_id;
  i.dataset_id = f.dataset_id;
  i.resource_id = f.resource_id;
  i.version_id = f.version_id;
  i.request_id = f.request_id;
  i.geometry_geojson = doc.at("geometry").dump();
  if (f.vector) {
    i.feature_count = f.vector->feature_count;
    i.epsg = 4326;  // the served GeoPackage and features
  }
  if (f.raster)
    i.epsg = f.raster->epsg;
  i.bbox = {f.bounds.west, f.bounds.south, f.bounds.east, f.bounds.north};
  if (f.start_datetime.empty() || f.end_datetime.empty())
    i.datetime = f.datetime;
  else {
    i.start_datetime = f.start_datetime;
    i.end_datetime = f.end_datetime;
  }
  i.item_json = doc.dump();
  return i;
}

/// What a vector or raster request publishes: its one item `f` in the client's collection of
/// `kind` ("vector layers", "rasters").
published single_item(const publication& p, const item_facts& f, const std::string& kind) {
  published out;
  auto doc = item(f, p.base_url);
  auto title = kind;
  title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
  const auto& client = p.spec.client_id;
  out.entries.collections.push_back(
    {f.collection, client, "", client + " " + kind, title + " published for " + client + "."});
  out.entries.items.push_back(row_of(f, doc, p.spec.client_id, ""));
  out.endpoints["stac_item"] = item_path(f.collection, f.id);
  out.stac_metadata = std::move(doc);
  return out;
}

/// The union of item bounds (a crossing of the antimeridian widens to the whole globe).
lon_lat_bounds union_of(const std::vector<lon_lat_bounds>& all) {
  lon_lat_bounds u = all.front();
  for (const auto& b : all) {
    if (b.crosses_antimeridian() || u.crosses_antimeridian()) {
      u.west = -180;
      u.east = 180;
    } else {
      u.west = std::min(u.west, b.west);
      u.east = std::max(u.east, b.east);
    }
    u.south = std::min(u.south, b.south);
    u.north = std::max(u.north, b.north);
  }
  return u;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> wanted_item(const publication& p) {
  if (p.spec.request_type == "vector")
    return std::make_pair(vectors_collection(p.spec.client_id),
                          item_id(p.spec.dataset_id, p.spec.resource_id, p.spec.version_id));
  if (p.spec.request_type == "raster")
    return std::make_pair(rasters_collection(p.spec.client_id),
                          item_id(p.spec.dataset_id, p.spec.resource_id, p.spec.version_id));
  return std::nullopt;
}

std::optional<std::string> wanted_collection(const publication& p) {
  if (p.spec.request_type != "collection")
    return std::nullopt;
  return request_collection(p.spec.client_id, p.spec.dataset_id, p.spec.resource_id, p.spec.version_id);
}

published assemble(const publication& p, bool id_taken) {
  published out;
  auto stac = p.outputs.is_object() ? p.outputs.value("stac", json()) : json();
  if (!stac.is_object())
    return out;
  auto data = "/platform/data/" + p.request_id;
  try {
    if (p.spec.request_type == "vector" && stac.contains("vector")) {
      const auto& v = stac["vector"];
      auto f = identity_of(p, vectors_collection(p.spec.client_id));
      f.id = item_id(p.spec.dataset_id, p.spec.resource_id, p.spec.version_id);
      if (id_taken)
        f.id = disambiguated_item_id(f.id, p.request_id);
      if (v.contains("bounds") && v["bounds"].is_array())
        f.bounds = bounds_of(v["bounds"]);
      else
        throw std::invalid_argument{"the layer has no geometry to place it"};
      f.footprint = v.value("hull", json());
      f.start_datetime = v.value("start_datetime", json()).is_string()
                           ? v["start_datetime"].get<std::string>() : "";
      f.end_datetime = v.value("end_datetime", json()).is_string()
                         ? v["end_datetime"].get<std::string>() : "";
      f.vector = vector_facts{v.value("feature_count", int64_t{0}),
                              v.value("geometry_types", std::vector<std::string>{})};
      f.assets.push_back({"data", data + "/download", "application/geopackage+sqlite3",
                          "GeoPackage", {"data"}});
      if (v.contains("collection") && v["collection"].is_string())
        f.assets.push_back({"features",
                            "/features/collections/" + v["collection"].get<std::string>() +
                              "/items",
                            "application/geo+json", "OGC API - Features items", {"data"}});
      return single_item(p, f, "vector layers");
    }
    if (!stac.contains("rasters") || !stac["rasters"].is_array() || stac["rasters"].empty())
      return out;
    if (p.spec.request_type == "raster") {
      const auto& r = stac["rasters"][0];
      auto f = identity_of(p, rasters_collection(p.spec.client_id));
      f.id = item_id(p.spec.dataset_id, p.spec.resource_id, p.spec.version_id);
      if (id_taken)
        f.id = disambiguated_item_id(f.id, p.request_id);
      f.bounds = bounds_of(r.at("bounds"));
      f.raster = raster_of(r);
      f.assets.push_back({"data", data + "/download", cog_type, "Cloud-Optimized GeoTIFF",
                          {"data"}});
      if (r.contains("overview") && r["overview"].is_string())
        // A small preview: "thumbnail" in STAC's terms (readers that mosaic data assets, such
        // as GDAL's STACIT, leave it out).
        f.assets.push_back({"thumbnail",
                            data + "/files/" +
                              http::encode_segment(r["overview"].get<std::string>()),
                            "image/png", "Preview", {"thumbnail"}});
      return single_item(p, f, "rasters");
    }
    if (p.spec.request_type != "collection")
      return out;
    auto cid = request_collection(p.spec.client_id, p.spec.dataset_id, p.spec.resource_id, p.spec.version_id);
    if (id_taken)
      cid = disambiguated_item_id(cid, p.request_id);
    std::vector<lon_lat_bounds> all;
    for (const auto& r : stac["rasters"]) {
      auto name = r.at("file").get<std::string>();
      auto f = identity_of(p, cid);
      f.id = std::filesystem::path{name}.stem().string();
      f.bounds = bounds_of(r.at("bounds"));
      f.raster = raster_of(r);
      f.assets.push_back(
        {"data", data + "/files/" + http::encode_segment(name), cog_type, name, {"data"}});
      auto doc = item(f, p.base_url);
      out.entries.items.push_back(row_of(f, doc, p.spec.client_id, name));
      all.push_back(f.bounds);
    }
    catalogue_collection c{cid, p.spec.client_id, p.request_id,
                           p.spec.dataset_id + " / " + p.spec.resource_id + " / " + p.spec.version_id,
                           "The rasters of version " + p.spec.version_id + " of resource " +
                             p.spec.resource_id + " of dataset " + p.spec.dataset_id + "."};
    out.entries.collections.push_back(c);
    collection_facts cf{cid, c.title, c.description, union_of(all), p.processed_at,
                        p.processed_at};
    out.stac_metadata = collection(cf, p.base_url);
    out.endpoints["stac_collection"] = collection_path(cid);
    return out;
  } catch (const json::exception& e) {
    throw std::invalid_argument{std::string{"malformed STAC facts: "} + e.what()};
  }
}

json collection_of(const catalogue_collection_row& row, const std::string& base_url) {
  collection_facts cf;
  cf.id = row.collection_id;
  cf.title = row.title;
  cf.description = row.description;
  if (row.bbox)
    cf.bounds = lon_lat_bounds{(*row.bbox)[0], (*row.bbox)[1], (*row.bbox)[2], (*row.bbox)[3]};
  cf.start = row.start;
  cf.end = row.end;
  return collection(cf, base_url);
}

}  // namespace gp::io::stac
