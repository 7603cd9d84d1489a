#pragma once
// The database connection of the command-line commands (app/admin_commands.cpp).
#include <memory>

#include "app/config.hpp"
#include "messages/records.hpp"
#include "persistence/pqxx_fwd.hpp"

namespace gp::app {

/// A connection to the configured database whose schema is current; throws std::runtime_error
/// saying what to do otherwise (cannot connect; run 'geoplatform migrate').
std::unique_ptr<pqxx::connection> open_current_schema(const config& cfg);

/// The audit context of a change made from the command line: actor "cli", and the
/// correlation id "cli-<pid>" so one command's rows can be found together.
audit_context cli_audit();

}  // namespace gp::app
