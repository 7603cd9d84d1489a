#pragma once
// The STAC catalogue's writer: it assembles what a completed request publishes (io/stac) and
// stores it with the request's completed state in one transaction, and keeps the node's answer
// cache honest: its generation advances after every write here, and when the catalogue's
// version in PostgreSQL moved (another node wrote).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"

namespace gp {

struct stac_catalog_options {
  db_pool_actor pool;
  /// The service's public base URL (links and asset hrefs are absolute).
  std::string base_url;
  std::chrono::milliseconds db_timeout{20000};
  /// How often the catalogue's version is read (0: never).
  std::chrono::milliseconds version_poll{1000};
  /// The answer cache's generation, shared with the HTTP edge: an answer cached under an older
  /// generation is never served.
  std::shared_ptr<std::atomic<int64_t>> generation = std::make_shared<std::atomic<int64_t>>(0);
};

/// Spawns the stac_catalog actor.
stac_catalog_actor spawn_stac_catalog(caf::actor_system& sys, stac_catalog_options opts);

}  // namespace gp
