"""Build examples/bk7231n_demo_qio.bin.gz: a synthetic BK7231N QIO image made with obkimg's builders only.

Nothing in it comes from a real device or vendor file: the "bootloader" is made-up bytes with an ARM
vector, the N-family marker "BK7231\\0\\0" at 0x100 and a FAL partition table (Tuya N layout); the
"app" is an ARM vector plus a pattern. Both are encrypted with the public default Tuya code key and
packed like beken_packager does (CRC framing, RBL trailers). Deterministic: re-running it gives the
same bytes.   Usage: python examples/make_demo.py [OUT]
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

from obkimg.codecs.bkcipher import KEY_TUYA
from obkimg.fileio import write_atomic
from obkimg.formats.bk7231_fal import FalEntry, FalTable
from obkimg.formats.bk7231_image import build_qio_from_app

OUT = Path(__file__).with_name("bk7231n_demo_qio.bin.gz")
VECTOR = bytes.fromhex("0e0000ea14f09fe514f09fe514f09fe514f09fe514f09fe514f09fe514f09fe5")


def demo_bootloader() -> bytes:
    code = bytearray(VECTOR + bytes((i * 37 + 11) & 0xFF for i in range(0x1FE0)))
    code[0x100:0x108] = b"BK7231\0\0"  # N-family marker, stays plaintext
    fal = FalTable((FalEntry("bootloader", "beken_onchip_crc", 0x0, 0x10000),
                    FalEntry("app", "beken_onchip_crc", 0x10000, 0x108700),
                    FalEntry("download", "beken_onchip", 0x12A000, 0xA6000)))
    return bytes(code) + fal.build()


def demo_app() -> bytes:
    banner = b"obkimg demo app: synthetic, not runnable\0"
    body = bytes((i * 131 + 7) & 0xFF for i in range(0x3000 - len(VECTOR) - len(banner) - 5))
    return VECTOR + banner + body + b"\x01\x02\x03\x04\x05"  # odd length, like real apps


def gzip_bytes(data: bytes) -> bytes:
    """One gzip member with a fixed header (mtime 0, OS 3), independent of the Python version."""
    co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 8)
    body = co.compress(data) + co.flush()
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03" + body + zlib.crc32(data).to_bytes(4, "little")
            + len(data).to_bytes(4, "little"))


def build() -> bytes:
    qio = build_qio_from_app(demo_app(), demo_bootloader(), key=KEY_TUYA, version="OpenBK7231N_0.1.0-demo",
                             layout="bk7231n", timestamp=1700000000)
    return gzip_bytes(qio)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    blob = build()
    write_atomic(out, blob, force=True)
    print(f"wrote {out} ({len(blob)} bytes)")
