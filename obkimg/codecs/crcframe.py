"""BK7231 flash framing: every 32 data bytes are followed by a big-endian CRC-16/CMS (34-byte blocks).

Dumps and flashers see *physical* bytes (with CRCs); the CPU sees *logical* bytes.
All-0xFF blocks are erased flash: their CRC (0x000C) never matches 0xFFFF, so they are reported as
``empty``, not as bad. Pure Python at C speed (strided slices, ``bytes.translate`` table steps and
big-integer XORs over all blocks of a 136 KiB segment at once): a 2 MiB dump is checked and stripped
in a few ms. :func:`verify_unframe` checks and strips an area in one pass; inputs are read in place
and outputs built in place, so an area costs its output and one segment of memory, no copies.
"""

from __future__ import annotations

import re
from dataclasses import field
from functools import lru_cache

from .._record import dataclass
from ._buffers import flat, presized
from .checksums import CRC16_CMS_TABLE, crc16_cms

__all__ = [
    "BLOCK",
    "DATA",
    "FrameReport",
    "block_crcs",
    "frame",
    "unframe",
    "verify",
    "verify_unframe",
    "logical_to_physical",
    "physical_to_logical",
]

DATA = 32
BLOCK = 34

_NONZERO = re.compile(rb"[^\x00]")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "little")


def _xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two equally long byte strings (as one big integer: C speed)."""
    return (_int(a) ^ _int(b)).to_bytes(len(a), "little")


@lru_cache(maxsize=1)
def _position_tables() -> tuple[tuple[bytes, bytes], ...]:
    """Per byte position j of a 32-byte block: the CRC contribution of each byte value (high and low
    byte as translate() tables); the CRC of 32 zero bytes from the 0xFFFF preset is
    :data:`_CRC_OF_ZEROS`.

    CRC-16/CMS is linear: crc(block) = crc0(zeros) ^ XOR_j T_j[block[j]], where T_j[v] is the
    register after feeding v at position j into a zero register and then the 31 - j remaining zeros.
    T_31 is the byte table itself; one more zero byte after it is one table step for all 256 entries
    at once: ``crc' = (crc << 8) ^ table[crc >> 8]``, i.e. hi' = lo ^ T_hi[hi] and lo' = T_lo[hi]
    (two ``translate`` calls and one XOR per position).
    """
    t_hi = bytes(t >> 8 for t in CRC16_CMS_TABLE)
    t_lo = bytes(t & 0xFF for t in CRC16_CMS_TABLE)
    hi, lo = t_hi, t_lo  # position 31: one byte into a zero register
    tables = [(hi, lo)]
    for _ in range(DATA - 1):  # one more zero byte after it
        hi, lo = _xor(lo, hi.translate(t_hi)), hi.translate(t_lo)
        tables.append((hi, lo))
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
    end = n * stride
    hi = _int(bytes([_CRC_OF_ZEROS >> 8]) * n)
    lo = _int(bytes([_CRC_OF_ZEROS & 0xFF]) * n)
    for j, (t_hi, t_lo) in enumerate(_position_tables()):
        col = buf[j:end:stride]
        hi ^= _int(col.translate(t_hi))
        lo ^= _int(col.translate(t_lo))
    return hi.to_bytes(n, "little"), lo.to_bytes(n, "little")


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


#: 34-byte blocks per segment (136 KiB): one segment's columns stay in the CPU cache, and an area is
#: never copied whole (a memoryview input is read one segment at a time)
_SEG = 4096


#: a segment with more CRC mismatches than this finds its erased blocks column by column
_FEW = 64
_ERASED_BLOCK = b"\xff" * BLOCK


def _erased_flags(seg: bytes, n: int, s_hi: int, s_lo: int) -> bytes:
    """One byte per block of ``seg``: 0xFF where all 34 bytes are 0xFF (the AND of the columns)."""
    end = n * BLOCK
    all_ff = s_hi & s_lo
    for j in range(DATA):
        all_ff &= int.from_bytes(seg[j:end:BLOCK], "little")
    return all_ff.to_bytes(n, "little")


def _segment(seg: bytes, n: int, *, check: bool, strip: bool) -> tuple[int, list[int], bytes | bytearray]:
    """One pass over the ``n`` whole blocks of ``seg``: when ``check``, the number of erased blocks
    (all 34 bytes 0xFF, whose CRC never matches) and the indexes of the bad ones (a CRC mismatch in a
    block that is not erased); when ``strip``, the data bytes. Each column is sliced once for both."""
    end = n * BLOCK
    out = bytearray(n * DATA) if strip else None
    fb = int.from_bytes  # (a local: this loop is the hot path of every CRC check)
    hi = lo = 0
    if check:
        hi = fb(bytes([_CRC_OF_ZEROS >> 8]) * n, "little")
        lo = fb(bytes([_CRC_OF_ZEROS & 0xFF]) * n, "little")
    for j, (t_hi, t_lo) in enumerate(_position_tables()):
        col = seg[j:end:BLOCK]
        if check:
            hi ^= fb(col.translate(t_hi), "little")
            lo ^= fb(col.translate(t_lo), "little")
        if out is not None:
            out[j::DATA] = col
    stripped = out if out is not None else b""
    if not check:
        return 0, [], stripped
    s_hi, s_lo = fb(seg[DATA:end:BLOCK], "little"), fb(seg[DATA + 1 : end : BLOCK], "little")
    mismatch = ((hi ^ s_hi) | (lo ^ s_lo)).to_bytes(n, "little")
    if mismatch.count(0) == n:
        return 0, [], stripped
    found = [m.start() for m in _NONZERO.finditer(mismatch)]
    if len(found) <= _FEW:  # erased blocks are rare inside code: look at the mismatching ones only
        bad = [i for i in found if seg[i * BLOCK : (i + 1) * BLOCK] != _ERASED_BLOCK]
        return len(found) - len(bad), bad, stripped
    erased = _erased_flags(seg, n, s_hi, s_lo)
    return erased.count(0xFF), [i for i in found if erased[i] != 0xFF], stripped


def _passes(
    data: bytes | bytearray | memoryview,
    *,
    check: bool,
    strip: bool,
    base: int = 0,
    length: int | None = None,
) -> tuple[FrameReport, bytes, list[int]]:
    """The one pass over a framed area, a segment at a time: its report (when ``check``), the data
    bytes (when ``strip``: whole blocks, then the first up to 32 bytes of a trailing partial block; at
    most ``length`` of them) and the indexes of the bad blocks."""
    buf = flat(data)
    n = len(buf) // BLOCK
    tail = bytes(buf[n * BLOCK :][:DATA]) if strip else b""
    want = n * DATA + len(tail) if length is None else max(0, min(length, n * DATA + len(tail)))
    out = presized(want) if strip else None
    empty = 0
    bad: list[int] = []
    for s in range(0, n, _SEG):
        k = min(_SEG, n - s)
        more = want - s * DATA  # data bytes still to write
        if not check and more <= 0:
            break
        seg = bytes(buf[s * BLOCK : (s + k) * BLOCK])  # the whole input as is when it is one segment
        e, seg_bad, stripped = _segment(seg, k, check=check, strip=strip and more > 0)
        empty += e
        bad += [s + i for i in seg_bad]
        if out is not None and more > 0:
            out.write(stripped if more >= len(stripped) else memoryview(stripped)[:more])
    report = FrameReport(
        blocks=n,
        valid=n - empty - len(bad) if check else 0,
        empty=empty,
        bad_offsets=[base + i * BLOCK for i in bad],
        trailing=len(buf) - n * BLOCK,
    )
    if out is None:
        return report, b"", bad
    more = want - n * DATA
    if more > 0:
        out.write(tail[:more])
    return report, out.getvalue(), bad


def verify(data: bytes | bytearray | memoryview, *, base: int = 0) -> FrameReport:
    """Check every 34-byte block. ``base`` is the physical offset of ``data`` (for reporting)."""
    return _passes(data, check=True, strip=False, base=base)[0]


def unframe(
    data: bytes | bytearray | memoryview, *, strict: bool = False, base: int = 0, fmt: str = "bk7231-crc"
) -> bytes:
    """Drop the CRC bytes. With ``strict``, raise ChecksumError at the first bad non-empty block.

    A trailing partial block (fewer than 34 bytes) is copied as data up to 32 bytes.
    """
    report, out, bad = _passes(data, check=strict, strip=True, base=base)
    if strict and report.bad_offsets:
        _raise_bad(flat(data), bad, base, fmt)
    return out


def verify_unframe(
    data: bytes | bytearray | memoryview, *, base: int = 0, length: int | None = None
) -> tuple[FrameReport, bytes]:
    """:func:`verify` and :func:`unframe` of the same area in one pass (each block read once); the data
    is cut after ``length`` bytes (no copy of a longer result is made)."""
    report, out, _ = _passes(data, check=True, strip=True, base=base, length=length)
    return report, out


def _raise_bad(buf: bytes | memoryview, bad: list[int], base: int, fmt: str) -> None:
    from ..errors import ChecksumError

    i = bad[0]
    blk = bytes(buf[i * BLOCK : (i + 1) * BLOCK])
    hi, lo = block_crcs(blk, 1, BLOCK)
    raise ChecksumError(
        fmt,
        "CRC-16 of 34-byte block",
        blk[DATA] << 8 | blk[DATA + 1],
        hi[0] << 8 | lo[0],
        offset=base + i * BLOCK,
        hint=f"{len(bad)} bad block(s) in total",
    )


def logical_to_physical(log: int) -> int:
    """Logical (CPU) address → physical flash offset, for the framed area starting at 0."""
    return log + (log // DATA) * 2


def physical_to_logical(phys: int) -> int:
    """Physical flash offset → logical address. Offsets inside a CRC map to the next block start."""
    blk, rem = divmod(phys, BLOCK)
    return blk * DATA + min(rem, DATA)
