#include "io/stac/search_codec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <tuple>

#include "io/crypto.hpp"
#include "io/http/router.hpp"
#include "io/stac/cql2.hpp"

namespace gp::io::stac {

namespace {

using json = nlohmann::json;
using io::http::field_error;

constexpr const char* crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* geojson_type = "application/geo+json";
/// Ours hold a few sort values; anything longer is refused unread.
constexpr size_t max_token_size = 4096;
constexpr const char* bbox_count = "must be 4 or 6 numbers: west,south,east,north";
constexpr const char* not_a_date_time =
  "is not an RFC 3339 date-time such as 2020-01-01T00:00:00Z";

/// A value quoted in a message, cut short: a parameter may be long.
std::string cited(std::string_view s) {
  constexpr size_t shown = 60;
  return "'" + std::string{s.substr(0, shown)} + (s.size() > shown ? "…'" : "'");
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (size_t i = 0;;) {
    auto j = s.find(sep, i);
    out.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos)
      return out;
    i = j + 1;
  }
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Date-times.

/// An instant in UTC: seconds since the epoch and the digits of its fraction of a second without
/// trailing zeros, so that equal instants print equal and order by their digits.
struct instant {
  int64_t seconds = 0;
  std::string fraction;
  bool operator<(const instant& o) const {
    return std::tie(seconds, fraction) < std::tie(o.seconds, o.fraction);
  }
};

/// An RFC 3339 date-time ("t" and "z" in lowercase too, as RFC 3339 allows); nothing with
/// `error` set when it is not one or names a time that does not exist.
std::optional<instant> parse_instant(std::string_view s, std::string& error) {
  auto bad = [&](const char* why) -> std::optional<instant> {
    error = cited(s) + " " + why;
    return std::nullopt;
  };
  static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  static const std::regex date_time(R"((\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2}))"
                                    R"((?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2})))");
  std::match_results<std::string_view::const_iterator> m;
  // Length first: std::regex recurses once per character.
  if (s.size() > 64 || !std::regex_match(s.begin(), s.end(), m, date_time))
    return bad(std::regex_match(s.begin(), s.end(), date)
                 ? "is a date; a date-time is required, such as 2020-01-01T00:00:00Z"
                 : not_a_date_time);
  auto number = [&](int i) { return std::stoi(m.str(i)); };
  std::tm tm{};
  tm.tm_year = number(1) - 1900;
  tm.tm_mon = number(2) - 1;
  tm.tm_mday = number(3);
  tm.tm_hour = number(4);
  tm.tm_min = number(5);
  tm.tm_sec = number(6);
  int year = number(1);
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (tm.tm_mon < 0 || tm.tm_mon > 11)
    return bad("has a month out of 01-12");
  if (tm.tm_mday < 1 || tm.tm_mday > month_days[tm.tm_mon] + (tm.tm_mon == 1 && leap))
    return bad("has a day its month does not have");
  if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
    return bad("has a time out of range (hours 00-23, minutes and seconds 00-59)");
  int offset_minutes = 0;
  if (m[8].matched) {
    if (number(9) > 23 || number(10) > 59)
      return bad("has an offset out of range (hours 00-23, minutes 00-59)");
    offset_minutes = (m.str(8) == "-" ? -1 : 1) * (number(9) * 60 + number(10));
  }
  instant out{static_cast<int64_t>(timegm(&tm)) - offset_minutes * 60, m.str(7)};
  out.fraction.erase(out.fraction.find_last_not_of('0') + 1);
  // Year 0 is refused as PostgreSQL refuses it; an offset can move a time across either end.
  std::time_t t = out.seconds;
  std::tm utc{};
  if (!gmtime_r(&t, &utc) || utc.tm_year + 1900 < 1 || utc.tm_year + 1900 > 9999)
    return bad("is outside the years 0001 to 9999 (in UTC)");
  return out;
}

/// `t` as RFC 3339 in UTC: "2020-01-01T00:00:00Z", with its fraction when it has one.
std::string utc_text(const instant& t) {
  std::time_t tt = t.seconds;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80];  // room for any int, as -Wformat-truncation counts
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf + (t.fraction.empty() ? "" : "." + t.fraction) + "Z";
}

// Geometries.

/// Whether `c` is positions nested `depth` deep (0: one position [lon, lat] or [lon, lat, h])
/// whose innermost lists hold `least` positions or more, and are closed rings when `least` is 4.
bool valid_coordinates(const json& c, int depth, size_t least) {
  if (depth == 0)
    return c.is_array() && (c.size() == 2 || c.size() == 3) &&
           std::all_of(c.begin(), c.end(), [](const json& n) {
             return n.is_number() && std::isfinite(n.get<double>());
           });
  if (!c.is_array() || (depth == 1 && (c.size() < least || (least == 4 && c.front() != c.back()))))
    return false;
  return std::all_of(c.begin(), c.end(),
                     [&](const json& x) { return valid_coordinates(x, depth - 1, least); });
}

/// Why `g` is not a GeoJSON geometry, or "" when it is one. Its coordinates are checked as
/// GeoJSON shapes them, so that the database is never handed one it would fail on.
std::string geometry_problem(const json& g) {
  // How deep a type's positions nest, and how many of them its lines (or rings) hold at least.
  static const std::map<std::string, std::pair<int, size_t>> shapes = {
    {"Point", {0, 0}},           {"MultiPoint", {1, 0}}, {"LineString", {1, 2}},
    {"MultiLineString", {2, 2}}, {"Polygon", {2, 4}},    {"MultiPolygon", {3, 4}}};
  auto type = g.is_object() ? g.value("type", json()) : json();
  if (type == "GeometryCollection") {
    auto parts = g.find("geometries");
    if (parts == g.end() || !parts->is_array())
      return "must be a GeoJSON geometry: a GeometryCollection needs an array of geometries";
    for (const auto& part : *parts)
      if (auto why = geometry_problem(part); !why.empty())
        return why;
    return "";
  }
  auto shape = type.is_string() ? shapes.find(type.get<std::string>()) : shapes.end();
  if (shape == shapes.end())
    return "must be a GeoJSON geometry: an object whose type is Point, MultiPoint, LineString, "
           "MultiLineString, Polygon, MultiPolygon or GeometryCollection";
  auto c = g.find("coordinates");
  if (c == g.end() || !valid_coordinates(*c, shape->second.first, shape->second.second))
    return "must be a GeoJSON geometry: the coordinates of a " + shape->first +
           " must be positions [lon, lat] nested as GeoJSON nests them (lines of 2 positions or "
           "more, rings closed and of 4 or more)";
  return "";
}

// Searches.

/// Why `keys` cannot sort a search, or "" when they can; "properties.datetime" is read as
/// "datetime", as STAC clients write item properties either way.
std::string sortby_problem(std::vector<sort_key>& keys) {
  static const std::string prefix = "properties.";
  std::vector<std::string> sortable;
  for (const auto& q : queryables)
    if (q.sortable)
      sortable.emplace_back(q.name);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& name = keys[i].property;
    if (name.compare(0, prefix.size(), prefix) == 0)
      name.erase(0, prefix.size());
    const auto* q = find_queryable(name);
    std::string why;
    if (name.empty())
      why = "names an empty field";
    else if (!q)
      why = cited(name) + " is not a queryable";
    else if (!q->sortable)
      why = cited(name) + " cannot be sorted on";
    else if (std::any_of(keys.begin(), keys.begin() + i,
                         [&](const sort_key& k) { return k.property == name; }))
      why = cited(name) + " is named twice";
    if (!why.empty())
      return why + " (sortable: " + joined(sortable) + ")";
  }
  return "";
}

/// A search from its members in their JSON form (a POST body, or a GET query turned into one);
/// each bad member is reported, named.
stac_search read_search(const json& body, std::vector<field_error>& errors) {
  stac_search s;
  auto fail = [&](const char* field, std::string why) {
    errors.push_back({field, std::move(why)});
  };
  // A null member is an absent one, as STAC clients send them.
  auto get = [&](const char* name) -> const json* {
    auto i = body.find(name);
    return i == body.end() || i->is_null() ? nullptr : &*i;
  };
  auto array_of = [](const json& v, bool (json::*is)() const noexcept) {
    return v.is_array() &&
           std::all_of(v.begin(), v.end(), [&](const json& x) { return (x.*is)(); });
  };
  if (const auto* v = get("bbox")) {
    bool numbers = array_of(*v, &json::is_number);
    auto n = numbers ? v->get<std::vector<double>>() : std::vector<double>{};
    // A 3D box is west,south,min height,east,north,max height; a search has no heights to test.
    if (n.size() == 6)
      n = {n[0], n[1], n[3], n[4]};
    if (!numbers)
      fail("bbox", std::string{"must be an array of numbers; "} + bbox_count);
    else if (n.size() != 4)
      fail("bbox", bbox_count);
    else if (std::fabs(n[0]) > 180 || std::fabs(n[2]) > 180)
      fail("bbox", "longitudes (west, east) must be within -180 to 180");
    else if (std::fabs(n[1]) > 90 || std::fabs(n[3]) > 90)
      fail("bbox", "latitudes (south, north) must be within -90 to 90");
    else if (n[1] > n[3])
      fail("bbox", "south must not be greater than north");
    else  // west > east is a box across the antimeridian, as STAC writes it
      s.bbox = std::array<double, 4>{n[0], n[1], n[2], n[3]};
  }
  if (const auto* v = get("intersects")) {
    if (auto why = geometry_problem(*v); !why.empty())
      fail("intersects", why);
    else
      s.intersects_geojson = v->dump();
  }
  if (const auto* v = get("datetime")) {
    std::string why = "must be a string: a date-time or an interval start/end";
    if (v->is_string())
      s.datetime = parse_datetime(v->get<std::string>(), why);
    if (!s.datetime)
      fail("datetime", why);
  }
  for (auto [name, names] : {std::pair{"ids", &s.ids}, std::pair{"collections", &s.collections}}) {
    const auto* v = get(name);
    if (v && !array_of(*v, &json::is_string))
      fail(name, "must be an array of strings");
    else if (v && std::any_of(v->begin(), v->end(), [](const json& x) { return x == ""; }))
      fail(name, "must not hold an empty name");
    else if (v)
      *names = v->get<std::vector<std::string>>();
  }
  if (const auto* v = get("limit")) {
    // An unsigned count may be beyond int64_t: clamped first.
    int64_t n = v->is_number_unsigned()
                  ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), max_search_limit))
                  : v->is_number_integer() ? v->get<int64_t>() : 0;
    if (n < 1)
      fail("limit", "must be a whole number from 1 (values above " +
                      std::to_string(max_search_limit) + " are lowered to " +
                      std::to_string(max_search_limit) + ")");
    else
      s.limit = static_cast<int>(std::min<int64_t>(n, max_search_limit));
  }
  if (const auto* v = get("sortby")) {
    std::vector<sort_key> keys;
    auto key = [&](const json& k) {
      auto field = k.find("field"), direction = k.find("direction");
      if (!k.is_object() || k.size() != 2 || field == k.end() || !field->is_string() ||
          direction == k.end() || (*direction != "asc" && *direction != "desc"))
        return false;
      keys.push_back({field->get<std::string>(), *direction == "asc"});
      return true;
    };
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), key))
      fail("sortby", "must be an array of {\"field\": a queryable, \"direction\": \"asc\" or "
                     "\"desc\"}");
    else if (auto why = sortby_problem(keys); !why.empty())
      fail("sortby", why);
    else
      s.sortby = std::move(keys);
  }
  // CQL2 JSON unless filter-lang says otherwise (a GET query has said so when it sent text).
  const auto* lang = get("filter-lang");
  bool text = lang && *lang == "cql2-text";
  if (lang && !text && *lang != "cql2-json")
    fail("filter-lang", "must be cql2-text or cql2-json");
  else if (const auto* v = get("filter"); v && text && !v->is_string())
    fail("filter", "must be a string of CQL2 text with filter-lang cql2-text");
  else if (v && text)
    s.filter = parse_cql2_text(v->get<std::string>(), errors);
  else if (v && v->is_string())
    fail("filter", "must be CQL2 JSON (an object); CQL2 text needs filter-lang cql2-text");
  else if (v)
    s.filter = parse_cql2_json(*v, errors);
  if (const auto* v = get("filter-crs"); v && *v != crs84)
    fail("filter-crs", std::string{"must be "} + crs84 + " (the only one offered)");
  if (const auto* v = get("token")) {
    s.position = v->is_string() ? decode_token(v->get<std::string>()) : std::nullopt;
    if (!s.position)
      fail("token", "not a token of this service");
  }
  if (get("bbox") && get("intersects"))
    fail("intersects", "cannot be given together with bbox: give one of them");
  return s;
}

/// A GET query as the POST body of the same search (lists split, numbers and JSON read), so that
/// one reader checks both. Unknown, repeated and unreadable parameters are reported here.
json query_body(std::string_view query, bool items_route, std::vector<field_error>& errors) {
  static const std::vector<std::string> names = {
    "bbox", "collections", "datetime", "f",      "filter", "filter-crs", "filter-lang",
    "ids",  "intersects",  "limit",    "sortby", "token"};
  static const std::set<std::string> search_only = {"collections", "ids", "intersects"};
  std::vector<std::string> accepted;
  for (const auto& n : names)
    if (!items_route || !search_only.count(n))
      accepted.push_back(n);
  std::map<std::string, std::string> params;
  std::set<std::string> repeated;
  for (auto& [name, value] : io::http::query_pairs(query)) {
    if (std::find(accepted.begin(), accepted.end(), name) == accepted.end())
      errors.push_back(
        {name, search_only.count(name)
                 ? "is a parameter of /search; an items route searches its own collection"
                 : "is not a parameter of a search (accepted: " + joined(accepted) + ")"});
    else if (!params.emplace(name, value).second && repeated.insert(name).second)
      errors.push_back({name, "is given more than once"});
  }
  json body = json::object();
  for (auto [name, value] : params) {
    if (name == "f") {
      if (value != "json" && value != "geojson")
        errors.push_back({"f", "must be json or geojson (only GeoJSON is offered)"});
    } else if (name == "bbox") {
      auto numbers = json::array();
      for (auto part : split(value, ',')) {
        // A "+" sent unencoded arrives as a space.
        part.erase(0, part.find_first_not_of(" +"));
        double n = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
        if (part.empty() || ec != std::errc{} || end != part.data() + part.size() ||
            !std::isfinite(n)) {
          errors.push_back({"bbox", cited(part) + " is not a number; " + bbox_count});
          numbers = nullptr;
          break;
        }
        numbers.push_back(n);
      }
      body[name] = numbers;
    } else if (name == "ids" || name == "collections") {
      body[name] = split(value, ',');
    } else if (name == "intersects") {
      body[name] = json::parse(value, nullptr, false);
      if (body[name].is_discarded() || body[name].is_null()) {
        errors.push_back({name, "must be a GeoJSON geometry written as JSON"});
        body.erase(name);
      }
    } else if (name == "limit") {
      // Too many digits for int64_t leaves it at its largest: far above the largest limit.
      int64_t n = std::numeric_limits<int64_t>::max();
      bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
      if (digits)
        std::from_chars(value.data(), value.data() + value.size(), n);
      body[name] = digits ? json(n) : json(value);
    } else if (name == "sortby") {
      auto& keys = body[name] = json::array();
      for (auto field : split(value, ',')) {
        // "+" is ascending, and arrives as a space when it was sent unencoded.
        bool descending = !field.empty() && field[0] == '-';
        if (!field.empty() && (field[0] == '-' || field[0] == '+' || field[0] == ' '))
          field.erase(0, 1);
        keys.push_back({{"field", field}, {"direction", descending ? "desc" : "asc"}});
      }
    } else if (name == "datetime") {
      // A "+" of an offset sent unencoded arrives as a space, which a date-time never holds.
      std::replace(value.begin(), value.end(), ' ', '+');
      body[name] = value;
    } else if (name != "filter") {
      body[name] = value;
    }
  }
  if (auto filter = params.find("filter"); filter != params.end()) {
    // CQL2 text unless filter-lang says it is CQL2 JSON.
    if (!body.contains("filter-lang"))
      body["filter-lang"] = "cql2-text";
    if (body["filter-lang"] != "cql2-json")
      body["filter"] = filter->second;
    else if (auto expr = json::parse(filter->second, nullptr, false);
             expr.is_discarded() || expr.is_null())
      errors.push_back({"filter", "must be CQL2 JSON text with filter-lang cql2-json"});
    else
      body["filter"] = expr;
  }
  return body;
}

// Tokens.

std::string base64url(std::string_view data) {
  auto out = base64_encode(data);
  out.erase(out.find_last_not_of('=') + 1);
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

/// The bytes of base64url text without padding; nothing when a character is not of its alphabet.
std::optional<std::string> base64url_bytes(std::string_view text) {
  static const std::string alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    auto v = alphabet.find(c);
    if (v == std::string::npos)
      return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

/// A query string without its token pairs, the others kept as they were written.
std::string without_token(std::string_view query) {
  std::string out;
  for (const auto& pair : split(query, '&')) {
    auto decoded = io::http::query_pairs(pair);
    if (!decoded.empty() && decoded[0].first != "token")
      out += (out.empty() ? "" : "&") + pair;
  }
  return out;
}

}  // namespace

std::optional<time_interval> parse_datetime(std::string_view text, std::string& error) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    auto t = parse_instant(text, error);
    if (!t)
      return std::nullopt;
    return time_interval{utc_text(*t), utc_text(*t)};
  }
  if (text.find('/', slash + 1) != std::string_view::npos) {
    error = "must be a date-time or an interval start/end (one '/')";
    return std::nullopt;
  }
  auto first = text.substr(0, slash), last = text.substr(slash + 1);
  bool open_start = first.empty() || first == "..", open_end = last.empty() || last == "..";
  if (open_start && open_end) {
    error = "an interval needs at least one end (../.. is not accepted: leave datetime out)";
    return std::nullopt;
  }
  std::optional<instant> start, end;
  if ((!open_start && !(start = parse_instant(first, error))) ||
      (!open_end && !(end = parse_instant(last, error))))
    return std::nullopt;
  if (start && end && *end < *start) {
    error = "the end of the interval is before its start";
    return std::nullopt;
  }
  return time_interval{start ? utc_text(*start) : "", end ? utc_text(*end) : ""};
}

stac_search parse_search_query(std::string_view query, std::vector<field_error>& errors) {
  return read_search(query_body(query, false, errors), errors);
}

stac_search parse_items_query(std::string_view query, const std::string& cid,
                              std::vector<field_error>& errors) {
  auto s = read_search(query_body(query, true, errors), errors);
  s.collections = {cid};
  return s;
}

stac_search parse_search_body(const json& body, std::vector<field_error>& errors) {
  if (!body.is_object()) {
    errors.push_back({"(body)", "must be a JSON object"});
    return {};
  }
  // fields (the Fields extension) is accepted and ignored: items are served whole.
  static const std::vector<std::string> members = {
    "bbox", "collections", "datetime", "fields", "filter", "filter-crs", "filter-lang",
    "ids",  "intersects",  "limit",    "sortby", "token"};
  for (const auto& item : body.items())
    if (std::find(members.begin(), members.end(), item.key()) == members.end())
      errors.push_back(
        {item.key(), "is not a member of a search (accepted: " + joined(members) + ")"});
  return read_search(body, errors);
}

std::string encode_token(const page_position& p) {
  json doc = {{"b", p.backwards ? 1 : 0}, {"v", p.values}};
  return base64url(doc.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::optional<page_position> decode_token(std::string_view token) {
  if (token.empty() || token.size() > max_token_size)
    return std::nullopt;
  auto text = base64url_bytes(token);
  if (!text)
    return std::nullopt;
  auto doc = json::parse(*text, nullptr, false);
  if (!doc.is_object() || doc.size() != 2 || !doc.contains("b") || !doc.contains("v"))
    return std::nullopt;
  const auto &b = doc["b"], &v = doc["v"];
  if (!b.is_number_integer() || (b != 0 && b != 1) || !v.is_array() ||
      !std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); }))
    return std::nullopt;
  page_position p{b == 1, v.get<std::vector<std::string>>()};
  // Only the exact text this service writes is one of its tokens (no padding, spacing or
  // reordering), so that a token names one position only.
  if (encode_token(p) != token)
    return std::nullopt;
  return p;
}

std::string normalised(const stac_search& s) {
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  json doc = {{"limit", s.limit}};
  if (!s.collections.empty())
    doc["collections"] = sorted(s.collections);
  if (!s.ids.empty())
    doc["ids"] = sorted(s.ids);
  if (s.bbox)
    doc["bbox"] = *s.bbox;
  if (!s.intersects_geojson.empty())
    doc["intersects"] = json::parse(s.intersects_geojson, nullptr, false);
  if (s.datetime)
    doc["datetime"] = (s.datetime->start.empty() ? ".." : s.datetime->start) + "/" +
                      (s.datetime->end.empty() ? ".." : s.datetime->end);
  if (s.filter)
    doc["filter"] = to_cql2_json(*s.filter);
  if (!s.sortby.empty()) {
    auto& keys = doc["sortby"] = json::array();
    for (const auto& k : s.sortby)
      keys.push_back((k.ascending ? "+" : "-") + k.property);
  }
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

json search_links(const std::string& href, const std::string& root_href,
                  const std::optional<std::string>& query, const std::optional<json>& body,
                  const std::optional<page_position>& next,
                  const std::optional<page_position>& prev) {
  bool get = !body;
  auto self = href + (get && query && !query->empty() ? "?" + *query : "");
  auto links = json::array({{{"rel", "self"}, {"href", self}, {"type", geojson_type}},
                            {{"rel", "root"}, {"href", root_href}, {"type", "application/json"}}});
  auto page = [&](const char* rel, const page_position& p) {
    auto token = encode_token(p);
    if (get) {
      auto rest = without_token(query.value_or(""));
      auto url = href + "?" + rest + (rest.empty() ? "" : "&") + "token=" +
                 io::http::encode_segment(token);
      links.push_back({{"rel", rel}, {"href", url}, {"type", geojson_type}});
      return;
    }
    // Only the token, merged by the client into the body it sent: the links then depend on the
    // search's meaning only, not on how its body was written (a cache keys on that meaning).
    links.push_back({{"rel", rel},
                     {"href", href},
                     {"type", geojson_type},
                     {"method", "POST"},
                     {"body", {{"token", token}}},
                     {"merge", true}});
  };
  if (next)
    page("next", *next);
  if (prev)
    page("prev", *prev);
  return links;
}

}  // namespace gp::io::stac
