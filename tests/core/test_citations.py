"""Issue 10: a LICENSE matching pyproject; docstrings and `obkimg formats` cite public sources, not files
that are not in the repository (the project's shared specs and fixtures)."""

from __future__ import annotations

import ast
import json
import re

import tomllib

from obkimg.formats import modules
from tests.conftest import ROOT
from tests.hardening._cli import run

#: a path-like mention of something outside the repository
ABSENT = re.compile(
    r"\.\./shared|shared/(specs|fixtures)|specs/[\w-]+\.md|fixtures/|\b\w+\.md\b|fixture\b", re.I
)


def test_license_matches_pyproject() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c)" in text and "obkimg contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_formats_listing_cites_public_sources() -> None:
    r = run("formats", "--json")
    doc = json.loads(r.stdout)
    bad = [
        (f["id"], ref)
        for f in doc["formats"]
        for ref in [*f["references"], *f["limitations"], f["description"]]
        if ABSENT.search(ref) or re.search(r"\bspec [A-Z]?\d", ref)
    ]
    assert not bad
    assert all(f["references"] for f in doc["formats"])  # every format cites something
    for m in modules():
        assert m.FORMAT.references


def test_module_docstrings_cite_no_absent_files() -> None:
    bad = []
    for p in sorted((ROOT / "obkimg").rglob("*.py")):
        tree = ast.parse(p.read_text())
        docs = [
            ast.get_docstring(n)
            for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        for d in docs:
            if d and ABSENT.search(d.replace("README.md", "")):
                bad.append((str(p.relative_to(ROOT)), ABSENT.search(d.replace("README.md", "")).group(0)))
    assert not bad
