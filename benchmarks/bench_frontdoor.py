"""Front-door benchmark: ``obkimg scan`` over the real files, and ``obkimg info`` as a whole process.

Run: ``python benchmarks/bench_frontdoor.py [--runs N] [--folder DIR] [--dump PATH]``

Targets (issue 5): ``obkimg info`` on a 2 MiB dump as a whole process (interpreter start included)
<= 300 ms; ``obkimg scan`` over ``../shared/fixtures/real`` (108 files) reported in files per second.
When ``/tmp/peers/bin/bk7231tools`` exists, ``bk7231tools dissect_dump`` on the same dump is timed in the
same run as the nearest peer of ``info`` (it prints a dissection of the dump).
Figures are medians; the machine's load is printed because it moves them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")) / "fixtures"
PEER = Path(os.environ.get("OBKIMG_PEER_BIN", "/tmp/peers/bin"))


def timed(cmd: list[str], runs: int, cwd: str | None = None) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--folder", type=Path, default=SHARED / "real")
    ap.add_argument("--dump", type=Path, default=SHARED / "real" / "bk7231n" /
                    "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.dump.exists():
        args.dump = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"
    info = timed([sys.executable, "-m", "obkimg", "info", str(args.dump)], args.runs, cwd=str(ROOT))
    print(f"obkimg info {args.dump.name} (whole process): {info * 1000:.0f} ms (target <= 300 ms)")
    info_json = timed([sys.executable, "-m", "obkimg", "info", "--json", str(args.dump)], args.runs, cwd=str(ROOT))
    print(f"obkimg info --json (whole process): {info_json * 1000:.0f} ms")
    peer = PEER / "bk7231tools"
    if peer.exists():
        with tempfile.TemporaryDirectory() as tmp:
            p = timed([str(peer), "dissect_dump", str(args.dump)], max(3, args.runs // 2), cwd=tmp)
        print(f"bk7231tools dissect_dump (whole process): {p * 1000:.0f} ms -> obkimg info is {p / info:.1f}x faster")
    if args.folder.exists():
        sys.path.insert(0, str(ROOT))
        from obkimg.scan import iter_files, scan

        files = iter_files(args.folder)
        for workers in (1, os.cpu_count() or 1):
            t = time.perf_counter()
            rows = list(scan(files, workers=workers))
            dt = time.perf_counter() - t
            bad = sum(1 for r in rows if r.error)
            print(f"scan {args.folder} with {workers} worker(s): {len(rows)} files in {dt:.2f} s = "
                  f"{len(rows) / dt:.1f} files/s ({bad} unrecognised)")
    else:
        print(f"{args.folder} absent: scan not measured")


if __name__ == "__main__":
    main()
