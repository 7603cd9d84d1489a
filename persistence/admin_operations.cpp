#include "persistence/admin_operations.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include "persistence/audit.hpp"
#include "persistence/database.hpp"
#include "persistence/run_on.hpp"

namespace gp::persistence {

caf::expected<db::create_client::result> execute(db_session& s, const db::create_client& op) {
  return run_on<db::create_client::result>(s, [&](pqxx::connection& c) {
    return db::create_client::result{create_client(c, op.row, op.by)};
  });
}

caf::expected<db::find_client::result> execute(db_session& s, const db::find_client& op) {
  return run_on<db::find_client::result>(s, [&](pqxx::connection& c) {
    return db::find_client::result{find_client(c, op.client_id)};
  });
}

caf::expected<db::update_client::result> execute(db_session& s, const db::update_client& op) {
  return run_on<db::update_client::result>(s, [&](pqxx::connection& c) {
    return db::update_client::result{update_client(c, op.client_id, op.changes, op.by)};
  });
}

caf::expected<db::rotate_key::result> execute(db_session& s, const db::rotate_key& op) {
  return run_on<db::rotate_key::result>(s, [&](pqxx::connection& c) {
    // The caller drew the candidates (keys are made in io/, which persistence does not use).
    size_t next = 0;
    auto drawn = [&] { return op.candidates.at(std::min(next++, op.candidates.size() - 1)); };
    auto [rotation, key] = rotate_generated_key(c, op.key_id, op.expires_at, op.overlap_seconds,
                                                op.by, drawn);
    return db::rotate_key::result{std::move(rotation), std::move(key)};
  });
}

caf::expected<db::list_audit::result> execute(db_session& s, const db::list_audit& op) {
  return run_on<db::list_audit::result>(s, [&](pqxx::connection& c) {
    return db::list_audit::result{list_audit(c, op.target, op.before_id, op.limit)};
  });
}

caf::expected<int> execute(db_session& s, const db::record_usage& op) {
  return run_on<int>(s, [&](pqxx::connection& c) { return add_usage(c, op.deltas, op.key_uses); });
}

caf::expected<db::read_usage::result> execute(db_session& s, const db::read_usage& op) {
  return run_on<db::read_usage::result>(s, [&](pqxx::connection& c) {
    return db::read_usage::result{read_usage(c, op.query)};
  });
}

}  // namespace gp::persistence
