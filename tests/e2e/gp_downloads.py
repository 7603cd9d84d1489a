"""The served fixture of the download tests: a completed raster request (lux_elev.tif through the
real jobs), a completed collection row whose folder holds COGs and a MosaicJSON, and rows of a
failed request, another client's request, a request whose file has gone, one whose outputs lie
outside the storage and one without outputs."""
import hashlib
import json
import os
import shutil
import subprocess
import uuid

from gp_e2e import ServedTestCase, psql
from gp_platform import ENGINE, Api, body, make_raster, setup_clients

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
BASE = "https://geo.example.org"


def request_id():
    return uuid.uuid4().hex


def insert_request(db_url, client, request_type, status, outputs):
    """Stores a request row of a new dataset of `client`; returns its id (the identity's hash,
    as the table requires)."""
    dataset = "d-" + uuid.uuid4().hex[:12]
    rid = hashlib.sha256(("%s|%s|main|v1" % (client, dataset)).encode()).hexdigest()[:32]
    psql(db_url, """INSERT INTO platform.requests
        (request_id, client_id, dataset_id, resource_id, version_id, request_type, source_path,
         status, outputs, completed_at)
        VALUES ('%s', '%s', '%s', 'main', 'v1', '%s', 'src', '%s', %s, now())""" % (
        rid, client, dataset, request_type, status,
        "NULL" if outputs is None else "'%s'::jsonb" % json.dumps(outputs).replace("'", "''")))
    return rid


def cog(src, dst, *options):
    out = subprocess.run(["gdal_translate", "-q", "-of", "COG", *options, src, dst],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


class DownloadsCase(ServedTestCase):
    server_args = ENGINE + ["--set", "http.public_base_url=" + BASE]
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
        # process_raster reports the file it wrote; the completion stores it with the folder.
        result = json.loads(psql(cls.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                 % done["jobs"][1]["job_id"]))
        cls.job_outputs = result["outputs"]
        cls.outputs = json.loads(psql(cls.db.url, "SELECT outputs FROM platform.requests "
                                      "WHERE request_id = '%s'" % cls.raster_id))
        cls.endpoints = done["endpoints"]
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
        cls.coll_id = insert_request(
            cls.db.url, "ddh", "collection", "completed",
            {"dir": cls.coll_dir, "files": ["a.tif", "b c.tif", "wide.tif"], "mosaic": True})

        # A request that failed, one of another client, one whose file has gone, one whose
        # outputs point outside the storage.
        cls.failed_id = insert_request(cls.db.url, "ddh", "raster", "failed", None)
        cls.others_id = insert_request(cls.db.url, "other", "raster", "completed",
                                       {"dir": cls.raster_dir, "download": "lux_elev.tif"})
        cls.gone_id = insert_request(cls.db.url, "ddh", "raster", "completed",
                                     {"dir": cls.raster_dir, "download": "gone.tif"})
        cls.outside_id = insert_request(cls.db.url, "ddh", "raster", "completed",
                                        {"dir": os.path.abspath(DATA), "download": "lux_elev.tif"})
        cls.bare_id = insert_request(cls.db.url, "ddh", "raster", "completed", None)

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

    def files(self, name, rid=None):
        return "/platform/data/%s/files/%s" % (rid or self.coll_id, name)
