"""GET /platform/health (counts, average, webhook success, the caller's integration) and GET
/health's components (database, actors, queue, webhooks, storage) and its thresholds: a
crossed threshold makes the node degraded (200, with the reason), and so does a storage root on
a file system that stops answering (a real FUSE mount whose statfs hangs). Unhealthy with 503
while the database is down is shown by test_readyz_cluster.py (it stops a cluster of its own)."""
import os
import subprocess
import tempfile
import time
import unittest

from gp_e2e import ServedTestCase, problem
from gp_platform import Api, body, setup_clients
from test_webhooks import FAST, ReceiverTestCase


class Healthy(ServedTestCase):
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def test_every_component_reports(self):
        st, _, doc = Api(self, self.srv, self.keys["trusted"]).json("GET", "/health")
        self.assertEqual(st, 200, doc)
        self.assertEqual((doc["status"], doc["reasons"]), ("healthy", []), doc)
        c = doc["components"]
        self.assertEqual(set(c), {"database", "actors", "queue", "webhooks", "storage"})
        self.assertIn("webhook_dispatcher", c["actors"]["members"])
        self.assertEqual(c["queue"]["status"], "ok")
        for member in ("tasks_waiting", "tasks_running", "oldest_task_wait_s", "max_depth"):
            self.assertIsInstance(c["queue"][member], int, c["queue"])
        self.assertEqual((c["webhooks"]["status"], c["webhooks"]["waiting"]), ("ok", 0))
        roots = c["storage"]["roots"]
        self.assertEqual(set(roots), {"bronze", "silver"})
        self.assertGreater(roots["bronze"]["free_mib"], 0)
        self.assertGreaterEqual(roots["bronze"]["total_mib"], roots["bronze"]["free_mib"])


class Degraded(ServedTestCase):
    """Thresholds no node can meet: storage wants more free space than any disk has, and the queue
    and the outbox may hold nothing while the task workers are paused."""

    server_args = ("--set", "health.min_free_mib=2000000000", "--set", "health.max_queue_depth=0",
                   "--set", "health.max_webhook_backlog=0", "--set", "workers.task_workers=0",
                   "--set", "webhooks.enabled=false")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def test_a_crossed_threshold_degrades_with_its_reason(self):
        api = Api(self, self.srv, self.keys["admin"])
        st, _, doc = api.json("GET", "/health")
        self.assertEqual((st, doc["status"]), (200, "degraded"), doc)
        self.assertEqual(doc["components"]["storage"]["status"], "degraded")
        self.assertEqual(doc["components"]["storage"]["roots"]["silver"]["status"], "degraded")
        self.assertTrue(any("storage bronze root has" in r for r in doc["reasons"]), doc)
        self.assertEqual(doc["components"]["queue"]["status"], "ok")
        # A job whose tasks nobody takes, and a delivery nobody sends.
        st, _, job = api.json("POST", "/jobs/submit/hello_world", {"n": 2})
        self.assertIn(st, (200, 202), job)
        st, _, ping = Api(self, self.srv, self.keys["internal"]).json(
            "POST", "/platform/webhooks/test", {"url": "https://hooks.example.org/x"})
        self.assertEqual(st, 202, ping)
        st, _, doc = api.json("GET", "/health")
        self.assertEqual((st, doc["status"]), (200, "degraded"), doc)
        q, w = doc["components"]["queue"], doc["components"]["webhooks"]
        self.assertEqual((q["status"], w["status"], w["waiting"]), ("degraded", "degraded", 1), doc)
        self.assertGreaterEqual(q["tasks_waiting"], 1)
        self.assertTrue(any("tasks wait in the queue" in r for r in doc["reasons"]), doc)
        self.assertTrue(any("webhook deliveries wait" in r for r in doc["reasons"]), doc)


class PlatformHealth(ReceiverTestCase):
    server_args = FAST

    def health(self, key=None):
        st, _, doc = self.api.json("GET", "/platform/health", key=key)
        self.assertEqual(st, 200, doc)
        return doc

    def test_counts_average_webhooks_and_the_callers_integration(self):
        doc = self.health()
        self.assertEqual((doc["component"], doc["status"]), ("platform_service", "healthy"), doc)
        self.assertEqual(set(doc["metrics"]), {"pending_requests", "processing_requests",
                                               "average_processing_seconds",
                                               "webhook_success_rate"})
        ddh = doc["ddh_integration"]
        self.assertEqual((ddh["api_key_configured"], ddh["callback_url_configured"]), (True, True))
        # A request that completes, with a callback to the receiver.
        st, _, sub = self.api.json("POST", "/platform/submit", body(
            dataset_id="health", request_type="vector", source_path="pt.csv",
            callback_url=self.url("/health-hook")))
        self.assertEqual(st, 202, sub)
        self.assertEqual(self.api.wait(sub["request_id"])["status"], "completed")
        deadline = time.time() + 15
        while time.time() < deadline:
            doc = self.health()
            if doc["ddh_integration"]["last_successful_webhook"]:
                break
            time.sleep(0.1)
        self.assertRegex(doc["ddh_integration"]["last_successful_webhook"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        m = doc["metrics"]
        self.assertEqual(m["webhook_success_rate"], 1.0, doc)
        self.assertEqual((m["pending_requests"], m["processing_requests"]), (0, 0), doc)
        self.assertIsInstance(m["average_processing_seconds"], (int, float))
        # Another client: no callback hosts, no delivery yet.
        other = self.health(self.keys["other"])["ddh_integration"]
        self.assertIsNone(other["last_successful_webhook"])

    def test_it_needs_a_key(self):
        problem(self, self.srv.call("GET", "/platform/health"), 401, "unauthorized")


class PlatformHealthCounts(ServedTestCase):
    """Task workers paused: submitted requests stay pending, and are counted."""

    server_args = ("--set", "workers.task_workers=0")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def test_pending_requests_are_counted(self):
        api = Api(self, self.srv, self.keys["internal"])
        folder = self.srv.storage + "/bronze/ddh"
        import os
        import shutil
        os.makedirs(folder, exist_ok=True)
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                 "pt.csv"), folder)
        for v in ("v1", "v2", "v3"):
            st, _, sub = api.json("POST", "/platform/submit", body(
                dataset_id="counted", version_id=v, request_type="vector", source_path="pt.csv"))
            self.assertEqual(st, 202, sub)
        st, _, doc = api.json("GET", "/platform/health")
        self.assertEqual(st, 200, doc)
        m = doc["metrics"]
        self.assertEqual(m["pending_requests"] + m["processing_requests"], 3, doc)
        self.assertIsNone(m["average_processing_seconds"])
        self.assertEqual(doc["ddh_integration"]["callback_url_configured"], True)  # hooks.example.org


class HangingStorage(ServedTestCase):
    """The silver root on a file system whose statfs never answers, as a network mount does once
    its server is gone (tests/e2e/gp_hanging_fs.py, mounted through the kernel's FUSE): /health
    and /metrics still answer at once; the root is `unresponsive`, with how long it waited."""

    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        if not os.path.exists("/dev/fuse"):
            raise unittest.SkipTest("this machine has no /dev/fuse to mount the file system on")
        cls.mount = tempfile.mkdtemp(prefix="gp_hanging_fs_")
        cls.fs = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "gp_hanging_fs.py"), cls.mount],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        cls.addClassCleanup(cls.unmount)
        deadline = time.time() + 10
        while not os.path.ismount(cls.mount):
            if cls.fs.poll() is not None:
                why = cls.fs.communicate(timeout=5)[0]
                # A container may offer /dev/fuse and still forbid mounting, or lack the module.
                if any(w in why for w in ("ermission denied", "not permitted", "device not found",
                                          "No such device")):
                    raise unittest.SkipTest("this machine does not allow a FUSE mount: " + why)
                raise AssertionError("the FUSE file system did not mount: " + why)
            if time.time() > deadline:
                raise AssertionError("the FUSE file system was not mounted after 10 s")
            time.sleep(0.05)
        cls.server_args = ("--set", "storage.silver_root=" + os.path.join(cls.mount, "root"))
        super().setUpClass()

    @classmethod
    def unmount(cls):
        # Its daemon killed, the kernel ends the mount's requests: the statfs the node's storage
        # thread waits in fails, and the node can stop (a thread in a file system call holds the
        # process's exit until the call ends).
        if cls.fs is None:
            return
        cls.fs.kill()
        cls.fs.wait()
        cls.fs = None
        # A mount whose daemon is gone answers nothing, not even whether it is a mount point.
        with open("/proc/mounts") as mounts:
            if (" %s " % cls.mount) in mounts.read():
                subprocess.run(["umount", "-l", cls.mount], check=True)
        os.rmdir(cls.mount)

    @classmethod
    def tearDownClass(cls):
        cls.unmount()
        super().tearDownClass()

    def test_a_root_that_does_not_answer_is_unresponsive_and_health_still_answers(self):
        api = Api(self, self.srv, self.keys["admin"])
        deadline = time.time() + 20
        while True:
            started = time.time()
            st, _, doc = api.json("GET", "/health")
            self.assertLess(time.time() - started, 2, "GET /health waited for the file system")
            self.assertEqual((st, doc["status"]), (200, "degraded"), doc)
            silver = doc["components"]["storage"]["roots"]["silver"]
            self.assertEqual(silver["status"], "unresponsive", doc)
            self.assertEqual(silver["path"], os.path.join(self.mount, "root"))
            if silver["waiting_s"] >= 5 or time.time() > deadline:
                break
            time.sleep(0.5)
        self.assertGreaterEqual(silver["waiting_s"], 5, doc)
        self.assertEqual(doc["components"]["storage"]["status"], "degraded")
        self.assertEqual(doc["components"]["storage"]["roots"]["bronze"]["status"], "ok", doc)
        self.assertIn("storage silver root has not answered for %d s" % silver["waiting_s"],
                      doc["reasons"])
        # /metrics leaves the root out rather than wait for it.
        started = time.time()
        st, _, out = api("GET", "/metrics")
        self.assertLess(time.time() - started, 2, "GET /metrics waited for the file system")
        self.assertEqual(st, 200)
        text = out.decode()
        self.assertIn('geoplatform_storage_free_bytes{root="bronze"}', text)
        self.assertNotIn('root="silver"', text)


if __name__ == "__main__":
    unittest.main()
