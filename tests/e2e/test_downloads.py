"""Serving a completed request's outputs: GET|HEAD /platform/data/{id}/download, files/{name} and
mosaic.json, with validators, byte ranges and ownership; GDAL reads a COG in place through
/vsicurl/; bodies are streamed (the server's memory does not grow with the file) and a slow reader
is not cut by the write timeout."""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid

from gp_e2e import ServedTestCase, problem, psql
from test_platform import ENGINE, Api, body, make_raster, setup_clients

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
BASE = "https://geo.example.org"
BIG = 64 << 20


def request_id():
    return uuid.uuid4().hex


def insert_request(db_url, rid, client, request_type, status, outputs):
    psql(db_url, """INSERT INTO platform.requests
        (request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
         status, outputs, completed_at)
        VALUES ('%s', '%s', 'd-%s', 'main', 'v1', '%s', 'src', '%s', %s, now())""" % (
        rid, client, rid[:8], request_type, status,
        "NULL" if outputs is None else "'%s'::jsonb" % json.dumps(outputs).replace("'", "''")))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def cog(src, dst, *options):
    out = subprocess.run(["gdal_translate", "-q", "-of", "COG", *options, src, dst],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


class Downloads(ServedTestCase):
    server_args = ENGINE + ["--set", "http.public_base_url=" + BASE,
                            "--set", "http.write_timeout_s=1"]
    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv, keys = cls.srv, cls.keys
        bronze = os.path.join(srv.storage, "bronze", "ddh")
        os.makedirs(bronze, exist_ok=True)
        shutil.copy(os.path.join(DATA, "lux_elev.tif"), bronze)

        class Once:  # Api wants a test case only for its assertions
            def assertEqual(self, a, b, msg=None):
                assert a == b, msg

            def fail(self, msg):
                raise AssertionError(msg)

        api = Api(Once(), srv, keys["internal"])
        st, _, doc = api.json("POST", "/platform/submit",
                              body(dataset_id="lux", source_path="lux_elev.tif"))
        assert st == 202, doc
        done = api.wait(doc["request_id"], timeout=60)
        assert done["status"] == "completed", done
        cls.raster_id = done["request_id"]
        cls.raster_dir = os.path.join(srv.storage, "silver", "ddh", "lux", "main", "v1")
        cls.cog_path = os.path.join(cls.raster_dir, "lux_elev.tif")
        assert os.path.exists(cls.cog_path), os.listdir(cls.raster_dir)
        # process_raster reports what the request serves; its completion stores that in the
        # row once that is wired in (until then, and harmlessly after, the test stores it).
        result = json.loads(psql(cls.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                 % done["jobs"][1]["job_id"]))
        cls.outputs = result["outputs"]
        psql(cls.db.url, """UPDATE platform.requests SET outputs = '%s'::jsonb
                            WHERE request_id = '%s' AND outputs IS NULL""" % (
            json.dumps(cls.outputs), cls.raster_id))
        with open(cls.cog_path, "rb") as f:
            cls.cog_bytes = f.read()

        # A collection: two small COGs, a bigger one, a file that is not listed, a hidden one,
        # and the MosaicJSON naming them.
        cls.coll_dir = os.path.join(srv.storage, "silver", "ddh", "tiles", "main", "v1")
        os.makedirs(cls.coll_dir)
        make_raster(os.path.join(cls.coll_dir, "plain.tif"), size=64)
        cog(os.path.join(cls.coll_dir, "plain.tif"), os.path.join(cls.coll_dir, "a.tif"))
        cog(cls.cog_path, os.path.join(cls.coll_dir, "b c.tif"))
        os.unlink(os.path.join(cls.coll_dir, "plain.tif"))
        cog(cls.cog_path, os.path.join(cls.coll_dir, "wide.tif"), "-outsize", "2000", "2000",
            "-r", "bilinear", "-a_nodata", "none", "-co", "COMPRESS=NONE",
            "-co", "BLOCKSIZE=256")
        for name in ("unlisted.tif", ".hidden"):
            shutil.copy(os.path.join(cls.coll_dir, "a.tif"), os.path.join(cls.coll_dir, name))
        cls.mosaic = {"mosaicjson": "0.0.3", "name": "tiles", "minzoom": 6, "maxzoom": 12,
                      "quadkey_zoom": 6, "bounds": [5.0, 49.0, 6.6, 50.2],
                      "center": [5.8, 49.6, 6],
                      "tiles": {"120203": ["a.tif", "b c.tif"], "120212": ["b c.tif"]}}
        with open(os.path.join(cls.coll_dir, "mosaic.json"), "w") as f:
            json.dump(cls.mosaic, f)
        cls.coll_id = request_id()
        insert_request(cls.db.url, cls.coll_id, "ddh", "collection", "completed",
                       {"dir": cls.coll_dir, "files": ["a.tif", "b c.tif", "wide.tif"],
                        "mosaic": True})

        # A request that failed, one of another client, one whose file has gone, one whose
        # outputs point outside the storage.
        cls.failed_id = request_id()
        insert_request(cls.db.url, cls.failed_id, "ddh", "raster", "failed", None)
        cls.others_id = request_id()
        insert_request(cls.db.url, cls.others_id, "other", "raster", "completed",
                       {"dir": cls.raster_dir, "download": "lux_elev.tif"})
        cls.gone_id = request_id()
        insert_request(cls.db.url, cls.gone_id, "ddh", "raster", "completed",
                       {"dir": cls.raster_dir, "download": "gone.tif"})
        cls.outside_id = request_id()
        insert_request(cls.db.url, cls.outside_id, "ddh", "raster", "completed",
                       {"dir": os.path.abspath(DATA), "download": "lux_elev.tif"})
        cls.bare_id = request_id()
        insert_request(cls.db.url, cls.bare_id, "ddh", "raster", "completed", None)

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def get(self, path, headers=None, key=None, method="GET"):
        return self.api(method, path, key=key, headers=headers)

    def download(self, rid=None):
        return "/platform/data/%s/download" % (rid or self.raster_id)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.srv.port, path)

    def gdal_env(self, key=None):
        env = dict(os.environ)
        env.update({"GDAL_HTTP_HEADERS": "X-Platform-API-Key: " + (key or self.keys["internal"]),
                    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"})
        return env

    # The download of a raster request.

    def test_get_sends_the_cog_with_its_validators(self):
        st, h, data = self.get(self.download())
        self.assertEqual(st, 200, data[:300])
        self.assertEqual(data, self.cog_bytes)
        self.assertEqual(h["content-type"], COG_TYPE)
        self.assertEqual(int(h["content-length"]), len(self.cog_bytes))
        self.assertEqual(h["accept-ranges"], "bytes")
        self.assertRegex(h["etag"], r'^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$')
        self.assertRegex(h["last-modified"], r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} "
                                             r"\d\d:\d\d:\d\d GMT$")
        self.assertEqual(h["content-disposition"], 'attachment; filename="lux_elev.tif"')
        self.assertEqual(h["cache-control"], "private, no-cache")

    def test_process_raster_reports_the_outputs(self):
        self.assertEqual(self.outputs, {"dir": self.raster_dir, "download": "lux_elev.tif"})
        stored = json.loads(psql(self.db.url, "SELECT outputs FROM platform.requests "
                                 "WHERE request_id = '%s'" % self.raster_id))
        self.assertEqual(stored, self.outputs)

    def test_head_has_the_same_headers_and_no_body(self):
        _, get_h, _ = self.get(self.download())
        st, h, data = self.get(self.download(), method="HEAD")
        self.assertEqual(st, 200)
        self.assertEqual(data, b"")
        for name in ("content-type", "content-length", "etag", "last-modified", "accept-ranges"):
            self.assertEqual(h[name], get_h[name], name)

    def test_ranges_are_206_slices(self):
        size = len(self.cog_bytes)
        for rng, start, end in (("bytes=0-99", 0, 99), ("bytes=100-", 100, size - 1),
                                ("bytes=-50", size - 50, size - 1),
                                ("bytes=%d-%d" % (size - 10, size + 1000), size - 10, size - 1),
                                ("bytes=7-7", 7, 7)):
            st, h, data = self.get(self.download(), {"Range": rng})
            self.assertEqual(st, 206, rng)
            self.assertEqual(h["content-range"], "bytes %d-%d/%d" % (start, end, size), rng)
            self.assertEqual(int(h["content-length"]), end - start + 1, rng)
            self.assertEqual(data, self.cog_bytes[start:end + 1], rng)
            self.assertEqual(h["content-type"], COG_TYPE)

    def test_ranges_on_one_keep_alive_connection(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        try:
            for start in (0, 1000, 4000):
                conn.request("GET", self.download(), headers={
                    "X-Platform-API-Key": self.keys["internal"],
                    "Range": "bytes=%d-%d" % (start, start + 499)})
                r = conn.getresponse()
                self.assertEqual(r.status, 206)
                self.assertEqual(r.read(), self.cog_bytes[start:start + 500])
        finally:
            conn.close()

    def test_a_range_beyond_the_end_is_416(self):
        size = len(self.cog_bytes)
        for rng in ("bytes=%d-" % size, "bytes=99999999999999999999999-", "bytes=-0",
                    "bytes=%d-,%d-" % (size, size + 5)):
            r = self.get(self.download(), {"Range": rng})
            doc = problem(self, r, 416, "range_not_satisfiable")
            self.assertEqual(r[1]["content-range"], "bytes */%d" % size)
            self.assertIn("%d bytes" % size, doc["detail"])

    def test_unusable_ranges_are_ignored(self):
        for rng in ("bytes=abc", "bytes=10-5", "items=0-10", "bytes=0-9,20-29"):
            st, h, data = self.get(self.download(), {"Range": rng})
            self.assertEqual(st, 200, rng)
            self.assertEqual(data, self.cog_bytes, rng)
            self.assertNotIn("content-range", h)

    def test_head_ignores_range(self):
        st, h, data = self.get(self.download(), {"Range": "bytes=0-9"}, method="HEAD")
        self.assertEqual((st, data), (200, b""))
        self.assertEqual(int(h["content-length"]), len(self.cog_bytes))

    def test_if_none_match_is_304(self):
        etag = self.get(self.download(), method="HEAD")[1]["etag"]
        for method in ("GET", "HEAD"):
            st, h, data = self.get(self.download(), {"If-None-Match": etag}, method=method)
            self.assertEqual((st, data), (304, b""), method)
            self.assertEqual(h["etag"], etag)
            self.assertNotIn("content-length", h)
        st, _, data = self.get(self.download(), {"If-None-Match": '"other", W/%s' % etag})
        self.assertEqual((st, data), (304, b""))
        st, _, data = self.get(self.download(), {"If-None-Match": '"older"'})
        self.assertEqual((st, data), (200, self.cog_bytes))

    def test_if_range_with_an_old_tag_sends_the_whole_file(self):
        etag = self.get(self.download(), method="HEAD")[1]["etag"]
        st, _, data = self.get(self.download(), {"Range": "bytes=0-9", "If-Range": etag})
        self.assertEqual((st, data), (206, self.cog_bytes[:10]))
        st, _, data = self.get(self.download(), {"Range": "bytes=0-9", "If-Range": '"older"'})
        self.assertEqual((st, data), (200, self.cog_bytes))

    # Who may read.

    def test_every_level_of_the_owner_reads_and_admin_reads_all(self):
        for level in ("internal", "trusted", "admin"):
            st, _, data = self.get(self.download(), key=self.keys[level])
            self.assertEqual((st, data), (200, self.cog_bytes), level)
        st, _, data = self.get(self.download(self.others_id), key=self.keys["admin"])
        self.assertEqual((st, data), (200, self.cog_bytes))

    def test_another_clients_request_is_404(self):
        for key, rid in ((self.keys["other"], self.raster_id),
                         (self.keys["internal"], self.others_id),
                         (self.keys["trusted"], self.others_id)):
            for path in (self.download(rid), "/platform/data/%s/mosaic.json" % rid,
                         "/platform/data/%s/files/a.tif" % rid):
                doc = problem(self, self.get(path, key=key), 404, "not_found")
                self.assertEqual(doc["detail"], "no request " + rid)
        # Also once the owner's call has put the request in the edge's cache.
        self.assertEqual(self.get(self.download())[0], 200)
        doc = problem(self, self.get(self.download(), key=self.keys["other"]), 404, "not_found")
        self.assertEqual(doc["detail"], "no request " + self.raster_id)

    def test_a_key_is_required(self):
        st, h, _ = self.srv.call("GET", self.download())
        self.assertEqual(st, 401)
        self.assertEqual(h["www-authenticate"], "Bearer")

    def test_unknown_and_malformed_ids_are_404(self):
        rid = request_id()
        doc = problem(self, self.get(self.download(rid)), 404, "not_found")
        self.assertEqual(doc["detail"], "no request " + rid)
        problem(self, self.get("/platform/data/not-an-id/download"), 404, "not_found")
        problem(self, self.get("/platform/data/%s/download" % rid.upper()), 404, "not_found")

    def test_a_request_that_has_not_completed_is_409_not_ready(self):
        doc = problem(self, self.get(self.download(self.failed_id)), 409, "not_ready")
        self.assertEqual(doc["request_status"], "failed")
        self.assertEqual(doc["detail"], "request %s is failed; its outputs are served once it "
                                        "has completed" % self.failed_id)

    def test_what_a_request_does_not_have_is_404(self):
        doc = problem(self, self.get(self.download(self.coll_id)), 404, "not_found")
        self.assertEqual(doc["detail"], "request %s has no download" % self.coll_id)
        doc = problem(self, self.get("/platform/data/%s/mosaic.json" % self.raster_id), 404,
                      "not_found")
        self.assertEqual(doc["detail"], "request %s has no mosaic" % self.raster_id)
        doc = problem(self, self.get(self.download(self.bare_id)), 404, "not_found")
        self.assertEqual(doc["detail"], "request %s has no outputs to serve" % self.bare_id)

    def test_a_file_that_has_gone_is_404_and_logged(self):
        doc = problem(self, self.get(self.download(self.gone_id)), 404, "not_found")
        self.assertEqual(doc["detail"], "the file gone.tif of request %s is no longer stored"
                         % self.gone_id)
        self.assertNotIn(self.srv.storage, doc["detail"])
        self.srv.wait_log("output gone.tif of request %s is missing" % self.gone_id)

    def test_outputs_outside_the_silver_root_are_not_served(self):
        doc = problem(self, self.get(self.download(self.outside_id)), 500, "internal")
        self.assertEqual(doc["detail"], "an internal error occurred")
        self.srv.wait_log("outputs of request %s lie outside the silver root" % self.outside_id)

    def test_other_methods_are_405(self):
        st, h, _ = self.get(self.download(), method="DELETE")
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "GET, HEAD")

    # A collection's files and mosaic.

    def files(self, name, rid=None):
        return "/platform/data/%s/files/%s" % (rid or self.coll_id, name)

    def test_listed_files_are_served_with_ranges(self):
        for name, path in (("a.tif", "a.tif"), ("b%20c.tif", "b c.tif")):
            with open(os.path.join(self.coll_dir, path), "rb") as f:
                want = f.read()
            st, h, data = self.get(self.files(name))
            self.assertEqual((st, data), (200, want), name)
            self.assertEqual(h["content-type"], COG_TYPE)
            self.assertNotIn("content-disposition", h)
            st, h, data = self.get(self.files(name), {"Range": "bytes=10-19"})
            self.assertEqual((st, data), (206, want[10:20]), name)
            st, h, data = self.get(self.files(name), method="HEAD")
            self.assertEqual((st, data, int(h["content-length"])), (200, b"", len(want)))

    def test_only_plain_listed_names_are_served(self):
        for name in ("..%2F..%2Fbronze%2Fddh%2Flux_elev.tif", "%2e%2e", "%2E%2E%2Fv1%2Fa.tif",
                     ".hidden", "%2ehidden", "unlisted.tif", "mosaic.json", "a.tif%00",
                     "a.tif%2F", "A.TIF", "a.tif%", "%zz", "..", "."):
            doc = problem(self, self.get(self.files(name)), 404, "not_found")
            self.assertTrue(doc["detail"].startswith("request %s has no file " % self.coll_id)
                            or doc["detail"].startswith("no route for"), (name, doc))
            self.assertNotIn(self.srv.storage, doc["detail"])
        # A raw ../ never reaches the handler (the path has other segments then).
        problem(self, self.get("/platform/data/%s/files/../../lux/main/v1/lux_elev.tif"
                               % self.coll_id), 404, "not_found")

    def test_the_mosaic_lists_absolute_file_urls(self):
        st, h, data = self.get("/platform/data/%s/mosaic.json" % self.coll_id)
        self.assertEqual(st, 200, data)
        self.assertEqual(h["content-type"], "application/json")
        doc = json.loads(data)
        prefix = "%s/platform/data/%s/files/" % (BASE, self.coll_id)
        self.assertEqual(doc["tiles"], {"120203": [prefix + "a.tif", prefix + "b%20c.tif"],
                                        "120212": [prefix + "b%20c.tif"]})
        for key in ("mosaicjson", "name", "minzoom", "maxzoom", "quadkey_zoom", "bounds",
                    "center"):
            self.assertEqual(doc[key], self.mosaic[key], key)
        # Every URL it lists answers 200 (served under this test's address).
        for url in {u for names in doc["tiles"].values() for u in names}:
            st, _, body = self.get(url[len(BASE):])
            self.assertEqual(st, 200, url)
            self.assertTrue(body.startswith(b"II*\x00") or body.startswith(b"MM\x00*"), url)

    # GDAL reads in place.

    def test_gdal_reads_the_download_through_vsicurl_ranges(self):
        vsi = "/vsicurl/" + self.url(self.download())
        before = self.srv.output().count("GET %s -> 206" % self.download())
        info = subprocess.run(["gdalinfo", "-json", vsi], capture_output=True, text=True,
                              env=self.gdal_env())
        self.assertEqual(info.returncode, 0, info.stderr + self.srv.output()[-2000:])
        doc = json.loads(info.stdout)
        self.assertEqual(doc["size"], [95, 90])
        self.assertEqual(doc["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"], "COG")
        self.assertGreater(self.srv.output().count("GET %s -> 206" % self.download()), before)
        check = subprocess.run(["/usr/bin/python3", "-m",
                                "osgeo_utils.samples.validate_cloud_optimized_geotiff", vsi],
                               capture_output=True, text=True, env=self.gdal_env())
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("is a valid cloud optimized GeoTIFF", check.stdout)

    def test_gdal_without_a_key_is_refused(self):
        env = self.gdal_env()
        del env["GDAL_HTTP_HEADERS"]
        info = subprocess.run(["gdalinfo", "/vsicurl/" + self.url(self.download())],
                              capture_output=True, text=True, env=env)
        self.assertNotEqual(info.returncode, 0)

    def window_checksums(self, remote, local, window):
        sums = []
        for src in (remote, local):
            out = os.path.join(self.srv.storage, "win_%s.tif" % uuid.uuid4().hex[:8])
            r = subprocess.run(["gdal_translate", "-q", "-srcwin", *map(str, window), src, out],
                               capture_output=True, text=True, env=self.gdal_env())
            self.assertEqual(r.returncode, 0, r.stderr)
            info = json.loads(subprocess.run(["gdalinfo", "-json", "-checksum", out],
                                             capture_output=True, text=True, check=True).stdout)
            self.assertEqual(info["size"], list(window[2:]))
            sums.append(info["bands"][0]["checksum"])
        return sums

    def test_gdal_translate_of_a_window_through_vsicurl(self):
        remote, local = self.window_checksums("/vsicurl/" + self.url(self.download()),
                                              self.cog_path, (10, 20, 40, 30))
        self.assertEqual(remote, local)

    def test_a_window_of_a_large_cog_reads_only_ranges(self):
        path = self.files("wide.tif")
        size = os.path.getsize(os.path.join(self.coll_dir, "wide.tif"))
        self.assertGreater(size, 7 << 20)
        seen = len(self.srv.output())
        remote, local = self.window_checksums("/vsicurl/" + self.url(path),
                                              os.path.join(self.coll_dir, "wide.tif"),
                                              (1000, 1000, 100, 100))
        self.assertEqual(remote, local)
        log = self.srv.output()[seen:]
        self.assertGreater(log.count("GET %s -> 206" % path), 0, log)
        self.assertNotIn("GET %s -> 200" % path, log)

    # Streaming.

    def test_a_large_file_is_streamed_without_growing_the_server(self):
        big_dir = os.path.join(self.srv.storage, "silver", "ddh", "big", "main", "v1")
        os.makedirs(big_dir)
        digest = hashlib.sha256()
        with open(os.path.join(big_dir, "big.tif"), "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(BIG >> 20):
                chunk = block[i:] + block[:i]
                digest.update(chunk)
                f.write(chunk)
        rid = request_id()
        insert_request(self.db.url, rid, "ddh", "raster", "completed",
                       {"dir": big_dir, "download": "big.tif"})
        self.get(self.download(rid), method="HEAD")  # warm up: row cached, buffers allocated
        pid = self.srv.proc.pid
        before = rss_kib(pid)
        got = hashlib.sha256()
        received = 0
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "Connection: close\r\n\r\n" % (self.download(rid), self.keys["internal"])
                       ).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(65536)
            head, rest = head.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            self.assertIn(b"Content-Length: %d" % BIG, head)
            got.update(rest)
            received += len(rest)
            peak = before
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                got.update(data)
                received += len(data)
                if received % (8 << 20) < len(data):
                    peak = max(peak, rss_kib(pid))
        elapsed = time.monotonic() - started
        after = rss_kib(pid)
        self.assertEqual(received, BIG)
        self.assertEqual(got.hexdigest(), digest.hexdigest())
        grown_mib = (max(peak, after) - before) / 1024
        print("streamed %d MiB in %.2f s; server RSS %d -> peak %d -> %d KiB" % (
            BIG >> 20, elapsed, before, peak, after))
        self.assertLess(grown_mib, 16, "server RSS grew by %.1f MiB" % grown_mib)

    def test_a_slow_reader_is_not_cut_by_the_write_timeout(self):
        # write_timeout is 1 s here; a reader taking the 10 MiB file at under 3 MiB/s keeps the
        # server writing for well over 1 s (more than the socket buffers can absorb).
        path = self.files("wide.tif")
        with open(os.path.join(self.coll_dir, "wide.tif"), "rb") as f:
            want = f.read()
        cid = "slow-reader-" + uuid.uuid4().hex[:8]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.port))
        data = b""
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "X-Correlation-Id: %s\r\nConnection: close\r\n\r\n"
                       % (path, self.keys["internal"], cid)).encode())
            while True:
                piece = s.recv(128 * 1024)
                if not piece:
                    break
                data += piece
                time.sleep(0.04)
        finally:
            s.close()
        head, _, got = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertEqual(len(got), len(want))
        self.assertTrue(got == want)
        self.srv.wait_log("cid=" + cid)
        took = re.search(r"GET %s -> 200 ([0-9.]+)ms cid=%s" % (re.escape(path), cid),
                         self.srv.output())
        self.assertIsNotNone(took)
        self.assertGreater(float(took.group(1)), 1000.0)

    def test_a_reader_that_stops_is_dropped(self):
        path = self.files("wide.tif")
        want_size = os.path.getsize(os.path.join(self.coll_dir, "wide.tif"))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.port))
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Platform-API-Key: %s\r\n"
                       "Connection: close\r\n\r\n" % (path, self.keys["internal"])).encode())
            time.sleep(3)  # 1 s without progress closes the connection
            received = 0
            try:
                while True:
                    data = s.recv(1 << 20)
                    if not data:
                        break
                    received += len(data)
            except ConnectionResetError:
                pass
        finally:
            s.close()
        self.assertLess(received, want_size)
