"""BK7231 image benchmarks: ``obkimg.open()`` + ``to_dict()`` of a 2 MiB dump, and QIO → UA.

Run: ``python benchmarks/bench_bk7231.py [--runs N] [--dump PATH] [--qio PATH] [--no-peer]``

Target (issue 2): ``info`` on a 2 MiB dump in-process <= 100 ms. Figures are medians of ``--runs`` runs
(default 7). "cold" clears the cipher keystream cache before every run (the one-shot cost of a CLI
call, construct and cryptography already imported); "warm" keeps it. The peer, ``bk7231tools dissect_dump`` (no extraction),
is run as a subprocess with /tmp/peers/bin/bk7231tools on the same file when installed, next to
``obkimg info --json`` run the same way (both include interpreter start-up), and the ratio is printed.
Without ../shared a synthetic dump (built by obkimg's builders) is used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import obkimg  # noqa: E402
from _bench import median_ms  # noqa: E402
from obkimg.codecs import bkcipher  # noqa: E402
from obkimg.convert import qio_to_ua  # noqa: E402

REAL = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")) / "fixtures" / "real"
PEER_TOOL = Path("/tmp/peers/bin/bk7231tools")
OBKIMG_CLI = Path(sys.executable).with_name("obkimg")
TARGET_MS = 100.0



def synthetic_dump() -> bytes:
    from tests.bk7231_images import _synth

    return bytes(_synth.dump())


def find(explicit: str | None, pattern: str, size: int | None) -> tuple[bytes, str] | None:
    if explicit:
        return Path(explicit).read_bytes(), explicit
    if REAL.exists():
        for p in sorted(REAL.glob(pattern)):
            if size is None or p.stat().st_size == size:
                return p.read_bytes(), str(p)
    return None


def subprocess_ms(cmd: list[str], runs: int, cwd: str) -> float | None:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1000)
        if r.returncode != 0:
            return None
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--dump", help="a 2 MiB BK7231 dump (default: first real one, else synthetic)")
    ap.add_argument("--qio", help="a QIO image (default: OpenBK7231N_QIO_1.18.300.bin when present)")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()

    found = find(args.dump, "bk7231n/*.bin", 2 * 1024 * 1024)
    dump, name = found if found else (synthetic_dump(), "<synthetic 2 MiB N dump>")
    print(f"dump: {name} ({len(dump)} bytes)")
    obkimg.open(dump).to_dict()  # imports (construct, cryptography) out of the measurement

    def info() -> object:
        return obkimg.open(dump).to_dict()

    cold = median_ms(info, args.runs, setup=bkcipher.clear_cache)
    warm = median_ms(info, args.runs)
    verdict = "OK" if cold <= TARGET_MS else "SLOWER THAN TARGET"
    print(f"open + to_dict, 2 MiB dump: cold {cold:7.1f} ms   warm {warm:7.1f} ms   "
          f"(target <= {TARGET_MS:.0f} ms: {verdict})")
    img = obkimg.open(dump)
    print(f"  -> {img.kind} {img.chip}, {len(img.regions())} regions, ok={img.ok}")
    vfy = median_ms(lambda: obkimg.open(dump).verify(), max(3, args.runs // 2))
    print(f"open + verify (adds FNV-1a of both RBL images, pure Python): {vfy:7.1f} ms")

    q = find(args.qio, "bk7231n/OpenBK7231N_QIO_*.bin", None)
    if q is None:
        from tests.bk7231_images import _synth

        q = (_synth.qio(), "<synthetic QIO>")
    qio, qname = q
    ms = median_ms(lambda: qio_to_ua(qio), args.runs, setup=bkcipher.clear_cache)
    ms_trim = median_ms(lambda: qio_to_ua(qio, trim=True), args.runs,
                        setup=bkcipher.clear_cache)
    print(f"QIO -> UA ({Path(qname).name}, {len(qio)} bytes): {ms:7.1f} ms   trimmed: {ms_trim:7.1f} ms")

    if args.no_peer or not PEER_TOOL.exists():
        print("peer: bk7231tools not installed (/tmp/peers/bin/bk7231tools); no ratio")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dump.bin")
        with open(path, "wb") as f:
            f.write(dump)
        runs = max(3, args.runs // 2)
        peer = subprocess_ms([str(PEER_TOOL), "dissect_dump", path], runs, tmp)
        ours = subprocess_ms([str(OBKIMG_CLI), "info", "--json", path], runs, tmp) \
            if OBKIMG_CLI.exists() and shutil.which(str(OBKIMG_CLI)) else None
        if peer is None:
            print("peer: bk7231tools dissect_dump failed on this dump; no ratio")
            return
        print(f"peer bk7231tools dissect_dump (subprocess): {peer:7.1f} ms")
        if ours is not None:
            print(f"obkimg info --json (subprocess):             {ours:7.1f} ms   "
                  f"ratio peer/ours {peer / ours:5.1f}x")
        print(f"in-process open+to_dict (cold) vs peer:      ratio peer/ours {peer / cold:5.1f}x")


if __name__ == "__main__":
    main()
