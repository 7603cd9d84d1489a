#include "test_database.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <unistd.h>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "persistence/clients.hpp"

namespace gp::test {

std::string base_url() {
  const char* url = std::getenv("GEOPLATFORM_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "GEOPLATFORM_TEST_DATABASE_URL is not set; run the tests through scripts/test";
    return "postgresql://invalid@127.0.0.1:1/none";
  }
  return url;
}

std::string with_database(const std::string& url, const std::string& dbname) {
  auto q = url.find('?');
  auto path_end = q == std::string::npos ? url.size() : q;
  auto slash = url.rfind('/', path_end);
  return url.substr(0, slash + 1) + dbname + url.substr(path_end);
}

namespace {

void admin_exec(const std::string& sql) {
  pqxx::connection c{base_url()};
  pqxx::nontransaction tx{c};
  tx.exec(sql);
}

}  // namespace

scratch_database::scratch_database(bool with_postgis) {
  static std::atomic<int> counter{0};
  name_ = "gpt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  admin_exec("DROP DATABASE IF EXISTS " + name_);
  for (int attempt = 0;; ++attempt) {
    try {
      admin_exec("CREATE DATABASE " + name_ + " TEMPLATE " +
                 (with_postgis ? "geoplatform_template" : "template0"));
      break;
    } catch (const std::exception&) {
      // The template can be busy for a moment (another clone, a background worker).
      if (attempt == 9)
        throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  url_ = with_database(base_url(), name_);
}

scratch_database::~scratch_database() {
  // A background worker visiting the database can make one DROP fail: try a few times.
  for (int attempt = 0;; ++attempt) {
    try {
      admin_exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      return;
    } catch (const std::exception& e) {
      if (attempt == 9) {
        ADD_FAILURE() << "cannot drop " << name_ << ": " << e.what();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

bool add_client(pqxx::connection& c, const std::string& client_id) {
  client_row client;
  client.client_id = client_id;
  client.name = client_id;
  client.webhook_secret = "whsec_x";
  return persistence::insert_client(c, client);
}

}  // namespace gp::test
