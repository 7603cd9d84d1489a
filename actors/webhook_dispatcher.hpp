#pragma once
// Webhooks (docs/actors/webhook_dispatcher.md): the dispatcher claims due deliveries from the
// outbox (platform.webhook_deliveries) and hands each to the delivery actor of its host, which
// signs it and POSTs it on the HTTP client's own threads; outcomes come back to the dispatcher,
// which writes them in batches. A slow or dead host holds only its own per-host slots.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/actor_types.hpp"
#include "io/webhooks/http_client.hpp"
#include "io/webhooks/retry_policy.hpp"

namespace gp {

/// The node's attempts in flight beyond the hosts' first per_host each, shared by the dispatcher
/// and the delivery actors: `concurrency` bounds every attempt in flight on the node.
/// - `reserved`: the hosts' first slots the dispatcher has claimed for (the sum over hosts of
///   min(claims held, per_host)), as the dispatcher last published it;
/// - `earned`: attempts in flight beyond their host's per_host (slots a host earned by prompt
///   answers, io/webhooks/host_limit.hpp). A delivery actor takes one only while
///   reserved + earned < concurrency; the dispatcher claims only while that holds too.
struct webhook_slots {
  std::atomic<size_t> reserved{0};
  std::atomic<size_t> earned{0};

  /// Takes an earned slot if the node has one free (of `concurrency`).
  bool take_earned(size_t concurrency);
  void give_back_earned(size_t n = 1) { earned.fetch_sub(n); }
};

struct webhook_options {
  db_pool_actor pool;
  /// False: this node delivers nothing (deliveries wait for a node that does).
  bool enabled = true;
  /// The claims' owner (this node's lease name).
  std::string node_id;
  /// The service's public base URL (endpoints in bodies are absolute).
  std::string base_url;
  /// Attempts in flight on this node, and per host: a host starts at per_host and earns up to
  /// per_host_max by answering promptly (io/webhooks/host_limit.hpp); claims one client holds
  /// on this node.
  size_t concurrency = 512;
  size_t per_host = 16;
  size_t per_host_max = 32;
  /// What the actors share of `concurrency` (made by spawn_webhook_dispatcher when unset).
  std::shared_ptr<webhook_slots> slots;
  /// 0: no limit per client.
  size_t per_client = 0;
  /// Deliveries claimed per look.
  int claim_batch = 256;
  /// How often the outbox is looked at while nothing is due.
  std::chrono::milliseconds poll{250};
  /// How long a claim is held: longer than an attempt can take four times over. A claim that
  /// waited for its host's slots so long that its attempt could outlast the lease is given
  /// back unattempted.
  std::chrono::milliseconds lease{90000};
  std::chrono::milliseconds db_timeout{20000};
  /// Bodies larger than this are sent without their stac_metadata.
  size_t max_payload_bytes = 1 << 20;
  io::webhooks::post_options post;
  io::webhooks::retry_policy retry;
  /// The HTTP client (its threads run every attempt of this node).
  std::shared_ptr<io::webhooks::http_client> client;
};

/// Spawns the dispatcher (which spawns delivery actors as hosts need them).
webhook_dispatcher_actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_options opts);

/// Spawns the delivery actor of `host`, reporting to `dispatcher` (the dispatcher's own use).
webhook_delivery_actor spawn_webhook_delivery(caf::actor_system& sys,
                                              webhook_dispatcher_actor dispatcher,
                                              std::string host,
                                              std::shared_ptr<const webhook_options> opts);

}  // namespace gp
