// Callback URLs and the address policy (io/webhooks/address_policy): what the parser accepts and
// the reason it gives for what it refuses, and the kind of every non-public address range.
#include "io/webhooks/address_policy.hpp"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

using namespace gp::io::webhooks;

namespace {

callback_url url_of(const std::string& text) {
  std::string why;
  auto url = parse_callback_url(text, &why);
  EXPECT_TRUE(url) << text << ": " << why;
  return url.value_or(callback_url{});
}

}  // namespace

TEST(callback_url, takes_apart_what_it_accepts) {
  auto u = url_of("HTTPS://Hooks.Example.ORG/in?x=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "hooks.example.org");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/in?x=1");
  EXPECT_EQ(u.authority(), "hooks.example.org:443");

  u = url_of("http://example.org");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(url_of("http://example.org?a=b").target, "/?a=b");
  EXPECT_EQ(url_of("http://example.org:8080/x").port, 8080);
  EXPECT_EQ(url_of("http://example.org:65535/").port, 65535);

  u = url_of("https://[2001:DB8:0:0::1]:8443/cb");
  EXPECT_EQ(u.host, "2001:db8::1");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.authority(), "[2001:db8::1]:8443");
  EXPECT_EQ(url_of("http://[::1]/").port, 80);
  EXPECT_EQ(url_of("http://10.0.0.1:81/").host, "10.0.0.1");
}

TEST(callback_url, refuses_the_rest_with_a_reason) {
  auto why_not = [](const std::string& url) {
    std::string why;
    EXPECT_FALSE(parse_callback_url(url, &why)) << url;
    return why;
  };
  EXPECT_EQ(why_not("ftp://example.org/"), "the scheme must be http or https");
  EXPECT_EQ(why_not("example.org/hook"), "the scheme must be http or https");
  EXPECT_EQ(why_not("http://user:pw@example.org/"),
            "the URL must not contain user information (user@host)");
  EXPECT_EQ(why_not("http://example.org/#frag"), "the URL must not have a fragment (#...)");
  EXPECT_EQ(why_not("http://example.org:0/"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(why_not("http://example.org:65536/"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(why_not("http://example.org:http/"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(why_not("http://example.org:/"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(why_not("http:///hook"), "the URL must name a host");
  EXPECT_EQ(why_not("http://:80/"), "the URL must name a host");
  EXPECT_EQ(why_not("http://exa mple.org/"),
            "the URL must not contain whitespace, control or non-ASCII characters");
  EXPECT_EQ(why_not("http://example.org/\x01"),
            "the URL must not contain whitespace, control or non-ASCII characters");
  EXPECT_EQ(why_not("http://ex\xc3\xa4mple.org/"),
            "the URL must not contain whitespace, control or non-ASCII characters");
  EXPECT_EQ(why_not("http://example.org/" + std::string(2048, 'a')),
            "the URL is longer than 2048 characters");
  EXPECT_EQ(why_not("http://[::1/"), "the IPv6 address must be closed by ]");
  EXPECT_EQ(why_not("http://[not:an:address]/"), "the host is not a valid IPv6 address");
  EXPECT_EQ(why_not("http://[fe80::1%25eth0]/"), "the host is not a valid IPv6 address");
  EXPECT_EQ(why_not("http://::1/"), "an IPv6 address must be written in brackets");
  EXPECT_EQ(why_not("http://exa!mple.org/"),
            "the host may hold only letters, digits, '-', '.' and '_'");
  EXPECT_FALSE(parse_callback_url("ftp://x/", nullptr));  // no reason wanted
}

TEST(address_policy, names_every_non_public_range) {
  const std::vector<std::pair<const char*, std::vector<const char*>>> table{
    {"unspecified", {"0.0.0.0", "0.1.2.3", "::"}},
    {"private",
     {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "::ffff:10.0.0.1",
      "64:ff9b:1::1"}},
    {"carrier-grade NAT", {"100.64.0.1", "100.127.255.255"}},
    {"loopback",
     {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1",
      "2002:7f00:1::"}},
    {"link-local",
     {"169.254.169.254", "fe80::1", "febf::1", "::169.254.169.254", "64:ff9b::a9fe:a9fe"}},
    {"reserved", {"192.0.0.8", "240.0.0.1", "2001::1", "100::1", "4000::1"}},
    {"documentation", {"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1"}},
    {"benchmarking", {"198.18.0.1", "198.19.255.1"}},
    {"multicast", {"224.0.0.1", "239.255.255.250", "ff02::1"}},
    {"broadcast", {"255.255.255.255"}},
    {"site-local", {"fec0::1"}},
    {"unique-local", {"fc00::1", "fd12:3456::1"}},
  };
  for (const auto& [kind, addresses] : table)
    for (const char* text : addresses)
      EXPECT_STREQ(non_public_kind(boost::asio::ip::make_address(text)), kind) << text;
}

TEST(address_policy, lets_public_addresses_through) {
  for (const char* text :
       {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.0.1", "172.32.0.1",
        "192.0.1.1", "192.169.0.1", "198.20.0.1", "223.255.0.1", "2606:4700::1", "2a00:1450::1",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2001:4860::8888"})
    EXPECT_EQ(non_public_kind(boost::asio::ip::make_address(text)), nullptr) << text;
}
