#pragma once
// POST /platform/submit: the body's field rules (API.md "Platform requests"), the request id, and
// the safety checks of source paths and callback URLs. Pure functions, except resolve_source,
// which looks at the file system.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/http/json_body.hpp"
#include "messages/requests.hpp"

namespace gp::io::http {

/// A validated submission. processing_config has its defaults applied.
struct submit_request {
  std::string dataset_id;
  std::string resource_id;
  std::string version_id;
  /// vector | raster | collection
  std::string request_type;
  std::string source_path;
  nlohmann::json processing_config = nlohmann::json::object();
  std::string callback_url;
  std::string client_request_id;
};

/// What the operator allows and defaults (from configuration).
struct submit_policy {
  /// /vsis3/, /vsiaz/, /vsicurl/ source paths.
  bool allow_virtual_paths = false;
  std::string default_compression = "deflate";
};

/// Reads a submission; appends one entry to `errors` per bad or unknown field (all at once).
submit_request parse_submit(const nlohmann::json& body, const submit_policy& policy,
                            std::vector<field_error>& errors);

/// First 32 hex characters of SHA-256 over `client|dataset|resource|version`.
std::string request_id_for(const std::string& client_id, const std::string& dataset_id,
                           const std::string& resource_id, const std::string& version_id);

/// The part of a submission that must match for a repeat to be "the same" (200, not 409):
/// request_type, source_path and processing_config, in canonical JSON.
std::string payload_fingerprint(const submit_request& r);

/// The submission of `client_id` for the body `r`: the request model's spec with its derived
/// request id, the canonical processing_config and the payload fingerprint.
request_submission submission_for(const std::string& client_id, const submit_request& r);

/// Empty when `path` is an acceptable relative source path (no absolute path, no `..` segment,
/// no NUL byte, no backslash tricks), or an allowed GDAL virtual path; else the reason.
std::string check_source_path(const std::string& path, bool allow_virtual);

/// Where a source path leads inside the client's bronze folder.
enum class source_state { ok, not_found, outside, wrong_kind };

/// Resolves `<bronze_root>/<client_id>/<path>` with symlinks and checks that it stays inside the
/// client's folder and is a file (or a folder when `want_folder`). Call check_source_path first.
source_state resolve_source(const std::string& bronze_root, const std::string& client_id,
                            const std::string& path, bool want_folder);

/// Empty when `url` is an http(s) URL whose host is in `hosts` (exact, or `*.example.org`
/// matching any sub-domain); else the reason.
std::string check_callback_url(const std::string& url, const std::vector<std::string>& hosts);

}  // namespace gp::io::http
