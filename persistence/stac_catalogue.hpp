#pragma once
// The STAC catalogue (migration 0012): collections and items that completed requests published,
// and the version number every write advances. Items are written by store_request_state in the
// transaction of their request's completed state (persistence/requests.hpp).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "messages/stac.hpp"
#include "persistence/database.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::persistence {

/// A collection of the write belongs to another client or another request (its id is theirs).
/// (A conflict: the pool answers errc::conflict.)
struct collection_taken : conflict_error {
  explicit collection_taken(const std::string& id)
      : conflict_error{"the collection id " + id + " belongs to another client or request"} {}
};

/// Writes what request `request_id` adds to the catalogue within `tx`: its collections are
/// created (or renamed), its earlier items are replaced by `e.items`, the extents of every
/// collection it touched are computed again, and the catalogue version advances. An item id
/// another request already holds in its collection throws pqxx::unique_violation; a collection
/// id another client or request holds throws collection_taken.
void write_catalogue(pqxx::transaction_base& tx, const std::string& request_id,
                     const catalogue_entries& e);

/// The catalogue's version: it changes with every write.
int64_t catalogue_version(pqxx::connection& c);

/// The collections client `scope` sees (empty: every client's), by id.
std::vector<catalogue_collection_row> list_stac_collections(pqxx::connection& c,
                                                            const std::string& scope);

/// One collection, if `scope` sees it.
std::optional<catalogue_collection_row> find_stac_collection(pqxx::connection& c,
                                                             const std::string& scope,
                                                             const std::string& collection_id);

/// An item's JSON, if `scope` sees it.
std::optional<std::string> find_stac_item(pqxx::connection& c, const std::string& scope,
                                          const std::string& collection_id,
                                          const std::string& item_id);

/// A page of a search (search_sql), its rows put in page order. Throws
/// std::invalid_argument when PostGIS refuses a geometry the search gave (its message says
/// why).
search_page search_stac(pqxx::connection& c, const std::string& scope, const stac_search& s);

}  // namespace gp::persistence
