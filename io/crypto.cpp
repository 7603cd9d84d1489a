#include "io/crypto.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace gp::io {

namespace {

constexpr std::string_view lower_alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view base62 =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void random_bytes(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1)
    throw std::runtime_error{"the system's random number generator failed"};
}

/// SHA-256 fetched once: OpenSSL 3 otherwise looks the implementation up on every digest.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

bool in(std::string_view alphabet, char ch) { return alphabet.find(ch) != std::string_view::npos; }

}  // namespace

namespace {

std::string lower_hex(const unsigned char* md, unsigned len) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, sha256_md(), nullptr) != 1)
    throw std::runtime_error{"SHA-256 failed"};
  return lower_hex(md.data(), len);
}

sha256_stream::sha256_stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr) != 1)
    throw std::runtime_error{"SHA-256 failed"};
}

sha256_stream::~sha256_stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void sha256_stream::update(const void* data, size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}

std::string sha256_stream::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md.data(), &len);
  return lower_hex(md.data(), len);
}

std::string random_string(size_t n, std::string_view alphabet) {
  // Reject bytes past the largest multiple of the alphabet size, so every character is
  // equally likely.
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(n);
  std::array<unsigned char, 64> buf{};
  while (out.size() < n) {
    random_bytes(buf.data(), buf.size());
    for (unsigned char b : buf) {
      if (b < limit && out.size() < n)
        out += alphabet[b % alphabet.size()];
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string padded{text};
  while (padded.size() % 4 != 0)
    padded += '=';
  for (char c : padded)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  std::string out(3 * padded.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  for (auto i = padded.rbegin(); i != padded.rend() && *i == '='; ++i)
    ++pad;
  if (pad > 2)
    return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac_sha256(key, {data});
}

namespace {

/// A thread's HMAC-SHA256 context and the key it was last set up with. OpenSSL 3's one-shot
/// HMAC() looks the algorithm up and allocates a context on every call, which cost more than
/// hashing a webhook's body.
struct hmac_context {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  std::string key;
  ~hmac_context() {
    OPENSSL_cleanse(key.data(), key.size());
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  void forget_key() {
    OPENSSL_cleanse(key.data(), key.size());
    key.clear();
  }
};

}  // namespace

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  thread_local hmac_context h;
  if (!h.ctx) {
    h.mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    h.ctx = h.mac ? EVP_MAC_CTX_new(h.mac) : nullptr;
    if (!h.ctx)
      throw std::runtime_error{"HMAC-SHA256 is not available"};
  }
  // A NULL key re-uses the one set before; an empty key is set explicitly every time (it cannot
  // be told from "the same key" by its pointer).
  bool same = !key.empty() && key == h.key;
  int ok;
  if (same) {
    ok = EVP_MAC_init(h.ctx, nullptr, 0, nullptr);
  } else {
    h.forget_key();
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    static const unsigned char none = 0;
    ok = EVP_MAC_init(h.ctx, key.empty() ? &none : reinterpret_cast<const unsigned char*>(key.data()),
                      key.size(), params);
    if (ok)
      h.key.assign(key);
  }
  for (auto part : parts)
    ok = ok && EVP_MAC_update(h.ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  ok = ok && EVP_MAC_final(h.ctx, md, &len, sizeof md);
  if (!ok) {
    h.forget_key();
    throw std::runtime_error{"HMAC-SHA256 failed"};
  }
  return std::string{reinterpret_cast<const char*>(md), len};
}

std::string hex_of(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

generated_key generate_api_key() {
  generated_key k;
  k.key_id = random_string(8, lower_alnum);
  k.key = "gp_" + k.key_id + "_" + random_string(43, base62);
  k.hash = sha256_hex(k.key);
  return k;
}

std::string api_key_id(std::string_view key) {
  if (key.size() != 3 + 8 + 1 + 43 || key.substr(0, 3) != "gp_" || key[11] != '_')
    return {};
  auto id = key.substr(3, 8);
  for (char ch : id)
    if (!in(lower_alnum, ch))
      return {};
  for (char ch : key.substr(12))
    if (!in(base62, ch))
      return {};
  return std::string{id};
}

std::string generate_webhook_secret() {
  std::array<unsigned char, 32> bytes{};
  random_bytes(bytes.data(), bytes.size());
  return "whsec_" +
         base64_encode(std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gp::io
