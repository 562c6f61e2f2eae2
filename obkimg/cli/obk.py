"""``obkimg obk-config``: show / extract / set / diff / write (and new --from-tuya) OpenBeken configs."""

from __future__ import annotations

from typing import Any

import click

from ._common import (
    emit_json,
    input_argument,
    json_option,
    note,
    output_option,
    read_input,
    say,
    write_output,
)
from ._secrets import SECRET_MODE, policed, secrets_option


def _chip_option(f: Any) -> Any:
    return click.option(
        "--chip",
        metavar="CHIP",
        help="Chip the dump comes from (BK7231N, BK7231T, BL602...): look at its config location first.",
    )(f)


@click.group("obk-config")
def obk_config() -> None:
    """Show, extract, edit, compare and write the OpenBeken config (mainConfig_t)."""


def _render(doc: dict[str, Any]) -> list[str]:
    crc = doc["crc"]
    loc = doc["location"]
    state = f"ok ({crc['variant']} char)" if crc["valid"] else "BAD"
    lines = [
        f"OpenBeken config v{doc['version']} ({doc['size']} bytes, {doc['layout']['pins']}-pin layout), "
        f"CRC {crc['stored']:#04x} {state}"
    ]
    where = f"{loc['mechanism']} at {loc['offset']:#x}"
    if loc["mechanism"] == "easyflash":
        where += (
            f" (key {loc['key']}, entry {loc['entry_offset']:#x}, "
            f"area {loc['area_offset']:#x}+{loc['area_size']:#x}, granularity {loc['granularity']})"
        )
    lines.append(f"location:  {where}")
    w, m, d = doc["wifi"], doc["mqtt"], doc["device"]
    lines.append(f"wifi:      ssid {w['ssid']!r} password {w['password']!r}")
    if w.get("ssid2"):
        lines.append(f"wifi 2:    ssid {w['ssid2']!r} password {w['password2']!r}")
    lines.append(
        f"mqtt:      {m['host']}:{m['port']} user {m['user']!r} password {m['password']!r} "
        f"client {m['client_id']!r} group {m['group']!r}"
    )
    lines.append(f"names:     {d['short_name']!r} / {d['long_name']!r}  mac {d['mac']}")
    if d.get("web_password"):
        lines.append(f"web pass:  {d['web_password']!r}")
    for p in doc["pins"]:
        ch2 = f" ch2 {p['channel2']}" if p["channel2"] else ""
        lines.append(f"pin P{p['pin']:<3}   {p['role_name']:<28} channel {p['channel']}{ch2}")
    for ch in doc["channels"]:
        lines.append(f"channel {ch['channel']:<3} {ch['type_name']:<28} start {ch['start_value']}")
    for f in doc["flags"]["set"]:
        lines.append(f"flag {f['bit']:<5}  {f['name']}")
    if doc["startup_command"]:
        lines.append(f"startup:   {doc['startup_command']!r}")
    lines.append(f"ntp:       {doc['ntp_server']!r}")
    if doc["static_ip"]:
        s = doc["static_ip"]
        lines.append(f"static ip: {s['ip']} mask {s['netmask']} gw {s['gateway']} dns {s['dns']}")
    for p in doc["problems"]:
        at = f" at {p['offset']:#x}" if p["offset"] is not None else ""
        lines.append(f"{p['severity']}: {p['message']}{at}")
    return lines


@obk_config.command("show")
@input_argument()
@_chip_option
@secrets_option(shown_by_default=True)
@json_option
def show(file: str, chip: str | None, show_secrets: bool, as_json: bool) -> None:
    """Find and decode the OpenBeken config in FILE (dump, region, EasyFlash area or bare config).

    Exit status 1 when the config's CRC is invalid (the firmware would reset it).
    """
    from ..obk import recover_config

    res = recover_config(read_input(file), chip=chip)
    doc = policed(res.to_dict(show_secrets=show_secrets), show_secrets)
    if as_json:
        emit_json(doc)
    else:
        for line in _render(doc):
            click.echo(line)
    if not res.crc_valid:
        raise click.exceptions.Exit(1)


@obk_config.command("extract")
@input_argument()
@_chip_option
@output_option()
def extract(file: str, chip: str | None, output: str, force: bool) -> None:
    """Write the config struct found in FILE (2016 or 3584 bytes) to -o."""
    from ..obk import extract_config

    data, res = extract_config(read_input(file), chip=chip)
    if not res.crc_valid:
        note("warning: the config's CRC is invalid; the firmware would reset it")
    note(f"config v{res.config.version} from {res.location['mechanism']} at {res.location['offset']:#x}")
    write_output(output, data, force=force, inputs=(file,), mode=SECRET_MODE)


@obk_config.command("set")
@input_argument()
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@_chip_option
@output_option()
def set_cmd(file: str, assignments: tuple[str, ...], chip: str | None, output: str, force: bool) -> None:
    """Edit config fields in FILE and write the whole file to -o (CRC recomputed).

    Keys: struct field names (wifi_ssid, mqtt_host, mqtt_port, initCommandLine...) or aliases
    (ssid, password, mqtt_user, mqtt_password, name, long_name, startup, ntp, web_password);
    pin.N=Role[:channel[:channel2]], pin.N.role, pin.N.channel; channel.N.type, channel.N.start;
    flag.N=0/1; static_ip.ip|netmask|gateway|dns; mac.
    """
    from ..obk import set_config

    out, res, notes = set_config(read_input(file), list(assignments), chip=chip)
    for p in notes:
        note(f"{p.severity}: {p.message}")
    note(
        f"config v{res.config.version} updated ({res.location['mechanism']} at {res.location['offset']:#x}, "
        f"CRC {res.config.stored_crc:#04x} {res.crc_variant})"
    )
    write_output(output, out, force=force, inputs=(file,), mode=SECRET_MODE)


@obk_config.command("diff")
@click.argument("a", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.argument("b", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--chip-a", metavar="CHIP", help="Chip of A.")
@click.option("--chip-b", metavar="CHIP", help="Chip of B.")
@secrets_option(shown_by_default=False)
@json_option
def diff(a: str, b: str, chip_a: str | None, chip_b: str | None, show_secrets: bool, as_json: bool) -> None:
    """Field-by-field differences between the configs in A and B."""
    from ..obk import diff_configs

    doc = diff_configs(read_input(a), read_input(b), chip_a=chip_a, chip_b=chip_b, show_secrets=show_secrets)
    doc = policed(doc, show_secrets)
    if as_json:
        emit_json(doc)
        return
    if doc["identical"]:
        click.echo("identical")
        return
    for d in doc["differences"]:
        click.echo(f"{d['field']}: {d['a']!r} -> {d['b']!r}")


@obk_config.command("write")
@click.argument("dump", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.argument("config", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@_chip_option
@output_option()
def write(dump: str, config: str, chip: str | None, output: str, force: bool) -> None:
    """Put CONFIG into DUMP (full dump or QIO image) at the chip's config location.

    A QIO image shorter than the config sector is padded with 0xFF (the "QIO + config" layout).
    """
    from ..obk import write_config

    if dump == "-" and config == "-":
        raise click.UsageError("only one input can be stdin")
    res = write_config(read_input(dump), read_input(config), chip=chip)
    for p in res.notes:
        note(f"{p.severity}: {p.message}")
    note(f"{res.chip}: config written ({res.mechanism}) at {res.offset:#x}")
    write_output(output, res.data, force=force, inputs=(dump, config), mode=SECRET_MODE)


@obk_config.command("new")
@click.option(
    "--from-tuya",
    "from_tuya",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, exists=True),
    metavar="DUMP",
    help="Tuya backup (full dump or storage region) to migrate.",
)
@_chip_option
@click.option("--name", metavar="NAME", help="Short device name (default obk<8 hex> from the device's uuid).")
@secrets_option(shown_by_default=False)
@output_option(required=False, help="Where to write the new config ('-' for stdout).")
@json_option
def new(
    from_tuya: str,
    chip: str | None,
    name: str | None,
    show_secrets: bool,
    output: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """A new OpenBeken config from a Tuya backup: Wi-Fi, names, pins and TuyaMCU baud.

    With `-o -` the config alone goes to stdout and the summary to stderr (`--json` needs -o FILE).

    Only certain pin mappings are applied; uncertain ones are listed with a suggested role (apply them
    with `obkimg obk-config set CFG pin.N=Role:channel`), unknown UPK keys are listed.
    """
    from ..obk import new_from_tuya

    if output is None and not as_json:
        raise click.UsageError("give -o FILE for the config and/or --json for the mapping")
    res = new_from_tuya(read_input(from_tuya), chip=chip, name=name)
    doc = policed(res.to_dict(show_secrets=show_secrets), show_secrets)
    if output is not None:  # first: a refused output leaves stdout to the error document
        write_output(output, res.config.build(), force=force, inputs=(from_tuya,), mode=SECRET_MODE)
    if as_json:
        emit_json(doc)
    else:
        say(
            f"{res.chip or 'chip unknown'}: OpenBeken config v{res.config.version}, "
            f"CRC {res.config.stored_crc:#04x} "
            f"({res.config.crc_variant} char)"
        )
        say(f"wifi:      ssid {doc['wifi']['ssid']!r} password {doc['wifi']['password']!r}")
        say(f"names:     {doc['names']['short_name']!r} / {doc['names']['long_name']!r}")
        for p in doc["pins"]:
            lvl = "" if p["level"] is None else f" ({p['level_key']}={p['level']})"
            say(f"pin P{p['gpio']:<3}   {p['role_name']:<24} channel {p['channel']:<3} <- {p['key']}{lvl}")
        for p in doc["uncertain"]:
            sug = f"; suggestion: {p['suggestion']}" if p["suggestion"] else ""
            say(f"UNCERTAIN {p['key']} (GPIO {p['gpio']}): {p['reason']}{sug}")
        for c in doc["conflicts"]:
            say(f"CONFLICT  {c['key']}: GPIO {c['gpio']} already used by {c['taken_by']}")
        if doc["unknown"]:
            say(f"unknown keys (not mapped): {', '.join(doc['unknown'])}")
        if doc["startup_command"]:
            say(f"startup:   {doc['startup_command']!r}")
        for n in doc["notes"]:
            say(f"note: {n}")
        for pr in doc["problems"]:
            click.echo(f"{pr['severity']}: {pr['message']}", err=True)
