#pragma once
// Where a webhook may go. A callback URL is parsed once into its parts, so delivery never
// re-interprets the text, and every address a callback host resolves to is judged before a
// connection is made: a client's callback must not reach the platform's own network (loopback,
// private ranges, link-local metadata services and the like). Pure functions.
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace gp::io::webhooks {

/// A callback URL taken apart.
struct callback_url {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< lowercase; an IPv6 literal without brackets, in its canonical form
  uint16_t port = 0;   ///< the URL's port, else 80 or 443
  std::string target;  ///< path and query, at least "/"

  /// `host:port` with an IPv6 host in brackets: the key for per-host limits and connection reuse.
  std::string authority() const;
};

/// The parts of `url` when it is an acceptable callback: http or https, a host, no user
/// information, no fragment, a port from 1 to 65535, at most 2048 characters, none of them
/// whitespace, control or non-ASCII. Otherwise unset, and `why` (when given) says what is wrong.
std::optional<callback_url> parse_callback_url(const std::string& url, std::string* why);

/// Null when `a` is a public unicast address; otherwise the kind of address it is ("loopback",
/// "private", "link-local", "unique-local", "carrier-grade NAT", "unspecified", "multicast",
/// "broadcast", "reserved", "documentation", "benchmarking", "site-local"). IPv6 addresses that
/// embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4) are judged by
/// the embedded address.
const char* non_public_kind(const boost::asio::ip::address& a);

}  // namespace gp::io::webhooks
