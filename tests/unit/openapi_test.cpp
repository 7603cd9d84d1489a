// The OpenAPI document of GET /openapi.json against the route table: every route documented
// under its path and method, with a summary, a success answer with a body, the security its
// access needs, and every $ref resolving inside the document. A route added to the table without
// documentation in actors/openapi.cpp fails here.
#include "actors/openapi.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/route_table.hpp"

namespace {

using json = nlohmann::json;
using gp::routing::access;

const json& document() {
  static const json doc = json::parse(gp::openapi_json("1.2.3"));
  return doc;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string label(const gp::routing::route_def& row) {
  return std::string{row.method} + " " + row.pattern;
}

/// The operation of a row, or null when the document lacks it.
const json* operation_of(const gp::routing::route_def& row) {
  const auto& paths = document()["paths"];
  auto path = paths.find(row.pattern);
  if (path == paths.end())
    return nullptr;
  auto op = path->find(lower(row.method));
  return op == path->end() ? nullptr : &*op;
}

/// Every "$ref" string anywhere under `node`.
void collect_refs(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      if (k == "$ref" && v.is_string())
        out.push_back(v.get<std::string>());
      else
        collect_refs(v, out);
    }
  } else if (node.is_array()) {
    for (const auto& v : node)
      collect_refs(v, out);
  }
}

/// The response object of `r`, following one $ref to components.responses.
const json& resolved(const json& r) {
  if (r.contains("$ref"))
    return document().at(json::json_pointer(r["$ref"].get<std::string>().substr(1)));
  return r;
}

}  // namespace

TEST(openapi, is_openapi_3_1_json_with_the_service_version) {
  const auto& doc = document();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.1.", 0), 0u) << doc["openapi"];
  EXPECT_EQ(doc["info"]["title"], "geoplatform");
  EXPECT_EQ(doc["info"]["version"], "1.2.3");
  // Built once: the same text on every call, whatever is asked later.
  EXPECT_EQ(&gp::openapi_json("1.2.3"), &gp::openapi_json("other"));
}

TEST(openapi, has_the_two_security_schemes) {
  const auto& schemes = document()["components"]["securitySchemes"];
  ASSERT_TRUE(schemes.is_object());
  EXPECT_EQ(schemes["apiKey"]["type"], "apiKey");
  EXPECT_EQ(schemes["apiKey"]["in"], "header");
  EXPECT_EQ(schemes["apiKey"]["name"], "X-Platform-API-Key");
  EXPECT_EQ(schemes["bearer"]["type"], "http");
  EXPECT_EQ(lower(schemes["bearer"]["scheme"].get<std::string>()), "bearer");
}

TEST(openapi, every_route_is_documented_under_its_path_and_method) {
  ASSERT_GT(gp::routing::route_count, 0);
  for (const auto& row : gp::routing::route_table) {
    SCOPED_TRACE(label(row));
    const json* op = operation_of(row);
    ASSERT_NE(op, nullptr) << "missing from paths";
    ASSERT_TRUE(op->contains("summary")) << "no documentation in actors/openapi.cpp";
    EXPECT_FALSE((*op)["summary"].get<std::string>().empty());
    ASSERT_TRUE(op->contains("tags"));
    EXPECT_EQ((*op)["tags"].size(), 1u);
    // A success answer with a body: its media types, and a schema for JSON bodies.
    const auto& responses = (*op)["responses"];
    int successes = 0;
    for (const auto& [status, r] : responses.items()) {
      if (status.size() != 3 || status[0] != '2')
        continue;
      ++successes;
      const auto& answer = resolved(r);
      EXPECT_FALSE(answer.value("description", "").empty()) << status;
      ASSERT_TRUE(answer.contains("content")) << status;
      EXPECT_FALSE(answer["content"].empty()) << status;
      for (const auto& [media, body] : answer["content"].items()) {
        if (media.find("json") != std::string::npos) {
          EXPECT_TRUE(body.contains("schema")) << status << " " << media;
        }
      }
    }
    EXPECT_GE(successes, 1) << "no 2xx answer";
    EXPECT_TRUE(responses.contains("default"));
  }
}

TEST(openapi, security_follows_each_routes_access) {
  for (const auto& row : gp::routing::route_table) {
    SCOPED_TRACE(label(row));
    const json* op = operation_of(row);
    ASSERT_NE(op, nullptr);
    const auto& security = (*op)["security"];
    ASSERT_TRUE(security.is_array());
    const auto& responses = (*op)["responses"];
    if (row.who == access::open) {
      EXPECT_TRUE(security.empty()) << "an open route needs no key";
      EXPECT_FALSE(responses.contains("401"));
      continue;
    }
    // Either scheme: two alternatives of one scheme each.
    std::set<std::string> schemes;
    for (const auto& alternative : security) {
      ASSERT_EQ(alternative.size(), 1u);
      schemes.insert(alternative.begin().key());
    }
    EXPECT_EQ(schemes, (std::set<std::string>{"apiKey", "bearer"}));
    EXPECT_TRUE(responses.contains("401"));
    EXPECT_TRUE(responses.contains("403"));
  }
}

TEST(openapi, bodies_parameters_and_budgets_follow_the_route_table) {
  for (const auto& row : gp::routing::route_table) {
    SCOPED_TRACE(label(row));
    const json* op = operation_of(row);
    ASSERT_NE(op, nullptr);
    if (row.json_body) {
      ASSERT_TRUE(op->contains("requestBody"));
      EXPECT_EQ((*op)["requestBody"]["required"], true);
      EXPECT_TRUE((*op)["requestBody"]["content"]["application/json"].contains("schema"));
      EXPECT_TRUE((*op)["responses"].contains("415"));
    }
    if (row.budget != gp::io::rate_class::none) {
      const auto& limited = (*op)["responses"]["429"];
      for (const char* h :
           {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"})
        EXPECT_TRUE(limited["headers"].contains(h)) << h;
      EXPECT_EQ((*op)["x-rate-class"], gp::io::name_of(row.budget));
    } else {
      EXPECT_FALSE((*op)["responses"].contains("429"));
    }
    // Every {name} of the pattern is a required path parameter, and nothing else is.
    std::set<std::string> in_pattern, declared;
    std::string pattern = row.pattern;
    for (size_t open = pattern.find('{'); open != std::string::npos;
         open = pattern.find('{', open + 1))
      in_pattern.insert(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
    for (const auto& p : (*op)["parameters"])
      if (p.value("in", "") == "path") {
        declared.insert(p["name"].get<std::string>());
        EXPECT_EQ(p["required"], true);
      }
    EXPECT_EQ(in_pattern, declared);
  }
}

TEST(openapi, names_no_route_the_table_does_not_have_and_ids_are_unique) {
  std::set<std::string> table, ids;
  for (const auto& row : gp::routing::route_table)
    table.insert(lower(row.method) + " " + row.pattern);
  for (const auto& [path, item] : document()["paths"].items())
    for (const auto& [method, op] : item.items()) {
      EXPECT_TRUE(table.count(method + " " + path)) << method << " " << path;
      EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second)
        << "operationId " << op["operationId"] << " is used twice";
    }
  EXPECT_EQ(ids.size(), table.size());
}

TEST(openapi, every_ref_resolves_inside_the_document) {
  std::vector<std::string> refs;
  collect_refs(document(), refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& r : refs) {
    ASSERT_EQ(r.rfind("#/", 0), 0u) << r << " points outside the document";
    EXPECT_TRUE(document().contains(json::json_pointer(r.substr(1)))) << r;
  }
}

TEST(openapi, problems_carry_the_members_of_the_services_problem_bodies) {
  const auto& problem = document()["components"]["schemas"]["Problem"];
  for (const char* member : {"type", "title", "status", "detail", "code"})
    EXPECT_NE(std::find(problem["required"].begin(), problem["required"].end(), member),
              problem["required"].end())
      << member;
  for (const char* member :
       {"instance", "errors", "existing_request_id", "request_status", "checks"})
    EXPECT_TRUE(problem["properties"].contains(member)) << member;
  // Every error answer of every route is problem+json, except the unhealthy answers of the
  // health routes (their usual body with status 503).
  for (const auto& [path, item] : document()["paths"].items())
    for (const auto& [method, op] : item.items())
      for (const auto& [status, r] : op["responses"].items()) {
        if (status[0] != '4' && status[0] != '5' && status != "default")
          continue;
        if ((path == "/health" || path == "/platform/health") && status == "503")
          continue;
        const auto& answer = resolved(r);
        EXPECT_TRUE(answer["content"].contains("application/problem+json"))
          << method << " " << path << " " << status;
      }
}
