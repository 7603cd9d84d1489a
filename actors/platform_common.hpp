#pragma once
// Shared by the /platform handlers of the http_edge actor (platform_handlers.cpp and
// submit_handlers.cpp).
#include <cstdint>
#include <string>

namespace gp::platform_detail {

/// The Retry-After of a request not ended yet: seconds until its estimated completion (1 to 60),
/// or 2 when there is no estimate.
std::string retry_after(int64_t eta);

}  // namespace gp::platform_detail
