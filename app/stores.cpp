#include "app/stores.hpp"

#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "persistence/requests.hpp"
#include "persistence/vector_tables.hpp"

namespace gp::app {

namespace {

/// Rethrows the exception in flight (call inside a catch block) as io's type: the client's part
/// of a database error is persistence's, so the texts clients see do not depend on the layer.
[[noreturn]] void rethrow_for_io() {
  try {
    throw;
  } catch (const persistence::conflict_error& e) {
    throw io::geodata::store_conflict{e.what()};
  } catch (const std::exception& e) {
    throw io::geodata::store_error{e.what(), persistence::db_error_for_client(e)};
  }
}

/// `fn(connection)` on a new connection to `url`, its failures rethrown as io's types.
template <class F>
auto on_connection(const std::string& url, F&& fn) {
  try {
    pqxx::connection c{url};
    return fn(c);
  } catch (...) {
    rethrow_for_io();
  }
}

/// One persistence::copy_stream; put is called once per batch of rows (see io::geodata::row_sink).
class pg_row_sink final : public io::geodata::row_sink {
public:
  pg_row_sink(const std::string& url, const std::string& table,
              const std::vector<std::string>& columns)
    : stream_{url, table, columns} {}

  void put(const std::string& rows) override {
    try {
      stream_.put(rows);
    } catch (...) {
      rethrow_for_io();
    }
  }

  void finish() override {
    try {
      stream_.finish();
    } catch (...) {
      rethrow_for_io();
    }
  }

  void abort() noexcept override { stream_.abort(); }

private:
  persistence::copy_stream stream_;
};

}  // namespace

void pg_vector_store::create_staging_table(const std::string& staging,
                                           const std::vector<io::geodata::vector_column>& columns,
                                           const std::string& geometry_type) {
  on_connection(url_, [&](pqxx::connection& c) {
    persistence::create_staging_table(c, staging, columns, geometry_type);
  });
}

void pg_vector_store::drop_table(const std::string& name) {
  on_connection(url_, [&](pqxx::connection& c) { persistence::drop_geo_table(c, name); });
}

void pg_vector_store::forget_table(const std::string& name) {
  on_connection(url_, [&](pqxx::connection& c) { persistence::forget_vector_table(c, name); });
}

bool pg_vector_store::table_exists(const std::string& name) {
  return on_connection(url_,
                       [&](pqxx::connection& c) { return persistence::geo_table_exists(c, name); });
}

void pg_vector_store::publish(const std::string& staging,
                              const io::geodata::vector_layer_row& row) {
  on_connection(url_,
                [&](pqxx::connection& c) { persistence::publish_vector_table(c, staging, row); });
}

std::optional<std::string> pg_vector_store::find_layer(const std::string& table_name) {
  return on_connection(url_, [&](pqxx::connection& c) {
    return persistence::find_vector_layer(c, table_name);
  });
}

io::geodata::vector_footprint pg_vector_store::footprint(const std::string& table,
                                                        const std::string& time_column) {
  return on_connection(url_, [&](pqxx::connection& c) {
    return persistence::vector_table_footprint(c, table, time_column);
  });
}

std::unique_ptr<io::geodata::row_sink> pg_vector_store::open_sink(
  const std::string& table, const std::vector<std::string>& columns) {
  try {
    return std::make_unique<pg_row_sink>(url_, table, columns);
  } catch (...) {
    rethrow_for_io();
  }
}

std::optional<std::string> pg_reuse_store::find_reusable(const std::string& request_id,
                                                         const std::string& sha256) {
  return on_connection(url_, [&](pqxx::connection& c) {
    return persistence::find_reusable(c, request_id, sha256);
  });
}

void use_database(io::jobs::task_environment& env, const std::string& url) {
  env.vectors = std::make_shared<pg_vector_store>(url);
  env.reuse = std::make_shared<pg_reuse_store>(url);
}

}  // namespace gp::app
