#pragma once
// Key material: CSPRNG strings, SHA-256, API keys and webhook secrets.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace gp::io {

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// SHA-256 over data given in pieces (a file read in chunks).
class sha256_stream {
public:
  sha256_stream();
  ~sha256_stream();
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  void update(const void* data, size_t n);
  /// Lowercase hex of everything given so far (call once).
  std::string hex_digest();

private:
  void* ctx_;  // EVP_MD_CTX
};

/// `n` characters drawn uniformly (rejection sampling) from `alphabet` using OpenSSL's CSPRNG.
std::string random_string(size_t n, std::string_view alphabet);

/// Standard base64 (with padding) of `data`.
std::string base64_encode(std::string_view data);

/// The bytes of standard base64 `text` (padding optional); unset when it is not base64.
std::optional<std::string> base64_decode(std::string_view text);

/// Raw HMAC-SHA256 of `data` keyed by `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Raw HMAC-SHA256 of the concatenation of `parts` keyed by `key` (nothing is copied together).
/// Each thread keeps the context of the last key it used: signing with one client's secret again
/// neither looks up the algorithm nor hashes the key's pads again.
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);

/// Lowercase hex of `bytes`.
std::string hex_of(std::string_view bytes);

/// A freshly generated API key: the full key is shown once; only `hash` is stored.
struct generated_key {
  std::string key;     ///< gp_<key_id>_<secret>
  std::string key_id;  ///< 8 lowercase letters/digits, the public id
  std::string hash;    ///< sha256_hex(key)
};

/// Generates `gp_<8 [a-z0-9]>_<43 base62>`.
generated_key generate_api_key();

/// Splits a presented key into its key_id; empty when it is not of the form gp_<id>_<secret>.
std::string api_key_id(std::string_view key);

/// `whsec_` + base64 of 32 random bytes (the Standard Webhooks secret form).
std::string generate_webhook_secret();

/// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace gp::io
