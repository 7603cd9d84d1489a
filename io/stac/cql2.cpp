#include "io/stac/cql2.hpp"

#include <cmath>
#include <utility>

#include "io/stac/items.hpp"

namespace gp::io::stac {

using json = nlohmann::json;

namespace {

/// Bounds on a filter, so that one request cannot make the parser recurse without end or the
/// database plan a query of thousands of terms.
constexpr int max_depth = 64;
constexpr int max_terms = 1000;

/// Why a filter was refused. Thrown inside the parser (its checks are deep in the recursion)
/// and turned into a field_error by parse_cql2_json: nothing else sees it.
struct refusal {
  std::string message;
};

[[noreturn]] void refuse(std::string message) { throw refusal{std::move(message)}; }

/// `s` as JSON text, for messages: quoted, escaped, and valid UTF-8 whatever bytes it holds (the
/// messages end up in a JSON problem document).
std::string in_quotes(const json& s) {
  return s.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- RFC 3339 -------------------------------------------------------------------------------

/// The `n` digits at `at` of `s` as a number; -1 when they are not all digits.
int number_at(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size())
    return -1;
  int out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    out = out * 10 + (s[i] - '0');
  }
  return out;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/// Whether `s` starts with a full-date (YYYY-MM-DD) of the calendar.
bool starts_with_date(std::string_view s) {
  int year = number_at(s, 0, 4), month = number_at(s, 5, 2), day = number_at(s, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && s[4] == '-' && s[7] == '-' &&
         day <= days_in_month(year, month);
}

bool is_date(std::string_view s) { return s.size() == 10 && starts_with_date(s); }

/// An RFC 3339 date-time: full-date "T" HH:MM:SS[.frac] then Z or ±HH:MM (T and Z in either
/// case; a leap second's :60 allowed, as the RFC does).
bool is_timestamp(std::string_view s) {
  if (s.size() < 20 || !starts_with_date(s) || (s[10] != 'T' && s[10] != 't'))
    return false;
  int hour = number_at(s, 11, 2), minute = number_at(s, 14, 2), second = number_at(s, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 ||
      s[13] != ':' || s[16] != ':')
    return false;
  size_t at = 19;
  if (s[at] == '.') {
    size_t digits = ++at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9')
      ++at;
    if (at == digits)
      return false;
  }
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z'))
    return true;
  int offset_hour = number_at(s, at + 1, 2), offset_minute = number_at(s, at + 4, 2);
  return at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':' &&
         offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}

// ---- GeoJSON geometries -----------------------------------------------------------------------

[[noreturn]] void bad_geometry(const std::string& why) {
  refuse("s_intersects: invalid GeoJSON geometry: " + why);
}

/// A longitude/latitude position (EPSG:4326, as the items' geometries are), with an optional
/// height.
void check_position(const json& p) {
  if (!p.is_array() || p.size() < 2 || p.size() > 3)
    bad_geometry("a position is an array of 2 or 3 numbers");
  for (const auto& c : p)
    if (!c.is_number())
      bad_geometry("a position is an array of 2 or 3 numbers");
  double lon = p[0].get<double>(), lat = p[1].get<double>();
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
    bad_geometry("positions are longitude (-180..180) and latitude (-90..90), EPSG:4326");
}

void check_positions(const json& a, size_t at_least, const char* what) {
  if (!a.is_array() || a.size() < at_least)
    bad_geometry(std::string{what} + " needs at least " + std::to_string(at_least) +
                 " positions");
  for (const auto& p : a)
    check_position(p);
}

void check_polygon(const json& rings) {
  if (!rings.is_array() || rings.empty())
    bad_geometry("a polygon is an array of rings");
  for (const auto& ring : rings) {
    check_positions(ring, 4, "a polygon's ring");
    if (ring.front() != ring.back())
      bad_geometry("a polygon's ring must end where it starts");
  }
}

/// Each member of the array `a` (at least one), checked by `check`.
template <class Check>
void check_each(const json& a, const char* what, Check check) {
  if (!a.is_array() || a.empty())
    bad_geometry(std::string{what} + " needs at least one member");
  for (const auto& member : a)
    check(member);
}

/// The geometry `g` reduced to its type and coordinates, once they are valid.
json checked_geometry(const json& g) {
  if (!g.contains("type") || !g["type"].is_string() || !g.contains("coordinates"))
    bad_geometry("expected an object with \"type\" and \"coordinates\"");
  auto type = g["type"].get<std::string>();
  const auto& c = g["coordinates"];
  if (type == "Point")
    check_position(c);
  else if (type == "LineString")
    check_positions(c, 2, "a LineString");
  else if (type == "Polygon")
    check_polygon(c);
  else if (type == "MultiPoint")
    check_each(c, "a MultiPoint", check_position);
  else if (type == "MultiLineString")
    check_each(c, "a MultiLineString", [](const json& l) { check_positions(l, 2, "a line"); });
  else if (type == "MultiPolygon")
    check_each(c, "a MultiPolygon", check_polygon);
  else
    bad_geometry("unsupported type " + in_quotes(type) +
                 " (Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon)");
  return {{"type", type}, {"coordinates", c}};
}

/// A CQL2 bbox literal ([w, s, e, n], or the 6 numbers of a 3D box) as a polygon, split in two
/// across the antimeridian like the items' bounds.
json bbox_geometry(const json& b) {
  if (!b.is_array() || (b.size() != 4 && b.size() != 6))
    refuse("s_intersects: a bbox is [west, south, east, north]");
  for (const auto& c : b)
    if (!c.is_number())
      refuse("s_intersects: a bbox is [west, south, east, north]");
  size_t up = b.size() / 2;
  lon_lat_bounds box{b[0].get<double>(), b[1].get<double>(), b[up].get<double>(),
                     b[up + 1].get<double>()};
  if (box.west < -180 || box.east > 180 || box.south < -90 || box.north > 90 ||
      box.south > box.north)
    refuse("s_intersects: a bbox is longitude/latitude with south <= north");
  return bounds_geometry(box);
}

// ---- expressions ------------------------------------------------------------------------------

bool is_property(const json& e) { return e.is_object() && e.contains("property"); }

std::string queryable_names() {
  std::string out;
  for (const auto& q : queryables)
    out += (out.empty() ? "" : ", ") + std::string{q.name};
  return out;
}

/// The queryable a {"property": name} names.
const queryable& known_property(const json& ref) {
  const auto& name = ref["property"];
  if (!name.is_string())
    refuse("\"property\" must be a string");
  const queryable* q = find_queryable(name.get<std::string>());
  if (q == nullptr)
    refuse("unknown property " + in_quotes(name) + " (queryables: " + queryable_names() + ")");
  return *q;
}

const char* kind_name(filter_value::kind k) {
  switch (k) {
    case filter_value::kind::string:
      return "a string";
    case filter_value::kind::number:
      return "a number";
    case filter_value::kind::boolean:
      return "a boolean";
    case filter_value::kind::timestamp:
      return "a timestamp";
    case filter_value::kind::date:
      return "a date";
  }
  return "a value";
}

constexpr const char* operators =
  "and, or, not, =, <>, <, <=, >, >=, like, in, between, isNull, s_intersects, t_intersects";

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

bool is_operator(const std::string& op) {
  static const char* const names[] = {"and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like",
                                      "in", "between", "isnull", "s_intersects", "t_intersects"};
  for (const char* name : names)
    if (op == name)
      return true;
  return false;
}

filter_value timestamp_value(const json& text) {
  if (!text.is_string() || !is_timestamp(text.get<std::string>()))
    refuse(in_quotes(text) + " is not an RFC 3339 timestamp (YYYY-MM-DDThh:mm:ss[.f]Z or ±hh:mm)");
  return {filter_value::kind::timestamp, text.get<std::string>()};
}

filter_value date_value(const json& text) {
  if (!text.is_string() || !is_date(text.get<std::string>()))
    refuse(in_quotes(text) + " is not a date (YYYY-MM-DD)");
  return {filter_value::kind::date, text.get<std::string>()};
}

/// A literal: a string, a number, a boolean, {"timestamp": …} or {"date": …}. What else may
/// stand where a literal is expected is named, so that the message says where it belongs.
filter_value literal(const json& v) {
  if (v.is_string())
    return {filter_value::kind::string, v.get<std::string>()};
  if (v.is_number())
    return {filter_value::kind::number, v.dump(), v.get<double>()};
  if (v.is_boolean())
    return {filter_value::kind::boolean, "", 0, v.get<bool>()};
  if (v.is_object() && v.contains("timestamp"))
    return timestamp_value(v["timestamp"]);
  if (v.is_object() && v.contains("date"))
    return date_value(v["date"]);
  if (v.is_object() && v.contains("op") && v["op"].is_string()) {
    auto op = v["op"].get<std::string>();
    refuse(is_operator(lower(op)) ? in_quotes(op) + " is an expression where a value was expected"
                                  : "unknown operator " + in_quotes(op) + " (operators: " +
                                      operators + ")");
  }
  if (v.is_object() && (v.contains("bbox") || v.contains("type")))
    refuse("a geometry is only allowed in s_intersects");
  if (v.is_object() && v.contains("interval"))
    refuse("an interval is only allowed in t_intersects");
  if (v.is_null())
    refuse("null is not a value (isNull tests for it)");
  refuse(v.is_array() ? "a list of values is only allowed in \"in\"" : "expected a value");
}

/// A literal the queryable `q` can be compared with: strings for strings, whole numbers for
/// integers, timestamps or dates for datetimes; geometries only intersect.
filter_value literal_for(const queryable& q, const json& v) {
  std::string name = q.name, type = q.type;
  if (type == "geometry")
    refuse("property " + in_quotes(name) + " can only be used in s_intersects");
  if (is_property(v))
    refuse("comparing two properties is not supported (" + in_quotes(name) + " with " +
           in_quotes(v["property"]) + ")");
  auto value = literal(v);
  using k = filter_value::kind;
  if (type == "string" && value.type != k::string)
    refuse("property " + in_quotes(name) + " takes strings, not " + kind_name(value.type));
  if (type == "integer" && (value.type != k::number || std::floor(value.number) != value.number))
    refuse("property " + in_quotes(name) + " takes integers, not " +
           (value.type == k::number ? value.text : kind_name(value.type)));
  if (type == "datetime" && value.type != k::timestamp && value.type != k::date)
    refuse("property " + in_quotes(name) + " takes timestamps or dates ({\"timestamp\": …}, " +
           "{\"date\": …}), not " + kind_name(value.type));
  return value;
}

/// An end of a t_intersects interval: a date or timestamp string, or ".." (open).
filter_value interval_end(const json& v) {
  if (v == "..")
    return {filter_value::kind::timestamp, ".."};
  if (v.is_string())
    return is_date(v.get<std::string>()) ? date_value(v) : timestamp_value(v);
  if (v.is_object() && (v.contains("timestamp") || v.contains("date")))
    return literal(v);
  refuse("t_intersects: an interval's ends are dates, timestamps or \"..\"");
}

std::string comparison_mirrored(const std::string& op) {
  if (op == "<")
    return ">";
  if (op == ">")
    return "<";
  if (op == "<=")
    return ">=";
  if (op == ">=")
    return "<=";
  return op;
}

/// One parse: the count of terms is shared by the whole filter.
class reader {
 public:
  filter_node expression(const json& e, int depth) {
    if (depth > max_depth)
      refuse("the filter nests deeper than " + std::to_string(max_depth) + " levels");
    count_term();
    filter_node node;
    if (e.is_boolean()) {
      node.values.push_back(literal(e));
      return node;
    }
    if (!e.is_object() || !e.contains("op"))
      refuse("expected an expression: {\"op\": …, \"args\": […]}, true or false");
    if (!e["op"].is_string())
      refuse("\"op\" must be a string");
    op_ = e["op"].get<std::string>();
    auto op = lower(op_);
    if (!is_operator(op))
      refuse("unknown operator " + in_quotes(op_) + " (operators: " + operators + ")");
    if (!e.contains("args") || !e["args"].is_array())
      refuse(in_quotes(op_) + ": \"args\" must be an array");
    const auto& args = e["args"];
    if (op == "and" || op == "or" || op == "not") {
      if (op == "not" ? args.size() != 1 : args.size() < 2)
        refuse(in_quotes(op_) +
               (op == "not" ? " takes 1 expression" : " takes 2 or more expressions") + ", got " +
               std::to_string(args.size()));
      node.type = op == "and" ? filter_node::kind::all_of
                  : op == "or" ? filter_node::kind::any_of
                               : filter_node::kind::negation;
      for (const auto& a : args)
        node.children.push_back(expression(a, depth + 1));
    } else if (op == "like") {
      arity(args, 2, "a property and a pattern");
      const auto& q = property_first(args);
      if (std::string{q.type} != "string")
        refuse("\"like\" needs a string property; " + in_quotes(q.name) + " is " +
               (std::string{q.type} == "integer" ? "an integer" : "a " + std::string{q.type}));
      if (!args[1].is_string())
        refuse("\"like\" takes a string pattern");
      node.type = filter_node::kind::like;
      node.property = q.name;
      node.values.push_back(literal(args[1]));
    } else if (op == "in") {
      arity(args, 2, "a property and a list of values");
      const auto& q = property_first(args);
      if (!args[1].is_array() || args[1].empty())
        refuse("\"in\" takes a non-empty list of values");
      node.type = filter_node::kind::in_list;
      node.property = q.name;
      for (const auto& v : args[1]) {
        count_term();
        node.values.push_back(literal_for(q, v));
      }
    } else if (op == "between") {
      arity(args, 3, "a property, a low and a high value");
      const auto& q = property_first(args);
      node.type = filter_node::kind::between;
      node.property = q.name;
      node.values = {literal_for(q, args[1]), literal_for(q, args[2])};
    } else if (op == "isnull") {
      arity(args, 1, "a property");
      const auto& q = property_first(args);
      if (std::string{q.type} == "geometry")
        refuse("property " + in_quotes(q.name) + " can only be used in s_intersects");
      node.type = filter_node::kind::is_null;
      node.property = q.name;
    } else if (op == "s_intersects") {
      spatial(args, node);
    } else if (op == "t_intersects") {
      temporal(args, node);
    } else {
      comparison(op, args, node);
    }
    return node;
  }

 private:
  void count_term() {
    if (++terms_ > max_terms)
      refuse("the filter has more than " + std::to_string(max_terms) + " terms");
  }

  void arity(const json& args, size_t n, const char* what) {
    if (args.size() != n)
      refuse(in_quotes(op_) + " takes " + std::to_string(n) +
             (n == 1 ? " argument (" : " arguments (") + what + "), got " +
             std::to_string(args.size()));
  }

  /// The queryable of the first argument, which must be a property.
  const queryable& property_first(const json& args) {
    if (!is_property(args[0]))
      refuse(in_quotes(op_) + " takes a property ({\"property\": name}) first");
    return known_property(args[0]);
  }

  /// property op literal, or literal op property (the operator then mirrored).
  void comparison(const std::string& op, const json& args, filter_node& node) {
    arity(args, 2, "a property and a value");
    bool flipped = !is_property(args[0]) && is_property(args[1]);
    if (!flipped && !is_property(args[0]))
      refuse(in_quotes(op_) + " compares a property ({\"property\": name}) with a value");
    const auto& q = known_property(args[flipped ? 1 : 0]);
    node.type = filter_node::kind::comparison;
    node.op = flipped ? comparison_mirrored(op) : op;
    node.property = q.name;
    node.values.push_back(literal_for(q, args[flipped ? 0 : 1]));
  }

  /// The geometry property and a GeoJSON geometry or a bbox, in either order.
  void spatial(const json& args, filter_node& node) {
    arity(args, 2, "the geometry property and a geometry");
    bool flipped = !is_property(args[0]);
    if (!is_property(args[flipped ? 1 : 0]))
      refuse("s_intersects takes the property \"geometry\" and a geometry");
    const auto& q = known_property(args[flipped ? 1 : 0]);
    if (std::string{q.type} != "geometry")
      refuse("property " + in_quotes(q.name) +
             " is not a geometry (s_intersects takes \"geometry\")");
    const auto& g = args[flipped ? 0 : 1];
    if (!g.is_object())
      refuse("s_intersects takes a GeoJSON geometry or {\"bbox\": [west, south, east, north]}");
    node.type = filter_node::kind::s_intersects;
    node.property = q.name;
    // A GeoJSON geometry may carry a bbox of its own: only an object without a type is a bbox.
    bool bbox = g.contains("bbox") && !g.contains("type");
    node.geometry_geojson = (bbox ? bbox_geometry(g["bbox"]) : checked_geometry(g)).dump();
  }

  /// Whether `e` is the item side of t_intersects: a property, or an interval of properties.
  static bool names_properties(const json& e) {
    if (is_property(e))
      return true;
    if (!e.is_object() || !e.contains("interval") || !e["interval"].is_array())
      return false;
    for (const auto& end : e["interval"])
      if (is_property(end))
        return true;
    return false;
  }

  /// The item's time (a datetime property, or the interval of start_datetime and end_datetime,
  /// kept as an empty property) and an instant or an interval, in either order.
  void temporal(const json& args, filter_node& node) {
    arity(args, 2, "a datetime property and a time");
    bool flipped = !names_properties(args[0]);
    const auto& item_time = args[flipped ? 1 : 0];
    const auto& time = args[flipped ? 0 : 1];
    if (!names_properties(item_time))
      refuse("t_intersects takes a datetime property and a timestamp, a date or an interval");
    node.type = filter_node::kind::t_intersects;
    if (is_property(item_time)) {
      const auto& q = known_property(item_time);
      if (std::string{q.type} != "datetime")
        refuse("property " + in_quotes(q.name) +
               " is not a datetime (t_intersects takes datetime, start_datetime or end_datetime)");
      node.property = q.name;
    } else {
      const auto& ends = item_time["interval"];
      bool two = ends.size() == 2 && is_property(ends[0]) && is_property(ends[1]);
      std::string first = two ? known_property(ends[0]).name : "";
      std::string last = two ? known_property(ends[1]).name : "";
      if ((first != "start_datetime" && first != "datetime") || last != "end_datetime")
        refuse("t_intersects: the item's interval is [start_datetime, end_datetime]");
    }
    if (time.is_object() && time.contains("interval")) {
      const auto& ends = time["interval"];
      if (!ends.is_array() || ends.size() != 2)
        refuse("t_intersects: an interval has 2 ends");
      node.values = {interval_end(ends[0]), interval_end(ends[1])};
    } else if (time.is_object() && (time.contains("timestamp") || time.contains("date"))) {
      node.values = {literal(time), literal(time)};
    } else {
      refuse("t_intersects takes a timestamp, a date or an interval");
    }
  }

  int terms_ = 0;
  /// The operator being read, as written (for messages).
  std::string op_;
};

json value_json(const filter_value& v) {
  switch (v.type) {
    case filter_value::kind::string:
      return v.text;
    case filter_value::kind::number: {
      auto n = json::parse(v.text, nullptr, false);
      return n.is_number() ? n : json(v.number);
    }
    case filter_value::kind::boolean:
      return v.boolean;
    case filter_value::kind::timestamp:
      return {{"timestamp", v.text}};
    case filter_value::kind::date:
      return {{"date", v.text}};
  }
  return nullptr;
}

/// The `i`th value of `node` as JSON (null when a tree built by hand lacks it).
json value_at(const filter_node& node, size_t i) {
  return i < node.values.size() ? value_json(node.values[i]) : json();
}

json property_json(const std::string& name) { return {{"property", name}}; }

}  // namespace

std::optional<filter_node> parse_cql2_json(const json& expr,
                                           std::vector<io::http::field_error>& errors,
                                           const std::string& field) {
  try {
    return reader{}.expression(expr, 1);
  } catch (const refusal& r) {
    errors.push_back({field, r.message});
    return std::nullopt;
  }
}

json to_cql2_json(const filter_node& node) {
  auto with = [](const char* op, json args) { return json{{"op", op}, {"args", std::move(args)}}; };
  auto property = property_json(node.property);
  switch (node.type) {
    case filter_node::kind::all_of:
    case filter_node::kind::any_of:
    case filter_node::kind::negation: {
      json args = json::array();
      for (const auto& child : node.children)
        args.push_back(to_cql2_json(child));
      return with(node.type == filter_node::kind::all_of   ? "and"
                  : node.type == filter_node::kind::any_of ? "or"
                                                           : "not",
                  std::move(args));
    }
    case filter_node::kind::comparison:
      return with(node.op.c_str(), {property, value_at(node, 0)});
    case filter_node::kind::like:
      return with("like", {property, value_at(node, 0)});
    case filter_node::kind::in_list: {
      json values = json::array();
      for (const auto& v : node.values)
        values.push_back(value_json(v));
      return with("in", {property, values});
    }
    case filter_node::kind::between:
      return with("between", {property, value_at(node, 0), value_at(node, 1)});
    case filter_node::kind::is_null:
      return with("isNull", {property});
    case filter_node::kind::s_intersects:
      return with("s_intersects", {property, json::parse(node.geometry_geojson, nullptr, false)});
    case filter_node::kind::t_intersects: {
      auto item_time = node.property.empty()
                         ? json{{"interval", {property_json("start_datetime"),
                                              property_json("end_datetime")}}}
                         : property;
      auto start = value_at(node, 0), end = value_at(node, 1);
      // An instant is an interval of equal ends; the ends of an interval are plain strings.
      if (start == end && start.is_object() && start.front() != "..")
        return with("t_intersects", {item_time, start});
      auto text = [](const json& v) { return v.is_object() ? v.front() : v; };
      return with("t_intersects", {item_time, {{"interval", {text(start), text(end)}}}});
    }
    case filter_node::kind::constant:
      return value_at(node, 0);
  }
  return nullptr;
}

}  // namespace gp::io::stac
