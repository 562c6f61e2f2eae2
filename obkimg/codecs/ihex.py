"""Intel HEX, streamed: records are read one at a time into one growing buffer, never a dict per byte.

The reader checks the address span and the amount of data *while* reading the records, before a byte of
a record is stored, so a HEX file spread over the 4 GiB address space, or one holding more data than the
largest supported flash, costs only the records read up to that point. The text itself is refused when it
is longer than :func:`text_limit` of the data bound: the largest text that describes that much data as
flashers and ``intelhex``/``objcopy`` write it (16 data bytes per record, CRLF line ends).

Record syntax and semantics follow the Intel "Hexadecimal Object File Format Specification" rev. A and
the ``intelhex`` 2.3 reader this module replaces: data (00), end of file (01, the rest of the text is
ignored), extended segment (02, ``segment * 16``) and extended linear (04, ``upper << 16``) addresses,
start addresses (03, 05; validated and ignored). Overlapping data records are an error, and so is data
past 0xFFFFFFFF (the specification wraps it to 0, ``intelhex`` keeps it above 4 GiB). A UTF-8 BOM and
trailing whitespace on a line are accepted; blank lines are skipped.

:func:`dump` writes the records ``intelhex`` writes for contiguous data (16 bytes per record, an
extended linear address record at the start of each 64 KiB segment when the data reaches beyond
0xFFFF, LF line ends), byte for byte.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator

from ..errors import BuildError, FormatError, LimitError

__all__ = ["DEFAULT_LIMIT", "FMT", "records", "parse", "dump", "text_limit"]

FMT = "ihex"
#: largest data span / data size read by default: the largest supported flash (16 MiB)
DEFAULT_LIMIT = 16 * 1024 * 1024
#: longest record line: ':' + 2 x (1 length + 2 address + 1 type + 255 data + 1 checksum) hex digits
_MAX_LINE = 1 + 2 * (5 + 255)
#: one past the last address of the 32-bit address space (extended linear addressing)
_TOP = 1 << 32
_ONES = tuple(b"\x01" * n for n in range(256))
#: text split into lines this much at a time
_CHUNK = 1 << 20
_RECORD_NAMES = (
    "data",
    "end of file",
    "extended segment address",
    "start segment address",
    "extended linear address",
    "start linear address",
)


def text_limit(limit: int = DEFAULT_LIMIT) -> int:
    """The longest Intel HEX text accepted for ``limit`` bytes of data: ``limit`` bytes written with 16
    data bytes per record and CRLF (45 characters per record), one extended address record (17) per
    64 KiB, a start address record (21), the end-of-file record (13) and a BOM (3)."""
    return -(-limit // 16) * 45 + -(-limit // 0x10000) * 17 + 21 + 13 + 3


def _bad(message: str, line: int, offset: int) -> FormatError:
    return FormatError(f"bad Intel HEX record on line {line}: {message}", fmt=FMT, offset=offset)


def records(text: bytes | str) -> Iterator[tuple[int, int, int, int, bytes]]:
    """Every record of ``text`` up to the end-of-file record, validated, one at a time:
    ``(line number, offset of the line in the text, record type, 16-bit address field, payload)``.

    The text is split into lines a chunk (about 1 MiB) at a time, so memory stays bounded by the chunk.
    """
    data = text.encode("latin-1", "replace") if isinstance(text, str) else bytes(text)
    pos = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    line = 0
    size = len(data)
    unhex = binascii.unhexlify
    while pos < size:
        cut = data.find(b"\n", min(pos + _CHUNK, size))
        cut = size if cut < 0 else cut
        at = pos
        for raw in data[pos:cut].split(b"\n"):
            start, at, line = at, at + len(raw) + 1, line + 1
            s = raw.rstrip()
            if not s:
                continue
            if len(s) > _MAX_LINE:
                raise _bad(f"line of {len(s)} characters, longer than any record", line, start)
            if s[0] != 0x3A:
                raise _bad("does not start with ':'", line, start)
            try:
                rec = unhex(s[1:])
            except (binascii.Error, ValueError):
                raise _bad("not an even number of hexadecimal digits", line, start) from None
            if len(rec) < 5 or len(rec) != 5 + rec[0]:
                raise _bad(
                    f"record length {rec[0] if rec else 0} does not match its "
                    f"{max(len(rec) - 5, 0)} data bytes",
                    line,
                    start,
                )
            if sum(rec) & 0xFF:
                raise _bad(f"checksum {rec[-1]:#04x} is wrong", line, start)
            kind = rec[3]
            if kind > 5:
                raise _bad(f"unknown record type {kind}", line, start)
            yield line, start, kind, rec[1] << 8 | rec[2], rec[4:-1]
            if kind == 1:
                return
        pos = cut + 1


class _Buffer:
    """The data read so far: one bytearray (0xFF gaps) plus an occupancy mask, grown on demand."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.base = 0
        self.buf = bytearray()
        self.mask = bytearray()
        self.lo = self.hi = -1  # lowest address / one past the highest address holding data
        self.count = 0

    def put(self, addr: int, payload: bytes, line: int, offset: int) -> None:
        end = addr + len(payload)
        lo, hi = (addr, end) if self.lo < 0 else (min(self.lo, addr), max(self.hi, end))
        if hi - lo > self.limit:
            raise LimitError(
                f"Intel HEX spans {hi - lo} bytes ({lo:#x}..{hi - 1:#x}) by line {line}, more "
                f"than {self.limit}, the largest supported flash",
                fmt=FMT,
                offset=offset,
            )
        self.count += len(payload)
        if self.count > self.limit:
            raise LimitError(
                f"Intel HEX holds more than {self.limit} data bytes by line {line}", fmt=FMT, offset=offset
            )
        self._cover(addr, end, hi)
        i, j = addr - self.base, end - self.base
        if self.mask.find(1, i, j) >= 0:
            at = self.base + self.mask.index(1, i, j)
            raise _bad(f"data overlaps earlier data at address {at:#x}", line, offset)
        self.buf[i:j] = payload
        self.mask[i:j] = b"\x01" * len(payload)
        self.lo, self.hi = lo, hi

    def _cover(self, addr: int, end: int, hi: int) -> None:
        if not self.buf:
            self.base = addr
        top = self.base + len(self.buf)
        if end > top:
            self.buf += b"\xff" * (end - top)
            self.mask += bytes(end - top)
        if addr < self.base:  # grow downwards by at least the current size (amortised linear)
            new = max(min(addr, self.base - len(self.buf)), hi - self.limit, 0)
            self.buf[0:0] = b"\xff" * (self.base - new)
            self.mask[0:0] = bytes(self.base - new)
            self.base = new

    def result(self) -> tuple[int, bytes]:
        if self.lo < 0:
            return 0, b""
        return self.lo, bytes(self.buf[self.lo - self.base : self.hi - self.base])


def parse(text: bytes | str, *, limit: int = DEFAULT_LIMIT) -> tuple[int, bytes]:
    """``(lowest address, bytes from there to the highest address)`` of Intel HEX ``text``; gaps are 0xFF.

    Raises :class:`LimitError` when the text is longer than :func:`text_limit` (before reading a record),
    or as soon as the data read spans or holds more than ``limit`` bytes; :class:`FormatError` on a bad
    record, naming its line and offset.
    """
    if len(text) > text_limit(limit):
        raise LimitError(
            f"Intel HEX text of {len(text)} bytes is longer than {text_limit(limit)} bytes, the "
            f"text of the largest supported flash ({limit} bytes)",
            fmt=FMT,
            offset=0,
        )
    out = _Buffer(limit)
    buf, mask = out.buf, out.mask  # grown in place by _Buffer too
    offset = 0
    start_seen = False
    for line, at, kind, addr, payload in records(text):
        if kind == 0:
            a = offset + addr
            n = len(payload)
            if a + n > _TOP:
                raise _bad(
                    f"data at {a:#x} runs past the 32-bit address space (the specification wraps it "
                    "to 0; obkimg refuses such files)",
                    line,
                    at,
                )
            if a == out.hi and a + n - out.lo <= limit and out.count + n <= limit:
                buf += payload  # the usual case: right after the previous record (no overlap)
                mask += _ONES[n]
                out.hi = a + n
                out.count += n
            elif n:
                out.put(a, payload, line, at)
        elif kind == 1:
            if payload:
                raise _bad("end-of-file record with data", line, at)
        elif len(payload) != (2 if kind in (2, 4) else 4) or addr:
            raise _bad(f"malformed {_RECORD_NAMES[kind]} record", line, at)
        elif kind in (2, 4):
            offset = int.from_bytes(payload, "big") << (4 if kind == 2 else 16)
        else:
            if start_seen:
                raise _bad("second start address record", line, at)
            start_seen = True
    return out.result()


def _record(kind: int, addr: int, payload: bytes) -> str:
    body = bytes((len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind)) + payload
    return ":" + (body + bytes((-sum(body) & 0xFF,))).hex().upper() + "\n"


def dump(data: bytes, base: int = 0) -> str:
    """Intel HEX text of ``data`` placed at ``base`` (what ``intelhex`` writes for contiguous data)."""
    if base < 0 or base + len(data) > 1 << 32:
        raise BuildError(
            f"{len(data)} bytes at {base:#x} do not fit the 32-bit Intel HEX address space",
            fmt=FMT,
            path="base",
        )
    lines: list[str] = []
    ela = base + len(data) - 1 > 0xFFFF
    addr, end = base, base + len(data)
    while addr < end:
        if ela and (addr == base or addr & 0xFFFF == 0):
            lines.append(_record(4, 0, (addr >> 16).to_bytes(2, "big")))
        n = min(16, 0x10000 - (addr & 0xFFFF), end - addr)
        lines.append(_record(0, addr & 0xFFFF, data[addr - base : addr - base + n]))
        addr += n
    lines.append(":00000001FF\n")
    return "".join(lines)
