#include "actors/auth.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "actors/live_actor.hpp"
#include "io/crypto.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/health.hpp"

namespace gp {

std::string key_refusal(const persistence::key_credentials& stored, const std::string& presented,
                        int64_t now_epoch) {
  if (!io::constant_time_equal(io::sha256_hex(presented), stored.key_hash))
    return "unknown API key";
  if (stored.revoked)
    return "API key " + stored.key_id + " was revoked";
  if (stored.expires_epoch != 0 && now_epoch >= stored.expires_epoch)
    return "API key " + stored.key_id + " expired at " + stored.expires_at;
  if (!stored.client_active)
    return "client " + stored.client_id + " is not active";
  return {};
}

principal principal_of(const persistence::key_credentials& stored) {
  principal p;
  p.client_id = stored.client_id;
  p.key_id = stored.key_id;
  p.access_level = stored.access_level;
  p.expires_at = stored.expires_at;
  p.restricted = stored.allowed_endpoints.has_value();
  if (stored.allowed_endpoints)
    p.allowed_endpoints = *stored.allowed_endpoints;
  p.rate_limit_per_minute = stored.rate_limit_per_minute;
  p.read_rate_limit_per_minute = stored.read_rate_limit_per_minute;
  p.tiles_rate_limit_per_minute = stored.tiles_rate_limit_per_minute;
  return p;
}

namespace {

using clock_point = caf::actor_clock::time_point;

struct cache_entry {
  std::optional<persistence::key_credentials> found;
  clock_point fetched;
};

struct waiter {
  caf::typed_response_promise<principal> rp;
  std::string key;
};

struct auth_state : live_actor<actor_kind::auth> {
  db_pool_actor pool;
  auth_options opts;
  std::unordered_map<std::string, cache_entry> cache;
  /// Callers waiting for a lookup in flight, by key_id (one lookup per key_id at a time).
  std::unordered_map<std::string, std::vector<waiter>> waiting;
  /// Bumped by invalidate: a lookup that started before is answered but neither cached nor
  /// marked reusable, so a revocation on this node is never undone by a late reply.
  std::unordered_map<std::string, uint64_t> generation;
  uint64_t hits = 0;
  uint64_t lookups = 0;
  uint64_t refused = 0;
  static inline const char* name = "auth";
};

using auth_self = caf::stateful_actor<auth_state, auth_actor::base>;

int64_t now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The verdict for one presented key given what the database said about its key_id.
caf::expected<principal> evaluate(auth_self* self, const std::string& key,
                                  const cache_entry& entry) {
  auto epoch = now_epoch();
  std::string why = entry.found ? key_refusal(*entry.found, key, epoch) : "unknown API key";
  if (why.empty()) {
    auto p = principal_of(*entry.found);
    auto until = entry.fetched + self->state.opts.cache_ttl;
    if (entry.found->expires_epoch != 0) {
      // Clamped first: a far-future expiry must not overflow the nanosecond clock.
      auto left = std::min<int64_t>(entry.found->expires_epoch - epoch,
                                    std::chrono::duration_cast<std::chrono::seconds>(
                                      self->state.opts.cache_ttl)
                                        .count() +
                                      1);
      until = std::min(until, self->clock().now() + std::chrono::seconds{left});
    }
    p.reusable_until_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
    return p;
  }
  ++self->state.refused;
  return caf::make_error(errc::unauthorized, why);
}

void remember(auth_self* self, const std::string& key_id, cache_entry entry) {
  auto& st = self->state;
  if (st.cache.size() >= st.opts.max_entries) {
    auto now = self->clock().now();
    for (auto i = st.cache.begin(); i != st.cache.end();)
      i = now - i->second.fetched >= st.opts.cache_ttl ? st.cache.erase(i) : std::next(i);
    if (st.cache.size() >= st.opts.max_entries)
      st.cache.clear();
  }
  st.cache[key_id] = std::move(entry);
}

void lookup(auth_self* self, const std::string& key_id) {
  ++self->state.lookups;
  auto gen = self->state.generation[key_id];
  self->request(self->state.pool, self->state.opts.lookup_timeout, db::find_key{key_id})
    .then(
      [=](const db::find_key::result& res) {
        cache_entry entry{res.found, self->clock().now()};
        bool current = self->state.generation[key_id] == gen;
        auto waiters = std::move(self->state.waiting[key_id]);
        self->state.waiting.erase(key_id);
        for (auto& w : waiters) {
          auto verdict = evaluate(self, w.key, entry);
          if (verdict && !current)
            verdict->reusable_until_ns = 0;
          if (verdict)
            w.rp.deliver(std::move(*verdict));
          else
            w.rp.deliver(std::move(verdict.error()));
        }
        if (current)
          remember(self, key_id, std::move(entry));
      },
      [=](const caf::error& err) {
        GP_LOG_WARN("auth: lookup of key {} failed: {}", key_id, self->system().render(err));
        auto waiters = std::move(self->state.waiting[key_id]);
        self->state.waiting.erase(key_id);
        for (auto& w : waiters)
          w.rp.deliver(err);
      });
}

auth_actor::behavior_type auth(auth_self* self, db_pool_actor pool, auth_options opts) {
  self->state.pool = std::move(pool);
  self->state.opts = opts;
  return {
    // Checks one presented key.
    [=](auth_atom, const std::string& key) -> caf::result<principal> {
      auto& st = self->state;
      auto key_id = io::api_key_id(key);
      if (key_id.empty()) {
        ++st.refused;
        return caf::make_error(errc::unauthorized,
                               std::string{"malformed API key (expected gp_<key_id>_<secret>)"});
      }
      auto i = st.cache.find(key_id);
      if (i != st.cache.end() && self->clock().now() - i->second.fetched < st.opts.cache_ttl) {
        ++st.hits;
        auto verdict = evaluate(self, key, i->second);
        if (!verdict)
          return std::move(verdict.error());
        return std::move(*verdict);
      }
      auto rp = self->make_response_promise<principal>();
      auto& queue = st.waiting[key_id];
      queue.push_back({rp, key});
      if (queue.size() == 1)
        lookup(self, key_id);
      return rp;
    },
    // Drops a key from the cache (revoked on this node: refuse it from the next call on).
    [=](invalidate_atom, const std::string& key_id) {
      self->state.cache.erase(key_id);
      ++self->state.generation[key_id];
    },
    // Cache size, hits, lookups and refusals so far.
    [=](status_atom) {
      auto& st = self->state;
      return status_report{"auth",
                           actor_state::running,
                           {{"mailbox", std::to_string(self->mailbox().size())},
                            {"cached_keys", std::to_string(st.cache.size())},
                            {"cache_hits", std::to_string(st.hits)},
                            {"lookups", std::to_string(st.lookups)},
                            {"refused", std::to_string(st.refused)}}};
    },
  };
}

}  // namespace

auth_actor spawn_auth(caf::actor_system& sys, db_pool_actor pool, auth_options opts) {
  return sys.spawn(auth, std::move(pool), opts);
}

}  // namespace gp
