"""BL602 benchmark: ``ota pack`` of a real OpenBL602 firmware against bflb-iot-tool and bare lzma.

Run: ``python benchmarks/bench_bl602.py [--rounds N] [--no-peer] [--firmware PATH]``

Rows (paired round by round, see ``_bench.py``):

- ``obkimg.ota.pack`` (boot header + FW_OTA.bin + XZ + OTA header, what ``obkimg ota pack`` does)
  in a worker interpreter, against bflb-iot-tool's OTA step (``BflbIotTool.bl60x_mfg_ota_xz_gen``, in
  a worker of the peer venv, on the FW_OTA.bin obkimg built) and against the floor: a bare
  ``lzma.compress`` of the same FW_OTA.bin with bflb-iot-tool's settings (CRC32, LZMA2, 32 KiB
  dictionary). The sha256 of the .xz.ota must equal bflb-iot-tool's, and the floor's XZ stream must
  equal obkimg's payload, every round.
- ``obkimg.ota.unpack`` of the result and ``obkimg.open`` of it.

Input: ``../shared/fixtures/real/bl602/OpenBL602_1.18.57.bin`` when present, else a synthetic
firmware. Target (issue 3): pack within 1.10x of the bare lzma call.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from _bench import REAL, Worker, args, paired, peer_python, print_table

OURS = r"""
import sys
from obkimg import ota
fw = open(sys.argv[1], "rb").read()
def once():
    return ota.pack(fw).ota
"""

OURS_PAYLOAD = r"""
import sys
from obkimg import ota
fw = open(sys.argv[1], "rb").read()
def once():
    return ota.pack(fw).payload
"""

FLOOR = r"""
import lzma, sys
from obkimg import ota
fw_ota = ota.pack(open(sys.argv[1], "rb").read()).fw_ota
def once():
    return lzma.compress(fw_ota, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                         filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 32768}])
"""

PEER = r"""
import contextlib, io, os, sys
from bflb_iot_tool.core.bflb_iot_tool import BflbIotTool
folder = sys.argv[1]
tool = BflbIotTool.__new__(BflbIotTool)   # the constructor writes config files into the package dir
def once():
    with contextlib.redirect_stdout(io.StringIO()):
        tool.bl60x_mfg_ota_xz_gen(folder, "bl602", "bl60x", fw_len=1 << 24)
    return open(os.path.join(folder, "FW_OTA.bin.xz.ota"), "rb").read()
"""

UNPACK = r"""
import sys
from obkimg import ota
blob = ota.pack(open(sys.argv[1], "rb").read()).ota
def once():
    return ota.unpack(blob).image
"""

OPEN = r"""
import sys
import obkimg
from obkimg import ota
blob = ota.pack(open(sys.argv[1], "rb").read()).ota
def once():
    return obkimg.open(blob).to_dict()
"""


def synthetic_firmware(size: int = 800 * 1024) -> bytes:
    """Deterministic pseudo-firmware, about half compressible (random blocks, repeated words, strings)."""
    out = bytearray()
    i = 0
    while len(out) < size:
        d = hashlib.sha256(b"obkimg-bl602-bench" + i.to_bytes(4, "little")).digest()
        kind = i % 4
        if kind in (0, 1):
            out += d + hashlib.sha256(d).digest()
        elif kind == 2:
            out += (i & 0xFFFF).to_bytes(4, "little") * 16
        else:
            out += (b"[%10u][%s: %s:%4d] wifi event " + d[:8].hex().encode())[:64].ljust(64, b"\0")
        i += 1
    return bytes(out[:size])


def main() -> None:
    a = args(__doc__, rounds=7, extra=lambda ap: ap.add_argument("--firmware"))
    peer = None if a.no_peer else peer_python()
    with tempfile.TemporaryDirectory(prefix="obkimg-bench-") as t:
        tmp = Path(t)
        fw_path = Path(a.firmware) if a.firmware else REAL / "bl602" / "OpenBL602_1.18.57.bin"
        if not fw_path.exists():
            fw_path = tmp / "synthetic_fw.bin"
            fw_path.write_bytes(synthetic_firmware())
        fw = str(fw_path)
        from obkimg import ota

        (tmp / "FW_OTA.bin").write_bytes(ota.pack(fw_path.read_bytes()).fw_ota)
        workers = [
            Worker(OURS, fw),
            Worker(OURS_PAYLOAD, fw),
            Worker(FLOOR, fw),
            Worker(UNPACK, fw),
            Worker(OPEN, fw),
        ]
        if peer is not None:
            workers.append(Worker(PEER, str(tmp), python=str(peer)))
        try:
            ours, payload, floor, unpack, opener = workers[:5]
            rows = []
            if peer is not None:
                rows.append(
                    paired(
                        f"ota.pack {fw_path.name} vs bflb-iot-tool",
                        ours,
                        peer=workers[5],
                        peer_name="bflb-iot-tool",
                        rounds=a.rounds,
                    )
                )
            rows.append(
                paired(
                    f"ota.pack {fw_path.name} vs bare lzma",
                    payload,
                    floor=floor,
                    floor_name="lzma.compress, same filters",
                    compare_floor=True,
                    rounds=a.rounds,
                    note="target obkimg / floor <= 1.10; the floor's XZ stream is compared",
                )
            )
            rows.append(paired("ota.unpack of the result", unpack, rounds=a.rounds))
            rows.append(paired("obkimg.open(...).to_dict() of the result", opener, rounds=a.rounds))
        finally:
            for w in workers:
                w.close()
    print_table(
        f"BL602 OTA ({fw_path.name}, {fw_path.stat().st_size if fw_path.exists() else 0} bytes)", rows
    )


if __name__ == "__main__":
    main()
