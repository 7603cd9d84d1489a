#include "io/webhooks/address_policy.hpp"

#include <array>
#include <cctype>

namespace gp::io::webhooks {

namespace {

constexpr size_t max_url_length = 2048;
/// The longest DNS name (RFC 1035), also a bound for the IP literals.
constexpr size_t max_host_length = 253;

std::optional<callback_url> refuse(std::string* why, const char* reason) {
  if (why)
    *why = reason;
  return std::nullopt;
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

/// The port number of `digits`, or 0 when it is not one from 1 to 65535.
uint16_t parse_port(const std::string& digits) {
  if (digits.empty() || digits.size() > 5)
    return 0;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535 ? static_cast<uint16_t>(value) : 0;
}

/// True when the top `bits` bits of `v` equal those of `prefix`.
bool in_v4(uint32_t v, uint32_t prefix, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (v & mask) == (prefix & mask);
}

constexpr uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

const char* non_public_v4(uint32_t v) {
  struct range {
    uint32_t prefix;
    int bits;
    const char* kind;
  };
  // The IANA special-purpose registry's ranges that are not globally reachable. The limited
  // broadcast address comes before 240/4, which contains it.
  static constexpr std::array<range, 15> ranges{{
    {v4(0, 0, 0, 0), 8, "unspecified"},
    {v4(10, 0, 0, 0), 8, "private"},
    {v4(100, 64, 0, 0), 10, "carrier-grade NAT"},
    {v4(127, 0, 0, 0), 8, "loopback"},
    {v4(169, 254, 0, 0), 16, "link-local"},
    {v4(172, 16, 0, 0), 12, "private"},
    {v4(192, 0, 0, 0), 24, "reserved"},
    {v4(192, 0, 2, 0), 24, "documentation"},
    {v4(192, 168, 0, 0), 16, "private"},
    {v4(198, 18, 0, 0), 15, "benchmarking"},
    {v4(198, 51, 100, 0), 24, "documentation"},
    {v4(203, 0, 113, 0), 24, "documentation"},
    {v4(224, 0, 0, 0), 4, "multicast"},
    {v4(255, 255, 255, 255), 32, "broadcast"},
    {v4(240, 0, 0, 0), 4, "reserved"},
  }};
  for (const auto& r : ranges)
    if (in_v4(v, r.prefix, r.bits))
      return r.kind;
  return nullptr;
}

uint32_t v4_at(const boost::asio::ip::address_v6::bytes_type& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

bool zeros(const boost::asio::ip::address_v6::bytes_type& b, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (b[i] != 0)
      return false;
  return true;
}

const char* non_public_v6(const boost::asio::ip::address_v6& a) {
  auto b = a.to_bytes();
  if (a.is_unspecified())
    return "unspecified";
  if (a.is_loopback())
    return "loopback";
  // The forms that carry an IPv4 address reach that address (through the host's own stack, a
  // NAT64 gateway or a 6to4 relay), so they are as public as it is.
  if (zeros(b, 0, 10) && b[10] == 0xff && b[11] == 0xff)  // ::ffff:0:0/96, IPv4-mapped
    return non_public_v4(v4_at(b, 12));
  if (zeros(b, 0, 12))  // ::/96, IPv4-compatible (deprecated)
    return non_public_v4(v4_at(b, 12));
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zeros(b, 4, 12))  // 64:ff9b::/96, the well-known NAT64 prefix
      return non_public_v4(v4_at(b, 12));
    if (b[4] == 0x00 && b[5] == 0x01)  // 64:ff9b:1::/48, NAT64 for local use
      return "private";
  }
  if (b[0] == 0xff)
    return "multicast";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    return "link-local";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
    return "site-local";
  if ((b[0] & 0xfe) == 0xfc)
    return "unique-local";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return "documentation";
  if (b[0] == 0x20 && b[1] == 0x02)  // 2002::/16, 6to4
    return non_public_v4(v4_at(b, 2));
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)  // 2001::/23, IETF protocol assignments
    return "reserved";
  // Only 2000::/3 is allocated for global unicast; the rest of the space is not reachable.
  if ((b[0] & 0xe0) != 0x20)
    return "reserved";
  return nullptr;
}

}  // namespace

std::string callback_url::authority() const {
  auto p = std::to_string(port);
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + p;
  return host + ":" + p;
}

std::optional<callback_url> parse_callback_url(const std::string& url, std::string* why) {
  if (url.size() > max_url_length)
    return refuse(why, "the URL is longer than 2048 characters");
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return refuse(why, "the URL must not contain whitespace, control or non-ASCII characters");
  }
  auto sep = url.find("://");
  if (sep == std::string::npos)
    return refuse(why, "the scheme must be http or https");
  callback_url out;
  for (size_t i = 0; i < sep; ++i)
    out.scheme.push_back(lower(url[i]));
  if (out.scheme != "http" && out.scheme != "https")
    return refuse(why, "the scheme must be http or https");
  if (url.find('#') != std::string::npos)
    return refuse(why, "the URL must not have a fragment (#...)");

  auto start = sep + 3;
  auto end = url.find_first_of("/?", start);
  if (end == std::string::npos)
    end = url.size();
  auto authority = url.substr(start, end - start);
  if (authority.find('@') != std::string::npos)
    return refuse(why, "the URL must not contain user information (user@host)");

  std::string port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos)
      return refuse(why, "the IPv6 address must be closed by ]");
    auto literal = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return refuse(why, "only a port may follow the IPv6 address");
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address_v6(literal, ec);
    // A zone (fe80::1%eth0) names an interface of this host, which a callback cannot mean.
    if (ec || literal.find('%') != std::string::npos)
      return refuse(why, "the host is not a valid IPv6 address");
    out.host = a.to_string();
    if (!after.empty()) {
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string::npos)
        return refuse(why, "an IPv6 address must be written in brackets");
    }
    if (out.host.size() > max_host_length)
      return refuse(why, "the host name is longer than 253 characters");
    for (char& c : out.host) {
      if (!is_host_char(c))
        return refuse(why, "the host may hold only letters, digits, '-', '.' and '_'");
      c = lower(c);
    }
  }
  if (out.host.empty())
    return refuse(why, "the URL must name a host");
  if (has_port) {
    out.port = parse_port(port_text);
    if (out.port == 0)
      return refuse(why, "the port must be a number from 1 to 65535");
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }

  if (end == url.size())
    out.target = "/";
  else if (url[end] == '?')
    out.target = "/" + url.substr(end);
  else
    out.target = url.substr(end);
  return out;
}

const char* non_public_kind(const boost::asio::ip::address& a) {
  if (a.is_v4())
    return non_public_v4(a.to_v4().to_uint());
  return non_public_v6(a.to_v6());
}

}  // namespace gp::io::webhooks
