"""Platform requests through the built binary: every submit validation rule, idempotency (202, 200,
409, 200 concurrent identical submits), status, listing, ownership, cancel and retry."""
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from gp_e2e import ServedTestCase, problem, psql, run

ENGINE = ["--set", "workers.lease_ms=1000", "--set", "workers.retry_base_ms=100",
          "--set", "workers.idle_poll_max_ms=100"]


def make_key(db_url, client, level):
    r = run("keys", "create", "--client", client, "--level", level, "--database-url", db_url)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def setup_clients(db_url):
    """Clients ddh (callbacks to hooks.example.org and *.ddh.example.org) and other; keys."""
    assert run("migrate", "--database-url", db_url).returncode == 0
    r = run("clients", "create", "ddh", "--callback-host", "hooks.example.org",
            "--callback-host", "*.ddh.example.org", "--database-url", db_url)
    assert r.returncode == 0, r.stderr
    assert run("clients", "create", "other", "--database-url", db_url).returncode == 0
    assert run("clients", "create", "limited", "--rate-limit", "3",
               "--database-url", db_url).returncode == 0
    return {"internal": make_key(db_url, "ddh", "internal"),
            "limited": make_key(db_url, "limited", "internal"),
            "admin": make_key(db_url, "ddh", "admin"),
            "trusted": make_key(db_url, "ddh", "trusted"),
            "other": make_key(db_url, "other", "internal")}


def make_raster(path, bands=3, dtype="Byte", srs="EPSG:4326", ullr=("5", "50", "6", "49"),
                size=32):
    """A small GeoTIFF made with gdal_create (gdal-bin, installed by the scripts)."""
    args = ["gdal_create", "-of", "GTiff", "-outsize", str(size), str(size), "-bands", str(bands),
            "-ot", dtype, "-burn", "7"]
    if srs:
        args += ["-a_srs", srs]
    if ullr:
        args += ["-a_ullr", *ullr]
    out = subprocess.run(args + [path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def put_sources(srv, client="ddh"):
    """Source files in the client's bronze folder (plus a folder of two rasters): GeoTIFFs made
    with GDAL for rasters, and real vector files from tests/data (both are read with GDAL)."""
    folder = os.path.join(srv.storage, "bronze", client)
    os.makedirs(os.path.join(folder, "tiles"), exist_ok=True)
    make_raster(os.path.join(folder, "grain.tif"))
    make_raster(os.path.join(folder, "lux_elev.tif"), bands=1, dtype="Float32")
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    for name in ("pt.csv", "nybb_16a.zip"):
        shutil.copy(os.path.join(data, name), os.path.join(folder, name))
    for i in range(2):
        shutil.copy(os.path.join(folder, "grain.tif"),
                    os.path.join(folder, "tiles", "t%d.tif" % i))
    return folder


class Api:
    def __init__(self, test, srv, key):
        self.test, self.srv, self.key = test, srv, key

    def __call__(self, method, path, body=None, key=None, raw=None, headers=None):
        h = {"X-Platform-API-Key": key or self.key}
        data = raw
        if body is not None:
            h["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        h.update(headers or {})
        st, hdrs, out = self.srv.call(method, path, body=data, headers=h)
        return st, hdrs, out

    def json(self, method, path, body=None, key=None):
        st, hdrs, out = self(method, path, body, key)
        return st, hdrs, json.loads(out) if out else None

    def wait(self, request_id, statuses=("completed", "failed", "cancelled"), timeout=30,
             key=None):
        deadline = time.time() + timeout
        doc = None
        while time.time() < deadline:
            st, _, doc = self.json("GET", "/platform/status/" + request_id, key=key)
            self.test.assertEqual(st, 200, "%s\n%s" % (doc, self.srv.output()[-3000:]))
            if doc["status"] in statuses:
                return doc
            time.sleep(0.05)
        self.test.fail("request %s did not reach %s: %s\n%s" % (
            request_id, statuses, doc, self.srv.output()[-3000:]))


DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


class ClientCase(ServedTestCase):
    """A served node (ENGINE settings) with the clients of setup_clients, the ddh client's bronze
    folder (`bronze`, with the files of tests/data named in `sources`), its silver folder
    (`silver`) and `api` calling with the internal key. Subclasses add the tests."""
    server_args = ENGINE
    sources = ()
    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bronze = os.path.join(cls.srv.storage, "bronze", "ddh")
        cls.silver = os.path.join(cls.srv.storage, "silver", "ddh")
        os.makedirs(cls.bronze, exist_ok=True)
        for name in cls.sources:
            shutil.copy(os.path.join(DATA, name), cls.bronze)

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])


def body(**kw):
    b = {"dataset_id": "roads", "resource_id": "main", "version_id": "v1",
         "request_type": "raster", "source_path": "grain.tif"}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not None}


class Validation(ServedTestCase):
    """One test per submit rule of API.md: status 400, the code, and the named field."""

    server_args = ENGINE
    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bronze = put_sources(cls.srv)
        outside = os.path.join(cls.srv.storage, "secret.tif")
        with open(outside, "wb") as f:
            f.write(b"secret")
        os.symlink(outside, os.path.join(cls.bronze, "escape.tif"))
        os.symlink(os.path.join(cls.srv.storage, "bronze", "other"),
                   os.path.join(cls.bronze, "neighbour"))
        os.makedirs(os.path.join(cls.srv.storage, "bronze", "other"), exist_ok=True)
        shutil.copy(os.path.join(cls.bronze, "grain.tif"),
                    os.path.join(cls.srv.storage, "bronze", "other", "theirs.tif"))

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def rejects(self, b, *fields, code="validation_error"):
        """400 with `code`, naming each field; a field given as (field, reason) must also carry
        a message containing that reason."""
        doc = problem(self, self.api("POST", "/platform/submit", b), 400, code)
        errors = doc.get("errors", [])
        for f in fields:
            field, reason = f if isinstance(f, tuple) else (f, "")
            messages = [e["message"] for e in errors if e["field"] == field]
            self.assertTrue(messages, "%s not named: %s" % (field, doc))
            self.assertTrue(any(reason in m for m in messages),
                            "%s: no message with %r: %s" % (field, reason, doc))
        for e in errors:
            self.assertTrue(e["message"], doc)
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests WHERE "
                                           "dataset_id = 'rejected'"), "0")
        return doc

    def test_unknown_top_level_field(self):
        self.rejects(body(dataset_id="rejected", colour="red"), ("colour", "is not a known field"))

    def test_body_must_be_an_object(self):
        doc = problem(self, self.api("POST", "/platform/submit", raw=b"[1, 2]",
                                     headers={"Content-Type": "application/json"}), 400,
                      "validation_error")
        self.assertEqual([e["field"] for e in doc["errors"]], ["(body)"], doc)

    def test_dataset_id_is_required(self):
        self.rejects(body(dataset_id=None), ("dataset_id", "is required"))

    def test_dataset_id_pattern(self):
        for bad in ("-lead", "has space", "a/b", "ü"):
            self.rejects(body(dataset_id=bad), ("dataset_id", "must be 1-255 characters of letters, digits"))

    def test_dataset_id_length(self):
        self.rejects(body(dataset_id="d" * 256), ("dataset_id", "must be 1-255 characters of letters, digits"))

    def test_dataset_id_must_be_a_string(self):
        self.rejects(body(dataset_id=7), ("dataset_id", "must be a string"))

    def test_resource_id_is_required_and_checked(self):
        self.rejects(body(resource_id=None), ("resource_id", "is required"))
        self.rejects(body(resource_id=".hidden"), ("resource_id", "starting with a letter or digit"))

    def test_version_id_length(self):
        self.rejects(body(version_id="v" * 51), ("version_id", "must be 1-50 characters"))

    def test_request_type(self):
        self.rejects(body(request_type="mesh"), ("request_type", "must be vector, raster or collection"))
        self.rejects(body(request_type=None), ("request_type", "is required"))

    def test_source_path_is_required(self):
        self.rejects(body(source_path=None), ("source_path", "is required"))
        self.rejects(body(source_path=""), ("source_path", "must not be empty"))

    def test_source_path_dotdot_segment(self):
        self.rejects(body(source_path="../other/theirs.tif"), ("source_path", "must not contain a '..' segment"))
        self.rejects(body(source_path="tiles/../../other/theirs.tif"),
                     ("source_path", "must not contain a '..' segment"))

    def test_source_path_absolute(self):
        self.rejects(body(source_path=os.path.join(self.bronze, "grain.tif")),
                     ("source_path", "must be relative to your bronze folder, not absolute"))

    def test_source_path_nul_byte(self):
        self.rejects(body(source_path="grain.tif\u0000.png"), ("source_path", "NUL"))

    def test_source_path_symlink_leaving_the_folder(self):
        self.rejects(body(source_path="escape.tif"), ("source_path", "leads outside your bronze folder"))
        self.rejects(body(source_path="neighbour/theirs.tif"),
                     ("source_path", "leads outside your bronze folder"))

    def test_source_path_that_does_not_exist(self):
        doc = problem(self, self.api("POST", "/platform/submit",
                                     body(source_path="missing.tif")), 400, "source_not_found")
        self.assertEqual(doc["errors"][0]["field"], "source_path")
        self.assertNotIn(self.srv.storage, doc["detail"])

    def test_source_path_of_another_client_is_not_found(self):
        # other's file, named as if it were ours: resolved inside our own folder only.
        self.rejects(body(dataset_id="rejected", source_path="theirs.tif"),
                     ("source_path", "does not exist"), code="source_not_found")

    def test_a_missing_source_is_listed_with_the_other_bad_fields(self):
        doc = self.rejects(body(dataset_id="rejected", version_id="-v", source_path="missing.tif"),
                           ("version_id", "starting with a letter or digit"),
                           ("source_path", "does not exist"))
        self.assertEqual(len(doc["errors"]), 2, doc)
        # A source of the wrong kind too; a path already refused is not looked up.
        self.rejects(body(dataset_id="rejected", version_id="-v", request_type="collection"),
                     ("version_id", "starting"),
                     ("source_path", "must be a folder for a collection request"))
        doc = self.rejects(body(dataset_id="rejected", version_id="-v", source_path="../x.tif"),
                           ("source_path", "'..'"))
        self.assertEqual(sorted(e["field"] for e in doc["errors"]), ["source_path", "version_id"],
                         doc)

    def test_source_kind_matches_the_request_type(self):
        self.rejects(body(request_type="collection", source_path="grain.tif"),
                     ("source_path", "must be a folder for a collection request"))
        self.rejects(body(request_type="raster", source_path="tiles"),
                     ("source_path", "must be a file for a raster request"))

    def test_virtual_paths_need_the_operator(self):
        self.rejects(body(source_path="/vsis3/bucket/a.tif"),
                     ("source_path", "GDAL virtual paths are not enabled on this service"))

    def test_processing_config_must_be_an_object(self):
        self.rejects(body(processing_config=[1]), ("processing_config", "must be an object"))

    def test_processing_config_unknown_key(self):
        self.rejects(body(processing_config={"layer_name": "x"}),
                     ("processing_config.layer_name", "is not a setting of raster requests"))
        self.rejects(body(request_type="vector", source_path="pt.csv",
                          processing_config={"compression": "lzw"}),
                     ("processing_config.compression", "is not a setting of vector requests"))

    def test_compression(self):
        self.rejects(body(processing_config={"compression": "gzip"}),
                     ("processing_config.compression", "must be one of: deflate, lzw, zstd, jpeg"))

    def test_jpeg_needs_8_bit_data_with_1_or_3_bands(self):
        def raster(name, bands, dtype):
            out = subprocess.run(["gdal_create", "-of", "GTiff", "-outsize", "16", "16",
                                  "-bands", str(bands), "-ot", dtype, "-burn", "7",
                                  "-a_srs", "EPSG:4326", "-a_ullr", "0", "1", "1", "0",
                                  os.path.join(self.bronze, name)], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
        raster("rgb8.tif", 3, "Byte")
        raster("dem16.tif", 1, "UInt16")
        raster("rgba8.tif", 4, "Byte")
        jpeg = {"compression": "jpeg"}
        st, _, raw = self.api("POST", "/platform/submit",
                              body(dataset_id="jpeg-ok", source_path="rgb8.tif",
                                   processing_config=jpeg))
        self.assertEqual(st, 202, raw)
        doc = self.rejects(body(dataset_id="rejected", source_path="dem16.tif",
                                processing_config=jpeg), "processing_config.compression")
        self.assertIn("8-bit", doc["errors"][0]["message"])
        doc = self.rejects(body(dataset_id="rejected", source_path="rgba8.tif",
                                processing_config=jpeg), "processing_config.compression")
        self.assertIn("1 or 3 bands", doc["errors"][0]["message"])
        doc = self.rejects(body(dataset_id="rejected", source_path="pt.csv", request_type="raster",
                                processing_config=jpeg), "processing_config.compression")
        self.assertIn("GDAL can read", doc["errors"][0]["message"])
        # A collection is checked on its first matching file.
        os.makedirs(os.path.join(self.bronze, "deep"), exist_ok=True)
        os.rename(os.path.join(self.bronze, "dem16.tif"),
                  os.path.join(self.bronze, "deep", "a.tif"))
        self.rejects(body(dataset_id="rejected", request_type="collection", source_path="deep",
                          processing_config=jpeg),
                     ("processing_config.compression", "jpeg needs 8-bit samples"))

    def test_nodata_is_a_number(self):
        self.rejects(body(processing_config={"nodata": "none"}),
                     ("processing_config.nodata", "must be a number"))

    def test_blocksize(self):
        self.rejects(body(processing_config={"blocksize": 300}),
                     ("processing_config.blocksize", "must be 256, 512 or 1024"))

    def test_source_crs(self):
        self.rejects(body(processing_config={"source_crs": "EPSG:abc"}),
                     ("processing_config.source_crs", "must be EPSG:<code>"))
        self.rejects(body(request_type="vector", source_path="pt.csv",
                          processing_config={"source_crs": "mercator"}),
                     ("processing_config.source_crs", "must be EPSG:<code>"))

    def test_vector_column_settings_are_strings(self):
        self.rejects(body(request_type="vector", source_path="pt.csv",
                          processing_config={"lat_column": 3, "lon_column": ""}),
                     ("processing_config.lat_column", "must be a non-empty string"),
                     ("processing_config.lon_column", "must be a non-empty string"))

    def test_collection_pattern(self):
        self.rejects(body(request_type="collection", source_path="tiles",
                          processing_config={"pattern": "sub/*.tif"}),
                     ("processing_config.pattern", "must be a file-name glob"))

    def test_callback_url_scheme(self):
        self.rejects(body(callback_url="ftp://hooks.example.org/x"),
                     ("callback_url", "must be an http:// or https:// URL"))

    def test_callback_url_host_must_be_allowed(self):
        self.rejects(body(callback_url="https://evil.example.com/hook"),
                     ("callback_url",
                      "host evil.example.com is not among your client's callback hosts"))
        self.rejects(body(callback_url="https://hooks.example.org@evil.example.com/"),
                     ("callback_url", "must not contain user information"))

    def test_client_request_id_length(self):
        self.rejects(body(client_request_id="c" * 256),
                     ("client_request_id", "must be at most 255 characters"))

    def test_every_bad_field_is_reported_at_once(self):
        doc = self.rejects({"dataset_id": "", "version_id": "v" * 60, "request_type": "mesh",
                            "source_path": "../x", "extra": 1},
                           ("dataset_id", "must be 1-255 characters"),
                           ("resource_id", "is required"), ("version_id", "must be 1-50"),
                           ("request_type", "must be vector, raster or collection"),
                           ("source_path", "'..'"), ("extra", "is not a known field"))
        self.assertEqual(len(doc["errors"]), 6, doc)

    def test_a_clients_submissions_are_rate_limited(self):
        # Three a minute: any three answers (here: no such source), then 429 with Retry-After.
        key = self.keys["limited"]
        for _ in range(3):
            problem(self, self.api("POST", "/platform/submit", body(dataset_id="rejected"),
                                   key=key), 400, "source_not_found")
        st, hdrs, raw = self.api("POST", "/platform/submit", body(dataset_id="rejected"), key=key)
        doc = problem(self, (st, hdrs, raw), 429, "rate_limited")
        self.assertIn("3 requests a minute", doc["detail"])
        self.assertTrue(1 <= int(hdrs["retry-after"]) <= 20, hdrs)
        # Other routes of that client, and other clients' submissions, are not limited by it.
        self.assertEqual(self.api("GET", "/platform/requests", key=key)[0], 200)
        problem(self, self.api("POST", "/platform/submit", body(dataset_id="rejected",
                                                               source_path="missing.tif")),
                400, "source_not_found")
        # An operator raises the limit: the running node applies it within auth.cache_ttl_ms.
        r = run("clients", "update", "limited", "--rate-limit", "6000",
                "--database-url", self.db.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.time() + 10
        while True:
            st, _, raw = self.api("POST", "/platform/submit", body(dataset_id="rejected"), key=key)
            if st != 429:
                break
            self.assertLess(time.time(), deadline, "the raised limit was not applied")
            time.sleep(0.2)
        self.assertEqual(st, 400, raw)

    def test_media_type_and_size(self):
        problem(self, self.api("POST", "/platform/submit", raw=b"dataset_id=x",
                               headers={"Content-Type": "text/plain"}), 415,
                "unsupported_media_type")
        big = json.dumps(body(client_request_id="x" * (1 << 20))).encode()
        problem(self, self.api("POST", "/platform/submit", raw=big,
                               headers={"Content-Type": "application/json"}), 413,
                "payload_too_large")

    def test_keys_and_levels(self):
        problem(self, self.srv.call("POST", "/platform/submit", json.dumps(body()).encode(),
                                    {"Content-Type": "application/json"}), 401, "unauthorized")
        problem(self, self.api("POST", "/platform/submit", body(), key=self.keys["trusted"]), 403,
                "forbidden")
        problem(self, self.api("GET", "/platform/requests", key=self.keys["trusted"]), 403,
                "forbidden")
        rid = "0" * 32
        routes = (("GET", "/platform/status/" + rid), ("GET", "/platform/requests"),
                  ("DELETE", "/platform/requests/" + rid),
                  ("POST", "/platform/requests/%s/retry" % rid))
        for method, path in routes:
            # No key, an unknown key, a key in the Bearer form that is unknown: 401.
            problem(self, self.srv.call(method, path), 401, "unauthorized")
            problem(self, self.api(method, path, key="gp_abcdefgh_" + "x" * 43), 401,
                    "unauthorized")
            problem(self, self.srv.call(method, path, headers={
                "Authorization": "Bearer gp_abcdefgh_" + "y" * 43}), 401, "unauthorized")
            # A trusted (read-only partner) key may not use the request routes.
            problem(self, self.api(method, path, key=self.keys["trusted"]), 403, "forbidden")

    def test_list_parameters(self):
        doc = problem(self, self.api("GET", "/platform/requests?status=done&limit=501&cursor=zz"),
                      400, "validation_error")
        self.assertEqual(sorted(e["field"] for e in doc["errors"]),
                         ["cursor", "limit", "status"])
        doc = problem(self, self.api("GET", "/platform/requests?client_id=other"), 400,
                      "validation_error")
        self.assertEqual(doc["errors"][0]["field"], "client_id")
        for query, field in (("limit=0", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"),
                             ("dataset_id=" + "d" * 256, "dataset_id"),
                             ("status=Completed", "status")):
            doc = problem(self, self.api("GET", "/platform/requests?" + query), 400,
                          "validation_error")
            self.assertEqual([e["field"] for e in doc["errors"]], [field], doc)
            self.assertTrue(doc["errors"][0]["message"], doc)
        for query in ("limit=1", "limit=500", "status=pending", "dataset_id=roads"):
            st, _, doc = self.api.json("GET", "/platform/requests?" + query)
            self.assertEqual(st, 200, (query, doc))

    def test_unknown_requests_are_404(self):
        for rid in ("0" * 32, "not-an-id", "A" * 32, "0" * 31, "0" * 33):
            for method, path in (("GET", "/platform/status/" + rid),
                                 ("DELETE", "/platform/requests/" + rid),
                                 ("POST", "/platform/requests/" + rid + "/retry")):
                doc = problem(self, self.api(method, path), 404, "not_found")
                self.assertIn(rid, doc["detail"])

    def test_version_id_pattern_and_request_type_type(self):
        self.rejects(body(version_id="v 1"), ("version_id", "must be 1-50 characters"))
        self.rejects(body(version_id=None), ("version_id", "is required"))
        self.rejects(body(request_type=3), ("request_type", "must be"))


class Requests(ServedTestCase):
    """The request life cycle on the built-in pipeline (inspect_source, then noop)."""

    server_args = ENGINE
    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bronze = put_sources(cls.srv)

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def submit(self, b, expect=202, key=None):
        st, hdrs, doc = self.api.json("POST", "/platform/submit", b, key=key)
        self.assertEqual(st, expect, doc)
        return hdrs, doc

    def test_submit_then_repeat_then_conflict(self):
        b = body(dataset_id="idem", client_request_id="ddh-1",
                 callback_url="https://hooks.example.org/done")
        hdrs, doc = self.submit(b)
        rid = doc["request_id"]
        self.assertRegex(rid, r"^[0-9a-f]{32}$")
        self.assertEqual(doc["status"], "accepted")
        url = "http://127.0.0.1:%d/platform/status/%s" % (self.srv.port, rid)
        self.assertEqual(doc["status_url"], url)
        self.assertEqual(hdrs["location"], url)
        self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
        self.assertIn("estimated_completion", doc)
        # The row is durable when the 202 arrives.
        self.assertEqual(psql(self.db.url, "SELECT client_id || ' ' || callback_url FROM "
                                           "platform.requests WHERE request_id = '%s'" % rid),
                         "ddh https://hooks.example.org/done")
        # Same identity and payload, other callback and reference: 200, the first ones stay.
        _, again = self.submit(dict(b, client_request_id="ddh-2",
                                    callback_url="https://x.ddh.example.org/"), expect=200)
        self.assertEqual(again["request_id"], rid)
        self.assertIn(again["status"], ("pending", "processing", "completed"))
        # Defaults are part of the comparison: deflate is the default compression.
        self.submit(dict(b, processing_config={"compression": "deflate"}), expect=200)
        # A different payload is a conflict that names the existing request.
        st, _, raw = self.api("POST", "/platform/submit",
                              dict(b, processing_config={"compression": "zstd"}))
        doc = problem(self, (st, {"content-type": "application/problem+json"}, raw), 409,
                      "conflict")
        self.assertEqual(doc["existing_request_id"], rid)
        done = self.api.wait(rid)
        self.assertEqual(done["status"], "completed")
        self.assertEqual(done["client_request_id"], "ddh-1")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests WHERE "
                                           "dataset_id = 'idem'"), "1")

    def test_a_repeat_needs_neither_its_source_nor_an_allowed_callback(self):
        shutil.copy(os.path.join(self.bronze, "grain.tif"), os.path.join(self.bronze, "gone.tif"))
        b = body(dataset_id="gone", source_path="gone.tif")
        _, doc = self.submit(b)
        os.remove(os.path.join(self.bronze, "gone.tif"))
        # Nothing is processed again, so the source is not looked at and the callback_url is not
        # compared (the first one stays): 200, or 409 for another payload.
        _, again = self.submit(dict(b, callback_url="https://evil.example.com/hook"), expect=200)
        self.assertEqual(again["request_id"], doc["request_id"])
        self.submit(b, expect=200)
        conflict = problem(self, self.api("POST", "/platform/submit",
                                          dict(b, processing_config={"compression": "lzw"})),
                           409, "conflict")
        self.assertEqual(conflict["existing_request_id"], doc["request_id"])
        # A new identity with that source is refused.
        problem(self, self.api("POST", "/platform/submit", dict(b, version_id="v2")), 400,
                "source_not_found")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests "
                                           "WHERE dataset_id = 'gone'"), "1")

    def test_status_body_of_a_completed_request(self):
        _, doc = self.submit(body(dataset_id="status", request_type="vector",
                                  source_path="pt.csv"))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(done["progress_percent"], 100)
        for field in ("request_id", "status", "progress_percent", "message", "dataset_id",
                      "resource_id", "version_id", "request_type", "client_request_id",
                      "created_at", "started_at", "completed_at", "jobs", "endpoints",
                      "stac_metadata", "error", "callback_status"):
            self.assertIn(field, done)
        self.assertRegex(done["completed_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIsNotNone(done["started_at"])
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["ingest_vector", "stac_catalog_vectors"])
        self.assertTrue(all(j["status"] == "completed" for j in done["jobs"]))
        self.assertIsNone(done["error"])
        # Endpoints name what the request serves, and every one of them answers.
        self.assertEqual(sorted(done["endpoints"]), ["download", "features", "stac_item"])
        base = "http://127.0.0.1:%d" % self.srv.port
        answers = {}
        for name, url in done["endpoints"].items():
            self.assertTrue(url.startswith(base + "/"), url)
            st, hdrs, data = answers[name] = self.api("GET", url[len(base):])
            self.assertEqual(st, 200, (name, data[:300]))
        self.assertEqual(answers["download"][1]["content-type"], "application/geopackage+sqlite3")
        _, hdrs, data = answers["features"]
        self.assertEqual(hdrs["content-type"], "application/geo+json")
        self.assertEqual(json.loads(data)["numberMatched"], 3)
        # The source was loaded: its facts and content hash are in the first job's result.
        result = json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                 % done["jobs"][0]["job_id"]))
        with open(os.path.join(self.bronze, "pt.csv"), "rb") as f:
            self.assertEqual(result["facts"]["sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(result["facts"]["feature_count"], 3)
        # The same status after the node forgot it (read from the row) is identical.
        st, hdrs, again = self.api.json("GET", "/platform/status/" + doc["request_id"])
        self.assertEqual(again, done)
        self.assertNotIn("retry-after", hdrs)

    def test_collection_of_a_folder(self):
        _, doc = self.submit(body(dataset_id="coll", request_type="collection",
                                  source_path="tiles", processing_config={"pattern": "t*.tif"}))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["process_raster_collection", "create_mosaic_json",
                          "stac_catalog_collection"])
        # The first stage listed and hashed the two matching files.
        result = json.loads(psql(self.db.url, "SELECT result FROM app.tasks WHERE job_id = '%s' "
                                 "AND stage = 1" % done["jobs"][0]["job_id"]))
        self.assertEqual(result["count"], 2)
        self.assertEqual(done["endpoints"]["mosaic"], "http://127.0.0.1:%d/platform/data/%s/"
                         "mosaic.json" % (self.srv.port, doc["request_id"]))

    def test_an_empty_folder_fails_with_a_specific_code(self):
        os.makedirs(os.path.join(self.bronze, "empty"), exist_ok=True)
        _, doc = self.submit(body(dataset_id="empty", request_type="collection",
                                  source_path="empty"))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "failed")
        self.assertEqual(done["error"]["code"], "no_matching_files")

    def test_failed_then_retried_after_the_cause_is_fixed(self):
        folder = os.path.join(self.bronze, "later")
        os.makedirs(folder, exist_ok=True)
        _, doc = self.submit(body(dataset_id="retry", request_type="collection",
                                  source_path="later"))
        rid = doc["request_id"]
        # Nothing matches *.tif yet: the first job fails with a code the client can act on.
        failed = self.api.wait(rid)
        self.assertEqual(failed["status"], "failed", failed)
        self.assertEqual(failed["error"]["code"], "no_matching_files")
        # About the source: unchanged, a retry fails again (this one changes the folder first).
        self.assertFalse(failed["error"]["retryable"])
        self.assertEqual(failed["jobs"][0]["status"], "failed")
        problem(self, self.api("DELETE", "/platform/requests/" + rid), 409, "conflict")
        shutil.copy(os.path.join(self.bronze, "grain.tif"), os.path.join(folder, "a.tif"))
        st, _, retried = self.api.json("POST", "/platform/requests/%s/retry" % rid)
        self.assertEqual(st, 202, retried)
        self.assertEqual(retried["status"], "processing")
        self.assertIsNone(retried["error"])
        done = self.api.wait(rid)
        self.assertEqual(done["status"], "completed", done)
        # The failed job was reset in place, not duplicated: one job per step.
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.jobs WHERE "
                                           "platform_request_id = '%s'" % rid), "3")
        self.assertEqual(done["jobs"][0]["job_id"], failed["jobs"][0]["job_id"])
        self.assertEqual(psql(self.db.url, "SELECT attempts FROM app.tasks t JOIN app.jobs j "
                                           "USING (job_id) WHERE j.job_id = '%s' AND t.stage = 1"
                              % failed["jobs"][0]["job_id"]), "1")
        problem(self, self.api("POST", "/platform/requests/%s/retry" % rid), 409, "conflict")

    def test_another_clients_request_is_404(self):
        _, doc = self.submit(body(dataset_id="mine"))
        rid = doc["request_id"]
        other = self.keys["other"]
        for method, path in (("GET", "/platform/status/" + rid),
                             ("DELETE", "/platform/requests/" + rid),
                             ("POST", "/platform/requests/%s/retry" % rid)):
            problem(self, self.api(method, path, key=other), 404, "not_found")
        st, _, page = self.api.json("GET", "/platform/requests", key=other)
        self.assertEqual(st, 200)
        self.assertNotIn(rid, [r["request_id"] for r in page["requests"]])
        # An admin key sees every client's requests.
        st, _, doc = self.api.json("GET", "/platform/status/" + rid, key=self.keys["admin"])
        self.assertEqual((st, doc["request_id"]), (200, rid))
        # The same identity under another client is another request.
        other_folder = put_sources(self.srv, "other")
        self.assertTrue(os.path.isdir(other_folder))
        _, theirs = self.submit(body(dataset_id="mine"), key=other)
        self.assertNotEqual(theirs["request_id"], rid)

    def test_listing_filters_and_pages(self):
        ids = []
        for i in range(3):
            _, doc = self.submit(body(dataset_id="listed", version_id="v%d" % i))
            ids.append(doc["request_id"])
        for rid in ids:
            self.api.wait(rid)
        st, _, page = self.api.json("GET", "/platform/requests?dataset_id=listed&limit=2")
        self.assertEqual(st, 200, page)
        self.assertEqual([r["request_id"] for r in page["requests"]], ids[::-1][:2])
        self.assertIsNotNone(page["next_cursor"])
        st, _, rest = self.api.json("GET", "/platform/requests?dataset_id=listed&cursor=" +
                                    page["next_cursor"])
        self.assertEqual([r["request_id"] for r in rest["requests"]], ids[:1])
        self.assertIsNone(rest["next_cursor"])
        st, _, done = self.api.json("GET", "/platform/requests?dataset_id=listed&status=failed")
        self.assertEqual(done["requests"], [])

    def test_200_concurrent_identical_submits_make_one_request(self):
        b = body(dataset_id="stampede", request_type="vector", source_path="nybb_16a.zip")
        answers = []
        lock = threading.Lock()

        def one():
            st, _, raw = self.api("POST", "/platform/submit", b)
            with lock:
                answers.append((st, json.loads(raw)))

        threads = [threading.Thread(target=one) for _ in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(answers), 200)
        statuses = sorted(st for st, _ in answers)
        self.assertEqual(statuses.count(202), 1, statuses)
        self.assertEqual(statuses.count(200), 199, statuses)
        self.assertEqual(len({doc["request_id"] for _, doc in answers}), 1)
        rid = answers[0][1]["request_id"]
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests WHERE "
                                           "dataset_id = 'stampede'"), "1")
        self.api.wait(rid)
        # One actor: one creation and one completion in the log, one job per step.
        log = self.srv.output()
        self.assertEqual(log.count("registry: request %s created" % rid[:12]), 1)
        self.assertEqual(log.count("request %s: completed" % rid[:12]), 1)
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.jobs WHERE "
                                           "platform_request_id = '%s'" % rid), "2")
