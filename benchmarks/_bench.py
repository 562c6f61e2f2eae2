"""The one benchmark harness every ``benchmarks/bench_*.py`` script uses.

Rules it enforces (issue 14, "benchmarks that tell the truth"):

- **Paired rounds.** obkimg, the peer tool and the physical floor run one after the other inside the
  same round, round after round (the order rotates every round: A B F, B F A, F A B ...), so machine
  noise hits all of them alike. A row quotes the median of the *per-round* ratios with their min and
  max, never a ratio of two medians taken at different moments.
- **Fresh processes.** A whole-process figure (:func:`proc`) starts a new interpreter every round; a
  "cold" in-process figure (:func:`fresh`) too (imports done, then the timed call in a fresh
  allocator). Warm in-process figures of a peer run in a persistent :class:`Worker` in the peer's own
  interpreter, timed there, one call per round.
- **Same output.** Every measurement returns a digest of its result (sha256 of bytes, or the sorted
  key names of a key-value store); a row says whether obkimg's digest equals the peer's (or floor's)
  on every round, and says ``DIFFERS`` when it does not.
- **Real files** from ``../shared/fixtures/real`` when present (:func:`real`), synthetic ones otherwise.
- The load (``os.getloadavg``) is printed with every table: on a shared machine it moves every
  absolute figure; the paired ratios are what stays comparable.

Peers (bk7231tools, ltchiptool, bflb-iot-tool) are looked for in a scratch venv: ``$OBKIMG_PEERS``
(default ``/tmp/peers``), e.g. ``python -m venv /tmp/peers && /tmp/peers/bin/pip install bk7231tools
ltchiptool bflb-iot-tool``. obkimg never imports them.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")) / "fixtures"
REAL = SHARED / "real"
PEERS = Path(os.environ.get("OBKIMG_PEERS", "/tmp/peers"))
#: environment of every child process: this tree first on the path, and bytecode caching ON (an
#: installed obkimg, like the peers installed by pip, runs from .pyc files; with
#: PYTHONDONTWRITEBYTECODE set every start would recompile obkimg's sources and nothing else)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")

#: a measurement: one call returns (value, digest of the output or None)
Measure = Callable[[], tuple[float, str | None]]

#: digest code shared by this process and the workers run in a peer's interpreter
DIGEST_SRC = r"""
def _digest(out):
    import hashlib, json
    if out is None:
        return None
    if isinstance(out, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(out)).hexdigest()
    if isinstance(out, str):
        return "sha256:" + hashlib.sha256(out.encode()).hexdigest()
    if isinstance(out, (set, frozenset, list, tuple)):
        return "keys:" + json.dumps(sorted(str(k) for k in out))
    if isinstance(out, dict):
        return "json:" + hashlib.sha256(json.dumps(out, sort_keys=True, default=str).encode()).hexdigest()
    return "repr:" + hashlib.sha256(repr(out).encode()).hexdigest()
"""
_ns: dict[str, Any] = {}
exec(DIGEST_SRC, _ns)  # noqa: S102 - our own constant
digest: Callable[[Any], str | None] = _ns["_digest"]


# ---------------------------------------------------------------------------------------------- inputs
def real(pattern: str, size: int | None = None) -> list[Path]:
    """Real fixture files matching ``pattern`` (below ../shared/fixtures/real), optionally of one size."""
    if not REAL.exists():
        return []
    return [p for p in sorted(REAL.glob(pattern)) if size is None or p.stat().st_size == size]


def real_dump(name: str = "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin") -> Path | None:
    """The real 2 MiB BK7231N dump the issue-14 table is measured on (else the first 2 MiB N dump)."""
    p = REAL / "bk7231n" / name
    if p.exists():
        return p
    found = real("bk7231n/*.bin", 2 * 1024 * 1024)
    return found[0] if found else None


def peer_python() -> Path | None:
    p = PEERS / "bin" / "python"
    return p if p.exists() else None


def peer_exe(tool: str) -> Path | None:
    p = PEERS / "bin" / tool
    return p if p.exists() else None


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores; "
        f"Python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


# ------------------------------------------------------------------------------------------ measures
def inproc(fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> Measure:
    """Wall time of ``fn()`` in this process, in ms (``setup`` untimed before it)."""

    def run() -> tuple[float, str | None]:
        if setup is not None:
            setup()
        t = time.perf_counter()
        out = fn()
        return (time.perf_counter() - t) * 1000, digest(out)

    return run


_WORKER = (
    DIGEST_SRC
    + r"""
import json, sys, time
sys.argv = json.loads(sys.argv[1])
_g = {"__name__": "__bench__"}
exec(compile(sys.argv[0], "<setup>", "exec"), _g)
once = _g["once"]
for _line in sys.stdin:
    if _line.strip() == "setup" and "setup" in _g:
        _g["setup"]()
        continue
    t = time.perf_counter()
    out = once()
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"ms": ms, "digest": _digest(out)}), flush=True)
"""
)

_FRESH = (
    DIGEST_SRC
    + r"""
import json, sys, time
sys.argv = json.loads(sys.argv[1])
_g = {"__name__": "__bench__"}
exec(compile(sys.argv[0], "<setup>", "exec"), _g)
t = time.perf_counter()
out = _g["once"]()
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "digest": _digest(out)}), flush=True)
"""
)


class Worker:
    """A persistent interpreter (obkimg's or a peer's) that runs ``code`` once, then times one call of
    the ``once()`` it defines per request. ``args`` become its ``sys.argv[1:]``. With ``setup=True``
    a ``setup()`` defined by ``code`` runs untimed before every call (e.g. to clear a cache)."""

    def __init__(
        self, code: str, *args: str, python: str | os.PathLike[str] = sys.executable, setup: bool = False
    ) -> None:
        self.setup = setup
        self.p = subprocess.Popen(
            [str(python), "-u", "-c", _WORKER, json.dumps([code, *args])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=str(ROOT),
        )

    def __call__(self) -> tuple[float, str | None]:
        assert self.p.stdin is not None and self.p.stdout is not None
        if self.setup:
            self.p.stdin.write("setup\n")
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"worker died (exit {self.p.wait()})")
        res = json.loads(line)
        return float(res["ms"]), res["digest"]

    def close(self) -> None:
        if self.p.stdin is not None:
            self.p.stdin.close()
        self.p.wait(timeout=60)


def fresh(code: str, *args: str, python: str | os.PathLike[str] = sys.executable) -> Measure:
    """A new interpreter every call: ``code`` runs untimed (imports, reading inputs), then one call of
    its ``once()`` is timed inside that process (the cold, fresh-allocator cost of one call)."""

    def run() -> tuple[float, str | None]:
        r = subprocess.run(
            [str(python), "-c", _FRESH, json.dumps([code, *args])],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=str(ROOT),
            check=False,
        )
        if r.returncode:
            raise RuntimeError(f"fresh run failed: {r.stderr.strip()[-400:]}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        return float(res["ms"]), res["digest"]

    return run


@functools.lru_cache(maxsize=1)
def _neutral_cwd() -> str:
    """An empty directory to run children in (removed at exit)."""
    d = tempfile.mkdtemp(prefix="obkimg-bench-cwd-")
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


@functools.cache
def _check_tree_cached(pythonpath: str, cwd: str, tree: str) -> None:
    env = {**ENV, "PYTHONPATH": pythonpath}
    code = "import obkimg, sys; sys.stdout.write(obkimg.__file__)"
    got = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True)
    path = Path(got.stdout.strip()).resolve()
    if got.returncode != 0 or not path.is_relative_to(Path(tree).resolve()):
        raise SystemExit(f"a child meant to run the obkimg of {tree} imports {path or got.stderr[-300:]}")


def _check_tree(env: dict[str, str], cwd: str, tree: Path) -> None:
    """Stop unless a child started with ``env`` in ``cwd`` imports the obkimg of ``tree``."""
    _check_tree_cached(env.get("PYTHONPATH", ""), cwd, str(tree))


def proc(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    out: Callable[[bytes], Any] | None = None,
    rss: bool = False,
    ok: tuple[int, ...] = (0,),
    tree: str | os.PathLike[str] | None = None,
) -> Measure:
    """A whole process, started fresh every call: wall time in ms from outside (interpreter start-up
    included), or with ``rss`` its peak resident set in MB (``wait4``'s ru_maxrss). ``out`` turns its
    stdout into the object whose digest is compared (default: no comparison)."""
    argv = [str(c) for c in cmd]
    penv = ENV if tree is None else {**ENV, "PYTHONPATH": str(tree)}
    # never the caller's directory: `python -c` puts it first on sys.path, so run from the repository
    # root every "other tree" would import this tree's obkimg (and did, until this check existed)
    where = str(cwd) if cwd is not None else _neutral_cwd()
    if tree is not None or argv[:3] == obkimg_cmd():
        _check_tree(penv, where, Path(tree) if tree is not None else ROOT)

    def run() -> tuple[float, str | None]:
        t = time.perf_counter()
        p = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=penv,
            cwd=where,
        )
        stdout, stderr = p.communicate()
        dt = (time.perf_counter() - t) * 1000
        # communicate() reaped the child; its rusage is read with wait4 only when rss is asked
        if p.returncode not in ok:
            err = stderr.decode(errors="replace")[-400:]
            raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {err}")
        return dt, digest(out(stdout)) if out is not None else None

    if not rss:
        return run

    def run_rss() -> tuple[float, str | None]:
        # ru_maxrss survives fork + exec: a child forked from this (big) interpreter would report at
        # least our own RSS. So children are started by a small spawner (/usr/bin/time, else a bare
        # interpreter that only forks, execs and waits) and their own peak is read there.
        with tempfile.NamedTemporaryFile(prefix="obkimg-rss-", suffix=".txt") as f:
            if TIME_BIN.exists():
                spawn = [str(TIME_BIN), "-q", "-f", "%M", "-o", f.name, *argv]
            else:
                spawn = [sys.executable, "-S", "-c", _SPAWN, f.name, *argv]
            p = subprocess.run(
                spawn,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=penv,
                cwd=where,
                check=False,
            )
            if p.returncode not in ok:
                raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}")
            kib = int(Path(f.name).read_text().split()[-1])
        return kib / 1024, digest(out(p.stdout)) if out is not None else None

    return run_rss


TIME_BIN = Path("/usr/bin/time")

_SPAWN = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


# ---------------------------------------------------------------------------------------------- rows
def same_digest(ours: str | None, other: str | None) -> bool:
    return ours == other


def keys_subset(ours: str | None, other: str | None) -> bool:
    """The other tool's key names are all among obkimg's (bk7231tools reads only 32 KiB of storage)."""
    if not (ours and other and ours.startswith("keys:") and other.startswith("keys:")):
        return False
    return set(json.loads(other[5:])) <= set(json.loads(ours[5:]))


@dataclass
class Row:
    name: str
    unit: str = "ms"
    ours: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    peer_name: str = ""
    floor_name: str = ""
    #: "faster": ratio = peer / obkimg (how many times faster obkimg is); floor ratio = obkimg / floor
    output: str = ""
    note: str = ""

    @staticmethod
    def _stats(ratios: list[float]) -> str:
        if not ratios:
            return "—"
        return f"{statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}]"

    def fmt(self, xs: list[float]) -> str:
        if not xs:
            return "—"
        m = statistics.median(xs)
        return f"{m:.1f} {self.unit}" if m >= 10 or self.unit != "ms" else f"{m:.2f} {self.unit}"

    def peer_ratio(self) -> str:
        return self._stats([p / o for o, p in zip(self.ours, self.peer, strict=False) if o > 0])

    def floor_ratio(self) -> str:
        return self._stats([o / f for o, f in zip(self.ours, self.floor, strict=False) if f > 0])

    def markdown(self) -> str:
        peer = f"{self.peer_name}: {self.fmt(self.peer)}" if self.peer else "—"
        floor = f"{self.floor_name}: {self.fmt(self.floor)}" if self.floor else "—"
        return (
            f"| {self.name} | {self.fmt(self.ours)} | {peer} | {self.peer_ratio()} | {floor} | "
            f"{self.floor_ratio()} | {self.output or '—'} |"
        )


HEADER = (
    "| row | obkimg | peer | peer / obkimg (median [min–max]) | floor | obkimg / floor "
    "(median [min–max]) | output check |\n|---|---|---|---|---|---|---|"
)


def paired(
    name: str,
    ours: Measure,
    *,
    peer: Measure | None = None,
    peer_name: str = "",
    floor: Measure | None = None,
    floor_name: str = "",
    rounds: int = 9,
    warmup: int = 1,
    compare: Callable[[str | None, str | None], bool] = same_digest,
    compare_floor: bool = False,
    unit: str = "ms",
    note: str = "",
) -> Row:
    """Run obkimg, the peer and the floor in the same rounds (rotating order), ``warmup`` rounds
    discarded, and check obkimg's output digest against the peer's (and the floor's when
    ``compare_floor``) on every round."""
    row = Row(name, unit=unit, peer_name=peer_name, floor_name=floor_name, note=note)
    jobs: list[tuple[str, Measure]] = [("ours", ours)]
    if peer is not None:
        jobs.append(("peer", peer))
    if floor is not None:
        jobs.append(("floor", floor))
    checks: list[bool] = []
    for i in range(warmup + rounds):
        k = i % len(jobs)
        res: dict[str, tuple[float, str | None]] = {}
        for label, job in jobs[k:] + jobs[:k]:
            res[label] = job()
        if i < warmup:
            continue
        row.ours.append(res["ours"][0])
        if "peer" in res:
            row.peer.append(res["peer"][0])
            if res["ours"][1] is not None or res["peer"][1] is not None:
                checks.append(compare(res["ours"][1], res["peer"][1]))
        if "floor" in res:
            row.floor.append(res["floor"][0])
            if compare_floor:
                checks.append(compare(res["ours"][1], res["floor"][1]))
    if checks:
        kind = "keys" if compare is keys_subset else "sha256"
        verb = "⊇ peer's" if compare is keys_subset else "equal"
        row.output = (
            f"{kind} {verb}, {len(checks)}/{len(checks)} rounds"
            if all(checks)
            else f"DIFFERS in {checks.count(False)}/{len(checks)} rounds"
        )
    return row


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n### {title}\n\n{load_line()}\n")
    print(HEADER)
    for r in rows:
        print(r.markdown())
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    if notes:
        print("\n" + "\n".join(notes))
    sys.stdout.flush()


def args(
    doc: str | None, rounds: int = 9, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """Common options; also byte-compiles obkimg once (see ``ENV``) so no round pays for it."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    ap.add_argument("--rounds", type=int, default=rounds, help=f"paired rounds per row (default {rounds})")
    ap.add_argument("--no-peer", action="store_true", help="skip the peer tools")
    if extra is not None:
        extra(ap)
    ns = ap.parse_args()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "obkimg")],
        env=ENV,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return ns


#: exactly what the ``obkimg`` console script pip writes does (``python -m obkimg`` would add runpy)
_CONSOLE = (
    "import re, sys\nfrom obkimg.cli import main\nsys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', "
    "sys.argv[0])\nsys.exit(main())"
)


def obkimg_cmd() -> list[str]:
    """The ``obkimg`` console script, run from this tree (the venv's own script may point elsewhere)."""
    return [sys.executable, "-c", _CONSOLE]


FLOOR_CMD = [sys.executable, "-c", "pass"]
