#pragma once
// The /platform/stac routes of the http_edge actor: the STAC API 1.0.0 (any key level, scoped
// to the key's client like /features; admin keys see every client's). Item, search and
// collection answers are cached per client scope until the catalogue changes (docs/stac.md).
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"

namespace gp {

/// GET /platform/stac.
void handle_stac_landing(edge_self* self, http_call call);

/// GET /platform/stac/conformance.
void handle_stac_conformance(edge_self* self, http_call call);

/// GET /platform/stac/queryables, or a collection's (`cid` non-empty; 404 when not seen).
void handle_stac_queryables(edge_self* self, http_call call, const principal& who,
                            const std::string& cid);

/// GET /platform/stac/collections.
void handle_stac_collections(edge_self* self, http_call call, const principal& who);

/// GET /platform/stac/collections/{cid}.
void handle_stac_collection(edge_self* self, http_call call, const principal& who,
                            const std::string& cid);

/// GET /platform/stac/collections/{cid}/items.
void handle_stac_items(edge_self* self, http_call call, const principal& who,
                       const std::string& cid);

/// GET /platform/stac/collections/{cid}/items/{iid}.
void handle_stac_item(edge_self* self, http_call call, const principal& who,
                      const std::string& cid, const std::string& iid);

/// GET /platform/stac/search (`body` null) or POST /platform/stac/search.
void handle_stac_search(edge_self* self, http_call call, const principal& who,
                        const nlohmann::json* body);

}  // namespace gp
