// The one-pass rewrite of an event's endpoints (io/webhooks/endpoints_text): every byte but the
// prefixes kept, only the top-level endpoints touched, and nothing for a text it cannot follow.
#include "io/webhooks/endpoints_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using gp::io::webhooks::with_absolute_endpoints;

namespace {

std::string rewritten(const std::string& text, const std::string& base = "https://geo.example") {
  auto out = with_absolute_endpoints(text, base);
  EXPECT_TRUE(out.has_value()) << text;
  return out.value_or("");
}

}  // namespace

TEST(EndpointsText, RelativeEndpointsArePrefixedAndEveryOtherByteKept) {
  std::string stored =
    R"({"event": "platform.request.completed", "endpoints": {"download": "/platform/data/x", )"
    R"("stac_item": "https://elsewhere/x", "tiles": null}, "status": "completed"})";
  EXPECT_EQ(rewritten(stored),
            R"({"event": "platform.request.completed", "endpoints": {"download": )"
            R"("https://geo.example/platform/data/x", "stac_item": "https://elsewhere/x", )"
            R"("tiles": null}, "status": "completed"})");
}

TEST(EndpointsText, OnlyTheTopLevelEndpointsAreTouched) {
  std::string stored =
    R"({"stac_metadata": {"endpoints": {"a": "/nested"}, "links": [{"href": "/x"}]}, )"
    R"("note": "\"endpoints\": {\"b\": \"/in a string\"}", "endpoints": {"c": "/top"}})";
  auto doc = nlohmann::json::parse(rewritten(stored));
  EXPECT_EQ(doc["stac_metadata"]["endpoints"]["a"], "/nested");
  EXPECT_EQ(doc["stac_metadata"]["links"][0]["href"], "/x");
  EXPECT_EQ(doc["note"], "\"endpoints\": {\"b\": \"/in a string\"}");
  EXPECT_EQ(doc["endpoints"]["c"], "https://geo.example/top");
}

TEST(EndpointsText, APayloadWithoutEndpointsIsKeptAsItIs) {
  for (std::string stored : {R"({})", R"({"event": "platform.ping", "n": -1.5e3, "ok": true})",
                             R"( {"endpoints": null, "list": [1, [2, {"x": "}"}]]} )",
                             R"({"endpoints": "/not an object"})"})
    EXPECT_EQ(rewritten(stored), stored);
}

TEST(EndpointsText, EscapedQuotesAndBackslashesEndStringsWhereJsonDoes) {
  // A quote after an odd run of backslashes is escaped; after an even run it closes the string.
  std::string stored =
    R"({"a": "\\", "b": "\\\"}\\", "c": "x\\\\", "endpoints": {"d": "/e\"f"}, "g": ""})";
  auto doc = nlohmann::json::parse(rewritten(stored));
  EXPECT_EQ(doc["a"], "\\");
  EXPECT_EQ(doc["b"], "\\\"}\\");
  EXPECT_EQ(doc["c"], "x\\\\");
  EXPECT_EQ(doc["endpoints"]["d"], "https://geo.example/e\"f");
  EXPECT_EQ(doc["g"], "");
  EXPECT_FALSE(with_absolute_endpoints(R"({"a": "\\\"})", "http://h").has_value());
}

TEST(EndpointsText, TheBaseIsWrittenAsJsonText) {
  auto out = rewritten(R"({"endpoints": {"a": "/p"}})", "http://h/\"q\\");
  EXPECT_EQ(nlohmann::json::parse(out)["endpoints"]["a"], "http://h/\"q\\/p");
}

TEST(EndpointsText, ATextItCannotFollowGivesNothing) {
  for (std::string stored :
       {"", "[1, 2]", "\"x\"", "{", R"({"a": })", R"({"a" 1})", R"({"a": 1,})",
        R"({"endpoints": {"a": "/unterminated})", R"({"a": 1} trailing)", R"({"a": [1, 2})",
        R"({a: 1})"})
    EXPECT_FALSE(with_absolute_endpoints(stored, "http://h").has_value()) << stored;
}
