#pragma once
// The HTTP edge: owns the Beast server's hand-off, routes each call and answers through the
// call's responder (which posts back to the connection's own strand).
#include <chrono>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "io/http/types.hpp"

namespace gp::io::http {
class server;
}

namespace gp {

/// One HTTP call in flight: the parsed request and where its answer goes. Local only.
struct http_call {
  io::http::request req;
  io::http::responder reply;
};

/// What the edge needs besides the server.
struct http_edge_options {
  /// How long /readyz waits for the database check.
  std::chrono::milliseconds readiness_timeout{3000};
  std::string version;
};

/// Spawns the edge and starts `server` with a handler that forwards every call to it.
http_edge_actor spawn_http_edge(caf::actor_system& sys, std::shared_ptr<io::http::server> server,
                                db_pool_actor pool, http_edge_options opts);

}  // namespace gp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(gp::http_call)
