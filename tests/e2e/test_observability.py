"""GET /metrics (Prometheus text: counts that move with known calls, accepted by promtool, admin
only, 404 when switched off), the JSON log lines (every line parses; one `http` event per call
and one `request_state` event per status change) and GET /platform/status/{id}?detail=full, whose
history matches the status changes of a request that failed and was retried."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import uuid

from gp_e2e import ServedTestCase, log_events, problem
from gp_platform import ENGINE, Api, SourcesCase, body, setup_clients

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{(name, frozenset(labels)): value} of every sample; checks each line's form."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        key = (m.group(1), labels)
        assert key not in samples, "sample written twice: %r" % line
        samples[key] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def json_lines(text):
    """Every line of a JSON-format log, parsed (fails on the first line that does not parse)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise AssertionError("log line is not JSON (%s): %r" % (e, line))
    return out


def promtool(test):
    path = os.environ.get("GEOPLATFORM_PROMTOOL") or shutil.which("promtool")
    test.assertTrue(path and os.path.exists(path),
                    "promtool is missing: scripts/test takes it from Debian's prometheus package "
                    "and sets GEOPLATFORM_PROMTOOL")
    return path


class AlertRules(unittest.TestCase):
    def test_the_documented_alert_rules_are_valid(self):
        doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                           "monitoring.md")
        blocks = re.findall(r"```yaml\n(.*?)```", open(doc, encoding="utf-8").read(), re.S)
        self.assertTrue(blocks, "docs/monitoring.md has no YAML block of alert rules")
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write(blocks[-1])
            f.flush()
            r = subprocess.run([promtool(self), "check", "rules", f.name], capture_output=True,
                               text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Metrics(ServedTestCase):
    server_args = ("--set", "log.format=json")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def scrape(self):
        st, hdrs, out = Api(self, self.srv, self.keys["admin"])("GET", "/metrics")
        self.assertEqual(st, 200, out)
        self.assertEqual(hdrs["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        return out.decode()

    def test_counts_move_with_known_calls(self):
        api = Api(self, self.srv, self.keys["internal"])
        before = parse_exposition(self.scrape())
        for _ in range(3):
            problem(self, api("GET", "/platform/status/" + "0" * 32), 404, "not_found")
        for _ in range(2):
            self.assertEqual(self.srv.call("GET", "/livez")[0], 200)
        problem(self, self.srv.call("GET", "/no/such/route"), 404, "not_found")
        after = parse_exposition(self.scrape())
        route = {"route": "/platform/status/{request_id}", "method": "GET"}

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(moved("geoplatform_http_requests_total", status="404", **route), 3)
        self.assertEqual(moved("geoplatform_http_request_duration_seconds_count", **route), 3)
        self.assertEqual(moved("geoplatform_http_request_duration_seconds_bucket", le="+Inf",
                               **route), 3)
        self.assertGreater(moved("geoplatform_http_request_duration_seconds_sum", **route), 0)
        self.assertEqual(moved("geoplatform_http_requests_total", route="/livez", method="GET",
                               status="200"), 2)
        self.assertEqual(moved("geoplatform_http_requests_total", route="unmatched", method="GET",
                               status="404"), 1)
        # The first scrape was answered before the second was taken: it is counted.
        self.assertGreaterEqual(moved("geoplatform_http_requests_total", route="/metrics",
                                      method="GET", status="200"), 1)
        # Buckets are cumulative.
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                         if k[0] == "geoplatform_http_request_duration_seconds_bucket"
                         and dict(k[1]).get("route") == route["route"]
                         and dict(k[1])["le"] != "+Inf")
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts))
        # What the actors, the database and the process report.
        for actor in ("registry", "db_pool", "coremachine", "auth", "http_edge"):
            self.assertIn(("geoplatform_actor_mailbox_messages", frozenset({("actor", actor)})),
                          after)
            if actor != "http_edge":
                self.assertEqual(value(after, "geoplatform_actor_up", actor=actor), 1)
        self.assertEqual(value(after, "geoplatform_actors", kind="registry"), 1)
        self.assertEqual(value(after, "geoplatform_actors", kind="http_edge"), 1)
        self.assertGreaterEqual(value(after, "geoplatform_db_pool_connections"), 1)
        self.assertEqual(value(after, "geoplatform_database_up"), 1)
        self.assertEqual(value(after, "geoplatform_queue_tasks", state="waiting"), 0)
        self.assertGreater(value(after, "geoplatform_process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(value(after, "geoplatform_process_open_fds"), 3)
        self.assertGreater(value(after, "geoplatform_process_threads"), 2)

    def test_promtool_accepts_the_exposition(self):
        # Some of everything first: a 2xx, a 4xx, an unmatched path, a 405.
        Api(self, self.srv, self.keys["internal"])("GET", "/platform/requests")
        self.srv.call("GET", "/nothing/here")
        self.srv.call("PUT", "/livez")
        text = self.scrape()
        r = subprocess.run([promtool(self), "check", "metrics"], input=text,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((r.stdout + r.stderr).strip(), "", "promtool found problems")

    def test_only_admin_keys_scrape(self):
        problem(self, self.srv.call("GET", "/metrics"), 401, "unauthorized")
        for level in ("internal", "trusted"):
            problem(self, Api(self, self.srv, self.keys[level])("GET", "/metrics"), 403,
                    "forbidden")

    def test_every_log_line_is_json_and_each_call_has_one(self):
        cid = "obs-" + uuid.uuid4().hex
        st, _, _ = Api(self, self.srv, self.keys["internal"])(
            "GET", "/platform/requests?limit=1", headers={"X-Correlation-Id": cid})
        self.assertEqual(st, 200)
        self.srv.wait_log(cid)
        lines = json_lines(self.srv.output())
        for line in lines:
            self.assertEqual(set(line) & {"ts", "level", "msg"}, {"ts", "level", "msg"}, line)
        calls = [l for l in lines if l.get("event") == "http" and l.get("cid") == cid]
        self.assertEqual(len(calls), 1, calls)
        call = calls[0]
        self.assertEqual((call["route"], call["path"], call["method"], call["status"],
                          call["client"]),
                         ("/platform/requests", "/platform/requests", "GET", 200, "ddh"))
        self.assertGreaterEqual(call["duration_ms"], 0)
        self.assertEqual(call["level"], "info")


class MetricsOff(ServedTestCase):
    server_args = ("--set", "metrics.enabled=false")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def test_switched_off_is_404_and_calls_are_still_logged(self):
        doc = problem(self, Api(self, self.srv, self.keys["admin"])("GET", "/metrics"), 404,
                      "not_found")
        self.assertIn("metrics.enabled", doc["detail"])
        self.srv.wait_log('"route":"/metrics"')
        self.assertEqual([e["status"] for e in log_events(self.srv.output(), "http")
                          if e["route"] == "/metrics"], [404])


class AccessLogOff(ServedTestCase):
    server_args = ("--set", "log.access=false")
    prepare = classmethod(lambda cls, url: setup_clients(url))

    def test_no_call_is_logged_and_calls_are_still_counted(self):
        api = Api(self, self.srv, self.keys["admin"])
        self.assertEqual(api("GET", "/platform/requests")[0], 200)
        st, _, out = api("GET", "/metrics")
        self.assertEqual(st, 200)
        samples = parse_exposition(out.decode())
        self.assertEqual(value(samples, "geoplatform_http_requests_total",
                               route="/platform/requests", method="GET", status="200"), 1)
        self.assertEqual(log_events(self.srv.output(), "http"), [])


class History(SourcesCase):
    server_args = (*ENGINE, "--set", "log.format=json")

    def test_history_of_a_request_that_failed_and_was_retried(self):
        api = self.api
        # A CSV with a header and no rows: it is read, and fails for having nothing to load.
        late = os.path.join(self.bronze, "late.csv")
        with open(late, "w") as f:
            f.write("x,y\n")
        st, _, doc = api.json("POST", "/platform/submit",
                              body(dataset_id="late", request_type="vector",
                                   source_path="late.csv"))
        self.assertEqual(st, 202, doc)
        rid = doc["request_id"]
        failed = api.wait(rid)
        self.assertEqual(failed["status"], "failed", failed)
        code = failed["error"]["code"]
        # The file is replaced by a good one; the retry reads it again.
        shutil.copy(os.path.join(self.bronze, "pt.csv"), late)
        st, _, doc = api.json("POST", "/platform/requests/%s/retry" % rid)
        self.assertEqual(st, 202, doc)
        done = api.wait(rid)
        self.assertEqual(done["status"], "completed", done)

        st, _, full = api.json("GET", "/platform/status/%s?detail=full" % rid)
        self.assertEqual(st, 200, full)
        events = full["events"]
        self.assertEqual((events[0]["from"], events[0]["to"], events[0]["reason"]),
                         (None, "pending", "submitted"))
        self.assertEqual(events[0]["at"], full["created_at"])
        changes = [(e["from"], e["to"]) for e in events[1:]]
        self.assertIn(("failed", "processing"), changes)
        self.assertEqual(changes[-1][1], "completed")
        self.assertEqual([e for e in events if e["to"] == "failed"][0]["reason"], code)
        # Each change continues from where the last one ended, in time order.
        for a, b in zip(events[1:], events[2:]):
            self.assertEqual(a["to"], b["from"])
            self.assertLessEqual(a["at"], b["at"])
            self.assertLess(a["state_version"], b["state_version"])
        # The same changes were logged, one request_state line each, in the same order.
        self.srv.wait_log('"to":"completed"')
        logged = [(l["from"], l["to"]) for l in json_lines(self.srv.output())
                  if l.get("event") == "request_state" and l.get("request_id") == rid]
        self.assertEqual(logged, changes)
        # The plain status has no history.
        self.assertNotIn("events", api.json("GET", "/platform/status/" + rid)[2])
        # The engine's families now have samples, and promtool still accepts the exposition.
        st, _, out = Api(self, self.srv, self.keys["admin"])("GET", "/metrics")
        self.assertEqual(st, 200)
        text = out.decode()
        samples = parse_exposition(text)
        for state in ("failed", "processing", "completed"):
            self.assertGreaterEqual(value(samples, "geoplatform_request_transitions_total",
                                          type="vector", state=state), 1, state)
        self.assertGreaterEqual(value(samples, "geoplatform_request_processing_seconds_count",
                                      type="vector", state="completed"), 1)
        self.assertGreaterEqual(sum(v for (name, labels), v in samples.items()
                                    if name == "geoplatform_tasks_total"), 3)
        self.assertGreaterEqual(sum(v for (name, labels), v in samples.items()
                                    if name == "geoplatform_task_duration_seconds_count"), 3)
        r = subprocess.run([promtool(self), "check", "metrics"], input=text,
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, (r.stdout + r.stderr).strip()), (0, ""))
        # Another client's key does not see it, with or without its history.
        for query in ("", "?detail=full"):
            problem(self, api("GET", "/platform/status/%s%s" % (rid, query),
                              key=self.keys["other"]), 404, "not_found")

    def test_detail_takes_only_full(self):
        for query in ("detail=", "detail=all", "detail=FULL"):
            doc = problem(self, Api(self, self.srv, self.keys["internal"])(
                "GET", "/platform/status/%s?%s" % ("0" * 32, query)), 400, "validation_error")
            self.assertEqual([e["field"] for e in doc["errors"]], ["detail"], doc)
        problem(self, Api(self, self.srv, self.keys["internal"])(
            "GET", "/platform/status/%s?detail=full" % ("0" * 32)), 404, "not_found")


if __name__ == "__main__":
    unittest.main()
