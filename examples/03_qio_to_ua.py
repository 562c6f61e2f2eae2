"""Turn a BK7231 QIO image (flashed at 0x0) into the UA image flashers write at 0x11000.

Usage: python examples/03_qio_to_ua.py [QIO [OUT_UA]]   (default: the shipped demo QIO, written to a
new temporary folder)
"""

import sys
import tempfile
from pathlib import Path

import obkimg
from obkimg.convert import qio_to_ua
from obkimg.fileio import write_atomic

qio_path = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("bk7231n_demo_qio.bin.gz")
ua_path = sys.argv[2] if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="obkimg-")) / "ua.bin"
ua = qio_to_ua(qio_path)  # a path, bytes or file object in; bytes out
write_atomic(ua_path, ua)  # temp file + fsync + rename; refuses to overwrite
ua_img = obkimg.open(ua)
print(f"wrote {ua_path}: {ua_img.kind}, {len(ua)} bytes, {'valid' if not ua_img.verify() else 'DAMAGED'}")
