"""`.ci/run` lints before it tests, and runs the README's second quick-start command verbatim (issue 11)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        tomllib = pytest.importorskip("tomli")
    doc: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return doc


def test_ci_lints_then_runs_readme_command_two_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 -m venv \.venv && .*$", readme, re.M)
    assert len(commands) >= 2
    run = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in run  # verbatim, as a line of its own
    lint = next(i for i, line in enumerate(run) if "mypy --strict obkimg" in line)
    assert "ruff check" in run[lint] and "ruff format --check" in run[lint]
    assert lint < run.index(commands[1])  # before the tests


def test_mypy_is_strict_and_the_extras_carry_the_tools() -> None:
    doc = _pyproject()
    tool = doc["tool"]
    assert isinstance(tool, dict)
    mypy = tool["mypy"]
    assert mypy["strict"] is True and mypy["python_version"] == "3.10"
    assert any("intelhex" in o["module"] and o["ignore_missing_imports"] for o in mypy["overrides"])
    project = doc["project"]
    assert isinstance(project, dict)
    extras = project["optional-dependencies"]
    for extra in ("lint", "dev"):
        names = {re.split(r"[<>=;\[ ]", d)[0] for d in extras[extra]}
        assert {"ruff", "mypy", "construct-typing"} <= names, extra
