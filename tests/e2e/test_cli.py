"""The command line: help, version, usage errors, configuration precedence and validation."""
import os
import re
import tempfile
import unittest

from gp_e2e import require_environment, run


class CommandLine(unittest.TestCase):
    def setUp(self):
        require_environment(self)

    def test_help_everywhere(self):
        for args in ([], ["serve"], ["migrate"], ["clients"], ["clients", "create"],
                     ["clients", "update"], ["clients", "list"], ["keys"], ["keys", "create"],
                     ["keys", "list"],
                     ["config", "show"], ["version"], ["webhooks"], ["webhooks", "listen"]):
            r = run(*args, "--help")
            self.assertEqual(r.returncode, 0, (args, r.stderr))
            self.assertIn("Usage:", r.stdout, args)

    def test_version(self):
        r = run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^geoplatform \d+\.\d+\.\d+\n$")

    def test_no_command_is_a_usage_error(self):
        r = run()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage error", r.stderr)

    def test_unknown_option_is_a_usage_error(self):
        r = run("serve", "--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--no-such-flag", r.stderr)

    def test_missing_required_option_is_a_usage_error(self):
        r = run("keys", "create", "--client", "ddh")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--level", r.stderr)

    def test_bad_value_stops_with_one_line_naming_the_key(self):
        r = run("serve", env={"GEOPLATFORM_HTTP_PORT": "http"})
        self.assertEqual(r.returncode, 1)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("[http] port", lines[0])
        self.assertIn("GEOPLATFORM_HTTP_PORT", lines[0])

    def test_unknown_file_key_stops_serve(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write("[database]\npool = 3\n")
        try:
            r = run("serve", "--config", f.name)
            self.assertEqual(r.returncode, 1)
            self.assertIn("database.pool", r.stderr)
        finally:
            os.unlink(f.name)

    def test_precedence_file_environment_flags(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[http]\nport = 7001\nio_threads = 2\n[log]\nlevel = "debug"\n')
        try:
            r = run("config", "show", "--set", "http.port=7003",
                    env={"GEOPLATFORM_CONFIG": f.name, "GEOPLATFORM_HTTP_PORT": "7002",
                         "GEOPLATFORM_LOG_LEVEL": "warn"})
            self.assertEqual(r.returncode, 0, r.stderr)
            shown = dict(re.findall(r"^(\S+) = (.*)$", r.stdout, re.M))
            self.assertTrue(shown["http.port"].startswith("7003  (command line)"), shown)
            self.assertTrue(shown["log.level"].startswith("warn  (environment"), shown)
            self.assertTrue(shown["http.io_threads"].startswith("2  (file"), shown)
            self.assertTrue(shown["database.pool_size"].startswith("4  (default)"), shown)
        finally:
            os.unlink(f.name)

    def test_config_show_masks_the_database_password(self):
        r = run("config", "show", "--database-url", "postgresql://u:topsecret@h/db")
        self.assertEqual(r.returncode, 0)
        self.assertNotIn("topsecret", r.stdout)
        self.assertIn("postgresql://u:***@h/db", r.stdout)

    def test_config_keys_lists_every_key_with_its_variable(self):
        r = run("config", "keys")
        self.assertEqual(r.returncode, 0)
        for var in ("GEOPLATFORM_DATABASE_URL", "GEOPLATFORM_HTTP_PORT",
                    "GEOPLATFORM_STORAGE_BRONZE_ROOT", "GEOPLATFORM_LOG_FORMAT",
                    "GEOPLATFORM_WORKERS_TASK_WORKERS"):
            self.assertIn(var, r.stdout)

    def test_unreachable_database_is_one_line_without_password(self):
        r = run("migrate", "--database-url", "postgresql://u:pw123@127.0.0.1:1/x",
                "--set", "database.connect_timeout_s=1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect to the database", r.stderr)
        self.assertNotIn("pw123", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == "__main__":
    unittest.main()
