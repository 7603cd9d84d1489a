#pragma once
// The database connection of the command-line commands (app/admin_commands.cpp).
#include <memory>

#include "app/config.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::app {

/// A connection to the configured database whose schema is current; throws std::runtime_error
/// saying what to do otherwise (cannot connect; run 'geoplatform migrate').
std::unique_ptr<pqxx::connection> open_current_schema(const config& cfg);

}  // namespace gp::app
