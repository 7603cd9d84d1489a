"""The webhook routes' refusals (status, code and the named field), client isolation, a private
address refused when not allowed, and the command line (clients rotate-secret, webhooks list,
redeliver and test)."""
import json
import time
import unittest

from gp_e2e import problem, run
from gp_platform import Api, body
from test_webhooks import PIPELINES, ReceiverTestCase


class Refusals(ReceiverTestCase):
    """A server that keeps webhooks.allow_private_addresses off (the default)."""

    server_args = ("--set", "requests.pipelines=" + PIPELINES, "--set", "webhooks.poll_ms=50",
                   "--set", "webhooks.timeout_ms=1500", "--set", "webhooks.lease_ms=7000",
                   "--set", "workers.idle_poll_max_ms=50")

    def setUp(self):
        super().setUp()
        self.admin = Api(self, self.srv, self.keys["admin"])
        self.other = Api(self, self.srv, self.keys["other"])

    def field(self, response, name):
        doc = problem(self, response, 400, "validation_error")
        self.assertIn(name, json.dumps(doc), doc)
        return doc

    def test_a_private_address_is_refused_unless_allowed(self):
        st, _, doc = self.api.json("POST", "/platform/webhooks/test",
                                   {"url": "http://127.0.0.1:%d/private" % self.rx.port})
        self.assertEqual(st, 202, doc)
        d = self.wait_ended(doc["delivery_id"])
        self.assertEqual(d["status"], "failed")
        self.assertIn("loopback", d["last_error"])
        # A request's delivery refused so is retried (DNS may change), and never sent.
        b = body(dataset_id="private", request_type="vector", source_path="pt.csv",
                 callback_url="http://127.0.0.1:%d/private" % self.rx.port)
        st, _, sub = self.api.json("POST", "/platform/submit", b)
        self.assertEqual(st, 202, sub)
        deadline = time.time() + 15
        while time.time() < deadline:
            st, _, doc = self.api.json("GET", "/platform/requests/%s/webhooks" % sub["request_id"])
            ds = doc["deliveries"]
            if ds and ds[0]["attempts"] >= 1 and ds[0]["status"] == "pending":
                break
            time.sleep(0.1)
        self.assertEqual(ds[0]["status"], "pending", ds)
        self.assertIn("loopback", ds[0]["last_error"])
        self.assertEqual(self.api.wait(sub["request_id"])["callback_status"], "pending")
        self.assertEqual(self.rx.requests("/private"), [])

    def test_test_ping_refusals(self):
        self.field(self.api("POST", "/platform/webhooks/test", {}), "url")
        self.field(self.api("POST", "/platform/webhooks/test", {"url": 7}), "url")
        self.field(self.api("POST", "/platform/webhooks/test",
                            {"url": "ftp://127.0.0.1/x"}), "url")
        doc = self.field(self.api("POST", "/platform/webhooks/test",
                                  {"url": "https://evil.example.org/x"}), "url")
        self.assertIn("callback hosts", json.dumps(doc))
        self.field(self.api("POST", "/platform/webhooks/test",
                            {"url": "http://127.0.0.1/x", "extra": 1}), "extra")
        self.field(self.api("POST", "/platform/webhooks/test",
                            {"url": "http://127.0.0.1/" + "x" * 2100}), "url")
        problem(self, self.api("POST", "/platform/webhooks/test", raw=b"{not json",
                               headers={"Content-Type": "application/json"}),
                400, "malformed_json")
        problem(self, self.api("POST", "/platform/webhooks/test", {"url": "http://127.0.0.1/"},
                               key="nope"), 401, "unauthorized")

    def test_deliveries_of_another_client_are_404(self):
        st, _, doc = self.api.json("POST", "/platform/webhooks/test",
                                   {"url": "http://127.0.0.1:1/x"})
        self.assertEqual(st, 202, doc)
        problem(self, self.other("GET", "/platform/webhooks/" + doc["delivery_id"]),
                404, "not_found")
        self.assertEqual(self.admin("GET", "/platform/webhooks/" + doc["delivery_id"])[0], 200)
        b = body(dataset_id="iso", request_type="vector", source_path="pt.csv")
        st, _, sub = self.api.json("POST", "/platform/submit", b)
        self.assertEqual(st, 202, sub)
        problem(self, self.other("GET", "/platform/requests/%s/webhooks" % sub["request_id"]),
                404, "not_found")
        st, _, mine = self.api.json("GET", "/platform/requests/%s/webhooks" % sub["request_id"])
        self.assertEqual((st, mine["deliveries"]), (200, []))
        problem(self, self.api("GET", "/platform/requests/%s/webhooks" % ("0" * 32)), 404,
                "not_found")
        problem(self, self.api("GET", "/platform/requests/nothex/webhooks"), 404, "not_found")
        self.field(self.api("GET", "/platform/requests/%s/webhooks?status=lost"
                            % sub["request_id"]), "status")
        self.field(self.api("GET", "/platform/requests/%s/webhooks?limit=9999"
                            % sub["request_id"]), "limit")
        problem(self, self.api("GET", "/platform/webhooks/msg_nothex"), 404, "not_found")
        problem(self, self.api("GET", "/platform/webhooks/msg_" + "0" * 32), 404, "not_found")

    def test_listing_refusals_and_admin_only_routes(self):
        self.field(self.admin("GET", "/admin/webhooks?status=lost"), "status")
        self.field(self.admin("GET", "/admin/webhooks?request_id=xyz"), "request_id")
        self.field(self.admin("GET", "/admin/webhooks?limit=0"), "limit")
        self.field(self.admin("GET", "/admin/webhooks?cursor=abc"), "cursor")
        problem(self, self.api("GET", "/admin/webhooks"), 403, "forbidden")
        problem(self, self.api("POST", "/admin/clients/ddh/rotate-secret"), 403, "forbidden")
        problem(self, self.admin("POST", "/admin/clients/nobody/rotate-secret"), 404, "not_found")
        problem(self, self.admin("POST", "/admin/webhooks/msg_%s/redeliver" % ("0" * 32)), 404,
                "not_found")
        problem(self, self.admin("POST", "/admin/webhooks/bad/redeliver"), 404, "not_found")
        st, _, doc = self.admin.json("GET", "/admin/webhooks?limit=1")
        self.assertEqual(st, 200, doc)
        self.assertIn("next_cursor", doc)

    def test_the_command_line(self):
        url = self.db.url
        r = run("clients", "rotate-secret", "ddh", "--database-url", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.strip().startswith("whsec_"))
        self.assertIn("also signs until", r.stderr)
        r = run("clients", "rotate-secret", "nobody", "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no client 'nobody'", r.stderr)
        # A test ping through the running server (which refuses loopback here).
        r = run("webhooks", "test", "--client", "ddh", "--url",
                "http://127.0.0.1:%d/cli" % self.rx.port, "--database-url", url)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("failed", r.stdout)
        self.assertIn("loopback", r.stdout)
        r = run("webhooks", "test", "--client", "ddh", "--url", "https://evil.example.org/",
                "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--url: host evil.example.org is not among", r.stderr)
        r = run("webhooks", "list", "--client", "ddh", "--json", "--database-url", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = json.loads(r.stdout)
        self.assertTrue(listed)
        failed = [d for d in listed if d["status"] == "failed"]
        self.assertTrue(failed, listed)
        r = run("webhooks", "redeliver", failed[0]["delivery_id"], "--database-url", url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is due again", r.stderr)
        r = run("webhooks", "redeliver", "msg_" + "0" * 32, "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no delivery", r.stderr)
        r = run("webhooks", "list", "--status", "lost", "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--status", r.stderr)
        r = run("webhooks", "list", "--limit", "0", "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--limit: must be between 1 and 500", r.stderr)
        r = run("webhooks", "redeliver", "msg_nothex", "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("delivery_id: must be msg_", r.stderr)
        r = run("webhooks", "test", "--client", "nobody", "--url", "http://127.0.0.1/x",
                "--database-url", url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no client 'nobody'", r.stderr)


if __name__ == "__main__":
    unittest.main()
