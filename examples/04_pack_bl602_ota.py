"""Pack an OpenBL602 firmware (.bin) into the .xz.ota that OTA updates take, and check it fits.

Usage: python examples/04_pack_bl602_ota.py FIRMWARE.bin OUT.xz.ota [DUMP_OR_PARTITION_TABLE]
"""

import sys
from pathlib import Path

from obkimg import ota
from obkimg.fileio import write_atomic

firmware = Path(sys.argv[1]).read_bytes()
against = Path(sys.argv[3]).read_bytes() if len(sys.argv) > 3 else None
result = ota.pack(firmware, sw_version="1.0.0", against=against)  # raises LimitError if it does not fit
write_atomic(sys.argv[2], result.ota)
print(f"wrote {sys.argv[2]}: {len(result.ota)} bytes ({result.compression}), FW_OTA.bin {len(result.fw_ota)} bytes")
if result.check is not None:
    print("\n".join(result.check.lines()))
print("unpacks back:", ota.unpack(result.ota).fw_ota == result.fw_ota)
