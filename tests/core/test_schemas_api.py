"""obkimg.schemas: the installed contracts load, resolve their cross-references and validate real output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import obkimg.schemas as schemas
from obkimg.errors import FormatError, NotFoundError, ObkImgError

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"


def test_every_schema_file_is_reachable_by_name() -> None:
    on_disk = {
        str(p.relative_to(ROOT / "schemas")).removesuffix(".schema.json")
        for p in (ROOT / "schemas").rglob("*.schema.json")
    }
    assert set(schemas.names()) == on_disk and len(on_disk) > 20


@pytest.mark.parametrize("name", schemas.names())
def test_each_schema_is_valid_draft_2020_12(name: str) -> None:
    import jsonschema

    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].startswith("urn:obkimg:")


def test_validate_info_document_with_details_cross_reference() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "obkimg", "info", "--json", str(DEMO)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    doc = json.loads(out)
    assert schemas.name_of(doc) == "info.v1"
    schemas.validate(doc)  # resolves urn:obkimg:… references; raises on mismatch
    doc["details"]["chip"] = 7231  # the details schema is applied too
    with pytest.raises(FormatError) as err:
        schemas.validate(doc)
    assert "details/bk7231-dump.v1" in str(err.value)


def test_validate_names_the_failing_field() -> None:
    with pytest.raises(FormatError) as err:
        schemas.validate({"schema": "obkimg.error/1", "error": {"type": 5}})
    assert err.value.path is not None


def test_unknown_names_are_obkimg_errors() -> None:
    with pytest.raises(NotFoundError):
        schemas.load("nope.v9")
    with pytest.raises(FormatError):
        schemas.name_of({"schema": 3})


def test_cli_validate_json(tmp_path: Path) -> None:
    good = tmp_path / "info.json"
    good.write_text(
        subprocess.run(
            [sys.executable, "-m", "obkimg", "info", "--json", str(DEMO)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    ok = subprocess.run(
        [sys.executable, "-m", "obkimg", "validate-json", str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.strip() == f"{good}: valid info.v1"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "obkimg.info/1", "kind": 3}))
    r = subprocess.run(
        [sys.executable, "-m", "obkimg", "validate-json", str(bad)], capture_output=True, text=True
    )
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "does not match info.v1" in r.stderr


@pytest.mark.parametrize(
    ("name", "content", "extra", "code"),
    [
        ("missing.json", None, (), 2),  # was exit 3 (FileNotFoundError)
        ("deep.json", "[" * 100_000 + "]" * 100_000, (), 1),  # was exit 3 (RecursionError)
        ("list.json", "[1]", ("--schema", "info.v1"), 1),  # was exit 3 (AttributeError)
    ],
)
def test_cli_validate_json_bad_input_is_exit_1_or_2(
    tmp_path: Path, name: str, content: str | None, extra: tuple[str, ...], code: int
) -> None:
    from tests.secrets.leaks import run_main

    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    got, out, err = run_main("validate-json", *extra, str(path))
    assert got == code, err
    assert "internal error" not in err and len(err.strip().splitlines()) <= 4


def test_validate_refuses_a_document_that_is_not_an_object() -> None:
    for doc in ([1], 5, "x", None):
        with pytest.raises(ObkImgError):
            schemas.validate(doc, "info.v1")  # type: ignore[arg-type]
