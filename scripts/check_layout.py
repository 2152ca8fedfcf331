#!/usr/bin/env python3
"""Checks the layout rules of docs/ARCHITECTURE.md against the code, from the source text alone:

- which top-level module may import which (the ALLOWED table below mirrors the document), and no import cycles
  between top-level modules or between the files of one folder;
- no file in src/ over 600 lines, no non-test function over 80 lines;
- the OpenAPI code (src/api/openapi*) at most 640 lines (v2 adds a dozen operations; their schemas sit beside their handlers).

Exit 1 with a list of the breaches. Run: python3 scripts/check_layout.py
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

# Top-level module -> the top-level modules it may import. Keep in step with docs/ARCHITECTURE.md.
ALLOWED = {
    "geodesy": set(),
    "i18n": set(),
    "domain": set(),
    "insights": set(),
    "index": {"domain", "geodesy"},
    "wire": {"domain", "geodesy"},
    "import": {"domain", "geodesy"},
    "store": set(),
    "overlay": {"domain"},
    "snapshot": {"domain", "index", "overlay"},
    "feed": {"domain", "geodesy", "overlay", "snapshot", "wire"},
    "live": {"domain", "feed", "geodesy", "import", "overlay", "snapshot", "store", "wire"},
    "settings": set(),
    "cli": {"settings", "geodesy"},
    "check": {"cli", "i18n", "import"},
    "api": {"domain", "feed", "geodesy", "i18n", "import", "index", "insights", "live", "overlay", "settings", "snapshot", "store", "wire"},
    "serve": {"api"},
    "app": {"api", "live", "serve", "settings", "store"},
    "token_cmd": {"cli", "store"},
    "main": {"app", "check", "cli", "token_cmd"},
    "lib": set(),
}
MAX_FILE_LINES = 600
MAX_FN_LINES = 80
MAX_SPEC_LINES = 640


def rust_files():
    for d, _, fs in os.walk(SRC):
        for f in sorted(fs):
            if f.endswith(".rs"):
                yield os.path.join(d, f)


def top_module(path):
    rel = os.path.relpath(path, SRC)
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def code_only(text):
    """The text before the first `#[cfg(test)]` module, without comments."""
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    return re.sub(r"//.*", "", text)


def crate_imports(text):
    """Top-level modules named by `crate::x` paths (in `use` lines and inline paths)."""
    found = set(re.findall(r"\bcrate::([a-z_0-9]+)", text))
    for group in re.findall(r"use crate::\{([^;]*)\};", text, flags=re.S):
        found |= set(re.findall(r"(?:^|[,{\s])([a-z_]+)(?=::|\s*[,}]|$)", group))
    return found - {"self"}


def file_imports(path, text):
    """Sibling files of one folder that this file names with `super::x` (or, in mod.rs, `x::` of its own children)."""
    names = set(re.findall(r"\bsuper::([a-z_]+)", text))
    return names


def cycles(graph):
    out, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                out.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return out


def functions_over(text, limit):
    lines = text.split("\n")
    cut = next((i for i, l in enumerate(lines) if l.strip() == "#[cfg(test)]"), len(lines))
    out = []
    for i, line in enumerate(lines[:cut]):
        m = re.match(r"^(\s*)(pub(\([^)]*\))? )?(async )?(const )?(unsafe )?fn (\w+)", line)
        if not m or line.rstrip().endswith(";"):
            continue
        indent = m.group(1)
        for j in range(i + 1, cut):
            if lines[j] == indent + "}":
                if j - i + 1 > limit:
                    out.append((m.group(7), i + 1, j - i + 1))
                break
    return out


def main():
    problems = []
    graph = {}
    folder_graphs = {}
    spec_lines = 0
    for path in rust_files():
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        n = text.count("\n")
        if n > MAX_FILE_LINES:
            problems.append(f"{rel}: {n} lines (at most {MAX_FILE_LINES})")
        for name, line, length in functions_over(text, MAX_FN_LINES):
            problems.append(f"{rel}:{line}: fn {name} is {length} lines (at most {MAX_FN_LINES})")
        if os.path.relpath(path, SRC).startswith(os.path.join("api", "openapi")):
            spec_lines += n
        top = top_module(path)
        code = code_only(text)
        uses = crate_imports(code) - {top}
        graph.setdefault(top, set()).update(uses)
        allowed = ALLOWED.get(top)
        if allowed is None:
            problems.append(f"{rel}: top-level module {top!r} is not in the ALLOWED table")
        elif top != "lib":
            for u in sorted(uses - allowed):
                problems.append(f"{rel}: {top} may not import crate::{u}")
        folder = os.path.dirname(path)
        if folder != SRC:
            me = os.path.basename(path)[:-3]
            if me != "mod":
                folder_graphs.setdefault(folder, {}).setdefault(me, set()).update(
                    file_imports(path, code) - {me}
                )
    for c in cycles(graph):
        problems.append("import cycle between top-level modules: " + " -> ".join(c))
    for folder, g in folder_graphs.items():
        for c in cycles(g):
            problems.append(f"import cycle in {os.path.relpath(folder, ROOT)}: " + " -> ".join(c))
    if spec_lines > MAX_SPEC_LINES:
        problems.append(f"src/api/openapi*: {spec_lines} lines (at most {MAX_SPEC_LINES})")
    for p in problems:
        print(p)
    print(f"layout: {len(problems)} problem(s); OpenAPI code {spec_lines} lines")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
