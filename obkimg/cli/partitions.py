"""``obkimg partitions show|build|export``: BL602 partition tables (BFPT) and the vendor TOML."""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, output_option, read_data, write_output


@click.group()
def partitions() -> None:
    """Show / build / export BL602 partition tables."""


@partitions.command()
@input_argument()
@json_option
def show(file: str, as_json: bool) -> None:
    """The partition table of FILE: a flash dump (both copies, the active one), a partition.bin or a TOML."""
    from ..partitions import show_lines, table_from

    ts = table_from(read_data(file))
    if as_json:
        emit_json(ts.to_dict())
        return
    for line in show_lines(ts):
        click.echo(line)


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
    from ..partitions import build_table

    raw = build_table(read_data(toml), sector=sector, allow_overlap=allow_overlap)
    write_output(output, raw, force=force, inputs=(toml,))


@partitions.command()
@input_argument()
@output_option()
def export(file: str, output: str, force: bool) -> None:
    """Write the (active) partition table of FILE as vendor TOML."""
    from ..partitions import export_toml

    write_output(output, export_toml(read_data(file), file), force=force, inputs=(file,))
