"""What geodata requests leave behind: the outputs and endpoints of completed raster and
collection requests, MosaicJSON over a collection's COGs, incremental reuse of a completed
version with the same source and settings, source limits, and no files left by a request that
failed."""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile

from gp_e2e import psql
from gp_platform import ClientCase, DATA, ENGINE, body, make_raster

LIMITS = ["--set", "limits.max_megapixels=1", "--set", "limits.max_source_mib=2",
          "--set", "limits.max_kml_mib=1"]


def cog_valid(path):
    out = subprocess.run(["/usr/bin/python3", "-m",
                          "osgeo_utils.samples.validate_cloud_optimized_geotiff", path],
                         capture_output=True, text=True)
    return out.returncode == 0, out.stdout + out.stderr


class GeodataOutputs(ClientCase):
    server_args = ENGINE + LIMITS
    sources = ("lux_elev.tif", "grain.tif", "rgb_logo.tif")

    def run_request(self, **kw):
        st, _, doc = self.api.json("POST", "/platform/submit", body(**kw))
        self.assertEqual(st, 202, doc)
        return self.api.wait(doc["request_id"])

    def outputs(self, rid):
        return json.loads(psql(self.db.url, "SELECT coalesce(outputs::text, 'null') FROM "
                               "platform.requests WHERE request_id = '%s'" % rid))

    def collection(self, name, files):
        folder = os.path.join(self.bronze, name)
        os.makedirs(folder, exist_ok=True)
        for f in files:
            shutil.copy(os.path.join(self.bronze, f), folder)
        return name

    def test_a_completed_raster_names_its_cog_and_its_download(self):
        done = self.run_request(dataset_id="out-raster", source_path="lux_elev.tif")
        self.assertEqual(done["status"], "completed", done)
        rid = done["request_id"]
        self.assertEqual(done["endpoints"],
                         {"download": self.srv_base() + "/platform/data/%s/download" % rid,
                          "stac_item": self.srv_base() + "/platform/stac/collections/"
                                       "ddh_rasters/items/out-raster_main_v1"})
        st, _, data = self.api("GET", "/platform/data/%s/download" % rid)
        self.assertEqual(st, 200)
        with open(os.path.join(self.silver, "out-raster", "main", "v1", "lux_elev.tif"), "rb") as f:
            self.assertEqual(data, f.read())
        self.assertIsNone(done["reused_from"])
        out = self.outputs(rid)
        self.assertEqual(out["download"], "lux_elev.tif")
        self.assertEqual(out["dir"], os.path.join(self.silver, "out-raster", "main", "v1"))
        self.assertTrue(os.path.isfile(os.path.join(out["dir"], "lux_elev.tif")))

    def srv_base(self):
        return "http://127.0.0.1:%d" % self.srv.port

    def test_a_new_version_with_the_same_source_and_settings_reuses_the_outputs(self):
        first = self.run_request(dataset_id="reuse", version_id="v1", source_path="grain.tif")
        self.assertEqual(first["status"], "completed", first)
        second = self.run_request(dataset_id="reuse", version_id="v2", source_path="grain.tif")
        self.assertEqual(second["status"], "completed", second)
        self.assertEqual(second["reused_from"], first["request_id"])
        self.assertIn(first["request_id"], second["message"])
        # Only the validation (which hashes the source) ran; nothing was written again.
        self.assertEqual([j["job_type"] for j in second["jobs"]], ["validate_raster"])
        self.assertFalse(os.path.exists(os.path.join(self.silver, "reuse", "main", "v2")))
        self.assertEqual(self.outputs(second["request_id"]), self.outputs(first["request_id"]))
        self.assertEqual(second["endpoints"]["download"], self.srv_base() +
                         "/platform/data/%s/download" % second["request_id"])
        # The reused version's download is the first version's file.
        st, _, data = self.api("GET", "/platform/data/%s/download" % second["request_id"])
        self.assertEqual(st, 200)
        st, _, original = self.api("GET", "/platform/data/%s/download" % first["request_id"])
        self.assertEqual(data, original)
        # Other settings, another resource, or reuse turned off: processed again.
        for kw in ({"version_id": "v3", "processing_config": {"compression": "lzw"}},
                   {"version_id": "v4", "resource_id": "other"},
                   {"version_id": "v5", "processing_config": {"reuse": False}}):
            again = self.run_request(dataset_id="reuse", source_path="grain.tif", **kw)
            self.assertEqual(again["status"], "completed", again)
            self.assertIsNone(again["reused_from"], kw)
            self.assertEqual(len(again["jobs"]), 3, kw)

    def test_reuse_must_be_a_boolean(self):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="reuse-bad",
                                        processing_config={"reuse": "no"}))
        self.assertEqual(st, 400, doc)
        self.assertEqual(doc["errors"][0]["field"], "processing_config.reuse")

    def test_a_collection_becomes_cogs_and_a_mosaic(self):
        make_raster(os.path.join(self.bronze, "east.tif"), bands=1, dtype="Int16",
                    ullr=("6", "50", "7", "49"))
        folder = self.collection("mosaic-src", ["lux_elev.tif", "grain.tif", "east.tif"])
        done = self.run_request(dataset_id="mosaic", request_type="collection",
                                source_path=folder)
        self.assertEqual(done["status"], "completed", done)
        rid = done["request_id"]
        self.assertEqual(done["endpoints"],
                         {"mosaic": self.srv_base() + "/platform/data/%s/mosaic.json" % rid,
                          "stac_collection": self.srv_base() + "/platform/stac/collections/"
                                             "ddh_mosaic_main_v1"})
        out = self.outputs(rid)
        self.assertEqual(sorted(out["files"]), ["east.tif", "grain.tif", "lux_elev.tif"])
        self.assertTrue(out["mosaic"])
        for name in out["files"]:
            ok, report = cog_valid(os.path.join(out["dir"], name))
            self.assertTrue(ok, report)
        with open(os.path.join(out["dir"], "mosaic.json")) as f:
            mosaic = json.load(f)
        self.assertEqual(mosaic["mosaicjson"], "0.0.3")
        west, south, east, north = mosaic["bounds"]
        # The union of grain.tif (-1.5..1.5), lux_elev.tif (5.75..6.53, 49.44..50.19) and
        # east.tif (6..7, 49..50).
        self.assertAlmostEqual(west, -1.5, places=3)
        self.assertAlmostEqual(south, -1.5, places=3)
        self.assertAlmostEqual(east, 7.0, places=3)
        self.assertTrue(50.1 < north < 50.2, mosaic["bounds"])
        self.assertLessEqual(mosaic["minzoom"], mosaic["maxzoom"])
        named = {f for files in mosaic["tiles"].values() for f in files}
        self.assertEqual(named, set(out["files"]))
        for key in mosaic["tiles"]:
            self.assertEqual(len(key), mosaic["quadkey_zoom"])
        # The fan-out ran one task per file.
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.tasks WHERE job_id = '%s' "
                                           "AND stage = 2" % done["jobs"][0]["job_id"]), "3")
        # No temporary file is left beside the outputs.
        self.assertEqual([n for n in os.listdir(out["dir"]) if n.startswith(".")], [])
        # The mosaic endpoint answers, its tiles name the files' URLs, and each URL answers the
        # COG (GDAL reads it in place through one range request).
        base = self.srv_base()
        st, _, served = self.api.json("GET", done["endpoints"]["mosaic"][len(base):])
        self.assertEqual(st, 200, served)
        urls = {u for files in served["tiles"].values() for u in files}
        self.assertEqual(urls, {base + "/platform/data/%s/files/%s" % (rid, n)
                                for n in out["files"]})
        for url in sorted(urls):
            st, hdrs, data = self.api("GET", url[len(base):], headers={"Range": "bytes=0-3"})
            self.assertEqual(st, 206, url)
            self.assertIn(data, (b"II*\x00", b"MM\x00*"))

    def test_a_collection_with_an_unpublishable_file_fails_then_a_retry_completes_it(self):
        folder = self.collection("bad-src", ["grain.tif", "rgb_logo.tif", "lux_elev.tif"])
        done = self.run_request(dataset_id="bad-mosaic", request_type="collection",
                                source_path=folder)
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "not_georeferenced")
        self.assertIn("rgb_logo.tif", done["error"]["message"])
        self.assertNotIn(self.srv.storage, done["error"]["message"])
        rid = done["request_id"]
        # Nothing is served, and no temporary file is left.
        st, _, _ = self.api("GET", "/platform/data/%s/mosaic.json" % rid)
        self.assertEqual(st, 409)
        dir_ = os.path.join(self.silver, "bad-mosaic", "main", "v1")
        time.sleep(0.3)
        if os.path.exists(dir_):
            self.assertEqual([n for n in os.listdir(dir_) if n.startswith(".")], [])
        # The client fixes the file and retries: only the failed file is processed again, and the
        # mosaic has all three.
        make_raster(os.path.join(self.bronze, folder, "rgb_logo.tif"), bands=3)
        st, _, _ = self.api("POST", "/platform/requests/%s/retry" % rid)
        self.assertEqual(st, 202)
        done = self.api.wait(rid)
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(sorted(self.outputs(rid)["files"]),
                         ["grain.tif", "lux_elev.tif", "rgb_logo.tif"])
        with open(os.path.join(dir_, "mosaic.json")) as f:
            named = {n for files in json.load(f)["tiles"].values() for n in files}
        self.assertEqual(named, {"grain.tif", "lux_elev.tif", "rgb_logo.tif"})

    def test_a_symlink_in_a_collection_leading_out_of_the_clients_folder_is_refused(self):
        # Another client's raster, linked from inside this client's collection folder (the
        # folder itself passed the submission's checks).
        other = os.path.join(self.srv.storage, "bronze", "other")
        os.makedirs(other, exist_ok=True)
        shutil.copy(os.path.join(DATA, "grain.tif"), os.path.join(other, "secret.tif"))
        folder = self.collection("linked-src", ["lux_elev.tif"])
        os.symlink(os.path.join(other, "secret.tif"),
                   os.path.join(self.bronze, folder, "secret.tif"))
        done = self.run_request(dataset_id="linked", request_type="collection",
                                source_path=folder)
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "source_outside_folder")
        self.assertIn("secret.tif", done["error"]["message"])
        self.assertNotIn(self.srv.storage, done["error"]["message"])

    def test_a_kml_over_its_limit_is_refused_before_it_is_read(self):
        placemarks = "".join(
            "<Placemark><name>site %d</name><Point><coordinates>%f,%f</coordinates></Point>"
            "</Placemark>\n" % (i, (i % 360) - 180 + 0.5, (i % 170) - 85 + 0.5)
            for i in range(14000))
        with open(os.path.join(self.bronze, "big.kml"), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/'
                    'kml/2.2"><Document>\n' + placemarks + "</Document></kml>\n")
        self.assertGreater(os.path.getsize(os.path.join(self.bronze, "big.kml")), 1 << 20)
        done = self.run_request(dataset_id="big-kml", request_type="vector",
                                source_path="big.kml")
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "source_too_large")
        self.assertIn("limits.max_kml_mib", done["error"]["message"])

    def test_a_collection_file_name_that_is_not_utf8_fails_with_a_specific_code(self):
        folder = self.collection("latin1-src", ["grain.tif"])
        shutil.copy(os.path.join(self.bronze, "grain.tif"),
                    os.path.join(os.fsencode(self.bronze), folder.encode(), b"caf\xe9.tif"))
        done = self.run_request(dataset_id="latin1", request_type="collection",
                                source_path=folder)
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "invalid_file_name")

    def test_a_raster_over_the_pixel_limit_fails_with_a_specific_code(self):
        make_raster(os.path.join(self.bronze, "big.tif"), bands=1, size=1001)
        done = self.run_request(dataset_id="too-big", source_path="big.tif")
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "raster_too_large")
        self.assertIn("limits.max_megapixels", done["error"]["message"])

    def test_a_source_over_the_size_limit_fails_with_a_specific_code(self):
        # 800 x 800 pixels (under the 1-megapixel limit) x 3 bands x 2 bytes: 3.7 MiB.
        make_raster(os.path.join(self.bronze, "heavy.tif"), bands=3, dtype="Int16", size=800)
        done = self.run_request(dataset_id="too-heavy", source_path="heavy.tif")
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "source_too_large")
        self.assertIn("limits.max_source_mib", done["error"]["message"])


class VectorCase(ClientCase):
    """Vector requests of naturalearth_cities.zip (no tests of its own)."""
    sources = ("naturalearth_cities.zip",)

    def run_request(self, **kw):
        kw.setdefault("source_path", "naturalearth_cities.zip")
        st, _, doc = self.api.json("POST", "/platform/submit", body(request_type="vector", **kw))
        self.assertEqual(st, 202, doc)
        return self.api.wait(doc["request_id"], timeout=60)


class VectorOutputs(VectorCase):
    def test_a_client_file_never_makes_the_node_fetch_a_url(self):
        hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                                 b'298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
                                 b'0.0174532925199433]]')

            def log_message(self, *args):
                pass

        listener = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=listener.serve_forever, daemon=True).start()
        try:
            url = "http://127.0.0.1:%d/crs.wkt" % listener.server_port
            doc = {"type": "FeatureCollection",
                   "crs": {"type": "link", "properties": {"href": url, "type": "ogcwkt"}},
                   "features": [{"type": "Feature", "properties": {"n": 1},
                                 "geometry": {"type": "Point", "coordinates": [6.1, 49.6]}}]}
            with open(os.path.join(self.bronze, "linked.geojson"), "w") as f:
                json.dump(doc, f)
            done = self.run_request(dataset_id="linked", source_path="linked.geojson")
            self.assertIn(done["status"], ("completed", "failed"), done)
            self.assertEqual(hits, [])
        finally:
            listener.shutdown()
            listener.server_close()

    def test_a_new_version_with_the_same_source_reuses_the_loaded_table(self):
        first = self.run_request(dataset_id="cities", version_id="v1")
        self.assertEqual(first["status"], "completed", first)
        second = self.run_request(dataset_id="cities", version_id="v2")
        self.assertEqual(second["status"], "completed", second)
        self.assertEqual(second["reused_from"], first["request_id"])
        self.assertEqual([j["job_type"] for j in second["jobs"]], ["ingest_vector"])
        # Only the inspection ran: no load, no second table.
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.tasks WHERE job_id = '%s'"
                              % second["jobs"][0]["job_id"]), "1")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.vector_layers WHERE "
                              "request_id IN ('%s', '%s')" % (first["request_id"],
                                                             second["request_id"])), "1")
        self.assertEqual(second["endpoints"]["features"], first["endpoints"]["features"])
        base = "http://127.0.0.1:%d" % self.srv.port
        st, _, data = self.api("GET", second["endpoints"]["features"][len(base):])
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(data)["numberMatched"], 243)


class VectorSymlinks(VectorCase):
    def test_a_shapefile_companion_leading_out_of_the_clients_folder_is_refused(self):
        # An unzipped Shapefile whose .dbf is a link to another client's file.
        other = os.path.join(self.srv.storage, "bronze", "other")
        os.makedirs(other, exist_ok=True)
        folder = os.path.join(self.bronze, "shp")
        with zipfile.ZipFile(os.path.join(DATA, "naturalearth_cities.zip")) as z:
            z.extractall(folder)
            z.extract("naturalearth_cities.dbf", other)
        os.remove(os.path.join(folder, "naturalearth_cities.dbf"))
        os.symlink(os.path.join(other, "naturalearth_cities.dbf"),
                   os.path.join(folder, "naturalearth_cities.dbf"))
        done = self.run_request(dataset_id="shp-link", source_path="shp/naturalearth_cities.shp")
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "source_outside_folder")
        self.assertIn("naturalearth_cities.dbf", done["error"]["message"])
        # Without the link, the same Shapefile loads.
        os.remove(os.path.join(folder, "naturalearth_cities.dbf"))
        shutil.copy(os.path.join(other, "naturalearth_cities.dbf"), folder)
        done = self.run_request(dataset_id="shp-copy", source_path="shp/naturalearth_cities.shp")
        self.assertEqual(done["status"], "completed", done)


class VectorFailureAndCancel(VectorCase):
    """A vector request whose table was published by its first step, then fails (or is
    cancelled) in a later one (through requests.pipelines: a pause, then a failing step)."""
    PIPELINES = json.dumps({"vector": [
        {"step": "ingest_vector", "job": "ingest_vector"},
        {"step": "pause", "job": "sleep", "params": {"ms": 1500}},
        {"step": "stac_catalog_vectors", "job": "fail", "params": {"mode": "permanent"}}]})
    server_args = (*ENGINE, "--set", "requests.pipelines=" + PIPELINES)

    def geo_tables(self):
        return psql(self.db.url, "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), "
                                 "'') FROM pg_tables WHERE schemaname = 'geo'")

    def stac_items(self, rid):
        return psql(self.db.url, "SELECT count(*) FROM platform.stac_items WHERE request_id = "
                                 "'%s'" % rid)

    def collections(self):
        st, _, doc = self.api.json("GET", "/features/collections")
        self.assertEqual(st, 200)
        return [c["id"] for c in doc["collections"]]

    def test_a_failed_request_serves_nothing_and_keeps_its_table_for_a_retry(self):
        done = self.run_request(dataset_id="failing", version_id="v1")
        self.assertEqual(done["status"], "failed", done)
        self.assertEqual(done["error"]["code"], "bad_input")
        table = json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                % done["jobs"][0]["job_id"]))["outputs"]["collection"]
        # Published by the first step, kept (a retry resumes at the failed step) but not served.
        time.sleep(0.3)
        self.assertIn(table, self.geo_tables().split(","))
        self.assertNotIn("_stg_", self.geo_tables())
        self.assertNotIn(table, self.collections())
        st, _, _ = self.api("GET", "/features/collections/%s/items" % table)
        self.assertEqual(st, 404)
        self.assertEqual(self.stac_items(done["request_id"]), "0")
        self.assertIsNone(done["stac_metadata"])

    def test_a_cancelled_request_leaves_no_table_row_or_file(self):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(request_type="vector", dataset_id="cancelled",
                                        source_path="naturalearth_cities.zip"))
        self.assertEqual(st, 202, doc)
        rid = doc["request_id"]
        # Wait until the table is published and the pause runs, then cancel.
        deadline = time.time() + 30
        while time.time() < deadline:
            _, _, status = self.api.json("GET", "/platform/status/" + rid)
            if len(status["jobs"]) >= 2:
                break
            time.sleep(0.05)
        self.assertEqual(status["jobs"][0]["status"], "completed", status)
        table = json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                % status["jobs"][0]["job_id"]))["outputs"]["collection"]
        st, _, _ = self.api("DELETE", "/platform/requests/" + rid)
        self.assertEqual(st, 200)
        deadline = time.time() + 10
        while table in self.geo_tables() and time.time() < deadline:
            time.sleep(0.1)
        self.assertNotIn(table, self.geo_tables())
        # Nor a STAC item.
        self.assertEqual(self.stac_items(rid), "0")
        _, _, status = self.api.json("GET", "/platform/status/" + rid)
        self.assertIsNone(status["stac_metadata"])
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.vector_layers WHERE "
                                           "table_name = '%s'" % table), "0")
        out = os.path.join(self.srv.storage, "silver", "ddh", "cancelled", "main", "v1")
        while os.path.exists(out) and time.time() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(out))
