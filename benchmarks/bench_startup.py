"""Start-up benchmarks: whole-process wall time of ``import obkimg``, ``obkimg --help`` and
``obkimg info`` on a 2 MiB dump, each paired with ``python -c pass``; the peers' ``--help`` paired
with ours; and what ``python -X importtime`` / ``sys.modules`` show for ``info`` of a BK7231 dump.

Run: ``python benchmarks/bench_startup.py [--rounds N] [--no-peer] [--dump PATH]``

Targets (issues 5 and 6): ``import obkimg`` <= 150 ms, ``obkimg --help`` <= 250 ms, ``obkimg info`` of
a 2 MiB dump <= 300 ms, each as a whole process. Every figure is a fresh interpreter every round
(see ``_bench.py``); ``python -c pass`` is the floor no Python tool can go under.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

from _bench import ENV, FLOOR_CMD, ROOT, args, obkimg_cmd, paired, peer_exe, print_table, proc, real_dump

MODULES = r"""
import runpy, sys
sys.argv = ["obkimg", "info", "--json", sys.argv[1]]
try:
    runpy.run_module("obkimg", run_name="__main__")
except SystemExit:
    pass
heavy = ("construct", "cryptography", "click", "lzma", "intelhex", "obkimg.formats.", "obkimg.tuya",
         "obkimg.obk")
print(" ".join(sorted(m for m in sys.modules if m.startswith(heavy) or m in heavy)), file=sys.stderr)
"""


def dump_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    found = real_dump()
    if found is not None:
        return found
    out = Path("/tmp/obkimg_bench_demo_dump.bin")
    out.write_bytes(gzip.decompress((ROOT / "examples" / "bk7231n_demo_dump.bin.gz").read_bytes()))
    return out


def importtime(cmd: list[str], top: int = 8) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, module) of the ``top`` biggest cumulative imports (``importlib``-driven
    imports are not listed by -X importtime; the module list below is the complete one)."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, env=ENV, check=False
    )
    rows = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3)[1:] + m.group(4)))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def main() -> None:
    a = args(__doc__, extra=lambda ap: ap.add_argument("--dump", help="2 MiB dump (default: a real one)"))
    dump = dump_path(a.dump)
    floor = proc(FLOOR_CMD)
    cli = obkimg_cmd()
    rows = [
        paired(
            "`import obkimg`",
            proc([sys.executable, "-c", "import obkimg"]),
            floor=floor,
            floor_name="`python -c pass`",
            rounds=a.rounds,
            note="target <= 150 ms",
        ),
        paired(
            "`obkimg --help`",
            proc([*cli, "--help"]),
            floor=floor,
            floor_name="`python -c pass`",
            rounds=a.rounds,
            note="target <= 250 ms",
        ),
        paired(
            f"`obkimg info` ({dump.name[:40]})",
            proc([*cli, "info", dump]),
            floor=floor,
            floor_name="`python -c pass`",
            rounds=a.rounds,
            note="target <= 300 ms",
        ),
    ]
    if not a.no_peer:
        for tool in ("bk7231tools", "ltchiptool", "bflb-iot-tool"):
            exe = peer_exe(tool)
            if exe is not None:
                rows.append(
                    paired(
                        f"`--help` vs `{tool} --help`",
                        proc([*cli, "--help"]),
                        peer=proc([exe, "--help"]),
                        peer_name=tool,
                        rounds=max(3, a.rounds // 2),
                    )
                )
    print_table("Start-up (fresh interpreter every round)", rows)
    print("\npython -X importtime -m obkimg info --json DUMP: top cumulative imports (us)")
    for self_us, cum_us, mod in importtime(["-m", "obkimg", "info", "--json", str(dump)]):
        print(f"  {cum_us:8d} {self_us:8d}  {mod}")
    p = subprocess.run(
        [sys.executable, "-c", MODULES, str(dump)], capture_output=True, text=True, env=ENV, check=False
    )
    print(f"\nheavy modules loaded by `info --json` of this dump:\n  {p.stderr.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
