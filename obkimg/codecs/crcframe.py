"""BK7231 flash framing: every 32 data bytes are followed by a big-endian CRC-16/CMS (34-byte blocks).

Dumps and flashers see *physical* bytes (with CRCs); the CPU sees *logical* bytes.
All-0xFF blocks are erased flash: their CRC (0x000C) never matches 0xFFFF, so they are reported as
``empty``, not as bad. Pure Python at C speed (strided slices, ``bytes.translate`` table steps and
big-integer XORs over all blocks at once): a 2 MiB dump is checked and stripped in a few ms.
"""

from __future__ import annotations

import re
from dataclasses import field
from functools import lru_cache

from .._record import dataclass
from .checksums import CRC16_CMS_TABLE, crc16_cms

__all__ = [
    "BLOCK",
    "DATA",
    "FrameReport",
    "block_crcs",
    "frame",
    "unframe",
    "verify",
    "logical_to_physical",
    "physical_to_logical",
]

DATA = 32
BLOCK = 34

#: 0xFF -> 0x00, anything else -> 0xFF (marks bytes that are not 0xFF)
_NOT_FF = bytes(0 if i == 0xFF else 0xFF for i in range(256))
_NONZERO = re.compile(rb"[^\x00]")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "little")


def _xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two equally long byte strings (as one big integer: C speed)."""
    return (_int(a) ^ _int(b)).to_bytes(len(a), "little")


@lru_cache(maxsize=1)
def _position_tables() -> tuple[tuple[bytes, bytes], ...]:
    """Per byte position j of a 32-byte block: the CRC contribution of each byte value (high and low
    byte as translate() tables), plus the CRC of 32 zero bytes from the 0xFFFF preset.

    CRC-16/CMS is linear: crc(block) = crc0(zeros) ^ XOR_j T_j[block[j]], where T_j[v] is the
    register after feeding v at position j into a zero register and then the 31 - j remaining zeros.
    T_j is linear in v too, so only its 8 single-bit values are computed (then 256 entries by
    doubling: entries below 2**(b+1) = entries below 2**b, then the same XOR T_j[2**b]).
    """
    table = CRC16_CMS_TABLE
    basis = [table[1 << b] for b in range(8)]  # position 31: one byte into a zero register
    tables = []
    for _ in range(DATA):
        hi, lo = b"\0", b"\0"
        for t in basis:
            hi += _xor(hi, bytes([t >> 8]) * len(hi))
            lo += _xor(lo, bytes([t & 0xFF]) * len(lo))
        tables.append((hi, lo))
        basis = [((t << 8) & 0xFFFF) ^ table[t >> 8] for t in basis]  # one more zero byte after it
    tables.reverse()
    return tuple(tables)


_CRC_OF_ZEROS = crc16_cms(bytes(DATA))


def block_crcs(buf: bytes, n: int, stride: int = DATA) -> tuple[bytes, bytes]:
    """CRC-16/CMS of ``n`` 32-byte blocks that start every ``stride`` bytes of ``buf``.

    Returns the high and the low CRC byte of every block as two ``n``-byte strings. All blocks are
    done at once, one byte position at a time, with no loop over blocks: column ``j`` (byte j of every
    block) is a strided slice, its CRC contribution a ``bytes.translate`` and the sums big-integer
    XORs (the CRC is linear, see :func:`_position_tables`).
    """
    hi, lo, _ = _crcs(buf, n, stride, want_ff=False)
    return hi, lo


def _crcs(buf: bytes, n: int, stride: int, *, want_ff: bool) -> tuple[bytes, bytes, int]:
    """block_crcs, plus (with ``want_ff``) an integer whose byte i is 0xFF iff block i's 32 data bytes
    are all 0xFF (the AND of the columns, computed while they are at hand)."""
    end = n * stride
    all_ff = _int(b"\xff" * n) if want_ff else 0
    hi = _int(bytes([_CRC_OF_ZEROS >> 8]) * n)
    lo = _int(bytes([_CRC_OF_ZEROS & 0xFF]) * n)
    for j, (t_hi, t_lo) in enumerate(_position_tables()):
        col = buf[j:end:stride]
        hi ^= _int(col.translate(t_hi))
        lo ^= _int(col.translate(t_lo))
        if want_ff:
            all_ff &= _int(col)
    return hi.to_bytes(n, "little"), lo.to_bytes(n, "little"), all_ff


def frame(data: bytes | bytearray | memoryview, pad: int = 0xFF) -> bytes:
    """Add a CRC after every 32 bytes; the last partial block is padded with ``pad`` first."""
    raw = bytes(data)
    if len(raw) % DATA:
        raw += bytes([pad]) * (DATA - len(raw) % DATA)
    n = len(raw) // DATA
    hi, lo = block_crcs(raw, n, DATA)
    out = bytearray(n * BLOCK)
    for j in range(DATA):
        out[j::BLOCK] = raw[j::DATA]
    out[DATA::BLOCK] = hi
    out[DATA + 1 :: BLOCK] = lo
    return bytes(out)


@dataclass(slots=True)
class FrameReport:
    """Result of checking a CRC-framed area."""

    blocks: int
    valid: int
    empty: int
    #: physical offsets (absolute, ``base`` added) of blocks whose CRC does not match
    bad_offsets: list[int] = field(default_factory=list)
    #: bytes after the last whole 34-byte block
    trailing: int = 0

    @property
    def ok(self) -> bool:
        """True when every non-empty 34-byte block has a matching CRC."""
        return not self.bad_offsets

    def to_dict(self) -> dict[str, object]:
        """The report as JSON."""
        return {
            "blocks": self.blocks,
            "valid": self.valid,
            "empty": self.empty,
            "bad": len(self.bad_offsets),
            "bad_offsets": self.bad_offsets[:64],
            "trailing": self.trailing,
        }


def _analyse(data: bytes | bytearray | memoryview) -> tuple[bytes, int, bytes, bytes, int]:
    """(physical bytes, block count, CRC-mismatch flags, bad flags, empty count).

    Flags are one byte per block, non-zero = true. "bad" is a mismatch in a block that is not
    erased (all 34 bytes 0xFF).
    """
    buf = bytes(data)
    n = len(buf) // BLOCK
    end = n * BLOCK
    hi, lo, data_ff = _crcs(buf, n, BLOCK, want_ff=True)
    s_hi, s_lo = buf[DATA:end:BLOCK], buf[DATA + 1 : end : BLOCK]
    mismatch_int = (_int(hi) ^ _int(s_hi)) | (_int(lo) ^ _int(s_lo))
    erased = (data_ff & _int(s_hi) & _int(s_lo)).to_bytes(n, "little")  # 0xFF where all 34 bytes are
    bad = (mismatch_int & _int(erased.translate(_NOT_FF))).to_bytes(n, "little")
    return buf, n, mismatch_int.to_bytes(n, "little"), bad, erased.count(0xFF)


def verify(data: bytes | bytearray | memoryview, *, base: int = 0) -> FrameReport:
    """Check every 34-byte block. ``base`` is the physical offset of ``data`` (for reporting)."""
    buf, n, mismatch, bad, empty = _analyse(data)
    return FrameReport(
        blocks=n,
        valid=mismatch.count(0),
        empty=empty,
        bad_offsets=[base + m.start() * BLOCK for m in _NONZERO.finditer(bad)],
        trailing=len(buf) - n * BLOCK,
    )


def unframe(
    data: bytes | bytearray | memoryview, *, strict: bool = False, base: int = 0, fmt: str = "bk7231-crc"
) -> bytes:
    """Drop the CRC bytes. With ``strict``, raise ChecksumError at the first bad non-empty block.

    A trailing partial block (fewer than 34 bytes) is copied as data up to 32 bytes.
    """
    buf = bytes(data)
    n = len(buf) // BLOCK
    if strict:
        _, _, _, bad, _ = _analyse(buf)
        first = _NONZERO.search(bad)
        if first is not None:
            from ..errors import ChecksumError

            i = first.start()
            blk = buf[i * BLOCK : (i + 1) * BLOCK]
            hi, lo = block_crcs(blk, 1, BLOCK)
            total = sum(1 for _ in _NONZERO.finditer(bad))
            raise ChecksumError(
                fmt,
                "CRC-16 of 34-byte block",
                blk[DATA] << 8 | blk[DATA + 1],
                hi[0] << 8 | lo[0],
                offset=base + i * BLOCK,
                hint=f"{total} bad block(s) in total",
            )
    out = bytearray(n * DATA)
    for j in range(DATA):
        out[j::DATA] = buf[j : n * BLOCK : BLOCK]
    trailing = len(buf) - n * BLOCK
    if trailing:
        out += buf[n * BLOCK :][:DATA]
    return bytes(out)


def logical_to_physical(log: int) -> int:
    """Logical (CPU) address → physical flash offset, for the framed area starting at 0."""
    return log + (log // DATA) * 2


def physical_to_logical(phys: int) -> int:
    """Physical flash offset → logical address. Offsets inside a CRC map to the next block start."""
    blk, rem = divmod(phys, BLOCK)
    return blk * DATA + min(rem, DATA)
