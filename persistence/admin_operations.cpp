#include "persistence/admin_operations.hpp"

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
    db::rotate_key::result out;
    for (const auto& candidate : op.candidates) {
      out.key = candidate;
      out.rotation = rotate_api_key(c, op.key_id, candidate.key_id, candidate.hash,
                                    op.expires_at, op.overlap_seconds, op.by);
      if (out.rotation.outcome != key_rotation::id_taken)
        break;
    }
    return out;
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
