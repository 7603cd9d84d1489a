// The parameters, response headers and shared error answers of the OpenAPI document. Query
// parameters follow their parsers (io/http/paging.cpp, io/http/features_codec.cpp,
// io/stac/search_codec.cpp and the handlers); status words come from messages/.
#include "actors/openapi_components.hpp"

#include <string>

#include "messages/status.hpp"
#include "messages/webhooks.hpp"

namespace gp::openapi_parts {

using json = nlohmann::json;
using namespace nlohmann::literals;

namespace {

/// What a path parameter holds, by its name in the patterns of the route table.
const char* described(std::string_view name) {
  if (name == "request_id")
    return "a request id: 32 lowercase hex characters";
  if (name == "job_id")
    return "a job id: 64 lowercase hex characters";
  if (name == "job_type")
    return "a built-in job type, such as hello_world or process_raster";
  if (name == "key_id")
    return "a key's public id: 8 lowercase letters and digits";
  if (name == "client_id")
    return "a client id";
  if (name == "delivery_id")
    return "a delivery id: msg_ and 32 lowercase hex characters";
  if (name == "cid")
    return "a collection id";
  if (name == "fid")
    return "a feature id (the layer's fid)";
  if (name == "iid")
    return "an item id";
  if (name == "name")
    return "a file name listed in the request's outputs, percent-encoded";
  return "a path segment";
}

}  // namespace

json path_parameters(std::string_view pattern) {
  json out = json::array();
  for (size_t open = pattern.find('{'); open != std::string_view::npos;
       open = pattern.find('{', open + 1)) {
    auto close = pattern.find('}', open);
    auto name = pattern.substr(open + 1, close - open - 1);
    out.push_back({{"name", std::string{name}},
                   {"in", "path"},
                   {"required", true},
                   {"description", described(name)},
                   {"schema", {{"type", "string"}, {"minLength", 1}}}});
  }
  return out;
}

json security_schemes() {
  return R"js({
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Platform-API-Key",
               "description": "gp_<key_id>_<secret>, as issued by POST /admin/keys or the command line"},
    "bearer": {"type": "http", "scheme": "bearer", "description": "the same key as Authorization: Bearer <key>"}
  })js"_json;
}

json tags() {
  return R"js([
    {"name": "probes", "description": "liveness and readiness, without a key"},
    {"name": "platform", "description": "platform requests: submit, status, list, cancel, retry"},
    {"name": "data", "description": "a completed request's outputs"},
    {"name": "features", "description": "OGC API - Features over the loaded vector layers"},
    {"name": "stac", "description": "the STAC API 1.0.0 catalogue"},
    {"name": "webhooks", "description": "webhook deliveries, test pings and redelivery"},
    {"name": "jobs", "description": "CoreMachine jobs (admin)"},
    {"name": "admin", "description": "clients, keys, the audit trail and usage (admin)"},
    {"name": "observability", "description": "health, metrics and this document"}
  ])js"_json;
}

json parameters() {
  auto p = R"js({
    "CorrelationId": {"name": "X-Correlation-Id", "in": "header",
      "description": "echoed in the answer and the log when it is 1-128 characters of [A-Za-z0-9._-]; otherwise a new id is generated",
      "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"}},
    "StatusDetail": {"name": "detail", "in": "query", "description": "full: the status with its history as events", "schema": {"type": "string", "enum": ["full"]}},
    "Limit": {"name": "limit", "in": "query", "description": "page size", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
    "JobCursor": {"name": "cursor", "in": "query", "description": "the next_cursor of the previous page", "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
    "RequestCursor": {"name": "cursor", "in": "query", "description": "the next_cursor of the previous page", "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
    "DeliveryCursor": {"name": "cursor", "in": "query", "description": "the next_cursor of the previous page", "schema": {"type": "string", "pattern": "^msg_[0-9a-f]{32}$"}},
    "AuditCursor": {"name": "cursor", "in": "query", "description": "the next_cursor of the previous page", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
    "DatasetFilter": {"name": "dataset_id", "in": "query", "description": "only this dataset's requests", "schema": {"type": "string", "maxLength": 255}},
    "RequestsClient": {"name": "client_id", "in": "query", "description": "admin keys only: one client's requests (an internal key naming it gets 400)", "schema": {"type": "string"}},
    "KeysClient": {"name": "client", "in": "query", "description": "only this client's keys (an unknown client gives an empty list)", "schema": {"type": "string"}},
    "KeysClientId": {"name": "client_id", "in": "query", "description": "the same as client, when client is not given", "schema": {"type": "string"}},
    "AuditTarget": {"name": "target", "in": "query", "description": "one target's rows, e.g. client:ddh or key:ab12cd34", "schema": {"type": "string", "maxLength": 200}},
    "UsageClient": {"name": "client", "in": "query", "description": "one client's usage", "schema": {"$ref": "#/components/schemas/ClientId"}},
    "UsageFrom": {"name": "from", "in": "query", "description": "the first period (included), RFC 3339", "schema": {"type": "string", "format": "date-time"}},
    "UsageTo": {"name": "to", "in": "query", "description": "the end (excluded), RFC 3339", "schema": {"type": "string", "format": "date-time"}},
    "Granularity": {"name": "granularity", "in": "query", "schema": {"type": "string", "enum": ["hour", "day"], "default": "hour"}},
    "DeliveriesRequest": {"name": "request_id", "in": "query", "description": "one request's deliveries", "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
    "DeliveriesClient": {"name": "client_id", "in": "query", "description": "one client's deliveries", "schema": {"type": "string", "maxLength": 50}},
    "FormatJson": {"name": "f", "in": "query", "description": "the only encoding offered", "schema": {"type": "string", "enum": ["json"]}},
    "FormatGeoJson": {"name": "f", "in": "query", "description": "the only encoding offered (GeoJSON)", "schema": {"type": "string", "enum": ["json", "geojson"]}},
    "FeaturesBbox": {"name": "bbox", "in": "query", "style": "form", "explode": false,
      "description": "minx,miny,maxx,maxy in CRS84 degrees; minx > maxx crosses the antimeridian; a 3D box is refused",
      "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}},
    "FeaturesLimit": {"name": "limit", "in": "query", "description": "values above 10000 are lowered to 10000", "schema": {"type": "integer", "minimum": 1, "default": 10}},
    "FeaturesOffset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999999, "default": 0}},
    "StacBbox": {"name": "bbox", "in": "query", "style": "form", "explode": false,
      "description": "west,south,east,north (or 6 numbers) in degrees; west > east crosses the antimeridian; not with intersects",
      "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}},
    "StacDatetime": {"name": "datetime", "in": "query", "description": "an RFC 3339 instant, or an interval start/end whose ends may be open (.. or empty)", "schema": {"type": "string"}},
    "StacIntersects": {"name": "intersects", "in": "query", "description": "a GeoJSON geometry; not with bbox",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Geometry"}}}},
    "StacIds": {"name": "ids", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
    "StacCollections": {"name": "collections", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
    "StacLimit": {"name": "limit", "in": "query", "description": "values above 10000 are lowered to 10000", "schema": {"type": "integer", "minimum": 1, "default": 10}},
    "StacSortby": {"name": "sortby", "in": "query", "description": "comma-separated queryables with + or - (default -datetime)", "schema": {"type": "string", "examples": ["-datetime,+id"]}},
    "StacFilter": {"name": "filter", "in": "query", "description": "a CQL2 expression over the queryables", "schema": {"type": "string"}},
    "StacFilterLang": {"name": "filter-lang", "in": "query", "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"}},
    "StacFilterCrs": {"name": "filter-crs", "in": "query", "schema": {"const": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
    "StacToken": {"name": "token", "in": "query", "description": "the position of a page, from a next or prev link", "schema": {"type": "string"}},
    "Range": {"name": "Range", "in": "header", "description": "one byte range (bytes=a-b, a- or -n); several ranges get the whole file", "schema": {"type": "string", "examples": ["bytes=0-16383"]}},
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "description": "304 when a tag matches", "schema": {"type": "string"}},
    "IfRange": {"name": "If-Range", "in": "header", "description": "the range applies only to this strong tag or Last-Modified date", "schema": {"type": "string"}}
  })js"_json;
  // Status filters take the code's own words.
  auto status = [](const char* what, std::vector<std::string> words) {
    return json{{"name", "status"},
                {"in", "query"},
                {"description", std::string{"only "} + what + " of this status"},
                {"schema", {{"type", "string"}, {"enum", std::move(words)}}}};
  };
  p["JobStatusFilter"] = status("jobs", names_of(all_job_statuses));
  p["RequestStatusFilter"] = status("requests", names_of(all_request_statuses));
  p["DeliveryStatusFilter"] = status("deliveries", names_of(all_delivery_statuses));
  for (auto& [_, parameter] : p.items())
    parameter["required"] = false;
  return p;
}

json headers() {
  return R"js({
    "X-Correlation-Id": {"description": "the request's id, echoed or generated; also in the log line of the call", "schema": {"type": "string"}},
    "Location": {"description": "the absolute URL of what the call created or names", "schema": {"type": "string", "format": "uri"}},
    "Retry-After": {"description": "whole seconds to wait before asking again", "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Limit": {"description": "the route class's limit a minute (draft-ietf-httpapi-ratelimit-headers-07)", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "calls left in the budget (0)", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until the budget is full again", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "always Bearer", "schema": {"const": "Bearer"}},
    "ETag": {"description": "a strong tag of the file", "schema": {"type": "string"}},
    "Last-Modified": {"schema": {"type": "string"}},
    "Accept-Ranges": {"schema": {"const": "bytes"}},
    "Cache-Control": {"schema": {"const": "private, no-cache"}},
    "Content-Range": {"description": "bytes a-b/size (206), bytes */size (416)", "schema": {"type": "string"}},
    "Content-Disposition": {"description": "attachment; filename=\"<name>\" when the name is plain", "schema": {"type": "string"}}
  })js"_json;
}

json responses() {
  return R"js({
    "Unauthorized": {
      "description": "no key, or a malformed, unknown, revoked or expired key, or a key of an inactive client (unauthorized)",
      "headers": {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}, "X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    },
    "Forbidden": {
      "description": "the key's level does not allow the route, or its allowed_endpoints do not include it (forbidden)",
      "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    },
    "BadBody": {
      "description": "the body is not valid JSON (malformed_json), or fields are wrong (validation_error, every bad field in errors)",
      "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    },
    "PayloadTooLarge": {
      "description": "the body exceeds http.body_limit_bytes (payload_too_large)",
      "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    },
    "UnsupportedMediaType": {
      "description": "the body is not application/json (unsupported_media_type)",
      "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    },
    "Problem": {
      "description": "any other error: 405 (with Allow), 414, 431, 500 internal, 503 at the connection cap",
      "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    }
  })js"_json;
}

}  // namespace gp::openapi_parts
