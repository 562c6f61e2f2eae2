"""Start-up benchmarks: whole-process wall time of ``python -c "import obkimg"``, ``obkimg --help`` and
``obkimg info`` on a 2 MiB dump, with the ``python -X importtime`` top offenders.

Run: ``python benchmarks/bench_startup.py [--runs N] [--dump PATH] [--no-peer]``

Targets (issues 5 and 6): ``import obkimg`` <= 150 ms, ``obkimg --help`` <= 250 ms, ``obkimg info`` of
a 2 MiB dump <= 300 ms, each as a whole process (interpreter start-up included). Figures are medians of
``--runs`` runs (default 10); ``python -c pass`` is measured too, as the floor no Python tool can go
under. When the peer tools are installed (``/tmp/peers/bin``) their ``--help`` is measured in the same
run and the ratio peer/ours printed.

Heavy modules (construct, cryptography, lzma, intelhex; numpy is not used any more) are imported
lazily: the importtime table shows what ``import obkimg`` and ``--help`` really load.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")) / "fixtures" / "real"
PEER_BIN = Path("/tmp/peers/bin")
TARGETS_MS = {"import obkimg": 150.0, "obkimg --help": 250.0, "obkimg info (2 MiB dump)": 300.0}
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "0"}


def obkimg_cmd() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m obkimg``."""
    script = Path(sys.executable).with_name("obkimg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "obkimg"]


def wall_ms(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median and minimum wall time of ``cmd`` as a whole process (one warm-up run first)."""
    subprocess.run(cmd, capture_output=True, env=ENV, check=False)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, env=ENV, check=False)
        times.append((time.perf_counter() - t) * 1000)
        if p.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[-500:]}")
    return statistics.median(times), min(times)


def importtime(code: str, top: int = 8) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, module) of the ``top`` biggest cumulative imports of ``code``."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                       env=ENV, check=False)
    rows = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3)[1:] + m.group(4)))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def find_dump(explicit: str | None) -> tuple[Path, str]:
    if explicit:
        return Path(explicit), explicit
    if REAL.exists():
        for p in sorted(REAL.glob("bk7231n/*.bin")):
            if p.stat().st_size == 2 * 1024 * 1024:
                return p, f"real dump {p.name}"
    demo = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "obkimg_bench_demo_dump.bin"
    out.write_bytes(gzip.decompress(demo.read_bytes()))
    return out, "synthetic demo dump (examples/bk7231n_demo_dump.bin.gz, unpacked)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--dump", help="2 MiB dump for the info figure (default: a real one, else the demo)")
    ap.add_argument("--no-peer", action="store_true", help="skip the peer tools")
    args = ap.parse_args()
    dump, dump_name = find_dump(args.dump)
    cli = obkimg_cmd()

    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "import obkimg": [sys.executable, "-c", "import obkimg"],
        "obkimg --help": [*cli, "--help"],
        "obkimg info (2 MiB dump)": [*cli, "info", str(dump)],
    }
    print(f"whole-process wall time, median (min) of {args.runs} runs; Python {sys.version.split()[0]}")
    print(f"info input: {dump_name}")
    results = {}
    for name, cmd in cases.items():
        med, low = wall_ms(cmd, args.runs)
        results[name] = med
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else f"  target <= {target:.0f} ms: {'ok' if med <= target else 'MISSED'}"
        print(f"  {name:28s} {med:7.1f} ms ({low:6.1f}){verdict}")

    if not args.no_peer and PEER_BIN.exists():
        print("peers (same run):")
        for tool in ("bk7231tools", "ltchiptool", "bflb-iot-tool"):
            exe = PEER_BIN / tool
            if not exe.exists():
                continue
            try:
                med, low = wall_ms([str(exe), "--help"], max(3, args.runs // 2))
            except SystemExit as e:
                print(f"  {tool} --help: not measured ({str(e)[:80]})")
                continue
            print(f"  {tool + ' --help':28s} {med:7.1f} ms ({low:6.1f})  peer/ours = "
                  f"{med / results['obkimg --help']:.1f}x")

    for title, code in (("import obkimg", "import obkimg"),
                        ("obkimg --help", "import sys; sys.argv = ['obkimg', '--help']\n"
                                          "from obkimg.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass")):
        print(f"python -X importtime, {title}: top cumulative imports (us)")
        for self_us, cum_us, mod in importtime(code):
            print(f"  {cum_us:8d} {self_us:8d}  {mod}")


if __name__ == "__main__":
    main()
