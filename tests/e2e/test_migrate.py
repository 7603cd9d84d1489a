"""`geoplatform migrate`: twice in a row, from two processes at once, and without PostGIS."""
import subprocess
import unittest

from gp_e2e import BIN, ScratchDatabase, psql, require_environment, run


class Migrate(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_twice_in_a_row(self):
        with ScratchDatabase() as db:
            first = run("migrate", "--database-url", db.url)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertRegex(first.stdout, r"migrated database schema from version 0 to \d+")
            second = run("migrate", "--database-url", db.url)
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertIn("up to date", second.stdout)
            self.assertEqual(psql(db.url, "SELECT count(*) = max(version) FROM "
                                          "platform.schema_migrations"), "t")

    def test_two_processes_at_once(self):
        for _ in range(5):
            with ScratchDatabase() as db:
                procs = [subprocess.Popen([BIN, "migrate", "--database-url", db.url],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True) for _ in range(2)]
                outs = [p.communicate(timeout=60) for p in procs]
                for p, (out, err) in zip(procs, outs):
                    self.assertEqual(p.returncode, 0, err)
                # Exactly one of them did the work, the other found it done.
                migrated = [o for o, _ in outs if "migrated database schema" in o]
                self.assertEqual(len(migrated), 1, outs)
                self.assertEqual(psql(db.url, "SELECT count(*) = max(version) FROM "
                                              "platform.schema_migrations"), "t")

    def test_without_postgis_says_so(self):
        with ScratchDatabase(postgis=False) as db:
            r = run("migrate", "--database-url", db.url)
            self.assertEqual(r.returncode, 1)
            self.assertIn("PostGIS extension is not installed", r.stderr)
            self.assertIn("CREATE EXTENSION postgis", r.stderr)


if __name__ == "__main__":
    unittest.main()
