"""`geoplatform serve` over real sockets: probes, errors, correlation ids, limits, logs, shutdown."""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

from gp_e2e import ScratchDatabase, Server, problem, psql, require_environment


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ScratchDatabase()
        cls.srv = Server(cls.db.url, "--log-format", "json", "--log-level", "debug",
                         "--set", "http.body_limit_bytes=1024",
                         "--set", "http.header_limit_bytes=2048")
        cls.srv.wait_status("/readyz", 200)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.close()
        cls.db.close()

    def setUp(self):
        require_environment(self)

    def test_livez(self):
        st, headers, body = self.srv.call("GET", "/livez")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {"status": "alive"})
        self.assertEqual(headers["content-type"], "application/json")

    def test_head_has_length_and_no_body(self):
        st, headers, body = self.srv.call("HEAD", "/livez")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(headers["content-length"], str(len('{"status":"alive"}')))

    def test_readyz_reports_the_schema(self):
        st, _, body = self.srv.call("GET", "/readyz")
        self.assertEqual(st, 200)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "ready")
        self.assertEqual(doc["checks"]["database"], "ok")
        self.assertEqual(doc["schema_version"],
                         int(psql(self.db.url, "SELECT max(version) FROM platform.schema_migrations")))

    def test_unknown_route_is_404_problem(self):
        doc = problem(self, self.srv.call("GET", "/no/such/route"), 404, "not_found")
        self.assertIn("/no/such/route", doc["detail"])

    def test_wrong_method_is_405_with_allow(self):
        r = self.srv.call("DELETE", "/readyz")
        problem(self, r, 405, "method_not_allowed")
        self.assertEqual(r[1]["allow"], "GET, HEAD")

    def test_correlation_id_is_echoed_when_valid(self):
        r = self.srv.call("GET", "/livez", headers={"X-Correlation-Id": "ddh-req.42_x"})
        self.assertEqual(r[1]["x-correlation-id"], "ddh-req.42_x")
        err = self.srv.call("GET", "/nope", headers={"X-Correlation-Id": "ddh-err-1"})
        self.assertEqual(err[1]["x-correlation-id"], "ddh-err-1")
        self.srv.wait_log("cid=ddh-err-1")

    def test_correlation_id_is_replaced_when_invalid(self):
        for bad in ("has space", "x" * 129, "semi;colon"):
            r = self.srv.call("GET", "/livez", headers={"X-Correlation-Id": bad})
            cid = r[1]["x-correlation-id"]
            self.assertNotEqual(cid, bad)
            self.assertRegex(cid, r"^[0-9a-f]{32}$")

    def test_every_answer_has_a_correlation_id(self):
        for method, path in (("GET", "/livez"), ("GET", "/readyz"), ("GET", "/x"),
                             ("POST", "/livez")):
            self.assertRegex(self.srv.call(method, path)[1]["x-correlation-id"],
                             r"^[0-9a-f]{32}$")

    def test_body_over_the_limit_is_413(self):
        r = self.srv.call("POST", "/livez", body=b"{" + b" " * 4096 + b"}",
                          headers={"Content-Type": "application/json"})
        doc = problem(self, r, 413, "payload_too_large")
        self.assertIn("1024", doc["detail"])

    def test_413_echoes_the_correlation_id_of_the_rejected_request(self):
        r = self.srv.call("POST", "/livez", body=b"x" * 4096,
                          headers={"Content-Type": "application/json",
                                   "X-Correlation-Id": "big-upload-7"})
        problem(self, r, 413, "payload_too_large")
        self.assertEqual(r[1]["x-correlation-id"], "big-upload-7")

    def test_threads_are_named_for_operators(self):
        # top -H and perf show what each thread is (docs/operations.md, Threads).
        names = []
        for tid in os.listdir("/proc/%d/task" % self.srv.proc.pid):
            with open("/proc/%d/task/%s/comm" % (self.srv.proc.pid, tid)) as f:
                names.append(f.read().strip())
        self.assertIn("gp.http.0", names)
        self.assertIn("caf.multiplexer", names)
        self.assertIn("caf.actor", names)

    def test_port_0_logs_the_real_port_and_base_url(self):
        self.assertIn("public base URL http://127.0.0.1:%d" % self.srv.port, self.srv.output())

    def test_headers_over_the_limit_are_431(self):
        r = self.srv.call("GET", "/livez", headers={"X-Big": "a" * 4096})
        problem(self, r, 431, "headers_too_large")

    def test_malformed_request_is_400(self):
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400"), data)
        self.assertIn(b"application/problem+json", head)
        self.assertEqual(json.loads(body)["code"], "bad_request")

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=5)
        try:
            for _ in range(3):
                conn.request("GET", "/livez")
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                r.read()
                self.assertNotEqual(r.getheader("Connection"), "close")
        finally:
            conn.close()

    def test_log_lines_are_json_and_hold_no_password(self):
        # A path with a quote and a backslash lands in the access log line.
        self.srv.call("GET", '/x"y\\z', headers={"X-Correlation-Id": "json-log-check"})
        self.srv.wait_log("cid=json-log-check")
        out = self.srv.output()
        lines = [l for l in out.splitlines() if l.strip()]
        self.assertGreater(len(lines), 3)
        for line in lines:
            doc = json.loads(line)
            self.assertIn("msg", doc)
            self.assertIn("level", doc)
        self.assertNotIn(":geoplatform@", out)

    def test_second_server_on_the_same_port_fails_clearly(self):
        from gp_e2e import run
        r = run("serve", "--port", str(self.srv.port),
                env={"GEOPLATFORM_DATABASE_URL": self.db.url,
                     "GEOPLATFORM_STORAGE_BRONZE_ROOT": "/tmp/gp_e2e_bronze",
                     "GEOPLATFORM_STORAGE_SILVER_ROOT": "/tmp/gp_e2e_silver"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot listen on 127.0.0.1:%d" % self.srv.port, r.stderr)


class Shutdown(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_sigterm_finishes_a_call_in_flight_then_exits_0(self):
        with ScratchDatabase() as db:
            srv = Server(db.url, "--set", "database.statement_timeout_ms=20000",
                         "--set", "http.shutdown_grace_s=20")
            try:
                srv.wait_status("/readyz", 200)
                # Hold a lock that the readiness query must wait for: the call stays in flight.
                locker = subprocess.Popen(["psql", "-X", "-q", "-tA", db.url],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True)
                locker.stdin.write("BEGIN;\nLOCK TABLE platform.schema_migrations IN ACCESS "
                                   "EXCLUSIVE MODE;\nSELECT 'locked';\n")
                locker.stdin.flush()
                self.assertEqual(locker.stdout.readline().strip(), "locked")
                result = {}
                t = threading.Thread(target=lambda: result.update(
                    r=srv.call("GET", "/readyz", timeout=60)))
                t.start()
                deadline = time.time() + 10
                while psql(db.url, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND wait_event_type = 'Lock'") != "1":
                    self.assertLess(time.time(), deadline, "the readiness call never blocked")
                    time.sleep(0.05)
                srv.proc.send_signal(signal.SIGTERM)
                # New connections are refused while the call is still in flight. A connection
                # that reached the listen queue just before the listener closed is reset by the
                # kernel instead: not accepted either.
                deadline = time.time() + 5
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                    except (ConnectionRefusedError, ConnectionResetError):
                        break
                    self.assertLess(time.time(), deadline, "still accepting after SIGTERM")
                    time.sleep(0.05)
                self.assertTrue(t.is_alive())
                self.assertIsNone(srv.proc.poll())
                locker.stdin.write("COMMIT;\n")
                locker.stdin.close()
                locker.wait(10)
                t.join(15)
                self.assertFalse(t.is_alive())
                self.assertEqual(result["r"][0], 200, result["r"])
                self.assertEqual(srv.proc.wait(15), 0, srv.output())
                out = srv.output()
                self.assertIn("received SIGTERM", out)
                self.assertIn("all actors stopped", out)
            finally:
                srv.close()

    def test_sigint_with_nothing_in_flight_exits_0_quickly(self):
        with ScratchDatabase() as db:
            srv = Server(db.url)
            try:
                srv.wait_status("/readyz", 200)
                started = time.time()
                self.assertEqual(srv.stop(signal.SIGINT, timeout=10), 0, srv.output())
                self.assertLess(time.time() - started, 5)
            finally:
                srv.close()


class WithoutPostgis(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_readyz_is_503_and_says_why(self):
        with ScratchDatabase(postgis=False) as db:
            srv = Server(db.url)
            try:
                r = srv.wait_status("/readyz", 503)
                doc = problem(self, r, 503, "not_ready")
                self.assertEqual(doc["checks"]["database"], "postgis_missing")
                self.assertEqual(srv.call("GET", "/livez")[0], 200)
                srv.wait_log("PostGIS extension is not installed")
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()


if __name__ == "__main__":
    unittest.main()
