"""Run every atheris harness in ``tests/fuzz/`` for N executions and print a Markdown table of figures.

    python tests/fuzz/run_all.py --runs 200000            # all harnesses, one after the other
    python tests/fuzz/run_all.py --runs 20000 --only rbl  # harnesses whose name contains "rbl"
    make fuzz RUNS=200000

One harness runs at a time on one core (the machine is shared). Corpora and logs are kept under
``--workdir`` (default ``$TMPDIR/obkimg-fuzz``) so a rerun continues from the corpus found so far; crash
inputs are saved there as ``<harness>/crash-*`` (replay one with ``python tests/fuzz/<harness>.py
--replay <file>``). Exit status 1 if any harness crashed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def harnesses(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("fuzz_*.py"))
    if only:
        found = [p for p in found if any(o in p.stem for o in only)]
    return found


def _stat(text: str, key: str) -> int | None:
    m = re.search(rf"stat::{key}:\s+(\d+)", text)
    return int(m.group(1)) if m else None


def _artifacts(base: Path) -> list[str]:
    return sorted(p.name for pat in ("crash-*", "timeout-*", "oom-*", "leak-*") for p in base.glob(pat))


def _chunk_of(path: Path, default: int) -> int:
    """A harness may lower the restart interval with a module constant ``CHUNK = n``."""
    m = re.search(r"^CHUNK = (\d+)", path.read_text(), re.M)
    return min(int(m.group(1)), default) if m else default


def run_one(path: Path, runs: int, workdir: Path, extra: list[str], chunk: int) -> dict[str, object]:
    """Fuzz one harness for ``runs`` executions, in restarts of at most ``chunk`` executions.

    Restarting bounds the memory of the fuzzing process: atheris 3.0 leaks the result of an instrumented
    ``==`` that is not a bool (``numpy_array == 0xFF``), so a harness over code doing that grows with the
    number of executions although obkimg itself does not (see README.md). Each restart reloads the
    corpus found so far.
    """
    name = path.stem
    base = workdir / name
    corpus = base / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    log = base / "log.txt"
    log.write_text("")
    execs = 0
    peak = 0
    rc = 0
    interrupted = 0
    t0 = time.monotonic()
    text = ""
    while execs < runs and rc == 0:
        n = min(_chunk_of(path, chunk), runs - execs)
        cmd = [
            sys.executable,
            str(path),
            f"-runs={n}",
            "-print_final_stats=1",
            f"-artifact_prefix={base}/",
            *extra,
            str(corpus),
        ]
        with open(log, "a") as out:
            out.write(f"\n### {' '.join(cmd)}\n")
            out.flush()
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=HERE.parent.parent)
        text = log.read_text(errors="replace").rsplit("\n### ", 1)[-1]
        done = _stat(text, "number_of_executed_units")
        if done is None:  # crashed before the final stats: count the last progress line
            marks = re.findall(r"^#(\d+)", text, re.M)
            done = int(marks[-1]) if marks else 0
        execs += done
        peak = max(peak, _stat(text, "peak_rss_mb") or 0)
        if rc and "run interrupted" in text and not _artifacts(base):
            # SIGINT/SIGTERM from outside (a shared machine): not a finding, resume from the corpus
            interrupted += 1
            rc = 0 if interrupted <= 5 else rc
        if done == 0:
            break
    wall = time.monotonic() - t0
    crashes = _artifacts(base)
    cov = re.findall(r"cov: (\d+) ft: (\d+)", text)
    return {
        "harness": name,
        "rc": rc,
        "execs": execs,
        "exec_s": round(execs / wall) if wall else None,
        "seconds": round(wall),
        "peak_rss_mb": peak,
        "cov": int(cov[-1][0]) if cov else None,
        "corpus": len(list(corpus.iterdir())),
        "crashes": crashes,
        "log": str(log),
        "interrupted": interrupted,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200_000, help="executions per harness (default 200000)")
    ap.add_argument("--only", action="append", default=[], help="substring of the harness names to run")
    ap.add_argument(
        "--chunk",
        type=int,
        default=25000,
        help="restart the harness every N executions (bounds atheris' memory growth)",
    )
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "obkimg-fuzz")
    ap.add_argument("extra", nargs="*", help="more libFuzzer flags (after --)")
    args = ap.parse_args()
    rows = []
    for h in harnesses(args.only):
        print(f"fuzzing {h.stem} for {args.runs} executions ...", file=sys.stderr, flush=True)
        r = run_one(h, args.runs, args.workdir, args.extra, args.chunk)
        rows.append(r)
        print(
            f"  {r['execs']} execs, {r['exec_s']} exec/s, {r['seconds']} s, rc {r['rc']}, crashes "
            f"{r['crashes'] or 'none'}, interruptions {r['interrupted']} ({r['log']})",
            file=sys.stderr,
            flush=True,
        )
    print("| harness | executions | exec/s | wall s | coverage | corpus | peak RSS MB | crashes |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['harness']} | {r['execs']} | {r['exec_s']} | {r['seconds']} | {r['cov']} "
            f"| {r['corpus']} "
            f"| {r['peak_rss_mb']} | {', '.join(r['crashes']) or 'none'} |"
        )  # type: ignore[arg-type]
    return 1 if any(r["rc"] or r["crashes"] for r in rows) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
