"""Every submit validation rule of API.md through the built binary: status 400, the problem's
code, and each bad field named with its reason."""
import json
import os
import shutil
import subprocess
import time

from gp_e2e import problem, psql, run
from gp_platform import SourcesCase, body


class Validation(SourcesCase):
    """One test per submit rule of API.md: status 400, the code, and the named field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        outside = os.path.join(cls.srv.storage, "secret.tif")
        with open(outside, "wb") as f:
            f.write(b"secret")
        os.symlink(outside, os.path.join(cls.bronze, "escape.tif"))
        os.symlink(os.path.join(cls.srv.storage, "bronze", "other"),
                   os.path.join(cls.bronze, "neighbour"))
        os.makedirs(os.path.join(cls.srv.storage, "bronze", "other"), exist_ok=True)
        shutil.copy(os.path.join(cls.bronze, "grain.tif"),
                    os.path.join(cls.srv.storage, "bronze", "other", "theirs.tif"))

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
