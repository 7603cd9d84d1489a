#pragma once
// The features collections: the platform.vector_layers catalogue and the geo.<table_name> tables
// it lists (migration 0006). Table and column names are never taken from a caller: a table name
// is used only after its catalogue row was found, and column names are read from the table itself;
// both are quoted as identifiers. Pages are built as GeoJSON text by PostgreSQL. The values are
// the plain structs of messages/features.hpp, which io/http/features_codec encodes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/features.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// The layers a client may see (`client_id` empty: every client's), by table name. Catalogue rows
/// whose table does not exist are left out.
std::vector<vector_layer> list_vector_layers(pqxx::connection& c, const std::string& client_id);

/// One layer, if it exists and belongs to `client_id` (empty: any client).
std::optional<vector_layer> find_vector_layer(pqxx::connection& c, const std::string& table_name,
                                              const std::string& client_id);

/// A page of `layer`'s features and an exact count of the matching rows, read in one snapshot.
/// The page ends early when its features reach selection.max_bytes (returned says how many).
items_page read_items(pqxx::connection& c, const vector_layer& layer,
                      const items_selection& selection);

/// One feature of `layer` as GeoJSON text, if a row with this fid exists.
std::optional<std::string> read_item(pqxx::connection& c, const vector_layer& layer, int64_t fid);

}  // namespace gp::persistence
