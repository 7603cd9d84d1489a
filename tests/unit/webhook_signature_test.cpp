// Webhook signatures (io/webhooks/signature): the Standard Webhooks known answer, the platform's
// hex signature, secrets of any decoded length, rotation (two signatures in each header), and
// verification that refuses anything else.
#include "io/webhooks/signature.hpp"

#include <gtest/gtest.h>

#include "io/crypto.hpp"

using namespace gp::io::webhooks;

namespace {

std::string key_of(const char* secret) {
  auto k = secret_key(secret);
  EXPECT_TRUE(k) << secret;
  return k.value_or("");
}

}  // namespace

TEST(webhook_signature, the_standard_webhooks_known_answer) {
  auto key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(standard_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                               R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(webhook_signature, the_platform_signature_is_the_hex_hmac_of_the_body) {
  // RFC 4231 test case 2: key "Jefe", "what do ya want for nothing?".
  EXPECT_EQ(platform_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(webhook_signature, secrets_of_any_decoded_length_are_keys_and_others_are_refused) {
  EXPECT_EQ(key_of("whsec_AQ==").size(), 1u);
  EXPECT_EQ(key_of("whsec_AQ").size(), 1u);  // padding optional
  auto generated = gp::io::generate_webhook_secret();
  EXPECT_EQ(key_of(generated.c_str()).size(), 32u);
  for (const char* bad : {"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!",
                          "whsec_====="})
    EXPECT_FALSE(secret_key(bad)) << bad;
}

TEST(webhook_signature, during_a_rotation_both_secrets_sign_each_header) {
  std::vector<std::string> keys = {"new-key", "old-key"};
  auto h = sign(keys, "msg_1", 1700000000, "{}");
  EXPECT_EQ(h.webhook_id, "msg_1");
  EXPECT_EQ(h.webhook_timestamp, "1700000000");
  EXPECT_EQ(h.webhook_signature, standard_signature("new-key", "msg_1", 1700000000, "{}") + " " +
                                   standard_signature("old-key", "msg_1", 1700000000, "{}"));
  EXPECT_EQ(h.platform_signature,
            platform_signature("new-key", "{}") + "," + platform_signature("old-key", "{}"));
  // A receiver that knows either secret accepts the delivery.
  EXPECT_TRUE(verify_standard(h.webhook_signature, {"old-key"}, "msg_1", 1700000000, "{}"));
  EXPECT_TRUE(verify_platform(h.platform_signature, {"new-key"}, "{}"));
}

TEST(webhook_signature, verification_refuses_another_body_id_time_or_key) {
  auto h = sign({"k"}, "msg_1", 1700000000, "{\"a\":1}");
  EXPECT_TRUE(verify_standard(h.webhook_signature, {"k"}, "msg_1", 1700000000, "{\"a\":1}"));
  EXPECT_FALSE(verify_standard(h.webhook_signature, {"k"}, "msg_1", 1700000000, "{\"a\":2}"));
  EXPECT_FALSE(verify_standard(h.webhook_signature, {"k"}, "msg_2", 1700000000, "{\"a\":1}"));
  EXPECT_FALSE(verify_standard(h.webhook_signature, {"k"}, "msg_1", 1700000001, "{\"a\":1}"));
  EXPECT_FALSE(verify_standard(h.webhook_signature, {"other"}, "msg_1", 1700000000, "{\"a\":1}"));
  EXPECT_FALSE(verify_standard("", {"k"}, "msg_1", 1700000000, "{\"a\":1}"));
  EXPECT_TRUE(verify_platform(h.platform_signature, {"k"}, "{\"a\":1}"));
  EXPECT_FALSE(verify_platform(h.platform_signature, {"k"}, "{\"a\":2}"));
  EXPECT_FALSE(verify_platform("sha256=00", {"k"}, "{\"a\":1}"));
}
