#pragma once
// The HTTP edge's route table: every route the node serves, with who may call it, whether it takes
// a JSON body, the budget its calls count against and what its answers add to usage. The edge
// dispatches from it, the metrics label calls by its templates and /openapi.json is generated
// from it (actors/openapi.cpp), so a route added here is served, counted and documented at once.
#include <iterator>

#include "io/http/access.hpp"
#include "io/rate_limit.hpp"

namespace gp {

/// What a route's answers add to its client's usage.
enum class metered { none, submit, stac_search, download };

/// Route ids, table rows and look-ups (their own namespace: the ids are short common words).
namespace routing {

using access = io::http::route_access;

enum route : int {
  livez,
  readyz,
  whoami,
  health,
  admin_clients,
  admin_keys,
  admin_create_key,
  admin_revoke_key,
  job_submit,
  job_list,
  job_get,
  job_cancel,
  platform_submit,
  platform_status,
  platform_list,
  platform_cancel,
  platform_retry,
  features_landing,
  features_conformance,
  features_collections,
  features_collection,
  features_items,
  features_item,
  data_download,
  data_file,
  data_mosaic,
  stac_landing,
  stac_conformance,
  stac_queryables,
  stac_collections,
  stac_collection,
  stac_schema,
  stac_items,
  stac_item,
  stac_search_get,
  stac_search_post,
  request_webhooks,
  webhook_get,
  webhook_test,
  admin_webhooks,
  admin_redeliver,
  admin_rotate_secret,
  admin_create_client,
  admin_get_client,
  admin_patch_client,
  admin_rotate_key,
  admin_audit,
  admin_usage,
  platform_health,
  metrics,
  openapi,
};

/// One row of the route table: method, path pattern, id, who may call, whether it takes a body,
/// the budget its calls count against, and what its answers add to the caller's usage.
struct route_def {
  const char* method;
  const char* pattern;
  route id;
  access who;
  bool json_body;
  io::rate_class budget = io::rate_class::none;
  metered usage = metered::none;
};

// One route a line, however long.
// clang-format off
inline constexpr route_def route_table[] = {
  {"GET", "/livez", livez, access::open, false},
  {"GET", "/readyz", readyz, access::open, false},
  {"GET", "/platform/whoami", whoami, access::any_key, false},
  {"GET", "/health", health, access::any_key, false},
  {"GET", "/admin/clients", admin_clients, access::admin, false},
  {"GET", "/admin/keys", admin_keys, access::admin, false},
  {"POST", "/admin/keys", admin_create_key, access::admin, true},
  {"DELETE", "/admin/keys/{key_id}", admin_revoke_key, access::admin, false},
  {"POST", "/jobs/submit/{job_type}", job_submit, access::admin, true},
  {"GET", "/jobs", job_list, access::admin, false},
  {"GET", "/jobs/{job_id}", job_get, access::admin, false},
  {"DELETE", "/jobs/{job_id}", job_cancel, access::admin, false},
  {"POST", "/platform/submit", platform_submit, access::platform, true, io::rate_class::submit, metered::submit},
  {"GET", "/platform/status/{request_id}", platform_status, access::platform, false, io::rate_class::read},
  {"GET", "/platform/requests", platform_list, access::platform, false, io::rate_class::read},
  {"DELETE", "/platform/requests/{request_id}", platform_cancel, access::platform, false, io::rate_class::read},
  {"POST", "/platform/requests/{request_id}/retry", platform_retry, access::platform, false, io::rate_class::submit},
  {"GET", "/features", features_landing, access::any_key, false, io::rate_class::read},
  {"GET", "/features/conformance", features_conformance, access::any_key, false, io::rate_class::read},
  {"GET", "/features/collections", features_collections, access::any_key, false, io::rate_class::read},
  {"GET", "/features/collections/{cid}", features_collection, access::any_key, false, io::rate_class::read},
  {"GET", "/features/collections/{cid}/items", features_items, access::any_key, false, io::rate_class::read},
  {"GET", "/features/collections/{cid}/items/{fid}", features_item, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/data/{request_id}/download", data_download, access::any_key, false, io::rate_class::read, metered::download},
  {"GET", "/platform/data/{request_id}/files/{name}", data_file, access::any_key, false, io::rate_class::read, metered::download},
  {"GET", "/platform/data/{request_id}/mosaic.json", data_mosaic, access::any_key, false, io::rate_class::read, metered::download},
  {"GET", "/platform/stac", stac_landing, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/conformance", stac_conformance, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/queryables", stac_queryables, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/collections", stac_collections, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/collections/{cid}", stac_collection, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/collections/{cid}/queryables", stac_schema, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/collections/{cid}/items", stac_items, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/collections/{cid}/items/{iid}", stac_item, access::any_key, false, io::rate_class::read},
  {"GET", "/platform/stac/search", stac_search_get, access::any_key, false, io::rate_class::read, metered::stac_search},
  {"POST", "/platform/stac/search", stac_search_post, access::any_key, true, io::rate_class::read, metered::stac_search},
  {"GET", "/platform/requests/{request_id}/webhooks", request_webhooks, access::platform, false, io::rate_class::read},
  {"GET", "/platform/webhooks/{delivery_id}", webhook_get, access::platform, false, io::rate_class::read},
  {"POST", "/platform/webhooks/test", webhook_test, access::platform, true, io::rate_class::read},
  {"GET", "/admin/webhooks", admin_webhooks, access::admin, false},
  {"POST", "/admin/webhooks/{delivery_id}/redeliver", admin_redeliver, access::admin, false},
  {"POST", "/admin/clients/{client_id}/rotate-secret", admin_rotate_secret, access::admin, false},
  {"POST", "/admin/clients", admin_create_client, access::admin, true},
  {"GET", "/admin/clients/{client_id}", admin_get_client, access::admin, false},
  {"PATCH", "/admin/clients/{client_id}", admin_patch_client, access::admin, true},
  {"POST", "/admin/keys/{key_id}/rotate", admin_rotate_key, access::admin, false},
  {"GET", "/admin/audit", admin_audit, access::admin, false},
  {"GET", "/admin/usage", admin_usage, access::admin, false},
  {"GET", "/platform/health", platform_health, access::any_key, false},
  {"GET", "/metrics", metrics, access::admin, false},
  {"GET", "/openapi.json", openapi, access::open, false},
};
// clang-format on

/// Number of routes (ids run from 0 to route_count - 1).
inline constexpr int route_count = static_cast<int>(std::size(route_table));

/// Whether every row sits at the index of its id (the metrics use ids as indexes).
constexpr bool rows_in_id_order() {
  for (int i = 0; i < route_count; ++i)
    if (route_table[i].id != i)
      return false;
  return true;
}
static_assert(rows_in_id_order(), "route_table rows must be in the order of their ids");

/// The row of route `id`.
constexpr const route_def& definition(int id) {
  for (const auto& r : route_table)
    if (r.id == id)
      return r;
  return route_table[0];
}

}  // namespace routing

}  // namespace gp
