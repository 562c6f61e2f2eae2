"""``obkimg extract``: every region and container of a dump as files, plus manifest.json."""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, note, read_input


@click.command()
@input_argument()
@click.option(
    "-d",
    "--dir",
    "folder",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder (created; must be empty unless --force).",
)
@click.option("--kind", metavar="FORMAT", help="Force the format id instead of detecting it.")
@click.option("--no-regions", is_flag=True, help="Only decoded containers and configs, no raw region slices.")
@click.option("--force", is_flag=True, help="Write into a non-empty folder, replacing files.")
@json_option
def extract(file: str, folder: str, kind: str | None, no_regions: bool, force: bool, as_json: bool) -> None:
    """Write every region and container of FILE (decrypted app, bootloader, RBL payloads, BL602 firmware,
    DTB, Tuya storage JSON, OBK config) into a folder, with manifest.json.

    The Tuya storage JSON and the OBK config hold your Wi-Fi password and keys: keep the folder private.
    """
    from ..extract import extract as do_extract
    from ..extract import write_extraction

    result = do_extract(read_input(file), kind=kind, regions=not no_regions)
    write_extraction(result, folder, force=force, inputs=(file,))
    manifest = result.manifest()
    if as_json:
        emit_json(manifest)
        return
    for f in manifest["files"]:
        click.echo(f"{f['size']:>9}  {f['name']:<44} {f['description']}")
    note(f"wrote {len(manifest['files'])} files and manifest.json to {folder}")
