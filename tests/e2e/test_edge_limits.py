"""Edge limits over real sockets: 404/405/415/400/413/414/431/503, timeouts, correlation ids."""
import http.client
import json
import re
import socket
import time
import unittest

from gp_e2e import ScratchDatabase, Server, problem, require_environment, run

HEX32 = r"^[0-9a-f]{32}$"


def setUpModule():
    global DB, ADMIN
    DB = ScratchDatabase()
    try:
        r = run("migrate", "--database-url", DB.url)
        assert r.returncode == 0, r.stderr
        r = run("clients", "create", "ddh", "--database-url", DB.url)
        assert r.returncode == 0, r.stderr
        r = run("keys", "create", "--client", "ddh", "--level", "admin", "--database-url", DB.url)
        assert r.returncode == 0, r.stderr
        ADMIN = r.stdout.strip()
    except BaseException:
        DB.close()
        raise


def tearDownModule():
    DB.close()


def parse_response(data):
    """(status, headers dict lower-cased, body bytes) from one raw HTTP/1.1 answer."""
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, "no end of headers in %r" % data
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
    assert m, "not an HTTP status line: %r" % lines[0]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = headers.get("content-length")
    if length is not None:
        body = body[: int(length)]
    return int(m.group(1)), headers, body


def read_response(sock, deadline):
    """Reads one answer with a Content-Length from `sock` (keeps the connection usable)."""
    data = b""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            if m and len(rest) >= int(m.group(1)):
                return parse_response(data)
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no complete answer before the deadline: %r" % data)
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            if sep:
                return parse_response(data)
            raise AssertionError("connection closed before a complete answer: %r" % data)
        data += chunk


def read_until_closed(sock, timeout):
    """Reads until the peer closes; returns (bytes, seconds waited). Fails after `timeout`."""
    started = time.monotonic()
    data = b""
    while True:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise AssertionError("the server did not close the connection within %.1f s "
                                 "(received %r)" % (timeout, data))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except socket.timeout:
            continue
        if not chunk:
            return data, time.monotonic() - started
        data += chunk


def wait_for_log(test, srv, needle, timeout=5):
    deadline = time.monotonic() + timeout
    while needle not in srv.output():
        test.assertLess(time.monotonic(), deadline, "%r never appeared in the log:\n%s"
                        % (needle, srv.output()))
        time.sleep(0.05)


class EdgeServer(unittest.TestCase):
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(DB.url, *cls.server_args)
        try:
            cls.srv.wait_status("/livez", 200)
        except BaseException:
            cls.srv.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.close()

    def setUp(self):
        require_environment(self)

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)

    def admin(self, extra=None):
        h = {"X-Platform-API-Key": ADMIN}
        h.update(extra or {})
        return h


class Routing(EdgeServer):
    """Default limits."""

    def test_unknown_route_is_404(self):
        for method, path in (("GET", "/nope"), ("POST", "/admin"), ("GET", "/admin/keys/"),
                             ("GET", "/platform/whoami/extra"), ("GET", "/livez/")):
            with self.subTest(method=method, path=path):
                doc = problem(self, self.srv.call(method, path, headers=self.admin()),
                              404, "not_found")
                self.assertIn(path, doc["detail"])

    def test_404_comes_before_authentication(self):
        r = self.srv.call("GET", "/no/such/thing")
        problem(self, r, 404, "not_found")
        self.assertNotIn("www-authenticate", r[1])

    def test_wrong_method_is_405_with_allow(self):
        cases = (("DELETE", "/platform/whoami", "GET, HEAD"),
                 ("POST", "/health", "GET, HEAD"),
                 ("PUT", "/admin/keys", "GET, HEAD, POST"),
                 ("DELETE", "/admin/keys", "GET, HEAD, POST"),
                 ("GET", "/admin/keys/abcdefgh", "DELETE"),
                 ("POST", "/livez", "GET, HEAD"))
        for method, path, allow in cases:
            with self.subTest(method=method, path=path):
                r = self.srv.call(method, path, headers=self.admin())
                doc = problem(self, r, 405, "method_not_allowed")
                self.assertEqual(r[1]["allow"], allow)
                self.assertIn(method, doc["detail"])
        # Without a key as well: the method is checked before the key.
        r = self.srv.call("PUT", "/admin/keys")
        problem(self, r, 405, "method_not_allowed")
        self.assertEqual(r[1]["allow"], "GET, HEAD, POST")

    def post_keys(self, body, content_type, key=True):
        headers = self.admin() if key else {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.srv.call("POST", "/admin/keys", body=body, headers=headers)

    def test_415_for_text_plain(self):
        body = json.dumps({"client_id": "ddh", "access_level": "trusted"})
        doc = problem(self, self.post_keys(body, "text/plain"), 415, "unsupported_media_type")
        self.assertIn("text/plain", doc["detail"])
        for ct in ("application/x-www-form-urlencoded", "application/jsonx", "json",
                   "application/problem+json"):
            with self.subTest(content_type=ct):
                problem(self, self.post_keys(body, ct), 415, "unsupported_media_type")

    def test_415_without_content_type(self):
        body = json.dumps({"client_id": "ddh", "access_level": "trusted"})
        doc = problem(self, self.post_keys(body, None), 415, "unsupported_media_type")
        self.assertIn("Content-Type", doc["detail"])

    def test_malformed_json_is_400(self):
        for body in ('{"client_id": "ddh", "access_level": ', "{", "", "not json",
                     '{"client_id": "ddh"} trailing'):
            with self.subTest(body=body):
                doc = problem(self, self.post_keys(body, "application/json"), 400,
                              "malformed_json")
                self.assertNotIn("errors", doc)

    def test_json_with_parameters_is_accepted(self):
        for ct in ("application/json; charset=utf-8", "Application/JSON",
                   "application/json ; charset=UTF-8"):
            with self.subTest(content_type=ct):
                doc = problem(self, self.post_keys(json.dumps({"access_level": "root"}), ct),
                              400, "validation_error")
                fields = [e["field"] for e in doc["errors"]]
                self.assertIn("client_id", fields)
                self.assertIn("access_level", fields)
        st, _, body = self.post_keys(json.dumps({"client_id": "ddh", "access_level": "trusted"}),
                                     "application/json; charset=utf-8")
        self.assertEqual(st, 201, body)

    def test_body_checks_come_after_the_key(self):
        # A caller without a valid key learns nothing about the body rules.
        r = self.post_keys("{", "text/plain", key=False)
        problem(self, r, 401, "unauthorized")

    def test_default_limits_accept_ordinary_requests(self):
        st, _, _ = self.srv.call("GET", "/livez?" + "q=" + "x" * 2000)
        self.assertEqual(st, 200)
        st, _, _ = self.srv.call("GET", "/livez", headers={"X-Pad": "p" * 4000})
        self.assertEqual(st, 200)


class Correlation(EdgeServer):
    def test_valid_id_is_echoed_and_logged(self):
        cases = (
            ("GET", "/platform/whoami", None, self.admin(), 200, "e2e-ok.1"),
            ("GET", "/platform/whoami", None, {}, 401, "e2e-401_A"),
            ("GET", "/no/such/route", None, {}, 404, "e2e-404"),
            ("POST", "/admin/keys", "{}", self.admin({"Content-Type": "text/plain"}), 415,
             "E2E.415-" + "x" * 120),  # exactly 128 characters
        )
        for method, path, body, headers, status, cid in cases:
            with self.subTest(status=status):
                headers = dict(headers, **{"X-Correlation-Id": cid})
                r = self.srv.call(method, path, body=body, headers=headers)
                self.assertEqual(r[0], status, r)
                self.assertEqual(r[1]["x-correlation-id"], cid)
                wait_for_log(self, self.srv, "cid=" + cid)

    def test_invalid_id_is_replaced(self):
        for bad in ("x" * 129, "has space", "semi;colon", "slash/y", "quote\"", "a,b", "tab\tx",
                    "colon:x", "pct%41"):
            with self.subTest(cid=bad):
                for method, path in (("GET", "/livez"), ("GET", "/nowhere")):
                    r = self.srv.call(method, path, headers={"X-Correlation-Id": bad})
                    cid = r[1]["x-correlation-id"]
                    self.assertNotEqual(cid, bad)
                    self.assertRegex(cid, HEX32)
        # An empty one is replaced as well.
        r = self.srv.call("GET", "/livez", headers={"X-Correlation-Id": ""})
        self.assertRegex(r[1]["x-correlation-id"], HEX32)

    def test_generated_ids_differ(self):
        ids = {self.srv.call("GET", "/livez")[1]["x-correlation-id"] for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_every_answer_carries_a_correlation_id(self):
        cases = (("GET", "/livez", None, {}), ("HEAD", "/livez", None, {}),
                 ("GET", "/readyz", None, {}), ("GET", "/platform/whoami", None, self.admin()),
                 ("GET", "/platform/whoami", None, {}), ("GET", "/admin/keys", None, {}),
                 ("GET", "/x", None, {}), ("DELETE", "/livez", None, {}),
                 ("POST", "/admin/keys", "{}", self.admin()),
                 ("POST", "/admin/keys", "{", self.admin({"Content-Type": "application/json"})),
                 ("POST", "/admin/keys", "{}", self.admin({"Content-Type": "application/json"})),
                 ("DELETE", "/admin/keys/zzzzzzzz", None, self.admin()))
        for method, path, body, headers in cases:
            with self.subTest(method=method, path=path):
                r = self.srv.call(method, path, body=body, headers=headers)
                self.assertRegex(r[1].get("x-correlation-id", ""), HEX32, r)

    def test_keep_alive_answers_each_request_with_its_own_id(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=5)
        try:
            for cid in ("first-1", "second-2", "third-3"):
                conn.request("GET", "/livez", headers={"X-Correlation-Id": cid})
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.getheader("X-Correlation-Id"), cid)
        finally:
            conn.close()


class SizeLimits(EdgeServer):
    server_args = ("--set", "http.body_limit_bytes=2048", "--set", "http.url_limit_bytes=512",
                   "--set", "http.header_limit_bytes=4096")

    def test_body_over_the_limit_is_413(self):
        body = json.dumps({"client_id": "ddh", "access_level": "trusted",
                           "description": "d" * 4000})
        r = self.srv.call("POST", "/admin/keys", body=body,
                          headers=self.admin({"Content-Type": "application/json",
                                              "X-Correlation-Id": "too-big-1"}))
        doc = problem(self, r, 413, "payload_too_large")
        self.assertIn("2048", doc["detail"])
        self.assertEqual(r[1]["x-correlation-id"], "too-big-1")
        # Without a key as well: the body is refused while it is read.
        problem(self, self.srv.call("POST", "/admin/keys", body=b"x" * 3000,
                                    headers={"Content-Type": "application/json"}),
                413, "payload_too_large")

    def test_body_just_under_the_limit_is_read(self):
        body = json.dumps({"client_id": "ddh", "access_level": "root"})
        body = body[:-1] + " " * (2048 - len(body)) + "}"
        self.assertEqual(len(body), 2048)
        problem(self, self.srv.call("POST", "/admin/keys", body=body,
                                    headers=self.admin({"Content-Type": "application/json"})),
                400, "validation_error")

    def test_chunked_body_over_the_limit_is_413(self):
        with self.connect() as s:
            chunk = b"x" * 1500
            s.sendall(b"POST /admin/keys HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\nX-Platform-API-Key: " + ADMIN.encode() +
                      b"\r\n\r\n" + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 +
                      b"0\r\n\r\n")
            data, _ = read_until_closed(s, 5)
        doc = problem(self, parse_response(data), 413, "payload_too_large")
        self.assertIn("2048", doc["detail"])

    def test_long_target_is_414(self):
        for target in ("/" + "a" * 999, "/livez?q=" + "x" * 991):
            with self.subTest(target=target[:12]):
                self.assertEqual(len(target), 1000)
                r = self.srv.call("GET", target, headers={"X-Correlation-Id": "long-url-1"})
                doc = problem(self, r, 414, "uri_too_long")
                self.assertIn("512", doc["detail"])
                self.assertEqual(r[1]["x-correlation-id"], "long-url-1")
        # Also with a key and for a route that exists.
        problem(self, self.srv.call("GET", "/admin/keys?client_id=" + "d" * 600,
                                    headers=self.admin()), 414, "uri_too_long")

    def test_target_at_the_limit_is_served(self):
        target = "/livez?q=" + "x" * (512 - len("/livez?q="))
        self.assertEqual(len(target), 512)
        self.assertEqual(self.srv.call("GET", target)[0], 200)

    def test_headers_over_the_limit_are_431(self):
        # The id is echoed when it comes before the fields that break the limit ...
        r = self.srv.call("GET", "/livez", headers={"X-Correlation-Id": "fat-headers",
                                                    "X-Big": "a" * 8000})
        doc = problem(self, r, 431, "headers_too_large")
        self.assertIn("4096", doc["detail"])
        self.assertEqual(r[1]["x-correlation-id"], "fat-headers")
        # ... and replaced by a generated one when the server stopped reading before it.
        r = self.srv.call("GET", "/livez", headers={"X-Big": "a" * 8000,
                                                    "X-Correlation-Id": "fat-headers-2"})
        problem(self, r, 431, "headers_too_large")
        self.assertRegex(r[1]["x-correlation-id"], HEX32)
        many = {"X-H%03d" % i: "v" * 40 for i in range(200)}
        problem(self, self.srv.call("GET", "/platform/whoami", headers=many), 431,
                "headers_too_large")

    def test_limit_answers_carry_a_generated_correlation_id(self):
        for r in (self.srv.call("GET", "/" + "a" * 999),
                  self.srv.call("GET", "/livez", headers={"X-Big": "a" * 8000}),
                  self.srv.call("POST", "/livez", body=b"x" * 3000,
                                headers={"Content-Type": "application/json"})):
            self.assertIn(r[0], (413, 414, 431))
            self.assertRegex(r[1]["x-correlation-id"], HEX32)

    def test_server_still_serves_after_refusals(self):
        self.srv.call("GET", "/" + "a" * 999)
        self.srv.call("POST", "/livez", body=b"x" * 3000)
        self.assertEqual(self.srv.call("GET", "/livez")[0], 200)


class ConnectionCap(EdgeServer):
    server_args = ("--set", "http.max_connections=2")

    def idle_keep_alive(self):
        s = self.connect()
        s.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
        st, headers, body = read_response(s, time.monotonic() + 5)
        self.assertEqual(st, 200, body)
        self.assertNotEqual(headers.get("connection", "").lower(), "close")
        return s

    def wait_until_served(self, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            with self.connect() as s:
                s.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                data, _ = read_until_closed(s, 5)
            st, headers, body = parse_response(data)
            if st == 200:
                return st, headers, body
            problem(self, (st, headers, body), 503, "unavailable")
            self.assertLess(time.monotonic(), deadline,
                            "a connection slot never came free:\n" + self.srv.output())
            time.sleep(0.1)

    def test_503_at_the_cap_then_served_again(self):
        self.wait_until_served()  # slots left over from an earlier test are free again
        first = self.idle_keep_alive()
        second = self.idle_keep_alive()
        try:
            with self.connect() as third:
                # The server answers without waiting for a request.
                data, waited = read_until_closed(third, 5)
            r = parse_response(data)
            doc = problem(self, r, 503, "unavailable")
            self.assertIn("connections", doc["detail"])
            self.assertRegex(r[1]["x-correlation-id"], HEX32)
            self.assertEqual(r[1].get("connection", "").lower(), "close")
            # A request sent on a refused connection gets the same answer.
            with self.connect() as fourth:
                fourth.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
                data, _ = read_until_closed(fourth, 5)
            problem(self, parse_response(data), 503, "unavailable")
            # The idle connections are still usable.
            second.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(read_response(second, time.monotonic() + 5)[0], 200)
            first.close()
            st, _, body = self.wait_until_served()
            self.assertEqual(json.loads(body), {"status": "alive"})
        finally:
            first.close()
            second.close()


class ReadTimeout(EdgeServer):
    server_args = ("--set", "http.read_timeout_s=1")

    def test_incomplete_request_is_closed(self):
        with self.connect() as s:
            s.sendall(b"GET /livez HTTP/1.1\r\n")
            data, waited = read_until_closed(s, 3.5)
        self.assertEqual(data, b"")
        self.assertGreater(waited, 0.7)
        self.assertLess(waited, 3.0)

    def test_silent_connection_is_closed(self):
        with self.connect() as s:
            data, waited = read_until_closed(s, 3.5)
        self.assertEqual(data, b"")
        self.assertLess(waited, 3.0)

    def test_slow_but_complete_request_is_served(self):
        with self.connect() as s:
            s.sendall(b"GET /livez HTTP/1.1\r\n")
            time.sleep(0.3)
            s.sendall(b"Host: t\r\n\r\n")
            self.assertEqual(read_response(s, time.monotonic() + 5)[0], 200)


class IdleTimeout(EdgeServer):
    server_args = ("--set", "http.idle_timeout_s=1")

    def test_idle_keep_alive_connection_is_closed(self):
        with self.connect() as s:
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
            st, headers, _ = read_response(s, time.monotonic() + 5)
            self.assertEqual(st, 200)
            self.assertNotEqual(headers.get("connection", "").lower(), "close")
            data, waited = read_until_closed(s, 3.5)
        self.assertEqual(data, b"")
        self.assertGreater(waited, 0.7)
        self.assertLess(waited, 3.0)

    def test_busy_keep_alive_connection_stays_open(self):
        with self.connect() as s:
            for _ in range(4):
                s.sendall(b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n")
                self.assertEqual(read_response(s, time.monotonic() + 5)[0], 200)
                time.sleep(0.5)


if __name__ == "__main__":
    unittest.main()
