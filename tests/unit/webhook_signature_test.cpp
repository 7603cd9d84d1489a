// Webhook signatures (io/webhooks/signature): the Standard Webhooks known answer, the platform's
// hex signature, secrets of any decoded length, rotation (two signatures in each header), and
// verification that refuses anything else.
#include "io/webhooks/receiver.hpp"
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

// Each thread keeps the context of its last key: changing keys, going back to one, parts and a
// long or empty key all give the HMAC of RFC 4231 (and of the empty key, empty message).
TEST(webhook_signature, the_hmac_is_right_whatever_keys_came_before) {
  using gp::io::hex_of;
  using gp::io::hmac_sha256;
  const std::string jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  // RFC 4231 test case 6: a 131-byte key of 0xaa, longer than the hash's block.
  const std::string long_key(131, '\xaa');
  const std::string big = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
  const std::string empty = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(hex_of(hmac_sha256("Jefe", "what do ya want for nothing?")), jefe);
    EXPECT_EQ(hex_of(hmac_sha256("Jefe", {"what do ya ", "", "want for nothing?"})), jefe);
    EXPECT_EQ(hex_of(hmac_sha256(long_key,
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
              big);
    EXPECT_EQ(hex_of(hmac_sha256("", "")), empty);
    EXPECT_EQ(hex_of(hmac_sha256("", "")), empty);
  }
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

namespace {

gp::io::http::request delivery(const std::vector<std::string>& keys, int64_t ts,
                               const std::string& body = R"({"event":"platform.request.completed","request_id":"r1","status":"completed"})") {
  auto h = sign(keys, "msg_7", ts, body);
  gp::io::http::request r;
  r.method = "POST";
  r.path = "/hooks";
  r.body = body;
  r.headers = {{"webhook-id", h.webhook_id},
               {"webhook-timestamp", h.webhook_timestamp},
               {"webhook-signature", h.webhook_signature},
               {"X-Platform-Signature", h.platform_signature}};
  return r;
}

}  // namespace

TEST(webhook_receiver, a_signed_fresh_delivery_is_accepted_and_summarised) {
  auto c = check_delivery(delivery({"k"}, 1000), {"k"}, 1010, 300);
  EXPECT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(c.summary,
            "accepted msg_7 platform.request.completed request=r1 status=completed "
            "webhook-signature=ok X-Platform-Signature=ok");
  // Signed by the old and the new secret during a rotation: a receiver knowing either accepts.
  EXPECT_TRUE(check_delivery(delivery({"new", "old"}, 1000), {"old"}, 1000, 300).accepted);
}

TEST(webhook_receiver, a_wrong_key_a_stale_time_or_a_changed_body_is_refused_with_the_reason) {
  auto wrong = check_delivery(delivery({"k"}, 1000), {"other"}, 1000, 300);
  EXPECT_FALSE(wrong.accepted);
  EXPECT_EQ(wrong.reason, "webhook-signature does not match a secret");
  auto stale = check_delivery(delivery({"k"}, 1000), {"k"}, 1400, 300);
  EXPECT_FALSE(stale.accepted);
  EXPECT_EQ(stale.reason, "webhook-timestamp is 400 s from now (more than 300 s)");
  auto changed = delivery({"k"}, 1000);
  changed.body = R"({"event":"platform.request.failed"})";
  auto c = check_delivery(changed, {"k"}, 1000, 300);
  EXPECT_FALSE(c.accepted);
  EXPECT_FALSE(c.standard_signature_ok);
  EXPECT_FALSE(c.platform_signature_ok);
  auto unsigned_one = delivery({"k"}, 1000);
  unsigned_one.headers.pop_back();  // no X-Platform-Signature
  EXPECT_EQ(check_delivery(unsigned_one, {"k"}, 1000, 300).reason,
            "X-Platform-Signature does not match a secret");
}
