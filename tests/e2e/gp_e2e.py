"""Helpers for end-to-end tests: the built geoplatform binary, scratch databases, HTTP calls."""
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

BIN = os.environ.get("GEOPLATFORM_BIN", "")
BASE_URL = os.environ.get("GEOPLATFORM_TEST_DATABASE_URL", "")


def require_environment(test: unittest.TestCase):
    if not BIN or not os.path.exists(BIN):
        test.fail("GEOPLATFORM_BIN is not set; run the tests through ctest (scripts/test)")
    if not BASE_URL:
        test.fail("GEOPLATFORM_TEST_DATABASE_URL is not set; run the tests through scripts/test")


def with_database(url: str, name: str) -> str:
    head, _, tail = url.partition("?")
    return head[: head.rfind("/") + 1] + name + (("?" + tail) if tail else "")


def psql(url: str, sql: str) -> str:
    out = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError("psql failed (%s): %s" % (sql, out.stderr.strip()))
    return out.stdout.strip()


class ScratchDatabase:
    """A database cloned from geoplatform_template (PostGIS) or template0, dropped on close."""

    def __init__(self, postgis=True, base_url=None):
        self.base = base_url or BASE_URL
        self.name = "gpe_%d_%s" % (os.getpid(), uuid.uuid4().hex[:8])
        template = "geoplatform_template" if postgis else "template0"
        for attempt in range(10):
            try:
                psql(self.base, "CREATE DATABASE %s TEMPLATE %s" % (self.name, template))
                break
            except AssertionError:
                if attempt == 9:
                    raise
                time.sleep(0.2)
        self.url = with_database(self.base, self.name)

    def close(self):
        # A background worker visiting the database can make one DROP fail: try a few times.
        for attempt in range(10):
            try:
                psql(self.base, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
                return
            except AssertionError:
                if attempt == 9:
                    raise
                time.sleep(0.2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(*args, env=None, timeout=60):
    """Runs the binary; returns CompletedProcess with text stdout/stderr."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GEOPLATFORM_")}
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)


class Server:
    """`geoplatform serve` on a free port, its log in a temporary file."""

    def __init__(self, db_url, *extra, env=None):
        self.log = tempfile.NamedTemporaryFile(prefix="gp_serve_", suffix=".log", delete=False)
        self.storage = tempfile.mkdtemp(prefix="gp_storage_")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("GEOPLATFORM_")}
        full_env.update({
            "GEOPLATFORM_DATABASE_URL": db_url,
            "GEOPLATFORM_STORAGE_BRONZE_ROOT": os.path.join(self.storage, "bronze"),
            "GEOPLATFORM_STORAGE_SILVER_ROOT": os.path.join(self.storage, "silver"),
        })
        full_env.update(env or {})
        self.proc = subprocess.Popen([BIN, "serve", "--port", "0", *extra], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=full_env)
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"listening on http://[^:]+:(\d+)", self.output())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError("serve exited with %s:\n%s" % (self.proc.returncode,
                                                                     self.output()))
            time.sleep(0.05)
        raise AssertionError("serve did not start:\n" + self.output())

    def output(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        """Waits until `text` appears in the server's log (lines are written after the answer)."""
        deadline = time.time() + timeout
        while text not in self.output():
            if time.time() > deadline:
                raise AssertionError("%r never appeared in the log:\n%s" % (text, self.output()))
            time.sleep(0.05)

    def call(self, method, path, body=None, headers=None, timeout=10):
        return call("127.0.0.1", self.port, method, path, body, headers, timeout)

    def wait_status(self, path, status, timeout=20):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.call("GET", path, timeout=5)
                if last[0] == status:
                    return last
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise AssertionError("%s never answered %d (last: %r)\n%s" % (path, status, last,
                                                                       self.output()))

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def close(self):
        """Kills the server if it still runs and removes its log; closing twice is harmless."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)


def call(host, port, method, path, body=None, headers=None, timeout=10):
    """One HTTP call on a new connection: (status, headers dict lower-cased, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def problem(test, response, status, code):
    """Asserts a problem+json answer with this status and code; returns the parsed body."""
    st, headers, body = response
    test.assertEqual(st, status, body)
    test.assertTrue(headers.get("content-type", "").startswith("application/problem+json"),
                    headers)
    doc = json.loads(body)
    test.assertEqual(doc["status"], status)
    test.assertEqual(doc["code"], code)
    for member in ("type", "title", "detail"):
        test.assertIn(member, doc)
    return doc


def log_events(log, event=None):
    """The structured event lines of a server log, parsed: JSON lines (log.format = json) and
    text lines ("<ts> <level> <msg>", a tab, then the fields as JSON); only those of `event`
    when given."""
    out = []
    for line in log.splitlines():
        doc = None
        try:
            if line.startswith("{"):
                doc = json.loads(line)
            elif "\t{" in line:
                head, _, fields = line.rpartition("\t")
                ts, level, msg = (head.split(" ", 2) + ["", ""])[:3]
                doc = dict(json.loads(fields), ts=ts, level=level, msg=msg)
        except ValueError:
            continue
        if isinstance(doc, dict) and "event" in doc and (event is None or doc["event"] == event):
            out.append(doc)
    return out


class ServedTestCase(unittest.TestCase):
    """A test class sharing one scratch database and one `serve` for all its tests. Subclasses
    set `server_args` and may override `prepare(db_url)` (run after the database exists, before
    the server starts); its result is kept as `cls.keys`. The server must exit with 0."""

    server_args = ()

    @classmethod
    def prepare(cls, db_url):
        return None

    @classmethod
    def setUpClass(cls):
        cls.db = ScratchDatabase()
        # Class cleanups also run when setUpClass fails, here or in a subclass after it, when
        # tearDownClass does not: no server is left running, no database left behind.
        cls.addClassCleanup(cls.db.close)
        cls.keys = cls.prepare(cls.db.url)
        cls.srv = Server(cls.db.url, *cls.server_args)
        cls.addClassCleanup(cls.srv.close)
        cls.srv.wait_status("/readyz", 200)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        log = cls.srv.output()
        cls.srv.close()
        cls.db.close()
        assert rc == 0, "serve exited with %s:\n%s" % (rc, log[-4000:])

    def setUp(self):
        require_environment(self)
