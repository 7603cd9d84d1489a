#!/usr/bin/env python3
"""Checks the layer rule of docs/architecture.md on every #include and every CMake link:

| folder        | may include (besides itself and standard or system headers)                       |
|---------------|------------------------------------------------------------------------------------|
| messages/     | CAF                                                                                |
| persistence/  | messages/, libpqxx, libpq, CAF                                                     |
| io/           | messages/, CAF, Boost (Asio, Beast), nlohmann-json, spdlog, fmt, OpenSSL, GDAL     |
| actors/       | messages/, persistence/, io/, CAF, nlohmann-json                                    |
| app/          | everything                                                                         |

and further: nothing under io/geodata includes io/jobs (the job library uses the geodata
operations, not the other way round); actors/ names no libpqxx type, holds no SQL text and spells
no status word (request and job statuses and actor states are enums whose words live in
messages/status.cpp only); each folder's CMake library links only the gp_* libraries of the
folders it may include.

Usage: check_layers.py [ROOT]. Prints one line per problem and exits 1 when there is any."""
import glob
import os
import re
import sys

PROJECT = ("messages", "persistence", "io", "actors", "app")
ALLOWED = {
    "messages": {"messages"},
    "persistence": {"messages", "persistence"},
    "io": {"messages", "io"},
    "actors": {"messages", "persistence", "io", "actors"},
    "app": set(PROJECT),
}
# Third-party headers by the first part of their path (or their file name).
THIRD_PARTY = {
    "caf": "caf", "pqxx": "pqxx", "libpq-fe.h": "libpq", "boost": "boost",
    "nlohmann": "json", "spdlog": "spdlog", "fmt": "fmt", "openssl": "openssl",
    "CLI": "cli11", "toml++": "toml",
}
GDAL_HEADERS = re.compile(r"^(gdal|ogr|cpl_|ogrsf_|gdalwarper|vrtdataset)[\w.]*\.h$")
ALLOWED_THIRD_PARTY = {
    "messages": {"caf"},
    "persistence": {"caf", "pqxx", "libpq"},
    "io": {"caf", "boost", "json", "spdlog", "fmt", "openssl", "gdal"},
    "actors": {"caf", "json"},
    "app": {"caf", "pqxx", "libpq", "boost", "json", "spdlog", "fmt", "openssl", "gdal", "cli11",
            "toml"},
}
LINKS = {
    "messages": set(),
    "persistence": {"gp_messages"},
    "io": {"gp_messages"},
    "actors": {"gp_messages", "gp_persistence", "gp_io"},
    "app": {"gp_messages", "gp_persistence", "gp_io", "gp_actors"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
SQL = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|BEGIN|COMMIT)\s[^"]*'
                 r'\b(FROM|INTO|SET|TABLE|INDEX|AS|WHERE)\b')

# The words of request_status, job_status and actor_state (messages/status.cpp), quoted.
STATUS_WORD = re.compile(r'"(pending|processing|completed|failed|cancelled|queued|running|resuming|'
                         r'retrying|migrated|serving|draining|stopping)"')


def sources(root, folder):
    for ext in ("*.hpp", "*.cpp", "*.h"):
        yield from glob.glob(os.path.join(root, folder, "**", ext), recursive=True)


def kind_of(header):
    first = header.split("/")[0]
    if first in PROJECT:
        return "project", first
    if first in THIRD_PARTY:
        return "third", THIRD_PARTY[first]
    if GDAL_HEADERS.match(header):
        return "third", "gdal"
    return "system", None


def check_includes(root):
    problems = []
    for folder in PROJECT:
        for path in sorted(sources(root, folder)):
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                header = m.group(2)
                line = text.count("\n", 0, m.start()) + 1
                kind, what = kind_of(header)
                if kind == "project" and what not in ALLOWED[folder]:
                    problems.append("%s:%d: %s/ may not include %s (a %s/ header)"
                                    % (rel, line, folder, header, what))
                elif kind == "third" and what not in ALLOWED_THIRD_PARTY[folder]:
                    problems.append("%s:%d: %s/ may not include %s (%s)"
                                    % (rel, line, folder, header, what))
                elif rel.startswith("io/geodata/") and header.startswith("io/jobs/"):
                    problems.append("%s:%d: io/geodata may not include %s (io/jobs uses "
                                    "io/geodata, not the other way round)" % (rel, line, header))
    return problems


def check_actor_code(root):
    problems = []
    for path in sorted(sources(root, "actors")):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                code = line.split("//")[0]
                if re.search(r"\bpqxx\b", code):
                    problems.append("%s:%d: actors/ names a libpqxx type: %s" % (rel, n, line.strip()))
                if SQL.search(code):
                    problems.append("%s:%d: actors/ holds SQL text: %s" % (rel, n, line.strip()))
                if STATUS_WORD.search(code):
                    problems.append("%s:%d: actors/ spells a status word (use the enums of "
                                    "messages/status.hpp): %s" % (rel, n, line.strip()))
    return problems


LINK = re.compile(r"target_link_libraries\(\s*(\w+)([^)]*)\)", re.S)


def check_links(root):
    problems = []
    for folder in PROJECT:
        cmake = os.path.join(root, folder, "CMakeLists.txt")
        if not os.path.exists(cmake):
            continue
        with open(cmake, encoding="utf-8") as f:
            text = f.read()
        for target, args in LINK.findall(text):
            if not target.startswith("gp_"):
                continue
            for lib in re.findall(r"\bgp_\w+", args):
                if lib != "gp_pch" and lib not in LINKS[folder]:
                    problems.append("%s/CMakeLists.txt: %s links %s, which %s/ may not use"
                                    % (folder, target, lib, folder))
    return problems


def problems_in(root):
    return check_includes(root) + check_actor_code(root) + check_links(root)


if __name__ == "__main__":
    from report import run
    sys.exit(run("layers", problems_in))
