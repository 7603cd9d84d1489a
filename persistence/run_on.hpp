#pragma once
// The shorthand of the operations' execute overloads (operations.cpp, webhook_operations.cpp).
#include <functional>
#include <utility>

#include <caf/expected.hpp>

#include "persistence/database.hpp"

namespace gp::persistence {

/// Runs `fn` on the session's connection with the session's error translation.
template <class T, class F>
caf::expected<T> run_on(db_session& s, F&& fn) {
  return s.run<T>(std::function<T(pqxx::connection&)>{std::forward<F>(fn)});
}

}  // namespace gp::persistence
