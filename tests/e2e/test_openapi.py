"""GET /openapi.json: answered without a key, a valid OpenAPI 3.1 document (checked offline by the
npm validator @apidevtools/swagger-parser that scripts/test installs in tests/tools), and in step
with the route table: the routes are read here from actors/route_table.hpp itself, apart from the
generator; every documented operation is one the running service serves, and the answers of real
calls match their documented schemas (python3-jsonschema)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import jsonschema

from gp_e2e import ServedTestCase, run
from gp_platform import put_sources, setup_clients

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(ROOT, "tests", "tools")
VALIDATOR = os.path.join(TOOLS, "validate_openapi.js")
# {"GET", "/platform/status/{request_id}", platform_status, access::platform, false, ...},
ROUTE_LINE = re.compile(
    r'^\s*\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)", (\w+), access::(\w+), (true|false)', re.M)
MEDIA_TYPES = ("application/vnd.oai.openapi+json", "application/json")


def route_table():
    """(method, pattern, id, access, json_body) of every route line of the route table."""
    with open(os.path.join(ROOT, "actors", "route_table.hpp"), encoding="utf-8") as f:
        return ROUTE_LINE.findall(f.read())


def validate(test, doc):
    """Runs the npm validator on `doc`: (exit code, its output). Fails the test when node or the
    validator is missing: scripts/test installs both."""
    node = shutil.which("node")
    if node is None:
        test.fail("node is not installed; scripts/test installs it (gp_install_node_tools in "
                  "scripts/lib.sh), or: apt-get install nodejs npm")
    if not os.path.isdir(os.path.join(TOOLS, "node_modules", "@apidevtools", "swagger-parser")):
        test.fail("the OpenAPI validator is not installed in tests/tools/node_modules; scripts/test "
                  "installs it, or: (cd tests/tools && npm ci)")
    with tempfile.NamedTemporaryFile("w", prefix="gp_openapi_", suffix=".json",
                                     delete=False) as f:
        json.dump(doc, f)
    try:
        out = subprocess.run([node, VALIDATOR, f.name], capture_output=True, text=True,
                             timeout=120)
    finally:
        os.unlink(f.name)
    return out.returncode, (out.stdout + out.stderr).strip()


def operation_for(doc, method, path):
    """The documented operation whose pattern matches `path`: (pattern, operation)."""
    for pattern, item in doc["paths"].items():
        regex = "/".join("[^/]+" if segment.startswith("{") else re.escape(segment)
                         for segment in pattern.split("/"))
        if re.fullmatch(regex, path) and method.lower() in item:
            return pattern, item[method.lower()]
    return None, None


class OpenApi(ServedTestCase):
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def document(self):
        st, headers, body = self.srv.call("GET", "/openapi.json")
        self.assertEqual(st, 200, body[:500])
        self.assertTrue(headers.get("content-type", "").startswith(MEDIA_TYPES), headers)
        self.assertIn("x-correlation-id", headers)
        return json.loads(body), body

    def test_answered_without_a_key_with_this_binarys_version(self):
        doc, body = self.document()
        self.assertTrue(doc["openapi"].startswith("3.1."), doc["openapi"])
        version = run("version").stdout.split()[-1]
        self.assertEqual(doc["info"]["version"], version)
        # HEAD: the same status and length, no body.
        st, headers, head_body = self.srv.call("HEAD", "/openapi.json")
        self.assertEqual((st, head_body), (200, b""))
        self.assertEqual(int(headers["content-length"]), len(body))

    def test_passes_the_openapi_validator(self):
        doc, _ = self.document()
        rc, out = validate(self, doc)
        self.assertEqual(rc, 0, out)
        self.assertIn("valid: geoplatform", out)

    def test_the_validator_refuses_broken_documents(self):
        # The validation itself must be able to fail: a missing member, a wrong type, a $ref
        # to nothing and a $ref to a URL (nothing is fetched).
        doc, _ = self.document()
        breakages = {
            "no info": lambda d: d.pop("info"),
            "responses not an object": lambda d: d["paths"]["/livez"]["get"].update(responses=1),
            "dangling $ref": lambda d: d["components"]["schemas"].pop("Problem"),
            "external $ref": lambda d: d["components"]["schemas"].update(
                Liveness={"$ref": "https://example.org/liveness.json"}),
        }
        for name, breakage in breakages.items():
            with self.subTest(name):
                broken = json.loads(json.dumps(doc))
                breakage(broken)
                rc, out = validate(self, broken)
                self.assertEqual(rc, 1, out)
                self.assertIn("invalid", out)

    def test_every_route_of_the_route_table_is_documented(self):
        doc, _ = self.document()
        routes = route_table()
        self.assertGreater(len(routes), 40, "the route lines of actors/route_table.hpp were not found")
        schemes = doc["components"]["securitySchemes"]
        self.assertEqual((schemes["apiKey"]["in"], schemes["apiKey"]["name"]),
                         ("header", "X-Platform-API-Key"))
        self.assertEqual((schemes["bearer"]["type"], schemes["bearer"]["scheme"]), ("http", "bearer"))
        documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
        self.assertEqual(documented, {(m, p) for m, p, *_ in routes})
        for method, pattern, route_id, access, json_body in routes:
            with self.subTest(route="%s %s" % (method, pattern)):
                op = doc["paths"][pattern][method.lower()]
                self.assertEqual(op["operationId"], route_id)
                self.assertTrue(op.get("summary"), op)
                if access == "open":
                    self.assertEqual(op["security"], [])
                else:
                    self.assertEqual(sorted(k for alt in op["security"] for k in alt),
                                     ["apiKey", "bearer"])
                    self.assertIn("401", op["responses"])
                if json_body == "true":
                    self.assertTrue(op["requestBody"]["required"])
                    self.assertIn("schema", op["requestBody"]["content"]["application/json"])
                self.assertTrue(any(s.startswith("2") for s in op["responses"]), op["responses"])

    def test_every_documented_operation_is_served(self):
        # Without a key, a route that exists answers 401 (or 200 when open) before its handler
        # looks at its parameters or body; a documented path the service lacks would be 404 or
        # 405.
        doc, _ = self.document()
        for path, item in doc["paths"].items():
            target = re.sub(r"\{[^}]+\}", "x", path)
            for method, op in item.items():
                with self.subTest(route="%s %s" % (method.upper(), path)):
                    st, _, body = self.srv.call(method.upper(), target)
                    self.assertEqual(st, 200 if op["security"] == [] else 401, body[:300])

    def checked(self, method, path, body=None, key="admin", status=None):
        """Calls `path` and validates the answer against the document: its status is documented
        (or covered by default), and a JSON body matches the schema of its media type. Returns
        (status, parsed body)."""
        doc = self.doc
        headers = {"X-Platform-API-Key": self.keys[key]} if key else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        st, hdrs, out = self.srv.call(method, path, body=data, headers=headers)
        if status is not None:
            self.assertEqual(st, status, out[:500])
        pattern, op = operation_for(doc, method, path.split("?")[0])
        self.assertIsNotNone(op, "%s %s is not documented" % (method, path))
        answer = op["responses"].get(str(st), op["responses"]["default"])
        if "$ref" in answer:
            answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        media = hdrs.get("content-type", "")
        content = answer.get("content", {})
        entry = content.get(media) or next(
            (v for k, v in content.items() if k.split(";")[0] == media.split(";")[0]), None)
        self.assertIsNotNone(entry, "%s %s answered %d %s, not documented for %s: %s" % (
            method, path, st, media, pattern, sorted(content)))
        parsed = json.loads(out) if out and "json" in media else out
        if "json" in media and "schema" in entry:
            # The document's components travel with the schema, so its $refs resolve.
            schema = dict(entry["schema"], components=doc["components"])
            errors = [e.message + " at " + "/".join(map(str, e.absolute_path))
                      for e in jsonschema.Draft202012Validator(schema).iter_errors(parsed)]
            self.assertEqual(errors, [], "%s %s (%d): %s" % (method, path, st, out[:800]))
        return st, parsed

    def test_answers_match_their_documented_schemas(self):
        self.doc, _ = self.document()
        for path in ("/livez", "/readyz", "/openapi.json"):
            self.checked("GET", path, key=None, status=200)
        for path in ("/platform/whoami", "/health", "/platform/health", "/admin/clients",
                     "/admin/keys", "/admin/audit", "/admin/usage", "/admin/webhooks", "/jobs",
                     "/platform/requests", "/features", "/features/conformance",
                     "/features/collections", "/platform/stac", "/platform/stac/conformance",
                     "/platform/stac/queryables", "/platform/stac/collections",
                     "/platform/stac/search", "/admin/clients/ddh", "/metrics"):
            with self.subTest(path=path):
                self.checked("GET", path, status=200)
        self.checked("POST", "/platform/stac/search", {"limit": 5}, status=200)
        # Jobs, a test ping and its delivery.
        _, job = self.checked("POST", "/jobs/submit/hello_world", {"n": 1})
        self.checked("GET", "/jobs/" + job["job_id"], status=200)
        _, ping = self.checked("POST", "/platform/webhooks/test",
                               {"url": "https://hooks.example.org/openapi"}, key="internal",
                               status=202)
        self.checked("GET", "/platform/webhooks/" + ping["delivery_id"], key="internal",
                     status=200)
        # Administration: a client and a key through their lives.
        self.checked("POST", "/admin/clients", {"client_id": "openapi-check"}, status=201)
        self.checked("PATCH", "/admin/clients/openapi-check", {"read_rate_limit_per_minute": 90},
                     status=200)
        self.checked("POST", "/admin/clients/openapi-check/rotate-secret", status=200)
        _, key = self.checked("POST", "/admin/keys",
                              {"client_id": "openapi-check", "access_level": "trusted"},
                              status=201)
        _, rotated = self.checked("POST", "/admin/keys/%s/rotate" % key["key_id"], status=201)
        self.checked("DELETE", "/admin/keys/" + rotated["key_id"], status=200)
        # Problems: no key, a level too low, an unknown id, fields refused, a body not JSON.
        self.checked("GET", "/platform/whoami", key=None, status=401)
        self.checked("GET", "/admin/clients", key="internal", status=403)
        self.checked("GET", "/jobs/" + "0" * 64, status=404)
        _, problem = self.checked("POST", "/platform/submit", {"colour": "red"}, key="internal",
                                  status=400)
        self.assertTrue(problem["errors"], problem)
        self.checked("POST", "/admin/clients", {"client_id": "openapi-check"}, status=409)
        # A request, its status with its history, and a detail that is refused.
        put_sources(self.srv)
        _, sub = self.checked("POST", "/platform/submit",
                              {"dataset_id": "openapi", "resource_id": "r", "version_id": "v1",
                               "request_type": "vector", "source_path": "pt.csv"},
                              key="internal", status=202)
        _, full = self.checked("GET", "/platform/status/%s?detail=full" % sub["request_id"],
                               key="internal", status=200)
        self.assertEqual(full["events"][0]["reason"], "submitted")
        self.checked("GET", "/platform/status/%s?detail=brief" % sub["request_id"],
                     key="internal", status=400)


if __name__ == "__main__":
    unittest.main()
