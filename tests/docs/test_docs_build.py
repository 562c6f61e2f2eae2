"""The docs build stays clean: what `.ci/run`'s `sphinx -W` would fail on, checked without Sphinx.

Seen: README's "## Five journeys" became "## Six journeys" and the tutorial's include lost its
anchor (a CRITICAL error); CLI help showing a masked value as ``***`` started RST emphasis in the
generated CLI reference (8 warnings).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs"
_INCLUDE = re.compile(r"```\{include\} (?P<file>\S+)\n(?P<opts>(?::[\w-]+: .*\n)*)```")


def _includes() -> list[tuple[Path, Path, str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for m in _INCLUDE.finditer(page.read_text()):
            target = (page.parent / m["file"]).resolve()
            for opt in re.finditer(r":(start-after|end-before): \"?(.*?)\"?\n", m["opts"]):
                found.append((page, target, opt[1], opt[2]))
    return found


def test_every_include_anchor_exists() -> None:
    includes = _includes()
    assert includes, "the tutorial includes parts of README.md"
    missing = [
        f"{p.name}: {opt} {text!r} not in {t.name}"
        for p, t, opt, text in includes
        if text not in t.read_text()
    ]
    assert not missing, missing


def test_cli_help_stars_are_escaped_for_the_reference() -> None:
    spec = importlib.util.spec_from_file_location("_docs_conf", DOCS / "conf.py")
    if spec is None or spec.loader is None or importlib.util.find_spec("sphinx_click") is None:
        pytest.skip("docs extras (sphinx, sphinx-click) are not installed: pip install '.[docs]'")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    lines = [
        "--redact (the default) masks Wi-Fi SSIDs, passwords and keys as ***; --show-secrets prints them."
    ]
    conf._escape_rst_stars(None, None, lines)
    assert "***" not in lines[0] and r"\*\*\*" in lines[0]
