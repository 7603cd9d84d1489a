#include "io/stac/api_documents.hpp"

#include "io/stac/items.hpp"
#include "io/stac/publication.hpp"

namespace gp::io::stac {

using json = nlohmann::json;

namespace {

json link(const std::string& rel, const std::string& href, const std::string& type) {
  return {{"rel", rel}, {"href", href}, {"type", type}};
}

}  // namespace

const std::vector<std::string>& conformance_classes() {
  static const std::vector<std::string> classes = {
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "https://api.stacspec.org/v1.0.0-rc.2/ogcapi-features#filter",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
  };
  return classes;
}

json landing_page(const std::string& base_url) {
  auto root = base_url + "/platform/stac";
  json search_post = link("search", root + "/search", "application/geo+json");
  search_post["method"] = "POST";
  json search_get = link("search", root + "/search", "application/geo+json");
  search_get["method"] = "GET";
  return {{"type", "Catalog"},
          {"stac_version", stac_version},
          {"id", "geoplatform"},
          {"title", "geoplatform"},
          {"description", "The datasets the platform published, as STAC items and collections."},
          {"conformsTo", conformance_classes()},
          {"links", json::array({link("self", root, "application/json"),
                                 link("root", root, "application/json"),
                                 link("service-desc", base_url + "/openapi.json",
                                      "application/vnd.oai.openapi+json;version=3.1"),
                                 link("conformance", root + "/conformance", "application/json"),
                                 link("data", root + "/collections", "application/json"),
                                 search_get, search_post,
                                 link("http://www.opengis.net/def/rel/ogc/1.0/queryables",
                                      root + "/queryables", "application/schema+json")})}};
}

json conformance() { return {{"conformsTo", conformance_classes()}}; }

json queryables_document(const std::string& base_url, const std::string& collection_id) {
  auto root = base_url + "/platform/stac";
  json props = json::object();
  for (const auto& q : queryables) {
    std::string type = q.type;
    json schema;
    if (type == "geometry")
      schema = {{"$ref", "https://geojson.org/schema/Geometry.json"}};
    else if (type == "datetime")
      schema = {{"type", "string"}, {"format", "date-time"}};
    else
      schema = {{"type", type}};
    schema["description"] = q.description;
    props[q.name] = schema;
  }
  return {{"$schema", "https://json-schema.org/draft/2019-09/schema"},
          {"$id", collection_id.empty() ? root + "/queryables"
                                        : root + "/collections/" + collection_id + "/queryables"},
          {"type", "object"},
          {"title", collection_id.empty() ? "Queryables of every collection"
                                          : "Queryables of " + collection_id},
          {"properties", props},
          {"additionalProperties", false}};
}

json collections_document(const std::vector<catalogue_collection_row>& rows,
                          const std::string& base_url) {
  auto root = base_url + "/platform/stac";
  json list = json::array();
  for (const auto& r : rows)
    list.push_back(collection_of(r, base_url));
  return {{"collections", list},
          {"links", json::array({link("self", root + "/collections", "application/json"),
                                 link("root", root, "application/json"),
                                 link("parent", root, "application/json")})}};
}

std::string item_collection(const search_page& page, const json& links) {
  std::string out = R"({"type":"FeatureCollection","features":[)";
  size_t bytes = 0;
  for (const auto& i : page.items)
    bytes += i.item_json.size() + 1;
  out.reserve(out.size() + bytes + 512);
  for (size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += page.items[i].item_json;
  }
  out += R"(],"links":)";
  out += links.dump();
  out += R"(,"numberReturned":)";
  out += std::to_string(page.items.size());
  if (page.matched >= 0) {
    out += R"(,"numberMatched":)";
    out += std::to_string(page.matched);
  }
  out += '}';
  return out;
}

}  // namespace gp::io::stac
