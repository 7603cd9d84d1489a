#pragma once
// The /platform/data routes of the http_edge actor (any level): a completed request's download,
// its files and its MosaicJSON, streamed from the silver storage.
#include <string>

#include "actors/http_edge_state.hpp"
#include "messages/auth.hpp"

namespace gp {

/// GET|HEAD /platform/data/{request_id}/download: the GeoPackage or COG (Range, ETag).
void handle_data_download(edge_self* self, http_call call, const principal& who,
                          const std::string& id);

/// GET|HEAD /platform/data/{request_id}/files/{name}: one file listed in the outputs.
void handle_data_file(edge_self* self, http_call call, const principal& who, const std::string& id,
                      const std::string& name);

/// GET /platform/data/{request_id}/mosaic.json: the MosaicJSON with absolute file URLs.
void handle_data_mosaic(edge_self* self, http_call call, const principal& who,
                        const std::string& id);

}  // namespace gp
