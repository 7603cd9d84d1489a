"""OGC API - Features through the built binary: landing page, conformance, collections scoped by
key level, paging by next links to the end, bbox filters, single features, 404 for unknown and
other clients' collections, 400 naming the bad parameter, and GDAL's OAPIF driver reading it all.
The tables are loaded with ogr2ogr in the set-up (the service itself never shells out)."""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.parse

from gp_e2e import ServedTestCase, problem, psql, run

TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def make_key(db_url, client, level):
    r = run("keys", "create", "--client", client, "--level", level, "--database-url", db_url)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def load_layer(db_url, source, table, client, title, geometry_type, promote=False):
    """Loads a shapefile into geo.<table> as the vector loader would (fid bigint, geom in 4326
    with a GIST index) and writes its catalogue row."""
    args = ["ogr2ogr", "-f", "PostgreSQL", "PG:" + db_url, "/vsizip/" + source, "-nln", table,
            "-lco", "SCHEMA=geo", "-lco", "FID=fid", "-lco", "FID64=TRUE",
            "-lco", "GEOMETRY_NAME=geom", "-lco", "PRECISION=NO", "-t_srs", "EPSG:4326"]
    if promote:
        args += ["-nlt", "PROMOTE_TO_MULTI"]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    psql(db_url, """
        INSERT INTO platform.requests (request_id, client_id, dataset_id, resource_id,
                                       version_id, request_type, source_path, status)
        VALUES (platform.request_id_for('{c}', '{t}', 'main', 'v1'), '{c}', '{t}', 'main', 'v1', 'vector',
                '{t}.zip', 'completed')
        """.format(t=table, c=client))
    psql(db_url, """
        INSERT INTO platform.vector_layers (table_name, request_id, client_id, title, feature_count,
                                            geometry_type, bbox, source_crs, columns)
        SELECT '{t}', platform.request_id_for('{c}', '{t}', 'main', 'v1'), '{c}', '{title}', count(*), '{g}',
               ARRAY[ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)),
                     ST_XMax(ST_Extent(geom)), ST_YMax(ST_Extent(geom))],
               'EPSG:4326', '[]'
        FROM geo.{t}""".format(t=table, c=client, title=title, g=geometry_type))


def prepare_features(db_url):
    assert run("migrate", "--database-url", db_url).returncode == 0
    for client in ("ddh", "other"):
        r = run("clients", "create", client, "--database-url", db_url)
        assert r.returncode == 0, r.stderr
    load_layer(db_url, os.path.join(TESTDATA, "naturalearth_lowres.zip"), "ddh_countries", "ddh",
               "Countries", "MultiPolygon", promote=True)
    load_layer(db_url, os.path.join(TESTDATA, "naturalearth_cities.zip"), "other_cities", "other",
               "Cities", "Point")
    return {"internal": make_key(db_url, "ddh", "internal"),
            "trusted": make_key(db_url, "other", "trusted"),
            "admin": make_key(db_url, "other", "admin"),
            "other": make_key(db_url, "other", "internal")}


class Features(ServedTestCase):
    prepare = classmethod(lambda cls, url: prepare_features(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = "http://127.0.0.1:%d" % cls.srv.port

    def get(self, path, key="internal"):
        headers = {"X-Platform-API-Key": self.keys[key]} if key else {}
        return self.srv.call("GET", path, headers=headers)

    def get_json(self, path, key="internal", content_type="application/json"):
        st, headers, body = self.get(path, key)
        self.assertEqual(st, 200, body)
        self.assertEqual(headers["content-type"], content_type)
        return json.loads(body)

    def local(self, href):
        """The path and query of an absolute link of ours."""
        self.assertTrue(href.startswith(self.base + "/"), href)
        return href[len(self.base):]

    def links(self, doc):
        return {l["rel"]: l for l in doc["links"]}

    def bad(self, path, field, message_part):
        doc = problem(self, self.get(path), 400, "validation_error")
        fields = {e["field"]: e["message"] for e in doc["errors"]}
        self.assertIn(field, fields, doc)
        self.assertIn(message_part, fields[field], doc)
        self.assertIn(field, doc["detail"])

    def psql_count(self, where):
        return int(psql(self.db.url, "SELECT count(*) FROM geo.ddh_countries WHERE " + where))

    # Landing page and conformance

    def test_landing_page_links_conformance_and_data(self):
        doc = self.get_json("/features")
        links = self.links(doc)
        self.assertEqual(links["self"]["href"], self.base + "/features")
        self.assertEqual(links["conformance"]["href"], self.base + "/features/conformance")
        self.assertEqual(links["data"]["href"], self.base + "/features/collections")
        # The API definition it points to is served, without a key.
        self.assertEqual(links["service-desc"]["href"], self.base + "/openapi.json")
        st, _, out = self.srv.call("GET", "/openapi.json")
        self.assertEqual(st, 200)
        self.assertIn("/features/collections/{cid}/items", json.loads(out)["paths"])
        self.assertTrue(doc["title"])

    def test_conformance_lists_core_and_geojson(self):
        doc = self.get_json("/features/conformance", key="trusted")
        self.assertEqual(sorted(doc["conformsTo"]), [CORE, GEOJSON])

    def test_a_key_is_required_and_only_get_is_allowed(self):
        problem(self, self.get("/features", key=None), 401, "unauthorized")
        problem(self, self.get("/features/collections/ddh_countries/items", key=None), 401,
                "unauthorized")
        r = self.srv.call("POST", "/features/collections", body=b"{}",
                          headers={"X-Platform-API-Key": self.keys["internal"],
                                   "Content-Type": "application/json"})
        problem(self, r, 405, "method_not_allowed")
        self.assertEqual(r[1]["allow"], "GET, HEAD")
        st, headers, body = self.srv.call("HEAD", "/features/collections/ddh_countries/items",
                                          headers={"X-Platform-API-Key": self.keys["internal"]})
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(headers["content-type"], "application/geo+json")

    # Collections

    def test_an_internal_key_sees_only_its_own_clients_collections(self):
        doc = self.get_json("/features/collections")
        self.assertEqual([c["id"] for c in doc["collections"]], ["ddh_countries"])
        c = doc["collections"][0]
        self.assertEqual(c["title"], "Countries")
        self.assertEqual(c["crs"], [CRS84])
        self.assertEqual(c["extent"]["spatial"]["crs"], CRS84)
        bbox = c["extent"]["spatial"]["bbox"][0]
        self.assertEqual(len(bbox), 4)
        self.assertAlmostEqual(bbox[0], -180)
        self.assertAlmostEqual(bbox[3], 83.64513, places=4)
        items = self.links(c)["items"]
        self.assertEqual(items["href"], self.base + "/features/collections/ddh_countries/items")
        self.assertEqual(items["type"], "application/geo+json")
        other = self.get_json("/features/collections", key="other")
        self.assertEqual([c["id"] for c in other["collections"]], ["other_cities"])

    def test_admin_keys_see_every_clients_collections_trusted_keys_their_own(self):
        doc = self.get_json("/features/collections", key="admin")
        self.assertEqual(sorted(c["id"] for c in doc["collections"]),
                         ["ddh_countries", "other_cities"])
        self.assertEqual(self.get_json("/features/collections/ddh_countries", key="admin")["id"],
                         "ddh_countries")
        # The trusted key belongs to client "other": a read-only partner of that client.
        doc = self.get_json("/features/collections", key="trusted")
        self.assertEqual([c["id"] for c in doc["collections"]], ["other_cities"])
        st, _, _ = self.srv.call("GET", "/features/collections/ddh_countries",
                                 headers={"X-Platform-API-Key": self.keys["trusted"]})
        self.assertEqual(st, 404)

    def test_one_collection(self):
        doc = self.get_json("/features/collections/ddh_countries")
        self.assertEqual(doc["id"], "ddh_countries")
        self.assertEqual(self.links(doc)["self"]["href"],
                         self.base + "/features/collections/ddh_countries")

    def test_another_clients_collection_is_not_found(self):
        for path in ("/features/collections/other_cities",
                     "/features/collections/other_cities/items",
                     "/features/collections/other_cities/items/1"):
            doc = problem(self, self.get(path), 404, "not_found")
            self.assertEqual(doc["detail"], "no collection other_cities")
        # The owner sees it.
        self.assertEqual(self.get_json("/features/collections/other_cities/items/1", key="other",
                                       content_type="application/geo+json")["id"], 1)

    def test_unknown_collections_and_features_are_not_found(self):
        for cid in ("nope", "Bad-Name", "x%22y", "a" * 64):
            doc = problem(self, self.get("/features/collections/%s/items" % cid), 404, "not_found")
            self.assertEqual(doc["detail"], "no collection " + cid)
        doc = problem(self, self.get("/features/collections/ddh_countries/items/100000"), 404,
                      "not_found")
        self.assertEqual(doc["detail"], "no feature 100000 in collection ddh_countries")
        for fid in ("abc", "1.5", "99999999999999999999"):
            problem(self, self.get("/features/collections/ddh_countries/items/" + fid), 404,
                    "not_found")
        problem(self, self.get("/features/collections/ddh_countries/"), 404, "not_found")

    # Items

    def test_paging_follows_next_links_to_the_last_feature(self):
        path = "/features/collections/ddh_countries/items?limit=50"
        ids, pages = [], 0
        while path:
            doc = self.get_json(path, content_type="application/geo+json")
            pages += 1
            self.assertEqual(doc["type"], "FeatureCollection")
            self.assertEqual(doc["numberMatched"], 177)
            self.assertEqual(doc["numberReturned"], len(doc["features"]))
            links = self.links(doc)
            self.assertEqual(self.local(links["self"]["href"]).split("?")[0],
                             "/features/collections/ddh_countries/items")
            ids += [f["id"] for f in doc["features"]]
            nxt = links.get("next")
            path = self.local(nxt["href"]) if nxt else None
        self.assertEqual(pages, 4)
        self.assertEqual(ids, list(range(1, 178)))

    def test_a_feature_is_geojson_with_its_attributes(self):
        doc = self.get_json("/features/collections/ddh_countries/items?limit=1&offset=0",
                            content_type="application/geo+json")
        f = doc["features"][0]
        self.assertEqual(f["type"], "Feature")
        self.assertEqual(f["geometry"]["type"], "MultiPolygon")
        self.assertEqual(sorted(f["properties"]),
                         ["continent", "gdp_md_est", "iso_a3", "name", "pop_est"])
        one = self.get_json("/features/collections/ddh_countries/items/%d" % f["id"],
                            content_type="application/geo+json")
        self.assertEqual(one["properties"], f["properties"])
        self.assertEqual(one["geometry"], f["geometry"])
        self.assertEqual(self.links(one)["self"]["href"],
                         self.base + "/features/collections/ddh_countries/items/%d" % f["id"])
        self.assertEqual(self.links(one)["collection"]["href"],
                         self.base + "/features/collections/ddh_countries")

    def test_a_bbox_selects_the_intersecting_countries(self):
        box = "5.7,49.4,6.6,50.2"  # Luxembourg and its neighbours
        doc = self.get_json("/features/collections/ddh_countries/items?bbox=" + box + "&limit=100",
                            content_type="application/geo+json")
        expected = self.psql_count(
            "ST_Intersects(geom, ST_MakeEnvelope(5.7, 49.4, 6.6, 50.2, 4326))")
        self.assertEqual(doc["numberMatched"], expected)
        self.assertEqual(doc["numberReturned"], expected)
        names = {f["properties"]["name"] for f in doc["features"]}
        self.assertIn("Luxembourg", names)
        self.assertNotIn("Brazil", names)
        self.assertIn("bbox=5.7,49.4,6.6,50.2", self.links(doc)["self"]["href"])
        # The bbox stays in the next link.
        doc = self.get_json("/features/collections/ddh_countries/items?bbox=" + box + "&limit=1",
                            content_type="application/geo+json")
        self.assertIn("bbox=5.7,49.4,6.6,50.2&limit=1&offset=1", self.links(doc)["next"]["href"])

    def test_a_bbox_across_the_antimeridian(self):
        doc = self.get_json("/features/collections/ddh_countries/items?bbox=170,-20,-170,-10",
                            content_type="application/geo+json")
        expected = self.psql_count(
            "ST_Intersects(geom, ST_MakeEnvelope(170, -20, 180, -10, 4326)) OR "
            "ST_Intersects(geom, ST_MakeEnvelope(-180, -20, -170, -10, 4326))")
        self.assertGreater(expected, 0)
        self.assertEqual(doc["numberMatched"], expected)
        self.assertIn("Fiji", {f["properties"]["name"] for f in doc["features"]})

    def test_limit_is_clamped_to_10000(self):
        doc = self.get_json("/features/collections/ddh_countries/items?limit=20000",
                            content_type="application/geo+json")
        self.assertEqual(doc["numberReturned"], 177)
        self.assertIn("limit=10000", self.links(doc)["self"]["href"])
        self.assertNotIn("next", self.links(doc))

    def test_an_offset_past_the_end_gives_an_empty_page(self):
        doc = self.get_json("/features/collections/ddh_countries/items?offset=500",
                            content_type="application/geo+json")
        self.assertEqual(doc["features"], [])
        self.assertEqual(doc["numberMatched"], 177)
        self.assertNotIn("next", self.links(doc))

    def test_bad_parameters_are_refused_naming_them(self):
        items = "/features/collections/ddh_countries/items?"
        self.bad(items + "bbox=1,2,3", "bbox", "must be 4 comma-separated numbers")
        self.bad(items + "bbox=a,2,3,4", "bbox", "'a' is not a number")
        self.bad(items + "bbox=0,0,0,10,10,10", "bbox", "3D bounding box")
        self.bad(items + "bbox=0,50,10,40", "bbox", "miny must not be greater than maxy")
        self.bad(items + "bbox=0,0,200,10", "bbox", "within -180 to 180")
        self.bad(items + "limit=0", "limit", "must be a whole number from 1")
        self.bad(items + "limit=abc", "limit", "must be a whole number from 1")
        self.bad(items + "offset=-1", "offset", "must be a whole number from 0")
        self.bad(items + "sortby=name", "sortby", "is not a parameter of this operation")
        self.bad(items + "limit=1&limit=2", "limit", "is given more than once")
        self.bad(items + "f=html", "f", "must be json or geojson")
        self.bad("/features/collections?limit=3", "limit", "accepted: f")
        doc = problem(self, self.get(items + "bbox=x&limit=0&offset=y"), 400, "validation_error")
        self.assertEqual(sorted(e["field"] for e in doc["errors"]), ["bbox", "limit", "offset"])

    # GDAL's OGC API - Features driver

    def gdal_env(self):
        env = dict(os.environ)
        env["GDAL_HTTP_HEADERS"] = "X-Platform-API-Key: " + self.keys["internal"]
        return env

    def test_gdal_ogrinfo_reads_the_collection(self):
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "OAPIF:%s/features" % self.base,
                              "ddh_countries"], capture_output=True, text=True,
                             env=self.gdal_env(), timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr + self.srv.output()[-3000:])
        self.assertIn("Layer name: ddh_countries", out.stdout)
        self.assertIn("Feature Count: 177", out.stdout)
        self.assertIn("Geometry: Multi Polygon", out.stdout)
        self.assertIn("Extent: (-180.000000, -90.000000)", out.stdout)
        for field in ("pop_est", "continent", "name", "iso_a3", "gdp_md_est"):
            self.assertIn(field + ":", out.stdout)
        # Another client's collection is not offered to this key.
        self.assertNotIn("other_cities", out.stdout)

    def test_gdal_ogr2ogr_copies_every_feature_through_the_next_links(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "out.json")
            out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", target,
                                  "OAPIF:%s/features" % self.base, "ddh_countries",
                                  "-oo", "PAGE_SIZE=40"],
                                 capture_output=True, text=True, env=self.gdal_env(), timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr + self.srv.output()[-3000:])
            with open(target, encoding="utf-8") as f:
                doc = json.load(f)
        self.assertEqual(len(doc["features"]), 177)
        names = sorted(f["properties"]["name"] for f in doc["features"])
        expected = psql(self.db.url, "SELECT string_agg(name, '|' ORDER BY name COLLATE \"C\") "
                                     "FROM geo.ddh_countries").split("|")
        self.assertEqual(names, sorted(expected))
        self.assertEqual({f["geometry"]["type"] for f in doc["features"]}, {"MultiPolygon"})

    def test_gdal_applies_a_spatial_filter_through_bbox(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "lux.json")
            out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", target,
                                  "OAPIF:%s/features" % self.base, "ddh_countries",
                                  "-spat", "5.7", "49.4", "6.6", "50.2", "--debug", "on"],
                                 capture_output=True, text=True, env=self.gdal_env(), timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(target, encoding="utf-8") as f:
                doc = json.load(f)
        self.assertIn("Luxembourg", {f["properties"]["name"] for f in doc["features"]})
        self.assertLess(len(doc["features"]), 10)
        # The filter reached the server (GDAL also filters what it receives).
        self.assertRegex(urllib.parse.unquote(out.stderr), r"/items\?limit=\d+&bbox=5\.7")


if __name__ == "__main__":
    unittest.main()
