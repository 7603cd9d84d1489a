#pragma once
// A scratch database with the migrations, a temporary bronze and silver folder, and the vector
// jobs run stage by stage through their plans, as the coremachine would run them, with the
// service's own stores over the scratch database (app/stores.*).
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "app/stores.hpp"
#include "io/http/submit_codec.hpp"
#include "io/jobs/registry.hpp"
#include "persistence/migrations.hpp"
#include "test_database.hpp"

namespace gp::test {

using json = nlohmann::json;
namespace fs = std::filesystem;

inline std::string test_data(const std::string& name) {
  return std::string{GP_TEST_DATA_DIR} + "/" + name;
}

struct vector_fixture : ::testing::Test {
  scratch_database db;
  fs::path root;
  io::jobs::task_environment env;
  std::atomic<bool> stop{false};

  void SetUp() override {
    pqxx::connection c{db.url()};
    persistence::migrate(c, persistence::embedded_migrations());
    root = fs::temp_directory_path() / ("gp_vector_" + db.name());
    fs::create_directories(root / "bronze");
    app::use_database(env, db.url());
    env.copy_writers = 2;
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  /// A file in the bronze folder with `content`; returns its path.
  std::string write(const std::string& name, const std::string& content) {
    auto p = root / "bronze" / name;
    std::ofstream{p, std::ios::binary} << content;
    return p.string();
  }

  /// A copy of tests/data/`name` in the bronze folder.
  std::string copy(const std::string& name) {
    auto p = root / "bronze" / name;
    fs::copy_file(test_data(name), p, fs::copy_options::overwrite_existing);
    return p.string();
  }

  json request(const std::string& source, json config = json::object(),
               const std::string& dataset = "d") {
    return {{"request_id", io::http::request_id_for("ddh", dataset, "main", "v1")},
            {"client_id", "ddh"},
            {"request_type", "vector"},
            {"source", source},
            {"processing_config", config},
            {"output_dir", (root / "silver" / dataset).string()},
            {"dataset_id", dataset},
            {"resource_id", "main"},
            {"version_id", "v1"}};
  }

  json run_task(const std::string& type, const json& params, int attempt = 1) {
    const auto* t = io::jobs::builtin_registry().task(type);
    EXPECT_NE(t, nullptr) << type;
    io::jobs::task_context ctx{params, attempt, stop, env};
    return t->handler(ctx);
  }

  /// Runs job `type` for `req` stage by stage; returns every stage's results.
  std::vector<json> run_job(const std::string& type, const json& req) {
    const auto* job = io::jobs::builtin_registry().job(type);
    EXPECT_NE(job, nullptr) << type;
    json params{{"request", req}};
    std::vector<json> stages;
    json previous = json::array();
    for (int s = 1; s <= static_cast<int>(job->stages.size()); ++s) {
      json results = json::array();
      for (const auto& [task_type, p] : io::jobs::plan_stage(*job, s, params, previous))
        results.push_back(run_task(task_type, p));
      stages.push_back(results);
      previous = results;
    }
    return stages;
  }

  /// ingest_vector's result (finalize's), or a test failure.
  json ingest(const json& req) {
    auto stages = run_job("ingest_vector", req);
    EXPECT_EQ(stages.size(), 3u);
    EXPECT_EQ(stages.back().size(), 1u);
    return stages.back().at(0);
  }

  /// The task_failure ingest_vector ends with (code, message); a test failure if none.
  io::jobs::task_failure failure(const json& req) {
    try {
      run_job("ingest_vector", req);
    } catch (const io::jobs::task_failure& f) {
      EXPECT_EQ(std::string{f.what()}.find(root.string()), std::string::npos)
        << "the message shows a storage path: " << f.what();
      return f;
    }
    ADD_FAILURE() << "the ingest did not fail";
    return {false, "", ""};
  }

  std::string query(const std::string& sql) {
    pqxx::connection c{db.url()};
    pqxx::nontransaction tx{c};
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string{} : r[0][0].as<std::string>();
  }

  long long count(const std::string& table) {
    return std::stoll(query("SELECT count(*) FROM geo.\"" + table + "\""));
  }
};

}  // namespace gp::test
