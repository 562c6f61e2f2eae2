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
    return sorted(p for p in REAL.rglob(pattern) if p.is_file() and not p.name.endswith((".json", ".txt", ".md")))


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
