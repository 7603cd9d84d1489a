#pragma once
// The Filter extension's CQL2 (OGC 21-065), as STAC API users send it: the JSON encoding and
// the text encoding, both parsed into one checked tree (messages/stac.hpp) over the queryables.
// Supported: comparisons (= <> < <= > >=), and/or/not, like, in, between, isNull, s_intersects
// and t_intersects. Pure functions: no database; persistence turns the tree into SQL.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/http/json_body.hpp"
#include "messages/stac.hpp"

namespace gp::io::stac {

/// The tree of a CQL2 JSON expression. Unknown properties, unknown operators, wrong argument
/// counts and literals of the wrong type for their property are reported in `errors` (field
/// `field`, a message naming what was refused); nothing is returned then.
std::optional<filter_node> parse_cql2_json(const nlohmann::json& expr,
                                           std::vector<io::http::field_error>& errors,
                                           const std::string& field = "filter");

/// The CQL2 JSON form of a CQL2 text expression; a syntax error is reported in `errors` with
/// the character position where it was found.
std::optional<nlohmann::json> cql2_text_to_json(std::string_view text,
                                                std::vector<io::http::field_error>& errors,
                                                const std::string& field = "filter");

/// The tree of a CQL2 text expression (cql2_text_to_json, then parse_cql2_json).
std::optional<filter_node> parse_cql2_text(std::string_view text,
                                           std::vector<io::http::field_error>& errors,
                                           const std::string& field = "filter");

/// The CQL2 JSON form of a tree (what a normalised search carries, for the cache key and
/// paging links).
nlohmann::json to_cql2_json(const filter_node& node);

}  // namespace gp::io::stac
