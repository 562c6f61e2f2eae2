"""The CLI keeps its per-run state on click's context (``ctx.obj``): one run cannot leak into the next
in-process call (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.cli._common import CliState, cli_state
from tests.conftest import ROOT
from tests.hardening._cli import run

DEMO = str(ROOT / "examples" / "bk7231n_demo_dump.bin.gz")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_json_run_does_not_leak_into_the_next_clirunner_call() -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["formats", "--json"])
    assert first.exit_code == 0 and json.loads(first.output)["schema"] == "obkimg.formats/1"
    second = runner.invoke(cli, ["formats"])
    assert second.exit_code == 0
    assert not _is_json(second.output) and second.output.startswith("bk7231-ug"), second.output[:200]


def test_json_run_of_a_command_does_not_leak_into_its_next_call() -> None:
    """A command invoked on its own (no group callback to reset anything): ``--json`` then ``--svg -``
    (stdout carries the SVG alone), then text. With a module-global state the ``--json`` of the first
    call made the second a usage error, and the ``-o -`` of the second silenced the third."""
    from obkimg.cli.info import info

    runner = CliRunner()
    first = runner.invoke(info, [DEMO, "--json"])
    assert first.exit_code == 0 and json.loads(first.output)["schema"] == "obkimg.info/1"
    second = runner.invoke(info, [DEMO, "--svg", "-"])
    assert second.exit_code == 0, second.output[-300:]
    assert second.stdout.lstrip().startswith("<svg") or "<svg" in second.stdout[:200]
    third = runner.invoke(info, [DEMO])
    assert third.exit_code == 0 and third.output.startswith("file:"), third.output[:200]


def test_json_error_run_does_not_leak_into_the_next_main_call(tmp_path: Path) -> None:
    """A failed ``--json`` run (error document on stdout), then a text run of the same failure: the second
    prints its error as text on stderr and nothing on stdout."""
    bad = tmp_path / "ff.bin"
    bad.write_bytes(b"\xff" * 64)
    first = run("info", str(bad), "--json")
    assert first.code == 1 and json.loads(first.stdout)["schema"] == "obkimg.error/1"
    second = run("info", str(bad))
    assert second.code == 1 and second.stdout == b"" and second.err.startswith("error:"), second


def test_state_lives_on_the_root_context() -> None:
    """Each run gets its own state object as the root context's ``obj``; outside a run, a fresh default."""
    first, second = CliState(), CliState()
    cli.main(["-q", "formats", "--json"], standalone_mode=False, obj=first)
    cli.main(["formats"], standalone_mode=False, obj=second)
    assert first.quiet and first.json and first.emitted
    assert second == CliState()
    assert cli_state() == CliState()
