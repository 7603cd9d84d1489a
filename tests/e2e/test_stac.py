"""The STAC catalogue end to end: completed raster, vector and collection requests publish items
whose JSON is the status's stac_metadata and what /platform/stac serves; searches of each kind,
paging by the links, the filter extension, bad parameters, client scoping, the answer cache
after a retry, and real clients (GDAL's STACIT and GeoJSON drivers). Every document is
validated against the official schemas (tests/schemas)."""
import json
import os
import shutil
import subprocess
import sys
import urllib.parse

from gp_e2e import problem, run
from gp_platform import DATA, ClientCase, body, make_raster

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stac"))
import validate_samples  # noqa: E402

STORE = validate_samples.load_store()


class StacApi(ClientCase):
    sources = ("lux_elev.tif", "grain.tif", "naturalearth_cities.zip")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A key of ddh's that may only read request statuses (no STAC).
        out = run("keys", "create", "--client", "ddh", "--level", "internal", "--allow",
                  "GET /platform/status/*", "--database-url", cls.db.url)
        assert out.returncode == 0, out.stderr
        cls.status_only = out.stdout.strip()
        folder = os.path.join(cls.bronze, "tiles")
        os.makedirs(folder, exist_ok=True)
        make_raster(os.path.join(folder, "west.tif"), bands=1, ullr=("5", "50", "6", "49"))
        make_raster(os.path.join(folder, "east.tif"), bands=1, ullr=("6", "50", "7", "49"))

    def submit(self, **kw):
        st, _, doc = self.api.json("POST", "/platform/submit", body(**kw))
        self.assertIn(st, (200, 202), doc)
        done = self.api.wait(doc["request_id"], timeout=90)
        self.assertEqual(done["status"], "completed", done)
        return done

    def lux(self):
        return self.submit(dataset_id="lux", resource_id="dem", source_path="lux_elev.tif")

    def get(self, url, key=None):
        """GET of an absolute URL of this server (or a path) → (status, JSON)."""
        path = url[len(self.base()):] if url.startswith("http") else url
        st, _, out = self.api("GET", path, key=key)
        return st, json.loads(out) if out else None

    def post(self, path, doc, key=None):
        st, _, out = self.api("POST", path, body=doc, key=key)
        return st, json.loads(out) if out else None

    def base(self):
        return "http://127.0.0.1:%d" % self.srv.port

    def assertValid(self, doc):
        errors = validate_samples.errors_of(doc, STORE)
        self.assertEqual(errors, [], json.dumps(doc)[:2000])

    def ids(self, answer):
        return [f["id"] for f in answer["features"]]

    def test_a_raster_s_status_carries_the_item_the_api_serves(self):
        done = self.lux()
        item = done["stac_metadata"]
        self.assertEqual(item["id"], "lux_dem_v1")
        self.assertEqual(item["collection"], "ddh_rasters")
        self.assertEqual(done["endpoints"]["stac_item"],
                         self.base() + "/platform/stac/collections/ddh_rasters/items/lux_dem_v1")
        st, served = self.get(done["endpoints"]["stac_item"])
        self.assertEqual(st, 200, served)
        self.assertEqual(served, item)
        self.assertValid(item)
        props = item["properties"]
        self.assertEqual(props["ddh:request_id"], done["request_id"])
        self.assertEqual(len(props["proj:shape"]), 2)
        band = item["assets"]["data"]["raster:bands"][0]
        self.assertIn("mean", band["statistics"])
        self.assertEqual(item["assets"]["data"]["href"],
                         self.base() + "/platform/data/%s/download" % done["request_id"])
        # A PNG preview, served as one of the request's files.
        overview = item["assets"]["thumbnail"]
        self.assertEqual((overview["type"], overview["roles"]), ("image/png", ["thumbnail"]))
        st, _, png = self.api("GET", overview["href"][len(self.base()):])
        self.assertEqual(st, 200)
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"), png[:16])
        # The collection's extent covers it.
        st, col = self.get("/platform/stac/collections/ddh_rasters")
        self.assertEqual(st, 200, col)
        self.assertValid(col)
        w, s, e, n = col["extent"]["spatial"]["bbox"][0]
        self.assertTrue(w <= item["bbox"][0] and e >= item["bbox"][2], col)

    def test_a_vector_item_counts_its_features_and_links_its_features_collection(self):
        done = self.submit(dataset_id="cities", resource_id="pts", request_type="vector",
                           source_path="naturalearth_cities.zip")
        item = done["stac_metadata"]
        self.assertValid(item)
        self.assertEqual(item["properties"]["vector:feature_count"], 243)
        self.assertEqual(item["properties"]["vector:geometry_types"], ["Point"])
        self.assertEqual(item["properties"]["proj:epsg"], 4326)
        self.assertEqual(item["geometry"]["type"], "Polygon")
        features = item["assets"]["features"]["href"]
        st, page = self.get(features + "?limit=1")
        self.assertEqual(st, 200, page)
        st, served = self.get(done["endpoints"]["stac_item"])
        self.assertEqual(served, item)

    def test_a_collection_request_publishes_a_collection_with_an_item_per_cog(self):
        done = self.submit(dataset_id="tiles", resource_id="t", request_type="collection",
                           source_path="tiles")
        url = done["endpoints"]["stac_collection"]
        self.assertEqual(url, self.base() + "/platform/stac/collections/ddh_tiles_t_v1")
        st, col = self.get(url)
        self.assertEqual(st, 200, col)
        self.assertValid(col)
        self.assertEqual(done["stac_metadata"]["id"], col["id"])
        st, items = self.get(url + "/items")
        self.assertEqual(st, 200, items)
        self.assertEqual(sorted(self.ids(items)), ["east", "west"])
        self.assertEqual(items["numberMatched"], 2)
        self.assertEqual(items["numberReturned"], 2)
        self.assertValid(items)
        w, s, e, n = col["extent"]["spatial"]["bbox"][0]
        self.assertAlmostEqual(w, 5, places=3)
        self.assertAlmostEqual(e, 7, places=3)

    def test_landing_conformance_collections_and_queryables(self):
        self.lux()
        st, landing = self.get("/platform/stac")
        self.assertEqual(st, 200)
        self.assertValid(landing)
        rels = {l["rel"] for l in landing["links"]}
        self.assertTrue({"self", "root", "service-desc", "search", "data"} <= rels, rels)
        self.assertIn("https://api.stacspec.org/v1.0.0/item-search", landing["conformsTo"])
        st, conf = self.get("/platform/stac/conformance")
        self.assertEqual(conf["conformsTo"], landing["conformsTo"])
        st, cols = self.get("/platform/stac/collections")
        self.assertEqual(st, 200)
        for c in cols["collections"]:
            self.assertValid(c)
        self.assertIn("ddh_rasters", [c["id"] for c in cols["collections"]])
        for path in ("/platform/stac/queryables",
                     "/platform/stac/collections/ddh_rasters/queryables"):
            st, q = self.get(path)
            self.assertEqual(st, 200, q)
            for name in ("ddh:dataset_id", "datetime", "geometry", "vector:feature_count"):
                self.assertIn(name, q["properties"])
        st, doc = self.get("/platform/stac/collections/nope/queryables")
        self.assertEqual(st, 404, doc)

    def test_search_by_get_and_post_pages_through_everything_by_its_links(self):
        self.lux()
        self.submit(dataset_id="grain", resource_id="g", source_path="grain.tif")
        st, first = self.get("/platform/stac/search?collections=ddh_rasters&limit=1")
        self.assertEqual(st, 200, first)
        self.assertValid(first)
        seen = self.ids(first)
        page = first
        while True:
            nxt = [l for l in page["links"] if l["rel"] == "next"]
            if not nxt:
                break
            st, page = self.get(nxt[0]["href"])
            self.assertEqual(st, 200, page)
            seen += self.ids(page)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue({"lux_dem_v1", "grain_g_v1"} <= set(seen), seen)
        # Back from the last page by its prev link.
        back = self.ids(page)
        while True:
            prev = [l for l in page["links"] if l["rel"] == "prev"]
            if not prev:
                break
            st, page = self.get(prev[0]["href"])
            back = self.ids(page) + back
        self.assertEqual(back, seen)
        # POST: the next link carries the token in a body to merge.
        search = {"collections": ["ddh_rasters"], "limit": 1}
        st, page = self.post("/platform/stac/search", search)
        posted = self.ids(page)
        while True:
            nxt = [l for l in page["links"] if l["rel"] == "next"]
            if not nxt:
                break
            self.assertEqual(nxt[0]["method"], "POST")
            self.assertTrue(nxt[0]["merge"])
            st, page = self.post("/platform/stac/search", dict(search, **nxt[0]["body"]))
            self.assertEqual(st, 200, page)
            posted += self.ids(page)
        self.assertEqual(posted, seen)
        # A token of this order used with another sortby is refused, not an empty page.
        st, page = self.get("/platform/stac/search?collections=ddh_rasters&limit=1")
        nxt_token = urllib.parse.parse_qs(urllib.parse.urlparse(
            [l for l in page["links"] if l["rel"] == "next"][0]["href"]).query)["token"][0]
        st, doc = self.get("/platform/stac/search?sortby=id,collection&token=" + nxt_token)
        self.assertEqual(st, 400, doc)
        self.assertEqual(doc["errors"][0]["field"], "token")
        # Filters in both encodings, bbox, datetime and ids.
        text = urllib.parse.quote("\"ddh:dataset_id\" = 'lux'")
        st, a = self.get("/platform/stac/search?filter=%s&filter-lang=cql2-text" % text)
        self.assertEqual(self.ids(a), ["lux_dem_v1"])
        st, a = self.post("/platform/stac/search", {
            "filter-lang": "cql2-json",
            "filter": {"op": "=", "args": [{"property": "ddh:dataset_id"}, "grain"]}})
        self.assertEqual(self.ids(a), ["grain_g_v1"])
        # (East of the rasters other tests make at 5°..6°.)
        st, a = self.get("/platform/stac/search?bbox=6.1,49.5,6.5,50.1&collections=ddh_rasters")
        self.assertEqual(self.ids(a), ["lux_dem_v1"])
        st, a = self.get("/platform/stac/search?ids=grain_g_v1&datetime=2000-01-01T00:00:00Z/..")
        self.assertEqual(self.ids(a), ["grain_g_v1"])
        st, a = self.get("/platform/stac/search?ids=grain_g_v1&datetime=../2000-01-01T00:00:00Z")
        self.assertEqual(self.ids(a), [])

    def test_every_malformed_parameter_is_a_400_naming_it(self):
        cases = [
            ("GET", "/platform/stac/search?bbox=1,2,3", None, "bbox"),
            ("GET", "/platform/stac/search?bbox=0,0,1,1&intersects=%7B%22type%22%3A%22Point"
                    "%22%2C%22coordinates%22%3A%5B0%2C0%5D%7D", None, "intersects"),
            ("GET", "/platform/stac/search?datetime=yesterday", None, "datetime"),
            ("GET", "/platform/stac/search?datetime=../..", None, "datetime"),
            ("GET", "/platform/stac/search?limit=0", None, "limit"),
            ("GET", "/platform/stac/search?token=forged", None, "token"),
            ("GET", "/platform/stac/search?sortby=colour", None, "sortby"),
            ("GET", "/platform/stac/search?filter=colour%3D'red'", None, "filter"),
            ("GET", "/platform/stac/search?colour=red", None, "colour"),
            ("POST", "/platform/stac/search", {"filter": {"op": "~", "args": []}}, "filter"),
            ("POST", "/platform/stac/search", {"bbox": "1,2,3,4"}, "bbox"),
            ("POST", "/platform/stac/search",
             {"intersects": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}},
             "intersects"),
            ("GET", "/platform/stac/collections/ddh_rasters/items?ids=x", None, "ids"),
        ]
        for method, path, doc, field in cases:
            st, hdrs, out = self.api(method, path, body=doc)
            self.assertEqual(st, 400, (path, doc, out))
            parsed = json.loads(out)
            fields = [e["field"] for e in parsed.get("errors", [])]
            self.assertIn(field, fields, (path, doc, parsed))

    def test_keys_see_their_own_client_s_catalogue_only(self):
        done = self.lux()
        url = done["endpoints"]["stac_item"]
        st, doc = self.get(url, key=self.keys["other"])
        self.assertEqual(st, 404, doc)
        st, doc = self.get("/platform/stac/collections/ddh_rasters", key=self.keys["other"])
        self.assertEqual(st, 404, doc)
        st, found = self.get("/platform/stac/search?ids=lux_dem_v1", key=self.keys["other"])
        self.assertEqual(self.ids(found), [])
        st, found = self.get("/platform/stac/search?ids=lux_dem_v1", key=self.keys["admin"])
        self.assertEqual(self.ids(found), ["lux_dem_v1"])
        st, found = self.get("/platform/stac/search?ids=lux_dem_v1", key=self.keys["trusted"])
        self.assertEqual(self.ids(found), ["lux_dem_v1"])
        problem(self, self.srv.call("GET", "/platform/stac/search"), 401, "unauthorized")
        problem(self, self.srv.call("GET", "/platform/stac/search",
                                    headers={"X-Platform-API-Key": self.status_only}),
                403, "forbidden")

    def test_a_retried_request_is_found_at_once_although_the_search_was_cached(self):
        path = "/platform/stac/search?ids=fixed_f_v1"
        st, a = self.get(path)
        st, a = self.get(path)  # now from the cache
        self.assertEqual(self.ids(a), [])
        # Not georeferenced: the request fails, and nothing is catalogued.
        shutil.copy(os.path.join(DATA, "rgb_logo.tif"), os.path.join(self.bronze, "fixed.tif"))
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="fixed", resource_id="f",
                                        source_path="fixed.tif"))
        failed = self.api.wait(doc["request_id"], timeout=60)
        self.assertEqual(failed["status"], "failed", failed)
        self.assertIsNone(failed["stac_metadata"])
        st, a = self.get(path)
        self.assertEqual(self.ids(a), [])
        make_raster(os.path.join(self.bronze, "fixed.tif"), bands=1)
        st, _, _ = self.api("POST", "/platform/requests/%s/retry" % doc["request_id"])
        self.assertEqual(st, 202)
        done = self.api.wait(doc["request_id"], timeout=60)
        self.assertEqual(done["status"], "completed", done)
        st, a = self.get(path)
        self.assertEqual(self.ids(a), ["fixed_f_v1"])

    def gdal_env(self):
        env = dict(os.environ)
        env.update({"GDAL_HTTP_HEADERS": "X-Platform-API-Key: " + self.keys["internal"],
                    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"})
        return env

    def test_gdal_stacit_reads_pixels_through_a_search_and_ogr_reads_its_answer(self):
        self.lux()
        url = self.base() + "/platform/stac/search?collections=ddh_rasters&ids=lux_dem_v1"
        out = subprocess.run(["gdalinfo", "-checksum", 'STACIT:"%s"' % url],
                             capture_output=True, text=True, env=self.gdal_env(), timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout[-2000:] + out.stderr[-2000:])
        self.assertIn("Checksum=", out.stdout)
        direct = subprocess.run(["gdalinfo", "-checksum",
                                 os.path.join(self.silver, "lux", "dem", "v1", "lux_elev.tif")],
                                capture_output=True, text=True)
        checksum = [l for l in direct.stdout.splitlines() if "Checksum=" in l][0].strip()
        self.assertIn(checksum, out.stdout)
        ogr = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "/vsicurl/" + url],
                             capture_output=True, text=True, env=self.gdal_env(), timeout=60)
        self.assertEqual(ogr.returncode, 0, ogr.stdout[-2000:] + ogr.stderr[-2000:])
        self.assertIn("Feature Count: 1", ogr.stdout)
