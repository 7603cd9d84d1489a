"""Platform requests over slow test pipelines (requests.pipelines): every state, progress that
never goes back, cancel, and kill -9 with 100 requests in flight."""
import json
import os
import shutil
import signal
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from gp_e2e import ScratchDatabase, ServedTestCase, Server, problem, psql, require_environment
from gp_platform import Api, body, put_sources, setup_clients

ENGINE = ["--set", "workers.lease_ms=1000", "--set", "workers.retry_base_ms=100",
          "--set", "workers.idle_poll_max_ms=50"]

# vector: a 1.5 s step, then 40 short tasks (progress inside a stage);
# raster: a step that fails for good; collection: a long step to cancel.
PIPELINES = json.dumps({
    "vector": [{"step": "ingest_vector", "job": "sleep", "params": {"ms": 1500}},
               {"step": "stac_catalog_vectors", "job": "noop", "params": {"tasks": 40}}],
    "raster": [{"step": "validate_raster", "job": "fail", "params": {"mode": "permanent"}}],
    "collection": [{"step": "process_raster_collection", "job": "sleep",
                    "params": {"ms": 60000}}],
})


class Lifecycle(ServedTestCase):
    server_args = (*ENGINE, "--set", "requests.pipelines=" + PIPELINES)
    prepare = classmethod(lambda cls, url: setup_clients(url))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        put_sources(cls.srv)

    def setUp(self):
        super().setUp()
        self.api = Api(self, self.srv, self.keys["internal"])

    def test_every_state_and_progress_never_goes_back(self):
        st, hdrs, doc = self.api.json("POST", "/platform/submit",
                                      body(dataset_id="states", request_type="vector",
                                           source_path="pt.csv"))
        self.assertEqual(st, 202, doc)
        rid = doc["request_id"]
        seen, progress = [], []
        deadline = time.time() + 30
        while time.time() < deadline:
            st, hdrs, doc = self.api.json("GET", "/platform/status/" + rid)
            self.assertEqual(st, 200, doc)
            if not seen or seen[-1] != doc["status"]:
                seen.append(doc["status"])
            progress.append(doc["progress_percent"])
            if doc["status"] in ("completed", "failed", "cancelled"):
                self.assertNotIn("retry-after", hdrs)
                break
            self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
            time.sleep(0.02)
        self.assertEqual(seen[-1], "completed", (seen, doc))
        self.assertIn("processing", seen)
        self.assertEqual(progress, sorted(progress), "progress went back: %s" % progress)
        self.assertEqual(progress[-1], 100)
        # Something between the ends was reported while the request ran.
        self.assertTrue(any(0 < p < 100 for p in progress), progress)
        self.assertEqual([j["status"] for j in doc["jobs"]], ["completed", "completed"])
        self.assertEqual([j["job_type"] for j in doc["jobs"]], ["sleep", "noop"])
        # The stored progress never went back either.
        self.assertEqual(psql(self.db.url, "SELECT progress_percent FROM platform.requests "
                                           "WHERE request_id = '%s'" % rid), "100")

    def test_a_failing_step_fails_the_request_with_its_code(self):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="fails", source_path="grain.tif"))
        self.assertEqual(st, 202, doc)
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "failed")
        self.assertEqual(done["error"]["code"], "bad_input")
        self.assertIn("failing as asked", done["error"]["message"])
        self.assertIsNone(done["endpoints"])
        self.assertIsNotNone(done["completed_at"])

    def test_cancel_a_running_request(self):
        st, _, doc = self.api.json("POST", "/platform/submit",
                                   body(dataset_id="cancel", request_type="collection",
                                        source_path="tiles"))
        self.assertEqual(st, 202, doc)
        rid = doc["request_id"]
        self.api.wait(rid, statuses=("processing",))
        deadline = time.time() + 10
        while psql(self.db.url, "SELECT count(*) FROM app.tasks t JOIN app.jobs j USING (job_id) "
                                "WHERE j.platform_request_id = '%s' AND t.status = 'processing'"
                   % rid) == "0":
            self.assertLess(time.time(), deadline, "the step never started")
            time.sleep(0.05)
        # Only a failed request is retried.
        doc = problem(self, self.api("POST", "/platform/requests/%s/retry" % rid), 409,
                      "conflict")
        self.assertIn("processing", doc["detail"])
        st, _, doc = self.api.json("DELETE", "/platform/requests/" + rid)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "cancelled")
        self.assertIsNotNone(doc["completed_at"])
        self.assertEqual(self.api.json("GET", "/platform/status/" + rid)[2]["status"],
                         "cancelled")
        # The running task is asked to stop; the job is cancelled, not left running.
        self.assertEqual(psql(self.db.url, "SELECT string_agg(status, ',') FROM app.jobs WHERE "
                                           "platform_request_id = '%s'" % rid), "cancelled")
        deadline = time.time() + 10
        while psql(self.db.url, "SELECT count(*) FROM app.tasks t JOIN app.jobs j USING (job_id) "
                                "WHERE j.platform_request_id = '%s' AND t.status = 'processing'"
                   % rid) != "0":
            self.assertLess(time.time(), deadline, "the running task was not stopped")
            time.sleep(0.1)
        # Terminal: a second cancel and a retry are conflicts; a repeat submit says cancelled.
        problem(self, self.api("DELETE", "/platform/requests/" + rid), 409, "conflict")
        problem(self, self.api("POST", "/platform/requests/%s/retry" % rid), 409, "conflict")
        st, _, again = self.api.json("POST", "/platform/submit",
                                     body(dataset_id="cancel", request_type="collection",
                                          source_path="tiles"))
        self.assertEqual((st, again["status"]), (200, "cancelled"))


class AcceptOnlyNode(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_pending_until_a_node_with_workers_runs_it(self):
        with ScratchDatabase() as db:
            keys = setup_clients(db.url)
            # One raster request that took 100 s: the node estimates the next from it.
            psql(db.url, "INSERT INTO platform.requests (request_id, client_id, dataset_id, "
                         "resource_id, version_id, request_type, source_path, status, "
                         "progress_percent, created_at, completed_at) VALUES "
                         "(platform.request_id_for('ddh', 'past', 'r', 'v1'), 'ddh', 'past', "
                         "'r', 'v1', 'raster', 'grain.tif', 'completed', 100, "
                         "now() - interval '100 s', now())")
            srv = Server(db.url, *ENGINE, "--set", "workers.task_workers=0")
            try:
                srv.wait_status("/readyz", 200)
                put_sources(srv)
                api = Api(self, srv, keys["internal"])
                st, _, doc = api.json("POST", "/platform/submit",
                                      body(dataset_id="later", source_path="grain.tif"))
                self.assertEqual(st, 202, doc)
                rid = doc["request_id"]
                time.sleep(1)
                st, hdrs, doc = api.json("GET", "/platform/status/" + rid)
                self.assertEqual((st, doc["status"], doc["progress_percent"]), (200, "pending", 0))
                self.assertIsNone(doc["started_at"])
                self.assertEqual([j["status"] for j in doc["jobs"]], ["queued"])
                self.assertIn("retry-after", hdrs)
                # Estimated from the average of completed raster requests, in the status and the
                # listing alike.
                self.assertIsNotNone(doc["estimated_completion"])
                created = time.mktime(time.strptime(doc["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
                eta = time.mktime(time.strptime(doc["estimated_completion"],
                                                "%Y-%m-%dT%H:%M:%SZ"))
                self.assertEqual(eta - created, 100, doc)
                st, _, page = api.json("GET", "/platform/requests?dataset_id=later")
                self.assertEqual(page["requests"][0]["estimated_completion"],
                                 doc["estimated_completion"], page)
                # A pending request: a retry is a conflict, a cancel ends it at once.
                st, _, other = api.json("POST", "/platform/submit",
                                        body(dataset_id="dropped", source_path="grain.tif"))
                self.assertEqual(st, 202, other)
                doc = problem(self, api("POST", "/platform/requests/%s/retry"
                                        % other["request_id"]), 409, "conflict")
                self.assertIn("pending", doc["detail"])
                st, _, doc = api.json("DELETE", "/platform/requests/" + other["request_id"])
                self.assertEqual((st, doc["status"], doc["progress_percent"]),
                                 (200, "cancelled", 0), doc)
                self.assertEqual(psql(db.url, "SELECT string_agg(status, ',') FROM app.jobs "
                                              "WHERE platform_request_id = '%s'"
                                      % other["request_id"]) or "none", "none")
                self.assertEqual(srv.stop(), 0)
                storage = srv.storage
            finally:
                srv.close()
            # A node with workers (the same database) resumes it and runs it to the end.
            srv = Server(db.url, *ENGINE, env={
                "GEOPLATFORM_STORAGE_BRONZE_ROOT": os.path.join(storage, "bronze")})
            try:
                done = Api(self, srv, keys["internal"]).wait(rid)
                self.assertEqual(done["status"], "completed", done)
                self.assertIsNotNone(done["started_at"])
                # The cancelled one stays cancelled: no job was ever made for it.
                self.assertEqual(psql(db.url, "SELECT status FROM platform.requests "
                                              "WHERE dataset_id = 'dropped'"), "cancelled")
                self.assertEqual(psql(db.url, "SELECT count(*) FROM app.jobs j JOIN "
                                              "platform.requests r ON r.request_id = "
                                              "j.platform_request_id WHERE r.dataset_id = "
                                              "'dropped'"), "0")
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()


class RepeatsAfterARestart(unittest.TestCase):
    """A repeat of a request this node's memory no longer holds (ended before a restart) is
    still answered from its row, even when its source is gone or its callback host no longer
    allowed."""

    def setUp(self):
        require_environment(self)

    def test_an_ended_request_is_repeated_from_its_row(self):
        with ScratchDatabase() as db:
            keys = setup_clients(db.url)
            args = [*ENGINE, "--set", "workers.task_workers=0"]
            srv = Server(db.url, *args)
            try:
                srv.wait_status("/readyz", 200)
                bronze = put_sources(srv)
                shutil.copy(os.path.join(bronze, "grain.tif"), os.path.join(bronze, "old.tif"))
                api = Api(self, srv, keys["internal"])
                b = body(dataset_id="old", source_path="old.tif",
                         callback_url="https://hooks.example.org/done")
                st, _, doc = api.json("POST", "/platform/submit", b)
                self.assertEqual(st, 202, doc)
                rid = doc["request_id"]
                st, _, doc = api.json("DELETE", "/platform/requests/" + rid)
                self.assertEqual((st, doc["status"]), (200, "cancelled"))
                self.assertEqual(srv.stop(), 0)
                storage = srv.storage
            finally:
                srv.close()
            os.remove(os.path.join(storage, "bronze", "ddh", "old.tif"))
            # The callback host is no longer allowed either.
            psql(db.url, "UPDATE platform.clients SET callback_hosts = '{}' "
                         "WHERE client_id = 'ddh'")
            srv = Server(db.url, *args, env={
                "GEOPLATFORM_STORAGE_BRONZE_ROOT": os.path.join(storage, "bronze")})
            try:
                srv.wait_status("/readyz", 200)
                api = Api(self, srv, keys["internal"])
                st, _, doc = api.json("POST", "/platform/submit", b)
                self.assertEqual((st, doc["request_id"], doc["status"]), (200, rid, "cancelled"),
                                 doc)
                st, _, doc = api.json("POST", "/platform/submit",
                                      dict(b, processing_config={"compression": "zstd"}))
                self.assertEqual((st, doc["code"], doc["existing_request_id"]),
                                 (409, "conflict", rid), doc)
                st, _, doc = api.json("POST", "/platform/submit", dict(b, version_id="v2"))
                self.assertEqual((st, doc["code"]), (400, "source_not_found"), doc)
                self.assertEqual(psql(db.url, "SELECT count(*) FROM platform.requests"), "1")
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()


class CrashRecovery(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_kill_9_with_100_requests_in_flight(self):
        pipelines = json.dumps({
            "vector": [{"step": "ingest_vector", "job": "sleep", "params": {"ms": 1000}},
                       {"step": "stac_catalog_vectors", "job": "hello_world",
                        "params": {"n": 2}}]})
        args = [*ENGINE, "--set", "workers.task_workers=8", "--set",
                "requests.pipelines=" + pipelines]
        with ScratchDatabase() as db:
            keys = setup_clients(db.url)
            srv = Server(db.url, *args)
            ids = []
            try:
                srv.wait_status("/readyz", 200)
                put_sources(srv)
                api = Api(self, srv, keys["internal"])

                def submit(i):
                    return api.json("POST", "/platform/submit",
                                    body(dataset_id="crash", version_id="v%d" % i,
                                         request_type="vector", source_path="pt.csv"))
                # Submitted at once (a first step takes 1 s, so hardly any ends meanwhile)...
                with ThreadPoolExecutor(16) as pool:
                    for st, _, doc in pool.map(submit, range(100)):
                        self.assertEqual(st, 202, doc)
                        ids.append(doc["request_id"])
                # ... and killed as the first requests move on to their second job.
                deadline = time.time() + 20
                while psql(db.url, "SELECT count(*) FROM app.jobs "
                                   "WHERE job_type = 'hello_world'") == "0":
                    self.assertLess(time.time(), deadline, "no request reached its second step")
                    time.sleep(0.02)
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait(10)
                storage = srv.storage
            finally:
                srv.close()
            # Nearly all of the 100 in flight at the kill, with jobs running.
            live = int(psql(db.url, "SELECT count(*) FROM platform.requests "
                                    "WHERE status IN ('pending', 'processing')"))
            self.assertGreaterEqual(live, 80, "the kill should leave requests in flight")
            self.assertNotEqual(psql(db.url, "SELECT count(*) FROM app.jobs "
                                             "WHERE status = 'processing'"), "0")
            srv = Server(db.url, *args, env={
                "GEOPLATFORM_STORAGE_BRONZE_ROOT": os.path.join(storage, "bronze")})
            try:
                deadline = time.time() + 60
                while psql(db.url, "SELECT count(*) FROM platform.requests "
                                   "WHERE status IN ('pending', 'processing')") != "0":
                    self.assertLess(time.time(), deadline, psql(
                        db.url, "SELECT status, count(*) FROM platform.requests GROUP BY 1"))
                    time.sleep(0.1)
                self.assertEqual(psql(db.url, "SELECT status || ':' || count(*) FROM "
                                              "platform.requests GROUP BY status"),
                                 "completed:100")
                # No request has a duplicate job: one per step, two steps each.
                self.assertEqual(psql(db.url, "SELECT count(*) FROM app.jobs"), "200")
                self.assertEqual(psql(db.url, "SELECT count(*) FROM (SELECT platform_request_id, "
                                              "job_type FROM app.jobs GROUP BY 1, 2 "
                                              "HAVING count(*) > 1) d"), "0")
                api = Api(self, srv, keys["internal"])
                for rid in ids[:5]:
                    st, _, doc = api.json("GET", "/platform/status/" + rid)
                    self.assertEqual((st, doc["status"], doc["progress_percent"]),
                                     (200, "completed", 100))
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()
