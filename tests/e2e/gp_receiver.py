"""A real webhook receiver for the end-to-end tests: an HTTP (or HTTPS) server on 127.0.0.1 that
records every request it gets and answers as the test scripts it (a queue of answers per path;
200 when the queue is empty, after `delay` seconds). An answer may be a status with headers (and
a body), a hang (accept, read, never answer), or a redirect. `peak` is the most requests it had
under way at once. `test_ca` makes a throw-away CA and a server certificate with the openssl
command line, as a private CA would."""
import base64
import hashlib
import hmac
import json
import os
import select
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, port=0, tls=None, delay=0):
        self.got = []
        self.active = 0
        self.peak = 0
        self.script = {}
        self.lock = threading.Lock()
        self.hang = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def connection_closed(self):
                """Whether the client closed its end (a read that would not block finds EOF; not
                known over TLS)."""
                r, _, _ = select.select([self.connection], [], [], 0)
                if not r:
                    return False
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                except ValueError:  # an SSL socket cannot peek
                    return False
                except OSError:
                    return True

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with receiver.lock:
                    receiver.got.append({"path": self.path, "time": time.time(),
                                         "headers": {k.lower(): v for k, v in self.headers.items()},
                                         "body": body})
                    queue = receiver.script.get(self.path) or []
                    answer = queue.pop(0) if queue else (200, {})
                    receiver.active += 1
                    receiver.peak = max(receiver.peak, receiver.active)
                try:
                    if answer == "hang":
                        # Until the receiver closes, or the client gives up and closes.
                        while not receiver.hang.wait(0.05):
                            if self.connection_closed():
                                return
                        return
                    if delay:
                        time.sleep(delay)
                finally:
                    with receiver.lock:
                        receiver.active -= 1
                status, headers, *body = answer
                out = body[0] if body else b'{"ok": true}'
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls["cert"], tls["key"])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path, *answers):
        """Scripts the next answers at `path`: (status, headers) or (status, headers, body)
        tuples, or "hang"."""
        with self.lock:
            self.script.setdefault(path, []).extend(answers)

    def requests(self, path=None):
        with self.lock:
            return [r for r in self.got if path is None or r["path"] == path]

    def wait(self, path, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.requests(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("%s got %d deliveries, not %d" % (path, len(self.requests(path)),
                                                                count))

    def close(self):
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def key_of(secret):
    return base64.b64decode(secret[len("whsec_"):])


def verify(test, delivery, secrets):
    """Asserts both signatures of a recorded delivery: each secret in `secrets` signed it."""
    h, body = delivery["headers"], delivery["body"]
    sigs = h["webhook-signature"].split(" ")
    plats = h["x-platform-signature"].split(",")
    test.assertEqual(len(sigs), len(secrets), h)
    test.assertEqual(len(plats), len(secrets), h)
    for secret in secrets:
        key = key_of(secret)
        content = ("%s.%s." % (h["webhook-id"], h["webhook-timestamp"])).encode() + body
        std = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        test.assertIn(std, sigs)
        test.assertIn("sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(), plats)
    test.assertLess(abs(time.time() - int(h["webhook-timestamp"])), 60)
    test.assertEqual(h["content-type"], "application/json")
    return json.loads(body)


def test_ca():
    """A CA and a certificate for localhost signed by it: {"ca", "cert", "key", "dir"}."""
    d = tempfile.mkdtemp(prefix="gp_ca_")
    p = lambda n: os.path.join(d, n)

    def openssl(*args):
        r = subprocess.run(["openssl", *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out",
            p("ca.pem"), "-days", "2", "-subj", "/CN=geoplatform test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out",
            p("server.csr"), "-subj", "/CN=localhost")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("server.pem"), "-days", "2", "-extfile", p("ext.cnf"))
    return {"ca": p("ca.pem"), "cert": p("server.pem"), "key": p("server.key"), "dir": d}
