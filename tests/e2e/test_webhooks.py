"""Webhooks end to end, against real local receivers (HTTP, and HTTPS with a test CA): delivery
on completion, failure and cancel with both signatures; retries with the same webhook-id and
backoff; a receiver down then up; Retry-After; 410; a hanging receiver that holds up nobody else;
a redirect not followed; secret rotation; a host's limit earned by prompt answers and not by
hanging; kill -9 with deliveries pending."""
import json
import os
import signal
import time
import unittest

from gp_e2e import ScratchDatabase, ServedTestCase, Server, psql, require_environment, run
from gp_receiver import Receiver, free_port, test_ca, verify
from gp_platform import Api, body, make_key, put_sources

PIPELINES = json.dumps({
    "vector": [{"step": "ingest_vector", "job": "noop", "params": {"tasks": 1}}],
    "raster": [{"step": "validate_raster", "job": "fail", "params": {"mode": "permanent"}}],
    "collection": [{"step": "process_raster_collection", "job": "sleep",
                    "params": {"ms": 60000}}],
})

FAST = ["--set", "webhooks.allow_private_addresses=true",
        "--set", "webhooks.retry_schedule=300ms,300ms,300ms,300ms,2s,2s,2s,2s",
        "--set", "webhooks.retry_window_s=0",
        "--set", "webhooks.timeout_ms=1500", "--set", "webhooks.connect_timeout_ms=1000",
        "--set", "webhooks.lease_ms=7000", "--set", "webhooks.poll_ms=50",
        "--set", "webhooks.per_host=2", "--set", "webhooks.concurrency=4",
        "--set", "workers.lease_ms=1000", "--set", "workers.idle_poll_max_ms=50",
        "--set", "requests.pipelines=" + PIPELINES]
# Never dead while the test runs.
PATIENT = [*FAST, "--set", "webhooks.retry_schedule=500ms,1s", "--set",
           "webhooks.retry_window_s=600"]


def webhook_clients(db_url, ca=None):
    """Client ddh, which may be called back at 127.0.0.1 and localhost; its secret and keys."""
    assert run("migrate", "--database-url", db_url).returncode == 0
    r = run("clients", "create", "ddh", "--callback-host", "127.0.0.1", "--callback-host",
            "localhost", "--database-url", db_url)
    assert r.returncode == 0, r.stderr
    assert run("clients", "create", "other", "--callback-host", "127.0.0.1",
               "--database-url", db_url).returncode == 0
    return {"secret": r.stdout.strip(),
            "internal": make_key(db_url, "ddh", "internal"),
            "admin": make_key(db_url, "ddh", "admin"),
            "other": make_key(db_url, "other", "internal")}


class ReceiverTestCase(ServedTestCase):
    """A served test class with client ddh (webhook_clients), its sources, one receiver, and the
    internal key's Api."""

    prepare = classmethod(lambda cls, url: webhook_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        put_sources(cls.srv)
        cls.rx = Receiver()
        cls.addClassCleanup(cls.rx.close)

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def url(self, path, rx=None):
        return "http://127.0.0.1:%d%s" % ((rx or self.rx).port, path)

    def wait_ended(self, delivery_id, timeout=15):
        """The delivery once it is neither pending nor delivering."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, d = self.api.json("GET", "/platform/webhooks/" + delivery_id)
            self.assertEqual(st, 200, d)
            if d["status"] not in ("pending", "delivering"):
                return d
            time.sleep(0.1)
        self.fail("delivery %s never ended" % delivery_id)


class Deliveries(ReceiverTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ca = test_ca()
        cls.server_args = (*FAST, "--set", "webhooks.ca_file=" + cls.ca["ca"])
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.secrets = self.keys.setdefault("secrets", [self.keys["secret"]])

    def submit(self, version, callback, **kw):
        b = body(dataset_id="hooks", version_id=version, request_type="vector",
                 source_path="pt.csv", callback_url=callback)
        b.update(kw)
        st, _, doc = self.api.json("POST", "/platform/submit", b)
        self.assertEqual(st, 202, doc)
        return doc["request_id"]

    def deliveries(self, rid):
        st, _, doc = self.api.json("GET", "/platform/requests/%s/webhooks" % rid)
        self.assertEqual(st, 200, doc)
        return doc["deliveries"]

    def wait_delivery(self, rid, statuses=("delivered",), timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ds = self.deliveries(rid)
            if ds and ds[0]["status"] in statuses:
                return ds[0]
            time.sleep(0.1)
        raise AssertionError("no %s delivery for %s: %s\n%s" % (statuses, rid, self.deliveries(rid),
                                                             self.srv.output()[-3000:]))

    def test_completion_is_delivered_signed_with_the_status_documents(self):
        rid = self.submit("done", self.url("/done"))
        status = self.api.wait(rid)
        self.assertEqual(status["status"], "completed")
        got = self.rx.wait("/done", 1)
        doc = verify(self, got[0], self.secrets)
        self.assertEqual(doc["event"], "platform.request.completed")
        for k in ("request_id", "dataset_id", "resource_id", "version_id", "client_request_id",
                  "status", "endpoints", "stac_metadata"):
            self.assertEqual(doc[k], status[k], k)
        self.assertIsNone(doc["error"])
        self.assertGreaterEqual(doc["processing_time_seconds"], 0)
        self.assertTrue(doc["timestamp"].endswith("Z"))
        d = self.wait_delivery(rid)
        self.assertEqual(d["delivery_id"], got[0]["headers"]["webhook-id"])
        self.assertEqual(d["attempts"], 1)
        self.assertEqual(d["last_status_code"], 200)
        self.assertEqual(self.api.wait(rid)["callback_status"], "sent")
        self.assertEqual(got[0]["headers"]["x-platform-event"], "platform.request.completed")
        self.assertTrue(got[0]["headers"]["user-agent"].startswith("geoplatform-webhooks/"))

    def test_failure_and_cancel_are_delivered(self):
        rid = self.submit("fails", self.url("/fail"), request_type="raster",
                          source_path="grain.tif")
        doc = verify(self, self.rx.wait("/fail", 1)[0], self.secrets)
        self.assertEqual(doc["event"], "platform.request.failed")
        self.assertEqual(doc["status"], "failed")
        self.assertEqual(doc["error"]["code"], self.api.wait(rid)["error"]["code"])
        self.assertIsNone(doc["endpoints"])
        rid = self.submit("cancel", self.url("/cancel"), request_type="collection",
                          source_path="tiles")
        st, _, out = self.api.json("DELETE", "/platform/requests/" + rid)
        self.assertEqual(st, 200, out)
        doc = verify(self, self.rx.wait("/cancel", 1)[0], self.secrets)
        self.assertEqual(doc["event"], "platform.request.cancelled")
        self.assertEqual(doc["request_id"], rid)

    def test_server_errors_are_retried_with_the_same_id_and_backoff(self):
        self.rx.answer("/flaky", (500, {}), (500, {}), (500, {}))
        rid = self.submit("flaky", self.url("/flaky"))
        got = self.rx.wait("/flaky", 4)
        ids = {g["headers"]["webhook-id"] for g in got}
        self.assertEqual(len(ids), 1)
        for g in got:
            verify(self, g, self.secrets)
        self.assertEqual(len({g["body"] for g in got}), 1)
        times = [g["time"] for g in got]
        self.assertTrue(all(b > a for a, b in zip(times, times[1:])), times)
        d = self.wait_delivery(rid)
        self.assertEqual(d["attempts"], 4)
        self.assertEqual(d["last_status_code"], 200)

    def test_a_receiver_down_then_up_gets_its_delivery(self):
        port = free_port()
        rid = self.submit("down", "http://127.0.0.1:%d/late" % port)
        d = self.wait_delivery(rid, ("pending",))
        deadline = time.time() + 10
        while d["attempts"] < 2 and time.time() < deadline:
            time.sleep(0.1)
            d = self.deliveries(rid)[0]
        self.assertGreaterEqual(d["attempts"], 2, d)
        self.assertIn("connect", d["last_error"])
        self.assertEqual(self.api.wait(rid)["callback_status"], "pending")
        late = Receiver(port)
        self.addCleanup(late.close)
        got = late.wait("/late", 1)
        self.assertEqual(got[0]["headers"]["webhook-id"], d["delivery_id"])
        self.assertEqual(self.wait_delivery(rid)["status"], "delivered")

    def test_retry_after_is_honoured(self):
        self.rx.answer("/busy", (429, {"Retry-After": "2"}))
        self.submit("busy", self.url("/busy"))
        got = self.rx.wait("/busy", 2)
        self.assertGreaterEqual(got[1]["time"] - got[0]["time"], 1.9)

    def test_gone_stops_the_retries(self):
        self.rx.answer("/gone", (410, {}))
        rid = self.submit("gone", self.url("/gone"))
        d = self.wait_delivery(rid, ("failed",))
        self.assertEqual(d["last_status_code"], 410)
        time.sleep(1.0)
        self.assertEqual(len(self.rx.requests("/gone")), 1)
        self.assertEqual(self.api.wait(rid)["callback_status"], "failed")

    def test_attempts_run_out_into_dead_and_an_admin_redelivers(self):
        self.rx.answer("/dead", *[(500, {})] * 9)
        rid = self.submit("dead", self.url("/dead"))
        d = self.wait_delivery(rid, ("dead",), timeout=30)
        self.assertEqual(d["attempts"], 9)
        admin = Api(self, self.srv, self.keys["admin"])
        st, _, doc = admin.json("GET", "/admin/webhooks?status=dead&request_id=" + rid)
        self.assertEqual(st, 200, doc)
        self.assertEqual([x["delivery_id"] for x in doc["deliveries"]], [d["delivery_id"]])
        st, _, doc = admin.json("POST", "/admin/webhooks/%s/redeliver" % d["delivery_id"])
        self.assertEqual(st, 202, doc)
        got = self.rx.wait("/dead", 10)
        self.assertEqual(got[-1]["headers"]["webhook-id"], d["delivery_id"])
        self.assertEqual(self.wait_delivery(rid)["attempts"], 1)

    def test_a_hanging_receiver_holds_up_nobody_else(self):
        # More hanging deliveries than the node's concurrency (4): without the per-host limit (2)
        # they would take every slot.
        hanging = Receiver()
        self.addCleanup(hanging.close)
        for _ in range(8):
            hanging.answer("/slow", "hang")
        for _ in range(8):
            st, _, doc = self.api.json("POST", "/platform/webhooks/test",
                                       {"url": self.url("/slow", hanging)})
            self.assertEqual(st, 202, doc)
        hanging.wait("/slow", 2)
        started = time.time()
        for _ in range(3):
            st, _, doc = self.api.json("POST", "/platform/webhooks/test", {"url": self.url("/quick")})
            self.assertEqual(st, 202, doc)
        self.rx.wait("/quick", 3, timeout=10)
        self.assertLess(time.time() - started, 1.5)
        st, _, ping = self.api.json("GET", "/platform/webhooks/" + doc["delivery_id"])
        self.assertEqual(st, 200, ping)
        self.assertEqual(ping["event"], "platform.ping")

    def test_an_error_page_in_any_encoding_is_recorded_and_spoils_no_other_outcome(self):
        # A NUL, a Latin-1 byte, and two-byte characters across the excerpt's 200th byte: kept as
        # sent, such text would fail the outcome's write and every outcome written with it.
        page = b"Fehler\x00 f\xfcr den Empf\xe4nger " + b"x" * 160 + "\u00e9".encode() * 20
        self.rx.answer("/messy", (500, {"Content-Type": "text/html; charset=latin-1"}, page))
        pings = {}
        for path in ("/messy", "/fine"):
            st, _, doc = self.api.json("POST", "/platform/webhooks/test", {"url": self.url(path)})
            self.assertEqual(st, 202, doc)
            pings[path] = doc["delivery_id"]
        fine = self.wait_ended(pings["/fine"])
        self.assertEqual(fine["status"], "delivered", fine)
        d = self.wait_ended(pings["/messy"])
        self.assertEqual((d["status"], d["last_status_code"]), ("failed", 500), d)
        self.assertTrue(d["last_error"].startswith(
            "the receiver answered 500: Fehler  f\ufffdr den Empf\ufffdnger xxx"), d["last_error"])
        self.assertTrue(d["last_error"].endswith("\u00e9..."), d["last_error"])
        self.assertNotIn("\x00", d["last_error"])
        self.assertLessEqual(len(d["last_error"].encode()), len("the receiver answered 500: ") + 203)

    def test_a_redirect_is_not_followed(self):
        self.rx.answer("/moved", (302, {"Location": self.url("/elsewhere")}))
        st, _, doc = self.api.json("POST", "/platform/webhooks/test", {"url": self.url("/moved")})
        self.assertEqual(st, 202, doc)
        d = self.wait_ended(doc["delivery_id"])
        self.assertEqual(d["status"], "failed")
        self.assertEqual(d["last_status_code"], 302)
        self.assertIn("not followed", d["last_error"])
        self.assertEqual(self.rx.requests("/elsewhere"), [])

    def test_https_with_a_private_ca_and_a_name_that_must_match(self):
        tls = Receiver(tls=self.ca)
        self.addCleanup(tls.close)
        rid = self.submit("tls", "https://localhost:%d/secure" % tls.port)
        verify(self, tls.wait("/secure", 1)[0], self.secrets)
        self.assertEqual(self.wait_delivery(rid)["status"], "delivered")
        # The certificate names localhost, not 127.0.0.1: refused.
        st, _, doc = self.api.json("POST", "/platform/webhooks/test",
                                   {"url": "https://127.0.0.1:%d/wrong-name" % tls.port})
        self.assertEqual(st, 202, doc)
        d = self.wait_ended(doc["delivery_id"])
        self.assertEqual(d["status"], "failed", d)
        self.assertIn("certificate", d["last_error"])
        self.assertEqual(tls.requests("/wrong-name"), [])

    def test_rotation_signs_with_both_secrets(self):
        admin = Api(self, self.srv, self.keys["admin"])
        st, _, doc = admin.json("POST", "/admin/clients/ddh/rotate-secret")
        self.assertEqual(st, 200, doc)
        new = doc["webhook_secret"]
        self.assertTrue(new.startswith("whsec_"))
        self.assertNotEqual(new, self.keys["secret"])
        st, _, ping = self.api.json("POST", "/platform/webhooks/test", {"url": self.url("/rot")})
        self.assertEqual(st, 202, ping)
        got = self.rx.wait("/rot", 1)
        doc = verify(self, got[0], [new, self.keys["secret"]])
        self.assertEqual(doc["event"], "platform.ping")
        # Both sign for the rest of the grace period (a day by default).
        self.keys["secrets"][:] = [new, self.keys["secret"]]


class ClientIsolation(ReceiverTestCase):
    """One client's receivers hanging under several host names do not hold up another client."""

    server_args = (*FAST, "--set", "webhooks.per_client=2")

    def test_a_client_whose_receivers_hang_holds_up_no_other_client(self):
        hanging = Receiver()
        self.addCleanup(hanging.close)
        for _ in range(12):
            hanging.answer("/h", "hang")
        # Two host names of one hanging receiver: 2 x per_host (2) = 4 slots, the node's whole
        # concurrency, without the per-client limit.
        for name in ("127.0.0.1", "localhost") * 3:
            port = hanging.port
            st, _, doc = self.api.json("POST", "/platform/webhooks/test",
                                       {"url": "http://%s:%d/h" % (name, port)})
            self.assertEqual(st, 202, doc)
        hanging.wait("/h", 2)
        other = Api(self, self.srv, self.keys["other"])
        started = time.time()
        st, _, doc = other.json("POST", "/platform/webhooks/test", {"url": self.url("/other")})
        self.assertEqual(st, 202, doc)
        self.rx.wait("/other", 1, timeout=10)
        self.assertLess(time.time() - started, 1.2)
        self.assertLessEqual(len(hanging.requests("/h")), 3)  # ddh holds at most 2 x per_client - 1


class HostLimits(ReceiverTestCase):
    """A host earns attempts in flight, from webhooks.per_host (2) up to webhooks.per_host_max
    (6), by answering promptly while its deliveries wait; one that hangs earns none."""

    server_args = (*FAST, "--set", "webhooks.per_host_max=6", "--set", "webhooks.concurrency=8")

    def ping(self, url, n):
        ids = []
        for _ in range(n):
            st, _, doc = self.api.json("POST", "/platform/webhooks/test", {"url": url})
            self.assertEqual(st, 202, doc)
            ids.append(doc["delivery_id"])
        return ids

    def test_a_prompt_receiver_earns_slots_up_to_per_host_max(self):
        # 50 ms an answer: two slots take 40 a second, and 120 pings come faster than that.
        prompt = Receiver(delay=0.05)
        self.addCleanup(prompt.close)
        ids = self.ping(self.url("/prompt", prompt), 120)
        prompt.wait("/prompt", 120, timeout=30)
        self.assertGreater(prompt.peak, 2)
        self.assertLessEqual(prompt.peak, 6)
        self.assertEqual(self.wait_ended(ids[-1])["status"], "delivered")

    def test_slots_earned_by_all_hosts_stay_within_the_node_concurrency(self):
        # One receiver under two host names: each may earn up to 6, the node attempts at most 8.
        prompt = Receiver(delay=0.05)
        self.addCleanup(prompt.close)
        ids = []
        for _ in range(100):
            for name in ("127.0.0.1", "localhost"):
                ids += self.ping("http://%s:%d/both" % (name, prompt.port), 1)
        prompt.wait("/both", 200, timeout=30)
        self.assertGreater(prompt.peak, 4)
        self.assertLessEqual(prompt.peak, 8)
        self.assertEqual(self.wait_ended(ids[-1])["status"], "delivered")

    def test_a_hanging_receiver_earns_no_slot(self):
        # Each attempt ends by the 1.5 s timeout and is retried 0-300 ms later: with its limit
        # held at per_host (2), no 1.4 s holds more than two requests, round after round.
        hanging = Receiver()
        self.addCleanup(hanging.close)
        for _ in range(40):
            hanging.answer("/hang", "hang")
        self.ping(self.url("/hang", hanging), 12)
        hanging.wait("/hang", 6, timeout=15)  # three rounds
        times = sorted(r["time"] for r in hanging.requests("/hang"))
        for i, t in enumerate(times):
            within = [u for u in times[i:] if u - t < 1.4]
            self.assertLessEqual(len(within), 2, times)


class CrashRecovery(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_kill_9_with_deliveries_pending_loses_none(self):
        with ScratchDatabase() as db:
            keys = webhook_clients(db.url)
            port = free_port()
            srv = Server(db.url, *PATIENT)
            self.addCleanup(srv.close)
            srv.wait_status("/readyz", 200)
            put_sources(srv)
            api = Api(self, srv, keys["internal"])
            rids = []
            for i in range(12):
                st, _, doc = api.json("POST", "/platform/submit",
                                      body(dataset_id="crash", version_id="v%d" % i,
                                           request_type="vector", source_path="pt.csv",
                                           callback_url="http://127.0.0.1:%d/k" % port))
                self.assertEqual(st, 202, doc)
                rids.append(doc["request_id"])
            for rid in rids:
                api.wait(rid)
            # Every delivery exists and is being retried (the receiver is down).
            ids = psql(db.url, "SELECT string_agg(delivery_id, ' ' ORDER BY delivery_id) "
                               "FROM platform.webhook_deliveries").split()
            self.assertEqual(len(ids), 12)
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait()
            rx = Receiver(port)
            self.addCleanup(rx.close)
            again = Server(db.url, *PATIENT, env={
                "GEOPLATFORM_STORAGE_BRONZE_ROOT": os.path.join(srv.storage, "bronze"),
                "GEOPLATFORM_STORAGE_SILVER_ROOT": os.path.join(srv.storage, "silver")})
            self.addCleanup(again.close)
            rx.wait("/k", 12, timeout=30)
            deadline = time.time() + 15
            while time.time() < deadline:
                left = psql(db.url, "SELECT count(*) FROM platform.webhook_delivery_state "
                                    "WHERE status <> 'delivered'")
                if left == "0":
                    break
                time.sleep(0.2)
            self.assertEqual(left, "0")
            received = [g["headers"]["webhook-id"] for g in rx.requests("/k")]
            # All delivered; a repeat only ever under the same webhook-id.
            self.assertEqual(sorted(set(received)), sorted(ids))
            for g in rx.requests("/k"):
                verify(self, g, [keys["secret"]])
            self.assertEqual(again.stop(), 0)


if __name__ == "__main__":
    unittest.main()
