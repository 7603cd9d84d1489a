#include "io/http/features_codec.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "io/http/router.hpp"

namespace gp::io::http {

namespace {

using json = nlohmann::json;

constexpr const char* crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* geojson_type = "application/geo+json";
constexpr const char* json_type = "application/json";

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

/// Digits without their leading zeros ("0" stays "0").
std::string_view significant(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0')
    digits.remove_prefix(1);
  return digits;
}

/// A finite number in plain decimal or exponent notation (a leading `+` allowed).
std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

/// The shortest text that reads back as `v`.
std::string number_text(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title) {
  return {{"href", href}, {"rel", rel}, {"type", type}, {"title", title}};
}

void check_f(const std::string& value, bool geojson_too, std::vector<field_error>& errors) {
  if (value == "json" || (geojson_too && value == "geojson"))
    return;
  errors.push_back({"f", geojson_too ? "must be json or geojson (only GeoJSON is offered)"
                                     : "must be json (only JSON is offered)"});
}

/// Checks every pair of `query` against the accepted names; returns the accepted pairs.
std::vector<std::pair<std::string, std::string>> known_pairs(std::string_view query,
                                                             const std::set<std::string>& names,
                                                             std::vector<field_error>& errors) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  std::string list;
  for (const auto& n : names)
    list += (list.empty() ? "" : ", ") + n;
  for (auto& [name, value] : query_pairs(query)) {
    if (!names.count(name)) {
      if (name == "datetime")
        errors.push_back({name, "is not supported: the collections have no temporal property"});
      else
        errors.push_back({name, "is not a parameter of this operation (accepted: " + list + ")"});
    } else if (!seen.insert(name).second) {
      errors.push_back({name, "is given more than once"});
    } else {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

std::string collection_url(const vector_layer& layer, const std::string& base) {
  return base + "/features/collections/" + layer.table_name;
}

std::string items_query_text(const items_selection& s, int64_t offset) {
  std::string q;
  if (s.box)
    q = "bbox=" + number_text(s.box->min_lon) + "," + number_text(s.box->min_lat) + "," +
        number_text(s.box->max_lon) + "," + number_text(s.box->max_lat) + "&";
  return q + "limit=" + std::to_string(s.limit) + "&offset=" + std::to_string(offset);
}

}  // namespace

std::optional<lon_lat_box> parse_bbox(std::string_view text, std::string& why) {
  std::vector<std::string_view> parts;
  for (size_t i = 0;;) {
    auto j = text.find(',', i);
    parts.push_back(text.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos)
      break;
    i = j + 1;
  }
  if (parts.size() == 6) {
    why = "a 3D bounding box (6 numbers) is not supported; give minx,miny,maxx,maxy";
    return std::nullopt;
  }
  if (parts.size() != 4) {
    why = "must be 4 comma-separated numbers: minx,miny,maxx,maxy (longitude and latitude)";
    return std::nullopt;
  }
  double v[4];
  for (size_t i = 0; i < 4; ++i) {
    auto n = parse_number(parts[i]);
    if (!n) {
      why = "'" + std::string{parts[i]} + "' is not a number";
      return std::nullopt;
    }
    v[i] = *n;
  }
  if (std::fabs(v[0]) > 180 || std::fabs(v[2]) > 180) {
    why = "longitudes (minx, maxx) must be within -180 to 180";
    return std::nullopt;
  }
  if (std::fabs(v[1]) > 90 || std::fabs(v[3]) > 90) {
    why = "latitudes (miny, maxy) must be within -90 to 90";
    return std::nullopt;
  }
  if (v[1] > v[3]) {
    why = "miny must not be greater than maxy";
    return std::nullopt;
  }
  // minx > maxx is a box across the antimeridian (OGC API - Features, bbox).
  return lon_lat_box{v[0], v[1], v[2], v[3]};
}

items_selection parse_items_query(std::string_view query, std::vector<field_error>& errors) {
  items_selection out;
  out.limit = features_default_limit;
  for (const auto& [name, value] :
       known_pairs(query, {"bbox", "limit", "offset", "f"}, errors)) {
    if (name == "bbox") {
      std::string why;
      out.box = parse_bbox(value, why);
      if (!out.box)
        errors.push_back({"bbox", why});
    } else if (name == "limit") {
      auto digits = significant(value);
      if (!all_digits(value) || digits == "0")
        errors.push_back({"limit", "must be a whole number from 1 (values above " +
                                     std::to_string(features_max_limit) + " are lowered to " +
                                     std::to_string(features_max_limit) + ")"});
      else
        out.limit = digits.size() > 5
                      ? features_max_limit
                      : std::min<int64_t>(std::stoll(std::string{digits}), features_max_limit);
    } else if (name == "offset") {
      auto digits = significant(value);
      if (!all_digits(value))
        errors.push_back({"offset", "must be a whole number from 0"});
      else if (digits.size() > 18)
        errors.push_back({"offset", "must be less than 10^18"});
      else
        out.offset = std::stoll(std::string{digits});
    } else {
      check_f(value, true, errors);
    }
  }
  return out;
}

void check_plain_query(std::string_view query, bool geojson_too,
                       std::vector<field_error>& errors) {
  for (const auto& [name, value] : known_pairs(query, {"f"}, errors))
    check_f(value, geojson_too, errors);
}

bool is_collection_id(std::string_view s) {
  if (s.empty() || s.size() > 63 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
    return false;
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

std::optional<int64_t> parse_feature_id(std::string_view s) {
  auto digits = s;
  if (!digits.empty() && digits.front() == '-')
    digits.remove_prefix(1);
  if (!all_digits(digits))
    return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

json features_landing(const std::string& base) {
  auto root = base + "/features";
  return {{"title", "geoplatform features"},
          {"description",
           "OGC API - Features over the vector layers this service has loaded, one collection per "
           "layer"},
          {"links", json::array({link(root, "self", json_type, "this document"),
                                 link(base + "/openapi.json", "service-desc",
                                      "application/vnd.oai.openapi+json;version=3.1",
                                      "the API definition"),
                                 link(root + "/conformance", "conformance", json_type,
                                      "conformance classes implemented"),
                                 link(root + "/collections", "data", json_type,
                                      "the feature collections")})}};
}

json features_conformance() {
  return {{"conformsTo", json::array({"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                                      "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
                                      "geojson"})}};
}

json collection_body(const vector_layer& layer, const std::string& base) {
  auto url = collection_url(layer, base);
  json c = {{"id", layer.table_name},
            {"title", layer.title},
            {"description", layer.geometry_type + " layer of " +
                              std::to_string(layer.feature_count) + " features (request " +
                              layer.request_id + ")"},
            {"itemType", "feature"},
            {"crs", json::array({crs84})},
            {"storageCrs", crs84},
            {"links", json::array({link(url, "self", json_type, "this collection"),
                                   link(url + "/items", "items", geojson_type,
                                        "the features of this collection")})}};
  if (layer.bbox) {
    const auto& b = *layer.bbox;
    c["extent"] = {{"spatial", {{"bbox", json::array({json::array({b[0], b[1], b[2], b[3]})})},
                                {"crs", crs84}}}};
  }
  return c;
}

json collections_body(const std::vector<vector_layer>& layers, const std::string& base) {
  auto list = json::array();
  for (const auto& l : layers)
    list.push_back(collection_body(l, base));
  return {{"collections", list},
          {"links", json::array({link(base + "/features/collections", "self", json_type,
                                      "the feature collections")})}};
}

std::string items_body(const vector_layer& layer, const items_selection& selection,
                       const items_page& page, const std::string& base) {
  auto url = collection_url(layer, base);
  auto items = url + "/items?";
  auto links = json::array({link(items + items_query_text(selection, selection.offset), "self",
                                 geojson_type, "this page"),
                            link(url, "collection", json_type, "the collection")});
  if (selection.offset > 0)
    links.push_back(link(
      items + items_query_text(selection, std::max<int64_t>(0, selection.offset - selection.limit)),
      "prev", geojson_type, "the previous page"));
  if (selection.offset + page.returned < page.matched)
    links.push_back(link(items + items_query_text(selection, selection.offset + page.returned),
                         "next", geojson_type, "the next page"));
  json head = {{"type", "FeatureCollection"},
               {"numberMatched", page.matched},
               {"numberReturned", page.returned},
               {"links", links}};
  // The features arrive as JSON text from PostgreSQL; they are spliced in, never re-parsed.
  auto text = head.dump(-1, ' ', false, json::error_handler_t::replace);
  text.pop_back();
  return text + ",\"features\":" + page.features + "}";
}

std::string item_body(const vector_layer& layer, int64_t fid,
                      const std::string& feature, const std::string& base) {
  auto url = collection_url(layer, base);
  auto links = json::array({link(url + "/items/" + std::to_string(fid), "self", geojson_type,
                                 "this feature"),
                            link(url, "collection", json_type, "the collection")});
  auto end = feature.find_last_of('}');
  if (end == std::string::npos)
    return feature;
  return feature.substr(0, end) + ",\"links\":" +
         links.dump(-1, ' ', false, json::error_handler_t::replace) + feature.substr(end);
}

}  // namespace gp::io::http
