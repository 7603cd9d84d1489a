#include "persistence/webhook_operations.hpp"

#include <pqxx/pqxx>

#include "persistence/clients.hpp"
#include "persistence/database.hpp"
#include "persistence/run_on.hpp"

namespace gp::persistence {

caf::expected<db::claim_deliveries::result> execute(db_session& s,
                                                    const db::claim_deliveries& op) {
  return run_on<db::claim_deliveries::result>(s, [&](pqxx::connection& c) {
    db::claim_deliveries::result r;
    r.deliveries =
      claim_deliveries(c, op.node, op.limit, op.per_host, op.lease_ms, op.busy_hosts,
                       op.busy_clients, op.per_client, op.client_rooms, op.due_from_us,
                       &r.oldest_due_us);
    return r;
  });
}

caf::expected<int> execute(db_session& s, const db::record_deliveries& op) {
  return run_on<int>(s, [&](pqxx::connection& c) { return record_outcomes(c, op.node, op.outcomes); });
}

caf::expected<int> execute(db_session& s, const db::release_deliveries& op) {
  return run_on<int>(s, [&](pqxx::connection& c) {
    record_outcomes(c, op.node, op.outcomes);
    return release_claims(c, op.node);
  });
}

caf::expected<db::list_deliveries::result> execute(db_session& s, const db::list_deliveries& op) {
  return run_on<db::list_deliveries::result>(s, [&](pqxx::connection& c) {
    return db::list_deliveries::result{list_deliveries(c, op.filter)};
  });
}

caf::expected<db::find_delivery::result> execute(db_session& s, const db::find_delivery& op) {
  return run_on<db::find_delivery::result>(s, [&](pqxx::connection& c) {
    return db::find_delivery::result{find_delivery(c, op.delivery_id, op.client_id)};
  });
}

caf::expected<db::redeliver::result> execute(db_session& s, const db::redeliver& op) {
  return run_on<db::redeliver::result>(
    s, [&](pqxx::connection& c) { return db::redeliver::result{redeliver(c, op.delivery_id, op.by)}; });
}

caf::expected<db::insert_ping::result> execute(db_session& s, const db::insert_ping& op) {
  return run_on<db::insert_ping::result>(s, [&](pqxx::connection& c) {
    return db::insert_ping::result{insert_ping(c, op.client_id, op.url, op.payload_json)};
  });
}

caf::expected<db::rotate_secret::result> execute(db_session& s, const db::rotate_secret& op) {
  return run_on<db::rotate_secret::result>(s, [&](pqxx::connection& c) {
    return db::rotate_secret::result{
      rotate_webhook_secret(c, op.client_id, op.new_secret, op.grace_seconds, op.by)};
  });
}

}  // namespace gp::persistence
