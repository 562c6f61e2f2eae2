"""Shared CLI pieces: options, parameter types, JSON output, safe binary output, stderr notes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import click

from .._record import dataclass

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
    "ug": "Unpack / pack Tuya UG wrappers (.ug.bin files).",
    "partitions": "Show / build BL602 partition tables.",
    "ota": "Pack / unpack / check BL602 OTA files (.ota, .xz.ota).",
    "bl602": "BL602 boot header tools.",
    "tuya-keys": "Wi-Fi credentials, Tuya keys and pin map from a Tuya backup.",
    "obk-config": "Show / extract / build / edit the OpenBeken config.",
    "migrate": "Tuya backup -> OpenBeken config / template / commands, or ESPHome YAML.",
    "validate-json": "Check saved --json documents against the installed schemas.",
}


@dataclass
class CliState:
    """What one CLI run knows about its own output; it lives on the root click context (``ctx.obj``),
    so one run cannot leak into the next in the same process."""

    traceback: bool = False
    quiet: bool = False
    verbose: int = 0
    json: bool = False
    #: a document (or binary data) is already on stdout: an error must not add a second one
    emitted: bool = False
    #: ``-o -``: stdout carries a binary; text goes to stderr
    binary_stdout: bool = False


def cli_state(ctx: click.Context | None = None) -> CliState:
    """The running command's :class:`CliState` (the root context's ``obj``, created on first use);
    a fresh default one outside any command."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return CliState()
    return ctx.find_root().ensure_object(CliState)


#: API words in library messages -> the CLI's words for the same thing
_CLI_WORDS = (
    ("allow_mismatch=True", "--allow-mismatch"),
    ("force=True", "--force"),
    ("trim=True", "--trim"),
    ("chip=...", "--chip CHIP"),
    ("target=...", "--for DUMP"),
)


def cli_words(text: str) -> str:
    """A library message in the CLI's words (``force=True`` -> ``--force``)."""
    for api, flag in _CLI_WORDS:
        text = text.replace(api, flag)
    return text


def _both_json_and_stdout(state: CliState) -> None:
    if state.json and state.binary_stdout:
        raise click.UsageError(
            "--json cannot be combined with an output on stdout (-o -, --svg -): stdout "
            "carries that output alone; write it to a file instead"
        )


def _mark_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        state = cli_state(ctx)
        state.json = True
        _both_json_and_stdout(state)
    return value


def mark_stdout_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback of every output path: ``-`` means stdout carries that output alone."""
    if value == "-":
        state = cli_state(ctx)
        state.binary_stdout = True
        _both_json_and_stdout(state)
    return value


def json_option(f: F) -> F:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=_mark_json,
        help="Print one JSON document on stdout (schemas/ has its schema).",
    )(f)


def output_option(required: bool = True, help: str = "Output file ('-' for stdout).") -> Callable[[F], F]:
    def deco(f: F) -> F:
        f = click.option("--force", "-f", is_flag=True, help="Overwrite an existing output.")(f)
        return click.option(
            "-o",
            "--output",
            "output",
            required=required,
            type=click.Path(dir_okay=False, allow_dash=True),
            callback=mark_stdout_output,
            help=help,
        )(f)

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


def command_inputs() -> list[str]:
    """Every input path of the running command: each value of a ``click.Path(exists=True)`` parameter
    (FILE arguments, --against, --header-from, --bootloader-from, --for, TOML files...)."""
    ctx = click.get_current_context(silent=True)
    found: list[str] = []
    while ctx is not None:
        for p in ctx.command.params:
            if isinstance(p.type, click.Path) and p.type.exists and p.name:
                v = ctx.params.get(p.name)
                found += [x for x in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(x, str)]
        ctx = ctx.parent
    return [x for x in found if x != "-"]


def _earlier_outputs() -> list[str]:
    """Files this command has written so far (one list per invocation, kept on the root context)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return []
    written: list[str] = ctx.find_root().meta.setdefault("obkimg.outputs", [])
    return written


def write_output(
    path: str,
    data: bytes | str,
    *,
    force: bool = False,
    inputs: tuple[str, ...] = (),
    mode: int | None = None,
) -> None:
    """Write a result: '-' means stdout (binary data refused on a terminal); files are atomic
    (``mode=0o600`` for outputs holding secrets).

    No file is written over any input of the command (``inputs`` and :func:`command_inputs`) nor over
    an output it wrote earlier, with or without --force.
    """
    payload = data.encode() if isinstance(data, str) else data
    if path == "-":
        out = sys.stdout.buffer
        if out.isatty() and isinstance(data, bytes):
            raise click.UsageError("refusing to write binary data to a terminal; redirect it or give -o FILE")
        cli_state().emitted = True
        out.write(payload)
        out.flush()
        return
    from ..errors import OutputError
    from ..fileio import same_file, write_atomic

    earlier = _earlier_outputs()
    if any(same_file(path, e) for e in earlier):
        raise OutputError(f"refusing to overwrite {path}, which this command has just written", fmt="output")
    every = [i for i in (*inputs, *command_inputs()) if i != "-"]
    write_atomic(path, payload, force=force, inputs=every, mode=mode)
    earlier.append(path)
    note(f"wrote {path} ({len(payload)} bytes)")


def emit_json(doc: Any) -> None:
    """Exactly one JSON document on stdout."""
    from ..model import jsonable
    from ..text import escape_json_text

    text = escape_json_text(json.dumps(jsonable(doc), indent=2, ensure_ascii=False))
    cli_state().emitted = True
    click.echo(text)


def say(message: str) -> None:
    """A result line: stdout, or stderr when stdout carries a binary (``-o -``)."""
    click.echo(message, err=cli_state().binary_stdout)


def note(message: str) -> None:
    """A diagnostic on stderr (silenced by -q)."""
    if not cli_state().quiet:
        click.echo(message, err=True)


if TYPE_CHECKING:  # click 8.2+ types ParamType by its value and input types; older clicks cannot subscript it
    _IntParam: TypeAlias = click.ParamType[int, Any]
else:
    _IntParam = click.ParamType


class IntType(_IntParam):
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
