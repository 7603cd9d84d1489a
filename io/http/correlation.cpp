#include "io/http/correlation.hpp"

#include <cctype>

#include "io/crypto.hpp"

namespace gp::io::http {

bool valid_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char ch : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string new_correlation_id() { return random_string(32, "0123456789abcdef"); }

std::string correlation_id_for(std::string_view incoming) {
  return valid_correlation_id(incoming) ? std::string{incoming} : new_correlation_id();
}

}  // namespace gp::io::http
