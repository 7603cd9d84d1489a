// CQL2 text (OGC 21-065), read by hand into the JSON encoding, which parse_cql2_json then
// checks against the queryables: the text reader knows the grammar, not the properties.
#include <cstdint>
#include <utility>

#include "io/stac/cql2.hpp"

namespace gp::io::stac {

using json = nlohmann::json;

namespace {

/// Deepest nesting of parentheses, NOTs and function arguments; recursion stops there rather
/// than on the stack's end.
constexpr int max_text_depth = 64;

/// A syntax error at byte `at` of the text. Thrown inside the reader (the recursion is deep)
/// and reported by cql2_text_to_json with the character position.
struct syntax_error {
  size_t at;
  std::string message;
};

struct token {
  enum class kind : uint8_t { end, word, quoted_word, string, number, symbol };
  kind type = kind::end;
  /// The word, the string's or quoted word's value (unescaped), the number or the symbol.
  std::string text;
  /// Byte offset in the text.
  size_t at = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word_start(char c) { return is_alpha(c) || c == '_'; }
/// Property names such as ddh:dataset_id or eo.cloud_cover.
bool is_word_part(char c) { return is_word_start(c) || is_digit(c) || c == ':' || c == '.'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

/// Keywords that are never property names (a property so named is written in double quotes).
bool is_reserved(const std::string& word) {
  for (const char* k : {"AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL"})
    if (word == k)
      return true;
  return false;
}

/// The GeoJSON type of a WKT geometry keyword; nullptr when it is not one.
const char* geojson_type(const std::string& word) {
  static constexpr std::pair<const char*, const char*> types[] = {
    {"POINT", "Point"},           {"LINESTRING", "LineString"},
    {"POLYGON", "Polygon"},       {"MULTIPOINT", "MultiPoint"},
    {"MULTILINESTRING", "MultiLineString"}, {"MULTIPOLYGON", "MultiPolygon"}};
  for (const auto& [wkt, geojson] : types)
    if (word == wkt)
      return geojson;
  return nullptr;
}

/// A number as JSON writes it: CQL2 text also allows "+1", ".5", "1." and leading zeros.
json number_json(const std::string& text) {
  size_t i = text[0] == '+' || text[0] == '-' ? 1 : 0;
  std::string out = text[0] == '-' ? "-" : "";
  size_t end = i;
  while (end < text.size() && is_digit(text[end]))
    ++end;
  auto whole = text.substr(i, end - i);
  while (whole.size() > 1 && whole[0] == '0')
    whole.erase(0, 1);
  out += whole.empty() ? "0" : whole;
  i = end;
  if (i < text.size() && text[i] == '.') {
    end = ++i;
    while (end < text.size() && is_digit(text[end]))
      ++end;
    out += "." + (end > i ? text.substr(i, end - i) : "0");
    i = end;
  }
  return json::parse(out + text.substr(i), nullptr, false);
}

/// Where `text` stops being well-formed UTF-8 (RFC 3629), or npos. Its strings end up in JSON
/// documents, which must be UTF-8.
size_t invalid_utf8_at(std::string_view text) {
  auto byte = [&](size_t i) { return i < text.size() ? static_cast<uint8_t>(text[i]) : 0; };
  for (size_t i = 0; i < text.size();) {
    uint8_t lead = byte(i);
    size_t n = lead < 0x80                  ? 1
               : lead >= 0xC2 && lead <= 0xDF ? 2
               : lead >= 0xE0 && lead <= 0xEF ? 3
               : lead >= 0xF0 && lead <= 0xF4 ? 4
                                              : 0;
    if (n == 0)
      return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    uint8_t low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    uint8_t high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    for (size_t k = 1; k < n; ++k)
      if (byte(i + k) < (k == 1 ? low : 0x80) || byte(i + k) > (k == 1 ? high : 0xBF))
        return i;
    i += n;
  }
  return std::string_view::npos;
}

/// The 1-based character (not byte) position of byte `at` of UTF-8 `text`.
size_t character_position(std::string_view text, size_t at) {
  size_t n = 1;
  for (size_t i = 0; i < at && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      ++n;
  return n;
}

class text_reader {
 public:
  explicit text_reader(std::string_view text) : text_(text) {
    if (size_t bad = invalid_utf8_at(text); bad != std::string_view::npos)
      throw syntax_error{bad, "invalid UTF-8"};
    advance();
  }

  json filter() {
    auto e = disjunction();
    if (tok_.type != token::kind::end)
      fail("expected AND, OR or the end of the filter");
    return e;
  }

 private:
  [[noreturn]] void fail(std::string message) const {
    throw syntax_error{tok_.at, std::move(message)};
  }

  // ---- tokens ---------------------------------------------------------------------------------

  void advance() { tok_ = lex(); }

  token lex() {
    while (at_ < text_.size() && is_space(text_[at_]))
      ++at_;
    token t;
    t.at = at_;
    if (at_ == text_.size())
      return t;
    char c = text_[at_];
    auto next_is = [&](auto test) { return at_ + 1 < text_.size() && test(text_[at_ + 1]); };
    auto dot_or_digit = [](char d) { return d == '.' || is_digit(d); };
    if (c == '\'' || c == '"')
      return quoted(t, c);
    if (is_word_start(c)) {
      t.type = token::kind::word;
      while (at_ < text_.size() && is_word_part(text_[at_]))
        t.text += text_[at_++];
      return t;
    }
    if (is_digit(c) || (c == '.' && next_is(is_digit)) ||
        ((c == '-' || c == '+') && next_is(dot_or_digit)))
      return number(t);
    for (const char* s : {"<=", ">=", "<>", "(", ")", ",", "=", "<", ">"})
      if (text_.substr(at_).rfind(s, 0) == 0) {
        t.type = token::kind::symbol;
        t.text = s;
        at_ += t.text.size();
        return t;
      }
    size_t n = 1;  // the whole UTF-8 sequence
    while (at_ + n < text_.size() && (static_cast<uint8_t>(text_[at_ + n]) & 0xC0) == 0x80)
      ++n;
    throw syntax_error{at_, "unexpected character '" + std::string{text_.substr(at_, n)} + "'"};
  }

  /// A 'string' or a "quoted property name", the quote doubled inside it.
  token quoted(token t, char quote) {
    t.type = quote == '\'' ? token::kind::string : token::kind::quoted_word;
    for (++at_;; ++at_) {
      if (at_ == text_.size())
        throw syntax_error{t.at, quote == '\'' ? "unterminated string" : "unterminated name"};
      if (text_[at_] == quote && (at_ + 1 == text_.size() || text_[at_ + 1] != quote))
        break;
      if (text_[at_] == quote)
        ++at_;
      t.text += text_[at_];
    }
    ++at_;
    if (t.type == token::kind::quoted_word && t.text.empty())
      throw syntax_error{t.at, "empty property name"};
    return t;
  }

  /// [sign] digits [. digits] [e [sign] digits], with at least one digit before the exponent.
  token number(token t) {
    auto digits = [&] {
      size_t from = at_;
      while (at_ < text_.size() && is_digit(text_[at_]))
        ++at_;
      return at_ - from;
    };
    if (text_[at_] == '-' || text_[at_] == '+')
      ++at_;
    size_t mantissa = digits();
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      mantissa += digits();
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '-' || text_[at_] == '+'))
        ++at_;
      if (digits() == 0)
        throw syntax_error{t.at, "malformed number"};
    }
    if (mantissa == 0)
      throw syntax_error{t.at, "malformed number"};
    t.type = token::kind::number;
    t.text = std::string{text_.substr(t.at, at_ - t.at)};
    return t;
  }

  bool symbol(const char* s) const { return tok_.type == token::kind::symbol && tok_.text == s; }
  bool keyword(const char* k) const {
    return tok_.type == token::kind::word && upper(tok_.text) == k;
  }
  /// Whether the word just read is followed by "(": a function, not a property.
  bool followed_by_paren() const {
    size_t i = at_;
    while (i < text_.size() && is_space(text_[i]))
      ++i;
    return i < text_.size() && text_[i] == '(';
  }

  void expect(const char* s) {
    if (!symbol(s))
      fail(std::string{"expected '"} + s + "'");
    advance();
  }
  void expect_keyword(const char* k) {
    if (!keyword(k))
      fail(std::string{"expected "} + k);
    advance();
  }

  void enter() {
    if (++depth_ > max_text_depth)
      fail("the filter nests deeper than " + std::to_string(max_text_depth) + " levels");
  }

  static json op(const std::string& name, json args) {
    return {{"op", name}, {"args", std::move(args)}};
  }

  // ---- expressions ----------------------------------------------------------------------------

  /// OR binds loosest, then AND, then NOT.
  json disjunction() {
    json args = json::array({conjunction()});
    while (keyword("OR")) {
      advance();
      args.push_back(conjunction());
    }
    return args.size() == 1 ? args[0] : op("or", std::move(args));
  }

  json conjunction() {
    json args = json::array({negation()});
    while (keyword("AND")) {
      advance();
      args.push_back(negation());
    }
    return args.size() == 1 ? args[0] : op("and", std::move(args));
  }

  json negation() {
    if (!keyword("NOT"))
      return predicate();
    enter();
    advance();
    auto e = op("not", json::array({negation()}));
    --depth_;
    return e;
  }

  json predicate() {
    if (symbol("(")) {
      enter();
      advance();
      auto e = disjunction();
      expect(")");
      --depth_;
      return e;
    }
    return predicate_rest(operand());
  }

  /// What follows the first operand of a predicate. An operand alone is a predicate only when
  /// it is TRUE, FALSE or a function (S_INTERSECTS(…), T_INTERSECTS(…)).
  json predicate_rest(json left) {
    for (const char* c : {"=", "<>", "<", "<=", ">", ">="})
      if (symbol(c)) {
        advance();
        return op(c, json::array({std::move(left), operand()}));
      }
    bool negated = keyword("NOT");
    if (negated)
      advance();
    json e;
    if (keyword("LIKE")) {
      advance();
      e = op("like", json::array({std::move(left), operand()}));
    } else if (keyword("IN")) {
      advance();
      e = op("in", json::array({std::move(left), arguments()}));
    } else if (keyword("BETWEEN")) {
      advance();
      auto low = operand();
      expect_keyword("AND");
      e = op("between", json::array({std::move(left), std::move(low), operand()}));
    } else if (!negated && keyword("IS")) {
      advance();
      negated = keyword("NOT");
      if (negated)
        advance();
      expect_keyword("NULL");
      e = op("isNull", json::array({std::move(left)}));
    } else if (!negated && (left.is_boolean() || left.contains("op"))) {
      return left;
    } else {
      fail(negated ? "expected LIKE, IN or BETWEEN after NOT"
                   : "expected a comparison operator, LIKE, IN, BETWEEN or IS");
    }
    return negated ? op("not", json::array({std::move(e)})) : e;
  }

  /// A property, a literal, a geometry, a bbox, an interval or a function call.
  json operand() {
    auto t = tok_;
    if (t.type == token::kind::string || t.type == token::kind::quoted_word) {
      advance();
      return t.type == token::kind::string ? json(t.text) : json{{"property", t.text}};
    }
    if (t.type == token::kind::number) {
      advance();
      auto n = number_json(t.text);
      if (n.is_discarded())
        throw syntax_error{t.at, "number out of range"};
      return n;
    }
    if (t.type != token::kind::word)
      fail("expected a value");
    auto word = upper(t.text);
    if (word == "TRUE" || word == "FALSE") {
      advance();
      return word == "TRUE";
    }
    if (is_reserved(word))
      fail("expected a value");
    if (!followed_by_paren()) {
      advance();
      return {{"property", t.text}};
    }
    advance();
    if (word == "TIMESTAMP" || word == "DATE") {
      expect("(");
      if (tok_.type != token::kind::string)
        fail("expected a quoted " + lower(word));
      json e = {{lower(word), tok_.text}};
      advance();
      expect(")");
      return e;
    }
    if (word == "INTERVAL") {
      // Its ends are plain strings in the JSON encoding.
      auto ends = arguments();
      for (auto& end : ends)
        if (end.is_object() && (end.contains("timestamp") || end.contains("date")))
          end = json(end.front());
      return {{"interval", std::move(ends)}};
    }
    if (word == "BBOX")
      return {{"bbox", list_of([this] { return coordinate(); })}};
    if (const char* type = geojson_type(word))
      return {{"type", type}, {"coordinates", coordinates(word)}};
    return op(lower(t.text), arguments());
  }

  /// "(" operand, … ")" (possibly empty).
  json arguments() {
    enter();
    expect("(");
    json out = json::array();
    while (!symbol(")")) {
      if (!out.empty() && !symbol(","))
        fail("expected ',' or ')'");
      if (!out.empty())
        advance();
      out.push_back(operand());
    }
    advance();
    --depth_;
    return out;
  }

  // ---- WKT ------------------------------------------------------------------------------------

  json coordinate() {
    if (tok_.type != token::kind::number)
      fail("expected a number");
    return operand();
  }

  /// x y [z]
  json position() {
    json p = json::array({coordinate(), coordinate()});
    if (tok_.type == token::kind::number)
      p.push_back(coordinate());
    return p;
  }

  /// "(" item, item, … ")"
  template <class Item>
  json list_of(Item item) {
    expect("(");
    json out = json::array({item()});
    while (symbol(",")) {
      advance();
      out.push_back(item());
    }
    expect(")");
    return out;
  }

  /// The GeoJSON coordinates of the WKT geometry `word` (POINT, …, MULTIPOLYGON) whose "(" is
  /// next; MULTIPOINT's points may be in parentheses or not.
  json coordinates(const std::string& word) {
    auto positions = [this] { return list_of([this] { return position(); }); };
    auto rings = [this, positions] { return list_of(positions); };
    auto point = [this] {
      if (!symbol("("))
        return position();
      advance();
      auto p = position();
      expect(")");
      return p;
    };
    if (word == "POINT")
      return point();
    if (word == "LINESTRING")
      return positions();
    if (word == "POLYGON")
      return rings();
    if (word == "MULTIPOINT")
      return list_of(point);
    if (word == "MULTILINESTRING")
      return list_of(positions);
    return list_of(rings);
  }

  std::string_view text_;
  /// Where the next token starts (just past tok_).
  size_t at_ = 0;
  token tok_;
  int depth_ = 0;
};

}  // namespace

std::optional<json> cql2_text_to_json(std::string_view text,
                                      std::vector<io::http::field_error>& errors,
                                      const std::string& field) {
  try {
    return text_reader{text}.filter();
  } catch (const syntax_error& e) {
    errors.push_back({field, "syntax error at character " +
                               std::to_string(character_position(text, e.at)) + ": " +
                               e.message});
    return std::nullopt;
  }
}

std::optional<filter_node> parse_cql2_text(std::string_view text,
                                           std::vector<io::http::field_error>& errors,
                                           const std::string& field) {
  auto expr = cql2_text_to_json(text, errors, field);
  if (!expr)
    return std::nullopt;
  return parse_cql2_json(*expr, errors, field);
}

}  // namespace gp::io::stac
