"""Rate limits by route class (each class with another class and another client unaffected, the
429's Retry-After and RateLimit-* fields), usage counts equal to the calls made (kept across a
clean restart), and isolation: another client's ids answer 404 on every route that takes one."""
import json
import os
import unittest
from urllib.parse import urlparse

from gp_e2e import Server, ServedTestCase, problem, psql, run
from gp_platform import ENGINE, Api, ClientCase, body, make_key, setup_clients


def limited_clients(db_url):
    """Clients reader (4 reads, 2 submits a minute), writer (2 submits, reads as the default of
    the server: 6), bystander (no limits of its own), with an internal key each."""
    keys = setup_clients(db_url)
    for args in (("reader", "--rate-limit", "2", "--read-rate-limit", "4"),
                 ("writer", "--rate-limit", "2"), ("bystander",)):
        r = run("clients", "create", *args, "--database-url", db_url)
        assert r.returncode == 0, r.stderr
        keys[args[0]] = make_key(db_url, args[0], "internal")
    return keys


class RateClasses(ServedTestCase):
    server_args = ("--set", "rate_limits.read_per_minute=6", "--set", "usage.flush_ms=100")
    prepare = classmethod(lambda cls, url: limited_clients(url))

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def reads(self, key, n):
        return [self.api("GET", "/platform/requests", key=key)[0] for _ in range(n)]

    def submit(self, key):
        # No such source: a 400 that still counts against the submit budget.
        return self.api("POST", "/platform/submit", body(dataset_id="nothing"), key=key)

    def test_the_read_class_has_its_own_budget(self):
        key = self.keys["reader"]
        self.assertEqual(self.reads(key, 4), [200] * 4)
        st, hdrs, raw = self.api("GET", "/platform/status/" + "0" * 32, key=key)
        doc = problem(self, (st, hdrs, raw), 429, "rate_limited")
        self.assertIn("client reader may make 4 read calls a minute", doc["detail"])
        self.assertTrue(1 <= int(hdrs["retry-after"]) <= 15, hdrs)
        self.assertEqual(hdrs["ratelimit-limit"], "4")
        self.assertEqual(hdrs["ratelimit-remaining"], "0")
        self.assertTrue(1 <= int(hdrs["ratelimit-reset"]) <= 60, hdrs)
        # Its submit budget is untouched, unlimited routes go on, other clients read on.
        problem(self, self.submit(key), 400, "source_not_found")
        self.assertEqual(self.api("GET", "/platform/whoami", key=key)[0], 200)
        self.assertEqual(self.reads(self.keys["bystander"], 3), [200] * 3)
        # STAC, features and downloads are reads too.
        for path in ("/platform/stac/collections", "/features/collections",
                     "/platform/data/%s/download" % ("0" * 32)):
            self.assertEqual(self.api("GET", path, key=key)[0], 429, path)

    def test_the_submit_class_has_its_own_budget(self):
        key = self.keys["writer"]
        for _ in range(2):
            problem(self, self.submit(key), 400, "source_not_found")
        st, hdrs, raw = self.submit(key)
        doc = problem(self, (st, hdrs, raw), 429, "rate_limited")
        self.assertIn("may submit 2 requests a minute", doc["detail"])
        self.assertEqual(hdrs["ratelimit-limit"], "2")
        self.assertIn("retry-after", hdrs)
        # A retry is a submission.
        self.assertEqual(self.api("POST", "/platform/requests/%s/retry" % ("0" * 32),
                                  key=key)[0], 429)
        # Reads of the same client go on (under the server's default of 6), and another
        # client's submissions are its own.
        self.assertEqual(self.reads(key, 2), [200] * 2)
        problem(self, self.submit(self.keys["bystander"]), 400, "source_not_found")
        # The refusals count in the client's usage: two 400s and two 429s (submit and retry
        # answers: only submissions count).
        st, _, doc = Api(self, self.srv, self.keys["admin"]).json(
            "GET", "/admin/usage?client=writer")
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["usage"][0]["submits_refused"], 3, doc)

    def test_clients_without_a_read_limit_get_the_default(self):
        key = self.keys["other"]
        self.assertEqual(self.reads(key, 7), [200] * 6 + [429])

    def test_limits_switched_off(self):
        srv = Server(self.db.url, "--set", "rate_limits.enabled=false")
        self.addCleanup(srv.close)
        srv.wait_status("/readyz", 200)
        api = Api(self, srv, self.keys["reader"])
        self.assertEqual([api("GET", "/platform/requests")[0] for _ in range(8)], [200] * 8)
        self.assertEqual(srv.stop(), 0)


class UsageAndIsolation(ClientCase):
    server_args = ENGINE + ["--set", "usage.flush_ms=200"]
    sources = ("pt.csv",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        api = Api(cls, cls.srv, cls.keys["internal"])
        b = body(dataset_id="places", request_type="vector", source_path="pt.csv",
                 callback_url="https://hooks.example.org/done")
        st, _, doc = api.json("POST", "/platform/submit", b)
        assert st == 202, doc
        cls.request_id = doc["request_id"]
        cls.first = b

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])
        self.admin = Api(self, self.srv, self.keys["admin"])
        self.done = self.api.wait(self.request_id)
        self.assertEqual(self.done["status"], "completed", self.done)

    def path(self, url):
        return urlparse(url).path

    def usage(self, srv=None):
        st, _, doc = Api(self, srv or self.srv, self.keys["admin"]).json(
            "GET", "/admin/usage?client=ddh&granularity=day")
        self.assertEqual(st, 200, doc)
        self.assertLessEqual(len(doc["usage"]), 1, doc)
        return doc["usage"][0] if doc["usage"] else {}

    def test_usage_counts_the_calls_made_and_survives_a_clean_restart(self):
        before = self.usage()
        self.assertEqual((before["submits_new"], before["requests_completed"]), (1, 1), before)
        self.assertEqual(before["bytes_read"],
                         os.path.getsize(os.path.join(self.bronze, "pt.csv")))
        self.assertGreater(before["bytes_written"], 0)
        # A repeat, a refusal, two searches, a download, a range read and a HEAD.
        self.assertEqual(self.api("POST", "/platform/submit", self.first)[0], 200)
        problem(self, self.api("POST", "/platform/submit", body(dataset_id="x")), 400,
                "source_not_found")
        self.assertEqual(self.api("GET", "/platform/stac/search?limit=1")[0], 200)
        self.assertEqual(self.api("POST", "/platform/stac/search", {"limit": 1})[0], 200)
        self.assertEqual(self.api("GET", "/platform/stac/search?limit=0")[0], 400)
        download = self.path(self.done["endpoints"]["download"])
        st, _, whole = self.api("GET", download)
        self.assertEqual(st, 200)
        st, _, part = self.api("GET", download, headers={"Range": "bytes=0-99"})
        self.assertEqual((st, len(part)), (206, 100))
        self.assertEqual(self.api("HEAD", download)[0], 200)
        after = self.usage()
        grew = {k: after[k] - before.get(k, 0) for k in after if isinstance(after[k], int)}
        self.assertEqual(grew, {"submits_new": 0, "submits_repeat": 1, "submits_refused": 1,
                                "requests_completed": 0, "requests_failed": 0, "bytes_read": 0,
                                "bytes_written": 0, "stac_searches": 2, "downloads": 3,
                                "bytes_served": len(whole) + 100, "tiles": 0}, after)
        # One more search just before a clean stop: flushed while stopping, nothing counted
        # twice after the restart.
        self.assertEqual(self.api("GET", "/platform/stac/search?limit=1")[0], 200)
        self.assertEqual(self.srv.stop(), 0)
        rows = psql(self.db.url, "SELECT sum(stac_searches) FROM platform.usage_hourly "
                                 "WHERE client_id = 'ddh'")
        self.assertEqual(int(rows), after["stac_searches"] + 1)
        type(self).srv = Server(self.db.url, *self.server_args)
        self.addClassCleanup(self.srv.close)
        self.srv.wait_status("/readyz", 200)
        self.admin = Api(self, self.srv, self.keys["admin"])
        again = self.usage()
        self.assertEqual(again["stac_searches"], after["stac_searches"] + 1)
        self.assertEqual(again["bytes_served"], after["bytes_served"])
        # Hours add up to the day; a window without calls is empty.
        st, _, hours = self.admin.json("GET", "/admin/usage?client=ddh&granularity=hour")
        self.assertEqual(sum(h["downloads"] for h in hours["usage"]), again["downloads"])
        st, _, none = self.admin.json("GET", "/admin/usage?from=2001-01-01T00:00:00Z"
                                             "&to=2001-01-02T00:00:00Z")
        self.assertEqual((st, none["usage"]), (200, []))

    def test_usage_refusals_name_the_field(self):
        for query, field in (("granularity=week", "granularity"), ("from=yesterday", "from"),
                             ("to=2026-13-01T00:00:00Z", "to"), ("from=2026-02-30T00:00:00Z", "from"),
                             ("client=Bad!", "client")):
            doc = problem(self, self.admin("GET", "/admin/usage?" + query), 400,
                          "validation_error")
            self.assertEqual([e["field"] for e in doc["errors"]], [field], doc)
        problem(self, self.api("GET", "/admin/usage"), 403, "forbidden")

    def test_another_clients_ids_are_404_on_every_route_that_takes_one(self):
        rid = self.request_id
        st, _, deliveries = self.api.json("GET", "/platform/requests/%s/webhooks" % rid)
        self.assertEqual(st, 200, deliveries)
        delivery = deliveries["deliveries"][0]["delivery_id"]
        item = self.path(self.done["endpoints"]["stac_item"])
        collection = item[:item.index("/items/")]
        features = self.path(self.done["stac_metadata"]["assets"]["features"]["href"])
        fcollection = features[:features.index("/items")]
        st, _, page = self.api.json("GET", features + "?limit=1")
        self.assertEqual(st, 200, page)
        feature = fcollection + "/items/" + str(page["features"][0]["id"])
        routes = [("GET", "/platform/status/" + rid, 200),
                  ("DELETE", "/platform/requests/" + rid, 409),
                  ("POST", "/platform/requests/%s/retry" % rid, 409),
                  ("GET", "/platform/requests/%s/webhooks" % rid, 200),
                  ("GET", "/platform/webhooks/" + delivery, 200),
                  ("GET", self.path(self.done["endpoints"]["download"]), 200),
                  ("GET", fcollection, 200), ("GET", features, 200), ("GET", feature, 200),
                  ("GET", collection, 200), ("GET", collection + "/items", 200),
                  ("GET", item, 200), ("GET", collection + "/queryables", 200)]
        for method, path, owner in routes:
            self.assertEqual(self.api(method, path)[0], owner, (method, path))
            st, hdrs, raw = self.api(method, path, key=self.keys["other"])
            problem(self, (st, hdrs, raw), 404, "not_found")
        # Listings filter server-side.
        st, _, mine = self.api.json("GET", "/platform/requests", key=self.keys["other"])
        self.assertNotIn(rid, json.dumps(mine))
        st, _, found = self.api.json("GET", "/platform/stac/search", key=self.keys["other"])
        self.assertNotIn(rid, json.dumps(found))


if __name__ == "__main__":
    unittest.main()
