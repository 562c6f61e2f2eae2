"""OpenBeken config benchmarks: recovery from 2 MiB dumps, Tiny-CRC8, decode, edit, Tuya migration.

Run: ``python benchmarks/bench_obk.py [--runs N]``

Figures are medians of ``--runs`` runs (default 9), in-process, warm page cache. No peer tool reads
OpenBeken configs (bk7231tools and ltchiptool have no such code; BK7231GUIFlashTool is C#), so no
ratio is printed; the bitwise Tiny-CRC8 of spec B2 is measured as the baseline for the table-driven
one. Inputs are synthetic (the shared OBK vectors placed in an erased 2 MiB image) plus, when
present, the real BL602 dump read back after flashing OpenBL602 and a real Tuya BK7231N dump.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import median_ms  # noqa: E402
from obkimg import obk  # noqa: E402
from obkimg.errors import NotFoundError  # noqa: E402
from obkimg.formats import obk_config as oc  # noqa: E402

SHARED = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")) / "fixtures"



def bitwise_crc(data: bytes, signed: bool) -> int:
    crc = 0
    for b in data:
        for _ in range(8):
            mix = (crc ^ b) & 1
            crc = (crc >> 1) | (crc & 0x80 if signed else 0)
            if mix:
                crc ^= 0x8C
            b >>= 1
    return crc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    runs = args.runs
    sector = (SHARED / "obk" / "obk_cfg_v5_bk7231_sector.bin").read_bytes()
    dump = bytearray(b"\xff" * 0x200000)
    dump[0x1D1000:0x1D2000] = sector
    dump = bytes(dump)
    erased = b"\xff" * 0x200000
    rows: list[tuple[str, float]] = []
    payload = sector[4:3584]
    rows.append(
        ("Tiny-CRC8 3580 B, table (signed)", median_ms(lambda: oc.tiny_crc8(payload, signed=True), runs))
    )
    rows.append(("Tiny-CRC8 3580 B, bitwise baseline", median_ms(lambda: bitwise_crc(payload, True), runs)))
    rows.append(
        (
            "recover 2 MiB dump, chip BK7231N",
            median_ms(lambda: obk.recover_config(dump, chip="BK7231N"), runs),
        )
    )
    rows.append(
        ("recover 2 MiB dump, chip unknown (full scan)", median_ms(lambda: obk.recover_config(dump), runs))
    )
    rows.append(("scan erased 2 MiB (not found)", median_ms(lambda: _not_found(erased), runs)))
    res = obk.recover_config(dump)
    rows.append(("decode to_dict()", median_ms(lambda: res.to_dict(), runs)))
    rows.append(
        (
            "set 3 fields in the 2 MiB dump",
            median_ms(
                lambda: obk.set_config(dump, ["ssid=x", "pin.8=Relay:2", "mqtt_port=1884"], chip="BK7231N"),
                runs,
            ),
        )
    )
    ef = (SHARED / "obk" / "obk_cfg_v5_bl602_easyflash_gran8.bin").read_bytes()
    rows.append(
        ("set in BL602 EasyFlash area (compaction)", median_ms(lambda: obk.set_config(ef, ["ssid=x"]), runs))
    )
    bl = SHARED / "real" / "bl602" / "full_binary_with_app_OpenBL602_1.18.57.bin"
    if bl.exists():
        data = bl.read_bytes()
        rows.append(
            ("recover real BL602 2 MiB (BFPT -> PSM)", median_ms(lambda: obk.recover_config(data), runs))
        )
    tuya = SHARED / "real" / "bk7231n" / "Tuya_Generic_TYWB_4CH-RF_Smart_Switch.bin"
    if tuya.exists():
        tdata = tuya.read_bytes()
        rows.append(
            ("new --from-tuya, real BK7231N 2 MiB", median_ms(lambda: obk.new_from_tuya(tdata), runs))
        )
    width = max(len(r[0]) for r in rows)
    print(f"obkimg OpenBeken config benchmarks (median of {runs} runs)")
    for name, ms in rows:
        print(f"  {name:<{width}}  {ms:8.2f} ms")
    print("  peer tools: none read OpenBeken configs; no ratio")


def _not_found(data: bytes) -> None:
    with contextlib.suppress(NotFoundError):
        obk.recover_config(data)


if __name__ == "__main__":
    main()
