"""Shared test fixtures: where the shared vectors live, skipping when they are absent, schema checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
SHARED = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")).resolve()
FIXTURES = SHARED / "fixtures"
REAL = FIXTURES / "real"

try:
    from hypothesis import settings

    settings.register_profile("ci", max_examples=200, deadline=None)
    settings.register_profile("dev", max_examples=50, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
except ImportError:  # pragma: no cover
    pass


def fixture_path(*parts: str) -> Path:
    """Path of a vendor-tool vector under ../shared/fixtures; skip the test when it is absent."""
    p = FIXTURES.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared fixture {p} is not present (clean clone without ../shared)")
    return p


def real_path(*parts: str) -> Path:
    """Path of a real public dump under ../shared/fixtures/real; skip when absent."""
    p = REAL.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real dump {p} is not present (clean clone without ../shared/fixtures/real)")
    return p


def real_files(pattern: str = "*") -> list[Path]:
    """Real files matching a glob under real/ (empty list when the folder is absent)."""
    if not REAL.exists():
        return []
    return sorted(
        p for p in REAL.rglob(pattern) if p.is_file() and not p.name.endswith((".json", ".txt", ".md"))
    )


def _registry():  # type: ignore[no-untyped-def]
    from referencing import Registry, Resource

    resources = []
    for p in SCHEMAS.rglob("*.schema.json"):
        schema = json.loads(p.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validate_schema(doc: object, name: str) -> None:
    """Validate ``doc`` against ``schemas/<name>.schema.json`` (e.g. name='info.v1').

    For info documents, ``details`` is also validated against ``schemas/details/<kind>.v1.schema.json``
    when that file exists.
    """
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, registry=_registry()).validate(doc)
    if name == "info.v1" and isinstance(doc, dict):
        detail_schema = SCHEMAS / "details" / f"{doc['kind']}.v1.schema.json"
        if detail_schema.exists():
            sub = json.loads(detail_schema.read_text())
            jsonschema.Draft202012Validator(sub, registry=_registry()).validate(doc["details"])


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.exists():
        pytest.skip("../shared/fixtures is not present")
    return FIXTURES


# --- Skips that explain themselves -------------------------------------------------------------
# In a clean clone (no ../shared beside it) several hundred tests cannot run. Instead of one line per
# test, with wording that varies ("got empty parameter set"), every such skip is folded into one of two
# reasons that say what is missing and how to get it, listed once each in the summary.
_HOW = "set OBKIMG_SHARED=/path/to/shared, or clone beside the workspace's shared/ folder, to run them"
MISSING_REAL = f"real public dumps absent: {REAL} does not exist; {_HOW}"
MISSING_VECTORS = f"vendor-tool vectors absent: {FIXTURES} does not exist; {_HOW}"
_MISSING_WORDS = (
    "not present",
    "got empty parameter set",
    "fixtures/real is not",
    "not found in ../shared",
    "absent",
    "no real ",
)


def _missing_reason(reason: str) -> str | None:
    """The uniform reason for a skip caused by an absent ../shared, or None for any other skip."""
    if FIXTURES.exists() and REAL.exists():
        return None
    for uniform in (MISSING_REAL, MISSING_VECTORS):
        if uniform in reason:
            return uniform
    if not any(w in reason for w in _MISSING_WORDS):
        return None
    if not FIXTURES.exists() and "real" not in reason and "empty parameter set" not in reason:
        return MISSING_VECTORS
    return MISSING_REAL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("skip")
        reason = marker.kwargs.get("reason", "") if marker else ""
        better = _missing_reason(reason)
        if better:
            item.add_marker(pytest.mark.skip(reason=better), append=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        better = _missing_reason(str(report.longrepr[2]))
        if better:
            report.longrepr = (__file__, 0, f"Skipped: {better}")
