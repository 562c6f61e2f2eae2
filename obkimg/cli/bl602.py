"""``obkimg bl602 header show|rebuild`` and ``obkimg bl602 build-flash``."""

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
def bl602() -> None:
    """BL602 boot header tools and whole-flash building."""


@bl602.group()
def header() -> None:
    """Show / rebuild BL602 boot headers (BFNP)."""


@header.command("show")
@input_argument()
@click.option("--offset", type=INT, default=None, help="Only the header at this offset.")
@json_option
def header_show(file: str, offset: int | None, as_json: bool) -> None:
    """Every boot header in FILE (a header, an image, or boot2 and FW slots of a dump)."""
    from ..bl602 import header_report

    doc = header_report(read_data(file), offset=offset)
    if as_json:
        emit_json(doc)
        return
    for h in doc["headers"]:
        hd = h["header"]
        bc = hd["boot_cfg"]
        click.echo(f"header at {h['offset']:#08x}: {h['role']}")
        click.echo(
            f"  boot_cfg {bc['word']:#010x} (sign {bc['sign']}, encrypt {bc['encrypt']}, crc_ignore "
            f"{int(bc['crc_ignore'])}, hash_ignore {int(bc['hash_ignore'])}, "
            f"no_segment {int(bc['no_segment'])})"
        )
        click.echo(
            f"  img_len {hd['img_len']}  img_start {hd['img_start']:#x}  entry {hd['boot_entry']:#x}  "
            f"code at {h['code_offset']:#x}"
            if h["code_offset"] is not None
            else f"  img_len {hd['img_len']}  img_start {hd['img_start']:#x}  (header only)"
        )
        click.echo(
            f"  clock: xtal {hd['clock']['xtal']}, pll {hd['clock']['pll']}, flash clk "
            f"{hd['clock']['flash_clk']}/{hd['clock']['flash_clk_div']}; flash io_mode "
            f"{hd['flash_cfg']['io_mode']:#04x} mfg_id {hd['flash_cfg']['mfg_id']:#04x}"
        )
        click.echo(
            f"  CRCs: flash_cfg {'ok' if hd['flash_cfg']['crc_ok'] else 'BAD'}, clk_cfg "
            f"{'ok' if hd['clock']['crc_ok'] else 'BAD'}, header {hd['crc_state']}; hash {h['hash_state']}"
        )
        click.echo(f"  hash {hd['hash']}")
        for p in h["problems"]:
            click.echo(f"  {p['severity']}: {p['message']}")


@header.command("rebuild")
@input_argument()
@output_option()
@click.option("--offset", type=INT, default=None, help="Only the header at this offset.")
@click.option(
    "--fill-ignored",
    is_flag=True,
    help="Also compute hash/CRC where the ignore bits keep the 0xDEADBEEF placeholder.",
)
def header_rebuild(file: str, output: str, force: bool, offset: int | None, fill_ignored: bool) -> None:
    """Recompute img_len, hash and the three CRCs of FILE's boot header(s)."""
    from ..bl602 import rebuild_headers

    out, changes = rebuild_headers(read_data(file), offset=offset, fill_ignored=fill_ignored)
    write_output(output, out, force=force, inputs=(file,))
    for line in changes:
        note(line)


@bl602.command("build-flash")
@click.option(
    "--pt",
    "table",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Partition TOML or partition.bin.",
)
@click.option(
    "--boot2", type=click.Path(dir_okay=False, exists=True), help="boot2 code or whole_img_boot2.bin."
)
@click.option("--firmware", type=click.Path(dir_okay=False, exists=True), help="Bare image or FW_OTA.bin.")
@click.option("--dtb", type=click.Path(dir_okay=False, exists=True), help="Factory DTB (ro_params.dtb).")
@click.option("--size", type=INT, default=None, help="Pad with 0xFF to this size (e.g. 2M).")
@output_option()
def build_flash(
    table: str,
    boot2: str | None,
    firmware: str | None,
    dtb: str | None,
    size: int | None,
    output: str,
    force: bool,
) -> None:
    """Build a whole flash image (like bflb-iot-tool's whole_flash_data.bin) from its parts."""
    from ..bl602 import build_flash_image

    out = build_flash_image(
        read_data(table),
        boot2=read_data(boot2) if boot2 else None,
        firmware=read_data(firmware) if firmware else None,
        dtb=read_data(dtb) if dtb else None,
        size=size,
    )
    inputs = tuple(p for p in (table, boot2, firmware, dtb) if p)
    write_output(output, out, force=force, inputs=inputs)
