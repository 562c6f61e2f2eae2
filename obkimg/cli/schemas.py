"""``obkimg validate-json``: check a saved ``--json`` document against the installed JSON Schemas."""

from __future__ import annotations

import json

import click

from ..errors import FormatError


@click.command("validate-json")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--schema", "name", default=None, help="Schema name (e.g. info.v1); default: the one the document names."
)
def validate_json(files: tuple[str, ...], name: str | None) -> None:
    """Validate saved obkimg JSON documents against the schemas installed with obkimg.

    Cross-references between schemas are resolved; exit 1 names the first failing field.
    """
    from .. import schemas

    for path in files:
        with click.open_file(path, encoding="utf-8") as f:
            try:
                doc = json.load(f)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise FormatError(f"{path} is not JSON: {e}", fmt="json") from None
        schema = name or schemas.name_of(doc)
        schemas.validate(doc, schema)
        click.echo(f"{path}: valid {schema}")
