"""OpenBeken config benchmarks: recovery from 2 MiB dumps, Tiny-CRC8, decode, edit, Tuya migration.

Run: ``python benchmarks/bench_obk.py [--rounds N]``

In-process figures through the shared harness (``_bench.py``), warm page cache. No peer tool reads
OpenBeken configs (bk7231tools and ltchiptool have no such code; BK7231GUIFlashTool is C#), so the one
paired comparison is the table-driven Tiny-CRC8 against the bitwise one of spec B2 (outputs compared
every round). Inputs are synthetic (the shared OBK vectors placed in an erased 2 MiB image) plus, when
present, the real BL602 dump read back after flashing OpenBL602 and a real Tuya BK7231N dump.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from _bench import SHARED, args, inproc, paired, print_table, real_dump

from obkimg import obk
from obkimg.errors import NotFoundError
from obkimg.formats.config import obk_config as oc


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
    runs = args(__doc__, rounds=9).rounds
    sector = (SHARED / "obk" / "obk_cfg_v5_bk7231_sector.bin").read_bytes()
    buf = bytearray(b"\xff" * 0x200000)
    buf[0x1D1000:0x1D2000] = sector
    dump = bytes(buf)
    erased = b"\xff" * 0x200000
    payload = sector[4:3584]
    res = obk.recover_config(dump)
    ef = (SHARED / "obk" / "obk_cfg_v5_bl602_easyflash_gran8.bin").read_bytes()
    items: list[tuple[str, Callable[[], Any]]] = [
        ("recover 2 MiB dump, chip BK7231N", lambda: obk.recover_config(dump, chip="BK7231N").to_dict()),
        ("recover 2 MiB dump, chip unknown (full scan)", lambda: obk.recover_config(dump).to_dict()),
        ("scan erased 2 MiB (not found)", lambda: _not_found(erased)),
        ("decode to_dict()", lambda: res.to_dict()),
        (
            "set 3 fields in the 2 MiB dump",
            lambda: obk.set_config(dump, ["ssid=x", "pin.8=Relay:2", "mqtt_port=1884"], chip="BK7231N"),
        ),
        ("set in BL602 EasyFlash area (compaction)", lambda: obk.set_config(ef, ["ssid=x"])),
    ]
    tuya = real_dump()
    if tuya is not None:
        tdata = tuya.read_bytes()
        items.append((f"new --from-tuya, {tuya.name[:40]}", lambda: obk.new_from_tuya(tdata)))
    rows = [
        paired(
            "Tiny-CRC8 3580 B, table (signed)",
            inproc(lambda: oc.tiny_crc8(payload, signed=True)),
            peer=inproc(lambda: bitwise_crc(payload, True)),
            peer_name="bitwise (spec B2)",
            rounds=runs,
        )
    ]
    rows += [paired(name, inproc(fn), rounds=runs) for name, fn in items]
    print_table("OpenBeken config (in-process; no peer reads OBK configs)", rows)


def _not_found(data: bytes) -> None:
    with contextlib.suppress(NotFoundError):
        obk.recover_config(data)


if __name__ == "__main__":
    main()
