"""Pack an OpenBL602 firmware (.bin) into the .xz.ota that OTA updates take, and check it fits.

Usage: python examples/04_pack_bl602_ota.py [FIRMWARE.bin [OUT.xz.ota [DUMP_OR_PARTITION_TABLE]]]
(default: 64 KiB of made-up firmware bytes, written to a new temporary folder)
"""

import random
import sys
import tempfile
from pathlib import Path

from obkimg import ota
from obkimg.fileio import write_atomic

if len(sys.argv) > 1:
    firmware = Path(sys.argv[1]).read_bytes()
else:
    print("no firmware given: packing 64 KiB of made-up bytes")
    firmware = random.Random(602).randbytes(64 * 1024)
out = sys.argv[2] if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="obkimg-")) / "fw.xz.ota"
against = Path(sys.argv[3]).read_bytes() if len(sys.argv) > 3 else None
result = ota.pack(firmware, sw_version="1.0.0", against=against)  # raises LimitError if it does not fit
write_atomic(out, result.ota)
print(f"wrote {out}: {len(result.ota)} bytes ({result.compression}), FW_OTA.bin {len(result.fw_ota)} bytes")
if result.check is not None:
    print("\n".join(result.check.lines()))
print("unpacks back:", ota.unpack(result.ota).fw_ota == result.fw_ota)
