#include "io/http/submit_codec.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "io/crypto.hpp"

using namespace gp::io::http;
using json = nlohmann::json;

namespace {

json valid() {
  return {{"dataset_id", "floods-2026"},
          {"resource_id", "r1"},
          {"version_id", "v1.0"},
          {"request_type", "vector"},
          {"source_path", "floods/areas.gpkg"}};
}

std::vector<std::string> bad_fields(const json& body, submit_policy policy = {}) {
  std::vector<field_error> errors;
  parse_submit(body, policy, errors);
  std::vector<std::string> out;
  for (const auto& e : errors)
    out.push_back(e.field);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST(submit_codec, a_valid_body_passes) {
  EXPECT_TRUE(bad_fields(valid()).empty());
}

TEST(submit_codec, every_missing_field_is_reported_at_once) {
  auto f = bad_fields(json::object());
  for (auto name : {"dataset_id", "resource_id", "version_id", "request_type", "source_path"})
    EXPECT_TRUE(has(f, name)) << name;
}

TEST(submit_codec, identifiers_follow_the_pattern_and_lengths) {
  for (auto bad : {"", "-x", ".x", "a b", "a/b", "ä"}) {
    auto body = valid();
    body["dataset_id"] = bad;
    EXPECT_TRUE(has(bad_fields(body), "dataset_id")) << bad;
  }
  auto body = valid();
  body["resource_id"] = std::string(256, 'a');
  body["version_id"] = std::string(51, 'a');
  auto f = bad_fields(body);
  EXPECT_TRUE(has(f, "resource_id"));
  EXPECT_TRUE(has(f, "version_id"));
  body["resource_id"] = std::string(255, 'a');
  body["version_id"] = std::string(50, 'a');
  EXPECT_TRUE(bad_fields(body).empty());
}

TEST(submit_codec, unknown_fields_and_types_are_refused) {
  auto body = valid();
  body["colour"] = "red";
  body["request_type"] = "tiles";
  body["callback_url"] = 7;
  auto f = bad_fields(body);
  EXPECT_TRUE(has(f, "colour"));
  EXPECT_TRUE(has(f, "request_type"));
  EXPECT_TRUE(has(f, "callback_url"));
}

TEST(submit_codec, processing_config_keys_are_checked_per_type) {
  auto body = valid();
  body["processing_config"] = {{"compression", "deflate"}, {"lat_column", "lat"}};
  EXPECT_TRUE(has(bad_fields(body), "processing_config.compression"));
  body["request_type"] = "raster";
  body["processing_config"] = {{"compression", "webp"}, {"blocksize", 300}, {"nodata", "x"},
                               {"source_crs", "EPSG:abc"}};
  auto f = bad_fields(body);
  for (auto k : {"compression", "blocksize", "nodata", "source_crs"})
    EXPECT_TRUE(has(f, std::string{"processing_config."} + k)) << k;
  // datetime_column is a vector setting: a string naming a column.
  body["request_type"] = "vector";
  body["processing_config"] = {{"datetime_column", "Observed At"}};
  EXPECT_TRUE(bad_fields(body).empty());
  body["processing_config"] = {{"datetime_column", ""}};
  EXPECT_TRUE(has(bad_fields(body), "processing_config.datetime_column"));
  body["request_type"] = "raster";
  body["processing_config"] = {{"datetime_column", "when"}};
  EXPECT_TRUE(has(bad_fields(body), "processing_config.datetime_column"));
  body["request_type"] = "collection";
  body["processing_config"] = {{"pattern", "a/*.tif"}};
  EXPECT_TRUE(has(bad_fields(body), "processing_config.pattern"));
  body["processing_config"] = "fast";
  EXPECT_TRUE(has(bad_fields(body), "processing_config"));
}

TEST(submit_codec, defaults_are_applied_and_part_of_the_fingerprint) {
  auto body = valid();
  body["request_type"] = "collection";
  std::vector<field_error> errors;
  auto a = parse_submit(body, {}, errors);
  EXPECT_EQ(a.processing_config["pattern"], "*.tif");
  EXPECT_EQ(a.processing_config["compression"], "deflate");
  body["processing_config"] = {{"pattern", "*.tif"}, {"compression", "deflate"}};
  auto b = parse_submit(body, {}, errors);
  EXPECT_EQ(payload_fingerprint(a), payload_fingerprint(b));
  body["processing_config"] = {{"compression", "lzw"}};
  EXPECT_NE(payload_fingerprint(parse_submit(body, {}, errors)), payload_fingerprint(a));
  EXPECT_TRUE(errors.empty());
  submit_policy zstd;
  zstd.default_compression = "zstd";
  body["request_type"] = "raster";
  body.erase("processing_config");
  EXPECT_EQ(parse_submit(body, zstd, errors).processing_config["compression"], "zstd");
}

TEST(submit_codec, crs_accepts_epsg_codes_and_wkt) {
  auto body = valid();
  body["processing_config"] = {{"source_crs", "EPSG:2263"}};
  EXPECT_TRUE(bad_fields(body).empty());
  body["processing_config"] = {{"source_crs", "GEOGCRS[\"WGS 84\",DATUM[...]]"}};
  EXPECT_TRUE(bad_fields(body).empty());
  body["processing_config"] = {{"source_crs", "wgs84"}};
  EXPECT_FALSE(bad_fields(body).empty());
}

TEST(submit_codec, request_id_is_the_first_32_hex_of_the_identity_hash) {
  auto id = request_id_for("ddh", "d", "r", "v");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id, gp::io::sha256_hex("ddh|d|r|v").substr(0, 32));
  EXPECT_NE(id, request_id_for("other", "d", "r", "v"));
}

TEST(source_path, unsafe_paths_are_refused) {
  std::vector<std::string> bads{"/etc/passwd", "../x.gpkg", "a/../../x",  "a/..",
                                "~/x",         "a\\..\\b", "/vsizip/x.zip", "/vsicurl/http://x",
                                std::string("a\0b", 3)};
  for (const auto& bad : bads)
    EXPECT_NE(check_source_path(bad, false), "") << bad;
  EXPECT_EQ(check_source_path("/vsis3/bucket/key.tif", true), "");
  EXPECT_EQ(check_source_path("a/b..c/x.tif", false), "");
  EXPECT_EQ(check_source_path("folder/", false), "");
}

TEST(source_path, resolution_stays_in_the_clients_folder) {
  namespace fs = std::filesystem;
  auto root = fs::temp_directory_path() / ("gp_bronze_" + std::to_string(::getpid()));
  fs::remove_all(root);  // a leftover of an earlier run with the same pid
  fs::create_directories(root / "ddh" / "rasters");
  fs::create_directories(root / "other");
  std::ofstream{root / "ddh" / "a.gpkg"} << "x";
  std::ofstream{root / "other" / "secret.gpkg"} << "x";
  fs::create_symlink(root / "other" / "secret.gpkg", root / "ddh" / "link.gpkg");
  fs::create_symlink("../other/secret.gpkg", root / "ddh" / "relative_out.gpkg");
  fs::create_symlink("a.gpkg", root / "ddh" / "relative_in.gpkg");
  fs::create_symlink(root / "ddh" / "a.gpkg", root / "ddh" / "absolute_in.gpkg");
  fs::create_symlink(root / "ddh" / "rasters", root / "ddh" / "absolute_in_folder");
  fs::create_symlink("missing.gpkg", root / "ddh" / "dangling.gpkg");
  fs::create_symlink("loop.gpkg", root / "ddh" / "loop.gpkg");
  fs::create_symlink("rasters", root / "ddh" / "relative_folder");
  EXPECT_EQ(resolve_source(root, "ddh", "a.gpkg", false), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "rasters", true), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "rasters", false), source_state::wrong_kind);
  EXPECT_EQ(resolve_source(root, "ddh", "missing.gpkg", false), source_state::not_found);
  EXPECT_EQ(resolve_source(root, "ddh", "link.gpkg", false), source_state::outside);
  // Links: relative or absolute, they may point anywhere inside the folder, never out of it.
  EXPECT_EQ(resolve_source(root, "ddh", "relative_out.gpkg", false), source_state::outside);
  EXPECT_EQ(resolve_source(root, "ddh", "relative_in.gpkg", false), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "absolute_in.gpkg", false), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "absolute_in_folder", true), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "absolute_in_folder/", true), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "dangling.gpkg", false), source_state::not_found);
  EXPECT_EQ(resolve_source(root, "ddh", "loop.gpkg", false), source_state::not_found);
  EXPECT_EQ(resolve_source(root, "ddh", "relative_folder", true), source_state::ok);
  EXPECT_EQ(resolve_source(root, "ddh", "a.gpkg/", false), source_state::not_found);
  EXPECT_EQ(resolve_source(root, "nobody", "a.gpkg", false), source_state::not_found);
  // A client folder that is itself a link is followed (its target is the folder).
  fs::create_symlink(root / "ddh", root / "alias");
  EXPECT_EQ(resolve_source(root, "alias", "a.gpkg", false), source_state::ok);
  EXPECT_EQ(resolve_source(root, "alias", "absolute_in.gpkg", false), source_state::ok);
  // No descriptor is left open, whichever way a path was decided.
  auto open_fds = [] {
    return std::distance(fs::directory_iterator{"/proc/self/fd"}, fs::directory_iterator{});
  };
  auto before = open_fds();
  for (const char* p : {"a.gpkg", "rasters", "missing.gpkg", "link.gpkg", "absolute_in.gpkg",
                        "loop.gpkg", "a.gpkg/"})
    static_cast<void>(resolve_source(root, "ddh", p, false));
  EXPECT_EQ(open_fds(), before);
  fs::remove_all(root);
}

TEST(callback_url, hosts_must_be_allowed) {
  std::vector<std::string> hosts{"hooks.example.org", "*.ddh.example.org"};
  EXPECT_EQ(check_callback_url("https://hooks.example.org/cb", hosts), "");
  EXPECT_EQ(check_callback_url("https://HOOKS.example.org:8443/cb?x=1", hosts), "");
  EXPECT_EQ(check_callback_url("http://a.ddh.example.org/x", hosts), "");
  EXPECT_NE(check_callback_url("http://ddh.example.org/x", hosts), "");
  EXPECT_NE(check_callback_url("https://evil.org/hooks.example.org", hosts), "");
  EXPECT_NE(check_callback_url("https://hooks.example.org@evil.org/", hosts), "");
  EXPECT_NE(check_callback_url("ftp://hooks.example.org/", hosts), "");
  EXPECT_NE(check_callback_url("https://x.example.org.evil/", {"*.example.org"}), "");
}

TEST(submit_codec, a_submission_is_the_parsed_body_with_its_id_config_and_fingerprint) {
  std::vector<field_error> errors;
  auto body = valid();
  body["callback_url"] = "https://ddh.example/hook";
  body["client_request_id"] = "c-9";
  auto req = parse_submit(body, {}, errors);
  ASSERT_TRUE(errors.empty());
  auto sub = submission_for("ddh", req);
  EXPECT_EQ(sub.request_id, request_id_for("ddh", "floods-2026", "r1", "v1.0"));
  EXPECT_EQ(sub.client_id, "ddh");
  EXPECT_EQ(sub.dataset_id, "floods-2026");
  EXPECT_EQ(sub.resource_id, "r1");
  EXPECT_EQ(sub.version_id, "v1.0");
  EXPECT_EQ(sub.request_type, "vector");
  EXPECT_EQ(sub.source_path, "floods/areas.gpkg");
  EXPECT_EQ(json::parse(sub.processing_config_json), req.processing_config);
  EXPECT_EQ(sub.callback_url, "https://ddh.example/hook");
  EXPECT_EQ(sub.client_request_id, "c-9");
  EXPECT_EQ(sub.fingerprint, payload_fingerprint(req));
  // Another client's identical body is another request.
  EXPECT_NE(submission_for("other", req).request_id, sub.request_id);
}
