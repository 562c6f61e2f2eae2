"""Peak RSS and wall time of each attack of issue 12 "Memory and time bounded by the input".

    PYTHONPATH=. python tests/hardening/measure_bounds.py [--cap-mb 4096] [NAME ...]

Builds the crafted inputs of ``tests/hardening/_attacks.py`` in a temporary folder, runs each command
as its own child process (``python -c 'obkimg.cli.main()'``, stdout to /dev/null) under an optional
address-space cap, and prints one Markdown row per attack: exit code, wall seconds, peak RSS (MB, from
``wait4``) and the last stderr line. Not collected by pytest (the bounded regression tests are
``test_bounds.py``); the figures go to ``tests/hardening/README.md``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.hardening import _attacks as A  # noqa: E402

CLI = "import sys\nfrom obkimg.cli import main\nsys.argv = ['obkimg', *sys.argv[1:]]\nmain()\n"

#: name -> (files to create: name -> builder, argv with {dir}, stdin file or None)
ATTACKS: dict[str, tuple[dict[str, Callable[[], bytes]], list[str], str | None]] = {
    "kv-tuya-keys-json": ({"kv.bin": A.kv_amplification}, ["tuya-keys", "--json", "{dir}/kv.bin"], None),
    "kv-info": ({"kv.bin": A.kv_amplification}, ["info", "{dir}/kv.bin"], None),
    "kv-16mib": (
        {"kv16.bin": lambda: A.kv_amplification(4094)},
        ["tuya-keys", "--json", "{dir}/kv16.bin"],
        None,
    ),
    "kv-4096-key-blocks": ({"keys.bin": A.kv_key_blocks}, ["tuya-keys", "{dir}/keys.bin"], None),
    "dtb-181k": ({"a.dtb": A.dtb_amplification}, ["info", "{dir}/a.dtb"], None),
    "dtb-16m": ({"b.dtb": lambda: A.dtb_amplification(16 * A.MiB - 4096)}, ["info", "{dir}/b.dtb"], None),
    "dtb-suffixes": ({"s.dtb": A.dtb_name_suffixes}, ["info", "{dir}/s.dtb"], None),
    "hex-16mib-hex2bin": (
        {"full.hex": A.hex_full_flash},
        ["convert", "hex2bin", "{dir}/full.hex", "-o", "{dir}/full.bin", "--force"],
        None,
    ),
    "hex-16mib-info": ({"full.hex": A.hex_full_flash}, ["info", "{dir}/full.hex"], None),
    "hex-4gib-span": ({"spread.hex": A.hex_spread}, ["info", "{dir}/spread.hex"], None),
    "build-flash-0xffff0000": (
        {"pt.toml": lambda: A.build_flash_toml(table0="0xFFFF0000").encode(), "fw.bin": lambda: b"\1" * 4096},
        ["bl602", "build-flash", "--pt", "{dir}/pt.toml", "-o", "{dir}/flash.bin", "--force"],
        None,
    ),
    "build-flash-negative": (
        {"ptn.toml": lambda: A.build_flash_toml(table0="-0x1000").encode()},
        ["bl602", "build-flash", "--pt", "{dir}/ptn.toml", "-o", "{dir}/flashn.bin", "--force"],
        None,
    ),
    "bk-crypt-stdin-zero": ({}, ["bk", "crypt", "-", "-o", "{dir}/c.bin", "--force"], "/dev/zero"),
    "rbl-pack-stdin-zero": (
        {},
        ["rbl", "pack", "-", "--version", "1", "-o", "{dir}/r.rbl", "--force"],
        "/dev/zero",
    ),
    "ug-pack-stdin-zero": (
        {},
        ["ug", "pack", "-", "--version", "1", "-o", "{dir}/u.bin", "--force"],
        "/dev/zero",
    ),
    "hex2bin-stdin-zero": ({}, ["convert", "hex2bin", "-", "-o", "{dir}/h.bin", "--force"], "/dev/zero"),
}


def _limit(cap_mb: int | None) -> Callable[[], None] | None:
    if not cap_mb:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap_mb << 20, cap_mb << 20))

    return apply


def measure(name: str, folder: Path, cap_mb: int | None, timeout: float) -> str:
    files, argv, stdin = ATTACKS[name]
    for fname, build in files.items():
        p = folder / fname
        if not p.exists():
            p.write_bytes(build())
    args = [a.format(dir=folder) for a in argv]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    err = folder / f"{name}.err"
    t0 = time.monotonic()
    with open(err, "wb") as ferr:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            stdin=fin,
            stdout=subprocess.DEVNULL,
            stderr=ferr,
            env=env,
            preexec_fn=_limit(cap_mb),
        )
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    elapsed = time.monotonic() - t0
    if stdin:
        fin.close()  # type: ignore[union-attr]
    code = os.waitstatus_to_exitcode(status)
    lines = err.read_bytes().decode(errors="replace").strip().splitlines()
    last = lines[-1][:140] if lines else ""
    outs = [Path(args[i + 1]) for i, a in enumerate(args[:-1]) if a == "-o"]
    sizes = [f"{p.name}={p.stat().st_size}" for p in outs if p.exists()]
    for p in outs:
        p.unlink(missing_ok=True)
    return f"| {name} | {code} | {elapsed:.1f} | {usage.ru_maxrss / 1024:.0f} | {last} | {' '.join(sizes)} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--cap-mb", type=int, default=4096, help="address-space cap per child (0: none)")
    ap.add_argument("--timeout", type=float, default=180)
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="obkimg-bounds-") as d:
        print("| attack | exit | s | peak RSS MB | last stderr line | outputs |")
        print("|---|---:|---:|---:|---|---|")
        for name in ns.names or ATTACKS:
            print(measure(name, Path(d), ns.cap_mb or None, ns.timeout), flush=True)


if __name__ == "__main__":
    main()
