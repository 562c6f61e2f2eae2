"""``obkimg bk crypt``: the Beken BK7231 code cipher, any key, encrypt = decrypt."""

from __future__ import annotations

import click

from ._common import INT, input_argument, note, output_option, read_input, write_output
from ._secrets import mode_for


@click.group()
def bk() -> None:
    """BK7231 code encryption (crypt)."""


@bk.command("crypt")
@input_argument()
@output_option()
@click.option(
    "--key",
    default="tuya",
    show_default=True,
    help="32 hex digits or 4 words ('510fb093 a3cbeadc 5993a17e c7adeb03'), or tuya, uascent, zero.",
)
@click.option(
    "--address",
    type=INT,
    default=0x10000,
    show_default=True,
    help="Logical address of the first byte: 0x10000 for an app, 0 for a bootloader.",
)
def crypt_cmd(file: str, output: str, force: bool, key: str, address: int) -> None:
    """Encrypt or decrypt FILE (plain, not CRC-framed) for ADDRESS: the same operation both ways."""
    from ..bkcrypt import crypt, key_text
    from ..source import read_bytes

    data, _ = read_bytes(read_input(file))
    out, k = crypt(data, key, address)
    # a whole dump's config sectors come out keystream-XORed: anyone with the (public) key reads them back
    write_output(output, out, force=force, inputs=(file,), mode=mode_for(data))
    note(f"{len(data)} bytes at {address:#x} with key {key_text(k)}")
