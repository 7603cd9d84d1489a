#pragma once
// The --json output of the command line's listings: the rows as the admin API encodes them.
#include <iostream>

#include <nlohmann/json.hpp>

#include "io/http/admin_codec.hpp"
#include "io/http/client_codec.hpp"

namespace gp::app {

/// Prints `rows` as a JSON array (two-space indent), each row encoded by `to_json(row)` of
/// io/http (admin_codec, client_codec).
template <class Rows>
void print_json_rows(const Rows& rows) {
  using io::http::to_json;
  auto arr = nlohmann::json::array();
  for (const auto& r : rows)
    arr.push_back(to_json(r));
  std::cout << arr.dump(2) << "\n";
}

}  // namespace gp::app
