"""The admin API of issue 21 through the built binary: clients (create, read, patch, deactivate),
the key lifecycle (create, use, rotate with both keys working during the overlap, the old one
refused after it, revoke, expiry), the audit trail (a row per change, never a secret), and every
refusal with its status and named field."""
import calendar
import hashlib
import json
import time
import unittest

from gp_e2e import ServedTestCase, problem, run
from gp_platform import Api, setup_clients

CACHE_MS = 300


class AdminApi(ServedTestCase):
    server_args = ("--set", "auth.cache_ttl_ms=%d" % CACHE_MS,
                   "--set", "usage.flush_ms=200")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def setUp(self):
        super().setUp()
        self.admin = Api(self, self.srv, self.keys["admin"])

    def field(self, response, name, text=None):
        doc = problem(self, response, 400, "validation_error")
        fields = [e["field"] for e in doc["errors"]]
        self.assertIn(name, fields, doc)
        if text:
            self.assertIn(text, json.dumps(doc), doc)
        return doc

    def new_key(self, client, level="internal", **extra):
        st, _, doc = self.admin.json("POST", "/admin/keys",
                                     dict({"client_id": client, "access_level": level}, **extra))
        self.assertEqual(st, 201, doc)
        return doc

    def whoami(self, key):
        return self.admin("GET", "/platform/whoami", key=key)[0]

    def wait_refused(self, key, within):
        """The key is refused (401) within `within` seconds; returns how long it took."""
        start = time.time()
        while time.time() - start < within:
            if self.whoami(key) == 401:
                return time.time() - start
            time.sleep(0.05)
        self.fail("key still accepted after %.1f s" % within)

    def audit(self, target):
        st, _, doc = self.admin.json("GET", "/admin/audit?target=" + target)
        self.assertEqual(st, 200, doc)
        return doc["entries"]

    # --- clients ------------------------------------------------------------------------------

    def test_client_create_read_patch_and_deactivate(self):
        st, hdrs, doc = self.admin.json("POST", "/admin/clients", {
            "client_id": "acme", "name": "Acme", "rate_limit_per_minute": 30,
            "read_rate_limit_per_minute": 500, "callback_hosts": ["hooks.acme.org"]})
        self.assertEqual(st, 201, doc)
        self.assertEqual(hdrs["location"], "/admin/clients/acme")
        self.assertRegex(doc["webhook_secret"], r"^whsec_")
        self.assertRegex(doc["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(doc["tiles_rate_limit_per_minute"], None)
        secret = doc["webhook_secret"]
        st, _, got = self.admin.json("GET", "/admin/clients/acme")
        self.assertEqual(st, 200, got)
        self.assertNotIn("webhook_secret", got)
        self.assertEqual((got["name"], got["rate_limit_per_minute"],
                          got["read_rate_limit_per_minute"], got["callback_hosts"]),
                         ("Acme", 30, 500, ["hooks.acme.org"]))
        # The same id again: 409.
        problem(self, self.admin("POST", "/admin/clients", {"client_id": "acme"}), 409,
                "conflict")
        st, _, got = self.admin.json("PATCH", "/admin/clients/acme", {
            "name": "Acme Inc", "read_rate_limit_per_minute": None, "callback_hosts": []})
        self.assertEqual(st, 200, got)
        self.assertEqual((got["name"], got["read_rate_limit_per_minute"], got["callback_hosts"]),
                         ("Acme Inc", None, []))
        # Deactivated: the client's keys stop working within the auth cache lifetime.
        key = self.new_key("acme")["key"]
        self.assertEqual(self.whoami(key), 200)
        st, _, got = self.admin.json("PATCH", "/admin/clients/acme", {"is_active": False})
        self.assertEqual((st, got["is_active"]), (200, False))
        self.assertLess(self.wait_refused(key, 5), CACHE_MS / 1000 + 1.5)
        st, _, got = self.admin.json("PATCH", "/admin/clients/acme", {"is_active": True})
        self.assertEqual(st, 200, got)
        deadline = time.time() + 5
        while self.whoami(key) != 200 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.whoami(key), 200)
        # Audit: one row per change, actor the admin key, no secret anywhere.
        rows = self.audit("client:acme")
        actions = [r["action"] for r in rows]
        self.assertEqual(actions, ["client.update"] * 3 + ["client.create"], rows)
        self.assertTrue(all(r["actor"] == "key:" + self.keys["admin"][3:11] for r in rows))
        self.assertEqual(rows[-1]["before"], None)
        self.assertEqual(rows[-1]["after"]["name"], "Acme")
        self.assertEqual((rows[0]["before"]["is_active"], rows[0]["after"]["is_active"]),
                         (False, True))
        text = json.dumps(rows)
        self.assertNotIn(secret, text)
        self.assertNotIn("webhook_secret", text)
        self.assertNotIn(key, text)
        self.assertTrue(all(r["correlation_id"] for r in rows))

    def test_clients_listing_shows_every_client_without_secrets(self):
        st, _, doc = self.admin.json("GET", "/admin/clients")
        self.assertEqual(st, 200, doc)
        ids = [c["client_id"] for c in doc["clients"]]
        self.assertIn("ddh", ids)
        self.assertIn("other", ids)
        self.assertNotIn("whsec_", json.dumps(doc))

    def test_client_refusals_name_the_field(self):
        self.field(self.admin("POST", "/admin/clients", {}), "client_id", "is required")
        self.field(self.admin("POST", "/admin/clients", {"client_id": "Bad Id!"}), "client_id")
        self.field(self.admin("POST", "/admin/clients",
                              {"client_id": "zeta", "rate_limit_per_minute": 0}),
                   "rate_limit_per_minute", "from 1 to 1000000")
        self.field(self.admin("POST", "/admin/clients",
                              {"client_id": "zeta", "read_rate_limit_per_minute": "many"}),
                   "read_rate_limit_per_minute")
        self.field(self.admin("POST", "/admin/clients",
                              {"client_id": "zeta", "callback_hosts": ["http://x.org/"]}),
                   "callback_hosts[0]")
        self.field(self.admin("POST", "/admin/clients",
                              {"client_id": "zeta", "webhook_secret": "whsec_mine"}),
                   "webhook_secret", "is not a known field")
        self.field(self.admin("POST", "/admin/clients", raw=b"[1]",
                              headers={"Content-Type": "application/json"}), "(body)")
        self.field(self.admin("PATCH", "/admin/clients/ddh", {}), "(body)", "nothing to change")
        self.field(self.admin("PATCH", "/admin/clients/ddh", {"client_id": "x"}), "client_id",
                   "cannot be changed")
        self.field(self.admin("PATCH", "/admin/clients/ddh", {"is_active": "no"}), "is_active")
        self.field(self.admin("PATCH", "/admin/clients/ddh", {"name": ""}), "name")
        self.field(self.admin("PATCH", "/admin/clients/ddh", {"rate_limit_per_minute": None}),
                   "rate_limit_per_minute")
        problem(self, self.admin("PATCH", "/admin/clients/nobody", {"name": "x"}), 404,
                "not_found")
        problem(self, self.admin("GET", "/admin/clients/nobody"), 404, "not_found")
        problem(self, self.admin("GET", "/admin/clients/BAD"), 404, "not_found")
        # Only admin keys.
        problem(self, self.admin("GET", "/admin/clients/ddh", key=self.keys["internal"]), 403,
                "forbidden")
        problem(self, self.admin("POST", "/admin/clients", {"client_id": "zeta"},
                                 key=self.keys["trusted"]), 403, "forbidden")
        # Nothing refused was written.
        self.assertEqual(self.admin("GET", "/admin/clients/zeta")[0], 404)

    # --- keys ---------------------------------------------------------------------------------

    def test_the_key_lifecycle(self):
        made = self.new_key("ddh", description="lifecycle")
        key, key_id = made["key"], made["key_id"]
        self.assertRegex(key, r"^gp_[a-z0-9]{8}_[A-Za-z0-9]{43}$")
        # Listed by client, never the key or its hash; its last use is kept (batched).
        self.assertEqual(self.whoami(key), 200)
        deadline = time.time() + 5
        while True:
            st, _, listed = self.admin.json("GET", "/admin/keys?client=ddh")
            mine = [k for k in listed["keys"] if k["key_id"] == key_id]
            if mine[0]["last_used_at"] or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertIsNotNone(mine[0]["last_used_at"], mine)
        text = json.dumps(listed)
        self.assertNotIn(key, text)
        self.assertNotIn(hashlib.sha256(key.encode()).hexdigest(), text)
        self.assertTrue(all(k["client_id"] == "ddh" for k in listed["keys"]))
        # Rotated with a 2 s overlap: both work, then only the new one.
        st, _, rot = self.admin.json("POST", "/admin/keys/%s/rotate" % key_id,
                                     {"overlap_seconds": 2})
        self.assertEqual(st, 201, rot)
        new = rot["key"]
        self.assertEqual((rot["replaces"], rot["client_id"], rot["access_level"]),
                         (key_id, "ddh", "internal"))
        self.assertNotEqual(rot["key_id"], key_id)
        self.assertEqual(self.whoami(key), 200)
        self.assertEqual(self.whoami(new), 200)
        waited = self.wait_refused(key, 6)
        self.assertGreater(waited, 0.5)
        self.assertEqual(self.whoami(new), 200)
        st, _, listed = self.admin.json("GET", "/admin/keys?client_id=ddh")
        old = [k for k in listed["keys"] if k["key_id"] == key_id][0]
        self.assertEqual((old["state"], old["rotated_to"]), ("expired", rot["key_id"]))
        # A rotated key is not rotated again, even after its overlap: the answer names its
        # successor.
        doc = problem(self, self.admin("POST", "/admin/keys/%s/rotate" % key_id), 409, "conflict")
        self.assertIn("already rotated to " + rot["key_id"], doc["detail"])
        # Revoked: refused within the auth cache lifetime.
        st, _, doc = self.admin.json("DELETE", "/admin/keys/" + rot["key_id"])
        self.assertEqual((st, doc["state"]), (200, "revoked"))
        self.assertLess(self.wait_refused(new, 5), CACHE_MS / 1000 + 1.0)
        problem(self, self.admin("DELETE", "/admin/keys/" + rot["key_id"]), 404, "not_found")
        # The audit trail of both keys, without any key or hash.
        old_rows = self.audit("key:" + key_id)
        self.assertEqual([r["action"] for r in old_rows], ["key.rotate", "key.create"])
        self.assertEqual(old_rows[0]["after"]["rotated_to"], rot["key_id"])
        new_rows = self.audit("key:" + rot["key_id"])
        self.assertEqual([r["action"] for r in new_rows], ["key.revoke", "key.create"])
        text = json.dumps(old_rows + new_rows)
        for secret in (key, new, hashlib.sha256(key.encode()).hexdigest(),
                       hashlib.sha256(new.encode()).hexdigest()):
            self.assertNotIn(secret, text)
        self.assertNotIn("key_hash", text)

    def test_a_rotation_keeps_level_and_scopes_and_the_default_overlap(self):
        made = self.new_key("ddh", "trusted", allowed_endpoints=["GET /platform/stac/*"])
        st, _, rot = self.admin.json("POST", "/admin/keys/%s/rotate" % made["key_id"])
        self.assertEqual(st, 201, rot)
        self.assertEqual((rot["access_level"], rot["allowed_endpoints"]),
                         ("trusted", ["GET /platform/stac/*"]))
        # auth.key_rotation_overlap_s: a day by default.
        left = calendar.timegm(time.strptime(rot["old_key_expires_at"],
                                             "%Y-%m-%dT%H:%M:%SZ")) - time.time()
        self.assertTrue(86000 < left <= 86400, rot)
        problem(self, self.admin("GET", "/features", key=rot["key"]), 403, "forbidden")
        self.assertEqual(self.admin("GET", "/platform/stac/collections", key=rot["key"])[0], 200)

    def test_expiry_is_normalised_to_utc_and_ends_the_key(self):
        at = int(time.time()) + 3
        utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
        made = self.new_key("ddh", expires_at=time.strftime("%Y-%m-%dT%H:%M:%S+02:00",
                                                            time.gmtime(at + 7200)))
        self.assertEqual(made["expires_at"], utc)
        self.assertEqual(self.whoami(made["key"]), 200)
        self.assertLess(self.wait_refused(made["key"], 6), 4)

    def test_key_refusals_name_the_field(self):
        self.field(self.admin("POST", "/admin/keys", {"client_id": "nobody",
                                                       "access_level": "internal"}), "client_id",
                   "no such client")
        self.field(self.admin("POST", "/admin/keys", {"client_id": "ddh", "access_level": "root"}),
                   "access_level")
        self.field(self.admin("POST", "/admin/keys", {"client_id": "ddh", "access_level": "admin",
                                                       "expires_at": "2001-01-01T00:00:00Z"}),
                   "expires_at", "in the future")
        made = self.new_key("ddh")
        path = "/admin/keys/%s/rotate" % made["key_id"]
        self.field(self.admin("POST", path, {"overlap_seconds": -1}), "overlap_seconds")
        self.field(self.admin("POST", path, {"expires_at": "tomorrow"}), "expires_at")
        self.field(self.admin("POST", path, {"expires_at": "2001-01-01T00:00:00Z"}), "expires_at",
                   "in the future")
        self.field(self.admin("POST", path, {"replace": True}), "replace", "is not a known field")
        self.field(self.admin("POST", path, raw=b"[1]",
                              headers={"Content-Type": "application/json"}), "(body)")
        problem(self, self.admin("POST", "/admin/keys/zzzzzzzz/rotate"), 404, "not_found")
        # Nothing refused changed the key.
        self.assertEqual(self.whoami(made["key"]), 200)
        self.assertEqual([r["action"] for r in self.audit("key:" + made["key_id"])],
                         ["key.create"])

    def test_audit_listing_pages_and_refusals(self):
        for i in range(3):
            self.new_key("other")
        st, _, first = self.admin.json("GET", "/admin/audit?limit=2")
        self.assertEqual((st, len(first["entries"])), (200, 2), first)
        self.assertIsNotNone(first["next_cursor"])
        st, _, second = self.admin.json("GET", "/admin/audit?limit=2&cursor=" +
                                        first["next_cursor"])
        self.assertEqual(st, 200)
        self.assertLess(second["entries"][0]["audit_id"], first["entries"][-1]["audit_id"])
        self.field(self.admin("GET", "/admin/audit?limit=0"), "limit")
        self.field(self.admin("GET", "/admin/audit?cursor=abc"), "cursor")
        # A cursor past 32 bits is a cursor (audit ids are bigint), not a 500.
        st, _, doc = self.admin.json("GET", "/admin/audit?cursor=2147483648")
        self.assertEqual(st, 200, doc)
        self.field(self.admin("GET", "/admin/audit?target=" + "x" * 201), "target")
        problem(self, self.admin("GET", "/admin/audit", key=self.keys["internal"]), 403,
                "forbidden")


class CommandLine(unittest.TestCase):
    """The same operations from the command line, audited as actor "cli"."""

    @classmethod
    def setUpClass(cls):
        from gp_e2e import ScratchDatabase
        cls.db = ScratchDatabase()
        cls.addClassCleanup(cls.db.close)
        assert run("migrate", "--database-url", cls.db.url).returncode == 0

    def cli(self, *args):
        return run(*args, "--database-url", self.db.url)

    def test_clients_keys_audit_and_usage_commands(self):
        r = self.cli("clients", "create", "acme", "--read-rate-limit", "900")
        self.assertEqual(r.returncode, 0, r.stderr)
        secret = r.stdout.strip()
        r = self.cli("clients", "update", "acme", "--tiles-rate-limit", "40", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["tiles_rate_limit_per_minute"], 40)
        r = self.cli("clients", "show", "acme")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["read_rate_limit_per_minute"], 900)
        key = self.cli("keys", "create", "--client", "acme", "--level", "internal").stdout.strip()
        r = self.cli("keys", "rotate", key[3:11], "--overlap", "60", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rot = json.loads(r.stdout)
        self.assertEqual(rot["replaces"], key[3:11])
        r = self.cli("keys", "rotate", key[3:11])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already rotated to " + rot["key_id"], r.stderr)
        self.assertEqual(self.cli("keys", "revoke", rot["key_id"]).returncode, 0)
        r = self.cli("audit", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual([x["action"] for x in rows],
                         ["key.revoke", "key.create", "key.rotate", "key.create",
                          "client.update", "client.create"])
        self.assertTrue(all(x["actor"] == "cli" for x in rows))
        text = r.stdout
        for s in (secret, key, rot["key"]):
            self.assertNotIn(s, text)
        r = self.cli("audit", "list", "--target", "client:acme")
        self.assertEqual(len(r.stdout.strip().splitlines()), 2, r.stdout)
        r = self.cli("usage", "--client", "acme", "--granularity", "day", "--json")
        self.assertEqual((r.returncode, json.loads(r.stdout)), (0, []))

    def test_command_line_refusals(self):
        self.assertEqual(self.cli("clients", "create", "beta").returncode, 0)
        cases = [
            (("clients", "update", "beta", "--read-rate-limit", "-1"), "--read-rate-limit"),
            (("clients", "show", "nobody"), "no client 'nobody'"),
            (("keys", "rotate", "zzzzzzzz"), "no key with id 'zzzzzzzz'"),
            (("keys", "rotate", "zzzzzzzz", "--expires-at", "soon"), "--expires-at"),
            (("keys", "rotate", "zzzzzzzz", "--overlap", "-5"), "--overlap: must be from 0"),
            (("audit", "list", "--limit", "0"), "--limit"),
            (("usage", "--granularity", "week"), "--granularity: must be hour or day"),
            (("usage", "--from", "yesterday"), "--from"),
        ]
        for args, text in cases:
            r = self.cli(*args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(text, r.stderr, args)


if __name__ == "__main__":
    unittest.main()
