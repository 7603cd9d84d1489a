#include "io/crypto.hpp"

#include <regex>
#include <set>

#include <gtest/gtest.h>

using namespace gp::io;

TEST(crypto, sha256_given_in_pieces_equals_the_whole) {
  sha256_stream s;
  s.update("a", 1);
  s.update("bc", 2);
  EXPECT_EQ(s.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_stream{}.hex_digest(), sha256_hex(""));
}

TEST(crypto, sha256_of_known_inputs) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(crypto, api_key_has_the_documented_shape) {
  auto k = generate_api_key();
  EXPECT_TRUE(std::regex_match(k.key, std::regex{"^gp_[a-z0-9]{8}_[A-Za-z0-9]{43}$"})) << k.key;
  EXPECT_EQ(k.key.substr(3, 8), k.key_id);
  EXPECT_EQ(k.hash, sha256_hex(k.key));
  EXPECT_EQ(api_key_id(k.key), k.key_id);
}

TEST(crypto, api_keys_are_distinct) {
  std::set<std::string> keys, ids;
  for (int i = 0; i < 200; ++i) {
    auto k = generate_api_key();
    keys.insert(k.key);
    ids.insert(k.key_id);
  }
  EXPECT_EQ(keys.size(), 200u);
  EXPECT_GE(ids.size(), 199u);
}

TEST(crypto, malformed_keys_have_no_id) {
  EXPECT_EQ(api_key_id(""), "");
  EXPECT_EQ(api_key_id("gp_abc_def"), "");
  EXPECT_EQ(api_key_id("xx_abcdefgh_" + std::string(43, 'a')), "");
  EXPECT_EQ(api_key_id("gp_ABCDEFGH_" + std::string(43, 'a')), "");
  EXPECT_EQ(api_key_id("gp_abcdefgh_" + std::string(42, 'a') + "!"), "");
  EXPECT_EQ(api_key_id("gp_abcdefgh_" + std::string(44, 'a')), "");
  EXPECT_EQ(api_key_id("gp_abcdefgh_" + std::string(43, 'a')), "abcdefgh");
}

TEST(crypto, random_string_uses_only_the_alphabet_and_all_of_it) {
  auto s = random_string(4000, "ab");
  EXPECT_EQ(s.size(), 4000u);
  auto as = std::count(s.begin(), s.end(), 'a');
  EXPECT_EQ(as + std::count(s.begin(), s.end(), 'b'), 4000);
  EXPECT_GT(as, 1700);
  EXPECT_LT(as, 2300);
}

TEST(crypto, webhook_secret_is_whsec_and_32_bytes_of_base64) {
  auto s = generate_webhook_secret();
  ASSERT_EQ(s.rfind("whsec_", 0), 0u);
  EXPECT_EQ(s.size(), 6u + 44u);  // 32 bytes → 44 base64 characters with padding
  EXPECT_EQ(s.back(), '=');
}

TEST(crypto, base64_matches_rfc4648_vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(crypto, constant_time_equal_compares_content_and_length) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}
