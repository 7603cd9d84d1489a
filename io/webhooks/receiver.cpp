#include "io/webhooks/receiver.hpp"

#include <charconv>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "io/webhooks/signature.hpp"

namespace gp::io::webhooks {

namespace {

std::string member(const nlohmann::json& doc, const char* name) {
  auto i = doc.find(name);
  return i != doc.end() && i->is_string() ? i->get<std::string>() : std::string{"-"};
}

}  // namespace

delivery_check check_delivery(const http::request& req, const std::vector<std::string>& keys,
                              int64_t now, int64_t tolerance_s) {
  delivery_check out;
  auto id = std::string{req.header("webhook-id")};
  auto stamp = std::string{req.header("webhook-timestamp")};
  auto standard = req.header("webhook-signature");
  auto platform = req.header("x-platform-signature");
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ts);
  bool stamp_ok = ec == std::errc{} && end == stamp.data() + stamp.size() && !stamp.empty();
  if (stamp_ok)
    out.standard_signature_ok = verify_standard(standard, keys, id, ts, req.body);
  out.platform_signature_ok = verify_platform(platform, keys, req.body);
  auto doc = nlohmann::json::parse(req.body, nullptr, false);
  if (req.method != "POST")
    out.reason = "not a POST";
  else if (id.empty())
    out.reason = "no webhook-id header";
  else if (!stamp_ok)
    out.reason = "webhook-timestamp is not Unix seconds";
  else if (std::llabs(now - ts) > tolerance_s)
    out.reason = "webhook-timestamp is " + std::to_string(now - ts) +
                 " s from now (more than " + std::to_string(tolerance_s) + " s)";
  else if (!out.standard_signature_ok)
    out.reason = "webhook-signature does not match a secret";
  else if (!out.platform_signature_ok)
    out.reason = "X-Platform-Signature does not match a secret";
  else if (!doc.is_object())
    out.reason = "the body is not a JSON object";
  out.accepted = out.reason.empty();
  auto safe = doc.is_object() ? doc : nlohmann::json::object();
  out.summary = (out.accepted ? "accepted " : "REFUSED ") + (id.empty() ? "-" : id) + " " +
                member(safe, "event") + " request=" + member(safe, "request_id") +
                " status=" + member(safe, "status") + " webhook-signature=" +
                (out.standard_signature_ok ? "ok" : "bad") + " X-Platform-Signature=" +
                (out.platform_signature_ok ? "ok" : "bad") +
                (out.accepted ? "" : " (" + out.reason + ")");
  return out;
}

}  // namespace gp::io::webhooks
