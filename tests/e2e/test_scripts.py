"""scripts/run as a newcomer uses it: it starts again after a Ctrl-C (SIGINT) and after the service
was killed (SIGKILL), while a second start beside a running demo still says so; and a demo on a
PostgreSQL port of its own keeps answering, on the same unrestarted cluster, while scripts/test
runs unit tests and an integration test beside it.

The demo keeps its state in a temporary folder (GEOPLATFORM_STATE_DIR) and its database in a
cluster of its own (GEOPLATFORM_PG_CLUSTER=gp_scripts_<pid> on a free port), dropped at the end;
scripts/test drops such clusters left behind by an interrupted run."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from gp_e2e import ScratchDatabase, call, psql

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG_VERSION = "15"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_line(name):
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0] == PG_VERSION and f[1] == name:
            return f
    return None


def postmaster_pid(name):
    with open("/var/lib/postgresql/%s/%s/postmaster.pid" % (PG_VERSION, name)) as f:
        return int(f.readline())


class Demo:
    """One `scripts/run` process; its output in a file."""

    def __init__(self, env):
        self.log = tempfile.NamedTemporaryFile(prefix="gp_run_", suffix=".log", delete=False)
        self.proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run")], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_ready(self, port, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("scripts/run exited with %s:\n%s" % (self.proc.returncode,
                                                                          self.output()))
            try:
                if call("127.0.0.1", port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the demo never became ready:\n" + self.output())

    def stop(self, sig):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.log.name)


class ScriptsRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("scripts/run sets up PostgreSQL clusters, which needs root")
        cls.state = tempfile.mkdtemp(prefix="gp_run_state_")
        cls.cluster = "gp_scripts_%d" % os.getpid()
        cls.pg_port = free_port()
        cls.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("GEOPLATFORM_") or k == "GEOPLATFORM_BUILD_DIR"}
        cls.outer_env = dict(env)
        for k in ("GEOPLATFORM_PG_PORT", "GEOPLATFORM_PG_CLUSTER"):
            if k in os.environ:
                cls.outer_env[k] = os.environ[k]
        env.update({"GEOPLATFORM_STATE_DIR": cls.state, "GEOPLATFORM_PORT": str(cls.port),
                    "GEOPLATFORM_PG_PORT": str(cls.pg_port),
                    "GEOPLATFORM_PG_CLUSTER": cls.cluster})
        cls.env = env

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["pg_dropcluster", PG_VERSION, cls.cluster, "--stop"],
                       capture_output=True)
        shutil.rmtree(cls.state, ignore_errors=True)

    def start(self):
        demo = Demo(self.env)
        self.addCleanup(demo.close)
        demo.wait_ready(self.port)
        return demo

    def test_1_starts_again_after_sigint_and_after_sigkill(self):
        demo = self.start()
        second = Demo(self.env)
        self.addCleanup(second.close)
        self.assertEqual(second.proc.wait(timeout=60), 1, second.output())
        self.assertIn("already running", second.output())
        self.assertIn("pid %d" % demo.proc.pid, second.output())

        self.assertEqual(demo.stop(signal.SIGINT), 0, demo.output())
        demo = self.start()
        self.assertNotIn("already running", demo.output())
        self.assertNotIn("taking a new lock", demo.output())

        demo.stop(signal.SIGKILL)
        demo = self.start()
        self.assertNotIn("already running", demo.output())
        self.assertEqual(demo.stop(signal.SIGINT), 0, demo.output())

    def test_2_demo_keeps_answering_while_tests_run_beside_it(self):
        demo = self.start()
        before = cluster_line(self.cluster)
        self.assertEqual(before[2], str(self.pg_port))
        pid = postmaster_pid(self.cluster)
        # A scratch database of a test that is still running (this one): scripts/test's clean-up
        # of interrupted runs must keep it, and go on.
        scratch = ScratchDatabase(postgis=False)
        self.addCleanup(scratch.close)
        for args in (["-L", "unit"], ["-R", "^integration\\.migrations\\.fresh_database"]):
            out = subprocess.run([os.path.join(ROOT, "scripts", "test"), *args],
                                 env=self.outer_env, capture_output=True, text=True, timeout=600)
            self.assertEqual(out.returncode, 0, out.stdout[-3000:] + out.stderr[-3000:])
            self.assertRegex(out.stdout, r"100% tests passed, 0 tests failed out of [1-9]")
            self.assertEqual(call("127.0.0.1", self.port, "GET", "/readyz")[0], 200)
            self.assertEqual(psql(scratch.url, "SELECT 1"), "1")
        self.assertEqual(cluster_line(self.cluster), before)
        self.assertEqual(postmaster_pid(self.cluster), pid, "the demo's PostgreSQL was restarted")
        self.assertIsNone(demo.proc.poll())
        self.assertEqual(demo.stop(signal.SIGINT), 0, demo.output())

    def test_3_a_cluster_is_never_moved_nor_a_taken_port_reused(self):
        if cluster_line(self.cluster) is None:
            demo = self.start()
            self.assertEqual(demo.stop(signal.SIGINT), 0, demo.output())
        before = cluster_line(self.cluster)
        pid = postmaster_pid(self.cluster)
        state = tempfile.mkdtemp(prefix="gp_run_state_")
        self.addCleanup(shutil.rmtree, state, True)
        other = free_port()
        cases = [
            # The demo's cluster asked for on another port: named with the way out, not moved.
            ({"GEOPLATFORM_PG_PORT": str(other)},
             "cluster '%s' listens on port %d, not %d" % (self.cluster, self.pg_port, other)),
            # Another cluster name on the demo's port: refused, the port's owner named.
            ({"GEOPLATFORM_PG_CLUSTER": self.cluster + "_x"},
             "port %d is taken by PostgreSQL cluster %s/%s" % (self.pg_port, PG_VERSION,
                                                               self.cluster)),
        ]
        for change, message in cases:
            env = dict(self.env, GEOPLATFORM_STATE_DIR=state, **change)
            out = subprocess.run([os.path.join(ROOT, "scripts", "run")], env=env,
                                 capture_output=True, text=True, timeout=300,
                                 stdin=subprocess.DEVNULL)
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            self.assertIn(message, out.stderr)
            self.assertEqual(cluster_line(self.cluster), before)
            self.assertEqual(postmaster_pid(self.cluster), pid)
            self.assertIsNone(cluster_line(self.cluster + "_x"))


if __name__ == "__main__":
    unittest.main()
