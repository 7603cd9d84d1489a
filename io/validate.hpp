#pragma once
// Field rules shared by the command line and the HTTP API. Each returns an empty string when the
// value is valid, else the reason (without the field name).
#include <string>

namespace gp::io {

/// `^[a-z0-9][a-z0-9_-]{1,49}$`
std::string check_client_id(const std::string& id);

/// internal | trusted | admin
std::string check_access_level(const std::string& level);

/// RFC 3339 timestamp with a zone (`2026-11-26T10:00:00Z`).
std::string check_rfc3339(const std::string& ts);

/// `"METHOD /path"`, METHOD one of GET POST PUT PATCH DELETE HEAD or `*`; `*` may end the path.
std::string check_endpoint_pattern(const std::string& pattern);

/// A host name, exact (`hooks.example.org`) or one leading wildcard label (`*.example.org`).
std::string check_callback_host(const std::string& host);

}  // namespace gp::io
