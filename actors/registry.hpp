#pragma once
// The registry: request_id → request actor. It answers repeated submissions from memory, groups
// the inserts of new ones into shared transactions (the unique key of platform.requests is the
// real idempotency guard), starts request actors through its supervisor, routes status reads,
// cancels and retries, and rehydrates every live request at start-up.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/request.hpp"
#include "actors/request_supervisor.hpp"

namespace gp {

struct registry_options {
  /// This node's name (stored as the owner of the requests it creates).
  std::string node_id;
  std::chrono::milliseconds db_timeout{20000};
  /// Most submissions inserted in one transaction.
  size_t max_batch = 256;
  /// Insert transactions in flight at once (the rest wait and are grouped).
  int max_inflight_batches = 2;
  /// Submissions that must wait before a group starts while another is in flight.
  size_t min_concurrent_batch = 16;
  /// Known requests kept in memory; ended ones are forgotten first beyond this.
  size_t index_limit = 200000;
  /// Rehydration reads live requests in pages of this size.
  int rehydrate_page = 1000;
  /// Told (work_atom) when a request with a callback_url ends: its event is in the outbox from
  /// then on, and is claimed at once rather than at the dispatcher's next look. Null: no one.
  webhook_dispatcher_actor webhooks;
  /// Tests only: runs on the database thread after an insert transaction committed, before its
  /// answer is sent (to delay one group's answer behind another's).
  std::function<void(bool created_any)> after_insert;
  /// Makes the request supervisor (its request options name this registry). Empty:
  /// spawn_request_supervisor. Tests put a mock supervisor in its place.
  std::function<request_supervisor_actor(caf::actor_system&,
                                         std::shared_ptr<const request_options>,
                                         supervisor_options)>
    make_supervisor;
};

/// Spawns the registry and, linked to it, the request supervisor. `request` is copied for the
/// request actors with its registry set to the new actor.
registry_actor spawn_registry(caf::actor_system& sys, registry_options opts,
                              request_options request, supervisor_options sup);

}  // namespace gp
