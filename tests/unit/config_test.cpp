#include "app/config.hpp"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

using gp::app::config_error;
using gp::app::config_loader;

namespace {

/// A TOML file that removes itself.
struct temp_toml {
  explicit temp_toml(const std::string& text) {
    path = "/tmp/gp_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
           ".toml";
    std::ofstream{path} << text;
  }
  ~temp_toml() { std::remove(path.c_str()); }
  std::string path;
  static inline int counter = 0;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(config, defaults_are_valid_and_documented) {
  auto c = config_loader{}.build();
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.listen_address, "127.0.0.1");
  EXPECT_EQ(c.database.pool_size, 4);
  EXPECT_EQ(c.log.format, "text");
  EXPECT_TRUE(c.log.access);
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.storage.bronze_root, ".local/storage/bronze");
  EXPECT_EQ(c.storage.silver_root, ".local/storage/silver");
  for (const auto& k : gp::app::config_keys())
    EXPECT_FALSE(k.description.empty()) << k.name();
}

TEST(config, environment_name_is_section_and_key_upper_case) {
  for (const auto& k : gp::app::config_keys()) {
    if (k.name() == "http.public_base_url") {
      EXPECT_EQ(k.env_name(), "GEOPLATFORM_HTTP_PUBLIC_BASE_URL");
    }
  }
}

TEST(config, file_beats_default_environment_beats_file_flag_beats_environment) {
  temp_toml f{"[http]\nport = 9001\nio_threads = 3\n[log]\nlevel = \"debug\"\nformat = \"json\"\n"};
  config_loader l;
  l.load_file(f.path);
  l.load_environment({{"GEOPLATFORM_HTTP_PORT", "9002"}, {"GEOPLATFORM_LOG_LEVEL", "warn"}});
  l.set("http.port=9003");
  auto c = l.build();
  EXPECT_EQ(c.http.port, 9003);        // flag over environment over file
  EXPECT_EQ(c.log.level, "warn");      // environment over file
  EXPECT_EQ(c.http.io_threads, 3);     // file over default
  EXPECT_EQ(c.log.format, "json");     // file over default
  EXPECT_EQ(c.database.pool_size, 4);  // default
}

TEST(config, describe_names_the_origin_of_each_value) {
  temp_toml f{"[http]\nio_threads = 2\n"};
  config_loader l;
  l.load_file(f.path);
  l.load_environment({{"GEOPLATFORM_HTTP_PORT", "9002"}});
  l.set("log.level", "debug");
  std::map<std::string, std::string> d;
  for (auto& [k, v] : l.describe())
    d[k] = v;
  EXPECT_NE(d["http.io_threads"].find("file " + f.path), std::string::npos);
  EXPECT_NE(d["http.port"].find("environment variable GEOPLATFORM_HTTP_PORT"), std::string::npos);
  EXPECT_NE(d["log.level"].find("command line"), std::string::npos);
  EXPECT_NE(d["database.pool_size"].find("default"), std::string::npos);
}

TEST(config, describe_masks_the_database_password) {
  for (auto url : {"postgresql://u:s3cret@db:5432/x", "postgresql://u@db/x?password=s3cret&a=1"}) {
    config_loader l;
    l.set("database.url", url);
    for (auto& [k, v] : l.describe())
      EXPECT_EQ(v.find("s3cret"), std::string::npos) << k;
  }
}

TEST(config, public_base_url_defaults_to_listen_address_and_port) {
  config_loader l;
  l.set("http.port", "9100");
  EXPECT_EQ(l.build().http.public_base_url, "http://127.0.0.1:9100");
  l.set("http.listen_address", "::1");
  EXPECT_EQ(l.build().http.public_base_url, "http://[::1]:9100");
  l.set("http.public_base_url", "https://geo.example.org");
  EXPECT_EQ(l.build().http.public_base_url, "https://geo.example.org");
}

TEST(config, non_integer_names_key_and_origin) {
  config_loader l;
  l.load_environment({{"GEOPLATFORM_HTTP_PORT", "eighty"}});
  auto e = error_of([&] { l.build(); });
  EXPECT_NE(e.find("[http] port"), std::string::npos) << e;
  EXPECT_NE(e.find("GEOPLATFORM_HTTP_PORT"), std::string::npos) << e;
  EXPECT_NE(e.find("must be an integer"), std::string::npos) << e;
}

TEST(config, out_of_range_names_bounds) {
  config_loader l;
  l.set("database.pool_size", "0");
  auto e = error_of([&] { l.build(); });
  EXPECT_NE(e.find("[database] pool_size"), std::string::npos) << e;
  EXPECT_NE(e.find("between 1 and 64"), std::string::npos) << e;
}

TEST(config, a_hosts_earned_limit_is_bounded_and_may_sit_below_per_host) {
  config_loader l;
  l.set("webhooks.per_host_max", "0");
  auto e = error_of([&] { l.build(); });
  EXPECT_NE(e.find("[webhooks] per_host_max"), std::string::npos) << e;
  EXPECT_NE(e.find("between 1 and 1000"), std::string::npos) << e;
  // Below per_host it is accepted: no host earns a slot (io/webhooks/host_limit.hpp).
  config_loader below;
  below.set("webhooks.per_host", "16");
  below.set("webhooks.per_host_max", "4");
  EXPECT_EQ(below.build().webhooks.per_host_max, 4);
}

TEST(config, webhook_schedule_and_lease_are_checked) {
  config_loader l;
  l.set("webhooks.retry_schedule", "5s,soon");
  auto e = error_of([&] { l.build(); });
  EXPECT_NE(e.find("[webhooks] retry_schedule"), std::string::npos) << e;
  EXPECT_NE(e.find("'soon' is not a wait"), std::string::npos) << e;
  config_loader m;
  m.set("webhooks.timeout_ms", "30000");  // the default lease (90 s) is then too short
  e = error_of([&] { m.build(); });
  EXPECT_NE(e.find("[webhooks] lease_ms"), std::string::npos) << e;
  EXPECT_NE(e.find("more than four times webhooks.timeout_ms"), std::string::npos) << e;
  config_loader ok;
  ok.set("webhooks.timeout_ms", "30000");
  ok.set("webhooks.lease_ms", "120001");
  EXPECT_EQ(ok.build().webhooks.lease_ms, 120001);
}

TEST(config, bad_choice_lists_the_choices) {
  config_loader l;
  l.set("log.format", "xml");
  auto e = error_of([&] { l.build(); });
  EXPECT_NE(e.find("[log] format"), std::string::npos) << e;
  EXPECT_NE(e.find("text, json"), std::string::npos) << e;
}

TEST(config, bad_urls_and_addresses_are_rejected) {
  auto fails = [](const char* key, const char* value, const char* why) {
    config_loader l;
    l.set(key, value);
    auto e = error_of([&] { l.build(); });
    EXPECT_NE(e.find(why), std::string::npos) << key << ": " << e;
  };
  fails("database.url", "mysql://x", "postgresql://");
  fails("http.public_base_url", "ftp://x", "http://");
  fails("http.public_base_url", "http://x/", "must not end with '/'");
  fails("http.listen_address", "localhost", "numeric");
  fails("storage.bronze_root", "", "must not be empty");
}

TEST(config, bad_url_error_does_not_show_the_password) {
  config_loader l;
  l.set("database.url", "mysql://user:hunter2@db/x");
  auto e = error_of([&] { l.build(); });
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
}

TEST(config, unknown_key_in_file_is_an_error_naming_it) {
  temp_toml f{"[http]\nprot = 1\n"};
  config_loader l;
  auto e = error_of([&] { l.load_file(f.path); });
  EXPECT_NE(e.find("http.prot"), std::string::npos) << e;
  EXPECT_NE(e.find(f.path), std::string::npos) << e;
}

TEST(config, wrong_type_in_file_is_an_error) {
  temp_toml f{"[http]\nport = \"8080\"\n"};
  config_loader l;
  auto e = error_of([&] { l.load_file(f.path); });
  EXPECT_NE(e.find("[http] port"), std::string::npos) << e;
  EXPECT_NE(e.find("must be an integer"), std::string::npos) << e;
}

TEST(config, malformed_file_reports_the_line) {
  temp_toml f{"[http]\nport = 80\nthis is not toml\n"};
  config_loader l;
  auto e = error_of([&] { l.load_file(f.path); });
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
}

TEST(config, missing_file_is_an_error) {
  config_loader l;
  auto e = error_of([&] { l.load_file("/nonexistent/geoplatform.toml"); });
  EXPECT_NE(e.find("/nonexistent/geoplatform.toml"), std::string::npos) << e;
}

TEST(config, unknown_key_on_command_line_is_an_error) {
  config_loader l;
  auto e = error_of([&] { l.set("http.nope=1"); });
  EXPECT_NE(e.find("http.nope"), std::string::npos) << e;
  e = error_of([&] { l.set("no_equals_sign"); });
  EXPECT_NE(e.find("section.key=value"), std::string::npos) << e;
}

TEST(config, task_duration_limits_are_parsed_and_bounded) {
  config_loader l;
  l.set("workers.task_duration_limits", "sleep=5,process_raster=7200");
  auto c = l.build();
  EXPECT_EQ(c.workers.task_duration_limits.at("sleep"), 5);
  EXPECT_EQ(c.workers.task_duration_limits.at("process_raster"), 7200);
  for (auto bad : {"sleep", "sleep=0", "sleep=99999999999", "Sleep=5", "a b=1", "sleep=5,"}) {
    config_loader b;
    b.set("workers.task_duration_limits", bad);
    auto e = error_of([&] { b.build(); });
    EXPECT_NE(e.find("[workers] task_duration_limits"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_TRUE(config_loader{}.build().workers.task_duration_limits.empty());
}

TEST(config, request_pipelines_are_checked_against_the_job_library) {
  config_loader l;
  std::string good = R"({"vector": [{"job": "sleep", "params": {"ms": 5}}]})";
  l.set("requests.pipelines", good);
  EXPECT_EQ(l.build().requests.pipelines, good);
  for (auto bad : {"not json", R"({"mesh": []})", R"({"vector": [{"job": "nope"}]})",
                   R"({"vector": [{"job": "sleep", "params": {"ms": -1}}]})"}) {
    config_loader b;
    b.set("requests.pipelines", bad);
    auto e = error_of([&] { b.build(); });
    EXPECT_NE(e.find("[requests] pipelines"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_EQ(config_loader{}.build().requests.pipelines, "-");
}

TEST(config, unrelated_environment_variables_are_ignored) {
  config_loader l;
  l.load_environment({{"GEOPLATFORM_PORT", "1"}, {"GEOPLATFORM_HTTP_NOPE", "x"}});
  EXPECT_EQ(l.build().http.port, 8080);
}

TEST(config, scheduler_threads_default_to_one_per_core) {
  using gp::app::scheduler_threads_for;
  EXPECT_EQ(scheduler_threads_for(0, 2), 2);
  EXPECT_EQ(scheduler_threads_for(0, 16), 16);
  // hardware_concurrency() may answer 0 when it cannot tell.
  EXPECT_EQ(scheduler_threads_for(0, 0), 1);
  EXPECT_EQ(scheduler_threads_for(3, 2), 3);
  EXPECT_EQ(scheduler_threads_for(1, 64), 1);
}
