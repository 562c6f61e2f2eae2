"""``obkimg ota pack|unpack|check``: BL602 OTA files (``.xz.ota``, ``.ota``) of OpenBeken / the SDK."""

from __future__ import annotations

import click

from ._common import (
    INT,
    emit_json,
    input_argument,
    json_option,
    note,
    output_option,
    read_data,
    write_output,
)


@click.group()
def ota() -> None:
    """Pack / unpack / check BL602 OTA files (.ota, .xz.ota)."""


@ota.command()
@input_argument("firmware")
@output_option()
@click.option("--raw", is_flag=True, help="Uncompressed payload (.ota) instead of XZ (.xz.ota).")
@click.option(
    "--sw-version", default="EVENT_V1.1.1", show_default=True, help="version_software (max 15 chars)."
)
@click.option(
    "--hw-version", default="BFL_Module_v1.1", show_default=True, help="version_hardware (max 15 chars)."
)
@click.option(
    "--unpacked-len", is_flag=True, help="Write OpenBeken's unpacked_len (length of FW_OTA.bin) at 96."
)
@click.option(
    "--against",
    "--partition-table",
    "against",
    type=click.Path(dir_okay=False, exists=True),
    help="Dump, partition.bin or partition TOML: refuse to pack what does not fit its FW slots.",
)
@click.option(
    "--header-from",
    type=click.Path(dir_okay=False, exists=True),
    help="Take flash/clock config and boot_cfg of the new boot header from this dump or FW_OTA.bin "
    "(default: bflb-iot-tool's generic header).",
)
def pack(
    firmware: str,
    output: str,
    force: bool,
    raw: bool,
    sw_version: str,
    hw_version: str,
    unpacked_len: bool,
    against: str | None,
    header_from: str | None,
) -> None:
    """Pack FIRMWARE (an OpenBL602 .bin, a FW_OTA.bin, a FW partition or a whole dump) into an OTA file.

    The XZ settings are bflb-iot-tool's (CRC32, one LZMA2 block, 32 KiB dictionary), which is what boot2
    can unpack; the result is byte-identical to the vendor tool for the same input.
    """
    from .. import ota as lib

    template = lib.template_from(read_data(header_from)) if header_from else None
    res = lib.pack(
        read_data(firmware),
        raw=raw,
        sw_version=sw_version,
        hw_version=hw_version,
        unpacked_len=unpacked_len,
        against=read_data(against) if against else None,
        template=template,
    )
    write_output(output, res.ota, force=force, inputs=(firmware,))
    note(f"input: {res.input.source}{' - ' + res.input.note if res.input.note else ''}")
    note(f"FW_OTA.bin {len(res.fw_ota)} bytes -> {res.compression} payload {len(res.payload)} bytes")
    if res.check is not None:
        for line in res.check.lines():
            note(line)


@ota.command()
@input_argument()
@output_option()
@click.option("--bare", is_flag=True, help="Write the image without its boot header (img_len bytes).")
@click.option("--limit", type=INT, default=None,
              help="Largest unpacked size accepted, a positive number of bytes (default 16M).")
def unpack(file: str, output: str, force: bool, bare: bool, limit: int | None) -> None:
    """Unpack an .xz.ota / .ota / FW_OTA.bin.xz to FW_OTA.bin (boot header + 0xFF to 4 KiB + image)."""
    from .. import ota as lib
    from ..codecs.compress import DEFAULT_LIMIT

    if limit is not None and limit <= 0:
        raise click.BadParameter(f"{limit} allows nothing; give a positive number of bytes (default 16M)",
                                 param_hint="'--limit'")
    res = lib.unpack(read_data(file), limit=DEFAULT_LIMIT if limit is None else limit)
    write_output(output, res.image if bare else res.fw_ota, force=force, inputs=(file,))
    h = res.boot.header
    note(
        f"{res.compression} payload -> FW_OTA.bin {len(res.fw_ota)} bytes; image {h.img_len} bytes, "
        "header CRC "
        f"{h.crc_state}, image hash {res.boot.hash_state()}"
    )


@ota.command()
@input_argument()
@click.option(
    "--against",
    "--partition-table",
    "against",
    required=True,
    type=click.Path(dir_okay=False, exists=True, allow_dash=True),
    help="Flash dump, partition.bin (one or two copies) or partition TOML of the device.",
)
@json_option
def check(file: str, against: str, as_json: bool) -> None:
    """Check that FILE (.xz.ota / .ota / .xz) fits the device: the stream must fit the FW slot it is written
    to (slot 1), the unpacked image the slot it runs from (slot 0). Exit 1 if it does not."""
    from .. import ota as lib

    res = lib.check(read_data(file), read_data(against))
    if as_json:
        emit_json(res.to_dict())
    else:
        for line in res.lines():
            click.echo(line)
    if not res.ok:
        raise click.exceptions.Exit(1)
