#pragma once
// Internal to the registry actor (registry.cpp and registry_submit.cpp): its state, and the
// helpers both halves use. Nothing outside the registry includes this.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/live_actor.hpp"
#include "actors/registry.hpp"
#include "actors/status_board.hpp"
#include "messages/requests.hpp"
#include "persistence/operations.hpp"
#include "persistence/requests.hpp"

namespace gp::registry_detail {

/// What one insert transaction of a group of new submissions answers.
using inserted = db::insert_request_group::result;

using fingerprint_t = status_board::fingerprint_t;

inline fingerprint_t digest(const std::string& fingerprint) {
  return status_board::digest(fingerprint);
}

/// What the registry remembers of a request (kept small: one per known request).
struct entry {
  std::string client_id;
  fingerprint_t fingerprint{};
  request_status status = request_status::pending;
  /// The state_version `status` was read or reported at (older news is ignored).
  int64_t version = -1;
  std::string request_type;
  int64_t created = 0;
  /// The live actor on this node, once the supervisor reported it.
  request_actor actor;
  /// A start was asked for and the actor has not stopped since.
  bool started = false;
  /// Its id waits in `forgettable` (ended, no actor when it was queued).
  bool forget_queued = false;
};

/// Submissions waiting for an insert transaction, with everyone waiting on each.
struct waiting {
  /// The row to insert, built when the submission arrives (not when its group leaves, which
  /// would hold up that group).
  persistence::new_request row;
  fingerprint_t fingerprint{};
  std::vector<caf::typed_response_promise<submit_answer>> promises;
  /// The jobs its snapshot names once inserted (its first job), so the new row's view needs no
  /// decoding.
  std::vector<request_job> jobs;
};

struct average {
  double seconds = 0;
  int samples = 0;
};

struct registry_state : live_actor<actor_kind::registry> {
  registry_options opts;
  std::shared_ptr<request_options> request_opts;
  request_supervisor_actor supervisor;
  std::unordered_map<std::string, entry> index;
  std::deque<waiting> queue;
  std::unordered_map<std::string, size_t> queued;  // request id → count in queue (coalescing)
  int inflight = 0;
  /// Ended requests shown on the board (a terminal status never changes), oldest removed first.
  std::deque<std::string> finals_order;
  std::map<std::string, average> averages;
  std::shared_ptr<status_board> board;
  bool rehydrated = false;
  uint64_t created = 0, repeats = 0, conflicts = 0, batches = 0, actors_started = 0;
  /// Entries with an actor, counted as actors are tracked and untracked (a count over the index
  /// took 45 to 55 ms at 200 000 entries, a stall of the registry at every health check).
  uint64_t live_actors = 0;
  /// Known requests pending and processing, kept current at every status change (set_status),
  /// for /platform/health.
  int64_t pending = 0, processing = 0;
  /// Ended requests without an actor, oldest first: past index_limit, each new entry forgets
  /// up to two of them (their rows answer for them), so forgetting never scans the index.
  std::deque<std::string> forgettable;
  uint64_t forgotten = 0;
  static inline const char* name = "registry";
};

using reg_self = caf::stateful_actor<registry_state, registry_impl::base>;

/// Sets an entry's status, keeping the pending and processing counts current.
inline void set_status(registry_state& st, entry& e, request_status s) {
  auto add = [&](request_status x, int64_t n) {
    if (x == request_status::pending)
      st.pending += n;
    else if (x == request_status::processing)
      st.processing += n;
  };
  add(e.status, -1);
  add(s, 1);
  e.status = s;
}

/// Records what a row says of its request in the index (and the board's fingerprints).
entry& remember(reg_self* self, const request_row& row, const fingerprint_t& fp);

/// Asks the supervisor for the request's actor. `fresh_jobs`: the row, whose snapshot names these
/// jobs, was inserted by this node a moment ago.
void start_actor(reg_self* self, entry& e, const request_row& row,
                 const std::vector<request_job>* fresh_jobs = nullptr);

/// A row's view with its estimated completion; `jobs` when they are known already.
request_view view_with_eta(reg_self* self, const request_row& row,
                           const std::vector<request_job>* jobs = nullptr);

/// How a repeat of a request the index knows is answered: 200 (`same`) or 409 (`conflict`), by
/// its payload's fingerprint; counted.
submit_answer repeat_answer(reg_self* self, const std::string& id, const entry& e,
                            const fingerprint_t& fp);

/// Answers `rp` from memory when it can (true): a request the index knows as a repeat, and a
/// submission identical to one waiting for its insert with that insert (as a repeat of it).
bool answer_from_memory(reg_self* self, const request_submission& sub, const fingerprint_t& fp,
                        caf::typed_response_promise<submit_answer>& rp);

/// A new submission: answered from the index, joined to an identical one waiting, or queued for
/// the next insert group (registry_submit.cpp).
caf::typed_response_promise<submit_answer> submit(reg_self* self, request_submission& sub);

}  // namespace gp::registry_detail

