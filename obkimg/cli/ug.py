"""``obkimg ug unpack|pack``: Tuya UG wrappers (``*_UG_*.bin``, ``*.ug.bin``)."""

from __future__ import annotations

import click

from ._common import input_argument, output_option, read_data, read_input, write_output


@click.group()
def ug() -> None:
    """Unpack / pack Tuya UG wrappers (.ug.bin files) around RBL OTA files."""


@ug.command("unpack")
@input_argument()
@output_option(help="Where to write the wrapped .rbl ('-' for stdout).")
@click.option(
    "--app",
    "app_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Also write the plain app (decrypted, decompressed, hash checked) here.",
)
def unpack_cmd(file: str, output: str, force: bool, app_path: str | None) -> None:
    """Check both sums of FILE and write the RBL inside it (and with --app the plain app)."""
    from ..containers import ug_unwrap
    from ..errors import OutputError
    from ..fileio import same_file

    rbl, app = ug_unwrap(read_data(file), app=app_path is not None)
    if app_path is not None and app_path == "-" and output == "-":
        raise click.UsageError("only one of -o and --app can be '-'")
    if app_path is not None and app_path != "-" and same_file(app_path, output):
        raise OutputError(f"-o and --app both name {output}; the app would replace the RBL", fmt="output")
    write_output(output, rbl, force=force, inputs=(file,))
    if app_path is not None and app is not None:
        write_output(app_path, app, force=force, inputs=(file,))


@ug.command("pack")
@click.argument("rbl", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@output_option(help="Where to write the UG file ('-' for stdout).")
@click.option("--version", "version", required=True, help="Version string (max 12 chars).")
def pack_cmd(rbl: str, output: str, force: bool, version: str) -> None:
    """Wrap the RBL OTA file RBL into a Tuya UG file, as Tuya `package` does."""
    from ..containers import ug_wrap
    from ..source import read_bytes

    data, _ = read_bytes(read_input(rbl))
    write_output(output, ug_wrap(data, version), force=force, inputs=(rbl,))
