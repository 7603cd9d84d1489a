#include "actors/edge_metering.hpp"

#include <ctime>

#include <caf/all.hpp>

#include "actors/db_pool.hpp"
#include "io/http/problem.hpp"
#include "io/logging.hpp"
#include "messages/errors.hpp"

namespace gp {

namespace {

/// The client's budget of `cls` (calls a minute on this node).
int budget(const http_edge_options& opts, io::rate_class cls, const principal& who) {
  switch (cls) {
    case io::rate_class::submit: return who.rate_limit_per_minute;
    case io::rate_class::read:
      return who.read_rate_limit_per_minute > 0 ? who.read_rate_limit_per_minute
                                                : opts.read_per_minute;
    case io::rate_class::tiles:
      return who.tiles_rate_limit_per_minute > 0 ? who.tiles_rate_limit_per_minute
                                                 : opts.tiles_per_minute;
    case io::rate_class::none: break;
  }
  return 0;
}

/// Adds to the counts of `client` in the current hour (the counts of an hour that ended wait
/// for the flush).
template <class F>
void count(usage_meter& m, const std::string& client, F add) {
  auto hour = static_cast<int64_t>(std::time(nullptr)) / 3600 * 3600;
  std::lock_guard<std::mutex> guard{m.lock};
  if (hour != m.hour) {
    for (auto& [id, counts] : m.counts)
      m.unflushed.push_back({id, m.hour, counts});
    m.counts.clear();
    m.hour = hour;
  }
  add(m.counts[client]);
}

/// Everything counted so far, taken out of the meter.
std::vector<persistence::usage_delta> take_all(usage_meter& m) {
  std::lock_guard<std::mutex> guard{m.lock};
  auto out = std::move(m.unflushed);
  m.unflushed.clear();
  for (auto& [client, counts] : m.counts)
    out.push_back({client, m.hour, counts});
  m.counts.clear();
  return out;
}

}  // namespace

bool take_rate(edge_self* self, http_call& call, io::rate_class cls, metered what,
               const principal& who) {
  auto& st = self->state;
  if (!st.opts.rate_limits || cls == io::rate_class::none)
    return true;
  auto limit = budget(st.opts, cls, who);
  std::string key;
  key.reserve(who.client_id.size() + 1);
  key += name_of(cls)[0];
  key += who.client_id;
  auto& bucket = st.limits[key];
  auto wait = bucket.take(limit, std::chrono::steady_clock::now());
  if (wait == 0)
    return true;
  std::string allowance = cls == io::rate_class::submit ? "submit " + std::to_string(limit) +
                                                       " requests"
                                                   : "make " + std::to_string(limit) + " " +
                                                       name_of(cls) + " calls";
  auto r = io::http::problem(429, "rate_limited",
                             "client " + who.client_id + " may " + allowance +
                               " a minute on this node; try again in " + std::to_string(wait) +
                               " s");
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  r.headers.emplace_back("RateLimit-Limit", std::to_string(limit));
  r.headers.emplace_back("RateLimit-Remaining", std::to_string(bucket.remaining()));
  r.headers.emplace_back("RateLimit-Reset", std::to_string(bucket.seconds_to_full(limit)));
  if (what == metered::submit && st.opts.usage)
    count(*st.usage, who.client_id, [](usage_counts& u) { ++u.submits_refused; });
  call.reply(std::move(r));
  return false;
}

void meter(edge_self* self, http_call& call, metered what, const principal& who) {
  auto& st = self->state;
  if (!st.opts.usage)
    return;
  st.key_uses[who.key_id] = static_cast<int64_t>(std::time(nullptr));
  if (what == metered::none)
    return;
  // Most answers are given on the edge's thread, some not (the MosaicJSON is read on a thread of
  // its own): the meter is shared and locked, and outlives the edge if need be.
  bool head = call.req.method == "HEAD";
  call.reply = [meter = st.usage, what, head, client = who.client_id,
                inner = std::move(call.reply)](io::http::response r) {
    count(*meter, client, [&](usage_counts& u) {
      switch (what) {
        case metered::submit:
          if (r.status == 202)
            ++u.submits_new;
          else if (r.status == 200)
            ++u.submits_repeat;
          else if (r.status >= 400 && r.status < 500)
            ++u.submits_refused;
          break;
        case metered::stac_search:
          if (r.status == 200)
            ++u.stac_searches;
          break;
        case metered::download:
          if (r.status == 200 || r.status == 206) {
            ++u.downloads;
            if (!head)
              u.bytes_served += static_cast<int64_t>(r.file ? r.file->length : r.body.size());
          }
          break;
        case metered::none: break;
      }
    });
    inner(std::move(r));
  };
}

void flush_usage(edge_self* self, std::function<void()> then) {
  auto& st = self->state;
  if (then)
    st.flush_waiters.push_back(std::move(then));
  if (st.usage_flushing)
    return;  // the write under way flushes again for the waiters when it ends
  auto waiters = std::move(st.flush_waiters);
  st.flush_waiters.clear();
  db::record_usage op;
  op.deltas = take_all(*st.usage);
  for (auto& [key, at] : st.key_uses)
    op.key_uses.emplace_back(key, at);
  st.key_uses.clear();
  auto done = [self, waiters = std::move(waiters)] {
    auto& st = self->state;
    st.usage_flushing = false;
    for (const auto& w : waiters)
      w();
    if (!st.flush_waiters.empty())
      flush_usage(self);
  };
  if (op.deltas.empty() && op.key_uses.empty())
    return done();
  st.usage_flushing = true;
  auto deltas = op.deltas;
  self->request(st.peers.pool, st.opts.db_timeout, std::move(op))
    .then([done](int) { done(); },
          [self, done, deltas = std::move(deltas)](const caf::error& err) mutable {
            // Kept for the next flush, which adds up a client's hour given twice (the keys'
            // last use is only a hint: dropped). A write that timed out may have been
            // committed: its counts may then be added twice (at least once, never lost).
            GP_LOG_WARN("http_edge: usage not written, kept for the next flush ({})",
                        error_detail(err));
            auto& m = *self->state.usage;
            std::lock_guard<std::mutex> guard{m.lock};
            m.unflushed.insert(m.unflushed.end(), deltas.begin(), deltas.end());
            done();
          });
}

}  // namespace gp
