#pragma once
// STAC 1.0.0 Items and Collections of what the platform publishes, built from facts the jobs
// computed (pure functions: no GDAL, no database). Items carry the projection extension v1.1.0,
// rasters the raster extension v1.1.0, and the identity of the request as ddh:* properties.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gp::io::stac {

inline constexpr const char* stac_version = "1.0.0";
inline constexpr const char* projection_extension =
  "https://stac-extensions.github.io/projection/v1.1.0/schema.json";
inline constexpr const char* raster_extension =
  "https://stac-extensions.github.io/raster/v1.1.0/schema.json";

/// The collection of a client's vector outputs: `<client_id>_vectors`.
std::string vectors_collection(const std::string& client_id);
/// The collection of a client's raster outputs: `<client_id>_rasters`.
std::string rasters_collection(const std::string& client_id);
/// The collection of one `collection` request: `<client>_<dataset>_<resource>_<version>`.
std::string request_collection(const std::string& client_id, const std::string& dataset_id,
                               const std::string& resource_id, const std::string& version_id);
/// An item's id: `<dataset>_<resource>_<version>`.
std::string item_id(const std::string& dataset_id, const std::string& resource_id,
                    const std::string& version_id);
/// The id an item gets when another identity already holds `id`: `<id>_<first 8 of request_id>`.
std::string disambiguated_item_id(const std::string& id, const std::string& request_id);

/// Longitude/latitude bounds in EPSG:4326. `west > east` when the data crosses the antimeridian
/// (as STAC and GeoJSON write such a box).
struct lon_lat_bounds {
  double west = 0, south = 0, east = 0, north = 0;
  bool crosses_antimeridian() const { return west > east; }
};

/// The GeoJSON geometry of `b`: a Polygon, or a MultiPolygon of its two halves when it crosses
/// the antimeridian.
nlohmann::json bounds_geometry(const lon_lat_bounds& b);

/// The bbox member for `b`: [west, south, east, north].
nlohmann::json bbox_of(const lon_lat_bounds& b);

/// The raster extension's data_type for a GDAL data type name ("Byte" → "uint8"); empty for an
/// unknown one.
std::string raster_data_type(const std::string& gdal_type);

/// One band, as the raster extension describes it.
struct band_facts {
  std::string data_type;  ///< raster extension name (raster_data_type)
  std::optional<double> nodata;
  /// Approximate statistics (GDAL's, from overviews); unset when not computed.
  std::optional<double> minimum, maximum, mean, stddev;
  double spatial_resolution = 0;
};

/// What a raster output is, in its own CRS.
struct raster_facts {
  /// EPSG code of the CRS, or unset when it has none (then wkt2 describes it).
  std::optional<int> epsg;
  std::string wkt2;
  int width = 0, height = 0;
  /// GDAL's geotransform (origin x, pixel width, row rotation, origin y, column rotation, pixel
  /// height); proj:transform is its affine form.
  std::array<double, 6> geotransform{};
  std::vector<band_facts> bands;
};

/// What a vector output is.
struct vector_facts {
  int64_t feature_count = 0;
  /// Geometry types as OGC names (Point, MultiPolygon, …), sorted.
  std::vector<std::string> geometry_types;
};

/// An asset of an item; `href` is absolute or starts with "/" (made absolute with the base URL).
struct asset {
  std::string key;
  std::string href;
  std::string type;
  std::string title;
  std::vector<std::string> roles;
};

/// What an item says.
struct item_facts {
  std::string id;
  std::string collection;
  std::string dataset_id, resource_id, version_id, request_id;
  /// The footprint in EPSG:4326 as a GeoJSON geometry; null uses the bounds' geometry.
  nlohmann::json footprint;
  lon_lat_bounds bounds;
  /// RFC 3339: the processing time, unless start and end are both set (then datetime is null).
  std::string datetime;
  std::string start_datetime, end_datetime;
  std::string created, updated;
  std::optional<vector_facts> vector;
  std::optional<raster_facts> raster;
  std::vector<asset> assets;
};

/// The STAC Item, its links absolute from `base_url` (the service's public base URL).
nlohmann::json item(const item_facts& f, const std::string& base_url);

/// What a collection says.
struct collection_facts {
  std::string id;
  std::string title;
  std::string description;
  /// The union of its items' bounds; unset for an empty collection (then the whole world).
  std::optional<lon_lat_bounds> bounds;
  /// The time its items cover (RFC 3339); empty for an open end.
  std::string start, end;
};

/// The STAC Collection, its links absolute from `base_url`.
nlohmann::json collection(const collection_facts& c, const std::string& base_url);

/// proj:transform of a GDAL geotransform: [a, b, c, d, e, f] of x = a·col + b·row + c,
/// y = d·col + e·row + f.
std::array<double, 6> affine_of(const std::array<double, 6>& geotransform);

/// proj:bbox of a raster in its own CRS: [minx, miny, maxx, maxy] of its corners.
std::array<double, 4> native_bbox(const raster_facts& r);

}  // namespace gp::io::stac
