"""``obkimg formats``: every supported format, its references and limitations."""

from __future__ import annotations

import click

from ._common import emit_json, json_option


@click.command()
@json_option
def formats(as_json: bool) -> None:
    """Every supported format, with references and limitations."""
    from ..detect import list_formats

    infos = list_formats()
    if as_json:
        emit_json({"schema": "obkimg.formats/1", "formats": [i.to_dict() for i in infos]})
        return
    for i in infos:
        aliases = f" (also {', '.join(i.aliases)})" if i.aliases else ""
        click.echo(f"{i.id}{aliases}: {i.name} [{i.family}]")
        click.echo(f"    {i.description}")
        for ref in i.references:
            click.echo(f"    ref: {ref}")
        for lim in i.limitations:
            click.echo(f"    limitation: {lim}")
