#include "persistence/stac_search.hpp"

#include <stdexcept>

#include "persistence/pg_array.hpp"

namespace gp::persistence {

namespace {

/// A queryable as a column expression and its SQL type.
struct column {
  const char* expr;
  const char* type;
};

/// The column of a queryable. Nullable integers sort as -1 (the keyset needs a total order).
column column_of(const std::string& property) {
  static const std::pair<const char*, column> columns[] = {
    {"id", {"item_id", "text"}},
    {"collection", {"collection_id", "text"}},
    {"geometry", {"geometry", "geometry"}},
    {"datetime", {"datetime", "timestamptz"}},
    {"start_datetime", {"datetime", "timestamptz"}},
    {"end_datetime", {"end_datetime", "timestamptz"}},
    {"ddh:dataset_id", {"dataset_id", "text"}},
    {"ddh:resource_id", {"resource_id", "text"}},
    {"ddh:version_id", {"version_id", "text"}},
    {"ddh:request_id", {"request_id::text", "text"}},
    {"vector:feature_count", {"feature_count", "bigint"}},
    {"proj:epsg", {"epsg", "bigint"}},
  };
  for (const auto& [name, col] : columns)
    if (property == name)
      return col;
  throw std::invalid_argument{"not a queryable: " + property};
}

/// The sort expression of a queryable (nullable integers as -1).
std::string sort_expr(const std::string& property) {
  auto c = column_of(property);
  if (std::string{c.type} == "bigint")
    return std::string{"coalesce("} + c.expr + ", -1)";
  return c.expr;
}

class builder {
 public:
  /// "$n::type" for a new parameter.
  std::string param(std::string value, const std::string& type = "text") {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size()) + "::" + type;
  }

  /// A literal as a value of the property's type.
  std::string literal(const filter_value& v, const column& c) {
    if (v.type == filter_value::kind::date)
      return param(v.text, "date") + "::timestamptz";
    if (v.type == filter_value::kind::boolean)
      return v.boolean ? "true" : "false";
    if (std::string{c.type} == "bigint")
      return param(v.text, "numeric");
    return param(v.text, c.type);
  }

  /// The item's time [datetime, end_datetime] meets [start, end] (empty or ".." = open). A
  /// date end includes its whole day.
  std::string time_meets(const std::string& start, const std::string& end,
                         bool end_is_date = false) {
    std::string out = "true";
    if (!end.empty() && end != "..")
      out += end_is_date ? " AND datetime < (" + param(end, "date") + " + 1)::timestamptz"
                         : " AND datetime <= " + param(end, "timestamptz");
    if (!start.empty() && start != "..")
      out += " AND end_datetime >= " + param(start, "timestamptz");
    return "(" + out + ")";
  }

  std::string geometry(const std::string& geojson) {
    return "ST_SetSRID(ST_GeomFromGeoJSON(" + param(geojson) + "), 4326)";
  }

  std::string filter(const filter_node& n) {
    using k = filter_node::kind;
    switch (n.type) {
      case k::all_of:
      case k::any_of: {
        std::string out;
        for (const auto& child : n.children)
          out += (out.empty() ? "" : n.type == k::all_of ? " AND " : " OR ") + filter(child);
        return "(" + (out.empty() ? std::string{n.type == k::all_of ? "true" : "false"} : out) +
               ")";
      }
      case k::negation:
        // Three-valued, as CQL2 is: not(unknown) stays unknown (and excludes the row).
        return "(NOT " + filter(n.children.at(0)) + ")";
      case k::comparison: {
        static const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
        bool known = false;
        for (const auto* op : ops)
          known = known || n.op == op;
        if (!known)
          throw std::invalid_argument{"not a comparison: " + n.op};
        auto c = column_of(n.property);
        return "(" + std::string{c.expr} + " " + n.op + " " + literal(n.values.at(0), c) + ")";
      }
      case k::like: {
        auto c = column_of(n.property);
        return "(" + std::string{c.expr} + " LIKE " + param(n.values.at(0).text) + ")";
      }
      case k::in_list: {
        auto c = column_of(n.property);
        std::vector<std::string> texts;
        for (const auto& v : n.values)
          texts.push_back(v.type == filter_value::kind::date ? v.text + "T00:00:00Z" : v.text);
        std::string type = std::string{c.type} == "bigint" ? "numeric" : c.type;
        return "(" + std::string{c.expr} + " = ANY(" + param(to_pg_array(texts), type + "[]") +
               "))";
      }
      case k::between: {
        auto c = column_of(n.property);
        return "(" + std::string{c.expr} + " BETWEEN " + literal(n.values.at(0), c) + " AND " +
               literal(n.values.at(1), c) + ")";
      }
      case k::is_null:
        return "(" + std::string{column_of(n.property).expr} + " IS NULL)";
      case k::s_intersects:
        return "ST_Intersects(geometry, " + geometry(n.geometry_geojson) + ")";
      case k::t_intersects:
        return time_meets(n.values.at(0).text, n.values.at(1).text,
                          n.values.at(1).type == filter_value::kind::date);
      case k::constant:
        return !n.values.empty() && n.values[0].boolean ? "true" : "false";
    }
    throw std::invalid_argument{"unknown filter node"};
  }

  /// Rows past the position in the order `keys` (reversed when going backwards):
  /// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, each comparison in its key's direction.
  std::string after(const std::vector<sort_key>& keys, const page_position& p) {
    if (p.values.size() != keys.size())
      return "false";
    std::string out, equal_so_far;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto expr = sort_expr(keys[i].property);
      auto value = param(p.values[i], column_of(keys[i].property).type);
      bool ascending = keys[i].ascending != p.backwards;
      out += (out.empty() ? "" : " OR ") + std::string{"("} + equal_so_far + expr +
             (ascending ? " > " : " < ") + value + ")";
      equal_so_far += expr + " = " + value + " AND ";
    }
    return "(" + out + ")";
  }

  std::vector<std::string> params;
};

}  // namespace

std::vector<sort_key> effective_sort(const stac_search& s) {
  auto keys = s.sortby;
  if (keys.empty())
    keys.push_back({"datetime", false});
  bool has_collection = false, has_id = false;
  for (const auto& k : keys) {
    has_collection = has_collection || k.property == "collection";
    has_id = has_id || k.property == "id";
  }
  if (!has_collection)
    keys.push_back({"collection", true});
  if (!has_id)
    keys.push_back({"id", true});
  return keys;
}

search_statement search_sql(const stac_search& s, const std::string& scope) {
  builder b;
  std::string where = "true";
  if (!scope.empty())
    where += " AND client_id = " + b.param(scope);
  if (!s.collections.empty())
    where += " AND collection_id = ANY(" + b.param(to_pg_array(s.collections), "text[]") + ")";
  if (!s.ids.empty())
    where += " AND item_id = ANY(" + b.param(to_pg_array(s.ids), "text[]") + ")";
  if (s.bbox) {
    const auto& x = *s.bbox;
    auto box = [&](double w, double e) {
      return "ST_Intersects(geometry, ST_MakeEnvelope(" + b.param(exact_text(w), "float8") +
             ", " + b.param(exact_text(x[1]), "float8") + ", " +
             b.param(exact_text(e), "float8") + ", " +
             b.param(exact_text(x[3]), "float8") + ", 4326))";
    };
    // Across the antimeridian the box is two: west of 180 and east of -180.
    where += x[0] > x[2] ? " AND (" + box(x[0], 180) + " OR " + box(-180, x[2]) + ")"
                         : " AND " + box(x[0], x[2]);
  }
  if (!s.intersects_geojson.empty())
    where += " AND ST_Intersects(geometry, " + b.geometry(s.intersects_geojson) + ")";
  if (s.datetime)
    where += " AND " + b.time_meets(s.datetime->start, s.datetime->end);
  // A filter that is unknown (null) for a row excludes it, as WHERE does; not wrapping it lets
  // the planner use the indexes its comparisons name.
  if (s.filter)
    where += " AND " + b.filter(*s.filter);
  auto keys = effective_sort(s);
  if (s.position)
    where += " AND " + b.after(keys, *s.position);
  bool backwards = s.position && s.position->backwards;
  std::string select = "SELECT collection_id, item_id, content", order;
  for (const auto& k : keys) {
    auto expr = sort_expr(k.property);
    select += ", (" + expr + ")::text";
    order += (order.empty() ? "" : ", ") + expr + ((k.ascending != backwards) ? " ASC" : " DESC");
  }
  auto limit = b.param(std::to_string(s.limit + 1), "bigint");
  return {select + " FROM platform.stac_items WHERE " + where + " ORDER BY " + order +
            " LIMIT " + limit,
          std::move(b.params)};
}

}  // namespace gp::persistence
