#include "io/webhooks/payload.hpp"

#include <nlohmann/json.hpp>

#include "io/http/admin_codec.hpp"
#include "io/http/paging.hpp"
#include "io/http/request_codec.hpp"
#include "io/webhooks/endpoints_text.hpp"

namespace gp::io::webhooks {

using json = nlohmann::json;

bool is_delivery_id(const std::string& s) {
  return s.size() == 36 && s.rfind("msg_", 0) == 0 && io::http::is_hex_id(s.substr(4), 32);
}

std::string event_body(const std::string& stored_payload, const std::string& base_url,
                       size_t max_bytes) {
  // The common case in one pass over the text; the document is built only for a payload that
  // pass cannot follow or one too long to send whole.
  auto quick = with_absolute_endpoints(stored_payload, base_url);
  if (quick && quick->size() <= max_bytes)
    return std::move(*quick);
  auto doc = json::parse(stored_payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return stored_payload;
  if (auto e = doc.find("endpoints"); e != doc.end())
    io::http::make_urls_absolute(*e, base_url);
  auto body = doc.dump();
  if (body.size() <= max_bytes || !doc.contains("stac_metadata") || doc["stac_metadata"].is_null())
    return body;
  doc["stac_metadata"] = nullptr;
  doc["stac_metadata_omitted"] =
    "larger than this receiver is sent; read it at endpoints.stac_item or "
    "endpoints.stac_collection";
  return doc.dump();
}

std::string ping_payload(const std::string& client_id, const std::string& url, int64_t timestamp) {
  return json{{"event", "platform.ping"},
              {"timestamp", io::http::rfc3339_or_null(timestamp)},
              {"client_id", client_id},
              {"url", url},
              {"message", "a test delivery asked for at POST /platform/webhooks/test"}}
    .dump();
}

json delivery_json(const webhook_delivery& d, const std::string& base_url) {
  using io::http::string_or_null;
  return {{"delivery_id", d.delivery_id},
          {"request_id", string_or_null(d.request_id)},
          {"client_id", d.client_id},
          {"event", d.event},
          {"url", d.url},
          {"status", std::string{name_of(d.status)}},
          {"attempts", d.attempts},
          {"last_status_code", d.last_status_code == 0 ? json() : json(d.last_status_code)},
          {"last_error", string_or_null(d.last_error)},
          {"next_attempt_at", string_or_null(d.next_attempt_at)},
          {"last_attempt_at", string_or_null(d.last_attempt_at)},
          {"delivered_at", string_or_null(d.delivered_at)},
          {"created_at", string_or_null(d.created_at)},
          {"links", {{"self", base_url + "/platform/webhooks/" + d.delivery_id}}}};
}

}  // namespace gp::io::webhooks
