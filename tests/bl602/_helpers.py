"""Shared helpers of the BL602 tests (fixture readers, synthetic dumps)."""

from __future__ import annotations

import hashlib
import struct

from obkimg.codecs.checksums import crc32
from tests.conftest import fixture_path, real_path


def fx(*parts: str) -> bytes:
    """Bytes of a vendor-tool vector under ../shared/fixtures/bl602 (skips when absent)."""
    return fixture_path("bl602", *parts).read_bytes()


def real(name: str) -> bytes:
    """Bytes of a real file under ../shared/fixtures/real/bl602 (skips when absent)."""
    return real_path("bl602", name).read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_table_copy(dump: bytes, offset: int, *, age: int, fw_active: int, fw_len: int = 0) -> bytes:
    """``dump`` with the table copy at ``offset`` rewritten like boot2/the SDK does after an OTA:
    FW activeIndex flipped, entry and table age bumped, both CRCs recomputed."""
    out = bytearray(dump)
    n = struct.unpack_from("<H", out, offset + 6)[0]
    struct.pack_into("<I", out, offset + 8, age)
    struct.pack_into("<I", out, offset + 12, crc32(out[offset : offset + 12]))
    for i in range(n):
        e = offset + 16 + 36 * i
        if out[e] == 0:
            out[e + 2] = fw_active
            struct.pack_into("<I", out, e + 28, fw_len)
            struct.pack_into("<I", out, e + 32, age)
    end = offset + 16 + 36 * n
    struct.pack_into("<I", out, end, crc32(out[offset + 16 : end]))
    return bytes(out)
