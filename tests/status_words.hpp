#pragma once
// Tests compare statuses with the words of API.md and the database ("completed"), which is how a
// client sees them: the words come from messages/status.cpp, as everywhere else.
#include <string_view>

#include "messages/status.hpp"
#include "messages/webhooks.hpp"

namespace gp {

inline bool operator==(request_status s, std::string_view word) { return name_of(s) == word; }
inline bool operator!=(request_status s, std::string_view word) { return name_of(s) != word; }
inline bool operator==(job_status s, std::string_view word) { return name_of(s) == word; }
inline bool operator!=(job_status s, std::string_view word) { return name_of(s) != word; }
inline bool operator==(delivery_status s, std::string_view word) { return name_of(s) == word; }
inline bool operator!=(delivery_status s, std::string_view word) { return name_of(s) != word; }
inline bool operator==(actor_state s, std::string_view word) { return name_of(s) == word; }
inline bool operator!=(actor_state s, std::string_view word) { return name_of(s) != word; }

}  // namespace gp
