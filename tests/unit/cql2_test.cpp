// CQL2 filters (io/stac/cql2): the JSON and the text encodings parsed into one checked tree,
// refusals naming what was refused (the operator, the property, the character position), the
// limits on abusive filters, and the canonical JSON a tree is written back to.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/stac/cql2.hpp"

using namespace gp;
using namespace gp::io::stac;
using json = nlohmann::json;
using kind = filter_node::kind;
using value_kind = filter_value::kind;

namespace {

/// A parse and what it reported.
struct parsed {
  std::optional<filter_node> node;
  std::vector<io::http::field_error> errors;
  /// The error's message (parsing stops at the first).
  std::string message() const { return errors.empty() ? "" : errors[0].message; }
};

/// `parse` (parse_cql2_json or parse_cql2_text) of `filter`.
template <class Filter, class Parse>
parsed parse_with(const Filter& filter, Parse parse) {
  parsed p;
  p.node = parse(filter, p.errors, "filter");
  return p;
}
parsed from_json(const json& expr) { return parse_with(expr, parse_cql2_json); }
parsed from_text(std::string_view text) { return parse_with(text, parse_cql2_text); }

/// What refusing `expr` reported ("" when it was accepted).
std::string refusal(const json& expr) { return from_json(expr).message(); }
std::string text_refusal(std::string_view text) { return from_text(text).message(); }

/// The tree of `expr` or `text`, which must parse (an empty constant, then).
filter_node tree(const json& expr) {
  auto p = from_json(expr);
  EXPECT_TRUE(p.node) << expr << ": " << p.message();
  return p.node.value_or(filter_node{});
}
filter_node text_tree(std::string_view text) {
  auto p = from_text(text);
  EXPECT_TRUE(p.node) << text << ": " << p.message();
  return p.node.value_or(filter_node{});
}

/// The JSON form of `text`, which must parse.
json text_json(std::string_view text) {
  std::vector<io::http::field_error> errors;
  auto out = cql2_text_to_json(text, errors);
  EXPECT_TRUE(out) << text << ": " << (errors.empty() ? "" : errors[0].message);
  return out.value_or(json());
}

/// The syntax error of `text`, which must not parse.
std::string syntax_error(std::string_view text) {
  std::vector<io::http::field_error> errors;
  EXPECT_FALSE(cql2_text_to_json(text, errors)) << text;
  return errors.empty() ? "" : errors[0].message;
}

::testing::AssertionResult mentions(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << '"' << message << "\" lacks \"" << part << '"';
}

json prop(const std::string& name) { return {{"property", name}}; }
json timestamp(const std::string& t) { return {{"timestamp", t}}; }
json date(const std::string& d) { return {{"date", d}}; }
json interval(json start, json end) { return {{"interval", json::array({start, end})}}; }
json bbox(double w, double s, double e, double n) { return {{"bbox", {w, s, e, n}}}; }

/// {"op": name, "args": [args…]}
template <class... Args>
json op(const std::string& name, Args&&... args) {
  return {{"op", name}, {"args", json::array({json(std::forward<Args>(args))...})}};
}
json op_of(const std::string& name, json args) { return {{"op", name}, {"args", args}}; }

bool same_tree(const filter_node& a, const filter_node& b) {
  auto same_value = [](const filter_value& x, const filter_value& y) {
    return x.type == y.type && x.text == y.text && x.number == y.number && x.boolean == y.boolean;
  };
  return a.type == b.type && a.op == b.op && a.property == b.property &&
         a.geometry_geojson == b.geometry_geojson &&
         std::equal(a.values.begin(), a.values.end(), b.values.begin(), b.values.end(),
                    same_value) &&
         std::equal(a.children.begin(), a.children.end(), b.children.begin(), b.children.end(),
                    same_tree);
}

/// `depth` nested nots around a comparison (depth + 1 levels).
json nested_nots(int depth) {
  json e = op("=", prop("id"), "a");
  for (int i = 0; i < depth; ++i)
    e = op("not", e);
  return e;
}

}  // namespace

// ---- CQL2 JSON --------------------------------------------------------------------------------

TEST(Cql2Json, ComparisonsKeepPropertyOperatorAndLiteral) {
  for (std::string o : {"=", "<>", "<", "<=", ">", ">="}) {
    auto p = tree(op(o, prop("ddh:dataset_id"), "abc"));
    EXPECT_EQ(p.type, kind::comparison);
    EXPECT_EQ(p.op, o);
    EXPECT_EQ(p.property, "ddh:dataset_id");
    EXPECT_EQ(p.values.at(0).type, value_kind::string);
    EXPECT_EQ(p.values.at(0).text, "abc");
  }
}

TEST(Cql2Json, LiteralBeforePropertyMirrorsTheOperator) {
  std::pair<const char*, const char*> mirrored[] = {
    {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}, {"=", "="}, {"<>", "<>"}};
  for (auto [written, stored] : mirrored) {
    auto p = tree(op(written, 5, prop("vector:feature_count")));
    EXPECT_EQ(p.op, stored);
    EXPECT_EQ(p.property, "vector:feature_count");
    EXPECT_EQ(p.values.at(0).number, 5);
  }
}

TEST(Cql2Json, ComparisonWithWrongArityOrNoPropertyIsRefused) {
  std::vector<io::http::field_error> errors;
  EXPECT_FALSE(parse_cql2_json(op("<=", prop("id")), errors, "filter[2]"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "filter[2]");
  EXPECT_TRUE(mentions(errors[0].message, "\"<=\" takes 2 arguments"));
  EXPECT_TRUE(mentions(refusal(op("=", "a", "b")), "\"=\" compares a property"));
  EXPECT_TRUE(mentions(refusal(op("=", prop("id"), prop("collection"))), "two properties"));
}

TEST(Cql2Json, UnknownPropertyIsNamedWithTheQueryables) {
  auto p = from_json(op("=", prop("eo:cloud_cover"), 5));
  EXPECT_FALSE(p.node);
  EXPECT_TRUE(mentions(p.message(), "unknown property \"eo:cloud_cover\" (queryables: id, "
                                    "collection, geometry, datetime"));
}

TEST(Cql2Json, LiteralsOfTheWrongTypeNameTheProperty) {
  EXPECT_TRUE(mentions(refusal(op("=", prop("collection"), 3)),
                       "\"collection\" takes strings, not a number"));
  EXPECT_TRUE(mentions(refusal(op(">", prop("proj:epsg"), "4326")),
                       "\"proj:epsg\" takes integers, not a string"));
  EXPECT_TRUE(mentions(refusal(op(">", prop("proj:epsg"), 1.5)), "takes integers, not 1.5"));
  EXPECT_TRUE(mentions(refusal(op("<", prop("datetime"), "2024-01-01T00:00:00Z")),
                       "\"datetime\" takes timestamps or dates"));
  EXPECT_TRUE(mentions(refusal(op("=", prop("id"), true)), "\"id\" takes strings, not a boolean"));
  EXPECT_TRUE(mentions(refusal(op("=", prop("geometry"), "x")),
                       "\"geometry\" can only be used in s_intersects"));
  EXPECT_TRUE(mentions(refusal(op("=", prop("id"), nullptr)), "null is not a value"));
}

TEST(Cql2Json, LiteralsKeepTheirTypeAndText) {
  auto n = tree(op(">=", prop("vector:feature_count"), 1000));
  EXPECT_EQ(n.values.at(0).type, value_kind::number);
  EXPECT_EQ(n.values.at(0).text, "1000");
  EXPECT_EQ(n.values.at(0).number, 1000);
  auto t = tree(op("<", prop("datetime"), timestamp("2024-02-29T23:59:60.5+05:30")));
  EXPECT_EQ(t.values.at(0).type, value_kind::timestamp);
  EXPECT_EQ(t.values.at(0).text, "2024-02-29T23:59:60.5+05:30");
  EXPECT_EQ(tree(op("=", prop("end_datetime"), date("2024-12-31"))).values.at(0).type,
            value_kind::date);
}

TEST(Cql2Json, TimestampsMustBeRfc3339WithValidRanges) {
  for (const char* bad :
       {"2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+5:00", "2024-01-01T00:00:00.Z", "2024-1-01T00:00:00Z",
        "2024-01-01T00:00:00+24:00", "2024-01-01"})
    EXPECT_TRUE(mentions(refusal(op("=", prop("datetime"), timestamp(bad))),
                         "not an RFC 3339 timestamp"))
      << bad;
  for (const char* good : {"2024-01-01T00:00:00Z", "2000-02-29t12:30:45z",
                           "2024-06-30T23:59:59-07:00", "2024-01-01T00:00:00.123456789Z"})
    EXPECT_EQ(refusal(op("=", prop("datetime"), timestamp(good))), "") << good;
  EXPECT_TRUE(mentions(refusal(op("=", prop("datetime"), date("2024-04-31"))), "not a date"));
}

TEST(Cql2Json, AndOrNotNestTheirChildren) {
  auto a = op("=", prop("id"), "a");
  auto b = op("isNull", prop("proj:epsg"));
  auto p = tree(op("or", op("and", a, b), op("not", a)));
  EXPECT_EQ(p.type, kind::any_of);
  EXPECT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children.at(0).type, kind::all_of);
  EXPECT_EQ(p.children.at(0).children.size(), 2u);
  EXPECT_EQ(p.children.at(1).type, kind::negation);
  EXPECT_EQ(p.children.at(1).children.at(0).type, kind::comparison);
}

TEST(Cql2Json, AndOrNotWithWrongArityAreRefused) {
  auto a = op("=", prop("id"), "a");
  EXPECT_TRUE(mentions(refusal(op("and", a)), "\"and\" takes 2 or more expressions, got 1"));
  EXPECT_TRUE(mentions(refusal(op("or")), "\"or\" takes 2 or more expressions, got 0"));
  EXPECT_TRUE(mentions(refusal(op("not", a, a)), "\"not\" takes 1 expression, got 2"));
  EXPECT_TRUE(mentions(refusal(op("and", a, "id")), "expected an expression"));
}

TEST(Cql2Json, LikeTakesAStringPropertyAndPattern) {
  auto p = tree(op("like", prop("id"), "lux_%"));
  EXPECT_EQ(p.type, kind::like);
  EXPECT_EQ(p.values.at(0).text, "lux_%");
  EXPECT_TRUE(mentions(refusal(op("like", prop("proj:epsg"), "43%")),
                       "\"like\" needs a string property; \"proj:epsg\" is an integer"));
  EXPECT_TRUE(mentions(refusal(op("like", prop("id"), 4)), "string pattern"));
  EXPECT_TRUE(mentions(refusal(op("like", prop("id"))), "\"like\" takes 2 arguments"));
}

TEST(Cql2Json, InChecksEveryValue) {
  auto p = tree(op("in", prop("collection"), json::array({"a", "b", "c"})));
  EXPECT_EQ(p.type, kind::in_list);
  EXPECT_EQ(p.values.size(), 3u);
  EXPECT_EQ(p.values.at(2).text, "c");
  EXPECT_TRUE(mentions(refusal(op("in", prop("collection"), json::array({"a", 2}))),
                       "\"collection\" takes strings, not a number"));
  EXPECT_TRUE(mentions(refusal(op("in", prop("id"), json::array())), "non-empty list"));
  EXPECT_TRUE(mentions(refusal(op("in", prop("id"), "a")), "non-empty list"));
  EXPECT_TRUE(mentions(refusal(op("in", prop("id"))), "\"in\" takes 2 arguments"));
}

TEST(Cql2Json, BetweenTakesALowAndAHighValue) {
  auto p = tree(op("between", prop("vector:feature_count"), 10, 20));
  EXPECT_EQ(p.type, kind::between);
  EXPECT_EQ(p.values.at(0).number, 10);
  EXPECT_EQ(p.values.at(1).number, 20);
  EXPECT_TRUE(mentions(refusal(op("between", prop("vector:feature_count"), 10)),
                       "\"between\" takes 3 arguments"));
  EXPECT_TRUE(mentions(refusal(op("between", prop("vector:feature_count"), "a", "z")),
                       "\"vector:feature_count\" takes integers"));
}

TEST(Cql2Json, IsNullTakesOneNonGeometryProperty) {
  auto p = tree(op("isNull", prop("proj:epsg")));
  EXPECT_EQ(p.type, kind::is_null);
  EXPECT_EQ(p.property, "proj:epsg");
  EXPECT_TRUE(mentions(refusal(op("isNull", prop("id"), 1)), "\"isNull\" takes 1 argument"));
  EXPECT_TRUE(mentions(refusal(op("isNull", prop("geometry"))),
                       "\"geometry\" can only be used in s_intersects"));
  EXPECT_TRUE(mentions(refusal(op("isNull", "id")), "takes a property"));
}

TEST(Cql2Json, SIntersectsKeepsTheGeometryAndTurnsABboxIntoAPolygon) {
  json point = {{"type", "Point"}, {"coordinates", {6.1, 49.6}}, {"bbox", {6.1, 49.6, 6.1, 49.6}}};
  auto p = tree(op("s_intersects", prop("geometry"), point));
  EXPECT_EQ(p.type, kind::s_intersects);
  EXPECT_EQ(p.property, "geometry");
  EXPECT_EQ(json::parse(p.geometry_geojson),
            json({{"type", "Point"}, {"coordinates", {6.1, 49.6}}}));
  auto box = tree(op("s_intersects", bbox(5, 49, 7, 51), prop("geometry")));
  auto polygon = json::parse(box.geometry_geojson);
  EXPECT_EQ(polygon["type"], "Polygon");
  EXPECT_EQ(polygon["coordinates"][0], json({{5, 49}, {7, 49}, {7, 51}, {5, 51}, {5, 49}}));
  auto across = tree(op("s_intersects", prop("geometry"), bbox(170, -10, -170, 10)));
  EXPECT_EQ(json::parse(across.geometry_geojson)["type"], "MultiPolygon");
}

TEST(Cql2Json, SIntersectsRefusesBadGeometriesAndOtherProperties) {
  auto intersecting = [](json geometry) {
    return refusal(op("s_intersects", prop("geometry"), std::move(geometry)));
  };
  json open_ring = {{"type", "Polygon"}, {"coordinates", {{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}};
  EXPECT_TRUE(mentions(intersecting(open_ring), "must end where it starts"));
  EXPECT_TRUE(mentions(intersecting({{"type", "Point"}, {"coordinates", {200, 0}}}), "EPSG:4326"));
  EXPECT_TRUE(mentions(intersecting({{"type", "GeometryCollection"}, {"coordinates", 0}}),
                       "unsupported type \"GeometryCollection\""));
  EXPECT_TRUE(mentions(intersecting(bbox(0, 10, 1, 5)), "south <= north"));
  json point = {{"type", "Point"}, {"coordinates", {0, 0}}};
  EXPECT_TRUE(mentions(refusal(op("s_intersects", prop("id"), point)),
                       "property \"id\" is not a geometry"));
  EXPECT_TRUE(mentions(refusal(op("s_intersects", prop("geometry"))),
                       "\"s_intersects\" takes 2 arguments"));
  EXPECT_TRUE(mentions(refusal(op("=", prop("id"), point)), "only allowed in s_intersects"));
}

TEST(Cql2Json, TIntersectsTakesAnInstantOrAnOpenInterval) {
  auto instant = tree(op("t_intersects", prop("datetime"), date("2024-05-01")));
  EXPECT_EQ(instant.type, kind::t_intersects);
  EXPECT_EQ(instant.property, "datetime");
  EXPECT_EQ(instant.values.at(0).text, "2024-05-01");
  EXPECT_EQ(instant.values.at(1).text, "2024-05-01");
  auto open =
    tree(op("t_intersects", interval("2024-01-01T00:00:00Z", ".."), prop("end_datetime")));
  EXPECT_EQ(open.property, "end_datetime");
  EXPECT_EQ(open.values.at(0).type, value_kind::timestamp);
  EXPECT_EQ(open.values.at(0).text, "2024-01-01T00:00:00Z");
  EXPECT_EQ(open.values.at(1).text, "..");
  auto range = tree(op("t_intersects", interval(prop("start_datetime"), prop("end_datetime")),
                       interval("..", "2024-03-01")));
  EXPECT_EQ(range.property, "");
  EXPECT_EQ(range.values.at(0).text, "..");
  EXPECT_EQ(range.values.at(1).type, value_kind::date);
}

TEST(Cql2Json, TIntersectsRefusesOtherPropertiesAndNonTimes) {
  EXPECT_TRUE(mentions(refusal(op("t_intersects", prop("collection"), date("2024-05-01"))),
                       "property \"collection\" is not a datetime"));
  EXPECT_TRUE(mentions(refusal(op("t_intersects", prop("datetime"), "2024-05-01")),
                       "takes a timestamp, a date or an interval"));
  EXPECT_TRUE(mentions(refusal(op("t_intersects", prop("datetime"), interval("2024-05-01", "x"))),
                       "\"x\" is not an RFC 3339 timestamp"));
  EXPECT_TRUE(mentions(refusal(op("t_intersects", interval(prop("end_datetime"), prop("datetime")),
                                  date("2024-05-01"))),
                       "the item's interval is [start_datetime, end_datetime]"));
  EXPECT_TRUE(mentions(refusal(op("t_intersects", prop("datetime"))),
                       "\"t_intersects\" takes 2 arguments"));
}

TEST(Cql2Json, BooleansAreConstants) {
  auto p = tree(false);
  EXPECT_EQ(p.type, kind::constant);
  EXPECT_FALSE(p.values.at(0).boolean);
  EXPECT_EQ(to_cql2_json(p), false);
  EXPECT_EQ(refusal(op("and", true, op("=", prop("id"), "a"))), "");
}

TEST(Cql2Json, UnknownOperatorIsNamed) {
  EXPECT_TRUE(mentions(refusal(op("s_within", prop("geometry"), bbox(0, 0, 1, 1))),
                       "unknown operator \"s_within\""));
  EXPECT_TRUE(mentions(refusal(op("=", prop("id"), op("casei", "a"))),
                       "unknown operator \"casei\""));
}

TEST(Cql2Json, MalformedDocumentsAreReportedNotThrown) {
  for (const json& junk :
       {json(), json(3), json("id = 'a'"), json::array(), json::object(),
        json({{"op", 5}, {"args", json::array()}}), json({{"op", "and"}}),
        op("=", json({{"property", 7}}), "a"), op("in", prop("id"), json::array({json::array()})),
        op("t_intersects", prop("datetime"), json({{"interval", 3}}))}) {
    std::vector<io::http::field_error> errors;
    EXPECT_NO_THROW(EXPECT_FALSE(parse_cql2_json(junk, errors)) << junk);
    EXPECT_EQ(errors.size(), 1u) << junk;
  }
}

// ---- limits -----------------------------------------------------------------------------------

TEST(Cql2Limits, NestingDeeperThan64IsRefused) {
  EXPECT_EQ(refusal(nested_nots(63)), "");
  EXPECT_TRUE(mentions(refusal(nested_nots(64)), "the filter nests deeper than 64 levels"));
  std::string parens(100000, '(');
  EXPECT_TRUE(mentions(text_refusal(parens + "id = 'a'" + std::string(100000, ')')),
                       "syntax error at character 65: the filter nests deeper than 64 levels"));
  std::string nots;
  for (int i = 0; i < 5000; ++i)
    nots += "NOT ";
  EXPECT_TRUE(mentions(text_refusal(nots + "id = 'a'"), "nests deeper than 64 levels"));
  EXPECT_TRUE(mentions(text_refusal(std::string(5000, '(')), "nests deeper than 64 levels"));
}

TEST(Cql2Limits, MoreThan1000TermsAreRefused) {
  json many = json::array();
  for (int i = 0; i < 1000; ++i)
    many.push_back(op("=", prop("id"), std::to_string(i)));
  EXPECT_TRUE(mentions(refusal(op_of("or", many)), "the filter has more than 1000 terms"));
  json values = json::array();
  for (int i = 0; i < 1000; ++i)
    values.push_back(std::to_string(i));
  EXPECT_TRUE(mentions(refusal(op("in", prop("id"), values)), "more than 1000 terms"));
  values.erase(values.begin());
  EXPECT_EQ(refusal(op("in", prop("id"), values)), "");
}

// ---- CQL2 text --------------------------------------------------------------------------------

TEST(Cql2Text, ComparisonsBecomeCql2Json) {
  for (std::string o : {"=", "<>", "<", "<=", ">", ">="})
    EXPECT_EQ(text_json("collection " + o + " 'a_rasters'"),
              op(o, prop("collection"), "a_rasters"))
      << o;
  auto mirrored = text_tree("5<vector:feature_count");
  EXPECT_EQ(mirrored.op, ">");
  EXPECT_TRUE(mentions(text_refusal("vector:feature_count = 'x'"),
                       "\"vector:feature_count\" takes integers"));
}

TEST(Cql2Text, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(text_json("id = 'a' and not collection = 'b' Or ID iS nUlL"),
            text_json("id = 'a' AND NOT collection = 'b' OR ID IS NULL"));
  EXPECT_EQ(text_json("s_intersects(geometry, point(1 2))"),
            text_json("S_INTERSECTS(geometry, POINT(1 2))"));
  EXPECT_EQ(text_json("True"), true);
}

TEST(Cql2Text, AndBindsTighterThanOrAndParenthesesOverride) {
  auto a = op("=", prop("id"), "a");
  auto b = op("=", prop("id"), "b");
  auto c = op("=", prop("id"), "c");
  EXPECT_EQ(text_json("id = 'a' OR id = 'b' AND id = 'c'"), op("or", a, op("and", b, c)));
  EXPECT_EQ(text_json("(id = 'a' OR id = 'b') AND id = 'c'"), op("and", op("or", a, b), c));
  EXPECT_EQ(text_json("NOT id = 'a' AND id = 'b'"), op("and", op("not", a), b));
  EXPECT_EQ(text_json("NOT (id = 'a' OR id = 'b')"), op("not", op("or", a, b)));
  EXPECT_EQ(text_json("id = 'a' AND id = 'b' AND id = 'c'"), op("and", a, b, c));
  EXPECT_TRUE(mentions(syntax_error("(id = 'a'"), "syntax error at character 10: expected ')'"));
  EXPECT_TRUE(mentions(syntax_error("id = 'a' AND"), "character 13: expected a value"));
}

TEST(Cql2Text, LikeAndNotLike) {
  EXPECT_EQ(text_json("id LIKE 'lux%'"), op("like", prop("id"), "lux%"));
  EXPECT_EQ(text_json("id NOT LIKE 'lux%'"), op("not", op("like", prop("id"), "lux%")));
  EXPECT_TRUE(mentions(text_refusal("proj:epsg LIKE '43%'"), "\"proj:epsg\" is an integer"));
  EXPECT_TRUE(mentions(syntax_error("id NOT = 'a'"), "expected LIKE, IN or BETWEEN after NOT"));
}

TEST(Cql2Text, InAndNotIn) {
  EXPECT_EQ(text_json("collection IN ('a', 'b')"),
            op("in", prop("collection"), json::array({"a", "b"})));
  auto p = text_tree("proj:epsg NOT IN (4326, 3857)");
  EXPECT_EQ(p.type, kind::negation);
  EXPECT_EQ(p.children.at(0).values.size(), 2u);
  EXPECT_TRUE(mentions(text_refusal("proj:epsg IN ('4326')"), "takes integers"));
  EXPECT_TRUE(mentions(text_refusal("id IN ()"), "non-empty list"));
  EXPECT_TRUE(mentions(syntax_error("id IN ('a' 'b')"), "character 12: expected ',' or ')'"));
}

TEST(Cql2Text, BetweenAndNotBetween) {
  EXPECT_EQ(text_json("vector:feature_count BETWEEN 1 AND 5"),
            op("between", prop("vector:feature_count"), 1, 5));
  auto p = text_tree("vector:feature_count NOT BETWEEN 1 AND 5 AND id = 'a'");
  EXPECT_EQ(p.type, kind::all_of);
  EXPECT_EQ(p.children.at(0).type, kind::negation);
  EXPECT_EQ(p.children.at(0).children.at(0).type, kind::between);
  EXPECT_TRUE(mentions(syntax_error("proj:epsg BETWEEN 1 5"), "character 21: expected AND"));
  EXPECT_TRUE(mentions(text_refusal("id BETWEEN 1 AND 5"), "\"id\" takes strings"));
}

TEST(Cql2Text, IsNullAndIsNotNull) {
  EXPECT_EQ(text_json("proj:epsg IS NULL"), op("isNull", prop("proj:epsg")));
  EXPECT_EQ(text_json("proj:epsg IS NOT NULL"), op("not", op("isNull", prop("proj:epsg"))));
  EXPECT_TRUE(mentions(syntax_error("proj:epsg IS 4326"), "character 14: expected NULL"));
  EXPECT_TRUE(mentions(text_refusal("nope IS NULL"), "unknown property \"nope\""));
}

TEST(Cql2Text, LiteralsOfEveryKind) {
  EXPECT_EQ(text_json("id = 'it''s'"), op("=", prop("id"), "it's"));
  EXPECT_EQ(text_json("id = ''''"), op("=", prop("id"), "'"));
  auto number = [](const std::string& text) { return text_json("proj:epsg = " + text)["args"][1]; };
  EXPECT_EQ(number("4326"), 4326);
  EXPECT_EQ(number("-12"), -12);
  EXPECT_EQ(number("+007"), 7);
  EXPECT_EQ(number("2.5"), 2.5);
  EXPECT_EQ(number(".5"), 0.5);
  EXPECT_EQ(number("1.5e3"), 1500.0);
  EXPECT_EQ(number("-2E-2"), -0.02);
  EXPECT_EQ(text_json("datetime > TIMESTAMP('2024-01-01T00:00:00Z')")["args"][1],
            timestamp("2024-01-01T00:00:00Z"));
  EXPECT_EQ(text_json("datetime > DATE('2024-01-01')")["args"][1], date("2024-01-01"));
  EXPECT_TRUE(mentions(syntax_error("proj:epsg = 1e"), "character 13: malformed number"));
  EXPECT_TRUE(mentions(syntax_error("proj:epsg = 1e999"), "character 13: number out of range"));
  EXPECT_TRUE(mentions(syntax_error("datetime > DATE(2024)"), "expected a quoted date"));
}

TEST(Cql2Text, UnterminatedStringIsReportedWhereItStarts) {
  EXPECT_TRUE(mentions(syntax_error("id = 'abc"), "syntax error at character 6: unterminated"));
  EXPECT_TRUE(mentions(syntax_error("id = 'it''s"), "character 6: unterminated string"));
  EXPECT_TRUE(mentions(syntax_error("\"ddh:x = 'a'"), "character 1: unterminated name"));
}

TEST(Cql2Text, PositionsCountCharactersOfCheckedUtf8) {
  EXPECT_EQ(syntax_error("id = 'é' AND ?"),
            "syntax error at character 14: unexpected character '?'");
  EXPECT_TRUE(mentions(syntax_error("id = 'a' collection"), "character 10: expected AND, OR"));
  EXPECT_EQ(syntax_error("id = é"), "syntax error at character 6: unexpected character 'é'");
  EXPECT_EQ(syntax_error("id = 'a\xff'"), "syntax error at character 8: invalid UTF-8");
  EXPECT_EQ(syntax_error("id = '\xed\xa0\x80'"), "syntax error at character 7: invalid UTF-8");
}

TEST(Cql2Text, PropertyNamesMayHaveColonsAndQuotes) {
  EXPECT_EQ(text_json("ddh:dataset_id = 'x'"), op("=", prop("ddh:dataset_id"), "x"));
  EXPECT_EQ(text_json("\"ddh:dataset_id\" = 'x'"), text_json("ddh:dataset_id = 'x'"));
  EXPECT_EQ(text_json("\"a\"\"b\" = 'x'")["args"][0], prop("a\"b"));
  EXPECT_EQ(text_json("\"in\" = 'x'")["args"][0], prop("in"));
  EXPECT_TRUE(mentions(syntax_error("in = 'x'"), "character 1: expected a value"));
}

TEST(Cql2Text, WktBecomesGeoJson) {
  auto geometry = [](const std::string& wkt) {
    return text_json("S_INTERSECTS(geometry, " + wkt + ")")["args"][1];
  };
  EXPECT_EQ(geometry("POINT(6.1 49.6)"), json({{"type", "Point"}, {"coordinates", {6.1, 49.6}}}));
  EXPECT_EQ(geometry("LINESTRING(0 0, 1 1, 2 -1.5)"),
            json({{"type", "LineString"}, {"coordinates", {{0, 0}, {1, 1}, {2, -1.5}}}}));
  EXPECT_EQ(geometry("POLYGON((0 0, 1 0, 1 1, 0 0), (0.2 0.1, 0.3 0.1, 0.3 0.2, 0.2 0.1))"),
            json({{"type", "Polygon"},
                  {"coordinates", {{{0, 0}, {1, 0}, {1, 1}, {0, 0}},
                                   {{0.2, 0.1}, {0.3, 0.1}, {0.3, 0.2}, {0.2, 0.1}}}}}));
  EXPECT_EQ(geometry("MULTIPOINT((1 2), (3 4))"), geometry("MULTIPOINT(1 2, 3 4)"));
  EXPECT_EQ(geometry("MULTIPOINT(1 2, 3 4)"),
            json({{"type", "MultiPoint"}, {"coordinates", {{1, 2}, {3, 4}}}}));
  EXPECT_EQ(geometry("MULTILINESTRING((0 0, 1 1), (2 2, 3 3 10))")["coordinates"],
            json({{{0, 0}, {1, 1}}, {{2, 2}, {3, 3, 10}}}));
  EXPECT_EQ(geometry("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))"),
            json({{"type", "MultiPolygon"},
                  {"coordinates", {{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
                                   {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}}}));
  auto p = text_tree("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))");
  EXPECT_EQ(json::parse(p.geometry_geojson)["type"], "Polygon");
  EXPECT_TRUE(mentions(syntax_error("S_INTERSECTS(geometry, POINT(1))"),
                       "character 31: expected a number"));
  EXPECT_TRUE(mentions(text_refusal("S_INTERSECTS(geometry, LINESTRING(0 0))"),
                       "a LineString needs at least 2 positions"));
}

TEST(Cql2Text, BboxAndSIntersectsErrors) {
  auto p = text_tree("s_intersects(geometry, BBOX(5, 49, 7, 51))");
  EXPECT_EQ(json::parse(p.geometry_geojson)["coordinates"][0][0], json({5, 49}));
  EXPECT_TRUE(mentions(text_refusal("S_INTERSECTS(id, POINT(1 2))"), "\"id\" is not a geometry"));
  EXPECT_TRUE(mentions(text_refusal("S_INTERSECTS(geometry)"), "takes 2 arguments"));
  EXPECT_TRUE(mentions(text_refusal("geometry = POINT(1 2)"),
                       "\"geometry\" can only be used in s_intersects"));
}

TEST(Cql2Text, TIntersectsWithInstantsAndOpenIntervals) {
  auto p = text_tree("T_INTERSECTS(datetime, INTERVAL('2024-01-01T00:00:00Z', '..'))");
  EXPECT_EQ(p.values.at(0).text, "2024-01-01T00:00:00Z");
  EXPECT_EQ(p.values.at(1).text, "..");
  EXPECT_EQ(text_json("T_INTERSECTS(datetime, INTERVAL(DATE('2024-01-01'), '..'))")["args"][1],
            interval("2024-01-01", ".."));
  auto instant = text_tree("t_intersects(start_datetime, TIMESTAMP('2024-01-01T10:00:00Z'))");
  EXPECT_EQ(instant.values.at(0).text, instant.values.at(1).text);
  auto range = text_tree(
    "T_INTERSECTS(INTERVAL(start_datetime, end_datetime), INTERVAL('..', '2024-06-01'))");
  EXPECT_EQ(range.property, "");
  EXPECT_TRUE(mentions(text_refusal("T_INTERSECTS(datetime, INTERVAL('2024-01-01'))"),
                       "an interval has 2 ends"));
  EXPECT_TRUE(mentions(text_refusal("T_INTERSECTS(id, DATE('2024-01-01'))"),
                       "property \"id\" is not a datetime"));
}

TEST(Cql2Text, UnknownFunctionIsNamedAsAnUnknownOperator) {
  EXPECT_TRUE(mentions(text_refusal("S_WITHIN(geometry, POINT(1 2))"),
                       "unknown operator \"s_within\""));
}

TEST(Cql2Text, SyntaxErrorsNameThePosition) {
  EXPECT_EQ(syntax_error("datetime > "), "syntax error at character 12: expected a value");
  EXPECT_EQ(syntax_error(""), "syntax error at character 1: expected a value");
  EXPECT_EQ(syntax_error("id == 'a'"), "syntax error at character 5: expected a value");
  EXPECT_EQ(syntax_error("id != 'a'"), "syntax error at character 4: unexpected character '!'");
  EXPECT_TRUE(mentions(syntax_error("id"), "character 3: expected a comparison operator"));
  std::vector<io::http::field_error> errors;
  EXPECT_FALSE(parse_cql2_text("id = ", errors, "q.filter"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "q.filter");
}

// ---- back to JSON -----------------------------------------------------------------------------

TEST(Cql2RoundTrip, TextToTreeToJsonToTreeGivesTheSameTree) {
  const char* filters[] = {
    "collection = 'a_rasters' AND (proj:epsg IN (4326, 3857) OR proj:epsg IS NULL)",
    "NOT id LIKE 'lux%' AND vector:feature_count NOT BETWEEN 10 AND 2.5e3",
    "1000 <= vector:feature_count OR ddh:dataset_id <> 'x''y'",
    "S_INTERSECTS(geometry, BBOX(170, -10, -170, 10)) AND "
    "S_INTERSECTS(geometry, MULTIPOINT(1 2, 3 4))",
    "T_INTERSECTS(datetime, INTERVAL('..', '2024-01-01T00:00:00+01:00')) AND "
    "T_INTERSECTS(end_datetime, DATE('2024-05-01')) AND "
    "T_INTERSECTS(INTERVAL(start_datetime, end_datetime), INTERVAL('2024-01-01', '..')) AND "
    "T_INTERSECTS(datetime, INTERVAL('..', '..'))",
    "datetime >= TIMESTAMP('2024-01-01T00:00:00Z') AND end_datetime < DATE('2025-01-01') AND TRUE",
  };
  for (const char* text : filters) {
    auto first = text_tree(text);
    auto again = tree(to_cql2_json(first));
    EXPECT_TRUE(same_tree(first, again))
      << text << "\n" << to_cql2_json(first).dump();
  }
}

TEST(Cql2RoundTrip, ToCql2JsonIsCanonical) {
  auto p = tree(op("AND", op(">", 7, prop("proj:epsg")), op("isnull", prop("id")),
                   op("t_intersects", prop("datetime"), interval("2024-01-01", "2024-01-01"))));
  EXPECT_EQ(to_cql2_json(p),
            op("and", op("<", prop("proj:epsg"), 7), op("isNull", prop("id")),
               op("t_intersects", prop("datetime"), date("2024-01-01"))));
}

TEST(Cql2RoundTrip, NumbersKeepTheirJsonText) {
  auto p = text_tree("vector:feature_count IN (1, 20.0, 3e2)");
  EXPECT_EQ(p.values.at(0).text, "1");
  EXPECT_EQ(p.values.at(1).text, "20.0");
  EXPECT_EQ(to_cql2_json(p)["args"][1], json::parse("[1, 20.0, 300.0]"));
}
