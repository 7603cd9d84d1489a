#pragma once
// Capacity reserved up front by the maps that hold one entry per live request.
#include <cstddef>

namespace gp {

/// Buckets reserved in the registry's index, the status board (across its shards), the
/// coremachine's watches and the supervisor's children (8 bytes each, about 1.6 MB per map). A std::unordered_map that grows rehashes every
/// entry at once: measured here, 5 ms at 42 000 entries, 14 ms at 85 000 and 34 ms at 173 000,
/// a stall of the actor, and so of every submission in flight. Reserved, the first rehash comes
/// only past this many live requests.
inline constexpr std::size_t reserved_live_requests = 200000;

}  // namespace gp
