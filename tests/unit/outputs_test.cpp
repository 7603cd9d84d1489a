#include "io/http/outputs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/http/router.hpp"

using namespace gp::io::http;
using json = nlohmann::json;

namespace {

const std::string id = "0123456789abcdef0123456789abcdef";

std::string parse_error(const std::string& text) {
  std::string why;
  EXPECT_FALSE(parse_outputs(text, why)) << text;
  return why;
}

}  // namespace

TEST(outputs, the_stored_contract_is_read) {
  std::string why;
  auto o = parse_outputs(R"({"dir": "/srv/silver/ddh/x/main/v1", "download": "x.tif",
                             "files": ["a.tif", "b c.tif"], "collection": "ddh_x",
                             "mosaic": true, "stac_item": "ignored"})",
                         why);
  ASSERT_TRUE(o) << why;
  EXPECT_EQ(o->dir, "/srv/silver/ddh/x/main/v1");
  EXPECT_EQ(o->download, "x.tif");
  EXPECT_EQ(o->files, (std::vector<std::string>{"a.tif", "b c.tif"}));
  EXPECT_EQ(o->collection, "ddh_x");
  EXPECT_TRUE(o->mosaic);
  o = parse_outputs(R"({"dir": "/d"})", why);
  ASSERT_TRUE(o) << why;
  EXPECT_TRUE(o->download.empty());
  EXPECT_FALSE(o->mosaic);
}

TEST(outputs, null_means_none_without_an_error) {
  std::string why = "x";
  EXPECT_FALSE(parse_outputs("null", why));
  EXPECT_EQ(why, "");
}

TEST(outputs, a_broken_contract_names_the_member) {
  EXPECT_EQ(parse_error("{"), "outputs is not JSON");
  EXPECT_EQ(parse_error("[]"), "outputs must be an object");
  EXPECT_EQ(parse_error("{}"), "outputs.dir must be an absolute folder");
  EXPECT_EQ(parse_error(R"({"dir": "relative/dir"})"), "outputs.dir must be an absolute folder");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "download": "../x.tif"})"),
            "outputs.download must be a plain file name");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "download": 3})"),
            "outputs.download must be a plain file name");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "files": "a.tif"})"),
            "outputs.files must be a list of file names");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "files": ["a.tif", ".hidden"]})"),
            "outputs.files must list plain file names");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "collection": ""})"),
            "outputs.collection must be a non-empty string");
  EXPECT_EQ(parse_error(R"({"dir": "/d", "mosaic": "yes"})"),
            "outputs.mosaic must be true or false");
}

TEST(outputs, plain_file_names) {
  for (auto ok : {"a.tif", "b c.tif", "x", "tile_0-1.TIF", "é.tif"})
    EXPECT_TRUE(is_plain_file_name(ok)) << ok;
  for (auto bad : {"", ".", "..", ".hidden", "a/b", "../a", "a\\b", "a\nb", "a\tb"})
    EXPECT_FALSE(is_plain_file_name(bad)) << bad;
  EXPECT_FALSE(is_plain_file_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_plain_file_name(std::string(256, 'a')));
  EXPECT_TRUE(is_plain_file_name(std::string(255, 'a')));
}

TEST(outputs, path_segments_are_decoded_strictly) {
  EXPECT_EQ(decode_segment("a%20b.tif"), "a b.tif");
  EXPECT_EQ(decode_segment("a+b"), "a+b");
  EXPECT_EQ(decode_segment("%2e%2e"), "..");
  EXPECT_EQ(decode_segment("..%2F..%2Fetc"), "../../etc");
  EXPECT_EQ(decode_segment("%00"), std::string("\0", 1));
  EXPECT_FALSE(decode_segment("a%2"));
  EXPECT_FALSE(decode_segment("a%"));
  EXPECT_FALSE(decode_segment("%zz"));
}

TEST(outputs, values_are_encoded_as_one_segment) {
  EXPECT_EQ(encode_segment("a.tif"), "a.tif");
  EXPECT_EQ(encode_segment("b c/d?#%"), "b%20c%2Fd%3F%23%25");
  EXPECT_EQ(encode_segment("é"), "%C3%A9");
  EXPECT_EQ(decode_segment(encode_segment("x y+z%.tif")), "x y+z%.tif");
}

TEST(outputs, media_types) {
  EXPECT_EQ(download_media_type("vector"), "application/geopackage+sqlite3");
  EXPECT_EQ(download_media_type("raster"),
            "image/tiff; application=geotiff; profile=cloud-optimized");
  EXPECT_EQ(file_media_type("a.TIF"), download_media_type("raster"));
  EXPECT_EQ(file_media_type("a.tiff"), download_media_type("raster"));
  EXPECT_EQ(file_media_type("a.gpkg"), download_media_type("vector"));
  EXPECT_EQ(file_media_type("mosaic.json"), "application/json");
  EXPECT_EQ(file_media_type("notes.txt"), "application/octet-stream");
}

TEST(outputs, endpoints_of_a_vector_request) {
  auto e = endpoints_for("vector", id, json{{"dir", "/d"}, {"download", "roads.gpkg"},
                                           {"collection", "ddh_roads_main_v1"}});
  EXPECT_EQ(e, (json{{"download", "/platform/data/" + id + "/download"},
                     {"features", "/features/collections/ddh_roads_main_v1/items"}}));
  e = endpoints_for("vector", id, json{{"dir", "/d"}, {"download", "roads.gpkg"}});
  EXPECT_EQ(e, (json{{"download", "/platform/data/" + id + "/download"}}));
}

TEST(outputs, endpoints_of_a_raster_request) {
  auto e = endpoints_for("raster", id, json{{"dir", "/d"}, {"download", "dem.tif"},
                                           {"collection", "not_for_rasters"}});
  EXPECT_EQ(e, (json{{"download", "/platform/data/" + id + "/download"}}));
}

TEST(outputs, endpoints_of_a_collection_request) {
  auto e = endpoints_for("collection", id,
                         json{{"dir", "/d"}, {"files", {"a.tif"}}, {"mosaic", true}});
  EXPECT_EQ(e, (json{{"mosaic", "/platform/data/" + id + "/mosaic.json"}}));
  e = endpoints_for("collection", id, json{{"dir", "/d"}, {"files", {"a.tif"}}});
  EXPECT_EQ(e, json::object());
}

TEST(outputs, no_outputs_no_endpoints) {
  EXPECT_EQ(endpoints_for("raster", id, json()), json::object());
  EXPECT_EQ(endpoints_for("raster", id, json{{"dir", "/d"}}), json::object());
  EXPECT_EQ(endpoints_for("raster", id, json{{"download", ""}}), json::object());
  EXPECT_EQ(endpoints_for("other", id, json{{"download", "x"}}), json::object());
}

TEST(outputs, the_mosaic_lists_absolute_file_urls) {
  auto mosaic = json::parse(R"({"mosaicjson": "0.0.3", "minzoom": 7, "maxzoom": 12,
    "quadkey_zoom": 7, "bounds": [5, 49, 7, 51], "center": [6, 50, 7],
    "tiles": {"1202": ["a.tif", "b c.tif"], "1203": ["b c.tif"]}})");
  auto base = "https://geo.example.org/platform/data/" + id + "/files/";
  EXPECT_FALSE(mosaic_with_urls(mosaic, base));
  EXPECT_EQ(mosaic["tiles"]["1202"], (json{base + "a.tif", base + "b%20c.tif"}));
  EXPECT_EQ(mosaic["tiles"]["1203"], (json{base + "b%20c.tif"}));
  EXPECT_EQ(mosaic["minzoom"], 7);
  EXPECT_EQ(mosaic["mosaicjson"], "0.0.3");
}

TEST(outputs, a_mosaic_that_breaks_the_contract_is_refused) {
  auto bad = [](const char* text) {
    auto doc = json::parse(text);
    auto why = mosaic_with_urls(doc, "/f/");
    return why ? *why : std::string{"<accepted>"};
  };
  EXPECT_EQ(bad("[]"), "the mosaic is not a JSON object");
  EXPECT_EQ(bad("{}"), "the mosaic has no tiles object");
  EXPECT_EQ(bad(R"({"tiles": []})"), "the mosaic has no tiles object");
  EXPECT_EQ(bad(R"({"tiles": {"1": "a.tif"}})"), "the tile 1 is not a list of file names");
  EXPECT_EQ(bad(R"({"tiles": {"1": ["../x.tif"]}})"),
            "the tile 1 lists something that is not a plain file name");
  EXPECT_EQ(bad(R"({"tiles": {"1": ["/etc/passwd"]}})"),
            "the tile 1 lists something that is not a plain file name");
  EXPECT_EQ(bad(R"({"tiles": {"1": [3]}})"),
            "the tile 1 lists something that is not a plain file name");
}
