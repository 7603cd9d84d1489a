"""What the platform request tests share: the engine settings of a served node, its clients and
keys, source files in a client's bronze folder, an API caller, and a submit body."""
import json
import os
import shutil
import subprocess
import time

from gp_e2e import ServedTestCase, run

# tests/data: the real files the tests read.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

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
    for name in ("pt.csv", "nybb_16a.zip"):
        shutil.copy(os.path.join(DATA, name), os.path.join(folder, name))
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


class SourcesCase(ClientCase):
    """A ClientCase whose bronze folder holds what put_sources puts there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        put_sources(cls.srv)
