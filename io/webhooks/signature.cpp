#include "io/webhooks/signature.hpp"

#include "io/crypto.hpp"

namespace gp::io::webhooks {

namespace {

/// The parts of `text` between `sep`s, empty parts left out.
std::vector<std::string_view> parts(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto at = text.find(sep);
    auto part = text.substr(0, at);
    if (!part.empty())
      out.push_back(part);
    if (at == std::string_view::npos)
      break;
    text.remove_prefix(at + 1);
  }
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> secret_key(std::string_view secret) {
  constexpr std::string_view prefix = "whsec_";
  if (secret.substr(0, prefix.size()) != prefix || secret.size() == prefix.size())
    return std::nullopt;
  auto key = base64_decode(secret.substr(prefix.size()));
  if (!key || key->empty())
    return std::nullopt;
  return key;
}

std::string standard_signature(std::string_view key, std::string_view id, int64_t timestamp,
                               std::string_view body) {
  auto seconds = std::to_string(timestamp);
  return "v1," + base64_encode(hmac_sha256(key, {id, ".", seconds, ".", body}));
}

std::string platform_signature(std::string_view key, std::string_view body) {
  return "sha256=" + hex_of(hmac_sha256(key, body));
}

signed_headers sign(const std::vector<std::string>& keys, std::string_view id, int64_t timestamp,
                    std::string_view body) {
  signed_headers h;
  h.webhook_id = std::string{id};
  h.webhook_timestamp = std::to_string(timestamp);
  for (const auto& key : keys) {
    h.webhook_signature += (h.webhook_signature.empty() ? "" : " ") +
                           standard_signature(key, id, timestamp, body);
    h.platform_signature += (h.platform_signature.empty() ? "" : ",") +
                            platform_signature(key, body);
  }
  return h;
}

bool verify_standard(std::string_view header, const std::vector<std::string>& keys,
                     std::string_view id, int64_t timestamp, std::string_view body) {
  for (const auto& key : keys) {
    auto expected = standard_signature(key, id, timestamp, body);
    for (auto given : parts(header, ' '))
      if (constant_time_equal(trimmed(given), expected))
        return true;
  }
  return false;
}

bool verify_platform(std::string_view header, const std::vector<std::string>& keys,
                     std::string_view body) {
  for (const auto& key : keys) {
    auto expected = platform_signature(key, body);
    for (auto given : parts(header, ','))
      if (constant_time_equal(trimmed(given), expected))
        return true;
  }
  return false;
}

}  // namespace gp::io::webhooks
