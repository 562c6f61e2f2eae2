"""Structure-aware fuzzing: turn the fuzzer's bytes into *choices* that obkimg's own builders turn into
valid-looking inputs (Tuya storages, device trees, Intel HEX, partition TOML).

Random mutation of a real file almost never gets past an AES layer, a checksum or a TOML parser, so it
never reaches the amplification paths of issue 12 (index pages naming the same pages again and again,
property names without NUL, HEX spread over 4 GiB, build-flash addresses at 0xFFFF0000). The
``fuzz_*_shapes.py`` harnesses instead read their input as a stream of decisions through :class:`Shape`
(the same idea as atheris' ``FuzzedDataProvider``, but deterministic and usable without atheris, so the
``--seeds-only`` smoke test runs in a clean clone): every byte the fuzzer mutates changes one count,
one address or one name, and the result is still a well-formed storage/tree/file around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Shape:
    """A stream of choices read from fuzzer bytes; once the bytes run out every choice is its minimum."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def uint(self, nbytes: int) -> int:
        return int.from_bytes(self.raw(nbytes), "little")

    def int(self, lo: int, hi: int) -> int:
        """An integer in ``lo..hi`` (inclusive)."""
        span = hi - lo
        if span <= 0:
            return lo
        nbytes = (span.bit_length() + 7) // 8
        return lo + self.uint(nbytes) % (span + 1)

    def bool(self) -> bool:
        return bool(self.uint(1) & 1)

    def pick(self, items: Sequence[T]) -> T:
        return items[self.int(0, len(items) - 1)]

    def bytes(self, lo: int, hi: int) -> bytes:
        return self.raw(self.int(lo, hi)).ljust(lo, b"\0")

    def u32(self) -> int:
        """A 32-bit value, biased towards the edges that matter (0, 1, small, 0xFFFFxxxx, random)."""
        kind = self.int(0, 5)
        if kind == 0:
            return 0
        if kind == 1:
            return self.int(1, 64)
        if kind == 2:
            return self.int(0, 0x20000)
        if kind == 3:
            return 0xFFFFFFFF - self.int(0, 0x10000)
        return self.uint(4)
