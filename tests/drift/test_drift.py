"""The drift check passes on this tree, and fails, naming the file, when a copy of the tree drifts:
a migration added without the README, a route missing from docs/api.md, a failure code whose
`retryable` differs from the docs or that the table does not list, a docs page not linked from
docs/architecture.md, a test reading the folder beside the checkout, a request-actor transition the
diagram does not draw (or the other way round)."""
import os
import shutil
import tempfile
import unittest

from check_drift import problems_in

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COPIED = ["README.md", "docs", "persistence/migrations", "actors", "messages", "io", "tests/e2e",
          "app/config.cpp",
          "scripts", "bench"]


class Drift(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gp_drift_")
        for rel in COPIED:
            src, dst = os.path.join(ROOT, rel), os.path.join(self.tmp, rel)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy(src, dst)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, rel, old, new):
        path = os.path.join(self.tmp, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def assert_one_problem(self, *words):
        problems = problems_in(self.tmp)
        self.assertEqual(len(problems), 1, problems)
        for w in words:
            self.assertIn(w, problems[0])

    def test_the_tree_has_no_drift(self):
        self.assertEqual(problems_in(ROOT), [])
        self.assertEqual(problems_in(self.tmp), [])

    def test_a_request_transition_missing_from_the_diagram(self):
        self.edit("docs/actors/request.md", "    paused --> watching: step_atom after retry_delay\n", "")
        self.assert_one_problem("docs/actors/request.md", "lacks paused --> watching")

    def test_a_drawn_transition_the_code_does_not_allow(self):
        self.edit("docs/actors/request.md", "    ended --> [*]\n",
                  "    ended --> [*]\n    paused --> gathering: made up\n")
        self.assert_one_problem("docs/actors/request.md", "draws paused --> gathering")

    def test_a_migration_added_without_updating_the_readme(self):
        n = len(os.listdir(os.path.join(self.tmp, "persistence", "migrations")))
        with open(os.path.join(self.tmp, "persistence", "migrations",
                               "%04d_new.sql" % (n + 1)), "w") as f:
            f.write("SELECT 1;\n")
        problems = problems_in(self.tmp)
        self.assertTrue(any(p.startswith("README.md:") and "schema version %d" % n in p
                            for p in problems), problems)

    def test_a_route_missing_from_the_api_page(self):
        self.edit("docs/api.md", "| POST | `/platform/submit` |", "| POST | `/platform/submitted` |")
        problems = problems_in(self.tmp)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("POST /platform/submit is missing", problems[0])
        self.assertIn("POST /platform/submitted, which", problems[1])

    def test_a_route_added_to_the_code_only(self):
        self.edit("actors/route_table.hpp", '  {"GET", "/livez", livez, access::open, false},',
                  '  {"GET", "/livez", livez, access::open, false},\n'
                  '  {"GET", "/console", livez, access::open, false},')
        self.assert_one_problem("docs/api.md", "GET /console")

    def test_an_actor_asked_by_health_but_not_documented(self):
        registry = '{"registry", caf::actor_cast<status_reporter>(p.registry)}'
        self.edit("actors/health_handlers.cpp", registry,
                  registry + ',\n    {"stac_catalog", caf::actor_cast<status_reporter>(p.registry)}')
        problems = problems_in(self.tmp)
        self.assertEqual(len(problems), 2, problems)
        self.assertTrue(all("stac_catalog" in p for p in problems), problems)

    def test_a_failure_code_documented_with_another_retryable(self):
        self.edit("docs/api.md", "| `no_geometry` | no |", "| `no_geometry` | yes |")
        self.assert_one_problem("no_geometry", "retryable yes")

    def test_a_raised_code_missing_from_the_table(self):
        self.edit("io/jobs/registry.cpp", '"stopped"', '"halted"')
        self.assert_one_problem("io/jobs/registry.cpp", "halted")

    def test_a_docs_page_not_linked_from_the_architecture(self):
        with open(os.path.join(self.tmp, "docs", "actors", "introspection.md"), "w") as f:
            f.write("# introspection\n")
        self.assert_one_problem("docs/architecture.md", "actors/introspection.md")

    def test_an_interface_changed_without_the_architecture_page(self):
        self.edit("actors/actor_types.hpp", "caf::reacts_to<work_atom>, status_reporting>;",
                  "caf::reacts_to<work_atom>, caf::reacts_to<tick_atom>, status_reporting>;")
        self.assert_one_problem("docs/architecture.md", "actor interfaces differs")

    def test_a_config_key_without_its_row_or_with_another_default(self):
        self.edit("app/config.cpp", 'integer("usage", "flush_ms", 5000,',
                  'integer("usage", "flush_ms", 4000,')
        self.assert_one_problem("docs/configuration.md", "usage.flush_ms defaults to '5000'")
        self.edit("app/config.cpp", 'integer("usage", "flush_ms", 4000,',
                  'integer("usage", "flush_every_ms", 5000,')
        problems = problems_in(self.tmp)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("usage.flush_every_ms has no row", problems[0])
        self.assertIn("lists usage.flush_ms, which", problems[1])

    def test_a_test_reading_the_folder_beside_the_checkout(self):
        with open(os.path.join(self.tmp, "tests", "e2e", "test_x.py"), "w") as f:
            f.write('DATA = "../' + 'shared/testdata"\n')
        self.assert_one_problem("tests/e2e/test_x.py:1", "outside the repository")


if __name__ == "__main__":
    unittest.main()
