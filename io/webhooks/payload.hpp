#pragma once
// The documents of webhooks: an event's body as it is sent (from the outbox's stored payload),
// a ping's, and a delivery as clients and admins read it (docs/webhooks.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "messages/webhooks.hpp"

namespace gp::io::webhooks {

/// Whether `s` is a delivery id: msg_ and 32 lowercase hex characters.
bool is_delivery_id(const std::string& s);

/// The body of an event from its stored payload: endpoints made absolute with `base_url`, as the
/// status shows them. A body longer than `max_bytes` is sent without its stac_metadata (null, with
/// "stac_metadata_omitted" saying where to read it), so a receiver is never sent more than it
/// can be expected to take. The same stored payload always gives the same bytes.
std::string event_body(const std::string& stored_payload, const std::string& base_url,
                       size_t max_bytes);

/// The stored payload of a ping asked for by `client_id` (`timestamp`: seconds since the epoch).
std::string ping_payload(const std::string& client_id, const std::string& url, int64_t timestamp);

/// A delivery as `GET /admin/webhooks` and `GET /platform/requests/{id}/webhooks` show it.
nlohmann::json delivery_json(const webhook_delivery& d, const std::string& base_url);

}  // namespace gp::io::webhooks
