#include "io/logging.hpp"

#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "io/crypto.hpp"

using gp::io::format_json_line;
using gp::io::redact_secrets;

TEST(logging, api_key_secret_is_masked_but_key_id_kept) {
  auto k = gp::io::generate_api_key();
  auto out = redact_secrets("auth with " + k.key + " failed");
  EXPECT_EQ(out.find(k.key), std::string::npos) << out;
  EXPECT_NE(out.find("gp_" + k.key_id + "_***"), std::string::npos) << out;
  EXPECT_NE(out.find(" failed"), std::string::npos) << out;
}

TEST(logging, url_password_is_masked) {
  auto out = redact_secrets("connecting to postgresql://app:p4ss@db:5432/x now");
  EXPECT_EQ(out, "connecting to postgresql://app:***@db:5432/x now");
}

TEST(logging, password_assignments_are_masked) {
  EXPECT_EQ(redact_secrets("host=db password=s3cret dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(redact_secrets("PASSWORD=abc"), "PASSWORD=***");
  EXPECT_EQ(redact_secrets("url?password=ab,cd;ef&x=1"), "url?password=***&x=1");
  EXPECT_EQ(redact_secrets("password='s 3'"), "password=***");
  EXPECT_EQ(redact_secrets("{\"password\": \"hunter2\", \"a\": 1}"),
            "{\"password\": ***, \"a\": 1}");
  EXPECT_EQ(redact_secrets("password: p@ss"), "password: ***");
}

TEST(logging, webhook_secret_is_masked) {
  auto s = gp::io::generate_webhook_secret();
  auto out = redact_secrets("secret " + s + ", done");
  EXPECT_EQ(out, "secret whsec_***, done");
}

TEST(logging, ordinary_text_is_unchanged) {
  std::string msg = "http GET /livez -> 200 0.2ms cid=abc gp_short url http://host/x";
  EXPECT_EQ(redact_secrets(msg), msg);
}

TEST(logging, json_line_is_valid_with_quotes_newlines_and_bad_utf8) {
  std::string msg = "he said \"hi\"\n\tand left \xff\xfe with a \\ backslash";
  auto line = format_json_line("2026-11-26T10:00:00.000Z", "info", msg);
  auto j = nlohmann::json::parse(line);  // throws on invalid JSON
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["ts"], "2026-11-26T10:00:00.000Z");
  auto text = j["msg"].get<std::string>();
  EXPECT_NE(text.find("he said \"hi\""), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}
