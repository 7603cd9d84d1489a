#pragma once
// The http_edge's rate limits by route class and its usage counting (docs/admin.md): token
// buckets per client and class, no database round trip per call; usage per client and hour
// counted in the edge's state and added to the database every few seconds and on a clean stop.
#include <functional>

#include "actors/http_edge_state.hpp"
#include "actors/route_table.hpp"
#include "io/rate_limit.hpp"
#include "messages/auth.hpp"

namespace gp {

/// Takes one call of `who`'s client from its budget of `cls`. When the budget is spent, answers
/// 429 (problem+json, Retry-After and the RateLimit-Limit/-Remaining/-Reset fields), counts a
/// refused submission when `what` is one, and returns false.
bool take_rate(edge_self* self, http_call& call, io::rate_class cls, metered what,
               const principal& who);

/// Notes the use of `who`'s key and, for a metered route, counts the call's answer (its status,
/// and the bytes a download serves) when it is given.
void meter(edge_self* self, http_call& call, metered what, const principal& who);

/// Adds what was counted to the database (one write at a time; a failed write keeps the counts
/// for the next). `then`, if any, runs once everything counted before this call was written
/// or the write failed.
void flush_usage(edge_self* self, std::function<void()> then = {});

}  // namespace gp
