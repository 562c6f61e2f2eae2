"""``obkimg check``: is a firmware safe to flash onto a device?"""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, read_input


@click.command()
@input_argument("firmware")
@click.option("--for", "target", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="A dump (or QIO image / BL602 partition table) of the device to flash.")
@click.option("--chip", type=click.Choice(["BK7231T", "BK7231N", "BK7231M", "BL2028N", "BK7231U", "BK7231Q",
                                           "BK7252", "BL602"], case_sensitive=False),
              help="The device's chip, when no dump is at hand (overrides the dump's).")
@json_option
def check(firmware: str, target: str | None, chip: str | None, as_json: bool) -> None:
    """Check FIRMWARE before flashing it: chip family, T/N variant, code key, QIO vs UA, OTA size
    against the device's partitions, and every checksum. Exit 0 when safe, 1 with the reasons otherwise.
    """
    from ..check import check_firmware

    if target is None and chip is None:
        raise click.UsageError("give the device: --for DUMP or --chip CHIP")
    rep = check_firmware(read_input(firmware), target=read_input(target) if target else None, chip=chip)
    if as_json:
        emit_json(rep.to_dict())
    else:
        mark = {"pass": "ok  ", "fail": "FAIL", "skipped": "skip"}
        for f in rep.findings:
            click.echo(f"{mark[f.status]}  {f.name:<10} {f.message}")
        click.echo("SAFE to flash" if rep.ok else "NOT safe to flash")
    if not rep.ok:
        raise click.exceptions.Exit(1)
