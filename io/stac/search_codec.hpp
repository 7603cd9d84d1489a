#pragma once
// STAC API searches over HTTP: GET /search's query string, POST /search's body and the items
// routes' query parsed into a checked stac_search (messages/stac.hpp); the opaque paging token;
// the paging links; the normalised form a cache keys on. Pure functions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/http/json_body.hpp"
#include "messages/stac.hpp"

namespace gp::io::stac {

/// Most items in one page; a larger `limit` is clamped to it.
inline constexpr int max_search_limit = 10000;
inline constexpr int default_search_limit = 10;

/// GET /search: bbox, datetime, intersects, ids, collections, limit, sortby, filter,
/// filter-lang, token. One error per bad parameter, named by the parameter.
stac_search parse_search_query(std::string_view query,
                               std::vector<io::http::field_error>& errors);

/// POST /search: the same members in a JSON body (arrays for bbox, ids, collections; sortby as
/// [{"field", "direction"}]; filter as CQL2 JSON, or as text with "filter-lang": "cql2-text").
stac_search parse_search_body(const nlohmann::json& body,
                              std::vector<io::http::field_error>& errors);

/// GET /collections/{cid}/items: bbox, datetime, limit, sortby, filter, filter-lang, token;
/// the search is limited to collection `cid`.
stac_search parse_items_query(std::string_view query, const std::string& cid,
                              std::vector<io::http::field_error>& errors);

/// A datetime parameter: an RFC 3339 instant, or an interval "start/end" whose either end may
/// be ".." or empty (open). Both ends open, an end before the start, or a malformed time is an
/// error. Instants are returned normalised to UTC ("…Z").
std::optional<time_interval> parse_datetime(std::string_view text, std::string& error);

/// The opaque token of a page position (base64url of a small JSON document).
std::string encode_token(const page_position& p);
/// The page position of a token; unset when it is not one this service made.
std::optional<page_position> decode_token(std::string_view token);

/// A canonical text of `s` (without its position): equal for equal searches however they were
/// written, for a cache key.
std::string normalised(const stac_search& s);

/// The links of a search page: `self`, `root`, and `next`/`prev` when there are items past an
/// end. `href` is the route's absolute URL without a query. For GET, `query` is the request's
/// query string (its token replaced in the links); for POST, `body` is the request's body
/// (the links carry "method": "POST", a "body" with the token, and "merge": true).
nlohmann::json search_links(const std::string& href, const std::string& root_href,
                            const std::optional<std::string>& query,
                            const std::optional<nlohmann::json>& body,
                            const std::optional<page_position>& next,
                            const std::optional<page_position>& prev);

}  // namespace gp::io::stac
