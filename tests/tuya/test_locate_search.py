"""The sector scan's byte search for the key-block magic finds exactly the 16-byte blocks whose first
four bytes are the magic, as comparing every block did (issue 14)."""

from __future__ import annotations

import random

from obkimg import tuya_storage as ts


def _per_block(plain: bytes, magic: bytes) -> list[int]:
    return [i for i in range(len(plain) // 16) if plain[16 * i : 16 * i + 4] == magic]


def test_block_starts_equals_a_comparison_per_block() -> None:
    rnd = random.Random(14)
    hits = 0
    for _ in range(3000):
        b = bytearray(rnd.randbytes(16 * rnd.randint(0, 40)))
        for _ in range(rnd.randint(0, 6)):  # the magic at block starts, inside blocks and across them
            p = rnd.choice([16 * rnd.randrange(0, 41), rnd.randrange(0, 640)])
            b[p : p + 4] = ts._KEY_MAGIC
        plain = bytes(b[: 16 * (len(b) // 16)])
        want = _per_block(plain, ts._KEY_MAGIC)
        assert ts._block_starts(plain, ts._KEY_MAGIC) == want
        hits += len(want)
    assert hits > 1000  # the magic was found at block starts, many times


def test_overlapping_magics() -> None:
    magic = b"\x01\x01\x01\x01"
    plain = b"\x01" * 64
    assert ts._block_starts(plain, magic) == [0, 1, 2, 3] == _per_block(plain, magic)
