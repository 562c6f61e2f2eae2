"""The ``obkimg`` command line: thin commands over the library, errors mapped to exit codes.

Exit codes: 0 ok, 1 bad data / failed check (an ``ObkImgError``), 2 usage error, 3 internal error
(a bug: rerun with ``--traceback``), 130 interrupted. Commands are imported lazily, so ``--help``
does not load construct, cryptography or lzma.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from typing import Any

import click

from .. import __version__
from ._common import STATE

__all__ = ["cli", "main"]

#: command name -> "module:attribute" (module relative to obkimg.cli); modules not present are hidden
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
}


def _spec(name: str) -> tuple[str, str] | None:
    target = COMMANDS.get(name)
    if target is None:
        return None
    mod, attr = target.split(":")
    full = f"{__name__}.{mod}"
    if importlib.util.find_spec(full) is None:
        return None
    return full, attr


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or its help is shown)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in COMMANDS if _spec(n) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = _spec(cmd_name)
        if spec is None:
            return None
        return getattr(importlib.import_module(spec[0]), spec[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
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
def cli(traceback: bool, quiet: bool, verbose: int) -> None:
    """Inspect, convert and check BK7231 / BL602 firmware images and flash dumps.

    Start with `obkimg info FILE`: it tells what any supported file is.
    """
    STATE.traceback = traceback
    STATE.quiet = quiet
    STATE.verbose = verbose


def _fail(code: int, message: str, exc: BaseException | None = None) -> None:
    if STATE.traceback and exc is not None:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    click.echo(message, err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from ..errors import ObkImgError

    if argv is None and "--traceback" in sys.argv[1:]:
        STATE.traceback = True
    try:
        rv: Any = cli.main(args=argv, prog_name="obkimg", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        _fail(130, "Aborted.", e)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except ObkImgError as e:
        if STATE.json:
            click.echo(json.dumps({"schema": "obkimg.error/1", "error": e.to_dict()}, indent=2))
        _fail(1, f"error: {e}", e)
    except KeyboardInterrupt as e:
        _fail(130, "Interrupted.", e)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - the one place where anything unexpected is caught
        _fail(3, f"internal error: {type(e).__name__}: {e} (this is a bug in obkimg; rerun with --traceback "
                 "and report it)", e)
    sys.exit(rv if isinstance(rv, int) else 0)
