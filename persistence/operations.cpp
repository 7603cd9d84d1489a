#include "persistence/operations.hpp"

#include <algorithm>

#include <pqxx/pqxx>

#include "messages/failure_codes.hpp"
#include "persistence/clients.hpp"
#include "persistence/database.hpp"
#include "persistence/features.hpp"
#include "persistence/migrations.hpp"
#include "persistence/readiness.hpp"
#include "persistence/run_on.hpp"
#include "persistence/stac_catalogue.hpp"

namespace gp::persistence {

caf::expected<db::migrate::result> execute(db_session& s, const db::migrate&) {
  return run_on<db::migrate::result>(s, [](pqxx::connection& c) {
    // A short wait for another node's migration: the migrator retries, and shutdown never
    // waits long.
    auto report = migrate(c, embedded_migrations(), std::chrono::seconds(5));
    return db::migrate::result{report.version_after, report.applied};
  });
}

caf::expected<db_health> execute(db_session& s, const db::check_readiness&) {
  return run_on<db_health>(s, [](pqxx::connection& c) { return check_readiness(c); });
}

caf::expected<work_backlog> execute(db_session& s, const db::read_backlog&) {
  return run_on<work_backlog>(s, [](pqxx::connection& c) { return read_backlog(c); });
}

caf::expected<client_integration> execute(db_session& s, const db::read_client_integration& op) {
  return run_on<client_integration>(
    s, [&](pqxx::connection& c) { return read_client_integration(c, op.client_id); });
}

caf::expected<db::read_request_events::result> execute(db_session& s,
                                                       const db::read_request_events& op) {
  return run_on<db::read_request_events::result>(s, [&](pqxx::connection& c) {
    return db::read_request_events::result{read_request_events(c, op.request_id)};
  });
}

caf::expected<db::find_key::result> execute(db_session& s, const db::find_key& op) {
  return run_on<db::find_key::result>(s, [&](pqxx::connection& c) {
    return db::find_key::result{find_key_credentials(c, op.key_id)};
  });
}

caf::expected<db::list_clients::result> execute(db_session& s, const db::list_clients&) {
  return run_on<db::list_clients::result>(
    s, [](pqxx::connection& c) { return db::list_clients::result{list_clients(c)}; });
}

caf::expected<db::list_keys::result> execute(db_session& s, const db::list_keys& op) {
  return run_on<db::list_keys::result>(s, [&](pqxx::connection& c) {
    return db::list_keys::result{list_api_keys(c, op.client_id)};
  });
}

caf::expected<db::create_key::result> execute(db_session& s, const db::create_key& op) {
  return run_on<db::create_key::result>(s, [&](pqxx::connection& c) {
    db::create_key::result out;
    auto row = op.row;
    for (const auto& candidate : op.candidates) {
      out.key = candidate;
      row.key_id = candidate.key_id;
      row.key_hash = candidate.hash;
      out.outcome = create_api_key(c, row, op.by, &out.expires_at);
      if (out.outcome != create_key_outcome::id_taken)
        break;
    }
    return out;
  });
}

caf::expected<bool> execute(db_session& s, const db::revoke_key& op) {
  return run_on<bool>(s, [&](pqxx::connection& c) { return revoke_api_key(c, op.key_id, op.by); });
}

caf::expected<db::callback_hosts::result> execute(db_session& s, const db::callback_hosts& op) {
  return run_on<db::callback_hosts::result>(s, [&](pqxx::connection& c) {
    return db::callback_hosts::result{callback_hosts_of(c, op.client_id)};
  });
}

caf::expected<job_submission> execute(db_session& s, const db::create_job& op) {
  return run_on<job_submission>(s, [&](pqxx::connection& c) {
    bool created = create_job(c, op.job, op.plan);  // conflict_error: its request ended
    auto row = find_job(c, op.job.job_id);
    auto status = row ? parse_job_status(row->status) : std::nullopt;
    return job_submission{op.job.job_id, created, status.value_or(job_status::unknown)};
  });
}

caf::expected<db::job_states::result> execute(db_session& s, const db::job_states& op) {
  return run_on<db::job_states::result>(s, [&](pqxx::connection& c) {
    return db::job_states::result{job_states(c, op.job_ids)};
  });
}

caf::expected<bool> execute(db_session& s, const db::cancel_job& op) {
  return run_on<bool>(s, [&](pqxx::connection& c) { return cancel_job(c, op.job_id); });
}

caf::expected<db::find_job::result> execute(db_session& s, const db::find_job& op) {
  return run_on<db::find_job::result>(
    s, [&](pqxx::connection& c) { return db::find_job::result{find_job(c, op.job_id)}; });
}

caf::expected<db::list_jobs::result> execute(db_session& s, const db::list_jobs& op) {
  return run_on<db::list_jobs::result>(s, [&](pqxx::connection& c) {
    return db::list_jobs::result{list_jobs(c, op.status ? std::string{name_of(*op.status)} : std::string{}, op.limit,
                                           op.cursor)};
  });
}

caf::expected<renewal> execute(db_session& s, const db::renew_leases& op) {
  return run_on<renewal>(
    s, [&](pqxx::connection& c) { return renew_leases(c, op.owner, op.claims, op.lease); });
}

caf::expected<db::claim_tasks::result> execute(db_session& s, const db::claim_tasks& op) {
  return run_on<db::claim_tasks::result>(s, [&](pqxx::connection& c) {
    db::claim_tasks::result out;
    out.claimed = claim_tasks(c, op.owner, op.limit, op.lease, op.plan, op.job_types,
                              op.first_jobs, &out.ended);
    return out;
  });
}

caf::expected<std::vector<task_outcome>> execute(db_session& s, const db::complete_tasks& op) {
  return run_on<std::vector<task_outcome>>(
    s, [&](pqxx::connection& c) { return complete_tasks(c, op.done, op.owner, op.plan); });
}

caf::expected<task_outcome> execute(db_session& s, const db::fail_task& op) {
  return run_on<task_outcome>(s, [&](pqxx::connection& c) {
    return fail_task(c, op.task, op.owner, op.permanent, op.code, op.message, op.backoff);
  });
}

caf::expected<bool> execute(db_session& s, const db::release_tasks& op) {
  return run_on<bool>(s, [&](pqxx::connection& c) {
    release_tasks(c, op.owner, op.tasks);
    return true;
  });
}

caf::expected<db::find_request::result> execute(db_session& s, const db::find_request& op) {
  return run_on<db::find_request::result>(s, [&](pqxx::connection& c) {
    return db::find_request::result{find_request(c, op.request_id)};
  });
}

caf::expected<db::insert_request_group::result> execute(db_session& s,
                                                        const db::insert_request_group& op) {
  return run_on<db::insert_request_group::result>(s, [&](pqxx::connection& c) {
    db::insert_request_group::result res{insert_requests(c, op.rows)};
    if (op.after_insert)
      op.after_insert(std::any_of(res.outcomes.begin(), res.outcomes.end(),
                                  [](const auto& o) { return o.created; }));
    return res;
  });
}

caf::expected<db::write_request_state::result> execute(db_session& s,
                                                       const db::write_request_state& op) {
  return run_on<db::write_request_state::result>(s, [&](pqxx::connection& c) {
    auto times = store_request_state(c, op.request_id, op.state_version, op.state);
    return db::write_request_state::result{times.has_value(), times.value_or(stored_times{})};
  });
}

caf::expected<db::find_request::result> execute(db_session& s, const db::fail_request& op) {
  return run_on<db::find_request::result>(s, [&](pqxx::connection& c) {
    auto row = find_request(c, op.request_id);
    if (!row || is_terminal(row->status))
      return db::find_request::result{row};
    request_state st;
    st.status = request_status::failed;
    st.progress_percent = row->progress_percent;
    st.message = op.message;
    st.error_code = op.error_code;
    st.error_message = op.message;
    st.error_retryable = retryable_failure(op.error_code);
    st.snapshot_json = row->snapshot_json;
    save_request_state(c, op.request_id, row->state_version, st);
    return db::find_request::result{find_request(c, op.request_id)};
  });
}

caf::expected<db::change_request::result> execute(db_session& s, const db::change_request& op) {
  return run_on<db::change_request::result>(s, [&](pqxx::connection& c) {
    using out_t = db::change_request::result;
    out_t out;
    auto row = find_request(c, op.request_id);
    if (!row || (!op.client_id.empty() && row->client_id != op.client_id))
      return out;
    auto change = op.kind == db::change_request::cancel ? cancel_request(c, op.request_id)
                                                        : retry_request(c, op.request_id);
    out.kind = change.changed ? out_t::changed : out_t::refused;
    out.row = change.row ? change.row : row;
    return out;
  });
}

caf::expected<db::live_requests::result> execute(db_session& s, const db::live_requests& op) {
  return run_on<db::live_requests::result>(s, [&](pqxx::connection& c) {
    db::live_requests::result out;
    out.rows = live_requests(c, op.limit, op.after);
    if (static_cast<int>(out.rows.size()) < op.limit)
      out.averages = completion_averages(c);
    return out;
  });
}

caf::expected<db::list_requests::result> execute(db_session& s, const db::list_requests& op) {
  return run_on<db::list_requests::result>(s, [&](pqxx::connection& c) {
    return db::list_requests::result{
      list_requests(c, op.client_id, op.status, op.dataset_id, op.limit, op.cursor)};
  });
}

caf::expected<db::gather_outputs::result> execute(db_session& s, const db::gather_outputs& op) {
  return run_on<db::gather_outputs::result>(s, [&](pqxx::connection& c) {
    return db::gather_outputs::result{gather_outputs(c, op.request_id)};
  });
}

caf::expected<int> execute(db_session& s, const db::refresh_progress& op) {
  return run_on<int>(s, [&](pqxx::connection& c) {
    return refresh_progress(c, op.request_id, op.job_id, op.step, op.steps);
  });
}

caf::expected<db::find_request_outputs::result> execute(db_session& s,
                                                        const db::find_request_outputs& op) {
  return run_on<db::find_request_outputs::result>(s, [&](pqxx::connection& c) {
    return db::find_request_outputs::result{find_request_outputs(c, op.request_id)};
  });
}

caf::expected<db::list_layers::result> execute(db_session& s, const db::list_layers& op) {
  return run_on<db::list_layers::result>(s, [&](pqxx::connection& c) {
    return db::list_layers::result{list_vector_layers(c, op.client_id)};
  });
}

caf::expected<db::find_layer::result> execute(db_session& s, const db::find_layer& op) {
  return run_on<db::find_layer::result>(s, [&](pqxx::connection& c) {
    return db::find_layer::result{find_vector_layer(c, op.table_name, op.client_id)};
  });
}

caf::expected<db::read_items::result> execute(db_session& s, const db::read_items& op) {
  return run_on<db::read_items::result>(s, [&](pqxx::connection& c) {
    db::read_items::result out;
    out.layer = find_vector_layer(c, op.table_name, op.client_id);
    if (out.layer)
      out.page = read_items(c, *out.layer, op.selection);
    return out;
  });
}

caf::expected<db::read_item::result> execute(db_session& s, const db::read_item& op) {
  return run_on<db::read_item::result>(s, [&](pqxx::connection& c) {
    db::read_item::result out;
    out.layer = find_vector_layer(c, op.table_name, op.client_id);
    if (out.layer)
      out.feature = read_item(c, *out.layer, op.fid);
    return out;
  });
}

caf::expected<db::stac_catalogue_version::result> execute(db_session& s,
                                                          const db::stac_catalogue_version&) {
  return run_on<db::stac_catalogue_version::result>(s, [](pqxx::connection& c) {
    return db::stac_catalogue_version::result{catalogue_version(c)};
  });
}

caf::expected<db::list_stac_collections::result> execute(db_session& s,
                                                         const db::list_stac_collections& op) {
  return run_on<db::list_stac_collections::result>(s, [&](pqxx::connection& c) {
    return db::list_stac_collections::result{list_stac_collections(c, op.client_id)};
  });
}

caf::expected<db::find_stac_collection::result> execute(db_session& s,
                                                        const db::find_stac_collection& op) {
  return run_on<db::find_stac_collection::result>(s, [&](pqxx::connection& c) {
    return db::find_stac_collection::result{
      find_stac_collection(c, op.client_id, op.collection_id)};
  });
}

caf::expected<db::find_stac_item::result> execute(db_session& s, const db::find_stac_item& op) {
  return run_on<db::find_stac_item::result>(s, [&](pqxx::connection& c) {
    return db::find_stac_item::result{
      find_stac_item(c, op.client_id, op.collection_id, op.item_id)};
  });
}

caf::expected<db::search_stac::result> execute(db_session& s, const db::search_stac& op) {
  return run_on<db::search_stac::result>(s, [&](pqxx::connection& c) {
    db::search_stac::result out;
    std::optional<catalogue_collection_row> collection;
    if (op.collection_must_exist && op.search.collections.size() == 1) {
      collection = find_stac_collection(c, op.client_id, op.search.collections[0]);
      if (!collection) {
        out.collection_found = false;
        return out;
      }
    }
    try {
      out.page = search_stac(c, op.client_id, op.search);
    } catch (const std::invalid_argument& e) {
      out.refused = e.what();
    }
    // A collection's items unfiltered: their number is the collection's, kept by every write.
    const auto& s = op.search;
    if (collection && s.ids.empty() && !s.bbox && s.intersects_geojson.empty() && !s.datetime &&
        !s.filter)
      out.page.matched = collection->item_count;
    return out;
  });
}

}  // namespace gp::persistence
