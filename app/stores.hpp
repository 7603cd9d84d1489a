#pragma once
// The job library's database interfaces (io/geodata/vector_store.hpp, io/jobs/stores.hpp)
// implemented over persistence/. io/ may not reach persistence/ and persistence/ may not know
// io/, so the two meet here, and serve injects the result into the task_environment. Each call
// opens a connection of its own, as the handlers did before: task workers, load threads and
// clean-ups call at once, and a publish may hold its connection for minutes. What persistence
// throws becomes io's store_error (its client text from persistence::db_error_for_client) or
// store_conflict (persistence::conflict_error).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/jobs/registry.hpp"

namespace gp::app {

/// The vector tables of persistence/vector_tables.*.
class pg_vector_store final : public io::geodata::vector_store {
public:
  /// `url`: a libpq connection string, without a statement timeout (index builds may be long).
  explicit pg_vector_store(std::string url) : url_(std::move(url)) {}

  void create_staging_table(const std::string& staging,
                            const std::vector<io::geodata::vector_column>& columns,
                            const std::string& geometry_type) override;
  void drop_table(const std::string& name) override;
  void forget_table(const std::string& name) override;
  bool table_exists(const std::string& name) override;
  void publish(const std::string& staging, const io::geodata::vector_layer_row& row) override;
  std::optional<std::string> find_layer(const std::string& table_name) override;
  io::geodata::vector_footprint footprint(const std::string& table,
                                         const std::string& time_column) override;
  std::unique_ptr<io::geodata::row_sink> open_sink(
    const std::string& table, const std::vector<std::string>& columns) override;

private:
  std::string url_;
};

/// The reuse look-up of persistence/requests.* (persistence::find_reusable).
class pg_reuse_store final : public io::jobs::reuse_store {
public:
  /// `url`: a libpq connection string.
  explicit pg_reuse_store(std::string url) : url_(std::move(url)) {}

  std::optional<std::string> find_reusable(const std::string& request_id,
                                           const std::string& sha256) override;

private:
  std::string url_;
};

/// Gives `env` both stores over the database at `url` (a libpq connection string): what serve
/// hands to the coremachine and the request actors, and what the integration tests use.
void use_database(io::jobs::task_environment& env, const std::string& url);

}  // namespace gp::app
