"""``obkimg partitions show|build|export``: BL602 partition tables (BFPT) and the vendor TOML."""

from __future__ import annotations

import click

from ..text import escape_text
from ._common import emit_json, input_argument, json_option, output_option, read_data, write_output


@click.group()
def partitions() -> None:
    """Show / build / export BL602 partition tables."""


@partitions.command()
@input_argument()
@json_option
def show(file: str, as_json: bool) -> None:
    """The partition table of FILE: a flash dump (both copies, the active one), a partition.bin or a TOML."""
    from ..ota import table_from

    ts = table_from(read_data(file))
    if as_json:
        emit_json(ts.to_dict())
        return
    click.echo(f"source: {escape_text(ts.description)}")
    click.echo(f"layout: {ts.layout}")
    for i, c in enumerate(ts.copies):
        state = "valid" if c.valid else "erased" if c.erased else "INVALID"
        age = c.table.age if c.table else "-"
        click.echo(
            f"copy {i} at {c.offset:#07x}: {state}, age {age}{'  (active)' if i == ts.active_copy else ''}"
        )
    click.echo(
        f"{'name':<8} {'type':>4} {'address0':>10} {'size0':>9} {'address1':>10} {'size1':>9} "
        f"{'active':>6} {'len':>8} {'age':>4}"
    )
    for e in ts.table.entries:
        click.echo(
            f"{escape_text(e.name):<8} {e.type:>4} {e.address[0]:#010x} {e.size[0]:#9x} {e.address[1]:#010x} "
            f"{e.size[1]:#9x} {e.active_index:>6} {e.length:#8x} {e.age:>4}"
        )


@partitions.command()
@input_argument("toml")
@output_option()
@click.option("--sector", is_flag=True, help="Write both copies as an 8 KiB region (copy at 0 and 0x1000).")
@click.option(
    "--allow-overlap",
    is_flag=True,
    help="Build a table whose slots overlap, end past 4 GiB or hold several type-0 (FW) entries.",
)
def build(toml: str, output: str, force: bool, sector: bool, allow_overlap: bool) -> None:
    """Build partition.bin from a vendor partition TOML (byte-identical to bflb-iot-tool).

    Overlapping slots, slots past 4 GiB and more than one FW (type 0) entry are refused unless
    --allow-overlap is given (for a table a vendor really ships)."""
    from ..formats.bl602.partitions import table_from_toml

    table, _addrs = table_from_toml(read_data(toml), allow_overlap=allow_overlap)
    raw = table.build()
    if sector:
        raw = raw.ljust(0x1000, b"\xff") * 2
    write_output(output, raw, force=force, inputs=(toml,))


@partitions.command()
@input_argument()
@output_option()
def export(file: str, output: str, force: bool) -> None:
    """Write the (active) partition table of FILE as vendor TOML."""
    from ..formats.bl602.partitions import table_to_toml
    from ..ota import table_from

    ts = table_from(read_data(file))
    write_output(
        output,
        table_to_toml(ts.table, comment=f"exported by obkimg from {file}: {ts.description}"),
        force=force,
        inputs=(file,),
    )
