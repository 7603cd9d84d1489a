#pragma once
// The HTTP edge: owns the Beast server's hand-off, routes each call and answers through the
// call's responder (which posts back to the connection's own strand).
#include <atomic>
#include <chrono>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "io/http/submit_codec.hpp"
#include "io/http/types.hpp"

namespace gp::io::http {
class server;
}
namespace gp::io {
class storage_watch;
}

namespace gp {

/// What the edge needs besides the server.
struct http_edge_options {
  /// How long a database round trip (readiness, admin queries) may take.
  std::chrono::milliseconds db_timeout{3000};
  /// How long a key check may take (a cache miss costs one database lookup).
  std::chrono::milliseconds auth_timeout{3000};
  /// Whether /health needs a key (API.md: yes, unless the operator turns that off).
  bool health_requires_key = true;
  /// Base of absolute URLs in bodies and Location headers (no trailing slash).
  std::string public_base_url;
  std::string version;
  /// How long the registry may take (a new submission waits for its insert transaction).
  std::chrono::milliseconds request_timeout{20000};
  /// Inputs: <bronze_root>/<client_id>/<source_path>.
  std::string bronze_root;
  /// Outputs: only files under this folder are served (empty: no check).
  std::string silver_root;
  /// The two roots' free space for /health and /metrics, read by threads of its own. Made by
  /// the caller (serve, on its main thread: its constructor waits up to a second for the first
  /// answers, which no CAF thread should).
  std::shared_ptr<io::storage_watch> storage;
  /// Submission rules the operator sets (virtual paths, default compression).
  io::http::submit_policy submit;
  /// The STAC answer cache: on, its size and the longest an answer is served.
  bool stac_cache = true;
  size_t stac_cache_entries = 2000;
  std::chrono::milliseconds stac_cache_ttl{60000};
  /// How long a rotated webhook secret keeps signing.
  std::chrono::seconds webhook_secret_grace{86400};
  /// How long a rotated key keeps working unless the rotation names another overlap.
  std::chrono::seconds key_rotation_overlap{86400};
  /// Rate limits by route class (docs/admin.md): on, and the defaults of clients without their
  /// own read and tiles limits (calls a minute on this node).
  bool rate_limits = true;
  int read_per_minute = 60000;
  int tiles_per_minute = 120000;
  /// /health is degraded past these: tasks waiting in the job queue, webhook deliveries
  /// waiting, and free space (MiB) on either storage root.
  int64_t health_max_queue_depth = 10000;
  int64_t health_max_webhook_backlog = 1000;
  int64_t health_min_free_mib = 1024;
  /// Usage counting: on, and how often what was counted is added to the database.
  bool usage = true;
  std::chrono::milliseconds usage_flush{5000};
  /// GET /metrics and the per-call counters behind it (off: 404, nothing counted per call).
  bool metrics = true;
  /// One structured log line per answered call (event "http").
  bool access_log = true;
};

/// The actors the edge talks to.
struct edge_peers {
  db_pool_actor pool;
  auth_actor auth;
  migrator_actor migrator;
  coremachine_actor coremachine;
  registry_actor registry;
  /// Latest views of requests, published by their actors (null: always ask the registry).
  std::shared_ptr<class status_board> board;
  /// The STAC answer cache's generation, advanced by the stac_catalog actor (null: no cache).
  std::shared_ptr<std::atomic<int64_t>> stac_generation;
  /// Told when a ping or a redelivery makes a delivery due.
  webhook_dispatcher_actor webhooks;
};

/// Spawns the edge and starts `server` with a handler that forwards every call to it.
http_edge_actor spawn_http_edge(caf::actor_system& sys, std::shared_ptr<io::http::server> server,
                                edge_peers peers, http_edge_options opts);

}  // namespace gp
