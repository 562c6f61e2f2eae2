"""``obkimg migrate``: Tuya backup -> OpenBeken config, device template, console commands or ESPHome YAML."""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, note, output_option, read_input, write_output
from ._secrets import SECRET_MODE, policed, secrets_option

_FORMS = ("config", "template", "commands", "esphome")


def _summary(p: object) -> list[str]:
    from ..migrate import MigrationPlan

    assert isinstance(p, MigrationPlan)
    lines = [
        f"chip: {p.chip_text} ({p.chip_source}); module {p.module or 'unknown'}; "
        f"{len(p.pins)} pins mapped, {len(p.uncertain)} uncertain (left unset)"
    ]
    for a in p.pins:
        lines.append(f"  P{a.gpio:<3} {a.role_name:<24} channel {a.channel:<3} <- {a.source}")
    for u in p.uncertain:
        sug = f"; suggestion: {u.suggestion}" if u.suggestion else ""
        lines.append(f"  UNSET {u.source}: {u.reason}{sug}")
    for c in p.conflicts:
        lines.append(f"  CONFLICT {c['key']}: GPIO {c['gpio']} already used by {c['taken_by']}")
    lines += [f"note: {n}" for n in p.notes]
    lines += [f"{pr.severity}: {pr.message}" for pr in p.problems]
    return lines


@click.command("migrate")
@input_argument("dump")
@click.option(
    "--to",
    "form",
    type=click.Choice(_FORMS),
    metavar="FORM",
    help="config (binary OpenBeken config), template (device template JSON), commands (console "
    "backlog script) or esphome (ESPHome/LibreTiny YAML).",
)
@click.option(
    "--chip", metavar="CHIP", help="Chip of the device (BK7231N, BK7231T...) when the dump cannot tell it."
)
@click.option("--name", metavar="NAME", help="Short device name (default obk<8 hex> from the device's uuid).")
@secrets_option(shown_by_default=False)
@output_option(required=False, help="Where to write the form ('-' for stdout).")
@json_option
def migrate(
    dump: str,
    form: str | None,
    chip: str | None,
    name: str | None,
    show_secrets: bool,
    output: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Migrate a stock Tuya backup (DUMP) to OpenBeken or ESPHome: one mapping, four forms.

    The mapping keeps the Wi-Fi, names and every pin of user_param_key with a settled OpenBeken role
    (relays, buttons, LEDs, Wi-Fi LED, PWM lights, I2C LED drivers with the Tuya colour order, energy
    meters, IR/RF receivers, latching relays, sensor inputs, battery), the PWM frequency and the
    TuyaMCU baud. Pins without a settled role are listed with a suggestion and left unset. Every form
    carries, per pin, the Tuya keys and levels it came from.

    \b
    obkimg migrate backup.bin --to config -o obk_config.bin     # then: obk-config write
    obkimg migrate backup.bin --to template -o device.json      # web app import / device list
    obkimg migrate backup.bin --to commands -o -                # paste into the web console
    obkimg migrate backup.bin --to esphome -o device.yaml       # ESPHome (LibreTiny)
    obkimg migrate backup.bin --json                            # the mapping itself

    The summary goes to stderr; only the form (or --json) goes to stdout. Secrets are masked unless
    --show-secrets: in --json as ***, in the ESPHome YAML as `!secret wifi_ssid` / `!secret
    wifi_password` (ESPHome's secrets.yaml). The binary config always carries the Wi-Fi credentials
    (it is the device's own config, like `obk-config new`'s) and is created 0600.
    """
    from ..migrate import plan, render

    if form is None and not as_json:
        raise click.UsageError("give --to FORM with -o OUT, and/or --json for the mapping")
    if form is not None and output is None:
        raise click.UsageError("--to needs -o OUT ('-' for stdout)")
    if form is None and output is not None:
        raise click.UsageError("-o needs --to FORM")
    if as_json and output == "-":
        raise click.UsageError("--json and -o - would both write to stdout; write the form to a file")
    p = plan(read_input(dump), chip=chip, name=name)
    for line in _summary(p):
        note(line)
    if form is not None and output is not None:
        # the config carries the Wi-Fi credentials (the ESPHome YAML with --show-secrets): created 0600
        mode = SECRET_MODE if form in ("config", "esphome") else None
        write_output(
            output, render(p, form, show_secrets=show_secrets), force=force, inputs=(dump,), mode=mode
        )
    if as_json:  # after the form: a form that cannot be written makes this run's one document an error
        emit_json(policed(p.to_dict(show_secrets=show_secrets), show_secrets))
