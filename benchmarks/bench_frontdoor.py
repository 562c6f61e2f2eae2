"""Front-door benchmark (the issue-14 table): whole processes a user waits for, on a real 2 MiB dump.

Run: ``python benchmarks/bench_frontdoor.py [--rounds N] [--no-peer] [--against TREE]``

``--against TREE`` runs the same commands from this tree and from another one (for example
``git archive OLD obkimg | tar -x -C /tmp/old``), paired round by round: a before/after table.

Rows (each a fresh process every round, paired round by round with its floor and its peer, see
``_bench.py``):

- the dependency floor: a fresh interpreter that only imports click, construct and cryptography's
  ciphers (what ``info`` of a Tuya dump needs), in time and peak RSS, against ``python -c pass``;
- ``obkimg info --json`` and ``obkimg tuya-keys --json`` against ``python -c pass`` (the interpreter
  floor; goals <= 8x and <= 6x);
- ``info`` + ``tuya-keys`` (two processes) against ``bk7231tools dissect_dump -e`` (goal >= 10x
  faster); the Tuya key names both find are compared every round;
- ``obkimg convert qio2ua`` of the real OpenBK7231N QIO release against the floor (goal <= 5x);
- peak RSS of ``info --json`` against ``bk7231tools dissect_dump`` and the floor (goal <= 32 MB);
- ``obkimg scan --json -j 2`` of ``../shared/fixtures/real`` (goal >= 200 files/s), with a floor that
  only reads every file in a fresh interpreter.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _bench import (
    ENV,
    FLOOR_CMD,
    REAL,
    Measure,
    args,
    digest,
    keys_subset,
    obkimg_cmd,
    paired,
    peer_exe,
    print_table,
    proc,
    real,
    real_dump,
)

#: the runtime dependencies `info` of a Tuya dump imports (click, construct, AES from cryptography), alone
DEPS_CMD = [sys.executable, "-c", "import click, construct, cryptography.hazmat.primitives.ciphers"]


def tuya_key_names(stdout: bytes) -> list[str]:
    return sorted(json.loads(stdout)["values"])


def info_and_keys(dump: Path, tmp: Path) -> Measure:
    """obkimg's answer to what ``dissect_dump -e`` does: ``info --json`` then ``tuya-keys --json``."""
    info = proc([*obkimg_cmd(), "info", "--json", dump], cwd=tmp)
    keys = proc([*obkimg_cmd(), "tuya-keys", "--json", dump], cwd=tmp, out=tuya_key_names)

    def run() -> tuple[float, str | None]:
        a, _ = info()
        b, d = keys()
        return a + b, d

    return run


def dissect(dump: Path, tmp: Path) -> Measure:
    exe = peer_exe("bk7231tools")
    assert exe is not None

    def run() -> tuple[float, str | None]:
        out = tmp / "dissect"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        ms, _ = proc([exe, "dissect_dump", "-e", "-O", out, dump], cwd=out)()
        stores = list(out.glob("*_storage.json"))
        names = sorted(json.loads(stores[0].read_text())) if stores else []
        return ms, digest(names)

    return run


def scan_measure(folder: Path) -> tuple[Measure, int]:
    """The scan command, and how many files it reports (one untimed run)."""
    cmd = [*obkimg_cmd(), "scan", "--json", "-j", "2", str(folder)]
    n = json.loads(subprocess.run(cmd, capture_output=True, check=True, env=ENV).stdout)["count"]
    return proc(cmd), n


def against(tree: Path, dump: Path, qio: list[Path], rounds: int) -> None:
    """The same commands from this tree and from ``tree`` (e.g. ``git archive`` of an older commit),
    paired round by round: the before/after table that load cannot skew."""
    cmds = [
        ("`info --json`", ["info", "--json", str(dump)]),
        ("`tuya-keys --json`", ["tuya-keys", "--json", str(dump)]),
    ]
    with tempfile.TemporaryDirectory(prefix="obkimg-bench-") as t:
        if qio:
            cmds.append(
                ("`convert qio2ua`", ["convert", "qio2ua", str(qio[0]), "-o", f"{t}/ua.bin", "--force"])
            )
        rows = [
            paired(
                f"{name}: this tree vs {tree}",
                proc([*obkimg_cmd(), *argv]),
                peer=proc([*obkimg_cmd(), *argv], tree=tree),
                peer_name="other tree",
                floor=proc(FLOOR_CMD),
                floor_name="`python -c pass`",
                rounds=rounds,
            )
            for name, argv in cmds
        ]
        info = [*obkimg_cmd(), "info", "--json", str(dump)]
        rows.append(
            paired(
                "peak RSS of `info --json`",
                proc(info, rss=True),
                peer=proc(info, rss=True, tree=tree),
                peer_name="other tree",
                unit="MB",
                rounds=max(3, rounds // 3),
            )
        )
    if REAL.exists():
        scan = [*obkimg_cmd(), "scan", "--json", "-j", "2", str(REAL)]
        rows.append(
            paired(
                "`scan --json -j 2` of the real files",
                proc(scan),
                peer=proc(scan, tree=tree),
                peer_name="other tree",
                rounds=max(3, rounds // 3),
            )
        )
    print_table(f"This tree against {tree} (peer / obkimg > 1: this tree is faster or leaner)", rows)


def main() -> None:
    a = args(
        __doc__,
        extra=lambda ap: ap.add_argument(
            "--against", type=Path, metavar="TREE", help="compare with the obkimg of another tree"
        ),
    )
    dump = real_dump()
    if dump is None:
        sys.exit("needs ../shared/fixtures/real (a real 2 MiB BK7231N dump); no synthetic stand-in here")
    qio = real("bk7231n/OpenBK7231N_QIO_*.bin")
    if a.against is not None:
        against(a.against, dump, qio, a.rounds)
        return
    peer = None if a.no_peer else peer_exe("bk7231tools")
    floor = proc(FLOOR_CMD)
    rows = []
    with tempfile.TemporaryDirectory(prefix="obkimg-bench-") as t:
        tmp = Path(t)
        rows.append(
            paired(
                "dependency floor: `import click, construct` + AES",
                proc(DEPS_CMD),
                floor=floor,
                floor_name="`python -c pass`",
                rounds=a.rounds,
                note="what importing the runtime dependencies `info` needs costs before obkimg runs a line",
            )
        )
        rows.append(
            paired(
                "`info --json` (2 MiB BK7231N)",
                proc([*obkimg_cmd(), "info", "--json", dump]),
                floor=floor,
                floor_name="`python -c pass`",
                rounds=a.rounds,
                note="goal: obkimg / floor <= 8",
            )
        )
        rows.append(
            paired(
                "`tuya-keys --json`",
                proc([*obkimg_cmd(), "tuya-keys", "--json", dump]),
                floor=floor,
                floor_name="`python -c pass`",
                rounds=a.rounds,
                note="goal: obkimg / floor <= 6",
            )
        )
        if peer is not None:
            rows.append(
                paired(
                    "`info` + `tuya-keys` vs `dissect_dump -e`",
                    info_and_keys(dump, tmp),
                    peer=dissect(dump, tmp),
                    peer_name="bk7231tools",
                    compare=keys_subset,
                    rounds=max(3, a.rounds // 2),
                    note="goal: peer / obkimg >= 10; Tuya key names compared every round",
                )
            )
        if qio:
            out = tmp / "ua.bin"
            cmd = [*obkimg_cmd(), "convert", "qio2ua", qio[0], "-o", out, "--force"]
            rows.append(
                paired(
                    f"`convert qio2ua` ({qio[0].name})",
                    proc(cmd),
                    floor=floor,
                    floor_name="`python -c pass`",
                    rounds=a.rounds,
                    note="goal: obkimg / floor <= 5",
                )
            )
        rows.append(
            paired(
                "peak RSS of the dependency floor",
                proc(DEPS_CMD, rss=True),
                floor=proc(FLOOR_CMD, rss=True),
                floor_name="`python -c pass`",
                unit="MB",
                rounds=max(3, a.rounds // 3),
                note="the same imports: the memory of the interpreter, click, construct (with hashlib's "
                "OpenSSL) and cryptography (its own OpenSSL) before obkimg reads a byte",
            )
        )
        rss_peer = proc([peer, "dissect_dump", dump], cwd=tmp, rss=True) if peer is not None else None
        rows.append(
            paired(
                "peak RSS of `info --json`",
                proc([*obkimg_cmd(), "info", "--json", dump], rss=True),
                peer=rss_peer,
                peer_name="bk7231tools dissect_dump",
                floor=proc(FLOOR_CMD, rss=True),
                floor_name="`python -c pass`",
                unit="MB",
                rounds=max(3, a.rounds // 3),
                note="goal: <= 32 MB; peer / obkimg > 1 means obkimg uses less",
            )
        )
    if REAL.exists():
        files = [
            p for p in sorted(REAL.rglob("*")) if p.is_file() and p.suffix not in (".json", ".txt", ".md")
        ]
        reader = proc(
            [sys.executable, "-c", "import sys\nfor p in sys.argv[1:]: open(p, 'rb').read()", *files]
        )
        scan, n = scan_measure(REAL)
        row = paired(
            f"`scan --json -j 2` of {n} real files",
            scan,
            floor=reader,
            floor_name="fresh python reading the files",
            rounds=max(3, a.rounds // 3),
        )
        fps = sorted(n / (ms / 1000) for ms in row.ours)
        row.note = (
            f"{statistics.median(fps):.0f} files/s median [{fps[0]:.0f}–{fps[-1]:.0f}]; goal >= 200 files/s"
        )
        rows.append(row)
    print_table(f"Whole processes (fresh interpreter every round), {dump.name}", rows)


if __name__ == "__main__":
    main()
