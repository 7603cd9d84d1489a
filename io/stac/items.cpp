#include "io/stac/items.hpp"

#include <algorithm>
#include <map>

#include "io/http/router.hpp"

namespace gp::io::stac {

using json = nlohmann::json;

std::string vectors_collection(const std::string& client_id) { return client_id + "_vectors"; }

std::string rasters_collection(const std::string& client_id) { return client_id + "_rasters"; }

std::string request_collection(const std::string& client_id, const std::string& dataset_id,
                               const std::string& resource_id, const std::string& version_id) {
  return client_id + "_" + dataset_id + "_" + resource_id + "_" + version_id;
}

std::string item_id(const std::string& dataset_id, const std::string& resource_id,
                    const std::string& version_id) {
  return dataset_id + "_" + resource_id + "_" + version_id;
}

std::string disambiguated_item_id(const std::string& id, const std::string& request_id) {
  return id + "_" + request_id.substr(0, 8);
}

namespace {

json ring(double west, double south, double east, double north) {
  return json::array({json::array({west, south}), json::array({east, south}),
                      json::array({east, north}), json::array({west, north}),
                      json::array({west, south})});
}

json link(const std::string& rel, const std::string& href, const std::string& type) {
  return {{"rel", rel}, {"href", href}, {"type", type}};
}

std::string absolute(const std::string& href, const std::string& base_url) {
  return !href.empty() && href[0] == '/' ? base_url + href : href;
}

}  // namespace

json bounds_geometry(const lon_lat_bounds& b) {
  if (!b.crosses_antimeridian())
    return {{"type", "Polygon"}, {"coordinates", json::array({ring(b.west, b.south, b.east, b.north)})}};
  // Split at ±180 (RFC 7946 §3.1.9): the part east of the west edge, and the part west of the
  // east edge.
  return {{"type", "MultiPolygon"},
          {"coordinates", json::array({json::array({ring(b.west, b.south, 180.0, b.north)}),
                                       json::array({ring(-180.0, b.south, b.east, b.north)})})}};
}

json bbox_of(const lon_lat_bounds& b) { return json::array({b.west, b.south, b.east, b.north}); }

std::string raster_data_type(const std::string& gdal_type) {
  static const std::map<std::string, std::string> names = {
    {"Byte", "uint8"},       {"Int8", "int8"},        {"UInt16", "uint16"},
    {"Int16", "int16"},      {"UInt32", "uint32"},    {"Int32", "int32"},
    {"UInt64", "uint64"},    {"Int64", "int64"},      {"Float32", "float32"},
    {"Float64", "float64"},  {"CInt16", "cint16"},    {"CInt32", "cint32"},
    {"CFloat32", "cfloat32"}, {"CFloat64", "cfloat64"}};
  auto i = names.find(gdal_type);
  return i == names.end() ? std::string{} : i->second;
}

std::array<double, 6> affine_of(const std::array<double, 6>& gt) {
  return {gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]};
}

std::array<double, 4> native_bbox(const raster_facts& r) {
  const auto& gt = r.geotransform;
  double xs[4], ys[4];
  int k = 0;
  for (int col : {0, r.width})
    for (int row : {0, r.height}) {
      xs[k] = gt[0] + col * gt[1] + row * gt[2];
      ys[k] = gt[3] + col * gt[4] + row * gt[5];
      ++k;
    }
  return {*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4),
          *std::max_element(xs, xs + 4), *std::max_element(ys, ys + 4)};
}

json item(const item_facts& f, const std::string& base_url) {
  auto root = base_url + "/platform/stac";
  auto collection_url = root + "/collections/" + http::encode_segment(f.collection);
  json extensions = json::array({projection_extension});
  json properties = {{"ddh:dataset_id", f.dataset_id},
                     {"ddh:resource_id", f.resource_id},
                     {"ddh:version_id", f.version_id},
                     {"ddh:request_id", f.request_id},
                     {"created", f.created},
                     {"updated", f.updated.empty() ? f.created : f.updated}};
  if (!f.start_datetime.empty() && !f.end_datetime.empty()) {
    properties["datetime"] = nullptr;
    properties["start_datetime"] = f.start_datetime;
    properties["end_datetime"] = f.end_datetime;
  } else {
    properties["datetime"] = f.datetime;
  }
  if (f.vector) {
    // The served asset (GeoPackage, features) is in EPSG:4326.
    properties["proj:epsg"] = 4326;
    properties["vector:feature_count"] = f.vector->feature_count;
    properties["vector:geometry_types"] = f.vector->geometry_types;
  }
  if (f.raster) {
    const auto& r = *f.raster;
    if (r.epsg)
      properties["proj:epsg"] = *r.epsg;
    else {
      properties["proj:epsg"] = nullptr;
      properties["proj:wkt2"] = r.wkt2;
    }
    properties["proj:shape"] = json::array({r.height, r.width});
    auto a = affine_of(r.geotransform);
    properties["proj:transform"] = json::array({a[0], a[1], a[2], a[3], a[4], a[5], 0, 0, 1});
    auto nb = native_bbox(r);
    properties["proj:bbox"] = json::array({nb[0], nb[1], nb[2], nb[3]});
    extensions.push_back(raster_extension);
  }
  json assets = json::object();
  for (const auto& a : f.assets) {
    json x = {{"href", absolute(a.href, base_url)}, {"type", a.type}, {"roles", a.roles}};
    if (!a.title.empty())
      x["title"] = a.title;
    if (f.raster && std::find(a.roles.begin(), a.roles.end(), "data") != a.roles.end()) {
      json bands = json::array();
      for (const auto& b : f.raster->bands) {
        json band = {{"data_type", b.data_type}, {"spatial_resolution", b.spatial_resolution}};
        if (b.nodata)
          band["nodata"] = *b.nodata;
        if (b.minimum || b.maximum || b.mean || b.stddev) {
          json stats = json::object();
          if (b.minimum)
            stats["minimum"] = *b.minimum;
          if (b.maximum)
            stats["maximum"] = *b.maximum;
          if (b.mean)
            stats["mean"] = *b.mean;
          if (b.stddev)
            stats["stddev"] = *b.stddev;
          band["statistics"] = stats;
        }
        bands.push_back(band);
      }
      x["raster:bands"] = bands;
    }
    assets[a.key] = x;
  }
  auto self = collection_url + "/items/" + http::encode_segment(f.id);
  return {{"type", "Feature"},
          {"stac_version", stac_version},
          {"stac_extensions", extensions},
          {"id", f.id},
          {"collection", f.collection},
          {"geometry", f.footprint.is_null() ? bounds_geometry(f.bounds) : f.footprint},
          {"bbox", bbox_of(f.bounds)},
          {"properties", properties},
          {"assets", assets},
          {"links", json::array({link("self", self, "application/geo+json"),
                                 link("root", root, "application/json"),
                                 link("parent", collection_url, "application/json"),
                                 link("collection", collection_url, "application/json")})}};
}

json collection(const collection_facts& c, const std::string& base_url) {
  auto root = base_url + "/platform/stac";
  auto self = root + "/collections/" + http::encode_segment(c.id);
  auto b = c.bounds.value_or(lon_lat_bounds{-180, -90, 180, 90});
  auto when = [](const std::string& t) { return t.empty() ? json() : json(t); };
  json out = {{"type", "Collection"},
              {"stac_version", stac_version},
              {"stac_extensions", json::array()},
              {"id", c.id},
              {"description", c.description},
              {"license", "proprietary"},
              {"extent",
               {{"spatial", {{"bbox", json::array({bbox_of(b)})}}},
                {"temporal", {{"interval", json::array({json::array({when(c.start), when(c.end)})})}}}}},
              {"links", json::array({link("self", self, "application/json"),
                                     link("root", root, "application/json"),
                                     link("parent", root, "application/json"),
                                     link("items", self + "/items", "application/geo+json")})}};
  if (!c.title.empty())
    out["title"] = c.title;
  return out;
}

}  // namespace gp::io::stac
