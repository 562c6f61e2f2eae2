"""The JSON Schemas of obkimg's ``--json`` documents, shipped inside the package.

Every document obkimg prints with ``--json`` names its contract in ``"schema"``
(``"obkimg.info/1"`` is ``info.v1.schema.json``, ``$id`` ``urn:obkimg:info:1``). Other tools validate
obkimg's output with one call, cross-references (``urn:obkimg:details:…``) resolved::

    import obkimg.schemas
    obkimg.schemas.validate(document)          # raises FormatError naming the failing field
    schema = obkimg.schemas.load("info.v1")    # the schema itself, as a dict

Validation needs the ``jsonschema`` package (``pip install "obkimg[schemas]"``); loading does not.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importlib.resources.abc is Python 3.11+; importlib.abc has it on 3.10 too
    from importlib.abc import Traversable

from .errors import FormatError, NotFoundError

__all__ = ["names", "load", "name_of", "registry", "validator", "validate"]

#: the folder the wheel ships the schemas in, inside the package
PACKAGED = "_schemas"


def _root() -> Traversable:
    packaged = resources.files("obkimg") / PACKAGED
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / "schemas"  # a source checkout
    if source.is_dir():
        return source
    raise NotFoundError("the JSON Schemas are not installed with this copy of obkimg", fmt="schemas")


def _files() -> dict[str, Traversable]:
    root = _root()
    found: dict[str, Traversable] = {}
    for folder, prefix in ((root, ""), (root / "details", "details/")):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(".schema.json"):
                found[prefix + entry.name.removesuffix(".schema.json")] = entry
    return found


def names() -> list[str]:
    """Every schema name, e.g. ``info.v1`` and ``details/bk7231-dump.v1``."""
    return sorted(_files())


@cache
def load(name: str) -> dict[str, Any]:
    """The schema ``name`` (``info.v1``, ``details/bk7231-dump.v1``) as a dict."""
    entry = _files().get(name)
    if entry is None:
        raise NotFoundError(
            f"no schema named {name!r}", fmt="schemas", hint="obkimg.schemas.names() lists them"
        )
    doc: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
    return doc


def name_of(document: dict[str, Any]) -> str:
    """The schema name a document declares: ``{"schema": "obkimg.info/1"}`` gives ``info.v1``."""
    declared = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(declared, str) or not declared.startswith("obkimg.") or "/" not in declared:
        raise FormatError("document has no obkimg schema name", fmt="json", path="schema")
    doc, version = declared.removeprefix("obkimg.").rsplit("/", 1)
    return f"{doc}.v{version}"


def _jsonschema() -> Any:
    try:
        jsonschema = importlib.import_module("jsonschema")
    except ImportError:
        raise NotFoundError(
            "validation needs the jsonschema package", fmt="schemas", hint='pip install "obkimg[schemas]"'
        ) from None
    return jsonschema


def registry() -> Any:
    """A ``referencing.Registry`` holding every schema under its ``$id``, for your own validators."""
    _jsonschema()
    from referencing import Registry, Resource

    return Registry().with_resources((load(n)["$id"], Resource.from_contents(load(n))) for n in names())


def validator(name: str) -> Any:
    """A ready ``jsonschema.Draft202012Validator`` for schema ``name``, cross-references resolved."""
    jsonschema = _jsonschema()
    return jsonschema.Draft202012Validator(load(name), registry=registry())


def validate(document: dict[str, Any], name: str | None = None) -> None:
    """Validate an obkimg ``--json`` document against its schema (the one it names, unless ``name``).

    For ``info`` documents the ``details`` object is also checked against
    ``details/<kind>.v1`` where that schema exists. Raises :class:`~obkimg.errors.FormatError`
    naming the first failing field.
    """
    if not isinstance(document, dict):
        raise FormatError(
            f"an obkimg document is a JSON object, not {type(document).__name__}",
            fmt="json",
            path="(document)",
        )
    name = name or name_of(document)
    checks = [(name, document)]
    if name == "info.v1" and isinstance(document.get("details"), dict):
        detail = f"details/{document.get('kind')}.v1"
        if detail in _files():
            checks.append((detail, document["details"]))
    for schema_name, doc in checks:
        error = next(iter(validator(schema_name).iter_errors(doc)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(document)"
            raise FormatError(f"does not match {schema_name}: {error.message}", fmt="json", path=where)
