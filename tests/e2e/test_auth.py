"""API keys over real HTTP: 401/403 matrix, revocation, /health, /admin routes, no key in logs."""
import hashlib
import json
import time
import unittest

from gp_e2e import ScratchDatabase, Server, problem, psql, require_environment, run

KEY_RE = r"^gp_[a-z0-9]{8}_[A-Za-z0-9]{43}$"
FAR_FUTURE = "2099-01-01T00:00:00Z"


def key_id_of(key):
    return key[3:11]


def with_key(key, header="X-Platform-API-Key", extra=None):
    h = {"Bearer": {"Authorization": "Bearer " + key}}.get(header, {header: key})
    h.update(extra or {})
    return h


class KeyedServer(unittest.TestCase):
    """A migrated scratch database with client `ddh`, a server, and every key made remembered."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.keys_made = []
        cls.secrets_made = []
        cls.db = ScratchDatabase()
        try:
            r = run("migrate", "--database-url", cls.db.url)
            assert r.returncode == 0, r.stderr
            cls.ddh_secret = cls.make_client("ddh")
            cls.admin = cls.make_key("admin")
            cls.srv = Server(cls.db.url, "--log-level", "debug", *cls.server_args)
            cls.srv.wait_status("/readyz", 200)
        except BaseException:
            cls.db.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.close()
            cls.db.close()

    def setUp(self):
        require_environment(self)

    @classmethod
    def cli(cls, *args):
        return run(*args, "--database-url", cls.db.url)

    @classmethod
    def make_client(cls, client_id):
        r = cls.cli("clients", "create", client_id)
        assert r.returncode == 0, r.stderr
        secret = r.stdout.strip()
        cls.secrets_made.append(secret)
        return secret

    @classmethod
    def make_key(cls, level, client="ddh", *extra):
        r = cls.cli("keys", "create", "--client", client, "--level", level, *extra)
        assert r.returncode == 0, r.stderr
        key = r.stdout.strip()
        cls.keys_made.append(key)
        return key

    def get(self, path, key=None, header="X-Platform-API-Key", extra=None):
        headers = with_key(key, header) if key is not None else {}
        headers.update(extra or {})
        return self.srv.call("GET", path, headers=headers)

    def assert_401(self, response, *detail_words):
        doc = problem(self, response, 401, "unauthorized")
        self.assertIn("www-authenticate", response[1])
        self.assertTrue(response[1]["www-authenticate"].startswith("Bearer"), response[1])
        for word in detail_words:
            self.assertIn(word, doc["detail"])
        return doc

    def wait_for_401(self, key, limit_s=5.0):
        """Polls whoami every 100 ms; returns (seconds until 401, the 401 answer)."""
        started = time.monotonic()
        while True:
            r = self.get("/platform/whoami", key)
            elapsed = time.monotonic() - started
            if r[0] == 401:
                return elapsed, r
            self.assertEqual(r[0], 200, r)
            self.assertLess(elapsed, limit_s, "key still accepted %.1f s later" % elapsed)
            time.sleep(0.1)

    def assert_log_holds_no_key(self):
        time.sleep(0.2)
        out = self.srv.output()
        self.assertTrue(self.keys_made)
        for key in self.keys_made:
            self.assertNotIn(key, out)
            self.assertNotIn(key[12:], out, "the secret of key %s is in the log" % key[3:11])
            self.assertNotIn(hashlib.sha256(key.encode()).hexdigest(), out)
        for secret in self.secrets_made:
            self.assertNotIn(secret, out)
            self.assertNotIn(secret[len("whsec_"):], out)


class Auth(KeyedServer):
    """The default server: key cache on (auth.cache_ttl_ms default), /health needs a key."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.trusted = cls.make_key("trusted")
            cls.internal = cls.make_key("internal", "ddh", "--expires-at", FAR_FUTURE)
            cls.restricted = cls.make_key("admin", "ddh", "--allow", "GET /platform/whoami")
        except BaseException:
            cls.tearDownClass()
            raise

    # --- 401 -----------------------------------------------------------------------------------

    def test_no_key_is_401_with_www_authenticate(self):
        for path in ("/platform/whoami", "/admin/clients", "/admin/keys", "/health"):
            doc = self.assert_401(self.get(path))
            self.assertIn("X-Platform-API-Key", doc["detail"])
        self.assert_401(self.srv.call("POST", "/admin/keys", body=b"{}",
                                      headers={"Content-Type": "application/json"}))
        self.assert_401(self.srv.call("DELETE", "/admin/keys/abcdefgh"))

    def test_empty_or_non_bearer_authorization_is_401(self):
        for headers in ({"X-Platform-API-Key": ""}, {"X-Platform-API-Key": "   "},
                        {"Authorization": "Bearer "}, {"Authorization": "Basic " + self.admin},
                        {"Authorization": self.admin}):
            self.assert_401(self.srv.call("GET", "/platform/whoami", headers=headers))

    def test_malformed_keys_are_401(self):
        good = self.admin
        malformed = [
            "nope",
            "gp_",
            good[:-1],                                   # secret of 42 characters
            good + "A",                                  # secret of 44 characters
            "gp_" + good[4:11] + "_" + good[12:],        # key_id of 7 characters
            "gp_" + good[3:11] + "x_" + good[12:],       # key_id of 9 characters
            "gp_ABCDEFGH_" + good[12:],                  # upper-case key_id
            "xx_" + good[3:],                            # wrong prefix
            good[:11] + "-" + good[12:],                 # wrong separator
            good[:-1] + "!",                             # not base62
        ]
        for bad in malformed:
            with self.subTest(key=bad):
                self.assert_401(self.get("/platform/whoami", bad))
                self.assert_401(self.get("/platform/whoami", bad, "Bearer"))

    def test_well_formed_unknown_key_is_401(self):
        self.assert_401(self.get("/platform/whoami", "gp_zzzzzzzz_" + "A" * 43), "unknown")

    def test_known_key_id_with_a_wrong_secret_is_401(self):
        forged = self.admin[:12] + ("B" if self.admin[12] != "B" else "C") + self.admin[13:]
        self.assert_401(self.get("/platform/whoami", forged), "unknown")
        self.assert_401(self.get("/admin/clients", forged))
        # The real key still works after the forgery attempt.
        self.assertEqual(self.get("/platform/whoami", self.admin)[0], 200)

    def test_expired_key_is_401(self):
        key = self.make_key("internal", "ddh", "--expires-at", FAR_FUTURE)
        psql(self.db.url, "UPDATE platform.api_keys SET expires_at = now() - interval '1 s' "
                          "WHERE key_id = '%s'" % key_id_of(key))
        # First use after the update: nothing is cached for this key.
        doc = self.assert_401(self.get("/platform/whoami", key), "expired")
        self.assertIn(key_id_of(key), doc["detail"])
        self.assert_401(self.get("/platform/whoami", key, "Bearer"), "expired")

    def test_revoked_key_is_401(self):
        key = self.make_key("trusted")
        r = self.cli("keys", "revoke", key_id_of(key))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_401(self.get("/platform/whoami", key), "revoked")

    def test_key_of_an_inactive_client_is_401(self):
        self.make_client("acme")
        key = self.make_key("admin", "acme")
        psql(self.db.url, "UPDATE platform.clients SET is_active = false WHERE client_id = 'acme'")
        self.assert_401(self.get("/platform/whoami", key), "not active")
        self.assert_401(self.get("/admin/clients", key))
        # Keys of the other client are not affected.
        self.assertEqual(self.get("/platform/whoami", self.trusted)[0], 200)

    # --- 403 -----------------------------------------------------------------------------------

    def test_wrong_level_is_403(self):
        for key in (self.trusted, self.internal):
            for method, path in (("GET", "/admin/clients"), ("GET", "/admin/keys"),
                                 ("DELETE", "/admin/keys/" + key_id_of(self.admin))):
                with self.subTest(level=key_id_of(key), route=path):
                    r = self.srv.call(method, path, headers=with_key(key))
                    doc = problem(self, r, 403, "forbidden")
                    self.assertNotIn("www-authenticate", r[1])
                    self.assertIn(path, doc["detail"])
            r = self.srv.call("POST", "/admin/keys", headers=with_key(key, extra={
                "Content-Type": "application/json"}),
                body=json.dumps({"client_id": "ddh", "access_level": "admin"}))
            problem(self, r, 403, "forbidden")
        # The admin key was not revoked by the refused DELETEs.
        self.assertEqual(self.get("/platform/whoami", self.admin)[0], 200)

    def test_trusted_key_may_call_whoami(self):
        st, _, body = self.get("/platform/whoami", self.trusted)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["access_level"], "trusted")

    def test_allowed_endpoints_restrict_a_key(self):
        r = self.get("/health", self.restricted)
        doc = problem(self, r, 403, "forbidden")
        self.assertIn("allowed_endpoints", doc["detail"])
        problem(self, self.get("/admin/clients", self.restricted), 403, "forbidden")
        st, _, body = self.get("/platform/whoami", self.restricted)
        self.assertEqual(st, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["key_id"], key_id_of(self.restricted))
        self.assertEqual(doc["allowed_endpoints"], ["GET /platform/whoami"])
        # HEAD counts as GET for the pattern.
        self.assertEqual(self.srv.call("HEAD", "/platform/whoami",
                                       headers=with_key(self.restricted))[0], 200)

    # --- 200 -----------------------------------------------------------------------------------

    def test_whoami_for_every_level(self):
        for key, level, expires in ((self.admin, "admin", None), (self.trusted, "trusted", None),
                                    (self.internal, "internal", FAR_FUTURE)):
            with self.subTest(level=level):
                st, headers, body = self.get("/platform/whoami", key)
                self.assertEqual(st, 200, body)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertEqual(json.loads(body), {"client_id": "ddh",
                                                    "key_id": key_id_of(key),
                                                    "access_level": level,
                                                    "expires_at": expires})

    def test_bearer_and_api_key_header_are_both_accepted(self):
        for key in (self.admin, self.trusted, self.internal):
            a = self.get("/platform/whoami", key, "X-Platform-API-Key")
            b = self.get("/platform/whoami", key, "Bearer")
            self.assertEqual(a[0], 200, a)
            self.assertEqual(b[0], 200, b)
            self.assertEqual(json.loads(a[2]), json.loads(b[2]))
        st, _, _ = self.srv.call("GET", "/admin/clients",
                                 headers={"Authorization": "bearer " + self.admin})
        self.assertEqual(st, 200)

    # --- revocation while cached -----------------------------------------------------------------

    def test_cli_revocation_takes_effect_within_5_s(self):
        key = self.make_key("internal")
        for _ in range(3):  # used, hence cached
            self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        r = self.cli("keys", "revoke", key_id_of(key))
        self.assertEqual(r.returncode, 0, r.stderr)
        elapsed, answer = self.wait_for_401(key)
        self.assertLess(elapsed, 5.0)
        self.assert_401(answer, "revoked")

    def test_admin_delete_revokes_within_5_s(self):
        key = self.make_key("trusted")
        self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        st, _, body = self.srv.call("DELETE", "/admin/keys/" + key_id_of(key),
                                    headers=with_key(self.admin))
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body), {"key_id": key_id_of(key), "state": "revoked"})
        elapsed, answer = self.wait_for_401(key)
        self.assertLess(elapsed, 5.0)
        self.assert_401(answer, "revoked")
        # Revoking it again: no active key with this id.
        problem(self, self.srv.call("DELETE", "/admin/keys/" + key_id_of(key),
                                    headers=with_key(self.admin)), 404, "not_found")
        state = psql(self.db.url, "SELECT revoked_at IS NOT NULL FROM platform.api_keys "
                                  "WHERE key_id = '%s'" % key_id_of(key))
        self.assertEqual(state, "t")

    def test_admin_delete_of_an_unknown_key_is_404(self):
        doc = problem(self, self.srv.call("DELETE", "/admin/keys/zzzzzzzz",
                                          headers=with_key(self.admin)), 404, "not_found")
        self.assertIn("zzzzzzzz", doc["detail"])

    # --- /health -------------------------------------------------------------------------------

    def test_health_needs_a_key(self):
        self.assert_401(self.get("/health"))
        self.assert_401(self.get("/health", "gp_zzzzzzzz_" + "A" * 43))

    def test_health_with_any_key(self):
        for key in (self.admin, self.trusted, self.internal):
            with self.subTest(key=key_id_of(key)):
                st, headers, body = self.get("/health", key)
                self.assertEqual(st, 200, body)
                self.assertEqual(headers["content-type"], "application/json")
                doc = json.loads(body)
                self.assertEqual(doc["status"], "healthy", doc)
                self.assertIn("version", doc)
                self.assertEqual(doc["components"]["database"]["status"], "ok")
                members = doc["components"]["actors"]["members"]
                for name in ("db_pool", "auth", "migrator", "http_edge"):
                    self.assertIn(name, members)
                self.assertEqual(members["http_edge"]["state"], "serving")

    # --- /admin --------------------------------------------------------------------------------

    def test_admin_clients_lists_clients_without_secrets(self):
        st, headers, body = self.get("/admin/clients", self.admin)
        self.assertEqual(st, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(body)
        self.assertEqual(list(doc), ["clients"])
        ids = [c["client_id"] for c in doc["clients"]]
        self.assertIn("ddh", ids)
        text = body.decode()
        self.assertNotIn("webhook_secret", text)
        self.assertNotIn("whsec_", text)
        for secret in self.secrets_made:
            self.assertNotIn(secret[len("whsec_"):], text)

    def test_admin_keys_never_shows_a_key_or_its_hash(self):
        created = self.srv.call("POST", "/admin/keys", headers=with_key(self.admin, extra={
            "Content-Type": "application/json"}),
            body=json.dumps({"client_id": "ddh", "access_level": "trusted"}))
        self.assertEqual(created[0], 201, created)
        self.keys_made.append(json.loads(created[2])["key"])
        for query in ("", "?client_id=ddh"):
            st, _, body = self.get("/admin/keys" + query, self.admin)
            self.assertEqual(st, 200, body)
            text = body.decode()
            doc = json.loads(text)
            listed = {k["key_id"] for k in doc["keys"]}
            for key in self.keys_made:
                self.assertNotIn(key[12:], text)
                self.assertNotIn(hashlib.sha256(key.encode()).hexdigest(), text)
            self.assertIn(key_id_of(self.admin), listed)
            self.assertIn(key_id_of(self.trusted), listed)
            for k in doc["keys"]:
                self.assertNotIn("key", k)
                self.assertNotIn("key_hash", k)
                self.assertNotIn("secret", k)

    def test_admin_creates_a_working_key(self):
        body = {"client_id": "ddh", "access_level": "internal", "expires_at": FAR_FUTURE,
                "allowed_endpoints": ["GET /platform/*"], "description": "e2e"}
        st, headers, raw = self.srv.call("POST", "/admin/keys", body=json.dumps(body),
                                         headers=with_key(self.admin, extra={
                                             "Content-Type": "application/json"}))
        self.assertEqual(st, 201, raw)
        doc = json.loads(raw)
        self.keys_made.append(doc["key"])
        self.assertRegex(doc["key"], KEY_RE)
        self.assertEqual(doc["key_id"], key_id_of(doc["key"]))
        self.assertEqual(doc["client_id"], "ddh")
        self.assertEqual(doc["access_level"], "internal")
        self.assertEqual(doc["expires_at"], FAR_FUTURE)
        self.assertEqual(doc["allowed_endpoints"], ["GET /platform/*"])
        st, _, who = self.get("/platform/whoami", doc["key"])
        self.assertEqual(st, 200, who)
        self.assertEqual(json.loads(who), {"client_id": "ddh", "key_id": doc["key_id"],
                                           "access_level": "internal", "expires_at": FAR_FUTURE,
                                           "allowed_endpoints": ["GET /platform/*"]})
        problem(self, self.get("/health", doc["key"]), 403, "forbidden")
        stored = psql(self.db.url, "SELECT key_hash FROM platform.api_keys WHERE key_id = '%s'"
                      % doc["key_id"])
        self.assertEqual(stored, hashlib.sha256(doc["key"].encode()).hexdigest())

    def post_key(self, body):
        return self.srv.call("POST", "/admin/keys", body=json.dumps(body),
                             headers=with_key(self.admin, extra={
                                 "Content-Type": "application/json"}))

    def assert_validation(self, response, *fields):
        doc = problem(self, response, 400, "validation_error")
        named = [e["field"] for e in doc["errors"]]
        for e in doc["errors"]:
            self.assertTrue(e["message"], e)
        for field in fields:
            self.assertIn(field, named, doc)
            self.assertIn(field, doc["detail"])
        return named

    def test_create_key_names_every_bad_field(self):
        named = self.assert_validation(
            self.post_key({"client_id": "Bad Id", "access_level": "root", "expires_at": "soon",
                           "allowed_endpoints": ["GET"], "colour": "blue"}),
            "client_id", "access_level", "expires_at", "allowed_endpoints[0]", "colour")
        self.assertEqual(len(named), len(set(named)), named)
        self.assert_validation(self.post_key({}), "client_id", "access_level")
        self.assert_validation(self.post_key({"client_id": 7, "access_level": ["admin"],
                                              "expires_at": 2099}),
                               "client_id", "access_level", "expires_at")
        self.assert_validation(self.post_key({"client_id": "ddh", "access_level": "admin",
                                              "allowed_endpoints": "GET /x"}),
                               "allowed_endpoints")
        self.assert_validation(self.post_key(["client_id", "ddh"]), "(body)")

    def test_create_key_for_an_unknown_client(self):
        named = self.assert_validation(self.post_key({"client_id": "nobody",
                                                      "access_level": "admin"}), "client_id")
        self.assertEqual(named, ["client_id"])
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.api_keys "
                                           "WHERE client_id = 'nobody'"), "0")

    def test_create_key_with_a_past_expiry(self):
        named = self.assert_validation(self.post_key({"client_id": "ddh", "access_level": "admin",
                                                      "expires_at": "2001-01-01T00:00:00Z"}),
                                       "expires_at")
        self.assertEqual(named, ["expires_at"])

    # --- logs ----------------------------------------------------------------------------------

    def test_zz_server_log_holds_no_key(self):
        """Runs last in this class (alphabetical order): every key made so far is checked."""
        self.assertIn("401", self.srv.output())
        self.assert_log_holds_no_key()


class AuthWithoutCache(KeyedServer):
    """auth.cache_ttl_ms=0: every call reads the key's row, so changes apply at once."""

    server_args = ("--set", "auth.cache_ttl_ms=0")

    def test_expiry_applies_to_a_key_already_used(self):
        key = self.make_key("internal", "ddh", "--expires-at", FAR_FUTURE)
        self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        psql(self.db.url, "UPDATE platform.api_keys SET expires_at = now() - interval '1 s' "
                          "WHERE key_id = '%s'" % key_id_of(key))
        self.assert_401(self.get("/platform/whoami", key), "expired")

    def test_revocation_applies_at_once(self):
        key = self.make_key("admin")
        self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        r = self.cli("keys", "revoke", key_id_of(key))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_401(self.get("/platform/whoami", key), "revoked")

    def test_deactivating_a_client_applies_at_once(self):
        self.make_client("acme")
        key = self.make_key("trusted", "acme")
        self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        psql(self.db.url, "UPDATE platform.clients SET is_active = false WHERE client_id = 'acme'")
        self.assert_401(self.get("/platform/whoami", key), "not active")

    def test_zz_server_log_holds_no_key(self):
        self.assert_log_holds_no_key()


class HealthWithoutKey(KeyedServer):
    """auth.health_requires_key=false: /health is open, other routes still need a key."""

    server_args = ("--set", "auth.health_requires_key=false")

    def test_health_is_open(self):
        st, _, body = self.get("/health")
        self.assertEqual(st, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["status"], "healthy", doc)
        self.assertEqual(doc["components"]["database"]["status"], "ok")

    def test_other_routes_still_need_a_key(self):
        self.assert_401(self.get("/platform/whoami"))
        self.assert_401(self.get("/admin/clients"))
        key = self.make_key("trusted")
        self.assertEqual(self.get("/platform/whoami", key)[0], 200)
        problem(self, self.get("/admin/clients", key), 403, "forbidden")

    def test_zz_server_log_holds_no_key(self):
        self.assert_log_holds_no_key()


if __name__ == "__main__":
    unittest.main()
