#pragma once
// What a completed request publishes in the STAC catalogue, assembled from the facts its jobs
// kept with its outputs (outputs.stac): the catalogue rows, the document its status shows as
// stac_metadata, and the endpoints that serve them. Pure functions over the builders of
// io/stac/items.hpp.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "messages/requests.hpp"
#include "messages/stac.hpp"

namespace gp::io::stac {

/// A completed request, as the catalogue sees it.
struct publication {
  std::string request_id;
  /// Its identity and type (vector, raster or collection).
  request_spec spec;
  /// Its merged outputs; their "stac" member holds the facts ({"vector": …} or
  /// {"rasters": […]}).
  nlohmann::json outputs;
  /// RFC 3339 UTC: the item's datetime (unless a time range is known), created and updated.
  std::string processed_at;
  /// The service's public base URL (links and asset hrefs are absolute).
  std::string base_url;
};

/// The collection and id the request's single item would take (vector and raster requests);
/// unset for a collection request, whose items live in a collection of their own.
std::optional<std::pair<std::string, std::string>> wanted_item(const publication& p);

/// The collection a collection request's items would go to; unset for other requests.
std::optional<std::string> wanted_collection(const publication& p);

/// What the request publishes.
struct published {
  catalogue_entries entries;
  /// The item (vector, raster) or the collection (collection request); null when the outputs
  /// hold no STAC facts.
  nlohmann::json stac_metadata;
  /// {"stac_item": "/platform/stac/collections/<c>/items/<i>"} or {"stac_collection": …}.
  nlohmann::json endpoints = nlohmann::json::object();
};

/// Assembles what `p` publishes. `id_taken`: the wanted item id (or, for a collection request,
/// the wanted collection id) is held by another request (then it takes `_<first 8 hex of the
/// request id>`). Throws std::invalid_argument when the facts are malformed.
published assemble(const publication& p, bool id_taken);

/// The collection document of a catalogue row, links absolute from `base_url`.
nlohmann::json collection_of(const catalogue_collection_row& row, const std::string& base_url);

}  // namespace gp::io::stac
