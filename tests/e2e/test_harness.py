"""The end-to-end harness itself: a test class whose set-up fails after its server started
leaves no server running and no database behind (a leaked server keeps polling the database and
skews everything measured on the machine afterwards)."""
import os
import signal
import subprocess
import sys
import textwrap
import unittest

from gp_e2e import BASE_URL, psql, require_environment

HERE = os.path.dirname(os.path.abspath(__file__))

FAILING_CLASS = textwrap.dedent("""
    import unittest
    from gp_e2e import ServedTestCase

    class Failing(ServedTestCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            print("PID", cls.srv.proc.pid, "DB", cls.db.name, flush=True)
            raise RuntimeError("set-up fails after the server started")

        def test_nothing(self):
            pass

    unittest.main(argv=["failing"], exit=False)
""")


def running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Harness(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_a_failed_class_set_up_stops_its_server_and_drops_its_database(self):
        out = subprocess.run([sys.executable, "-c", FAILING_CLASS], capture_output=True,
                             text=True, cwd=HERE, timeout=120)
        words = out.stdout.split()
        self.assertIn("PID", words, out.stdout + out.stderr)
        pid = int(words[words.index("PID") + 1])
        db = words[words.index("DB") + 1]
        self.assertIn("set-up fails after the server started", out.stderr)
        leaked = running(pid)
        if leaked:
            os.kill(pid, signal.SIGKILL)
        self.assertFalse(leaked, "the server outlived its test class")
        self.assertEqual(psql(BASE_URL, "SELECT count(*) FROM pg_database WHERE datname = '%s'"
                              % db), "0")


if __name__ == "__main__":
    unittest.main()
