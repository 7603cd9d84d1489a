#pragma once
// What a completed request serves (platform.requests.outputs, see migration 0006): the stored
// contract, the endpoints it gives the client, file names in URLs, and the MosaicJSON of a
// collection with its file names turned into URLs. Pure; unit-tested alone.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gp::io::http {

/// A request's outputs: files in `dir`.
struct request_outputs {
  /// Absolute folder of the files.
  std::string dir;
  /// vector: the GeoPackage, raster: the COG (empty when none).
  std::string download;
  /// collection: its COGs.
  std::vector<std::string> files;
  /// vector: the features collection id (empty when none).
  std::string collection;
  /// collection: whether `<dir>/mosaic.json` is served.
  bool mosaic = false;
};

/// Reads stored outputs JSON text. Nothing for `null`; an error (in `why`, naming the member) for
/// anything not matching the contract: `dir` must be absolute, and every file name plain.
std::optional<request_outputs> parse_outputs(const std::string& text, std::string& why);

/// A name of a file in one folder: not empty, at most 255 bytes, no `/`, `\` or NUL, no control
/// characters, and not starting with `.` (no `.`, `..` or hidden files).
bool is_plain_file_name(std::string_view name);

/// The Content-Type of a request's download: a GeoPackage for vector, a COG for raster.
std::string download_media_type(std::string_view request_type);

/// The Content-Type of a served file, by its extension (.tif/.tiff: COG, .gpkg, .json).
std::string file_media_type(std::string_view name);

/// API.md's endpoints of a completed request, for what its outputs hold (paths; the status body
/// makes them absolute): vector `download` (with `outputs.download`) and `features` (with
/// `outputs.collection`), raster `download`, collection `mosaic` (with `outputs.mosaic`). An
/// object, empty when there is nothing to serve.
nlohmann::json endpoints_for(std::string_view request_type, std::string_view request_id,
                             const nlohmann::json& outputs);

/// Rewrites a MosaicJSON document in place: every file name listed in `tiles` becomes
/// `files_url` + its encoded name. Returns an error (why) when the document has no `tiles`
/// object, a tile's value is not a list of strings, or a name is not a plain file name.
std::optional<std::string> mosaic_with_urls(nlohmann::json& mosaic, const std::string& files_url);

}  // namespace gp::io::http
