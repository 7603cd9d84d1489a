"""Platform requests through the built binary: idempotency (202, 200, 409, 200 concurrent
identical submits), status, listing, ownership, cancel and retry. The submit validation rules
are in test_submit_validation.py."""
import hashlib
import json
import os
import shutil
import threading

from gp_e2e import problem, psql
from gp_platform import SourcesCase, body, put_sources


class Requests(SourcesCase):
    """The request life cycle on the built-in pipeline (inspect_source, then noop)."""

    def submit(self, b, expect=202, key=None):
        st, hdrs, doc = self.api.json("POST", "/platform/submit", b, key=key)
        self.assertEqual(st, expect, doc)
        return hdrs, doc

    def test_submit_then_repeat_then_conflict(self):
        b = body(dataset_id="idem", client_request_id="ddh-1",
                 callback_url="https://hooks.example.org/done")
        hdrs, doc = self.submit(b)
        rid = doc["request_id"]
        self.assertRegex(rid, r"^[0-9a-f]{32}$")
        self.assertEqual(doc["status"], "accepted")
        url = "http://127.0.0.1:%d/platform/status/%s" % (self.srv.port, rid)
        self.assertEqual(doc["status_url"], url)
        self.assertEqual(hdrs["location"], url)
        self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
        self.assertIn("estimated_completion", doc)
        # The row is durable when the 202 arrives.
        self.assertEqual(psql(self.db.url, "SELECT client_id || ' ' || callback_url FROM "
                                           "platform.requests WHERE request_id = '%s'" % rid),
                         "ddh https://hooks.example.org/done")
        # Same identity and payload, other callback and reference: 200, the first ones stay.
        _, again = self.submit(dict(b, client_request_id="ddh-2",
                                    callback_url="https://x.ddh.example.org/"), expect=200)
        self.assertEqual(again["request_id"], rid)
        self.assertIn(again["status"], ("pending", "processing", "completed"))
        # Defaults are part of the comparison: deflate is the default compression.
        self.submit(dict(b, processing_config={"compression": "deflate"}), expect=200)
        # A different payload is a conflict that names the existing request.
        st, _, raw = self.api("POST", "/platform/submit",
                              dict(b, processing_config={"compression": "zstd"}))
        doc = problem(self, (st, {"content-type": "application/problem+json"}, raw), 409,
                      "conflict")
        self.assertEqual(doc["existing_request_id"], rid)
        done = self.api.wait(rid)
        self.assertEqual(done["status"], "completed")
        self.assertEqual(done["client_request_id"], "ddh-1")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests WHERE "
                                           "dataset_id = 'idem'"), "1")

    def test_a_repeat_needs_neither_its_source_nor_an_allowed_callback(self):
        shutil.copy(os.path.join(self.bronze, "grain.tif"), os.path.join(self.bronze, "gone.tif"))
        b = body(dataset_id="gone", source_path="gone.tif")
        _, doc = self.submit(b)
        os.remove(os.path.join(self.bronze, "gone.tif"))
        # Nothing is processed again, so the source is not looked at and the callback_url is not
        # compared (the first one stays): 200, or 409 for another payload.
        _, again = self.submit(dict(b, callback_url="https://evil.example.com/hook"), expect=200)
        self.assertEqual(again["request_id"], doc["request_id"])
        self.submit(b, expect=200)
        conflict = problem(self, self.api("POST", "/platform/submit",
                                          dict(b, processing_config={"compression": "lzw"})),
                           409, "conflict")
        self.assertEqual(conflict["existing_request_id"], doc["request_id"])
        # A new identity with that source is refused.
        problem(self, self.api("POST", "/platform/submit", dict(b, version_id="v2")), 400,
                "source_not_found")
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests "
                                           "WHERE dataset_id = 'gone'"), "1")

    def test_status_body_of_a_completed_request(self):
        _, doc = self.submit(body(dataset_id="status", request_type="vector",
                                  source_path="pt.csv"))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual(done["progress_percent"], 100)
        for field in ("request_id", "status", "progress_percent", "message", "dataset_id",
                      "resource_id", "version_id", "request_type", "client_request_id",
                      "created_at", "started_at", "completed_at", "jobs", "endpoints",
                      "stac_metadata", "error", "callback_status"):
            self.assertIn(field, done)
        self.assertRegex(done["completed_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIsNotNone(done["started_at"])
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["ingest_vector", "stac_catalog_vectors"])
        self.assertTrue(all(j["status"] == "completed" for j in done["jobs"]))
        self.assertIsNone(done["error"])
        # Endpoints name what the request serves, and every one of them answers.
        self.assertEqual(sorted(done["endpoints"]), ["download", "features", "stac_item"])
        base = "http://127.0.0.1:%d" % self.srv.port
        answers = {}
        for name, url in done["endpoints"].items():
            self.assertTrue(url.startswith(base + "/"), url)
            st, hdrs, data = answers[name] = self.api("GET", url[len(base):])
            self.assertEqual(st, 200, (name, data[:300]))
        self.assertEqual(answers["download"][1]["content-type"], "application/geopackage+sqlite3")
        _, hdrs, data = answers["features"]
        self.assertEqual(hdrs["content-type"], "application/geo+json")
        self.assertEqual(json.loads(data)["numberMatched"], 3)
        # The source was loaded: its facts and content hash are in the first job's result.
        result = json.loads(psql(self.db.url, "SELECT result FROM app.jobs WHERE job_id = '%s'"
                                 % done["jobs"][0]["job_id"]))
        with open(os.path.join(self.bronze, "pt.csv"), "rb") as f:
            self.assertEqual(result["facts"]["sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(result["facts"]["feature_count"], 3)
        # The same status after the node forgot it (read from the row) is identical.
        st, hdrs, again = self.api.json("GET", "/platform/status/" + doc["request_id"])
        self.assertEqual(again, done)
        self.assertNotIn("retry-after", hdrs)

    def test_collection_of_a_folder(self):
        _, doc = self.submit(body(dataset_id="coll", request_type="collection",
                                  source_path="tiles", processing_config={"pattern": "t*.tif"}))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "completed", done)
        self.assertEqual([j["job_type"] for j in done["jobs"]],
                         ["process_raster_collection", "create_mosaic_json",
                          "stac_catalog_collection"])
        # The first stage listed and hashed the two matching files.
        result = json.loads(psql(self.db.url, "SELECT result FROM app.tasks WHERE job_id = '%s' "
                                 "AND stage = 1" % done["jobs"][0]["job_id"]))
        self.assertEqual(result["count"], 2)
        self.assertEqual(done["endpoints"]["mosaic"], "http://127.0.0.1:%d/platform/data/%s/"
                         "mosaic.json" % (self.srv.port, doc["request_id"]))

    def test_an_empty_folder_fails_with_a_specific_code(self):
        os.makedirs(os.path.join(self.bronze, "empty"), exist_ok=True)
        _, doc = self.submit(body(dataset_id="empty", request_type="collection",
                                  source_path="empty"))
        done = self.api.wait(doc["request_id"])
        self.assertEqual(done["status"], "failed")
        self.assertEqual(done["error"]["code"], "no_matching_files")

    def test_failed_then_retried_after_the_cause_is_fixed(self):
        folder = os.path.join(self.bronze, "later")
        os.makedirs(folder, exist_ok=True)
        _, doc = self.submit(body(dataset_id="retry", request_type="collection",
                                  source_path="later"))
        rid = doc["request_id"]
        # Nothing matches *.tif yet: the first job fails with a code the client can act on.
        failed = self.api.wait(rid)
        self.assertEqual(failed["status"], "failed", failed)
        self.assertEqual(failed["error"]["code"], "no_matching_files")
        # About the source: unchanged, a retry fails again (this one changes the folder first).
        self.assertFalse(failed["error"]["retryable"])
        self.assertEqual(failed["jobs"][0]["status"], "failed")
        problem(self, self.api("DELETE", "/platform/requests/" + rid), 409, "conflict")
        shutil.copy(os.path.join(self.bronze, "grain.tif"), os.path.join(folder, "a.tif"))
        st, _, retried = self.api.json("POST", "/platform/requests/%s/retry" % rid)
        self.assertEqual(st, 202, retried)
        self.assertEqual(retried["status"], "processing")
        self.assertIsNone(retried["error"])
        done = self.api.wait(rid)
        self.assertEqual(done["status"], "completed", done)
        # The failed job was reset in place, not duplicated: one job per step.
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.jobs WHERE "
                                           "platform_request_id = '%s'" % rid), "3")
        self.assertEqual(done["jobs"][0]["job_id"], failed["jobs"][0]["job_id"])
        self.assertEqual(psql(self.db.url, "SELECT attempts FROM app.tasks t JOIN app.jobs j "
                                           "USING (job_id) WHERE j.job_id = '%s' AND t.stage = 1"
                              % failed["jobs"][0]["job_id"]), "1")
        problem(self, self.api("POST", "/platform/requests/%s/retry" % rid), 409, "conflict")

    def test_another_clients_request_is_404(self):
        _, doc = self.submit(body(dataset_id="mine"))
        rid = doc["request_id"]
        other = self.keys["other"]
        for method, path in (("GET", "/platform/status/" + rid),
                             ("DELETE", "/platform/requests/" + rid),
                             ("POST", "/platform/requests/%s/retry" % rid)):
            problem(self, self.api(method, path, key=other), 404, "not_found")
        st, _, page = self.api.json("GET", "/platform/requests", key=other)
        self.assertEqual(st, 200)
        self.assertNotIn(rid, [r["request_id"] for r in page["requests"]])
        # An admin key sees every client's requests.
        st, _, doc = self.api.json("GET", "/platform/status/" + rid, key=self.keys["admin"])
        self.assertEqual((st, doc["request_id"]), (200, rid))
        # The same identity under another client is another request.
        other_folder = put_sources(self.srv, "other")
        self.assertTrue(os.path.isdir(other_folder))
        _, theirs = self.submit(body(dataset_id="mine"), key=other)
        self.assertNotEqual(theirs["request_id"], rid)

    def test_listing_filters_and_pages(self):
        ids = []
        for i in range(3):
            _, doc = self.submit(body(dataset_id="listed", version_id="v%d" % i))
            ids.append(doc["request_id"])
        for rid in ids:
            self.api.wait(rid)
        st, _, page = self.api.json("GET", "/platform/requests?dataset_id=listed&limit=2")
        self.assertEqual(st, 200, page)
        self.assertEqual([r["request_id"] for r in page["requests"]], ids[::-1][:2])
        self.assertIsNotNone(page["next_cursor"])
        st, _, rest = self.api.json("GET", "/platform/requests?dataset_id=listed&cursor=" +
                                    page["next_cursor"])
        self.assertEqual([r["request_id"] for r in rest["requests"]], ids[:1])
        self.assertIsNone(rest["next_cursor"])
        st, _, done = self.api.json("GET", "/platform/requests?dataset_id=listed&status=failed")
        self.assertEqual(done["requests"], [])

    def test_200_concurrent_identical_submits_make_one_request(self):
        b = body(dataset_id="stampede", request_type="vector", source_path="nybb_16a.zip")
        answers = []
        lock = threading.Lock()

        def one():
            st, _, raw = self.api("POST", "/platform/submit", b)
            with lock:
                answers.append((st, json.loads(raw)))

        threads = [threading.Thread(target=one) for _ in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(answers), 200)
        statuses = sorted(st for st, _ in answers)
        self.assertEqual(statuses.count(202), 1, statuses)
        self.assertEqual(statuses.count(200), 199, statuses)
        self.assertEqual(len({doc["request_id"] for _, doc in answers}), 1)
        rid = answers[0][1]["request_id"]
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM platform.requests WHERE "
                                           "dataset_id = 'stampede'"), "1")
        self.api.wait(rid)
        # One actor: one creation and one completion in the log, one job per step.
        log = self.srv.output()
        self.assertEqual(log.count("registry: request %s created" % rid[:12]), 1)
        self.assertEqual(log.count("request %s: completed" % rid[:12]), 1)
        self.assertEqual(psql(self.db.url, "SELECT count(*) FROM app.jobs WHERE "
                                           "platform_request_id = '%s'" % rid), "2")
