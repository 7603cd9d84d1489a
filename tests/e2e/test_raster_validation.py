"""Raster requests with GDAL: validate_raster describes real GeoTIFFs (bands, types, nodata, CRS,
resolution, extent in EPSG:4326, hash) or fails the request with a code the client can act on;
process_raster writes a Cloud-Optimized GeoTIFF that GDAL's COG validator accepts."""
import json
import os
import shutil
import subprocess

from gp_e2e import psql
from gp_platform import ClientCase, DATA, body, make_raster

class RasterValidation(ClientCase):
    def run_request(self, name, **config):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="r-" + name.replace(".", "-"),
                                        source_path=name, processing_config=config or None))
        self.assertEqual(st, 202, doc)
        return self.api.wait(doc["request_id"])

    def facts(self, done):
        return json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                               % done["jobs"][0]["job_id"]))

    def test_a_projected_raster_is_described_with_its_extent_in_4326(self):
        # New York State Plane (EPSG:2263, US feet), around Manhattan.
        make_raster(os.path.join(self.bronze, "nyc.tif"), bands=1, dtype="UInt16",
                    srs="EPSG:2263", ullr=("980000", "220000", "1000000", "200000"))
        done = self.run_request("nyc.tif")
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(done["jobs"][0]["job_type"], "validate_raster")
        f = self.facts(done)
        self.assertEqual((f["driver"], f["width"], f["bands"], f["data_types"]),
                         ("GTiff", 32, 1, ["UInt16"]))
        self.assertEqual(f["crs"]["epsg"], 2263)
        self.assertIn("PROJCRS", f["crs"]["wkt2"])
        self.assertEqual(f["crs_from"], "file")
        self.assertAlmostEqual(f["resolution"][0], 625.0)
        west, south, east, north = f["extent_4326"]
        self.assertTrue(-74.05 < west < east < -73.9, f["extent_4326"])
        self.assertTrue(40.7 < south < north < 40.8, f["extent_4326"])
        self.assertRegex(f["sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(f["bytes"], os.path.getsize(os.path.join(self.bronze, "nyc.tif")))

    def test_nodata_is_recorded(self):
        plain = os.path.join(self.bronze, "plain16.tif")
        make_raster(plain, bands=2, dtype="Int16")
        out = subprocess.run(["gdal_translate", "-q", "-a_nodata", "-9999", plain,
                              os.path.join(self.bronze, "nodata.tif")],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        done = self.run_request("nodata.tif")
        self.assertEqual(done["status"], "completed", done)
        f = self.facts(done)
        self.assertEqual(f["nodata"], [-9999.0, -9999.0])
        self.assertEqual(f["data_types"], ["Int16", "Int16"])

    def test_a_raster_without_georeferencing_fails(self):
        make_raster(os.path.join(self.bronze, "logo.tif"), srs=None, ullr=None)
        done = self.run_request("logo.tif")
        self.assertEqual(done["status"], "failed")
        self.assertEqual(done["error"]["code"], "not_georeferenced")
        self.assertIn("georeferencing", done["error"]["message"])

    def test_a_raster_without_crs_needs_source_crs(self):
        make_raster(os.path.join(self.bronze, "nocrs.tif"), srs=None)
        done = self.run_request("nocrs.tif")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "crs_unknown"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertIn("source_crs", done["error"]["message"])
        os.link(os.path.join(self.bronze, "nocrs.tif"), os.path.join(self.bronze, "nocrs2.tif"))
        done = self.run_request("nocrs2.tif", source_crs="EPSG:4326")
        self.assertEqual(done["status"], "completed", done)
        f = self.facts(done)
        self.assertEqual((f["crs"]["epsg"], f["crs_from"]), (4326, "source_crs"))
        self.assertEqual(f["extent_4326"], [5.0, 49.0, 6.0, 50.0])

    def test_bytes_that_are_not_a_raster_fail(self):
        with open(os.path.join(self.bronze, "noise.tif"), "wb") as f:
            f.write(os.urandom(5000))
        done = self.run_request("noise.tif")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "unreadable"))
        self.assertFalse(done["error"]["retryable"])  # the file must change first

    def test_a_truncated_geotiff_fails(self):
        path = os.path.join(self.bronze, "cut.tif")
        make_raster(path, size=512)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        done = self.run_request("cut.tif")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "unreadable"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertNotIn(self.srv.storage, done["error"]["message"])

    def cog_of(self, done, name):
        path = os.path.join(self.srv.storage, "silver", "ddh", done["dataset_id"], "main", "v1",
                            name)
        self.assertTrue(os.path.exists(path), os.listdir(os.path.dirname(path)))
        leftovers = [n for n in os.listdir(os.path.dirname(path)) if "partial" in n]
        self.assertEqual(leftovers, [])
        return path

    def test_the_cog_passes_the_validator(self):
        make_raster(os.path.join(self.bronze, "big.tif"), size=1200)
        done = self.run_request("big.tif", compression="zstd", blocksize=256)
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["validate_raster", "process_raster", "stac_catalog_raster"])
        path = self.cog_of(done, "big.tif")
        check = subprocess.run(["/usr/bin/python3", "-m",
                                "osgeo_utils.samples.validate_cloud_optimized_geotiff", path],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        info = json.loads(subprocess.run(["gdalinfo", "-json", path], capture_output=True,
                                         text=True, check=True).stdout)
        self.assertEqual(info["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"], "ZSTD")
        self.assertEqual(info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"], "COG")
        self.assertEqual(info["bands"][0]["block"], [256, 256])
        self.assertTrue(info["bands"][0]["overviews"], "no overviews")
        result = json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                 % done["jobs"][1]["job_id"]))
        self.assertEqual((result["file"], result["compression"]), ("big.tif", "zstd"))
        self.assertEqual(len(result["bands"]), 3)
        self.assertAlmostEqual(result["bands"][0]["mean"], 7.0)
        self.assertEqual(result["bytes"], os.path.getsize(path))

    def test_a_half_file_of_an_earlier_attempt_is_removed(self):
        make_raster(os.path.join(self.bronze, "again.tif"))
        out = os.path.join(self.srv.storage, "silver", "ddh", "r-again-tif", "main", "v1")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, ".again.tif.partial-1234-5678"), "wb") as f:
            f.write(b"half a file from a node that died")
        done = self.run_request("again.tif")
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(sorted(os.listdir(out)), ["again.overview.png", "again.tif"])

    def test_default_compression_and_a_source_crs_given_by_the_client(self):
        make_raster(os.path.join(self.bronze, "plain.tif"), srs=None)
        done = self.run_request("plain.tif", source_crs="EPSG:4326")
        self.assertEqual(done["status"], "completed", done)
        info = json.loads(subprocess.run(["gdalinfo", "-json", self.cog_of(done, "plain.tif")],
                                         capture_output=True, text=True, check=True).stdout)
        self.assertEqual(info["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"], "DEFLATE")
        self.assertIn("4326", json.dumps(info["coordinateSystem"]))

    # Real files (tests/data, from Debian packages).
    def real(self, name):
        shutil.copy(os.path.join(DATA, name), os.path.join(self.bronze, name))

    def test_real_elevation_grid_becomes_a_valid_cog(self):
        self.real("lux_elev.tif")
        done = self.run_request("lux_elev.tif")
        self.assertEqual(done["status"], "completed", done)
        f = self.facts(done)
        self.assertEqual((f["width"], f["height"], f["data_types"], f["nodata"]),
                         (95, 90, ["Int16"], [-32768.0]))
        self.assertEqual(f["crs"]["epsg"], 4326)
        for got, want in zip(f["extent_4326"], [5.7417, 49.4417, 6.5333, 50.1917]):
            self.assertAlmostEqual(got, want, places=3)
        path = self.cog_of(done, "lux_elev.tif")
        check = subprocess.run(["/usr/bin/python3", "-m",
                                "osgeo_utils.samples.validate_cloud_optimized_geotiff", path],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_real_tiny_raster(self):
        self.real("grain.tif")
        done = self.run_request("grain.tif")
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(self.facts(done)["width"], 6)

    def test_real_logo_without_georeferencing_fails(self):
        self.real("rgb_logo.tif")
        done = self.run_request("rgb_logo.tif")
        self.assertEqual((done["status"], done["error"]["code"]), ("failed", "not_georeferenced"))
        self.assertFalse(done["error"]["retryable"])  # about the source
        self.assertIn("engineering", done["error"]["message"])
