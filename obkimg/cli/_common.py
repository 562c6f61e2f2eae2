"""Shared CLI pieces: options, parameter types, JSON output, safe binary output, stderr notes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: one-line help of every top-level command, shown by `obkimg --help` without importing them
SHORT_HELP = {
    "info": "What a file is: kind, chip, regions and their validity.",
    "verify": "Recompute every checksum; exit 1 on any mismatch.",
    "detect": "Ranked guesses of what a file is, with evidence.",
    "formats": "Every supported format, with references and limitations.",
    "extract": "Write every region and container of a dump to a folder.",
    "check": "Check a firmware before flashing it onto a device.",
    "scan": "Identify every file under a folder.",
    "convert": "QIO <-> UA, binary <-> Intel HEX.",
    "bk": "BK7231 code encryption (crypt).",
    "rbl": "Unpack / pack RBL OTA containers (.rbl).",
    "ug": "Unpack / pack Tuya UG wrappers (*.ug.bin).",
    "partitions": "Show / build BL602 partition tables.",
    "ota": "Pack / unpack / check BL602 OTA files (.ota, .xz.ota).",
    "bl602": "BL602 boot header tools.",
    "tuya-keys": "Wi-Fi credentials, Tuya keys and pin map from a Tuya backup.",
    "obk-config": "Show / extract / build / edit the OpenBeken config.",
    "migrate": "Tuya backup -> OpenBeken config / template / commands, or ESPHome YAML.",
}


@dataclass
class _State:
    traceback: bool = False
    quiet: bool = False
    verbose: int = 0
    json: bool = False


STATE = _State()


def _mark_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        STATE.json = True
    return value


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, callback=_mark_json,
                        help="Print one JSON document on stdout (schemas/ has its schema).")(f)


def output_option(required: bool = True, help: str = "Output file ('-' for stdout).") -> Callable[[F], F]:
    def deco(f: F) -> F:
        f = click.option("--force", "-f", is_flag=True,
                         help="Overwrite an existing output (and allow binary output on a terminal).")(f)
        return click.option("-o", "--output", "output", required=required, type=click.Path(dir_okay=False,
                            allow_dash=True), help=help)(f)
    return deco


def input_argument(name: str = "file") -> Callable[[F], F]:
    return click.argument(name, type=click.Path(dir_okay=False, allow_dash=True, exists=True))


def read_input(path: str) -> Any:
    """A path, or stdin's binary stream for '-' (the library reads it bounded)."""
    return sys.stdin.buffer if path == "-" else path


def read_data(path: str) -> bytes:
    """The bytes of an input path ('-' = stdin), bounded, with .gz / Intel HEX undone."""
    from ..source import load

    return load(read_input(path)).data


def write_output(path: str, data: bytes | str, *, force: bool = False, inputs: tuple[str, ...] = ()) -> None:
    """Write a result: '-' means stdout (refused on a terminal unless --force); files are atomic."""
    payload = data.encode() if isinstance(data, str) else data
    if path == "-":
        out = sys.stdout.buffer
        if out.isatty() and not force and isinstance(data, bytes):
            raise click.UsageError("refusing to write binary data to a terminal; redirect it or use --force")
        out.write(payload)
        out.flush()
        return
    from ..fileio import write_atomic

    write_atomic(path, payload, force=force, inputs=[i for i in inputs if i != "-"])
    note(f"wrote {path} ({len(payload)} bytes)")


def emit_json(doc: Any) -> None:
    """Exactly one JSON document on stdout."""
    from ..model import jsonable

    click.echo(json.dumps(jsonable(doc), indent=2, ensure_ascii=False))


def note(message: str) -> None:
    """A diagnostic on stderr (silenced by -q)."""
    if not STATE.quiet:
        click.echo(message, err=True)


class IntType(click.ParamType):
    """An integer in decimal, 0x hex, 0o/0b, or with a K/M suffix (``0x11000``, ``2M``)."""

    name = "INT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().replace("_", "")
        mult = 1
        if text.endswith(("k", "m")) and not text.startswith("0x"):
            mult = 1024 if text[-1] == "k" else 1024 * 1024
            text = text[:-1]
        try:
            return int(text, 0) * mult
        except ValueError:
            self.fail(f"{value!r} is not an integer (use 123, 0x7B or 4K)", param, ctx)


INT = IntType()


def fmt_size(n: int) -> str:
    if n >= 1024 * 1024 and n % 1024 == 0:
        return f"{n / 1024 / 1024:.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"
