"""``obkimg tuya-keys``: Wi-Fi credentials, Tuya keys and pin map from a Tuya backup."""

from __future__ import annotations

import click

from ._common import emit_json, input_argument, json_option, read_input
from ._secrets import policed, secrets_option


@click.command("tuya-keys")
@input_argument()
@click.option(
    "--chip",
    metavar="CHIP",
    help="Chip of the dump (BK7231N, BK7231T, BK7238...): breaks ties "
    "between several storages; otherwise guessed.",
)
@secrets_option(shown_by_default=True)
@json_option
def tuya_keys(file: str, chip: str | None, show_secrets: bool, as_json: bool) -> None:
    """Decrypt the Tuya KV storage of FILE and show every key.

    FILE is a full flash dump (any offset, .gz too), a region read such as the 0x12000 bytes from
    0x1EE000, or a bare storage. Shows the Wi-Fi SSID and password, uuid / auth key / psk key,
    device id, local key, cloud hosts, the pin map (user_param_key) and every stored value.
    """
    from ..tuya import extract_keys

    keys = extract_keys(read_input(file), chip=chip)
    if as_json:
        emit_json(policed(keys.to_dict(show_secrets=show_secrets), show_secrets))
        return
    for line in keys.describe(show_secrets=show_secrets):
        click.echo(line)
    for p in keys.problems:
        if p.severity != "info":
            click.echo(f"problem: {p}", err=True)
