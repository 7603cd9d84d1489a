#include "persistence/pg_array.hpp"

#include <cstdio>

#include <pqxx/pqxx>

namespace gp::persistence {

std::string to_pg_array(const std::vector<std::string>& xs) {
  std::string out = "{";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ',';
    out += '"';
    for (char ch : xs[i]) {
      if (ch == '"' || ch == '\\')
        out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string exact_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string to_pg_float_array(const std::vector<double>& xs) {
  std::string out = "{";
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i == 0 ? "" : ",") + exact_text(xs[i]);
  return out + "}";
}

std::vector<std::string> from_pg_array(const std::string& text) {
  std::vector<std::string> out;
  pqxx::array_parser parser{text.c_str()};
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value)
      out.push_back(value);
  }
  return out;
}

}  // namespace gp::persistence
