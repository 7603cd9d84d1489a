#pragma once
// The http_edge actor's state, shared by its dispatch (http_edge.cpp) and its route handlers
// (edge_handlers.cpp). Private to actors/.
#include <chrono>
#include <functional>
#include <mutex>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/http_edge.hpp"
#include "actors/live_actor.hpp"
#include "io/bounded_map.hpp"
#include "io/deadlines.hpp"
#include "io/http/outputs.hpp"
#include "io/http/router.hpp"
#include "io/rate_limit.hpp"
#include "messages/auth.hpp"
#include "messages/records.hpp"
#include "messages/requests.hpp"
#include "persistence/usage.hpp"

namespace gp {

/// Usage per client in the current hour (`hour`, epoch seconds), and the counts of hours that
/// ended, waiting for the flush. Locked: a wrapped responder may count from any thread.
struct usage_meter {
  std::mutex lock;
  int64_t hour = 0;
  std::unordered_map<std::string, usage_counts> counts;
  std::vector<persistence::usage_delta> unflushed;
};

struct http_edge_state : live_actor<actor_kind::http_edge> {
  std::shared_ptr<io::http::server> server;
  io::http::router routes;
  edge_peers peers;
  http_edge_options opts;
  bool draining = false;
  caf::typed_response_promise<bool> drain_promise;
  std::chrono::steady_clock::time_point drain_deadline;
  uint64_t calls = 0;
  uint64_t refused = 0;
  /// The auth actor's verdicts by SHA-256 of the key, reused until their reusable_until_ns:
  /// a hot key costs no actor round trip, and nothing is trusted longer than auth's own cache.
  std::unordered_map<std::string, principal> verdicts;
  /// Status bodies rendered from status board views, by request id: rendered again only when
  /// the view (or its estimated completion) changed. The 20 000 newest ids are kept.
  struct rendered_status {
    std::shared_ptr<const request_view> view;
    int64_t eta = 0;
    std::string body;
  };
  io::bounded_map<rendered_status> status_cache{20000};
  /// Outputs of completed requests by request id (they never change once completed), so a
  /// download's many range reads cost one database round trip. The 10 000 newest are kept.
  struct served_outputs {
    std::string client_id;
    std::string request_type;
    io::http::request_outputs outputs;
  };
  io::bounded_map<served_outputs> outputs_cache{10000};
  /// Submissions waiting for the registry. The registry is asked without a CAF timeout (each
  /// one would wake CAF's timer thread twice per submission); one timer, armed while anything
  /// waits, answers those past their deadline with a 503 (expire_submissions), and an answer
  /// that comes later is dropped.
  io::deadline_queue submits;
  bool expiry_armed = false;
  /// Answers of the STAC routes (actors/stac_handlers.cpp) by client scope and query; null
  /// when the cache is off. Emptied when the shared generation moves on.
  struct cached_answer {
    int64_t generation = 0;
    std::chrono::steady_clock::time_point expires;
    io::http::response response;
  };
  std::unique_ptr<io::bounded_map<cached_answer>> stac_cache;
  int64_t stac_cache_generation = -1;
  /// Token buckets per client and route class on this node (actors/edge_metering.cpp), keyed
  /// by the class's letter and the client id.
  std::unordered_map<std::string, io::token_bucket> limits;
  /// Usage counted since the last flush (actors/edge_metering.cpp): shared with the responders
  /// it wraps, which may be called off the edge's thread. Keys' last use, by key id (written
  /// only by the edge).
  std::shared_ptr<usage_meter> usage = std::make_shared<usage_meter>();
  std::unordered_map<std::string, int64_t> key_uses;
  bool usage_flushing = false;
  /// Who waits for the next flush to end (a stopping node).
  std::vector<std::function<void()>> flush_waiters;
  static inline const char* name = "http_edge";
};

using edge_self = caf::stateful_actor<http_edge_state, http_edge_impl::base>;

}  // namespace gp
