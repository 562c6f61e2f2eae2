"""``obkimg check``: is a firmware safe to flash onto a device, and how is it written?"""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, read_input

_CHIP_NAMES = [
    "BK7231T",
    "BK7231S",
    "BK7231U",
    "BK7231N",
    "BK7231M",
    "BL2028N",
    "BK7231Q",
    "BK7238",
    "BK7252",
    "BK7252N",
    "BK7236",
    "BK7258",
    "BL602",
]
_MARK = {"pass": "ok  ", "fail": "FAIL", "unknown": "??  "}


@click.command()
@input_argument("firmware")
@click.option(
    "--for",
    "target",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="A dump (or QIO image / BL602 partition table) of the device to flash. Needed for SAFE: "
    "the device's code key and partition sizes come from it.",
)
@click.option(
    "--chip",
    type=click.Choice(_CHIP_NAMES, case_sensitive=False),
    help="The device's chip (settles a chip --for leaves open; one that contradicts --for gives "
    "CANNOT TELL). Alone it can prove a mismatch, never SAFE.",
)
@json_option
def check(firmware: str, target: str | None, chip: str | None, as_json: bool) -> None:
    """Check FIRMWARE before flashing it: chip family, chip, container (what the file is and where it is
    written), code key, size against the device's partitions, and every checksum.

    \b
    Verdicts:
      SAFE         (exit 0) every row ran and passed;
      NOT SAFE     (exit 1) a row failed: the reasons are listed;
      CANNOT TELL  (exit 1) something needed is unknown: it says what to give (e.g. --for DUMP).
    It also says how the file is written (UA at 0x11000, QIO at 0x0, UG/RBL and .xz.ota by OTA, a BL602
    FW image at its partition) and which conversion gives the other form (convert qio2ua / ua2qio,
    ota pack / unpack).
    """
    from ..check import SAFE, check_firmware

    if target is None and chip is None:
        raise click.UsageError("give the device: --for DUMP or --chip CHIP")
    rep = check_firmware(read_input(firmware), target=read_input(target) if target else None, chip=chip)
    if as_json:
        emit_json(rep.to_dict())
    else:
        for f in rep.findings:
            click.echo(
                f"{_MARK[f.status]}  {f.name:<10} {f.message}" + (f" [give: {f.needs}]" if f.needs else "")
            )
        if rep.write is not None:
            click.echo(f"write:      {rep.write.text}")
        for c in rep.conversions:
            click.echo(f"convert:    {c.command}  ({c.why})")
        click.echo(_verdict_line(rep))
    if rep.verdict != SAFE:
        raise click.exceptions.Exit(1)


def _verdict_line(rep: object) -> str:
    from ..check import CANNOT_TELL, NOT_SAFE, CheckReport

    assert isinstance(rep, CheckReport)
    if rep.verdict == NOT_SAFE:
        failed = [f.name for f in rep.findings if f.status == "fail"]
        return f"NOT SAFE to flash (failed: {', '.join(failed)})"
    if rep.verdict == CANNOT_TELL:
        return "CANNOT TELL whether it is safe: " + (rep.advice or "give more about the device")
    return "SAFE to flash"
