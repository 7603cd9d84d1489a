"""`geoplatform clients` and `keys`: keys are shown once and only their SHA-256 is stored."""
import hashlib
import json
import unittest

from gp_e2e import ScratchDatabase, psql, require_environment, run


class Keys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = ScratchDatabase()
        r = run("migrate", "--database-url", cls.db.url)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def setUp(self):
        require_environment(self)

    def cli(self, *args):
        return run(*args, "--database-url", self.db.url)

    def ensure_client(self, name="ddh"):
        r = self.cli("clients", "create", name, "--if-not-exists")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_key_create_stores_only_the_hash(self):
        self.ensure_client()
        r = self.cli("keys", "create", "--client", "ddh", "--level", "admin")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = r.stdout.strip()
        self.assertRegex(key, r"^gp_[a-z0-9]{8}_[A-Za-z0-9]{43}$")
        key_id = key[3:11]
        self.assertIn(key_id, r.stderr)
        self.assertNotIn(key, r.stderr)
        rows = psql(self.db.url, "SELECT row_to_json(k)::text FROM platform.api_keys k "
                                 "WHERE key_id = '%s'" % key_id)
        self.assertNotIn(key[12:], rows)
        self.assertEqual(json.loads(rows)["key_hash"], hashlib.sha256(key.encode()).hexdigest())

    def test_key_listing_never_shows_secrets_or_hashes(self):
        self.ensure_client()
        key = self.cli("keys", "create", "--client", "ddh", "--level", "trusted").stdout.strip()
        listed = self.cli("keys", "list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertNotIn(key[12:], listed.stdout)
        self.assertNotIn(hashlib.sha256(key.encode()).hexdigest(), listed.stdout)
        ids = [k["key_id"] for k in json.loads(listed.stdout)]
        self.assertIn(key[3:11], ids)

    def test_listing_tells_expired_keys_apart(self):
        self.ensure_client()
        key = self.cli("keys", "create", "--client", "ddh", "--level", "internal",
                       "--expires-at", "2099-01-01T00:00:00Z").stdout.strip()
        psql(self.db.url, "UPDATE platform.api_keys SET expires_at = now() - interval '1 s' "
                          "WHERE key_id = '%s'" % key[3:11])
        listed = json.loads(self.cli("keys", "list", "--json").stdout)
        state = [k["state"] for k in listed if k["key_id"] == key[3:11]]
        self.assertEqual(state, ["expired"])

    def test_key_with_expiry_and_endpoints(self):
        self.ensure_client()
        r = self.cli("keys", "create", "--client", "ddh", "--level", "internal", "--json",
                     "--expires-at", "2099-01-01T00:00:00Z", "--allow", "GET /platform/status/*")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["expires_at"], "2099-01-01T00:00:00Z")
        row = psql(self.db.url, "SELECT allowed_endpoints::text FROM platform.api_keys "
                                "WHERE key_id = '%s'" % doc["key_id"])
        self.assertEqual(row, '{"GET /platform/status/*"}')

    def test_bad_inputs_fail_with_a_one_line_reason(self):
        self.ensure_client()
        cases = [
            (["--client", "nobody", "--level", "admin"], "does not exist"),
            (["--client", "ddh", "--level", "root"], "--level: must be one of"),
            (["--client", "ddh", "--level", "admin", "--expires-at", "soon"], "--expires-at"),
            (["--client", "ddh", "--level", "admin", "--expires-at", "2001-01-01T00:00:00Z"],
             "must be in the future"),
            (["--client", "ddh", "--level", "admin", "--allow", "GET"], "--allow 'GET'"),
            (["--client", "Bad Id", "--level", "admin"], "--client"),
        ]
        for args, why in cases:
            r = self.cli("keys", "create", *args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(why, r.stderr, args)
            self.assertEqual(r.stdout, "", args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_client_create_prints_the_secret_once_and_refuses_duplicates(self):
        r = self.cli("clients", "create", "acme", "--name", "Acme", "--callback-host",
                     "*.acme.example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^whsec_[A-Za-z0-9+/]{43}=$")
        again = self.cli("clients", "create", "acme")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)
        quiet = self.cli("clients", "create", "acme", "--if-not-exists")
        self.assertEqual(quiet.returncode, 0)
        self.assertEqual(quiet.stdout, "")
        listed = self.cli("clients", "list", "--json")
        self.assertNotIn(r.stdout.strip(), listed.stdout)
        acme = [c for c in json.loads(listed.stdout) if c["client_id"] == "acme"][0]
        self.assertEqual(acme["callback_hosts"], ["*.acme.example.org"])

    def test_client_update_changes_only_what_is_given(self):
        self.assertEqual(self.cli("clients", "create", "upd", "--name", "Up", "--callback-host",
                                  "a.example.org").returncode, 0)
        r = self.cli("clients", "update", "upd", "--rate-limit", "5", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual((doc["rate_limit_per_minute"], doc["name"], doc["callback_hosts"],
                          doc["is_active"]), (5, "Up", ["a.example.org"], True))
        self.assertNotIn("webhook_secret", doc)
        r = self.cli("clients", "update", "upd", "--inactive", "--callback-host", "b.example.org",
                     "--callback-host", "*.c.example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split("\t")[:4], ["upd", "Up", "inactive", "5/min"])
        self.assertEqual(psql(self.db.url, "SELECT callback_hosts::text || ' ' || is_active "
                                           "FROM platform.clients WHERE client_id = 'upd'"),
                         "{b.example.org,*.c.example.org} false")
        r = self.cli("clients", "update", "upd", "--active", "--no-callback-hosts",
                     "--name", "Up Ltd")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(psql(self.db.url, "SELECT name || ' ' || callback_hosts::text || ' ' || "
                                           "is_active || ' ' || rate_limit_per_minute FROM "
                                           "platform.clients WHERE client_id = 'upd'"),
                         "Up Ltd {} true 5")

    def test_bad_client_update_inputs(self):
        self.assertEqual(self.cli("clients", "create", "upd2").returncode, 0)
        for args, why in ((["upd2"], "nothing to change"),
                          (["nobody", "--active"], "no client 'nobody'"),
                          (["upd2", "--rate-limit", "0"], "--rate-limit: must be at least 1"),
                          (["upd2", "--name", ""], "--name: must not be empty"),
                          (["upd2", "--callback-host", "http://x"], "--callback-host"),
                          (["upd2", "--active", "--inactive"], "--active: not with --inactive"),
                          (["upd2", "--no-callback-hosts", "--callback-host", "a.example.org"],
                           "--no-callback-hosts: not with --callback-host"),
                          (["Bad"], "client_id")):
            r = self.cli("clients", "update", *args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(why, r.stderr, args)
            self.assertEqual(r.stdout, "", args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(psql(self.db.url, "SELECT rate_limit_per_minute || ' ' || is_active "
                                           "FROM platform.clients WHERE client_id = 'upd2'"),
                         "600 true")

    def test_bad_client_inputs(self):
        for args, why in ((["A"], "client_id"), (["ok-id", "--callback-host", "http://x"],
                                                 "--callback-host")):
            r = self.cli("clients", "create", *args)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(why, r.stderr)

    def test_commands_refuse_an_unmigrated_database(self):
        with ScratchDatabase() as empty:
            r = run("keys", "list", "--database-url", empty.url)
            self.assertEqual(r.returncode, 1)
            self.assertIn("geoplatform migrate", r.stderr)


if __name__ == "__main__":
    unittest.main()
