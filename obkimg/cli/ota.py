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
@click.option(
    "--raw/--xz",
    default=None,
    help="Uncompressed payload (.ota) or XZ (.xz.ota, the default; with --header-from OTA: as the original).",
)
@click.option(
    "--sw-version",
    default=None,
    help="version_software, max 15 chars (default EVENT_V1.1.1 or the original's).",
)
@click.option(
    "--hw-version",
    default=None,
    help="version_hardware, max 15 chars (default BFL_Module_v1.1 or the original's).",
)
@click.option(
    "--unpacked-len/--no-unpacked-len",
    default=None,
    help="Write OpenBeken's unpacked_len (length of FW_OTA.bin) at 96 (default: no, or as the original).",
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
    help="The original OTA (or the header `ota unpack --header-out` saved): keep its versions, payload "
    "type and vendor data. A dump or FW_OTA.bin: take flash/clock config and boot_cfg of the new boot "
    "header from it (default: bflb-iot-tool's generic header).",
)
def pack(
    firmware: str,
    output: str,
    force: bool,
    raw: bool | None,
    sw_version: str | None,
    hw_version: str | None,
    unpacked_len: bool | None,
    against: str | None,
    header_from: str | None,
) -> None:
    """Pack FIRMWARE (an OpenBL602 .bin, a FW_OTA.bin, a FW partition or a whole dump) into an OTA file.

    The XZ settings are bflb-iot-tool's (CRC32, one LZMA2 block, 32 KiB dictionary), which is what boot2
    can unpack; the result is byte-identical to the vendor tool for the same input. Re-packing what
    `ota unpack` wrote with --header-from ORIGINAL gives back the original file.
    """
    from .. import ota as lib

    template, ota_header = lib.templates_from(read_data(header_from)) if header_from else (None, None)
    res = lib.pack(
        read_data(firmware),
        raw=raw,
        sw_version=sw_version,
        hw_version=hw_version,
        unpacked_len=unpacked_len,
        against=read_data(against) if against else None,
        template=template,
        ota_header=ota_header,
    )
    inputs = tuple(i for i in (firmware, against, header_from) if i)
    write_output(output, res.ota, force=force, inputs=inputs)
    note(f"input: {res.input.source}{' - ' + res.input.note if res.input.note else ''}")
    note(f"FW_OTA.bin {len(res.fw_ota)} bytes -> {res.compression} payload {len(res.payload)} bytes")
    if res.check is not None:
        for line in res.check.lines():
            note(line)


@ota.command()
@input_argument()
@output_option()
@click.option("--bare", is_flag=True, help="Write the image without its boot header (img_len bytes).")
@click.option(
    "--limit",
    type=INT,
    default=None,
    help="Largest unpacked size accepted, a positive number of bytes (default 16M).",
)
@click.option(
    "--header-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also save the 512-byte OTA header (versions, vendor data) for `ota pack --header-from`.",
)
def unpack(
    file: str, output: str, force: bool, bare: bool, limit: int | None, header_out: str | None
) -> None:
    """Unpack an .xz.ota / .ota / FW_OTA.bin.xz to FW_OTA.bin (boot header + 0xFF to 4 KiB + image).

    `ota pack FW_OTA.bin --header-from FILE` (or --header-from the --header-out file) gives FILE back.
    """
    from .. import ota as lib

    if limit is not None and limit <= 0:
        raise click.BadParameter(
            f"{limit} allows nothing; give a positive number of bytes (default 16M)", param_hint="'--limit'"
        )
    res = lib.unpack(read_data(file), limit=limit)
    if header_out is not None:
        if res.header is None:
            raise click.UsageError(f"{file} has no OTA header (it is a bare XZ stream or FW_OTA.bin)")
        if header_out == output:
            raise click.UsageError("--header-out and -o name the same file")
    write_output(output, res.image if bare else res.fw_ota, force=force, inputs=(file,))
    if header_out is not None and res.header is not None:
        write_output(header_out, res.header.build(), force=force, inputs=(file, output))
        vd = res.header.vendor_data
        if vd is not None:
            note(f"the OTA header carries {vd[1]} bytes of vendor data at {vd[0]:#x}")
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
