"""Structure-aware, differential fuzzing of the streamed Intel HEX reader (obkimg.codecs.ihex): the input
chooses records (data runs in order, backwards, overlapping; extended linear/segment addresses up to
0xFFFF, so spans up to 4 GiB; start addresses; an early end of file; now and then a broken record),
written as valid HEX text.

Checked: only ObkImgError; when the ``intelhex`` package (test extra) is there, the same text gives the
same data as intelhex, or an error when intelhex has one, or a LimitError exactly when the span or the
data exceed the bound; a successful read round-trips through ``dump``; ``obkimg.open`` and
``convert.hex_to_bin`` agree with it.
"""

from __future__ import annotations

import io

import fuzzlib
from shapes import Shape

try:
    import intelhex
except ImportError:  # pragma: no cover - the reference is optional
    intelhex = None


def _rec(kind: int, addr: int, payload: bytes, *, broken: int = 0) -> str:
    body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
    line = (body + bytes([(-sum(body) + broken) & 0xFF])).hex()
    return ":" + line.upper()


def text_of(sh: Shape) -> str:
    lines = []
    addr = sh.pick((0, 0x11000, 0xFFF8, sh.u32()))
    for _ in range(sh.int(0, 60)):
        kind = sh.int(0, 15)
        if kind < 8:  # data, usually right after the previous record
            n = sh.int(0, 32)
            if sh.int(0, 3) == 0:
                addr = (addr + sh.int(-64, 64)) & 0xFFFF
            lines.append(_rec(0, addr & 0xFFFF, sh.raw(n).ljust(n, b"\xaa")))
            addr += n
        elif kind < 11:  # extended linear address
            upper = sh.pick((0, 1, 0x20, 0xFFFF, sh.int(0, 0xFFFF)))
            lines.append(_rec(4, 0, upper.to_bytes(2, "big")))
        elif kind == 11:  # extended segment address
            lines.append(_rec(2, 0, sh.int(0, 0xFFFF).to_bytes(2, "big")))
        elif kind == 12:  # start address (linear or segment)
            lines.append(_rec(sh.pick((3, 5)), 0, sh.raw(4).ljust(4, b"\0")))
        elif kind == 13:
            lines.append(":00000001FF")
        elif kind == 14:  # a broken record: bad checksum, bad type, short, odd digits
            bad = sh.int(0, 3)
            lines.append([_rec(0, 0, b"\x01", broken=1), _rec(6, 0, b""), ":0100", ":123"][bad])
        else:
            lines.append("")
    eol = sh.pick(("\n", "\r\n"))
    return eol.join(lines) + eol + ":00000001FF" + eol


def _reference(text: str) -> tuple[int, bytes, int] | None:
    """(lowest address, data with 0xFF gaps, data byte count) by intelhex, None when it refuses."""
    ih = intelhex.IntelHex()
    try:
        ih.loadhex(io.StringIO(text))
    except intelhex.IntelHexError:
        return None
    if not len(ih):
        return 0, b"", 0
    lo, hi = ih.minaddr(), ih.maxaddr()
    if hi - lo >= 1 << 20:  # too far apart to materialise here: only the span matters
        return lo, b"", len(ih)
    ih.padding = 0xFF
    return lo, ih.tobinstr(start=lo, end=hi), len(ih)


def test_one_input(data: bytes) -> None:
    import obkimg
    from obkimg.codecs import ihex
    from obkimg.convert import hex_to_bin
    from obkimg.errors import LimitError, ObkImgError

    sh = Shape(data)
    limit = sh.pick((ihex.DEFAULT_LIMIT, 1 << 20, 4096, 64, 1))
    text = text_of(sh)
    try:
        got: tuple[int, bytes] | None = ihex.parse(text, limit=limit)
        err: ObkImgError | None = None
    except ObkImgError as e:
        got, err = None, e
    if intelhex is not None:
        ref = _reference(text)
        if ref is None:
            assert got is None, "intelhex refuses a text obkimg reads"
        elif err is not None and "32-bit address space" in str(err):
            pass  # intelhex keeps such data above 4 GiB; obkimg refuses it (see codecs/ihex.py)
        else:
            lo, body, count = ref
            span = len(body) if body or not count else None  # None: more than 1 MiB
            if got is not None:
                assert got[0] == lo and (not body or got[1] == body), "data differs from intelhex"
                assert len(got[1]) <= limit
            else:
                assert isinstance(err, LimitError), f"intelhex reads it, obkimg: {err}"
                too_long = len(text) > ihex.text_limit(limit)
                assert too_long or span is None or span > limit or count > limit, (span, count, limit)
    if got is not None and got[1] and len(got[1]) < 1 << 16:  # (up to 16 MiB are read; not re-dumped here)
        assert ihex.parse(ihex.dump(got[1], got[0]), limit=limit) == got
        if limit == ihex.DEFAULT_LIMIT:
            assert hex_to_bin(text) == got
            img = fuzzlib.clean(obkimg.open, text.encode())
            if img is not None:
                fuzzlib.exercise(img)


def seeds() -> list[bytes]:
    import random

    rnd = random.Random(5)
    return [b"", b"\x00" * 8 + b"\x01\x10" * 50, b"\x00\x00\x00\x00\x08\x03\xff\xff"] + [
        rnd.randbytes(400) for _ in range(6)
    ]


if __name__ == "__main__":
    fuzzlib.main(test_one_input, max_len=2048, extra_seeds=seeds)
