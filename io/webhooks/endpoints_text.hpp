#pragma once
// An event's stored payload made ready to send without building a document: one pass over the
// text that prefixes the relative URLs of its top-level "endpoints" with the public base URL.
// Every attempt of every delivery goes through this; parsing the payload into a document and
// writing it out again cost more than the rest of an attempt's work on the node.
#include <optional>
#include <string>
#include <string_view>

namespace gp::io::webhooks {

/// `payload` (a JSON object as stored: PostgreSQL's text of a jsonb, or a ping's) with each string member of its
/// top-level "endpoints" object that starts with '/' prefixed by `base_url`; every other byte is
/// kept. Nothing when the text is not a JSON object this pass can follow (the caller then builds
/// the document). It follows the structure, it does not validate it: the payload was written by
/// PostgreSQL.
std::optional<std::string> with_absolute_endpoints(std::string_view payload,
                                                   std::string_view base_url);

}  // namespace gp::io::webhooks
