"""Vector requests end to end: each format submitted through POST /platform/submit loads into
geo.<table> (checked with psql) and leaves a GeoPackage in the output folder that GDAL opens with
the right feature count; sources that cannot be published fail the request with their code."""
import json
import os
import subprocess

from gp_e2e import psql
from gp_platform import ClientCase, DATA, body

def gpkg_count(path):
    """Features of the GeoPackage's one layer, read with python osgeo (a fresh interpreter: the
    GDAL bindings only work with /usr/bin/python3)."""
    code = ("from osgeo import ogr; ds = ogr.Open(%r); assert ds.GetLayerCount() == 1; "
            "print(ds.GetLayer(0).GetFeatureCount())" % path)
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


class VectorIngest(ClientCase):
    sources = ("naturalearth_lowres.zip", "naturalearth_cities.zip", "nybb_16a.zip",
               "lux_shapefile.zip", "pt.csv")

    def run_request(self, name, **config):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="v-" + name.replace(".", "-"),
                                        request_type="vector", source_path=name,
                                        processing_config=config or None))
        self.assertEqual(st, 202, doc)
        return self.api.wait(doc["request_id"], timeout=60)

    def result(self, done, index=0):
        return json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                               % done["jobs"][index]["job_id"]))

    def check_loaded(self, name, count, geometry_type, **config):
        done = self.run_request(name, **config)
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["ingest_vector", "stac_catalog_vectors"])
        r = self.result(done)
        table = r["outputs"]["collection"]
        self.assertEqual(r["facts"]["feature_count"], count)
        self.assertEqual(r["facts"]["geometry_type"], geometry_type)
        self.assertEqual(psql(self.db.url, 'SELECT count(*) FROM geo."%s"' % table), str(count))
        self.assertEqual(psql(self.db.url, "SELECT GeometryType(geom) FROM geo.\"%s\" LIMIT 1"
                              % table), geometry_type.upper())
        folder = os.path.join(self.srv.storage, "silver", "ddh", done["dataset_id"], "main", "v1")
        self.assertEqual(sorted(os.listdir(folder)), [table + ".gpkg"])
        self.assertEqual(gpkg_count(os.path.join(folder, table + ".gpkg")), count)
        stac = self.result(done, 1)["stac"]
        self.assertEqual((stac["table_name"], stac["feature_count"]), (table, count))
        return r, table

    def test_a_zipped_shapefile_of_mixed_polygons(self):
        r, table = self.check_loaded("naturalearth_lowres.zip", 177, "MultiPolygon")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM geo.\"%s\" WHERE NOT "
                              "ST_IsValid(geom)" % table), "0")

    def test_a_zipped_shapefile_of_points(self):
        self.check_loaded("naturalearth_cities.zip", 243, "Point")

    def test_a_projected_shapefile(self):
        r, table = self.check_loaded("nybb_16a.zip", 5, "MultiPolygon")
        west, south, east, north = r["facts"]["bbox"]
        self.assertTrue(-74.27 < west < -74.25 and -73.71 < east < -73.69, r["facts"]["bbox"])
        self.assertTrue(40.48 < south < 40.50 and 40.91 < north < 40.93, r["facts"]["bbox"])
        self.assertEqual(r["facts"]["source_crs"], "EPSG:2263")

    def test_luxembourg_districts(self):
        r, table = self.check_loaded("lux_shapefile.zip", 12, "Polygon")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM geo.\"%s\" WHERE name_2 = "
                              "'Grevenmacher'" % table), "1")

    def test_a_csv_with_wkt(self):
        self.check_loaded("pt.csv", 3, "Point")

    def test_a_csv_with_lon_lat(self):
        with open(os.path.join(self.bronze, "towns.csv"), "w") as f:
            f.write("name,lon,lat\nVianden,6.2066,49.9347\nRemich,6.3675,49.5447\n")
        self.check_loaded("towns.csv", 2, "Point")

    def test_geojson(self):
        with open(os.path.join(self.bronze, "lines.geojson"), "w") as f:
            json.dump({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"n": i},
                 "geometry": {"type": "LineString", "coordinates": [[i, 0], [i + 1, 1]]}}
                for i in range(4)]}, f)
        self.check_loaded("lines.geojson", 4, "LineString")

    def test_kml(self):
        with open(os.path.join(self.bronze, "places.kml"), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    '<Placemark><name>A</name><Point><coordinates>6.1,49.6</coordinates></Point>'
                    '</Placemark><Placemark><name>B</name><Point><coordinates>6.2,49.7'
                    '</coordinates></Point></Placemark></Document></kml>')
        self.check_loaded("places.kml", 2, "Point")

    def test_a_geopackage_layer(self):
        path = os.path.join(self.bronze, "two.gpkg")
        for layer, n in (("roads", 3), ("rivers", 2)):
            csv = os.path.join(self.srv.storage, layer + ".csv")
            with open(csv, "w") as f:
                f.write("id,lon,lat\n" + "".join("%d,%d,1\n" % (i, i) for i in range(n)))
            args = ["ogr2ogr", "-q", "-f", "GPKG", path, csv, "-nln", layer, "-oo",
                    "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-a_srs", "EPSG:4326"]
            if os.path.exists(path):
                args.insert(1, "-update")
            out = subprocess.run(args, capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
        done = self.run_request("two.gpkg")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "layer_required"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertIn("layer_name", done["error"]["message"])
        os.link(path, os.path.join(self.bronze, "two-b.gpkg"))
        self.check_loaded("two-b.gpkg", 2, "Point", layer_name="rivers")

    def test_a_csv_without_geometry_fails(self):
        with open(os.path.join(self.bronze, "people.csv"), "w") as f:
            f.write("id,name\n1,Ana\n")
        done = self.run_request("people.csv")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "no_geometry"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertIn("lon_column", done["error"]["message"])

    def test_a_corrupt_zip_fails(self):
        with open(os.path.join(DATA, "nybb_16a.zip"), "rb") as f:
            half = f.read()[:300000]
        with open(os.path.join(self.bronze, "cut.zip"), "wb") as f:
            f.write(half)
        done = self.run_request("cut.zip")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "archive_unreadable"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertNotIn(self.srv.storage, done["error"]["message"])
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                              "'geo' AND tablename LIKE '%cut_zip%'"), "0")
