#include "actors/webhook_dispatcher.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/node_metrics.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

namespace {

using namespace std::chrono_literals;

/// Outcomes gathered that start a write at once (a write takes all those gathered); fewer wait
/// this long for company.
constexpr size_t flush_batch = 256;
constexpr auto flush_delay = 20ms;

/// How long a stopping node waits for its delivery actors to give back what they hold; what one
/// has not given back by then is released with the attempts in flight (counted as attempts).
constexpr auto give_back_within = 5s;

struct webhook_dispatcher_state : live_actor<actor_kind::webhook_dispatcher> {
  std::shared_ptr<const webhook_options> opts;
  /// Claims handed to delivery actors and not yet reported, per host (all of them: claim_of).
  std::map<std::string, size_t> held;
  /// Claims not yet reported per client, and the client and host of each (by delivery id): a
  /// client whose receivers are slow holds at most per_client of them, whatever its number of
  /// hosts.
  std::map<std::string, size_t> held_by_client;
  std::unordered_map<std::string, std::pair<std::string, std::string>> claim_of;
  std::map<std::string, webhook_delivery_actor> hosts;
  std::vector<delivery_outcome> outcomes;
  bool claiming = false;
  bool flushing = false;
  bool flush_armed = false;
  /// More may be due right now: the last claim came back full, took a host's whole share, or
  /// skipped busy hosts.
  bool more_due = false;
  /// A reason to claim came while a claim was under way (a host dropped below its limit): claim
  /// again when it answers.
  bool claim_again = false;
  /// A claim that skipped busy hosts or clients found nothing: every due row is theirs. Claims
  /// that would skip them again (each reads every due row of the busy ones) do not follow each
  /// full claim; they wait for the next tick, a ping or a redelivery, or a claim that takes rows
  /// of a host still below busy.
  bool skipping_futile = false;
  /// Where claims that skip the hosts in `skip_busy` start in the due index (µs since the epoch;
  /// 0: at its head): the oldest due row the last such claim took. The rows before it were the
  /// busy hosts' (or locked by another claim), and re-reading them made every claim slower as a
  /// hanging host's backlog grew. Forgotten at every tick and whenever the busy hosts change, so
  /// a row passed over this way waits one tick at most.
  int64_t skip_from_us = 0;
  std::vector<std::string> skip_busy;
  bool stopping = false;
  /// Delivery actors asked to give back what they hold, not yet answered (the node stops).
  size_t collecting = 0;
  caf::error stop_reason;
  uint64_t claimed = 0, written = 0, given_back = 0, delivered = 0, retried = 0, gave_up = 0;
  static inline const char* name = "webhook_dispatcher";
};

using dispatcher_self =
  caf::stateful_actor<webhook_dispatcher_state, webhook_dispatcher_impl::base>;

/// A host holding this many claims (its attempts in flight, at most its limit, and those waiting
/// for one of its slots) is skipped by the next claims. A fast host drains per_host attempts in
/// about a millisecond, a claim's round trip takes several: its queue must hold several rounds
/// so that its slots never wait for the outbox, also while the claim waits for a core on a busy
/// machine (one endpoint took 8 % more deliveries a second at sixteen times per_host than at
/// eight, no more at thirty-two; bench/RESULTS.md). A slow host's waiting claims cost nothing
/// but their lease: one that would start too late for its lease is given back by the host's
/// actor.
size_t busy_at(const webhook_dispatcher_state& st) { return 16 * st.opts->per_host; }

/// The most one claim takes of one host: a host that is not busy holds fewer than
/// busy_at + claim_share claims (a hanging one as many: per_host of them in flight). As large as
/// busy_at: a fast host's claims come half as often as with half of it, and each claim's fixed
/// costs (its transaction, and reading past the rows the nodes hold) are shared by twice the rows
/// (one endpoint took 3-20 % more deliveries a second in six A/B pairs; bench/RESULTS.md).
size_t claim_share(const webhook_dispatcher_state& st) { return busy_at(st); }

/// One claim of `client` reported; whether the client just dropped to half its limit (then the
/// next claim may take half a share of it at once rather than one delivery at a time).
bool release_client(webhook_dispatcher_state& st, const std::string& client) {
  auto n = st.held_by_client.find(client);
  if (n == st.held_by_client.end())
    return false;
  bool freed = st.opts->per_client > 0 && n->second == st.opts->per_client / 2 + 1;
  if (--n->second == 0)
    st.held_by_client.erase(n);
  return freed;
}

/// The hosts' first slots claimed for: a host attempts at most per_host of what it holds, and
/// more only with an earned slot (webhook_slots); what waits takes no slot from other hosts.
size_t reserved(const webhook_dispatcher_state& st) {
  size_t n = 0;
  for (const auto& [host, held] : st.held)
    n += std::min(held, st.opts->per_host);
  return n;
}

/// Publishes the slots reserved now for the delivery actors' earned ones.
void publish_reserved(const webhook_dispatcher_state& st) {
  st.opts->slots->reserved.store(reserved(st));
}

size_t capacity(const webhook_dispatcher_state& st) {
  auto attempts = reserved(st) + st.opts->slots->earned.load();
  return attempts >= st.opts->concurrency ? 0 : st.opts->concurrency - attempts;
}

void claim(dispatcher_self* self, bool straight_on = false);

/// New work or time passing: what claims learnt about skipping busy hosts may no longer hold.
void forget_skips(webhook_dispatcher_state& st) {
  st.skipping_futile = false;
  st.skip_from_us = 0;
}

/// The least room worth a claim made only because more may be due: a quarter of the most one
/// claim can take. Every claim costs a round trip and a statement whatever it takes; claims
/// following each other into a room of a few deliveries each cost more than the deliveries.
size_t worth_a_claim(const webhook_dispatcher_state& st) {
  return std::max<size_t>(
    1, std::min(static_cast<size_t>(st.opts->claim_batch), st.opts->concurrency) / 4);
}

/// The node stops: the outcomes gathered are written and what this node still holds is given
/// back (one operation, once no outcome write, no claim and no delivery actor's answer is under
/// way), so another node, or this one restarted, attempts it at once rather than after the
/// lease; a repeat keeps its webhook-id. A claim's rows are committed by the time it answers, so
/// the release finds them (the release could otherwise run beside the claim and miss them,
/// leaving them to their lease). What the delivery actors had not started goes back
/// unattempted (see collect_held); attempts in flight are abandoned (counted as attempts).
void finish_stopping(dispatcher_self* self) {
  auto& st = self->state;
  if (!st.stopping || st.flushing || st.claiming || st.collecting > 0)
    return;
  caf::anon_send(st.opts->pool, db::release_deliveries{st.opts->node_id, std::move(st.outcomes)});
  self->quit(st.stop_reason);
}

void flush(dispatcher_self* self);

/// Writes the gathered outcomes now when they fill a batch or nothing else is held; else they
/// wait for company, at most flush_delay (every write costs a transaction whatever its size).
void flush_when_due(dispatcher_self* self) {
  auto& st = self->state;
  if (st.outcomes.empty())
    return;
  if (st.outcomes.size() >= flush_batch || st.claim_of.empty()) {
    flush(self);
  } else if (!st.flush_armed) {
    st.flush_armed = true;
    self->delayed_send(self, flush_delay, flush_atom_v);
  }
}

/// Writes the gathered outcomes (one write at a time); what gathers meanwhile follows when due.
void flush(dispatcher_self* self) {
  auto& st = self->state;
  if (st.flushing || st.outcomes.empty() || st.stopping)
    return;
  st.flushing = true;
  std::vector<delivery_outcome> batch;
  batch.swap(st.outcomes);
  auto n = batch.size();
  auto written_then = [=] {
    auto& st = self->state;
    st.flushing = false;
    if (st.stopping)
      return finish_stopping(self);
    flush_when_due(self);
  };
  self
    ->request(st.opts->pool, st.opts->db_timeout,
              db::record_deliveries{st.opts->node_id, std::move(batch)})
    .then(
      [=](int written) {
        self->state.written += static_cast<uint64_t>(written);
        written_then();
      },
      [=](const caf::error& err) {
        // Unwritten outcomes leave their claims to lapse: the deliveries are attempted again
        // after the lease (the same webhook-id), never lost.
        GP_LOG_WARN("webhooks: {} outcomes not written ({})", n, error_detail(err));
        written_then();
      });
}

void add_outcome(dispatcher_self* self, delivery_outcome o) {
  self->state.outcomes.push_back(std::move(o));
  flush_when_due(self);
}

webhook_delivery_actor host_actor(dispatcher_self* self, const std::string& host) {
  auto& st = self->state;
  auto i = st.hosts.find(host);
  if (i != st.hosts.end())
    return i->second;
  auto me = caf::actor_cast<webhook_dispatcher_actor>(self);
  auto a = spawn_webhook_delivery(self->system(), me, host, st.opts);
  // A delivery actor dies with the dispatcher.
  self->link_to(a);
  st.hosts.emplace(host, a);
  return a;
}

/// Counts an outcome in the status report and the node's metrics (a claim given back
/// unattempted is no attempt of the delivery).
void count_outcome(webhook_dispatcher_state& st, const delivery_outcome& o) {
  auto& metrics = node_metrics::get();
  if (!o.attempted)
    return metrics.webhook_attempt(webhook_outcome::given_back);
  switch (o.status) {
    case delivery_status::delivered:
      ++st.delivered;
      return metrics.webhook_attempt(webhook_outcome::delivered);
    case delivery_status::pending:
      ++st.retried;
      return metrics.webhook_attempt(webhook_outcome::retry);
    default:
      ++st.gave_up;
      return metrics.webhook_attempt(o.status == delivery_status::dead ? webhook_outcome::dead
                                                                       : webhook_outcome::failed);
  }
}

/// Hands claimed deliveries to their hosts' actors, one message per host; a host already
/// holding busy_at + claim_share gives the rest back unattempted (a safety net: claims skip busy
/// hosts and take at most claim_share of one host, so it holds fewer). `give_back`: all of them
/// go back unattempted.
void dispatch(dispatcher_self* self, std::vector<claimed_delivery> claimed,
              bool give_back = false) {
  auto& st = self->state;
  std::map<std::string, std::vector<claimed_delivery>> to_host;
  for (auto& d : claimed) {
    ++st.claimed;
    auto& held = st.held[d.host];
    if (held >= busy_at(st) + claim_share(st) || give_back) {
      ++st.given_back;
      node_metrics::get().webhook_attempt(webhook_outcome::given_back);
      add_outcome(self, io::webhooks::give_back(d));
      continue;
    }
    ++held;
    // A delivery this node holds already (its lease ran out here and a claim took it again) is
    // counted for its client once: only the first of its outcomes finds it in claim_of.
    if (st.claim_of.emplace(d.delivery_id, std::make_pair(d.client_id, d.host)).second)
      ++st.held_by_client[d.client_id];
    auto host = d.host;
    to_host[host].push_back(std::move(d));
  }
  publish_reserved(st);
  for (auto& [host, batch] : to_host)
    self->send(host_actor(self, host), deliver_atom_v, std::move(batch));
}

/// Claims what this node can take now: up to its free capacity, none to busy hosts.
/// `straight_on`: it follows a claim that found work, and is not made when it would only skip
/// busy hosts or clients that a claim found alone with due rows.
void claim(dispatcher_self* self, bool straight_on) {
  auto& st = self->state;
  auto room = std::min(capacity(st), static_cast<size_t>(st.opts->claim_batch));
  if (st.claiming) {
    // The claim under way decides by its answer whether to go straight on.
    st.claim_again = st.claim_again || !straight_on;
    return;
  }
  if (st.stopping || room == 0)
    return;
  db::claim_deliveries op;
  op.node = st.opts->node_id;
  op.limit = static_cast<int>(room);
  op.per_host = static_cast<int>(claim_share(st));
  // 0: no limit per client.
  op.per_client = st.opts->per_client > 0 ? static_cast<int>(st.opts->per_client) : 1000000;
  op.lease_ms = st.opts->lease.count();
  for (const auto& [host, n] : st.held)
    if (n >= busy_at(st))
      op.busy_hosts.push_back(host);
  if (st.opts->per_client > 0) {
    for (const auto& [client, n] : st.held_by_client) {
      if (n >= st.opts->per_client)
        op.busy_clients.push_back(client);
      else
        op.client_rooms.emplace_back(client, static_cast<int>(st.opts->per_client - n));
    }
  }
  bool skipped = !op.busy_hosts.empty() || !op.busy_clients.empty();
  if (straight_on && skipped && st.skipping_futile)
    return;
  st.claim_again = false;
  // Only busy hosts are passed over by the cursor: a busy client's rooms change with every
  // outcome.
  bool cursor = skipped && op.busy_clients.empty();
  if (cursor && op.busy_hosts == st.skip_busy)
    op.due_from_us = st.skip_from_us;
  auto busy = cursor ? op.busy_hosts : std::vector<std::string>{};
  std::map<std::string, size_t> rooms;
  for (const auto& [client, room] : op.client_rooms)
    rooms.emplace(client, static_cast<size_t>(room));
  st.claiming = true;
  auto sent = self->clock().now();
  self->request(st.opts->pool, st.opts->db_timeout, std::move(op))
    .then(
      [=](db::claim_deliveries::result& r) {
        auto& st = self->state;
        st.claiming = false;
        if (st.stopping) {
          // Given back with what the node holds.
          dispatch(self, std::move(r.deliveries), true);
          return finish_stopping(self);
        }
        // A host's actor lets a delivery start until its attempt would end a tenth of the lease
        // before the lease does, counting from when the claim reaches it: the tenth is the
        // claim's round trip. A claim that took longer (an overloaded database) gives its rows
        // back unattempted, due again at once, rather than let an attempt outlive its lease
        // while another claim may hold it.
        if (self->clock().now() - sent > st.opts->lease / 10) {
          GP_LOG_WARN("webhooks: a claim took longer than a tenth of the lease; its {} deliveries "
                      "are given back",
                      r.deliveries.size());
          dispatch(self, std::move(r.deliveries), true);
          return;
        }
        std::map<std::string, size_t> per_host, per_client;
        for (const auto& d : r.deliveries) {
          ++per_host[d.host];
          ++per_client[d.client_id];
        }
        // A host or a client that got all the claim could give it may have more due.
        bool capped = false;
        for (const auto& [host, n] : per_host)
          capped = capped || n >= claim_share(st);
        for (const auto& [client, n] : per_client) {
          auto room = rooms.find(client);
          capped = capped || (st.opts->per_client > 0 &&
                              n >= (room == rooms.end() ? st.opts->per_client : room->second));
        }
        bool full = r.deliveries.size() >= room;
        GP_LOG_DEBUG("webhooks: claimed {} of {}{}, holding {}", r.deliveries.size(), room,
                     skipped ? " (busy hosts or clients skipped)" : "", st.claim_of.size());
        bool any = !r.deliveries.empty();
        if (skipped)
          st.skipping_futile = !any;
        if (!cursor) {
          st.skip_from_us = 0;
          st.skip_busy.clear();
        } else if (r.oldest_due_us > 0) {
          st.skip_from_us = r.oldest_due_us;
          st.skip_busy = busy;
        }
        dispatch(self, std::move(r.deliveries));
        // Rows of a host that is still below busy: the next claim need not skip past it to
        // find more of them.
        for (const auto& [host, n] : per_host)
          if (auto h = st.held.find(host); h != st.held.end() && h->second < busy_at(st))
            st.skipping_futile = false;
        st.more_due = full || capped || skipped;
        // Straight on while claims find work (the hosts that are busy now are skipped next), or
        // when a host freed a slot meanwhile.
        if (st.claim_again)
          claim(self);
        else if (any && st.more_due && capacity(st) >= worth_a_claim(st))
          claim(self, true);
      },
      [=](const caf::error& err) {
        self->state.claiming = false;
        self->state.claim_again = false;
        GP_LOG_DEBUG("webhooks: claim failed ({})", error_detail(err));
        finish_stopping(self);
      });
}

/// The node stops: each delivery actor hands over the outcomes it has not reported and the
/// deliveries it has not started (given back unattempted), to be written with the release.
void collect_held(dispatcher_self* self) {
  auto& st = self->state;
  for (const auto& held_by : st.hosts) {
    ++st.collecting;
    auto host = held_by.first;
    self->request(held_by.second, give_back_within, give_back_atom_v)
      .then(
        [=](std::vector<delivery_outcome>& held) {
          auto& st = self->state;
          for (auto& o : held) {
            count_outcome(st, o);
            st.outcomes.push_back(std::move(o));
          }
          --st.collecting;
          finish_stopping(self);
        },
        [=](const caf::error& err) {
          // Its claims are released with the node's: each counts as an attempt, and an attempt
          // it had not reported yet is made again (the same webhook-id).
          GP_LOG_WARN("webhooks: the delivery actor of {} did not hand over what it holds ({}); "
                      "its claims are released as attempted, its unreported attempts will be "
                      "repeated",
                      host, error_detail(err));
          --self->state.collecting;
          finish_stopping(self);
        });
  }
}

webhook_dispatcher_impl::behavior_type webhook_dispatcher(dispatcher_self* self,
                                                          webhook_options opts) {
  auto& st = self->state;
  st.opts = std::make_shared<const webhook_options>(std::move(opts));
  if (st.opts->enabled)
    self->send(self, tick_atom_v);
  self->set_exit_handler([=](const caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto i = st.hosts.begin(); i != st.hosts.end(); ++i) {
      if (i->second.address() != msg.source)
        continue;
      // A delivery actor failed: what it held lapses to the lease and is attempted again.
      GP_LOG_ERROR("webhooks: the delivery actor of {} stopped ({})", i->first,
                   self->system().render(msg.reason));
      for (auto c = st.claim_of.begin(); c != st.claim_of.end();)
        if (c->second.second == i->first) {
          release_client(st, c->second.first);
          c = st.claim_of.erase(c);
        } else {
          ++c;
        }
      st.held.erase(i->first);
      st.hosts.erase(i);
      publish_reserved(st);
      return;
    }
    // The node stops (after the outcome write or the claim under way, if any).
    if (st.stopping)
      return;
    st.stopping = true;
    st.stop_reason = msg.reason;
    collect_held(self);
    finish_stopping(self);
  });
  return {
    [=](work_atom) {
      forget_skips(self->state);
      if (self->state.opts->enabled)
        claim(self);
    },
    [=](tick_atom) {
      forget_skips(self->state);
      claim(self);
      self->delayed_send(self, self->state.opts->poll, tick_atom_v);
    },
    [=](flush_atom) {
      self->state.flush_armed = false;
      flush(self);
    },
    [=](delivered_atom, const std::string& host, std::vector<delivery_outcome>& ended) {
      auto& st = self->state;
      // A host that drops below its limit may take more of what is due.
      bool freed = false;
      auto h = st.held.find(host);
      for (auto& o : ended) {
        if (h != st.held.end() && h->second > 0)
          freed = --h->second + 1 == busy_at(st) || freed;
        if (auto c = st.claim_of.find(o.delivery_id); c != st.claim_of.end()) {
          freed = release_client(st, c->second.first) || freed;
          st.claim_of.erase(c);
        }
        count_outcome(st, o);
        add_outcome(self, std::move(o));
      }
      publish_reserved(st);
      if (freed && st.more_due)
        claim(self);
      else if (st.more_due && capacity(st) >= worth_a_claim(st))
        claim(self, true);
    },
    [=](idle_atom, const std::string& host) {
      auto& st = self->state;
      // A stopping node's delivery actors are asked for what they hold, and stop with it.
      if (st.stopping)
        return;
      auto i = st.hosts.find(host);
      auto h = st.held.find(host);
      if (i == st.hosts.end() || (h != st.held.end() && h->second > 0))
        return;
      self->unlink_from(i->second);
      self->send_exit(i->second, caf::exit_reason::user_shutdown);
      st.hosts.erase(i);
      st.held.erase(host);
    },
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"webhook_dispatcher",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"enabled", st.opts->enabled ? "true" : "false"},
                            {"holding", std::to_string(st.claim_of.size())},
                            {"earned_slots", std::to_string(st.opts->slots->earned.load())},
                            {"hosts", std::to_string(st.hosts.size())},
                            {"claimed", std::to_string(st.claimed)},
                            {"given_back", std::to_string(st.given_back)},
                            {"delivered", std::to_string(st.delivered)},
                            {"retries", std::to_string(st.retried)},
                            {"gave_up", std::to_string(st.gave_up)},
                            {"outcomes_written", std::to_string(st.written)}}};
    },
  };
}

}  // namespace

bool webhook_slots::take_earned(size_t concurrency) {
  auto e = earned.load();
  while (reserved.load() + e < concurrency)
    if (earned.compare_exchange_weak(e, e + 1))
      return true;
  return false;
}

webhook_dispatcher_actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_options opts) {
  if (!opts.slots)
    opts.slots = std::make_shared<webhook_slots>();
  return caf::actor_cast<webhook_dispatcher_actor>(sys.spawn(webhook_dispatcher, std::move(opts)));
}

}  // namespace gp
