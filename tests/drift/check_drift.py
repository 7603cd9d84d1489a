#!/usr/bin/env python3
"""Checks what can drift between the code and its documentation, mechanically:

- the schema version the README and docs name equals the number of migrations;
- every route of the route table (actors/route_table.hpp) is in docs/api.md's route table, and that
  table names no route the code does not have;
- every actor /health asks (actors/health_handlers.cpp) is named where docs/api.md describes /health
  and in docs/actors/http_edge.md;
- the request failure codes of messages/failure_codes.hpp are listed in docs/api.md with the same
  `retryable`, and every code the job library and the actors raise is in that table;
- docs/architecture.md links every page under docs/, and its copy of the actor interfaces equals
  actors/actor_types.hpp;
- the request actor's state diagram (docs/actors/request.md) draws exactly the transitions of its
  table in actors/request_state.hpp (arrows to `ended`, allowed from every phase, aside);
- every configuration key of app/config.cpp has its row in docs/configuration.md, with its
  environment variable and its default, and the page lists no key the code does not have;
- nothing under tests/, scripts/ or bench/ reads a path outside the repository (the folder
  beside the checkout or a machine path): a fresh clone must be able to run them.

Usage: check_drift.py [ROOT]. Prints one line per problem and exits 1 when there is any."""
import glob
import os
import re
import sys


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def section(text, heading):
    """The text under a Markdown heading line, up to the next heading of the same or higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.find(heading + "\n")
    if start < 0:
        return ""
    rest = text[start + len(heading) + 1:]
    m = re.search(r"^#{1,%d} " % level, rest, re.M)
    return rest[: m.start()] if m else rest


def check_schema_version(root):
    count = len(glob.glob(os.path.join(root, "persistence", "migrations", "[0-9]*_*.sql")))
    problems = []
    pages = ["README.md"] + sorted(os.path.relpath(p, root) for p in
                                   glob.glob(os.path.join(root, "docs", "**", "*.md"),
                                             recursive=True))
    for rel in pages:
        text = read(root, rel)
        for pattern in (r"schema version (\d+)", r'"(?:expected_)?schema_version":\s*(\d+)'):
            for m in re.finditer(pattern, text):
                if int(m.group(1)) != count:
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append("%s:%d: says %r, but there are %d migrations"
                                    % (rel, line, m.group(0), count))
    return problems


ROUTE_ROW = re.compile(r'^\s*\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)", \w+, access::', re.M)
DOC_ROW = re.compile(r"^\| ([A-Z, ]+) \| `([^`\[]+)(?:\[[^`]*\])?` \|", re.M)


def check_routes(root):
    code = set(ROUTE_ROW.findall(read(root, "actors/route_table.hpp")))
    if not code:
        return ["actors/route_table.hpp: no route table found"]
    table = section(read(root, "docs/api.md"), "## Routes")
    documented = set()
    for methods, path in DOC_ROW.findall(table):
        for method in methods.split(","):
            if method.strip() != "HEAD":
                documented.add((method.strip(), path))
    problems = ["docs/api.md: the route %s %s is missing from the table under '## Routes'" % r
                for r in sorted(code - documented)]
    problems += ["docs/api.md: the route table lists %s %s, which actors/route_table.hpp does not "
                 "have" % r for r in sorted(documented - code)]
    return problems


def check_health_members(root):
    src = read(root, "actors/health_handlers.cpp")
    body = src[src.find("status_reporters(const edge_peers"):]
    fan_out = body[body.find("members = {"):body.find("};", body.find("members = {"))]
    names = re.findall(r'\{"(\w+)",\s*(?:caf::actor_cast<\w+>\()?p\.\w+\)?\}', fan_out)
    if not names:
        return ["actors/health_handlers.cpp: the actors /health asks were not found"]
    health = section(read(root, "docs/api.md"), "## GET /health")
    edge = read(root, "docs/actors/http_edge.md")
    edge_line = next((l for l in edge.splitlines() if l.startswith("- `handle_health`")), "")
    problems = []
    for n in names:
        if "`%s`" % n not in health and '"%s"' % n not in health:
            problems.append("docs/api.md: '## GET /health' does not name the member %s" % n)
        if "`%s`" % n not in edge_line:
            problems.append("docs/actors/http_edge.md: the handle_health line does not name %s" % n)
    return problems


CODE_ROW = re.compile(r'^\s*\{"(\w+)",\s*(true|false),\s*"', re.M)
DOC_CODE_ROW = re.compile(r"^\| `(\w+)` \| (yes|no) \|", re.M)
RAISED = [
    re.compile(r'task_failure\([^,;]+,\s*"(\w+)"'),
    re.compile(r'(?:vector|raster)_rejected\(\s*"(\w+)"'),
    re.compile(r'\bset\("(\w+)"'),
    re.compile(r'\br\.code = "(\w+)"'),
    re.compile(r'end_with\(self, "failed",\s*"(\w+)"'),
    re.compile(r'error_code = "(\w+)"'),
    re.compile(r'\{job_id, "failed", \d+, "(\w+)"'),
]


def check_failure_codes(root):
    table = {c: v == "true" for c, v in CODE_ROW.findall(read(root, "messages/failure_codes.hpp"))}
    if not table:
        return ["messages/failure_codes.hpp: no codes found"]
    doc = {c: v == "yes" for c, v in DOC_CODE_ROW.findall(read(root, "docs/api.md"))}
    problems = []
    for code, retryable in sorted(table.items()):
        if code not in doc:
            problems.append("docs/api.md: the failure code %s is not in the table of codes" % code)
        elif doc[code] != retryable:
            problems.append("docs/api.md: the failure code %s says retryable %s, the code %s"
                            % (code, "yes" if doc[code] else "no", "yes" if retryable else "no"))
    problems += ["docs/api.md: the table of codes lists %s, which messages/failure_codes.hpp "
                 "does not" % c for c in sorted(set(doc) - set(table))]
    sources = [p for folder in ("io", "actors", "persistence")
               for p in glob.glob(os.path.join(root, folder, "**", "*.cpp"), recursive=True)]
    for path in sorted(sources):
        text = read(root, os.path.relpath(path, root))
        for pattern in RAISED:
            for code in pattern.findall(text):
                if code not in table:
                    problems.append("%s: raises the code %s, which messages/failure_codes.hpp "
                                    "does not list" % (os.path.relpath(path, root), code))
    return sorted(set(problems))


def check_architecture_links(root):
    arch = read(root, "docs/architecture.md")
    problems = []
    for path in sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True)):
        rel = os.path.relpath(path, os.path.join(root, "docs"))
        if rel != "architecture.md" and "](%s" % rel not in arch:
            problems.append("docs/architecture.md: no link to %s" % rel)
    return problems


INTERFACES_MARK = "<!-- interfaces: copied from actors/actor_types.hpp"


def check_interfaces_copy(root):
    header = read(root, "actors/actor_types.hpp")
    start = header.find("/// The typed interface of a pool running")
    end = header.rfind("}  // namespace gp")
    if start < 0 or end < 0:
        return ["actors/actor_types.hpp: the interfaces were not found"]
    arch = read(root, "docs/architecture.md")
    mark = arch.find(INTERFACES_MARK)
    if mark < 0:
        return ["docs/architecture.md: the copy of the actor interfaces is missing"]
    body_start = arch.find("```cpp\n", mark) + len("```cpp\n")
    body_end = arch.find("```", body_start)
    if header[start:end].rstrip() != arch[body_start:body_end].rstrip():
        return ["docs/architecture.md: its copy of the actor interfaces differs from "
                "actors/actor_types.hpp (copy the header's block again)"]
    return []


TRANSITION = re.compile(r"\{phase::(\w+), phase::(\w+)\}")
ARROW = re.compile(r"^\s*(\w+) --> (\w+)", re.M)


def check_request_phases(root):
    code = read(root, "actors/request_state.hpp")
    start = code.find("constexpr transition transitions[]")
    table = code[start: code.find("};", start)] if start >= 0 else ""
    in_code = {t for t in TRANSITION.findall(table) if t[1] != "ended"}
    doc = read(root, "docs/actors/request.md")
    m = re.search(r"```mermaid\n(.*?)```", doc, re.S)
    drawn = {a for a in ARROW.findall(m.group(1) if m else "") if a[1] != "ended"}
    if not in_code:
        return ["actors/request_state.hpp: no table `transitions` of {phase::from, phase::to} pairs"]
    problems = ["docs/actors/request.md: the state diagram lacks %s --> %s, which "
                "actors/request_state.hpp allows" % t for t in sorted(in_code - drawn)]
    problems += ["docs/actors/request.md: the state diagram draws %s --> %s, which "
                 "actors/request_state.hpp does not allow" % t for t in sorted(drawn - in_code)]
    return problems


# Built from pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "/" + "work/", r"\.\./\.\./\.\./"]))


def check_self_contained(root):
    problems = []
    for folder in ("tests", "scripts", "bench", ".ci"):
        for path in sorted(glob.glob(os.path.join(root, folder, "**", "*"), recursive=True)):
            if not os.path.isfile(path) or os.path.splitext(path)[1] not in (
                    "", ".py", ".sh", ".cpp", ".hpp", ".txt", ".lua", ".cmake"):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if OUTSIDE.search(line):
                        problems.append("%s:%d: reads outside the repository: %s"
                                        % (os.path.relpath(path, root), n, line.strip()))
    return problems


CONFIG_NUMBER = re.compile(r'\b(?:integer|flag)\(\s*"(\w+)",\s*"(\w+)",\s*([^,\s]+)')
CONFIG_TEXT = re.compile(r'\btext\(\s*"(\w+)",\s*"(\w+)",\s*"((?:[^"\\]|\\.)*)"')
CONFIG_OPTIONAL = re.compile(r'\boptional_text\(\s*"(\w+)",\s*"(\w+)"')
CONFIG_ROW = re.compile(r"^\| (\w+) \| (\w+) \| `(GEOPLATFORM_\w+)` \| (`[^|]*`|[^|]*) \|", re.M)


def check_config_table(root):
    src = read(root, "app/config.cpp")
    keys = {}
    for m in CONFIG_NUMBER.finditer(src):
        keys[(m.group(1), m.group(2))] = m.group(3)
    for m in CONFIG_TEXT.finditer(src):
        keys[(m.group(1), m.group(2))] = m.group(3).replace('\\"', '"')
    for m in CONFIG_OPTIONAL.finditer(src):
        keys[(m.group(1), m.group(2))] = ""
    if not keys:
        return ["app/config.cpp: no configuration keys were found"]
    rows = {(m.group(1), m.group(2)): (m.group(3), m.group(4).strip())
            for m in CONFIG_ROW.finditer(read(root, "docs/configuration.md"))}
    problems = []
    for (section, key), default in sorted(keys.items()):
        name = "%s.%s" % (section, key)
        if (section, key) not in rows:
            problems.append("docs/configuration.md: the key %s has no row" % name)
            continue
        env, shown = rows[(section, key)]
        want = "GEOPLATFORM_%s_%s" % (section.upper(), key.upper())
        if env != want:
            problems.append("docs/configuration.md: %s names %s, the code reads %s"
                            % (name, env, want))
        value = shown[1:-1] if shown.startswith("`") and shown.endswith("`") else shown
        if default == "" and value in ("", '""', "empty"):
            continue
        if value != default:
            problems.append("docs/configuration.md: %s defaults to %r there, %r in the code"
                            % (name, value, default))
    for section, key in sorted(set(rows) - set(keys)):
        problems.append("docs/configuration.md: lists %s.%s, which app/config.cpp does not have"
                        % (section, key))
    return problems


CHECKS = [check_schema_version, check_routes, check_health_members, check_failure_codes,
          check_architecture_links, check_interfaces_copy, check_request_phases,
          check_config_table, check_self_contained]


def problems_in(root):
    out = []
    for check in CHECKS:
        out += check(root)
    return out


if __name__ == "__main__":
    from report import run
    sys.exit(run("drift", problems_in))
