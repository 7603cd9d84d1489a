"""/readyz and /health follow the database: 200 → 503 while its own PostgreSQL cluster is stopped
(/health: unhealthy) → 200 again, without restarting the service. The test creates, stops, starts and drops a cluster of its own."""
import json
import os
import socket
import subprocess
import unittest

from gp_e2e import Server, problem, require_environment

PG_VERSION = "15"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, text=True)


class ReadyzAcrossDatabaseRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root to create its own PostgreSQL cluster")
        cls.cluster = "gp_readyz_%d" % os.getpid()
        cls.port = free_port()
        sh("pg_createcluster", PG_VERSION, cls.cluster, "-p", str(cls.port))
        sh("pg_ctlcluster", PG_VERSION, cls.cluster, "start")
        sql = ("CREATE ROLE gp LOGIN PASSWORD 'gp'; CREATE DATABASE gp OWNER gp;")
        for stmt in sql.split(";")[:-1]:
            sh("runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-p", str(cls.port),
               "-c", stmt)
        sh("runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-p", str(cls.port), "-d", "gp",
           "-c", "CREATE EXTENSION postgis")
        cls.url = "postgresql://gp:gp@127.0.0.1:%d/gp" % cls.port

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["pg_dropcluster", PG_VERSION, cls.cluster, "--stop"], capture_output=True)

    def setUp(self):
        require_environment(self)

    def test_200_then_503_while_down_then_200_again(self):
        srv = Server(self.url, "--set", "database.connect_timeout_s=1",
                     "--set", "database.statement_timeout_ms=1000",
                     "--set", "auth.health_requires_key=false")
        try:
            srv.wait_status("/readyz", 200)
            health = json.loads(srv.wait_status("/health", 200)[2])
            self.assertEqual(health["status"], "healthy", health)
            sh("pg_ctlcluster", PG_VERSION, self.cluster, "stop", "-m", "fast")
            down = srv.wait_status("/readyz", 503, timeout=15)
            doc = problem(self, down, 503, "not_ready")
            self.assertEqual(doc["checks"]["database"], "unavailable")
            self.assertEqual(srv.call("GET", "/livez")[0], 200)
            # Stays 503 while the database is down.
            self.assertEqual(srv.call("GET", "/readyz")[0], 503)
            # /health: 503, unhealthy, the database named first among the reasons.
            st, _, raw = srv.call("GET", "/health", timeout=15)
            health = json.loads(raw)
            self.assertEqual((st, health["status"]), (503, "unhealthy"), health)
            self.assertEqual(health["components"]["database"]["status"], "unavailable")
            self.assertEqual(health["reasons"][0], "the database is unavailable", health)
            self.assertEqual(health["components"]["queue"]["status"], "unavailable")
            sh("pg_ctlcluster", PG_VERSION, self.cluster, "start")
            up = srv.wait_status("/readyz", 200, timeout=20)
            self.assertEqual(json.loads(up[2])["status"], "ready")
            self.assertEqual(json.loads(srv.wait_status("/health", 200)[2])["status"], "healthy")
            self.assertIsNone(srv.proc.poll(), "the service must not restart")
            self.assertEqual(srv.stop(), 0, srv.output())
            self.assertNotIn("gp:gp@", srv.output())
        finally:
            srv.close()


if __name__ == "__main__":
    unittest.main()
