// The bodies of the OpenAPI document (components.schemas), written as JSON literals with the
// members the codecs and handlers write. Status words come from messages/, so a new status is
// documented with the code that adds it.
#include "actors/openapi_components.hpp"

#include <algorithm>
#include <string>

#include "messages/status.hpp"
#include "messages/webhooks.hpp"

namespace gp::openapi_parts {

namespace {

using json = nlohmann::json;
using namespace nlohmann::literals;

/// Problem details (RFC 9457) and the members the service adds to some of them.
json problem_schemas() {
  return R"js({
    "Problem": {
      "type": "object",
      "description": "RFC 9457 problem details. Every 4xx and 5xx answer is one, as application/problem+json.",
      "required": ["type", "title", "status", "detail", "code"],
      "properties": {
        "type": {"type": "string", "description": "always about:blank", "examples": ["about:blank"]},
        "title": {"type": "string", "description": "the reason phrase of the status", "examples": ["Bad Request"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what went wrong, for a person to read"},
        "instance": {"type": "string", "format": "uri-reference", "description": "RFC 9457's occurrence URI; this service does not send it"},
        "code": {"type": "string", "description": "the machine-readable reason",
                 "examples": ["validation_error", "malformed_json", "source_not_found", "unsupported_media_type", "payload_too_large", "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict", "rate_limited", "not_ready", "unavailable", "range_not_satisfiable", "internal"]},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}, "description": "validation_error and source_not_found: every bad field"},
        "existing_request_id": {"type": "string", "description": "409 of POST /platform/submit: the request that holds the identity"},
        "request_status": {"type": "string", "description": "409 not_ready of /platform/data: the request's status"},
        "checks": {"type": "object", "description": "503 of /readyz",
                   "properties": {"database": {"type": "string", "enum": ["postgis_missing", "migrations_pending", "schema_newer", "unavailable", "unknown"]}}}
      }
    },
    "FieldError": {
      "type": "object",
      "required": ["field", "message"],
      "properties": {
        "field": {"type": "string", "description": "the field, parameter or member, as a path (a.b[1]); (body) for the whole body"},
        "message": {"type": "string"}
      }
    }
  })js"_json;
}

/// Probes, identity, health, metrics and this document.
json service_schemas() {
  return R"js({
    "Liveness": {"type": "object", "required": ["status"], "properties": {"status": {"const": "alive"}}},
    "Readiness": {
      "type": "object", "required": ["status", "checks", "schema_version"],
      "properties": {
        "status": {"const": "ready"},
        "checks": {"type": "object", "properties": {"database": {"const": "ok"}}},
        "schema_version": {"type": "integer", "description": "the applied schema migration"}
      }
    },
    "Whoami": {
      "type": "object", "required": ["client_id", "key_id", "access_level", "expires_at"],
      "properties": {
        "client_id": {"type": "string"},
        "key_id": {"type": "string", "pattern": "^[a-z0-9]{8}$"},
        "access_level": {"$ref": "#/components/schemas/AccessLevel"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "allowed_endpoints": {"type": "array", "items": {"type": "string"}, "description": "only for a key restricted to these METHOD /path patterns"}
      }
    },
    "AccessLevel": {"type": "string", "enum": ["internal", "trusted", "admin"]},
    "HealthPart": {
      "type": "object", "required": ["status"], "additionalProperties": true,
      "properties": {"status": {"type": "string", "enum": ["ok", "degraded", "not_ready", "unavailable", "unknown"]}}
    },
    "Health": {
      "type": "object", "required": ["status", "version", "reasons", "components"],
      "properties": {
        "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
        "version": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "why the node is degraded or unhealthy, one phrase each"},
        "components": {
          "type": "object", "required": ["database", "actors", "queue", "webhooks", "storage"],
          "properties": {
            "database": {"allOf": [{"$ref": "#/components/schemas/HealthPart"}], "properties": {
              "postgis": {"type": "boolean"}, "schema_version": {"type": "integer"},
              "expected_schema_version": {"type": "integer"}, "latency_ms": {"type": "number"},
              "error": {"type": "string", "enum": ["timeout", "unreachable"]}}},
            "actors": {"allOf": [{"$ref": "#/components/schemas/HealthPart"}], "properties": {
              "members": {"type": "object", "description": "each actor's status report: state and its details, as strings",
                          "additionalProperties": {"type": "object", "required": ["state"], "properties": {"state": {"type": "string"}},
                                                   "additionalProperties": {"type": "string"}}}}},
            "queue": {"allOf": [{"$ref": "#/components/schemas/HealthPart"}], "properties": {
              "tasks_waiting": {"type": "integer"}, "tasks_running": {"type": "integer"},
              "oldest_task_wait_s": {"type": "integer"}, "max_depth": {"type": "integer"}}},
            "webhooks": {"allOf": [{"$ref": "#/components/schemas/HealthPart"}], "properties": {
              "waiting": {"type": "integer"}, "oldest_due_wait_s": {"type": "integer"}, "max_backlog": {"type": "integer"}}},
            "storage": {"allOf": [{"$ref": "#/components/schemas/HealthPart"}], "properties": {
              "roots": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded", "unavailable", "unresponsive"]}, "free_mib": {"type": "integer"},
                "total_mib": {"type": "integer"}, "min_free_mib": {"type": "integer"}, "path": {"type": "string"},
                "waiting_s": {"type": "integer"}}}}}}
          }
        }
      }
    },
    "PlatformHealth": {
      "type": "object", "required": ["component", "status", "metrics", "ddh_integration"],
      "properties": {
        "component": {"const": "platform_service"},
        "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
        "metrics": {"type": "object", "properties": {
          "pending_requests": {"type": ["integer", "null"]},
          "processing_requests": {"type": ["integer", "null"]},
          "average_processing_seconds": {"type": ["number", "null"]},
          "webhook_success_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1}}},
        "ddh_integration": {"type": "object", "properties": {
          "api_key_configured": {"type": "boolean"},
          "callback_url_configured": {"type": "boolean"},
          "last_successful_webhook": {"type": ["string", "null"], "format": "date-time"}}}
      }
    },
    "Metrics": {"type": "string", "description": "Prometheus text exposition format 0.0.4"},
    "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"], "description": "this document"}
  })js"_json;
}

/// Clients, keys, the audit trail and usage (docs/admin.md).
json admin_schemas() {
  return R"js({
    "ClientId": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{1,49}$"},
    "Client": {
      "type": "object",
      "required": ["client_id", "name", "rate_limit_per_minute", "read_rate_limit_per_minute", "tiles_rate_limit_per_minute", "callback_hosts", "is_active", "created_at"],
      "properties": {
        "client_id": {"$ref": "#/components/schemas/ClientId"},
        "name": {"type": "string"},
        "rate_limit_per_minute": {"type": "integer", "description": "the submit budget"},
        "read_rate_limit_per_minute": {"type": ["integer", "null"], "description": "null: the service's default"},
        "tiles_rate_limit_per_minute": {"type": ["integer", "null"], "description": "null: the service's default"},
        "callback_hosts": {"type": "array", "items": {"type": "string"}},
        "is_active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"}
      }
    },
    "ClientCreated": {
      "allOf": [{"$ref": "#/components/schemas/Client"}],
      "required": ["webhook_secret"],
      "properties": {"webhook_secret": {"type": "string", "pattern": "^whsec_", "description": "shown this once"}}
    },
    "ClientList": {"type": "object", "required": ["clients"], "properties": {"clients": {"type": "array", "items": {"$ref": "#/components/schemas/Client"}}}},
    "ClientCreate": {
      "type": "object", "required": ["client_id"], "additionalProperties": false,
      "properties": {
        "client_id": {"$ref": "#/components/schemas/ClientId"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "default: the client id"},
        "rate_limit_per_minute": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 600},
        "read_rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000},
        "tiles_rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000},
        "callback_hosts": {"type": "array", "items": {"type": "string"}, "description": "exact host names or one leading wildcard (*.example.org)"}
      }
    },
    "ClientPatch": {
      "type": "object", "minProperties": 1, "additionalProperties": false,
      "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "rate_limit_per_minute": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "read_rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000, "description": "null: back to the service's default"},
        "tiles_rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000, "description": "null: back to the service's default"},
        "callback_hosts": {"type": "array", "items": {"type": "string"}, "description": "the whole new list"},
        "is_active": {"type": "boolean"}
      }
    },
    "SecretRotation": {
      "type": "object", "required": ["client_id", "webhook_secret", "previous_secret_valid_until", "grace_seconds"],
      "properties": {
        "client_id": {"$ref": "#/components/schemas/ClientId"},
        "webhook_secret": {"type": "string", "description": "the new secret, shown this once"},
        "previous_secret_valid_until": {"type": "string", "format": "date-time"},
        "grace_seconds": {"type": "integer"}
      }
    },
    "ApiKey": {
      "type": "object",
      "required": ["key_id", "client_id", "access_level", "description", "state", "expires_at", "revoked_at", "created_at", "last_used_at", "rotated_to", "allowed_endpoints"],
      "properties": {
        "key_id": {"type": "string"},
        "client_id": {"type": "string"},
        "access_level": {"$ref": "#/components/schemas/AccessLevel"},
        "description": {"type": "string"},
        "state": {"type": "string", "enum": ["active", "expired", "revoked"]},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "rotated_to": {"type": ["string", "null"], "description": "the key that replaced this one"},
        "allowed_endpoints": {"type": ["array", "null"], "items": {"type": "string"}}
      }
    },
    "KeyList": {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}}}},
    "KeyCreate": {
      "type": "object", "required": ["client_id", "access_level"], "additionalProperties": false,
      "properties": {
        "client_id": {"$ref": "#/components/schemas/ClientId"},
        "access_level": {"$ref": "#/components/schemas/AccessLevel"},
        "expires_at": {"type": ["string", "null"], "format": "date-time", "description": "in the future; absent, null or empty: never"},
        "allowed_endpoints": {"type": ["array", "null"], "minItems": 1, "items": {"type": "string", "examples": ["GET /platform/*"]},
                              "description": "METHOD /path patterns (method or *, optional trailing *); null: everything the level allows"},
        "description": {"type": ["string", "null"], "maxLength": 200}
      }
    },
    "NewKey": {
      "type": "object", "required": ["key", "key_id", "client_id", "access_level", "expires_at", "allowed_endpoints"],
      "properties": {
        "key": {"type": "string", "pattern": "^gp_[a-z0-9]{8}_[A-Za-z0-9]{43}$", "description": "shown this once"},
        "key_id": {"type": "string"},
        "client_id": {"type": "string"},
        "access_level": {"$ref": "#/components/schemas/AccessLevel"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "allowed_endpoints": {"type": ["array", "null"], "items": {"type": "string"}}
      }
    },
    "RotatedKey": {
      "allOf": [{"$ref": "#/components/schemas/NewKey"}],
      "required": ["replaces", "old_key_expires_at"],
      "properties": {
        "replaces": {"type": "string", "description": "the rotated key's id"},
        "old_key_expires_at": {"type": "string", "format": "date-time", "description": "when the old key stops working"}
      }
    },
    "KeyRotate": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "overlap_seconds": {"type": "integer", "minimum": 0, "maximum": 7776000, "description": "default: auth.key_rotation_overlap_s"},
        "expires_at": {"type": "string", "format": "date-time", "description": "the new key's expiry; default: the old key's"}
      }
    },
    "KeyRevoked": {"type": "object", "required": ["key_id", "state"], "properties": {"key_id": {"type": "string"}, "state": {"const": "revoked"}}},
    "AuditEntry": {
      "type": "object", "required": ["audit_id", "at", "actor", "action", "target", "before", "after", "correlation_id"],
      "properties": {
        "audit_id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string", "examples": ["key:k3x9a0qz", "cli"]},
        "action": {"type": "string", "examples": ["client.create", "key.rotate", "delivery.redeliver"]},
        "target": {"type": "string", "examples": ["client:ddh", "key:k3x9a0qz"]},
        "before": {"description": "the row before the change (never a secret or key hash), or null"},
        "after": {"description": "the row after the change, or null"},
        "correlation_id": {"type": "string"}
      }
    },
    "AuditList": {
      "type": "object", "required": ["entries", "next_cursor"],
      "properties": {"entries": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
                     "next_cursor": {"type": ["string", "null"]}}
    },
    "UsageRow": {
      "type": "object", "required": ["client_id", "period"],
      "properties": {
        "client_id": {"type": "string"}, "period": {"type": "string", "format": "date-time", "description": "the start of the hour or UTC day"},
        "submits_new": {"type": "integer"}, "submits_repeat": {"type": "integer"}, "submits_refused": {"type": "integer"},
        "requests_completed": {"type": "integer"}, "requests_failed": {"type": "integer"},
        "bytes_read": {"type": "integer"}, "bytes_written": {"type": "integer"}, "stac_searches": {"type": "integer"},
        "downloads": {"type": "integer"}, "bytes_served": {"type": "integer"}, "tiles": {"type": "integer"}
      }
    },
    "UsageReport": {
      "type": "object", "required": ["usage", "granularity", "from", "to"],
      "properties": {
        "usage": {"type": "array", "items": {"$ref": "#/components/schemas/UsageRow"}},
        "granularity": {"type": "string", "enum": ["hour", "day"]},
        "from": {"type": ["string", "null"], "format": "date-time"},
        "to": {"type": ["string", "null"], "format": "date-time"}
      }
    }
  })js"_json;
}

/// CoreMachine jobs and platform requests (docs/api.md, ../shared/API.md).
json work_schemas() {
  auto s = R"js({
    "JobParameters": {"type": "object", "description": "the job type's parameters; {} takes every default"},
    "JobSubmission": {
      "type": "object", "required": ["job_id", "status", "status_url"],
      "properties": {"job_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "status": {"$ref": "#/components/schemas/JobStatus"},
                     "status_url": {"type": "string", "format": "uri"}}
    },
    "Job": {
      "type": "object",
      "required": ["job_id", "job_type", "status", "stage", "total_stages", "parameters", "tasks", "result", "error", "platform_request_id", "status_url", "created_at", "started_at", "completed_at"],
      "properties": {
        "job_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "job_type": {"type": "string"},
        "status": {"$ref": "#/components/schemas/JobStatus"},
        "stage": {"type": "integer"}, "total_stages": {"type": "integer"},
        "parameters": {"type": "object"},
        "tasks": {"type": "object", "minProperties": 6, "additionalProperties": {"type": "integer"},
                  "description": "the number of the job's tasks in each of the six task statuses: pending, processing, completed, failed, pending_retry and cancelled"},
        "result": {"description": "the last stage's result once completed, else null"},
        "error": {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "stage": {"type": "integer"}, "task_id": {"type": "integer"}}},
        "platform_request_id": {"type": ["string", "null"]},
        "status_url": {"type": "string", "format": "uri"},
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "completed_at": {"type": ["string", "null"], "format": "date-time"}
      }
    },
    "JobList": {
      "type": "object", "required": ["jobs", "next_cursor"],
      "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}, "next_cursor": {"type": ["string", "null"]}}
    },
    "Identifier": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
    "ProcessingConfig": {
      "type": "object", "additionalProperties": false,
      "description": "settings by request type: vector takes layer_name, lat_column, lon_column, wkt_column, source_crs, datetime_column; raster compression, source_crs, nodata, blocksize; collection pattern, compression, source_crs; all take reuse",
      "properties": {
        "reuse": {"type": "boolean", "default": true},
        "layer_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "lat_column": {"type": "string", "minLength": 1, "maxLength": 255},
        "lon_column": {"type": "string", "minLength": 1, "maxLength": 255},
        "wkt_column": {"type": "string", "minLength": 1, "maxLength": 255},
        "datetime_column": {"type": "string", "minLength": 1, "maxLength": 255},
        "source_crs": {"type": "string", "description": "EPSG:<code> or a WKT definition"},
        "compression": {"type": "string", "enum": ["deflate", "lzw", "zstd", "jpeg"]},
        "nodata": {"type": "number"},
        "blocksize": {"type": "integer", "enum": [256, 512, 1024]},
        "pattern": {"type": "string", "default": "*.tif", "description": "a file-name glob, no /"}
      }
    },
    "SubmitRequest": {
      "type": "object", "required": ["dataset_id", "resource_id", "version_id", "request_type", "source_path"], "additionalProperties": false,
      "properties": {
        "dataset_id": {"allOf": [{"$ref": "#/components/schemas/Identifier"}], "maxLength": 255},
        "resource_id": {"allOf": [{"$ref": "#/components/schemas/Identifier"}], "maxLength": 255},
        "version_id": {"allOf": [{"$ref": "#/components/schemas/Identifier"}], "maxLength": 50},
        "request_type": {"type": "string", "enum": ["vector", "raster", "collection"]},
        "source_path": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "relative to the client's bronze folder (a folder for a collection)"},
        "processing_config": {"$ref": "#/components/schemas/ProcessingConfig"},
        "callback_url": {"type": "string", "format": "uri", "description": "http(s) URL whose host is on the client's callback_hosts"},
        "client_request_id": {"type": "string", "maxLength": 255}
      }
    },
    "SubmitAnswer": {
      "type": "object", "required": ["request_id", "status", "status_url", "estimated_completion"],
      "properties": {
        "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "status": {"type": "string", "description": "accepted for a new request, else the request's status"},
        "status_url": {"type": "string", "format": "uri"},
        "estimated_completion": {"type": ["string", "null"], "format": "date-time"}
      }
    },
    "RequestStatus": {
      "type": "object",
      "required": ["request_id", "status", "progress_percent", "message", "dataset_id", "resource_id", "version_id", "request_type", "client_request_id", "created_at", "started_at", "completed_at", "estimated_completion", "jobs", "endpoints", "stac_metadata", "error", "reused_from", "callback_status", "status_url"],
      "properties": {
        "request_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "status": {"$ref": "#/components/schemas/RequestState"},
        "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "message": {"type": ["string", "null"]},
        "dataset_id": {"type": "string"}, "resource_id": {"type": "string"}, "version_id": {"type": "string"},
        "request_type": {"type": "string", "enum": ["vector", "raster", "collection"]},
        "client_request_id": {"type": ["string", "null"]},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "estimated_completion": {"type": ["string", "null"], "format": "date-time"},
        "jobs": {"type": "array", "items": {"type": "object", "required": ["job_id", "job_type", "status", "stage", "total_stages"], "properties": {
          "job_id": {"type": "string"}, "job_type": {"type": "string"}, "status": {"$ref": "#/components/schemas/JobStatus"},
          "stage": {"type": "integer"}, "total_stages": {"type": "integer"}}}},
        "endpoints": {"type": ["object", "null"], "description": "completed only: absolute URLs by capability",
                      "properties": {"download": {"type": "string", "format": "uri"}, "features": {"type": "string", "format": "uri"},
                                     "mosaic": {"type": "string", "format": "uri"}, "stac_item": {"type": "string", "format": "uri"},
                                     "stac_collection": {"type": "string", "format": "uri"}}},
        "stac_metadata": {"type": ["object", "null"], "description": "completed only: the STAC Item, or Collection for a collection request"},
        "error": {"type": ["object", "null"], "required": ["code", "message", "retryable"], "properties": {
          "code": {"type": "string"}, "message": {"type": "string"},
          "retryable": {"type": "boolean", "description": "whether a retry with nothing changed may succeed"}}},
        "reused_from": {"type": ["string", "null"], "description": "the completed request whose outputs this one serves"},
        "callback_status": {"type": ["string", "null"], "description": "null without a callback_url"},
        "status_url": {"type": "string", "format": "uri"},
        "events": {"type": "array", "description": "with detail=full only: the submission, then each stored change of status, oldest first (at most 100 changes)",
          "items": {"type": "object", "required": ["at", "from", "to", "reason", "state_version"], "properties": {
            "at": {"type": ["string", "null"], "description": "RFC 3339; changes carry milliseconds"},
            "from": {"oneOf": [{"$ref": "#/components/schemas/RequestState"}, {"type": "null"}]},
            "to": {"$ref": "#/components/schemas/RequestState"},
            "reason": {"type": "string", "description": "submitted, the failure's code for a change to failed, else the status message"},
            "state_version": {"type": "integer", "minimum": 0}}}}
      }
    },
    "RequestList": {
      "type": "object", "required": ["requests", "next_cursor"],
      "properties": {"requests": {"type": "array", "items": {"$ref": "#/components/schemas/RequestStatus"}}, "next_cursor": {"type": ["string", "null"]}}
    },
    "MosaicJson": {
      "type": "object", "required": ["mosaicjson", "tiles"], "description": "MosaicJSON 0.0.3; every file name in tiles is the file's absolute URL",
      "properties": {
        "mosaicjson": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "string"},
        "minzoom": {"type": "integer"}, "maxzoom": {"type": "integer"}, "quadkey_zoom": {"type": "integer"},
        "bounds": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "center": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
        "tiles": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string", "format": "uri"}}}
      }
    }
  })js"_json;
  // The status words are the code's own.
  s["JobStatus"] = {{"type", "string"}, {"enum", names_of(all_job_statuses)}};
  s["RequestState"] = {{"type", "string"}, {"enum", names_of(all_request_statuses)}};
  // A request's callback_status follows its latest delivery (messages/webhooks.hpp).
  auto callback = json::array();
  for (auto d : all_delivery_statuses)
    if (std::find(callback.begin(), callback.end(), callback_status_of(d)) == callback.end())
      callback.push_back(std::string{callback_status_of(d)});
  callback.push_back(nullptr);
  s["RequestStatus"]["properties"]["callback_status"]["enum"] = callback;
  return s;
}

/// Webhook deliveries (docs/webhooks.md).
json webhook_schemas() {
  auto s = R"js({
    "WebhookDelivery": {
      "type": "object",
      "required": ["delivery_id", "request_id", "client_id", "event", "url", "status", "attempts", "last_status_code", "last_error", "next_attempt_at", "last_attempt_at", "delivered_at", "created_at", "links"],
      "properties": {
        "delivery_id": {"type": "string", "pattern": "^msg_[0-9a-f]{32}$", "description": "the webhook-id header of its attempts"},
        "request_id": {"type": ["string", "null"], "description": "null for a test ping"},
        "client_id": {"type": "string"},
        "event": {"type": "string", "examples": ["platform.request.completed", "platform.ping"]},
        "url": {"type": "string", "format": "uri"},
        "status": {"$ref": "#/components/schemas/DeliveryStatus"},
        "attempts": {"type": "integer"},
        "last_status_code": {"type": ["integer", "null"]},
        "last_error": {"type": ["string", "null"]},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "last_attempt_at": {"type": ["string", "null"], "format": "date-time", "description": "When the last attempt began (its request about to be sent); while one is under way, and after a claim given back unattempted, when it was claimed."},
        "delivered_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "links": {"type": "object", "properties": {"self": {"type": "string", "format": "uri"}}}
      }
    },
    "DeliveryList": {
      "type": "object", "required": ["deliveries", "next_cursor"],
      "properties": {"deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookDelivery"}}, "next_cursor": {"type": ["string", "null"]}}
    },
    "WebhookTest": {
      "type": "object", "required": ["url"], "additionalProperties": false,
      "properties": {"url": {"type": "string", "format": "uri", "maxLength": 2048, "description": "an http(s) URL on the client's callback_hosts"}}
    },
    "DeliveryQueued": {
      "type": "object", "required": ["delivery_id", "status", "links"],
      "properties": {
        "delivery_id": {"type": "string"}, "event": {"const": "platform.ping", "description": "test pings only"},
        "links": {"type": "object", "properties": {"self": {"type": "string", "format": "uri"}}}
      }
    }
  })js"_json;
  s["DeliveryStatus"] = {{"type", "string"}, {"enum", names_of(all_delivery_statuses)}};
  // A delivery asked for is waiting for its attempt.
  s["DeliveryQueued"]["properties"]["status"] = {
    {"const", std::string{name_of(delivery_status::pending)}}};
  return s;
}

}  // namespace

json schemas() {
  json out = json::object();
  for (const auto& part : {problem_schemas(), service_schemas(), admin_schemas(), work_schemas(),
                           geo_schemas(), webhook_schemas()})
    out.update(part);
  return out;
}

}  // namespace gp::openapi_parts
