"""Turn a BK7231 QIO image (flashed at 0x0) into the UA image flashers write at 0x11000.

Usage: python examples/03_qio_to_ua.py QIO OUT_UA
"""

import sys

import obkimg
from obkimg.convert import qio_to_ua
from obkimg.fileio import write_atomic

qio_path, ua_path = sys.argv[1], sys.argv[2]
ua = qio_to_ua(qio_path)  # a path, bytes or file object in; bytes out
write_atomic(ua_path, ua)  # temp file + fsync + rename; refuses to overwrite
ua_img = obkimg.open(ua)
print(f"wrote {ua_path}: {ua_img.kind}, {len(ua)} bytes, "
      f"{'valid' if not ua_img.verify() else 'DAMAGED'}")
