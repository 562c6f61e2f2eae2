"""Running the real CLI entry point (``obkimg.cli.main``: the central error -> exit code mapping) in
process or as a subprocess, and checking that inputs are never modified."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import ROOT


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def err(self) -> str:
        return self.stderr.decode(errors="replace")


def sha256(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(args: Iterable[str]) -> list[Path]:
    """Every existing regular file named on the command line (an input, or an output that exists)."""
    return [Path(a) for a in args if not a.startswith("-") and os.path.isfile(a)]


def run(*args: str, stdin: bytes | None = None, outputs: Iterable[str | os.PathLike[str]] = ()) -> Result:
    """``obkimg ARGS`` through ``obkimg.cli.main`` in this process.

    Every existing file on the command line except ``outputs`` is hashed before and after: the CLI must
    never modify an input, whatever the outcome. Exit code 3 (internal error) is never acceptable.
    """
    from obkimg.cli import main

    outs = {Path(o).resolve() for o in outputs}
    watched = [p for p in _files(args) if p.resolve() not in outs]
    before = {p: sha256(p) for p in watched}
    with CliRunner().isolation(input=stdin) as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        res = Result(code, out.getvalue(), err.getvalue())
    for p, h in before.items():
        assert sha256(p) == h, f"input {p.name} was modified by obkimg {' '.join(args)}"
    assert res.code != 3, f"internal error: {res.err}"
    return res


def run_process(
    *args: str,
    stdin: int | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    preamble: str = "",
) -> Result:
    """``python -m obkimg ARGS`` in a child process (``preamble``: Python run before the CLI, e.g. a
    memory limit or a monkeypatch)."""
    code = (
        f"{preamble}\nimport sys\nfrom obkimg.cli import main\nsys.argv = ['obkimg', *sys.argv[1:]]\nmain()\n"
    )
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    kw = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    p = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=full_env, timeout=timeout, **kw
    )  # type: ignore[call-overload]
    return Result(p.returncode, p.stdout, p.stderr)


#: run in a child before the CLI: no allocation may exceed this address-space bound (1.5 GiB: the
#: interpreter with numpy, cryptography and construct loaded uses well under 1 GiB)
MEMORY_LIMIT = """
import os, resource
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
"""
