#include "io/http/correlation.hpp"

#include <cctype>
#include <random>


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

/// 32 hex digits from a per-thread generator seeded from the system's random source: ids need
/// to be unique, not secret, and this is on every request's path.
std::string new_correlation_id() {
  thread_local std::mt19937_64 gen{[] {
    std::seed_seq seq{std::random_device{}(), std::random_device{}(), std::random_device{}(),
                      std::random_device{}()};
    return std::mt19937_64{seq};
  }()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto v = gen();
    for (int i = 0; i < 16; ++i, v >>= 4)
      out[static_cast<size_t>(half * 16 + i)] = digits[v & 15];
  }
  return out;
}

std::string correlation_id_for(std::string_view incoming) {
  return valid_correlation_id(incoming) ? std::string{incoming} : new_correlation_id();
}

}  // namespace gp::io::http
