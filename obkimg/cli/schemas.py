"""``obkimg validate-json``: check a saved ``--json`` document against the installed JSON Schemas."""

from __future__ import annotations

import json

import click

from ..errors import FormatError


@click.command("validate-json")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
@click.option(
    "--schema", "name", default=None, help="Schema name (e.g. info.v1); default: the one the document names."
)
def validate_json(files: tuple[str, ...], name: str | None) -> None:
    """Validate saved obkimg JSON documents against the schemas installed with obkimg.

    Cross-references between schemas are resolved; exit 1 names the first failing field.
    """
    import sys

    from .. import schemas
    from ..source import read_bytes

    for path in files:
        data, _ = read_bytes(sys.stdin.buffer if path == "-" else path)  # bounded, like every input
        try:
            doc = json.loads(data.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise FormatError(f"{path} is not JSON: {e}", fmt="json") from None
        except RecursionError:
            raise FormatError(f"{path} is nested too deep to be an obkimg document", fmt="json") from None
        schema = name or schemas.name_of(doc)
        schemas.validate(doc, schema)
        click.echo(f"{path}: valid {schema}")
