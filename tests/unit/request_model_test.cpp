// The request model: status names (the only place they are spelled), the stored record and the
// view derived from it, the snapshot's stored form and a stored request's fingerprint.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/http/submit_codec.hpp"
#include "io/requests/snapshot_codec.hpp"
#include "messages/requests.hpp"
#include "messages/status.hpp"

using namespace gp;
using json = nlohmann::json;

TEST(request_model, status_names_round_trip_and_other_words_are_refused) {
  EXPECT_EQ(names_of(all_request_statuses),
            (std::vector<std::string>{"pending", "processing", "completed", "failed",
                                      "cancelled"}));
  EXPECT_EQ(names_of(all_job_statuses),
            (std::vector<std::string>{"queued", "processing", "completed", "failed",
                                      "cancelled"}));
  for (auto s : all_request_statuses)
    EXPECT_EQ(parse_request_status(name_of(s)), s);
  for (auto s : all_job_statuses)
    EXPECT_EQ(parse_job_status(name_of(s)), s);
  for (const char* bad : {"", "Completed", "accepted", "queued", "unknown", "done "})
    EXPECT_FALSE(parse_request_status(bad).has_value()) << bad;
  // "unknown" is a watch's answer, never a stored status.
  EXPECT_EQ(name_of(job_status::unknown), "unknown");
  EXPECT_FALSE(parse_job_status("unknown").has_value());
  EXPECT_FALSE(parse_job_status("pending").has_value());
  // A byte from elsewhere that is no status is named, not read out of bounds.
  EXPECT_EQ(name_of(static_cast<request_status>(200)), "invalid");
  EXPECT_EQ(name_of(static_cast<job_status>(200)), "invalid");
  EXPECT_EQ(name_of(static_cast<actor_state>(200)), "invalid");
}

TEST(request_model, terminal_statuses) {
  EXPECT_FALSE(is_terminal(request_status::pending));
  EXPECT_FALSE(is_terminal(request_status::processing));
  EXPECT_TRUE(is_terminal(request_status::completed));
  EXPECT_TRUE(is_terminal(request_status::failed));
  EXPECT_TRUE(is_terminal(request_status::cancelled));
  EXPECT_FALSE(is_terminal(job_status::queued));
  EXPECT_FALSE(is_terminal(job_status::unknown));
  EXPECT_TRUE(is_terminal(job_status::cancelled));
}

TEST(request_model, the_view_is_the_record_with_its_jobs) {
  request_row row;
  row.request_id = std::string(32, 'a');
  row.client_id = "ddh";
  row.dataset_id = "d";
  row.resource_id = "r";
  row.version_id = "v1";
  row.request_type = "raster";
  row.source_path = "a.tif";
  row.processing_config_json = R"({"compression":"deflate"})";
  row.callback_url = "https://ddh.example/hook";
  row.client_request_id = "c-1";
  row.status = request_status::failed;
  row.progress_percent = 40;
  row.message = "boom";
  row.error_code = "source_not_found";
  row.error_message = "gone";
  row.error_retryable = false;
  row.reused_from = std::string(32, 'b');
  row.state_version = 7;
  row.created_at = "2026-12-01T00:00:00Z";
  row.started_at = "2026-12-01T00:00:01Z";
  row.completed_at = "2026-12-01T00:00:02Z";
  row.owner_node = "node-1";
  auto v = view_of(row, {{"j1", "raster_cog", job_status::failed, 1, 2}});
  EXPECT_EQ(v.request_id, row.request_id);
  EXPECT_EQ(v.client_id, "ddh");
  EXPECT_EQ(v.version_id, "v1");
  EXPECT_EQ(v.source_path, "a.tif");
  EXPECT_EQ(v.processing_config_json, row.processing_config_json);
  EXPECT_EQ(v.callback_url, row.callback_url);
  EXPECT_EQ(v.client_request_id, "c-1");
  EXPECT_EQ(v.status, request_status::failed);
  EXPECT_EQ(v.progress_percent, 40);
  EXPECT_EQ(v.error_code, "source_not_found");
  EXPECT_EQ(v.reused_from, row.reused_from);
  EXPECT_EQ(v.state_version, 7);
  EXPECT_EQ(v.completed_at, row.completed_at);
  ASSERT_EQ(v.jobs.size(), 1u);
  EXPECT_EQ(v.jobs[0].status, job_status::failed);
  EXPECT_EQ(v.estimated_completion, 0);
}

TEST(request_model, snapshots_round_trip_and_garbage_reads_as_a_fresh_start) {
  request_snapshot s{1,
                     {{"j1", "sleep", job_status::completed, 1, 1},
                      {"j2", "noop", job_status::queued, 0, 1}}};
  auto back = io::requests::decode_snapshot(io::requests::encode_snapshot(s));
  EXPECT_EQ(back.step, 1);
  ASSERT_EQ(back.jobs.size(), 2u);
  EXPECT_EQ(back.jobs[1].job_id, "j2");
  EXPECT_EQ(back.jobs[0].status, job_status::completed);
  for (const char* bad : {"", "{}", "[]", "{\"step\": \"x\"}", "{\"jobs\": 3}"}) {
    auto d = io::requests::decode_snapshot(bad);
    EXPECT_EQ(d.step, 0) << bad;
    EXPECT_TRUE(d.jobs.empty()) << bad;
  }
}

TEST(request_model, the_stored_snapshot_spells_job_statuses_as_the_database_does) {
  auto text = io::requests::encode_snapshot({0, {{"j", "t", job_status::processing, 2, 3}}});
  EXPECT_EQ(json::parse(text),
            (json{{"step", 0},
                  {"jobs",
                   {{{"job_id", "j"},
                     {"job_type", "t"},
                     {"status", "processing"},
                     {"stage", 2},
                     {"total_stages", 3}}}}}));
  // A word that is not a stored job status (a snapshot from a future version) reads as queued:
  // the job is watched and the coremachine tells its real status.
  auto d = io::requests::decode_snapshot(
    R"({"step":0,"jobs":[{"job_id":"j","job_type":"t","status":"paused"}]})");
  ASSERT_EQ(d.jobs.size(), 1u);
  EXPECT_EQ(d.jobs[0].status, job_status::queued);
}

TEST(request_model, a_rows_view_reads_its_snapshot) {
  request_row row;
  row.request_id = std::string(32, 'c');
  row.snapshot_json = io::requests::encode_snapshot({0, {{"j", "t", job_status::queued, 0, 1}}});
  auto v = io::requests::view_of(row);
  ASSERT_EQ(v.jobs.size(), 1u);
  EXPECT_EQ(v.jobs[0].job_id, "j");
  row.snapshot_json = "not json";
  EXPECT_TRUE(io::requests::view_of(row).jobs.empty());
}

TEST(request_model, stored_fingerprint_matches_the_submissions) {
  io::http::submit_request req;
  req.request_type = "raster";
  req.source_path = "a.tif";
  req.processing_config = json{{"nodata", 0}, {"compression", "deflate"}};
  request_row row;
  row.request_type = "raster";
  row.source_path = "a.tif";
  // As PostgreSQL's jsonb prints it: other key order, other spacing.
  row.processing_config_json = R"({"nodata": 0, "compression": "deflate"})";
  EXPECT_EQ(io::requests::stored_fingerprint(row), io::http::payload_fingerprint(req));
  row.source_path = "b.tif";
  EXPECT_NE(io::requests::stored_fingerprint(row), io::http::payload_fingerprint(req));
}
