#pragma once
// Registers geoplatform's message types with an actor system configuration.
#include <caf/fwd.hpp>

namespace gp {

/// Adds every custom message type of messages/ to `cfg` (call before constructing the system).
void register_message_types(caf::actor_system_config& cfg);

}  // namespace gp
