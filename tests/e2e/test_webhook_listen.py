"""`geoplatform webhooks listen`: the local receiver verifies a delivery signed as the platform
signs it (computed here with Python's standard library, as docs/webhooks.md shows a receiver
doing), refuses a wrong secret, a changed body and a stale timestamp with 401 and the reason,
accepts either secret during a rotation, and stops cleanly on SIGINT."""
import base64
import hashlib
import hmac
import http.client
import json
import signal
import subprocess
import time
import unittest

from gp_e2e import BIN, require_environment, run

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD = "whsec_" + base64.b64encode(b"the previous secret, 28 bytes").decode()


def signed(secret, body, msg_id="msg_e2e", ts=None):
    key = base64.b64decode(secret[len("whsec_"):])
    ts = int(time.time()) if ts is None else ts
    content = ("%s.%d." % (msg_id, ts)).encode() + body
    std = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    plat = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": std,
            "X-Platform-Signature": plat, "Content-Type": "application/json"}


class WebhookListen(unittest.TestCase):
    def setUp(self):
        require_environment(self)
        self.proc = subprocess.Popen([BIN, "webhooks", "listen", "--port", "0", "--secret", SECRET,
                                      "--secret", OLD],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop)
        first = self.proc.stdout.readline()
        self.assertIn("listening on http://127.0.0.1:", first)
        self.port = int(first.split("127.0.0.1:")[1].split("/")[0])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def post(self, headers, body):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", "/hooks", body=body, headers=headers)
        r = c.getresponse()
        doc = json.loads(r.read())
        line = self.proc.stdout.readline().strip()
        return r.status, doc, line

    def test_deliveries_are_verified_and_printed_and_bad_ones_refused(self):
        body = json.dumps({"event": "platform.request.completed", "request_id": "r1",
                           "status": "completed"}).encode()
        st, doc, line = self.post(signed(SECRET, body), body)
        self.assertEqual(st, 200, doc)
        self.assertEqual(line, "accepted msg_e2e platform.request.completed request=r1 "
                               "status=completed webhook-signature=ok X-Platform-Signature=ok")
        # Signed by the previous secret only (a rotation): accepted.
        st, doc, line = self.post(signed(OLD, body), body)
        self.assertEqual(st, 200, doc)
        # Another secret, a changed body, a stale timestamp: refused with the reason.
        other = "whsec_" + base64.b64encode(b"x" * 32).decode()
        st, doc, line = self.post(signed(other, body), body)
        self.assertEqual((st, doc["reason"]), (401, "webhook-signature does not match a secret"))
        self.assertTrue(line.startswith("REFUSED msg_e2e"), line)
        st, doc, _ = self.post(signed(SECRET, body), body.replace(b"r1", b"r2"))
        self.assertEqual(st, 401)
        st, doc, _ = self.post(signed(SECRET, body, ts=int(time.time()) - 3600), body)
        self.assertEqual(st, 401)
        self.assertIn("s from now", doc["reason"])
        # Ctrl-C stops it with status 0.
        self.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.proc.wait(timeout=10), 0)

    def test_a_secret_that_is_not_whsec_is_refused(self):
        r = run("webhooks", "listen", "--port", "0", "--secret", "plain")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("whsec_", r.stderr)
