#pragma once
// The root supervisor: spawns the node's long-lived actors and stops them in a fixed order.
#include <chrono>
#include <functional>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "actors/auth.hpp"
#include "actors/coremachine.hpp"
#include "actors/http_edge.hpp"
#include "actors/registry.hpp"
#include "actors/stac_catalog.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "persistence/database.hpp"

namespace gp {

/// Everything the root needs to build the node (plain values from app/ configuration).
struct root_options {
  persistence::db_options db;
  size_t db_pool_size = 4;
  http_edge_options edge;
  auth_options auth;
  engine_options engine;
  registry_options registry;
  /// The STAC catalogue's writer (the root fills in the pool and the base URL).
  stac_catalog_options stac;
  /// The webhook dispatcher (the root fills in the pool, the node and the base URL).
  webhook_options webhooks;
  /// Template of the request actors' options (the root fills in the actors they talk to).
  request_options requests;
  supervisor_options supervisor;
  /// How long shutdown waits for in-flight HTTP calls.
  std::chrono::milliseconds shutdown_grace{10000};
  /// Called (from an actor thread) when a core actor dies unexpectedly; the node must stop.
  std::function<void()> on_fatal;
};

/// Spawns the root, which spawns db_pool, migrator, auth, coremachine (with its workers and lease
/// keeper), stac_catalog, webhook_dispatcher, registry (with the request supervisor) and
/// http_edge (starting `server`). (shutdown_atom) drains the edge, then stops http_edge →
/// registry → stac_catalog → webhook_dispatcher → coremachine → auth → migrator → db_pool,
/// replies whether the drain finished in time, and quits.
root_actor spawn_root(caf::actor_system& sys, root_options opts,
                      std::shared_ptr<io::http::server> server);

}  // namespace gp
