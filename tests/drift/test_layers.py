"""The layer check passes on this tree, and fails, naming the file and line, when a copy breaks the
rule: io/ including persistence/, io/geodata including io/jobs, messages/ including io/, actors/
naming a libpqxx type or holding SQL, or a CMake library linking a folder it may not use."""
import os
import shutil
import tempfile
import unittest

from check_layers import problems_in

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Layers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gp_layers_")
        for folder in ("messages", "persistence", "io", "actors", "app"):
            shutil.copytree(os.path.join(ROOT, folder), os.path.join(self.tmp, folder))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def add_line(self, rel, line, after="#pragma once\n"):
        path = os.path.join(self.tmp, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if after in text:
            text = text.replace(after, after + line + "\n", 1)
        else:
            text = line + "\n" + text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def assert_one_problem(self, *words):
        problems = problems_in(self.tmp)
        self.assertEqual(len(problems), 1, problems)
        for w in words:
            self.assertIn(w, problems[0])

    def test_the_tree_keeps_the_rule(self):
        self.assertEqual(problems_in(ROOT), [])

    def test_io_including_persistence(self):
        self.add_line("io/jobs/stores.hpp", '#include "persistence/requests.hpp"')
        self.assert_one_problem("io/jobs/stores.hpp:2", "persistence/requests.hpp")

    def test_io_including_libpqxx(self):
        self.add_line("io/http/problem.cpp", "#include <pqxx/pqxx>", after="")
        self.assert_one_problem("io/http/problem.cpp:1", "pqxx")

    def test_geodata_including_the_job_library(self):
        self.add_line("io/geodata/vector_store.hpp", '#include "io/jobs/registry.hpp"')
        self.assert_one_problem("io/geodata/vector_store.hpp", "io/jobs uses io/geodata")

    def test_messages_including_io(self):
        self.add_line("messages/features.hpp", '#include "io/logging.hpp"')
        self.assert_one_problem("messages/features.hpp", "messages/ may not include io/logging.hpp")

    def test_an_actor_naming_a_libpqxx_type(self):
        self.add_line("actors/migrator.cpp", "void f(pqxx::connection& c);",
                      after="namespace gp {\n")
        self.assert_one_problem("actors/migrator.cpp", "libpqxx type")

    def test_an_actor_holding_sql(self):
        self.add_line("actors/migrator.cpp",
                      'constexpr const char* q = "SELECT id FROM platform.requests";',
                      after="namespace gp {\n")
        self.assert_one_problem("actors/migrator.cpp", "SQL text")

    def test_an_actor_spelling_a_status_word(self):
        self.add_line("actors/migrator.cpp", 'bool done(const std::string& s) { return s == "completed"; }',
                      after="namespace gp {\n")
        self.assert_one_problem("actors/migrator.cpp", "status word")

    def test_a_library_linking_a_folder_it_may_not_use(self):
        path = os.path.join(self.tmp, "io", "CMakeLists.txt")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("PUBLIC gp_messages", "PUBLIC gp_messages gp_persistence", 1))
        self.assert_one_problem("io/CMakeLists.txt", "gp_io links gp_persistence")


if __name__ == "__main__":
    unittest.main()
