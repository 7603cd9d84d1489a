#pragma once
// Throw-away databases on the test cluster (GEOPLATFORM_TEST_DATABASE_URL, set by scripts/test).
#include <string>

#include "persistence/pqxx_fwd.hpp"

namespace gp::test {

/// The URL of the test cluster's main database; fails the calling test when unset.
std::string base_url();

/// `url` with its database name replaced.
std::string with_database(const std::string& url, const std::string& dbname);

/// A fresh database cloned from `geoplatform_template` (PostGIS installed) or, without PostGIS,
/// from template0. Dropped when the object goes away.
class scratch_database {
public:
  explicit scratch_database(bool with_postgis = true);
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

private:
  std::string name_;
  std::string url_;
};

/// Adds the client the tests' requests belong to (`ddh` unless named); false when it exists.
bool add_client(pqxx::connection& c, const std::string& client_id = "ddh");

}  // namespace gp::test
