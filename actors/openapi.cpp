// GET /openapi.json: the OpenAPI 3.1 document, generated from the route table (paths, methods,
// path parameters, who may call, request bodies, rate-limit budgets) and the documentation below
// (summaries, query parameters, answers), with the schemas of actors/openapi_schemas.cpp. A route
// added to the table appears here at once; one without documentation below appears bare, and
// tests/unit/openapi_test.cpp fails until it is documented.
#include "actors/openapi.hpp"

#include <string_view>
#include <vector>

#include "actors/openapi_components.hpp"
#include "actors/route_table.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using openapi_parts::answer;
using openapi_parts::route_doc;
using routing::access;

/// The start of a route's documentation: its id and operationId, tag and summary.
route_doc doc(routing::route id, const char* operation_id, const char* tag, const char* summary) {
  return route_doc{id, operation_id, tag, summary};
}

// The route's enum name is its operationId.
#define GP_ROUTE(id) routing::id, #id

/// Every route's documentation, by route id (the order is the reader's, not the table's).
const std::vector<route_doc>& route_docs() {
  static const answer unavailable{
    503,
    "the database did not answer in time (unavailable), or its schema is not ready (not_ready)"};
  static const answer bad_query{400, "a query parameter is wrong (validation_error naming it)"};
  static const answer no_request{404, "no such request for the caller's client"};
  static const answer no_collection{404, "no such collection for the caller's client"};
  static const answer not_completed{
    409, "the request has not completed (not_ready, with request_status)"};
  static const char* const gpkg = "application/geopackage+sqlite3";
  static const char* const cog = "image/tiff; application=geotiff; profile=cloud-optimized";
  static const char* const geojson = "application/geo+json";
  static const char* const json_schema = "application/schema+json";
  static const std::vector<const char*> file_parameters = {"Range", "IfNoneMatch", "IfRange"};
  static const std::vector<const char*> file_headers = {"ETag", "Last-Modified", "Accept-Ranges",
                                                        "Cache-Control"};
  static const std::vector<answer> file_answers = {
    {206, "one byte range of the file", nullptr, {"Content-Range", "ETag", "Last-Modified"}, true},
    {304, "If-None-Match matched: no body", nullptr, {"ETag", "Last-Modified"}},
    {404, "no such request for the caller's client (a malformed id included), or no such file"},
    not_completed,
    {416, "no range is satisfiable (range_not_satisfiable)", nullptr, {"Content-Range"}},
    unavailable};
  static const std::vector<const char*> search_parameters = {
    "StacBbox",        "StacIntersects", "StacDatetime", "StacIds",
    "StacCollections", "StacLimit",      "StacSortby",   "StacFilter",
    "StacFilterLang",  "StacFilterCrs",  "StacToken",    "FormatGeoJson"};
  static const std::vector<route_doc> docs = {
    // Probes, identity, health and the service's own descriptions.
    doc(GP_ROUTE(livez), "probes", "Liveness")
      .about("Answers while the process serves HTTP; never touches the database.")
      .ok(200, "Liveness"),
    doc(GP_ROUTE(readyz), "probes", "Readiness")
      .about("Ready when the database answers, PostGIS is installed and the schema is at this "
             "binary's version.")
      .ok(200, "Readiness")
      .also({{503, "not ready (not_ready, with checks.database), or shutting down"}}),
    doc(GP_ROUTE(whoami), "platform", "The caller's identity")
      .about("A cheap authenticated call.")
      .ok(200, "Whoami"),
    doc(GP_ROUTE(health), "observability", "The node's health by component")
      .about("The database, the long-lived actors, the job queue, the webhook outbox and the "
             "storage roots. Needs no key when auth.health_requires_key is false.")
      .ok(200, "Health")
      .also({{503, "unhealthy: the database cannot be used (the same body)", "Health"}}),
    doc(GP_ROUTE(platform_health), "observability", "The platform service's health for DDH")
      .about("Request counts and averages, webhook success and the caller's integration. Needs "
             "no key when auth.health_requires_key is false.")
      .ok(200, "PlatformHealth")
      .also({{503, "the database cannot be asked (the same body)", "PlatformHealth"}}),
    doc(GP_ROUTE(metrics), "observability", "Prometheus metrics")
      .about("Calls by route and status, latencies, requests by state, queue depth, webhook "
             "attempts.")
      .ok(200, "Metrics", {"text/plain; version=0.0.4"}),
    doc(GP_ROUTE(openapi), "observability", "This OpenAPI document")
      .about("Generated from the route table, so every route served is in it.")
      .ok(200, "OpenApiDocument",
          {"application/vnd.oai.openapi+json;version=3.1", "application/json"}),

    // Administration: clients, keys, the audit trail and usage.
    doc(GP_ROUTE(admin_clients), "admin", "List the clients")
      .about("Ordered by client_id; never a webhook secret.")
      .ok(200, "ClientList")
      .also({unavailable}),
    doc(GP_ROUTE(admin_create_client), "admin", "Create a client")
      .about("The answer carries its webhook secret, shown only here.")
      .ok(201, "ClientCreated")
      .sends({"Location"})
      .takes("ClientCreate")
      .also({{409, "the client id is taken (conflict)"}, unavailable}),
    doc(GP_ROUTE(admin_get_client), "admin", "A client")
      .about("Never its webhook secret.")
      .ok(200, "Client")
      .also({{404, "no such client"}, unavailable}),
    doc(GP_ROUTE(admin_patch_client), "admin", "Change a client")
      .about("A deactivated client's keys are refused.")
      .ok(200, "Client")
      .takes("ClientPatch")
      .also({{404, "no such client"}, unavailable}),
    doc(GP_ROUTE(admin_rotate_secret), "admin", "Rotate a client's webhook secret")
      .about("The new secret is shown only here; the previous one keeps signing beside it for "
             "the grace period.")
      .ok(200, "SecretRotation")
      .also({{404, "no such client"}, unavailable}),
    doc(GP_ROUTE(admin_keys), "admin", "List the API keys")
      .about("Newest first; never a key or its hash.")
      .ok(200, "KeyList")
      .query({"KeysClient", "KeysClientId"})
      .also({unavailable}),
    doc(GP_ROUTE(admin_create_key), "admin", "Create an API key")
      .about("The key is shown only in this answer.")
      .ok(201, "NewKey")
      .takes("KeyCreate")
      .also({unavailable}),
    doc(GP_ROUTE(admin_rotate_key), "admin", "Rotate an API key")
      .about("A new key with the old one's client, level and endpoints; the old key works until "
             "the overlap ends.")
      .ok(201, "RotatedKey")
      .takes("KeyRotate")
      .also({{404, "no such key"},
             {409, "the key is revoked, expired or already rotated (conflict)"},
             unavailable}),
    doc(GP_ROUTE(admin_revoke_key), "admin", "Revoke an API key")
      .about("Refused on this node from its next call on, on others within the auth cache life.")
      .ok(200, "KeyRevoked")
      .also({{404, "no active key with this id"}, unavailable}),
    doc(GP_ROUTE(admin_audit), "admin", "The audit trail")
      .about("Newest first, paged by next_cursor.")
      .ok(200, "AuditList")
      .query({"AuditTarget", "Limit", "AuditCursor"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(admin_usage), "admin", "Usage per client and period")
      .about("Includes this node's calls up to now; other nodes' within their flush interval.")
      .ok(200, "UsageReport")
      .query({"UsageClient", "UsageFrom", "UsageTo", "Granularity"})
      .also({bad_query, unavailable}),

    // CoreMachine jobs.
    doc(GP_ROUTE(job_submit), "jobs", "Submit a CoreMachine job")
      .about("The body is the job type's parameters; the same type and parameters always name "
             "the same job.")
      .ok(202, "JobSubmission")
      .sends({"Location"})
      .takes("JobParameters")
      .also({{200, "the job already existed (whatever its status)", nullptr, {"Location"}, true},
             {400, "an unknown job type or wrong parameters (validation_error)"},
             unavailable}),
    doc(GP_ROUTE(job_list), "jobs", "List the jobs")
      .about("Newest first, paged by next_cursor.")
      .ok(200, "JobList")
      .query({"JobStatusFilter", "Limit", "JobCursor"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(job_get), "jobs", "A job")
      .ok(200, "Job")
      .also({{404, "no job with this id"}, unavailable}),
    doc(GP_ROUTE(job_cancel), "jobs", "Cancel a job")
      .about("Its waiting tasks are cancelled, running ones asked to stop.")
      .ok(200, "Job")
      .also({{404, "no job with this id"}, {409, "the job already ended (conflict)"}, unavailable}),

    // Platform requests and their outputs.
    doc(GP_ROUTE(platform_submit), "platform", "Submit a dataset version")
      .about("Durable before the answer; processing, cataloguing and the webhook follow.")
      .ok(202, "SubmitAnswer")
      .sends({"Location", "Retry-After"})
      .takes("SubmitRequest")
      .also({{200,
              "the same identity and payload was submitted before: the request as it is now",
              nullptr,
              {"Location", "Retry-After"},
              true},
             {400,
              "fields are wrong (validation_error), or the source does not exist "
              "(source_not_found)"},
             {409, "the same identity with another payload (conflict, with existing_request_id)"},
             unavailable}),
    doc(GP_ROUTE(platform_status), "platform", "A request's status")
      .about("Retry-After is sent while the request has not ended; detail=full adds events, the "
             "request's history.")
      .query({"StatusDetail"})
      .ok(200, "RequestStatus")
      .sends({"Retry-After"})
      .also({bad_query, no_request, unavailable}),
    doc(GP_ROUTE(platform_list), "platform", "List requests")
      .about("Newest first, paged by next_cursor.")
      .ok(200, "RequestList")
      .query({"RequestStatusFilter", "DatasetFilter", "Limit", "RequestCursor", "RequestsClient"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(platform_cancel), "platform", "Cancel a request")
      .about("A pending or processing request becomes cancelled; its running tasks are asked to "
             "stop.")
      .ok(200, "RequestStatus")
      .also({no_request, {409, "the request already ended (conflict)"}, unavailable}),
    doc(GP_ROUTE(platform_retry), "platform", "Retry a failed request")
      .about("Its failed jobs are reset in place and it continues from the failed step. No body "
             "is needed.")
      .ok(202, "RequestStatus")
      .sends({"Retry-After"})
      .also({no_request, {409, "the request has not failed (conflict)"}, unavailable}),
    doc(GP_ROUTE(data_download), "data", "Download a request's output")
      .about("A completed vector request's GeoPackage or raster request's COG, with byte ranges "
             "and validators, so GDAL reads a COG in place through /vsicurl/.")
      .ok(200, nullptr, {gpkg, cog})
      .sends({"ETag", "Last-Modified", "Accept-Ranges", "Cache-Control", "Content-Disposition"})
      .query(file_parameters)
      .also(file_answers),
    doc(GP_ROUTE(data_file), "data", "One file of a request's outputs")
      .about("A file listed in the request's outputs, such as one COG of a collection.")
      .ok(200, nullptr, {cog, gpkg, "application/json", "application/octet-stream"})
      .sends(file_headers)
      .query(file_parameters)
      .also(file_answers),
    doc(GP_ROUTE(data_mosaic), "data", "A collection request's MosaicJSON")
      .about("Every file name is replaced by the absolute URL of the file.")
      .ok(200, "MosaicJson")
      .also({{404, "no such request for the caller's client, or it has no mosaic"},
             not_completed,
             unavailable}),

    // OGC API - Features.
    doc(GP_ROUTE(features_landing), "features", "OGC API - Features landing page")
      .ok(200, "FeaturesLanding")
      .query({"FormatJson"})
      .also({bad_query}),
    doc(GP_ROUTE(features_conformance), "features", "OGC API - Features conformance classes")
      .ok(200, "Conformance")
      .query({"FormatJson"})
      .also({bad_query}),
    doc(GP_ROUTE(features_collections), "features", "The feature collections")
      .about("One per loaded vector layer of the caller's client (every client's for an admin "
             "key).")
      .ok(200, "FeaturesCollections")
      .query({"FormatJson"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(features_collection), "features", "A feature collection")
      .ok(200, "FeaturesCollection")
      .query({"FormatJson"})
      .also({bad_query, no_collection, unavailable}),
    doc(GP_ROUTE(features_items), "features", "A page of a collection's features")
      .about("Ordered by fid, with next and prev links; numberMatched is exact. Any other "
             "parameter is refused.")
      .ok(200, "FeatureCollection", {geojson})
      .query({"FeaturesBbox", "FeaturesLimit", "FeaturesOffset", "FormatGeoJson"})
      .also({bad_query, no_collection, unavailable}),
    doc(GP_ROUTE(features_item), "features", "A feature")
      .ok(200, "Feature", {geojson})
      .query({"FormatGeoJson"})
      .also({bad_query, {404, "no such collection, or no such feature in it"}, unavailable}),

    // The STAC API.
    doc(GP_ROUTE(stac_landing), "stac", "STAC API landing page")
      .about("A Catalog with conformsTo and links to the conformance classes, collections, "
             "search and queryables.")
      .ok(200, "StacCatalog")
      .query({"FormatJson"})
      .also({bad_query}),
    doc(GP_ROUTE(stac_conformance), "stac", "STAC API conformance classes")
      .ok(200, "Conformance")
      .query({"FormatJson"})
      .also({bad_query}),
    doc(GP_ROUTE(stac_queryables), "stac", "The queryables of every collection")
      .about("The properties a filter may name, as JSON Schema.")
      .ok(200, "Queryables", {json_schema})
      .query({"FormatJson"})
      .also({bad_query}),
    doc(GP_ROUTE(stac_collections), "stac", "The STAC collections")
      .about("The caller's client's collections (every client's for an admin key), with current "
             "extents.")
      .ok(200, "StacCollections")
      .query({"FormatJson"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(stac_collection), "stac", "A STAC collection")
      .ok(200, "StacCollection")
      .query({"FormatJson"})
      .also({bad_query, no_collection, unavailable}),
    doc(GP_ROUTE(stac_schema), "stac", "The queryables of a collection")
      .ok(200, "Queryables", {json_schema})
      .query({"FormatJson"})
      .also({bad_query, no_collection, unavailable}),
    doc(GP_ROUTE(stac_items), "stac", "A page of a collection's items")
      .about("Newest first by default, paged by tokens in next and prev links.")
      .ok(200, "ItemCollection", {geojson})
      .query({"StacBbox", "StacDatetime", "StacLimit", "StacSortby", "StacFilter", "StacFilterLang",
              "StacFilterCrs", "StacToken", "FormatGeoJson"})
      .also({bad_query, no_collection, unavailable}),
    doc(GP_ROUTE(stac_item), "stac", "A STAC item")
      .ok(200, "StacItem", {geojson})
      .query({"FormatJson"})
      .also({bad_query, {404, "no such item in a collection of the caller's client"}, unavailable}),
    doc(GP_ROUTE(stac_search_get), "stac", "Search the items")
      .about("Over the caller's client's collections (every client's for an admin key); the "
             "filter extension in CQL2 text or JSON.")
      .ok(200, "ItemCollection", {geojson})
      .query(search_parameters)
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(stac_search_post), "stac", "Search the items (POST)")
      .about("As the GET search, with the parameters as members of a JSON body; next and prev "
             "links carry method, body and merge.")
      .ok(200, "ItemCollection", {geojson})
      .takes("SearchBody")
      .also({unavailable}),

    // Webhook deliveries.
    doc(GP_ROUTE(request_webhooks), "webhooks", "A request's webhook deliveries")
      .about("Newest first.")
      .ok(200, "DeliveryList")
      .query({"DeliveryStatusFilter", "Limit", "DeliveryCursor"})
      .also({bad_query, no_request, unavailable}),
    doc(GP_ROUTE(webhook_get), "webhooks", "A webhook delivery")
      .ok(200, "WebhookDelivery")
      .also({{404, "no such delivery for the caller's client"}, unavailable}),
    doc(GP_ROUTE(webhook_test), "webhooks", "Send a test ping")
      .about("Queues a signed platform.ping to a URL on the client's allowlist; its outcome is "
             "read at Location.")
      .ok(202, "DeliveryQueued")
      .sends({"Location"})
      .takes("WebhookTest")
      .also({unavailable}),
    doc(GP_ROUTE(admin_webhooks), "webhooks", "List every client's webhook deliveries")
      .about("Newest first.")
      .ok(200, "DeliveryList")
      .query({"DeliveryStatusFilter", "DeliveriesRequest", "DeliveriesClient", "Limit",
              "DeliveryCursor"})
      .also({bad_query, unavailable}),
    doc(GP_ROUTE(admin_redeliver), "webhooks", "Deliver again")
      .about("Due at once with a fresh schedule, under the same webhook-id.")
      .ok(202, "DeliveryQueued")
      .also({{404, "no such delivery"}, {409, "an attempt is in flight (conflict)"}, unavailable}),
  };
  return docs;
}

#undef GP_ROUTE

/// The documentation of route `id`; null when it has none (the unit test fails for it).
const route_doc* doc_of(routing::route id) {
  for (const auto& d : route_docs())
    if (d.id == id)
      return &d;
  return nullptr;
}

/// A reference to components.<where>.<name>.
json ref(const std::string& where, const std::string& name) {
  return {{"$ref", "#/components/" + where + "/" + name}};
}

/// Response headers: the correlation id and `names`.
json headers_of(const std::vector<const char*>& names) {
  json out = {{"X-Correlation-Id", ref("headers", "X-Correlation-Id")}};
  for (const char* h : names)
    out[h] = ref("headers", h);
  return out;
}

/// The body of an answer: `schema` in each of `media` (application/json when empty). A file (no
/// schema) is described by its media types; a JSON file may be any JSON document.
json content_of(const char* schema, const std::vector<const char*>& media) {
  json out = json::object();
  if (media.empty()) {
    out["application/json"] = {{"schema", ref("schemas", schema)}};
    return out;
  }
  for (const char* m : media) {
    if (schema != nullptr)
      out[m] = {{"schema", ref("schemas", schema)}};
    else if (std::string_view{m} == "application/json")
      out[m] = {{"schema", {{"description", "the file as stored"}}}};
    else
      out[m] = json::object();
  }
  return out;
}

/// A problem+json answer.
json problem_answer(const std::string& description, const std::vector<const char*>& headers) {
  return {{"description", description},
          {"headers", headers_of(headers)},
          {"content", {{"application/problem+json", {{"schema", ref("schemas", "Problem")}}}}}};
}

/// The route table's access class, as the x-access extension shows it.
const char* access_word(access who) {
  switch (who) {
    case access::open: return "open";
    case access::any_key: return "any_key";
    case access::platform: return "platform";
    case access::admin: return "admin";
  }
  return "admin";
}

/// Who may call, for the operation's description.
const char* access_sentence(access who) {
  switch (who) {
    case access::open: return "No key is needed.";
    case access::any_key: return "Any key level (internal, trusted, admin).";
    case access::platform: return "An internal key (its own client's requests) or an admin key.";
    case access::admin: return "An admin key.";
  }
  return "";
}

/// What an answer adds to the client's usage, for the operation's description.
const char* usage_sentence(metered usage) {
  switch (usage) {
    case metered::submit: return " Counted in the client's usage as a submission.";
    case metered::stac_search: return " Counted in the client's usage as a STAC search.";
    case metered::download: return " Counted in the client's usage as a download, with its bytes.";
    case metered::none: return "";
  }
  return "";
}

/// The operation of one row of the route table: what the row says (security, body, budget,
/// path parameters) and what `doc` adds (summary, parameters, answers).
json operation(const routing::route_def& row, const route_doc* doc) {
  json op;
  op["operationId"] =
    doc != nullptr ? std::string{doc->operation_id} : std::string{row.method} + " " + row.pattern;
  auto text = std::string{doc != nullptr && doc->description ? doc->description : ""};
  text += (text.empty() ? "" : " ") + std::string{access_sentence(row.who)};
  if (row.budget != io::rate_class::none)
    text += std::string{" Spends the client's "} + io::name_of(row.budget) + " budget.";
  text += usage_sentence(row.usage);
  op["description"] = text;
  op["x-access"] = access_word(row.who);
  if (row.budget != io::rate_class::none)
    op["x-rate-class"] = io::name_of(row.budget);
  op["security"] = row.who == access::open
                     ? json::array()
                     : json::array({{{"apiKey", json::array()}}, {{"bearer", json::array()}}});

  auto parameters = openapi_parts::path_parameters(row.pattern);
  if (doc != nullptr)
    for (const char* p : doc->parameters)
      parameters.push_back(ref("parameters", p));
  parameters.push_back(ref("parameters", "CorrelationId"));
  op["parameters"] = parameters;

  const char* request = doc != nullptr ? doc->request : nullptr;
  if (row.json_body || request != nullptr)
    op["requestBody"] = {
      {"required", row.json_body},
      {"content",
       {{"application/json",
         {{"schema", request != nullptr ? ref("schemas", request) : json{{"type", "object"}}}}}}}};

  json responses = json::object();
  if (doc != nullptr) {
    op["summary"] = doc->summary;
    op["tags"] = json::array({doc->tag});
    responses[std::to_string(doc->status)] = {{"description", doc->summary},
                                              {"headers", headers_of(doc->headers)},
                                              {"content", content_of(doc->schema, doc->media)}};
    for (const auto& a : doc->answers) {
      json r;
      if (a.like_success)
        r = {{"description", a.description},
             {"headers", headers_of(a.headers)},
             {"content", content_of(doc->schema, doc->media)}};
      else if (a.schema != nullptr)
        r = {{"description", a.description},
             {"headers", headers_of(a.headers)},
             {"content", content_of(a.schema, {})}};
      else if (a.status == 304)
        r = {{"description", a.description}, {"headers", headers_of(a.headers)}};
      else
        r = problem_answer(a.description, a.headers);
      responses[std::to_string(a.status)] = r;
    }
  }
  // What the route table implies: keys, bodies and budgets.
  if (row.who != access::open) {
    responses["401"] = ref("responses", "Unauthorized");
    responses["403"] = ref("responses", "Forbidden");
  }
  if (op.contains("requestBody")) {
    if (!responses.contains("400"))
      responses["400"] = ref("responses", "BadBody");
    responses["413"] = ref("responses", "PayloadTooLarge");
    responses["415"] = ref("responses", "UnsupportedMediaType");
  }
  if (row.budget != io::rate_class::none)
    responses["429"] = problem_answer(
      std::string{"the client's "} + io::name_of(row.budget) + " budget is spent (rate_limited)",
      {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"});
  responses["default"] = ref("responses", "Problem");
  op["responses"] = responses;
  return op;
}

/// "GET" as OpenAPI names its operations: "get".
std::string lower(const char* method) {
  std::string out = method;
  for (auto& c : out)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

/// The whole document.
json build(const std::string& version) {
  json doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {
    {"title", "geoplatform"},
    {"version", version},
    {"summary", "Publishes geospatial datasets for a data hub: submit, process, catalogue, serve."},
    {"description",
     "Keys go in X-Platform-API-Key or Authorization: Bearer. Every GET route also answers HEAD "
     "(same status and headers, no body). Errors are RFC 9457 problem+json with a code. Every "
     "answer carries X-Correlation-Id. URLs in bodies are absolute, built from the configured "
     "public base URL."}};
  doc["tags"] = openapi_parts::tags();
  doc["security"] = json::array({{{"apiKey", json::array()}}, {{"bearer", json::array()}}});

  json paths = json::object();
  for (const auto& row : routing::route_table)
    paths[row.pattern][lower(row.method)] = operation(row, doc_of(row.id));
  doc["paths"] = paths;

  doc["components"] = {{"schemas", openapi_parts::schemas()},
                       {"parameters", openapi_parts::parameters()},
                       {"headers", openapi_parts::headers()},
                       {"responses", openapi_parts::responses()},
                       {"securitySchemes", openapi_parts::security_schemes()}};
  return doc;
}

}  // namespace

const std::string& openapi_json(const std::string& version) {
  // Built once: the route table and the schemas are fixed for the life of the process.
  static const std::string text = build(version).dump();
  return text;
}

}  // namespace gp
