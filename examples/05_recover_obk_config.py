"""Recover the OpenBeken configuration (Wi-Fi, MQTT, pins) from a backup, and save it as a file.

Usage: python examples/05_recover_obk_config.py [DUMP [OUT_CFG.bin]]   (default: the shipped demo backup,
written to a new temporary folder)
"""

import sys
import tempfile
from pathlib import Path

from obkimg import obk
from obkimg.fileio import write_atomic

dump = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("bk7231n_demo_dump.bin.gz")
out = sys.argv[2] if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="obkimg-")) / "cfg.bin"
result = obk.recover_config(dump)  # searches raw sectors, EasyFlash, and every sector for "CFG"
cfg = result.config
doc = result.to_dict()
print(
    f"config v{cfg.version} at {result.location['offset']:#x} ({result.location['mechanism']}), "
    f"CRC {'valid' if result.crc_valid else 'BAD'} ({result.crc_variant})"
)
print("Wi-Fi:", doc["wifi"])
print("MQTT: ", {k: v for k, v in doc["mqtt"].items() if k != "password"})
print("pins: ", [(p["pin"], p["role_name"], p["channel"]) for p in doc["pins"] if p["role"]])
write_atomic(out, cfg.build())  # the exact 2016/3584-byte config, CRC recomputed
print("wrote", out)
