#pragma once
// The parts of the OpenAPI document (actors/openapi.cpp): the shape of a route's documentation,
// and the reusable components: request and answer bodies, query and header parameters, response
// headers, the error answers routes share and the security schemes. Used only by the openapi*.cpp
// files; kept apart so that the route documentation stays readable.
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/route_table.hpp"

namespace gp::openapi_parts {

/// An answer of a route beside its success and the answers every route of its kind has.
struct answer {
  unsigned status;
  const char* description;
  /// A body schema (components.schemas), answered as application/json; none: problem+json.
  const char* schema = nullptr;
  /// Response headers (components.headers) beside X-Correlation-Id.
  std::vector<const char*> headers = {};
  /// The answer carries the success answer's body and media types (206 of a file, 200 of a
  /// repeated submission).
  bool like_success = false;
};

/// What the route table does not say about a route: its purpose, query parameters and answers.
/// Written as doc(...).about(...).ok(...)... in route_docs() of actors/openapi.cpp.
struct route_doc {
  routing::route id;
  const char* operation_id;
  const char* tag;
  const char* summary;
  const char* description = nullptr;
  unsigned status = 200;
  /// The success body's schema (components.schemas); none for a file.
  const char* schema = nullptr;
  /// The success body's media types; application/json when empty.
  std::vector<const char*> media = {};
  /// Headers of the success answer (components.headers).
  std::vector<const char*> headers = {};
  /// The request body's schema; a route whose row takes no JSON body takes it optionally.
  const char* request = nullptr;
  /// Query and header parameters (components.parameters).
  std::vector<const char*> parameters = {};
  /// Answers beside the success and those the route table implies.
  std::vector<answer> answers = {};

  /// Sets the description.
  route_doc& about(const char* text) {
    description = text;
    return *this;
  }
  /// Sets the success status, its body's schema (none for a file) and media types.
  route_doc& ok(unsigned code, const char* body, std::vector<const char*> types = {}) {
    status = code;
    schema = body;
    media = std::move(types);
    return *this;
  }
  /// Sets the headers of the success answer.
  route_doc& sends(std::vector<const char*> names) {
    headers = std::move(names);
    return *this;
  }
  /// Sets the request body's schema.
  route_doc& takes(const char* body) {
    request = body;
    return *this;
  }
  /// Sets the query and header parameters.
  route_doc& query(std::vector<const char*> names) {
    parameters = std::move(names);
    return *this;
  }
  /// Adds answers.
  route_doc& also(std::vector<answer> more) {
    answers.insert(answers.end(), more.begin(), more.end());
    return *this;
  }
};

/// The {name} segments of a route pattern, as required string path parameters.
nlohmann::json path_parameters(std::string_view pattern);

/// components.securitySchemes: the key in X-Platform-API-Key (apiKey) or as a bearer token.
nlohmann::json security_schemes();

/// The document's tags, one per group of routes.
nlohmann::json tags();

/// components.schemas: every body the routes take or answer, with the members the codecs and
/// handlers write (io/http/*_codec.cpp, actors/*_handlers.cpp).
nlohmann::json schemas();

/// The OGC API - Features, STAC and GeoJSON part of components.schemas (actors/openapi_geo.cpp).
nlohmann::json geo_schemas();

/// components.parameters: the query and request header parameters, by the names the route
/// documentation refers to.
nlohmann::json parameters();

/// components.headers: the response headers (correlation id, Location, Retry-After, the RateLimit
/// fields, the validators of file answers).
nlohmann::json headers();

/// components.responses: the error answers shared by routes (401, 403, 413, 415, the default).
nlohmann::json responses();

}  // namespace gp::openapi_parts
