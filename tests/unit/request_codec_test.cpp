// Platform request codecs and the request types' job table: status bodies, the pipelines
// override, step parameters and per-request job ids. (The request model and its snapshot:
// request_model_test.cpp.)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/http/request_codec.hpp"
#include "io/http/submit_codec.hpp"
#include "io/jobs/pipelines.hpp"
#include "tests/status_words.hpp"

using namespace gp;
using json = nlohmann::json;

TEST(request_codec, status_body_shows_endpoints_only_when_completed_and_errors_only_when_failed) {
  request_view v;
  v.request_id = std::string(32, 'a');
  v.status = request_status::processing;
  v.endpoints_json = R"({"download": "/platform/data/x/download"})";
  v.error_code = "leftover";
  v.estimated_completion = 1795000000;
  auto body = io::http::status_body(v, "http://h:1");
  EXPECT_TRUE(body["endpoints"].is_null());
  EXPECT_TRUE(body["error"].is_null());
  EXPECT_EQ(body["estimated_completion"], "2026-11-18T11:06:40Z");
  EXPECT_TRUE(body["client_request_id"].is_null());
  EXPECT_TRUE(body["callback_status"].is_null());
  v.status = request_status::completed;
  body = io::http::status_body(v, "http://h:1");
  EXPECT_EQ(body["endpoints"]["download"], "http://h:1/platform/data/x/download");
  EXPECT_TRUE(body["estimated_completion"].is_null());
  v.status = request_status::failed;
  v.error_code = "source_not_found";
  v.error_message = "gone";
  v.error_retryable = true;
  body = io::http::status_body(v, "http://h:1");
  EXPECT_EQ(body["error"], (json{{"code", "source_not_found"}, {"message", "gone"},
                                 {"retryable", true}}));
  EXPECT_TRUE(body["endpoints"].is_null());
}

TEST(request_codec, submit_body_says_accepted_only_when_created) {
  request_view v;
  v.request_id = std::string(32, 'b');
  v.status = request_status::pending;
  EXPECT_EQ(io::http::submit_body(v, "http://h", true)["status"], "accepted");
  EXPECT_EQ(io::http::submit_body(v, "http://h", false)["status"], "pending");
  EXPECT_EQ(io::http::submit_body(v, "http://h", false)["status_url"],
            "http://h/platform/status/" + v.request_id);
}

TEST(request_codec, the_submit_body_text_is_the_submit_body) {
  request_view v;
  v.request_id = std::string(32, 'c');
  v.status = request_status::processing;
  for (bool created : {true, false})
    for (int64_t eta : {int64_t{0}, int64_t{1795687200}})
      EXPECT_EQ(json::parse(io::http::submit_body_text(v, "http://h\"x", created, eta)),
                io::http::submit_body(v, "http://h\"x", created, eta));
  v.status = request_status::failed;
  EXPECT_EQ(json::parse(io::http::submit_body_text(v, "http://h", false, 5)),
            io::http::submit_body(v, "http://h", false, 5));
}

TEST(request_codec, timestamps) {
  EXPECT_EQ(io::http::epoch_of("2026-11-26T10:00:00Z"), 1795687200);
  EXPECT_EQ(io::http::epoch_of("nonsense"), 0);
  EXPECT_TRUE(io::http::rfc3339_or_null(0).is_null());
  EXPECT_EQ(io::http::rfc3339_or_null(1795687200), "2026-11-26T10:00:00Z");
}

TEST(pipelines, the_default_table_names_the_designs_steps) {
  const auto& t = io::jobs::default_pipelines();
  auto names = [&](const char* type) {
    std::vector<std::string> out;
    for (const auto& s : t.at(type))
      out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names("vector"), (std::vector<std::string>{"ingest_vector", "stac_catalog_vectors"}));
  EXPECT_EQ(names("raster"), (std::vector<std::string>{"validate_raster", "process_raster",
                                                       "stac_catalog_raster"}));
  EXPECT_EQ(names("collection"),
            (std::vector<std::string>{"process_raster_collection", "create_mosaic_json",
                                      "stac_catalog_collection"}));
  for (const auto& [type, steps] : t)
    for (const auto& s : steps)
      EXPECT_NE(io::jobs::builtin_registry().job(s.job_type), nullptr) << s.job_type;
}

TEST(pipelines, an_override_replaces_only_the_types_it_names) {
  const auto& reg = io::jobs::builtin_registry();
  auto t = io::jobs::parse_pipelines(
    R"({"raster": [{"step": "validate_raster", "job": "sleep", "params": {"ms": 5}}]})", reg);
  ASSERT_EQ(t.at("raster").size(), 1u);
  EXPECT_EQ(t.at("raster")[0].job_type, "sleep");
  EXPECT_EQ(t.at("vector").size(), 2u);
  for (const char* bad : {"[]", "{\"mesh\": []}", "{\"raster\": []}",
                          "{\"raster\": [{\"step\": \"x\"}]}",
                          "{\"raster\": [{\"job\": \"nope\"}]}",
                          "{\"raster\": [{\"job\": \"sleep\", \"params\": {\"ms\": \"x\"}}]}",
                          "{\"raster\": [{\"job\": \"sleep\", \"params\": []}]}"})
    EXPECT_THROW(io::jobs::parse_pipelines(bad, reg), std::invalid_argument) << bad;
}

TEST(pipelines, jobs_that_take_the_request_get_its_facts) {
  const auto& reg = io::jobs::builtin_registry();
  io::jobs::request_facts facts{"r1",     "ddh", "raster", "/b/ddh/a.tif", json{{"nodata", 0}},
                                "/s/ddh/d/r/v1", "d",   "r",      "v1",           "/b/ddh"};
  auto inspect = io::jobs::step_params(reg, {"validate_raster", "inspect_source", {}}, facts);
  EXPECT_EQ(inspect["request"]["source"], "/b/ddh/a.tif");
  EXPECT_EQ(inspect["request"]["processing_config"]["nodata"], 0);
  EXPECT_EQ(inspect["request"]["output_dir"], "/s/ddh/d/r/v1");
  EXPECT_EQ(inspect["request"]["dataset_id"], "d");
  EXPECT_EQ(inspect["request"]["version_id"], "v1");
  EXPECT_EQ(inspect["request"]["source_root"], "/b/ddh");
  json p = inspect;
  EXPECT_TRUE(io::jobs::validate_job(reg, "inspect_source", p).empty());
  auto sleep = io::jobs::step_params(reg, {"x", "sleep", json{{"ms", 5}}}, facts);
  EXPECT_FALSE(sleep.contains("request"));
  EXPECT_EQ(sleep["ms"], 5);
}

TEST(pipelines, job_ids_are_per_request_and_step) {
  auto a = io::jobs::request_job_id("r1", 0, "noop");
  EXPECT_EQ(a, io::jobs::request_job_id("r1", 0, "noop"));
  EXPECT_NE(a, io::jobs::request_job_id("r2", 0, "noop"));
  EXPECT_NE(a, io::jobs::request_job_id("r1", 1, "noop"));
  EXPECT_EQ(a.size(), 64u);
}

#include "actors/status_board.hpp"

TEST(status_board, a_late_publisher_does_not_undo_newer_state) {
  status_board board;
  auto view = [](const char* status, int64_t version) {
    auto v = std::make_shared<request_view>();
    v->request_id = std::string(32, 'd');
    v->status = *parse_request_status(status);
    v->state_version = version;
    return std::shared_ptr<const request_view>(v);
  };
  EXPECT_TRUE(board.publish(view("processing", 1)));
  EXPECT_TRUE(board.publish(view("cancelled", 3)));       // a cancel
  EXPECT_FALSE(board.publish(view("processing", 2)));     // the actor's write it overtook
  EXPECT_FALSE(board.publish(view("processing", 3)));     // same version, but not ended
  EXPECT_EQ(board.find(std::string(32, 'd'))->view->status, "cancelled");
  EXPECT_TRUE(board.publish(view("processing", 4)));      // a retry re-opened it
  board.set_fingerprint(std::string(32, 'd'), status_board::digest("fp"));
  auto e = board.find(std::string(32, 'd'));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->has_fingerprint);
  EXPECT_EQ(e->view->state_version, 4);
  board.erase(std::string(32, 'd'));
  EXPECT_FALSE(board.find(std::string(32, 'd')));
}
