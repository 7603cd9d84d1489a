#pragma once
// The documents of the STAC API 1.0.0 under /platform/stac: the landing page, conformance, the
// queryables (JSON Schema), collection lists and item collections. Pure functions; links are
// absolute from the service's public base URL.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/stac.hpp"

namespace gp::io::stac {

/// The conformance classes the API implements.
const std::vector<std::string>& conformance_classes();

/// GET /platform/stac: a Catalog with conformsTo and its links (self, root, service-desc,
/// conformance, data, search GET and POST, queryables).
nlohmann::json landing_page(const std::string& base_url);

/// GET /platform/stac/conformance.
nlohmann::json conformance();

/// GET /platform/stac/queryables, or a collection's (`collection_id` non-empty).
nlohmann::json queryables_document(const std::string& base_url,
                                   const std::string& collection_id);

/// GET /platform/stac/collections.
nlohmann::json collections_document(const std::vector<catalogue_collection_row>& rows,
                                    const std::string& base_url);

/// An ItemCollection (a GeoJSON FeatureCollection) of `page`, with `links` and, when counted,
/// numberMatched. Built as text around the stored item documents (they are not parsed again).
std::string item_collection(const search_page& page, const nlohmann::json& links);

}  // namespace gp::io::stac
