"""Imports run one way: core -> formats -> workflows -> CLI, with no cycles (docs/architecture.md, issue 11).

The import graph is read from the sources (every ``import`` statement, ``TYPE_CHECKING`` ones included),
so the test needs no import of the package.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "obkimg"
CORE = (
    "obkimg.secrets",
    "obkimg.errors",
    "obkimg.model",
    "obkimg._construct",
    "obkimg._record",
    "obkimg.text",
    "obkimg.tomlio",
    "obkimg.codecs",
)

#: no cycle is allowed (the set is empty; it names the form an exception would take)
PENDING_CYCLES: set[frozenset[str]] = set()
#: the one format -> workflow edge left: a type-only import (under TYPE_CHECKING) of the ChipId result
#: that the BK7231 model carries; no run-time edge, and no new edge may join it
PENDING_FORMATS_TO_WORKFLOWS = {("obkimg.formats.bk7231.image", "obkimg.chipid")}
#: every CLI module calls workflows or the public API only
PENDING_CLI: set[str] = set()


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _graph() -> dict[str, set[str]]:
    paths = {_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".")
                if node.level:
                    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in paths else mod for a in node.names]
            for t in targets:
                while t not in paths and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t.startswith("obkimg") and t not in (name, "obkimg"):
                    deps.add(t)
        graph[name] = deps
    return graph


def _layer(mod: str) -> str:
    if mod.startswith(CORE):
        return "core"
    if mod.startswith("obkimg.formats"):
        return "formats"
    return "cli" if mod.startswith("obkimg.cli") else "workflows"


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough for ~80 nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "obkimg.errors" in graph["obkimg.model"]  # the test can fail: it sees real edges
    assert "obkimg.formats" in graph["obkimg.detect"]


def test_no_import_cycles() -> None:
    assert [c for c in _cycles(_graph()) if c not in PENDING_CYCLES] == []


def test_core_imports_only_core() -> None:
    graph = _graph()
    bad = [(a, b) for a, deps in graph.items() if _layer(a) == "core" for b in deps if _layer(b) != "core"]
    assert bad == []


def test_formats_import_no_workflow() -> None:
    graph = _graph()
    bad = {
        (a, b)
        for a, deps in graph.items()
        if _layer(a) == "formats"
        for b in deps
        if _layer(b) in ("workflows", "cli") and b != "obkimg.source"  # source: the input helper
    }
    assert bad - PENDING_FORMATS_TO_WORKFLOWS == set()


def test_cli_imports_no_format_or_codec() -> None:
    graph = _graph()
    bad = [
        (a, b)
        for a, deps in graph.items()
        if a.startswith("obkimg.cli") and a not in PENDING_CLI
        for b in deps
        if b.startswith(("obkimg.formats", "obkimg.codecs"))
    ]
    assert bad == []
    assert not any(
        _layer(a) != "cli" and "obkimg.cli" in deps for a, deps in graph.items() if a != "obkimg.__main__"
    )
