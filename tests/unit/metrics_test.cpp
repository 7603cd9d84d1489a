// The metrics writer (histograms, label escaping, values), the node's HTTP counters, the
// structured log line of an event, and the history of a status body with detail=full.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/node_metrics.hpp"
#include "io/http/request_codec.hpp"
#include "io/json_text.hpp"
#include "io/logging.hpp"
#include "io/metrics.hpp"

namespace {

using namespace gp;
using io::metrics::histogram;
using io::metrics::text_writer;

TEST(Histogram, CountsEachObservationInItsBucketAndReadsCumulatively) {
  histogram h{{0.1, 1, 10}};
  h.observe(0.05);
  h.observe(0.1);  // a bound holds values equal to it
  h.observe(0.5);
  h.observe(20);
  h.observe(-3);  // counted as 0
  auto s = h.read();
  ASSERT_EQ(s.buckets.size(), 3u);
  EXPECT_EQ(s.buckets[0], std::make_pair(0.1, uint64_t{3}));
  EXPECT_EQ(s.buckets[1], std::make_pair(1.0, uint64_t{4}));
  EXPECT_EQ(s.buckets[2], std::make_pair(10.0, uint64_t{4}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_NEAR(s.sum, 20.65, 1e-6);
  EXPECT_EQ(h.count(), 5u);
}

TEST(TextWriter, WritesHelpTypeSamplesAndHistograms) {
  text_writer w;
  w.family("x_total", "counter", "Calls.\nback\\slash");
  w.sample("x_total", {{"route", "/a/{id}"}, {"q", "say \"hi\"\\\n"}}, 3);
  histogram h{{0.5}};
  h.observe(0.25);
  w.family("y_seconds", "histogram", "Time.");
  w.histogram("y_seconds", {{"m", "GET"}}, h.read());
  EXPECT_EQ(w.take(),
            "# HELP x_total Calls.\\nback\\\\slash\n"
            "# TYPE x_total counter\n"
            "x_total{route=\"/a/{id}\",q=\"say \\\"hi\\\"\\\\\\n\"} 3\n"
            "# HELP y_seconds Time.\n"
            "# TYPE y_seconds histogram\n"
            "y_seconds_bucket{m=\"GET\",le=\"0.5\"} 1\n"
            "y_seconds_bucket{m=\"GET\",le=\"+Inf\"} 1\n"
            "y_seconds_sum{m=\"GET\"} 0.25\n"
            "y_seconds_count{m=\"GET\"} 1\n");
}

TEST(TextWriter, FormatsValues) {
  EXPECT_EQ(io::metrics::format_value(0), "0");
  EXPECT_EQ(io::metrics::format_value(12345678901), "12345678901");
  EXPECT_EQ(io::metrics::format_value(0.0025), "0.0025");
  EXPECT_EQ(io::metrics::format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(io::metrics::format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(io::metrics::format_value(0.0 / 0.0), "NaN");
}

TEST(ProcessStats, ReadsThisProcess) {
  auto p = io::metrics::read_process_stats();
  EXPECT_GT(p.resident_bytes, 1024);
  EXPECT_GE(p.threads, 1);
  EXPECT_GE(p.open_fds, 3);
  EXPECT_GT(p.start_time_seconds, 1.6e9);
  EXPECT_GE(p.cpu_seconds, 0);
}

/// The value of the sample line that starts with `prefix` (-1 when there is none).
double sample_value(const std::string& text, const std::string& prefix) {
  auto at = text.find("\n" + prefix + " ");
  if (at == std::string::npos)
    return -1;
  at += prefix.size() + 2;
  return std::stod(text.substr(at, text.find('\n', at) - at));
}

TEST(NodeMetrics, CountsCallsByRouteMethodAndStatusClass) {
  auto& m = node_metrics::get();
  auto snapshot = [&] {
    text_writer w;
    m.write(w);
    return w.take();
  };
  const std::string livez =
    "geoplatform_http_requests_total{route=\"/livez\",method=\"GET\",status=\"200\"}";
  const std::string odd =
    "geoplatform_http_requests_total{route=\"unmatched\",method=\"other\",status=\"5xx\"}";
  const std::string fast = "geoplatform_http_request_duration_seconds_bucket{route=\"/livez\","
                           "method=\"GET\",le=\"0.001\"}";
  const std::string slow = "geoplatform_http_request_duration_seconds_bucket{route=\"/livez\","
                           "method=\"GET\",le=\"0.0025\"}";
  const std::string count =
    "geoplatform_http_request_duration_seconds_count{route=\"/livez\",method=\"GET\"}";
  auto before = snapshot();
  auto was = [&](const std::string& k) { return std::max(0.0, sample_value(before, k)); };
  m.http_call(routing::livez, "GET", 200, 0.001);   // in the 1 ms bucket (bounds hold equals)
  m.http_call(routing::livez, "GET", 200, 0.002);   // in the 2.5 ms bucket
  m.http_call(node_metrics::unmatched_route, "BREW", 599, 0.5);
  m.http_call(12345, "BREW", 599, 0.5);  // out of range: unmatched
  auto text = snapshot();
  EXPECT_EQ(sample_value(text, livez), was(livez) + 2);
  EXPECT_EQ(sample_value(text, odd), was(odd) + 2);
  EXPECT_EQ(sample_value(text, fast), was(fast) + 1);
  EXPECT_EQ(sample_value(text, slow), was(slow) + 2);  // cumulative
  EXPECT_EQ(sample_value(text, count), was(count) + 2);
}

TEST(NodeMetrics, CountsLiveActorsByKind) {
  auto count = [] {
    text_writer w;
    node_metrics::get().write(w);
    return sample_value(w.take(), "geoplatform_actors{kind=\"webhook_delivery\"}");
  };
  auto was = count();
  {
    live_actor<actor_kind::webhook_delivery> a, b;
    EXPECT_EQ(count(), was + 2);
  }
  EXPECT_EQ(count(), was);
}

TEST(LogEvent, JoinsTheFieldsToTheHeadOfTheLine) {
  auto line = io::format_json_event("2026-12-06T10:00:00.000Z", "info", "http",
                                    "http GET /x -> 200", R"({"cid":"c1","status":200})");
  EXPECT_EQ(line, R"({"ts":"2026-12-06T10:00:00.000Z","level":"info","event":"http",)"
                  R"("msg":"http GET /x -> 200","cid":"c1","status":200})");
  // No fields, or fields that are not an object: the head alone.
  EXPECT_EQ(nlohmann::json::parse(io::format_json_event("t", "info", "x", "m", "{}")).size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(io::format_json_event("t", "info", "x", "m", "[1]")).size(),
            4u);
  // Quotes and invalid UTF-8 in the message keep the line valid JSON.
  auto odd = io::format_json_event("t", "info", "x", "say \"\xff\"", "{}");
  EXPECT_EQ(nlohmann::json::parse(odd)["msg"], "say \"\xef\xbf\xbd\"");
  EXPECT_EQ(io::event_fields("http", R"({"a":1})"), R"({"event":"http","a":1})");
}

TEST(JsonText, QuotesEscapesAndReplacesWhatIsNotUtf8) {
  auto quoted = [](std::string_view v) {
    std::string out;
    io::append_json_string(out, v);
    return out;
  };
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted(std::string("\x01\n\t", 3)), R"("\u0001\u000a\u0009")");
  EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\x8d"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\x8d\"");
  // A stray continuation byte, a cut sequence, an overlong form, a surrogate.
  for (std::string bad : {"\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80"}) {
    auto out = quoted("x" + bad + "y");
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>().find("x\xef\xbf\xbd"), 0u) << out;
    EXPECT_EQ(out.back(), '"');
  }
  EXPECT_EQ(nlohmann::json::parse(quoted("x\xc3y")), "x\xef\xbf\xbdy");
}

/// What the process logger writes to stderr while `body` runs.
template <class F>
std::string captured_stderr(F body) {
  std::fflush(stderr);
  char name[] = "/tmp/gp_log_test_XXXXXX";
  int fd = ::mkstemp(name);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  body();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(name);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::close(fd);
  ::unlink(name);
  return out;
}

TEST(LogEvent, TheLoggerScrubsTheMessageAndKeepsTheFieldsWhole) {
  auto out = captured_stderr([] {
    io::setup_logging("info", io::log_format::json);
    io::log_event(spdlog::level::info, "http", "GET /x?password=hunter2 \x1e done",
                  R"({"cid":"c1","status":200})");
    io::log_event(spdlog::level::debug, "http", "not written", "{}");
    GP_LOG_INFO("plain password=hunter2");
  });
  io::setup_logging("warn", io::log_format::text);
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["event"], "http");
  EXPECT_EQ(lines[0]["msg"], "GET /x?password=***   done");  // the marker became a space
  EXPECT_EQ((std::make_pair(lines[0]["cid"], lines[0]["status"])),
            (std::make_pair(nlohmann::json("c1"), nlohmann::json(200))));
  EXPECT_EQ(lines[1]["msg"], "plain password=***");
  EXPECT_FALSE(lines[1].contains("event"));
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
}

TEST(History, StartsWithTheSubmissionThenEachStoredChange) {
  request_view v;
  v.created_at = "2026-12-06T10:00:00Z";
  std::vector<request_event> events = {
    {"2026-12-06T10:00:01.250Z", request_status::pending, request_status::failed,
     "source_not_found", 1},
    {"2026-12-06T10:00:05.000Z", request_status::failed, request_status::processing, "retrying",
     2}};
  auto h = io::http::history_body(v, events);
  EXPECT_EQ(h, nlohmann::json::parse(R"([
    {"at":"2026-12-06T10:00:00Z","from":null,"to":"pending","reason":"submitted",
     "state_version":0},
    {"at":"2026-12-06T10:00:01.250Z","from":"pending","to":"failed",
     "reason":"source_not_found","state_version":1},
    {"at":"2026-12-06T10:00:05.000Z","from":"failed","to":"processing","reason":"retrying",
     "state_version":2}])"));
}

}  // namespace
