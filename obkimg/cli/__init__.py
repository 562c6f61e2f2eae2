"""The ``obkimg`` command line: thin commands over the library, errors mapped to exit codes.

Exit codes: 0 ok, 1 bad data / failed check (an ``ObkImgError``) or output that cannot be written
(a full disk, a closed stdout), 2 usage error, 3 internal error (a bug: rerun with ``--traceback``),
130 interrupted, 141 (128 + SIGPIPE, what a shell reports for ``yes | head -1``) when the reader of
stdout went away: obkimg then ends quietly, like other Unix tools. Commands are imported lazily, so
``--help`` does not load construct, cryptography or lzma.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
from typing import Any

import click

from .. import __version__
from ._common import CliState

__all__ = ["cli", "main"]

#: command name -> "module:attribute" (module relative to obkimg.cli), imported when the command runs
COMMANDS: dict[str, str] = {
    "info": "info:info",
    "verify": "info:verify",
    "detect": "info:detect_cmd",
    "formats": "formats:formats",
    "extract": "extract:extract",
    "check": "check:check",
    "scan": "scan:scan",
    "convert": "convert:convert",
    "bk": "bk:bk",
    "rbl": "rbl:rbl",
    "ug": "ug:ug",
    "partitions": "partitions:partitions",
    "ota": "ota:ota",
    "bl602": "bl602:bl602",
    "tuya-keys": "tuya:tuya_keys",
    "obk-config": "obk:obk_config",
    "migrate": "migrate:migrate",
    "validate-json": "schemas:validate_json",
}


def _spec(name: str) -> tuple[str, str] | None:
    """(module, attribute) of the command ``name``, None when there is no such command."""
    target = COMMANDS.get(name)
    if target is None:
        return None
    mod, attr = target.split(":")
    return f"{__name__}.{mod}", attr


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or its help is shown)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The command names, in README order."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module now; ``None`` when unknown."""
        spec = _spec(cmd_name)
        if spec is None:
            return None
        command: click.Command = getattr(importlib.import_module(spec[0]), spec[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help's command list from the short help texts, without importing any command."""
        from ._common import SHORT_HELP

        rows = [(n, SHORT_HELP.get(n, "")) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="obkimg")
@click.option("--traceback", is_flag=True, help="Show the full traceback of errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (repeatable).")
@click.pass_context
def cli(ctx: click.Context, traceback: bool, quiet: bool, verbose: int) -> None:
    """Inspect, convert and check BK7231 / BL602 firmware images and flash dumps.

    Start with `obkimg info FILE`: it tells what any supported file is.
    """
    state = ctx.ensure_object(CliState)
    state.traceback = state.traceback or traceback
    state.quiet = quiet
    state.verbose = verbose


def _fail(state: CliState, code: int, message: str, exc: BaseException | None = None) -> None:
    from ..secrets import scrub_text  # error text and tracebacks follow the secrets policy too

    if state.traceback and exc is not None:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(scrub_text(text))
    click.echo(scrub_text(message), err=True)
    sys.exit(code)


def _json_wanted(state: CliState, argv: list[str] | None) -> bool:
    """``--json`` was asked for, even when click stopped before reading it (a usage error)."""
    if state.json:
        return True
    for arg in sys.argv[1:] if argv is None else argv:
        if arg == "--":
            break
        if arg == "--json":
            return True
    return False


def _error_doc(state: CliState, argv: list[str] | None, error: dict[str, Any]) -> None:
    """The one ``obkimg.error/1`` document of a failed ``--json`` run (none if a document is already out)."""
    if not _json_wanted(state, argv) or state.emitted:
        return
    keys = ("type", "code", "message", "format", "field", "offset", "hint", "path")
    doc = {k: error.get(k) for k in keys}
    try:
        click.echo(json.dumps({"schema": "obkimg.error/1", "error": doc}, indent=2))
    except (OSError, ValueError):  # stdout itself may be what failed
        _silence_stdout()
    state.emitted = True


def _click_error(e: click.ClickException) -> dict[str, Any]:
    param = getattr(e, "param", None)
    name = getattr(param, "name", None) or getattr(e, "param_hint", None)
    ctx = getattr(e, "ctx", None)
    hint = f"see '{ctx.command_path} --help'" if ctx is not None else None
    return {
        "type": type(e).__name__,
        "code": "usage" if e.exit_code == 2 else "error",
        "message": e.format_message(),
        "field": name if isinstance(name, str) else None,
        "path": name if isinstance(name, str) else None,
        "hint": hint,
    }


def _obk_error(e: Exception) -> dict[str, Any]:
    from ._common import cli_words

    doc: dict[str, Any] = e.to_dict()  # type: ignore[attr-defined]
    doc["message"] = cli_words(doc["message"])
    if doc.get("hint"):
        doc["hint"] = cli_words(doc["hint"])
    return doc


#: errno values of a failed write to stdout (reader gone, disk full, closed or read-only descriptor)
_OUTPUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF, errno.EIO})
_WRITE_FRAMES = frozenset({"echo", "write", "flush", "writelines", "write_output", "emit_json", "_flush"})

#: exit status when stdout's reader went away (a shell reports a process killed by SIGPIPE so)
EXIT_BROKEN_PIPE = 141


def _guard_std_fds() -> None:
    """Give closed fds 0-2 a /dev/null (stdout read-only, so every write to it fails and is reported):
    a file obkimg opens can then never take fd 1 and receive what is printed."""
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_RDONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            new = os.open(os.devnull, flags)
            if new != fd:
                os.dup2(new, fd)
                os.close(new)
    if sys.stdout is None:
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as the process
    if sys.stdin is None:
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115


def _flush() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _is_stdout_error(e: OSError) -> bool:
    if e.filename is not None or e.errno not in _OUTPUT_ERRNOS:
        return False
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name in _WRITE_FRAMES


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of what could not be written is quiet."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass


def _pacified() -> bool:
    """Whether click has met EPIPE on stdout (it then wraps stdout so, and exits 1)."""
    return type(sys.stdout).__name__.endswith("PacifyFlushWrapper")  # _PacifyFlushWrapper in click 8.5


def _broken_pipe() -> None:
    """The reader of stdout went away: end quietly, as other Unix tools do."""
    _silence_stdout()
    sys.exit(EXIT_BROKEN_PIPE)


def _internal(state: CliState, argv: list[str] | None, e: Exception) -> None:
    message = f"internal error: {type(e).__name__}: {e}"
    hint = "this is a bug in obkimg; rerun with --traceback and report it"
    _error_doc(state, argv, {"type": "InternalError", "code": "internal", "message": message, "hint": hint})
    _fail(state, 3, f"{message} ({hint})", e)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: text output escapes control characters (:mod:`._safe_text`)."""
    from ._safe_text import install

    _guard_std_fds()
    saved = install()
    try:
        _run(argv)
    finally:
        if not _pacified():
            sys.stdout, sys.stderr = saved


def _run(argv: list[str] | None) -> None:
    from ..errors import ObkImgError
    from ._common import cli_words

    # this run's state: handed to click as the root context's obj, and read here after click is done
    state = CliState(traceback=argv is None and "--traceback" in sys.argv[1:])
    try:
        rv: Any = cli.main(args=argv, prog_name="obkimg", standalone_mode=False, obj=state)
        _flush()
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except SystemExit:
        if _pacified():  # click's own handling of EPIPE (exit 1)
            _broken_pipe()
        raise
    except click.exceptions.Abort as e:
        _error_doc(state, argv, {"type": "Aborted", "code": "interrupted", "message": "aborted"})
        _fail(state, 130, "Aborted.", e)
    except click.ClickException as e:
        _error_doc(state, argv, _click_error(e))
        e.show()
        sys.exit(e.exit_code)
    except ObkImgError as e:
        from ..secrets import redact

        _error_doc(state, argv, redact(_obk_error(e)))
        _fail(state, 1, f"error: {cli_words(str(e))}", e)
    except KeyboardInterrupt as e:
        _error_doc(state, argv, {"type": "Interrupted", "code": "interrupted", "message": "interrupted"})
        _fail(state, 130, "Interrupted.", e)
    except BrokenPipeError:
        _broken_pipe()
    except OSError as e:
        if not _is_stdout_error(e):
            _internal(state, argv, e)
        _silence_stdout()
        _fail(state, 1, f"error: cannot write to standard output: {e.strerror or e}", e)
    except Exception as e:  # noqa: BLE001 - the one place where anything unexpected is caught
        _internal(state, argv, e)
    sys.exit(rv if isinstance(rv, int) else 0)
