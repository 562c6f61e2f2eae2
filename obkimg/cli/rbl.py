"""``obkimg rbl unpack|pack``: RBL OTA files (``*.rbl``, RT-Thread OTA packaging)."""

from __future__ import annotations

import click

from ._common import INT, input_argument, note, output_option, read_data, read_input, write_output

_KEY_HELP = "AES-256 key: the 32 ASCII characters themselves (default: the Tuya/OpenBeken key)."
_IV_HELP = "AES-256-CBC IV: 16 ASCII characters (default: the Tuya/OpenBeken IV)."


@click.group()
def rbl() -> None:
    """Unpack / pack RBL OTA containers (.rbl): gzip + AES-256-CBC, CRC-32 and FNV-1a checked."""


@rbl.command("unpack")
@input_argument()
@output_option(help="Where to write the plain app ('-' for stdout).")
@click.option("--key", default=None, help=_KEY_HELP)
@click.option("--iv", default=None, help=_IV_HELP)
def unpack_cmd(file: str, output: str, force: bool, key: str | None, iv: str | None) -> None:
    """Decrypt and decompress FILE (an .rbl) to the plain app, verifying every checksum."""
    from ..containers import rbl_unpack

    app = rbl_unpack(read_data(file), key=key, iv=iv)
    write_output(output, app, force=force, inputs=(file,))


@rbl.command("pack")
@click.argument("app", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@output_option(help="Where to write the .rbl ('-' for stdout).")
@click.option("--version", "version", required=True, help="Version string for the header (max 23 chars).")
@click.option("--name", default="app", show_default=True, help="Partition name.")
@click.option("--compression", type=click.Choice(["gzip", "none"]), default="gzip", show_default=True)
@click.option("--encryption", type=click.Choice(["aes256", "none"]), default="aes256", show_default=True)
@click.option("--key", default=None, help=_KEY_HELP)
@click.option("--iv", default=None, help=_IV_HELP)
@click.option(
    "--timestamp",
    type=INT,
    default=None,
    help="Header timestamp, seconds since 1970 (default: $SOURCE_DATE_EPOCH, else now).",
)
@click.option(
    "--style",
    type=click.Choice(["rtota", "ltchiptool"]),
    default="rtota",
    show_default=True,
    help="rtota always PKCS#7-pads (RT-Thread tool, Tuya/OBK builds); ltchiptool pads only with AES.",
)
def pack_cmd(
    app: str,
    output: str,
    force: bool,
    version: str,
    name: str,
    compression: str,
    encryption: str,
    key: str | None,
    iv: str | None,
    timestamp: int | None,
    style: str,
) -> None:
    """Pack the plain app APP into an RBL OTA file, as rt_ota_packaging_tool_cli / ltchiptool do.

    The output depends only on the inputs and the timestamp: give --timestamp or set SOURCE_DATE_EPOCH
    for reproducible files.
    """
    from ..containers import rbl_pack
    from ..source import read_bytes

    data, _ = read_bytes(read_input(app))
    out = rbl_pack(
        data,
        name=name,
        version=version,
        compression=compression,
        encryption=encryption,
        key=key,
        iv=iv,
        timestamp=timestamp,
        style=style,
    )
    write_output(output, out, force=force, inputs=(app,))
    note(f"{name} {version}: {len(data)} -> {len(out)} bytes ({compression}+{encryption}, {style})")
