#pragma once
// The /features routes of the http_edge actor (OGC API - Features, any key level): landing page,
// conformance, collections and their items. Each answers through the call's responder once.
#include <string>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"

namespace gp {

/// GET /features.
void handle_features_landing(edge_self* self, http_call call);

/// GET /features/conformance.
void handle_features_conformance(edge_self* self, http_call call);

/// GET /features/collections: the layers the key may see.
void handle_features_collections(edge_self* self, http_call call, const principal& who);

/// GET /features/collections/{cid}.
void handle_features_collection(edge_self* self, http_call call, const principal& who,
                                const std::string& cid);

/// GET /features/collections/{cid}/items?bbox=&limit=&offset=.
void handle_features_items(edge_self* self, http_call call, const principal& who,
                           const std::string& cid);

/// GET /features/collections/{cid}/items/{fid}.
void handle_features_item(edge_self* self, http_call call, const principal& who,
                          const std::string& cid, const std::string& fid);

}  // namespace gp
