"""GET /health's components (database, actors, queue, webhooks, storage) and its thresholds: a
crossed threshold makes the node degraded (200, with the reason). Unhealthy with 503 while the
database is down is shown by test_readyz_cluster.py (it stops a cluster of its own)."""
import json
import unittest

from gp_e2e import ServedTestCase, psql
from test_platform import Api, setup_clients


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


if __name__ == "__main__":
    unittest.main()
