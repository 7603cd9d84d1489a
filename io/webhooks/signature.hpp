#pragma once
// Webhook signatures, as DDH verifies them (../shared/API.md, Standard Webhooks 1.0): the
// platform's `X-Platform-Signature: sha256=<hex HMAC-SHA256(secret, body)>` and the Standard
// Webhooks `webhook-signature: v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`, both keyed by
// the bytes of the client's `whsec_` secret. During a secret's rotation both secrets sign.
// Pure functions over OpenSSL's HMAC.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::io::webhooks {

/// The key bytes of a `whsec_<base64>` secret (any decoded length); unset when it is not one.
std::optional<std::string> secret_key(std::string_view secret);

/// `v1,<base64>` of `id.timestamp.body` keyed by `key`.
std::string standard_signature(std::string_view key, std::string_view id, int64_t timestamp,
                               std::string_view body);

/// `sha256=<hex>` of `body` keyed by `key`.
std::string platform_signature(std::string_view key, std::string_view body);

/// The signature headers of one delivery attempt.
struct signed_headers {
  std::string webhook_id, webhook_timestamp, webhook_signature, platform_signature;
};

/// The headers for `body` signed by every key in `keys` (the current secret first; two during a
/// rotation): `webhook-signature` lists its signatures separated by spaces,
/// `X-Platform-Signature` by commas.
signed_headers sign(const std::vector<std::string>& keys, std::string_view id, int64_t timestamp,
                    std::string_view body);

/// Whether a `webhook-signature` header holds a valid v1 signature of `id.timestamp.body` by one
/// of `keys` (compared in constant time).
bool verify_standard(std::string_view header, const std::vector<std::string>& keys,
                     std::string_view id, int64_t timestamp, std::string_view body);

/// Whether an `X-Platform-Signature` header holds a valid signature of `body` by one of `keys`.
bool verify_platform(std::string_view header, const std::vector<std::string>& keys,
                     std::string_view body);

}  // namespace gp::io::webhooks
