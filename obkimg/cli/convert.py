"""``obkimg convert qio2ua|ua2qio|bin2hex|hex2bin``: BK7231 QIO ⇄ UA, binary ⇄ Intel HEX."""

from __future__ import annotations

import click

from ._common import INT, input_argument, note, output_option, read_input, write_output


@click.group()
def convert() -> None:
    """QIO <-> UA (BK7231 app for flashing at 0x11000), binary <-> Intel HEX."""


@convert.command("qio2ua")
@input_argument()
@output_option(help="Where to write the UA image ('-' for stdout).")
@click.option(
    "--trim/--no-trim",
    default=False,
    show_default=True,
    help="--no-trim: QIO[0x11000:] up to the app trailer (what flashers write). --trim: the "
    "CRC-framed app blocks only (ltchiptool 'CRC/UA App').",
)
def qio2ua(file: str, output: str, force: bool, trim: bool) -> None:
    """The UA image of FILE (a QIO image or a flash dump)."""
    from ..convert import qio_to_ua

    write_output(output, qio_to_ua(read_input(file), trim=trim), force=force, inputs=(file,))


@convert.command("ua2qio")
@input_argument()
@click.option(
    "--bootloader-from",
    "boot",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=False, exists=True),
    help="QIO image, flash dump or CRC-framed bootloader of the same chip and code key.",
)
@output_option(help="Where to write the QIO image ('-' for stdout).")
@click.option(
    "--allow-mismatch",
    is_flag=True,
    help="Combine a bootloader and an app of different chips or code keys anyway.",
)
def ua2qio(file: str, boot: str, output: str, force: bool, allow_mismatch: bool) -> None:
    """A QIO image from the UA image FILE and the bootloader region of --bootloader-from.

    A bootloader of another chip (T vs N) or code key is refused; --allow-mismatch combines them anyway.
    --force only allows overwriting an existing output.
    """
    from ..convert import ua_to_qio

    qio = ua_to_qio(read_input(file), boot, allow_mismatch=allow_mismatch)
    write_output(output, qio, force=force, inputs=(file, boot))


@convert.command("bin2hex")
@input_argument()
@output_option(help="Where to write the Intel HEX text ('-' for stdout).")
@click.option(
    "--base",
    type=INT,
    default=0,
    show_default=True,
    help="Load address of the first byte (0x11000 for a UA image, 0 for a QIO).",
)
def bin2hex(file: str, output: str, force: bool, base: int) -> None:
    """Intel HEX text of the binary FILE placed at --base."""
    from ..convert import bin_to_hex
    from ..source import load
    from ._secrets import mode_for

    data = load(read_input(file)).data
    write_output(output, bin_to_hex(data, base), force=force, inputs=(file,), mode=mode_for(data))


@convert.command("hex2bin")
@input_argument()
@output_option(help="Where to write the binary ('-' for stdout).")
def hex2bin(file: str, output: str, force: bool) -> None:
    """The binary of the Intel HEX FILE, from its lowest address (gaps filled with 0xFF)."""
    from ..convert import hex_to_bin
    from ..source import read_bytes

    text, _ = read_bytes(read_input(file), allow_hex=True)
    base, data = hex_to_bin(text)
    from ._secrets import mode_for

    write_output(output, data, force=force, inputs=(file,), mode=mode_for(data))
    note(f"base address {base:#x}")
