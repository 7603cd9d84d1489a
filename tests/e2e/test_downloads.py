"""Serving a completed request's outputs: GET|HEAD /platform/data/{id}/download, files/{name} and
mosaic.json, with validators, byte ranges and ownership; GDAL reads a COG in place through
/vsicurl/ with range requests."""
import json
import os
import subprocess
import uuid

from gp_downloads import BASE, COG_TYPE, DownloadsCase, request_id
from gp_e2e import log_events, problem


class Downloads(DownloadsCase):
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

    def test_the_completion_stores_the_outputs_and_its_endpoints_answer(self):
        self.assertEqual(self.job_outputs, {"download": "lux_elev.tif"})
        # Beside the file, the facts of its STAC item (docs/stac.md).
        outputs = dict(self.outputs)
        stac = outputs.pop("stac")
        self.assertEqual(stac["rasters"][0]["file"], "lux_elev.tif")
        self.assertEqual(outputs, {"dir": self.raster_dir, "download": "lux_elev.tif",
                                   "files": ["lux_elev.overview.png"]})
        self.assertEqual(sorted(self.endpoints), ["download", "stac_item"])
        for url in self.endpoints.values():
            # Absolute, from http.public_base_url.
            self.assertTrue(url.startswith(BASE + "/"), url)
            st, _, _ = self.get(url[len(BASE):])
            self.assertEqual(st, 200, url)

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
        statuses = [e["status"] for e in log_events(log, "http")
                    if e["path"] == path and e["method"] == "GET"]
        self.assertGreater(statuses.count(206), 0, log)
        self.assertNotIn(200, statuses, log)
