// The delivery actor of one callback host: checks, signs and POSTs the deliveries the
// dispatcher hands it, at most its host's limit at a time (per_host, grown up to per_host_max by
// prompt answers: io/webhooks/host_limit.hpp), reusing the connections its attempts hand
// back; the HTTP work runs on the client's own threads, never on CAF's. Everything crosses
// between it and the others in batches: claims come per host and claim, attempts that end while
// it is busy wait in its inbox for one wake-up, and outcomes go to the dispatcher once per run
// of its mailbox. At thousands of deliveries a second, a message and a thread wake-up per
// delivery each way cost more than the delivery's own work here.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/live_actor.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "io/http/submit_codec.hpp"
#include "io/logging.hpp"
#include "io/webhooks/address_policy.hpp"
#include "io/webhooks/host_limit.hpp"
#include "io/webhooks/http_client.hpp"
#include "io/webhooks/payload.hpp"
#include "io/webhooks/retry_policy.hpp"
#include "io/webhooks/signature.hpp"
#include "messages/atoms.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;

/// How long a delivery actor stays without work before offering to stop.
constexpr auto idle_after = 60s;

/// What one attempt found, with the connection when it can be used again. Carries the client's
/// secrets: a delivery is attempted by the node that claimed it.
struct attempt_done {
  claimed_delivery delivery;
  /// When it began (µs since the epoch).
  int64_t started_us = 0;
  /// How long the HTTP exchange took (the client's steady clock).
  std::chrono::milliseconds elapsed{0};
  io::webhooks::attempt_report report;
  std::shared_ptr<io::webhooks::connection> connection;
};

/// A URL checked against an allowlist, and what the check found (empty `why`: `parsed` may be
/// attempted).
struct url_check {
  std::string url;
  std::vector<std::string> hosts;
  std::string why;
  io::webhooks::callback_url parsed;
};

/// Secrets and the signing keys decoded from them.
struct signing_keys {
  std::vector<std::string> secrets;
  std::vector<std::string> keys;
};

/// Where the HTTP client's threads leave ended attempts for the actor. The first one left in an
/// empty inbox wakes the actor, which takes all it finds; the rest wait without a message.
struct attempt_inbox {
  std::mutex lock;
  std::vector<attempt_done> ended;
};

struct webhook_delivery_state : live_actor<actor_kind::webhook_delivery> {
  webhook_dispatcher_actor dispatcher;
  std::string host;
  std::shared_ptr<const webhook_options> opts;
  /// Deliveries waiting for a slot, each with the time after which its attempt could outlast
  /// its claim's lease (it is then given back rather than attempted).
  std::deque<std::pair<claimed_delivery, caf::actor_clock::time_point>> queue;
  uint64_t given_back = 0;
  size_t in_flight = 0;
  /// How many attempts may be in flight now: those beyond per_host each hold one of the node's
  /// earned slots (webhook_slots), taken when the attempt starts and given back when it ends.
  io::webhooks::host_limit limit{0, 0};
  std::shared_ptr<attempt_inbox> inbox = std::make_shared<attempt_inbox>();
  /// Outcomes not yet reported: they go to the dispatcher together when the messages in the
  /// mailbox now are handled (a flush_atom sent to itself comes after them).
  std::vector<delivery_outcome> outcomes;
  /// Connections handed back by finished attempts, newest last.
  std::vector<std::shared_ptr<io::webhooks::connection>> idle;
  /// The last URL check and the last keys decoded: a host's deliveries mostly repeat both, and
  /// each attempt checks and signs again (see refusal).
  std::optional<url_check> checked;
  signing_keys signing;
  std::mt19937_64 rng{std::random_device{}()};
  uint64_t attempts = 0, delivered = 0;
  std::chrono::steady_clock::time_point last_work = std::chrono::steady_clock::now();
  static inline const char* name = "webhook_delivery";

  /// The attempts beyond per_host in flight now (each holds an earned slot of the node).
  size_t earned_in_flight() const {
    return in_flight > opts->per_host ? in_flight - opts->per_host : 0;
  }

  /// An actor that stops with attempts in flight (they are abandoned: their ends come to no
  /// one) gives their earned slots back.
  ~webhook_delivery_state() {
    if (opts && earned_in_flight() > 0)
      opts->slots->give_back_earned(earned_in_flight());
  }
};

using delivery_self = caf::stateful_actor<webhook_delivery_state, webhook_delivery_impl::base>;

/// How long after its claim a delivery may still start: its attempt (at most total_timeout) then
/// ends within the lease, with a tenth of the lease to spare for the claim's round trip and the
/// outcome's write.
caf::actor_clock::duration_type last_start_after(const webhook_options& opts) {
  return opts.lease - opts.post.total_timeout - opts.lease / 10;
}

/// Why `d` may not be attempted now (empty: it may). Checked again at every attempt, with the
/// client's state and allowlist as its claim read them: a client deactivated or a host taken off
/// its allowlist since the event stops its deliveries. The check of the URL is reused while the
/// URL and the allowlist are those of the delivery before.
std::string refusal(delivery_self* self, const claimed_delivery& d,
                    io::webhooks::callback_url* url) {
  if (!d.client_active)
    return "the client is inactive";
  auto& c = self->state.checked;
  if (!c || d.url != c->url || d.callback_hosts != c->hosts) {
    url_check fresh{d.url, d.callback_hosts, io::http::check_callback_url(d.url, d.callback_hosts),
                    {}};
    if (fresh.why.empty())
      if (auto parsed = io::webhooks::parse_callback_url(d.url, &fresh.why))
        fresh.parsed = std::move(*parsed);
    c = std::move(fresh);
  }
  if (!c->why.empty())
    return "callback_url " + c->why;
  *url = c->parsed;
  return {};
}

/// The signing keys of `secrets` (those that are whsec_ secrets), decoded again only when the
/// secrets differ from the last delivery's.
const std::vector<std::string>& keys_of(delivery_self* self,
                                        const std::vector<std::string>& secrets) {
  auto& k = self->state.signing;
  if (secrets != k.secrets) {
    std::vector<std::string> keys;
    for (const auto& s : secrets)
      if (auto key = io::webhooks::secret_key(s))
        keys.push_back(std::move(*key));
    // Made whole before it replaces the last: a failure half-way leaves that as it was.
    k = signing_keys{secrets, std::move(keys)};
  }
  return k.keys;
}

/// The signed request of `d`, or nothing when the client has no usable secret.
std::optional<io::webhooks::post_request> signed_request(delivery_self* self,
                                                         const claimed_delivery& d,
                                                         io::webhooks::callback_url url) {
  const auto& opts = *self->state.opts;
  const auto& keys = keys_of(self, d.secrets);
  if (keys.empty())
    return std::nullopt;
  io::webhooks::post_request req;
  req.url = std::move(url);
  req.body = io::webhooks::event_body(d.payload_json, opts.base_url, opts.max_payload_bytes);
  auto h = io::webhooks::sign(keys, d.delivery_id, std::time(nullptr), req.body);
  req.headers = {{"webhook-id", h.webhook_id},
                 {"webhook-timestamp", h.webhook_timestamp},
                 {"webhook-signature", h.webhook_signature},
                 {"X-Platform-Signature", h.platform_signature},
                 {"X-Platform-Event", d.event}};
  return req;
}

/// Now, in µs since the epoch (an attempt's start as the outbox records it).
int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// `o`, an attempt's outcome, with the time it began.
delivery_outcome began_at(delivery_outcome o, int64_t us) {
  o.attempted_at_us = us;
  return o;
}

/// `d` ended now without a request, for `why`.
delivery_outcome refused(const claimed_delivery& d, std::string why) {
  return began_at(io::webhooks::refuse(d, std::move(why)), now_us());
}

void report(delivery_self* self, delivery_outcome outcome) {
  auto& st = self->state;
  if (st.outcomes.empty())
    self->send(self, flush_atom_v);
  st.outcomes.push_back(std::move(outcome));
}

/// Starts queued deliveries while the host's limit allows. Beyond per_host, an attempt needs one
/// of the node's earned slots (webhook_slots): without one, the queue waits for this host's
/// next attempt to end.
void pump(delivery_self* self) {
  auto& st = self->state;
  while (st.in_flight < st.limit.current() && !st.queue.empty()) {
    bool earned = st.in_flight >= st.opts->per_host;
    if (earned && !st.opts->slots->take_earned(st.opts->concurrency))
      break;
    // What ends without an attempt gives its earned slot back.
    auto ends = [&](delivery_outcome o) {
      if (earned)
        st.opts->slots->give_back_earned();
      report(self, std::move(o));
    };
    auto d = std::move(st.queue.front().first);
    auto last_start = st.queue.front().second;
    st.queue.pop_front();
    if (self->clock().now() > last_start) {
      // Its host was slow for so long that the attempt could end after the lease, when another
      // claim may already hold it: back to the outbox, unattempted.
      ++st.given_back;
      ends(io::webhooks::give_back(d));
      continue;
    }
    io::webhooks::callback_url url;
    if (auto why = refusal(self, d, &url); !why.empty()) {
      ends(refused(d, std::move(why)));
      continue;
    }
    std::optional<io::webhooks::post_request> req;
    try {
      req = signed_request(self, d, std::move(url));
    } catch (const std::exception& e) {
      // A body that cannot be built ends the delivery rather than this actor (which would take
      // its host's other deliveries with it, again at every lease).
      ends(refused(d, std::string{"the body could not be built: "} + e.what()));
      continue;
    }
    if (!req) {
      ends(refused(d, "the client's webhook secret is not a whsec_ secret"));
      continue;
    }
    std::shared_ptr<io::webhooks::connection> reuse;
    if (!st.idle.empty()) {
      reuse = std::move(st.idle.back());
      st.idle.pop_back();
    }
    ++st.in_flight;
    ++st.attempts;
    st.last_work = std::chrono::steady_clock::now();
    // The client calls back on its own thread: the attempt comes home through the inbox.
    auto me = caf::actor_cast<caf::actor>(self);
    st.opts->client->post(
      std::move(*req), st.opts->post, std::move(reuse),
      [me, inbox = st.inbox, d = std::move(d), started = now_us()](
        io::webhooks::post_outcome o, std::shared_ptr<io::webhooks::connection> conn) mutable {
        attempt_done done;
        done.delivery = std::move(d);
        done.started_us = started;
        done.elapsed = o.elapsed;
        done.report.status = o.status;
        done.report.error = o.error.empty() ? std::move(o.body_excerpt) : std::move(o.error);
        done.report.retry_after = std::move(o.retry_after);
        done.report.location = std::move(o.location);
        done.report.address_refused = o.address_refused;
        done.connection = std::move(conn);
        bool wake;
        {
          std::lock_guard<std::mutex> guard{inbox->lock};
          wake = inbox->ended.empty();
          inbox->ended.push_back(std::move(done));
        }
        if (wake)
          caf::anon_send(me, delivered_atom_v);
      });
  }
}

/// One attempt ended: its connection kept for the next, its answer judged.
void attempt_ended(delivery_self* self, attempt_done& done) {
  auto& st = self->state;
  if (st.earned_in_flight() > 0)
    st.opts->slots->give_back_earned();
  --st.in_flight;
  st.limit.ended(
    io::webhooks::signal_of(done.report.status, done.elapsed, done.report.address_refused),
    !st.queue.empty());
  // Connections kept for the next attempts: as many as the limit allows now (the newest go).
  if (done.connection)
    st.idle.push_back(std::move(done.connection));
  if (st.idle.size() > st.limit.current())
    st.idle.resize(st.limit.current());
  auto outcome = began_at(io::webhooks::decide(done.delivery, done.report, st.opts->retry,
                                               std::time(nullptr), st.rng),
                          done.started_us);
  if (outcome.status == delivery_status::delivered)
    ++st.delivered;
  else
    GP_LOG_INFO("webhooks: {} to {} (attempt {}): {}", done.delivery.delivery_id, st.host,
                done.delivery.attempts, outcome.error);
  report(self, std::move(outcome));
}

/// Judges the attempts the HTTP client's threads left in the inbox; whether there were any.
bool take_ended(delivery_self* self) {
  auto& st = self->state;
  std::vector<attempt_done> ended;
  {
    std::lock_guard<std::mutex> guard{st.inbox->lock};
    ended.swap(st.inbox->ended);
  }
  if (ended.empty())
    return false;
  st.last_work = std::chrono::steady_clock::now();
  for (auto& done : ended)
    attempt_ended(self, done);
  return true;
}

webhook_delivery_impl::behavior_type delivery_behavior(delivery_self* self,
                                                      webhook_dispatcher_actor dispatcher,
                                                      std::string host,
                                                      std::shared_ptr<const webhook_options> opts) {
  auto& st = self->state;
  st.dispatcher = std::move(dispatcher);
  st.host = std::move(host);
  st.opts = std::move(opts);
  // A host never earns more than the node's concurrency.
  st.limit = io::webhooks::host_limit{st.opts->per_host,
                                      std::min(st.opts->per_host_max, st.opts->concurrency)};
  self->delayed_send(self, idle_after, tick_atom_v);
  return {
    [=](deliver_atom, std::vector<claimed_delivery>& claimed) {
      auto& st = self->state;
      auto last_start = self->clock().now() + last_start_after(*st.opts);
      for (auto& d : claimed)
        st.queue.emplace_back(std::move(d), last_start);
      pump(self);
    },
    [=](delivered_atom) {
      if (take_ended(self))
        pump(self);
    },
    // The node stops: the dispatcher writes these with what it holds, and releases the rest
    // (the attempts in flight, abandoned: each counts as an attempt, as its request may have
    // been sent). What never started costs its delivery no attempt. Nothing starts after: the
    // queue is empty, and a stopping dispatcher gives back what its claims still bring.
    [=](give_back_atom) {
      auto& st = self->state;
      take_ended(self);
      auto out = std::exchange(st.outcomes, {});
      for (auto& [d, last_start] : st.queue) {
        ++st.given_back;
        out.push_back(io::webhooks::give_back(d));
      }
      st.queue.clear();
      return out;
    },
    [=](flush_atom) {
      auto& st = self->state;
      if (!st.outcomes.empty())
        self->send(st.dispatcher, delivered_atom_v, st.host, std::exchange(st.outcomes, {}));
    },
    // Nothing to do for a while: offer to stop (the dispatcher stops it when nothing is on its
    // way here), dropping the connections kept open.
    [=](tick_atom) {
      auto& st = self->state;
      if (st.in_flight == 0 && st.queue.empty() &&
          std::chrono::steady_clock::now() - st.last_work >= idle_after) {
        st.idle.clear();
        self->send(st.dispatcher, idle_atom_v, st.host);
      }
      self->delayed_send(self, idle_after, tick_atom_v);
    },
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"webhook_delivery",
                           actor_state::running,
                           {{"host", st.host},
                            {"in_flight", std::to_string(st.in_flight)},
                            {"limit", std::to_string(st.limit.current())},
                            {"waiting", std::to_string(st.queue.size())},
                            {"given_back", std::to_string(st.given_back)},
                            {"idle_connections", std::to_string(st.idle.size())},
                            {"attempts", std::to_string(st.attempts)},
                            {"delivered", std::to_string(st.delivered)}}};
    },
  };
}

}  // namespace

webhook_delivery_actor spawn_webhook_delivery(caf::actor_system& sys,
                                              webhook_dispatcher_actor dispatcher,
                                              std::string host,
                                              std::shared_ptr<const webhook_options> opts) {
  return caf::actor_cast<webhook_delivery_actor>(
    sys.spawn(delivery_behavior, std::move(dispatcher), std::move(host), std::move(opts)));
}

}  // namespace gp
