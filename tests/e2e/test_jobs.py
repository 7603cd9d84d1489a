"""CoreMachine through the built binary: /jobs routes, retries, leases, maximum durations, cancel,
and a kill -9 in the middle of running tasks."""
import json
import signal
import time
import unittest

from gp_e2e import ScratchDatabase, ServedTestCase, Server, problem, psql, require_environment, run

ENGINE = ["--set", "workers.lease_ms=1000", "--set", "workers.retry_base_ms=100",
          "--set", "workers.idle_poll_max_ms=100"]


def admin_key(db_url):
    assert run("migrate", "--database-url", db_url).returncode == 0
    run("clients", "create", "ddh", "--if-not-exists", "--database-url", db_url)
    r = run("keys", "create", "--client", "ddh", "--level", "admin", "--database-url", db_url)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


class Jobs(ServedTestCase):
    server_args = (*ENGINE, "--set", "workers.task_duration_limits=sleep=1")

    @classmethod
    def prepare(cls, db_url):
        return admin_key(db_url)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.keys

    def api(self, method, path, body=None):
        headers = {"X-Platform-API-Key": self.key}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        st, hdrs, raw = self.srv.call(method, path, body=data, headers=headers)
        return st, hdrs, json.loads(raw) if raw else None

    def submit(self, job_type, params, expect=202):
        st, hdrs, doc = self.api("POST", "/jobs/submit/" + job_type, params)
        self.assertEqual(st, expect, doc)
        self.assertRegex(doc["job_id"], r"^[0-9a-f]{64}$")
        self.assertEqual(doc["status_url"], "http://127.0.0.1:%d/jobs/%s" % (self.srv.port,
                                                                             doc["job_id"]))
        self.assertEqual(hdrs["location"], doc["status_url"])
        self.assertIn(doc["status"], ("queued", "processing", "completed", "failed", "cancelled"),
                      doc)
        return doc["job_id"]

    def wait_job(self, job_id, statuses=("completed", "failed", "cancelled"), timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, doc = self.api("GET", "/jobs/" + job_id)
            self.assertEqual(st, 200, doc)
            if doc["status"] in statuses:
                return doc
            time.sleep(0.05)
        self.fail("job %s did not reach %s: %s" % (job_id, statuses, doc))

    def test_hello_world_fans_out_and_in(self):
        job = self.submit("hello_world", {"n": 4, "tag": "fan"})
        doc = self.wait_job(job)
        self.assertEqual(doc["status"], "completed")
        self.assertEqual(doc["result"]["count"], 4)
        self.assertEqual(sorted(doc["result"]["greetings"]),
                         ["hello from task %d" % i for i in range(4)])
        self.assertEqual(doc["tasks"]["completed"], 5)
        self.assertEqual((doc["stage"], doc["total_stages"]), (2, 2))

    def test_empty_body_object_is_valid_and_submissions_are_idempotent(self):
        first = self.submit("hello_world", {})
        self.wait_job(first)
        again = self.submit("hello_world", {}, expect=200)
        self.assertEqual(first, again)
        # Defaults are part of the identity: {} and {"n": 3} are the same job.
        self.assertEqual(self.submit("hello_world", {"n": 3}, expect=200), first)
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.jobs WHERE job_id = '%s'"
                              % first), "1")

    def test_zero_task_stage_advances(self):
        doc = self.wait_job(self.submit("hello_world", {"n": 0}))
        self.assertEqual(doc["status"], "completed")
        self.assertEqual(doc["result"], {"count": 0, "greetings": []})

    def test_retry_then_success(self):
        doc = self.wait_job(self.submit("fail", {"succeed_on_attempt": 3}))
        self.assertEqual(doc["status"], "completed")
        self.assertEqual(doc["result"], {"succeeded_on_attempt": 3})

    def test_retries_exhausted_fail_the_job_with_the_handlers_message(self):
        job = self.submit("fail", {"mode": "transient", "tag": "exhaust"})
        doc = self.wait_job(job)
        self.assertEqual(doc["status"], "failed")
        self.assertEqual(doc["error"]["code"], "flaky")
        self.assertEqual(doc["error"]["message"], "failing as asked on attempt 3")
        self.assertEqual(psql(self.db.url, "SELECT attempts FROM app.tasks WHERE job_id = '%s'"
                              % job), "3")

    def test_permanent_error_is_not_retried(self):
        job = self.submit("fail", {"mode": "permanent"})
        doc = self.wait_job(job)
        self.assertEqual(doc["status"], "failed")
        self.assertEqual(doc["error"]["code"], "bad_input")
        self.assertEqual(psql(self.db.url, "SELECT attempts FROM app.tasks WHERE job_id = '%s'"
                              % job), "1")

    def test_a_task_past_its_maximum_duration_is_stopped(self):
        started = time.time()
        doc = self.wait_job(self.submit("sleep", {"ms": 30000, "tag": "too-long"}))
        self.assertLess(time.time() - started, 10)
        self.assertEqual(doc["status"], "failed")
        self.assertEqual(doc["error"]["code"], "timeout")
        self.assertIn("maximum duration", doc["error"]["message"])
        # Stopped and retried like any transient failure, until its attempts ran out.
        self.assertEqual(psql(self.db.url, "SELECT attempts FROM app.tasks WHERE job_id = '%s'"
                              % doc["job_id"]), "3")

    def test_cancel_stops_a_running_job(self):
        job = self.submit("noop", {"tasks": 0, "tag": "x"})
        self.wait_job(job)
        st, _, doc = self.api("DELETE", "/jobs/" + job)
        problem(self, (st, {"content-type": "application/problem+json"}, json.dumps(doc)), 409,
                "conflict")
        sleeper = self.submit("sleep", {"ms": 900, "tag": "cancel-me"})
        st, _, doc = self.api("DELETE", "/jobs/" + sleeper)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["status"], "cancelled")
        self.assertEqual(self.api("GET", "/jobs/" + sleeper)[2]["status"], "cancelled")
        st, _, _ = self.api("DELETE", "/jobs/" + "0" * 64)
        self.assertEqual(st, 404)

    def test_listing_filters_and_pages(self):
        for i in range(3):
            self.wait_job(self.submit("noop", {"tasks": 1, "tag": "list-%d" % i}))
        st, _, page = self.api("GET", "/jobs?status=completed&limit=2")
        self.assertEqual(st, 200)
        self.assertEqual(len(page["jobs"]), 2)
        self.assertIsNotNone(page["next_cursor"])
        st, _, rest = self.api("GET", "/jobs?status=completed&limit=500&cursor=" +
                               page["next_cursor"])
        ids = [j["job_id"] for j in page["jobs"]] + [j["job_id"] for j in rest["jobs"]]
        self.assertEqual(len(ids), len(set(ids)))

    def test_bad_input_names_the_field(self):
        headers = {"X-Platform-API-Key": self.key, "Content-Type": "application/json"}
        cases = [("/jobs/submit/nope", {}, "job_type"),
                 ("/jobs/submit/hello_world", {"n": "three"}, "n"),
                 ("/jobs/submit/hello_world", {"n": 5000}, "n"),
                 ("/jobs/submit/hello_world", {"colour": 1}, "colour"),
                 ("/jobs/submit/fail", {"mode": "sometimes"}, "mode")]
        for path, body, field in cases:
            doc = problem(self, self.srv.call("POST", path, json.dumps(body).encode(), headers),
                          400, "validation_error")
            self.assertIn(field, [e["field"] for e in doc["errors"]], (path, body))
        doc = problem(self, self.srv.call("GET", "/jobs?status=done&limit=0", None, headers), 400,
                      "validation_error")
        self.assertEqual(sorted(e["field"] for e in doc["errors"]), ["limit", "status"])
        problem(self, self.srv.call("GET", "/jobs/nope", None, headers), 404, "not_found")

    def test_jobs_need_an_admin_key(self):
        internal = run("keys", "create", "--client", "ddh", "--level", "internal",
                       "--database-url", self.db.url).stdout.strip()
        problem(self, self.srv.call("GET", "/jobs", None, {"X-Platform-API-Key": internal}), 403,
                "forbidden")
        problem(self, self.srv.call("GET", "/jobs"), 401, "unauthorized")


class Leases(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_a_worker_blocked_longer_than_its_lease_keeps_it(self):
        with ScratchDatabase() as db:
            key = admin_key(db.url)
            srv = Server(db.url, *ENGINE)
            try:
                srv.wait_status("/readyz", 200)
                headers = {"X-Platform-API-Key": key, "Content-Type": "application/json"}
                st, _, raw = srv.call("POST", "/jobs/submit/sleep", b'{"ms": 3500}', headers)
                self.assertEqual(st, 202, raw)
                job = json.loads(raw)["job_id"]
                deadline = time.time() + 20
                while psql(db.url, "SELECT status FROM app.jobs WHERE job_id = '%s'" % job) \
                        != "completed":
                    self.assertLess(time.time(), deadline)
                    time.sleep(0.1)
                # 3.5 s of work under a 1 s lease: renewed, never claimed a second time.
                self.assertEqual(psql(db.url, "SELECT attempts FROM app.tasks WHERE job_id = '%s'"
                                      % job), "1")
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()


class CrashRecovery(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_kill_9_while_tasks_run_then_every_job_finishes(self):
        with ScratchDatabase() as db:
            key = admin_key(db.url)
            headers = {"X-Platform-API-Key": key, "Content-Type": "application/json"}
            srv = Server(db.url, *ENGINE, "--set", "workers.task_workers=2")
            jobs = []
            try:
                srv.wait_status("/readyz", 200)
                for i in range(4):
                    st, _, raw = srv.call("POST", "/jobs/submit/sleep",
                                          json.dumps({"ms": 1500, "tag": str(i)}).encode(),
                                          headers)
                    self.assertEqual(st, 202, raw)
                    jobs.append(json.loads(raw)["job_id"])
                for i in range(3):
                    st, _, raw = srv.call("POST", "/jobs/submit/hello_world",
                                          json.dumps({"n": 5, "tag": str(i)}).encode(), headers)
                    jobs.append(json.loads(raw)["job_id"])
                deadline = time.time() + 10
                while psql(db.url, "SELECT count(*) FROM app.tasks WHERE status = 'processing' "
                                   "AND task_type = 'sleep'") == "0":
                    self.assertLess(time.time(), deadline, "no task started")
                    time.sleep(0.05)
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait(10)
            finally:
                srv.close()
            before = dict(line.split("|") for line in psql(
                db.url, "SELECT task_id, completed_at FROM app.tasks "
                        "WHERE status = 'completed'").splitlines() if line)
            running = psql(db.url, "SELECT count(*) FROM app.tasks WHERE status = 'processing'")
            self.assertNotEqual(running, "0", "the kill should interrupt running tasks")
            srv = Server(db.url, *ENGINE, "--set", "workers.task_workers=2")
            try:
                deadline = time.time() + 30
                while psql(db.url, "SELECT count(*) FROM app.jobs WHERE status <> 'completed'") \
                        != "0":
                    self.assertLess(time.time(), deadline, psql(
                        db.url, "SELECT job_type, status, error FROM app.jobs WHERE status <> "
                                "'completed'"))
                    time.sleep(0.1)
                after = dict(line.split("|") for line in psql(
                    db.url, "SELECT task_id, completed_at FROM app.tasks "
                            "WHERE status = 'completed'").splitlines() if line)
                for task_id, completed_at in before.items():
                    self.assertEqual(after[task_id], completed_at,
                                     "task %s ran again after it had completed" % task_id)
                self.assertEqual(psql(db.url, "SELECT count(*) FROM app.jobs"), str(len(jobs)))
                self.assertEqual(srv.stop(), 0)
            finally:
                srv.close()


if __name__ == "__main__":
    unittest.main()
