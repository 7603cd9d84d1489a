#pragma once
// A STAC search as one parameterised SQL statement over platform.stac_items (migration 0012).
// Every value the caller gave travels as a parameter; property names map to fixed column
// expressions through the queryables, so nothing a caller writes becomes SQL text.
#include <string>
#include <vector>

#include "messages/stac.hpp"

namespace gp::persistence {

/// A statement and its parameters ($1…), as text.
struct search_statement {
  std::string sql;
  std::vector<std::string> params;
};

/// The statement that reads a page of `s` seen by client `scope` (empty: every client): rows of
/// (collection_id, item_id, content, sort values…) in page order, one more than the limit so the
/// caller knows whether the page ends the results. Going backwards the rows come in reverse
/// order. Throws std::invalid_argument for a property that is not a queryable (a parser bug:
/// io/stac checks them first).
search_statement search_sql(const stac_search& s, const std::string& scope);

/// The sort keys of `s`: its sortby (default: datetime descending), then collection and id
/// ascending, which make every position unique.
std::vector<sort_key> effective_sort(const stac_search& s);

}  // namespace gp::persistence
