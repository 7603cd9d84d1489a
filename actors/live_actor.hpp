#pragma once
// Live actors by kind, for the geoplatform_actors gauge of GET /metrics: each actor's state
// derives from live_actor<K>, an empty base that counts the state while it exists. Kept apart
// from actors/node_metrics.hpp so that every actor state includes only this.
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace gp {

/// The kinds of actor counted by the live-actor gauge.
enum class actor_kind : uint8_t {
  root, http_edge, auth, registry, request_supervisor, request, coremachine, task_worker,
  lease_keeper, db_pool, db_worker, webhook_dispatcher, webhook_delivery, stac_catalog, migrator,
};
inline constexpr const char* actor_kind_names[] = {
  "root", "http_edge", "auth", "registry", "request_supervisor", "request", "coremachine",
  "task_worker", "lease_keeper", "db_pool", "db_worker", "webhook_dispatcher",
  "webhook_delivery", "stac_catalog", "migrator"};
inline constexpr size_t actor_kind_count = std::size(actor_kind_names);

/// Adds `delta` to the live actors of kind `k` (actors/node_metrics.cpp; relaxed atomics).
void count_live_actor(actor_kind k, int delta) noexcept;

/// The live actors of kind `k` now.
int64_t live_actors(actor_kind k) noexcept;

/// Counts its actor among the live ones of kind K while it exists. An actor's state derives
/// from it (an empty base: it adds no bytes to the state).
template <actor_kind K>
struct live_actor {
  live_actor() noexcept { count_live_actor(K, 1); }
  live_actor(const live_actor&) noexcept { count_live_actor(K, 1); }
  live_actor& operator=(const live_actor&) noexcept = default;
  ~live_actor() { count_live_actor(K, -1); }
};

}  // namespace gp
