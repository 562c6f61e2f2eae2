"""obkimg's streamed Intel HEX reader/writer (obkimg.codecs.ihex) against the ``intelhex`` package it
replaced (a test-only reference): same bytes written, same data read, same inputs refused."""

from __future__ import annotations

import io
import random

import pytest

from obkimg.codecs import ihex
from obkimg.errors import FormatError, LimitError

intelhex = pytest.importorskip("intelhex", reason="intelhex (test extra) is the reference")


def _rec(kind: int, addr: int, payload: bytes) -> str:
    body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
    return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper() + "\n"


@pytest.mark.parametrize(
    "base,n",
    [
        (0, 0),
        (0, 1),
        (0, 17),
        (0x11000, 3),
        (0xFFF0, 40),
        (0xFFFF, 2),
        (0x1FFF5, 70000),
        (5, 0x20000),
        (0xFFFFFFF0, 16),
    ],
)
def test_dump_is_what_intelhex_writes(base: int, n: int) -> None:
    data = random.Random(n).randbytes(n)
    ih = intelhex.IntelHex()
    ih.frombytes(data, offset=base)
    ref = io.StringIO()
    ih.write_hex_file(ref, write_start_addr=False)
    assert ihex.dump(data, base) == ref.getvalue()
    if n:
        assert ihex.parse(ihex.dump(data, base)) == (base, data)


def _reference(text: str) -> tuple[int, bytes] | None:
    ih = intelhex.IntelHex()
    try:
        ih.loadhex(io.StringIO(text))
    except intelhex.IntelHexError:
        return None
    if not len(ih):
        return 0, b""
    ih.padding = 0xFF
    return ih.minaddr(), ih.tobinstr(start=ih.minaddr(), end=ih.maxaddr())


def test_parse_agrees_with_intelhex_on_shuffled_and_overlapping_records() -> None:
    rnd = random.Random(12)
    for _ in range(300):
        chunks = [
            (
                rnd.choice([0, 0x11000, 0xFFF0, 0x1FFFE, rnd.randrange(0x30000)]),
                rnd.randbytes(rnd.randrange(1, 70)),
            )
            for _ in range(rnd.randrange(1, 8))
        ]
        lines = []
        for base, data in chunks:
            for i in range(0, len(data), 16):
                a = base + i
                n = min(16, len(data) - i, 0x10000 - (a & 0xFFFF))
                lines += [_rec(4, 0, (a >> 16).to_bytes(2, "big")), _rec(0, a & 0xFFFF, data[i : i + n])]
                if n < min(16, len(data) - i):
                    b = a + n
                    lines += [_rec(4, 0, (b >> 16).to_bytes(2, "big")), _rec(0, 0, data[i + n : i + 16])]
        rnd.shuffle(lines)
        text = "".join(lines) + ":00000001FF\n"
        ref = _reference(text)
        if ref is None:
            with pytest.raises(FormatError):
                ihex.parse(text)
        else:
            assert ihex.parse(text) == ref


@pytest.mark.parametrize(
    "text,match",
    [
        (":zz\n", "hexadecimal"),
        (":0200000001FD\n", "record length"),  # length 2, one data byte
        (":00000001FE\n", "checksum"),
        (":00000006FA\n", "record type"),
        ("x\n", "does not start"),
        (":0100000101FD\n", "end-of-file record with data"),
        (":020000040000FA\n:020000040000FA\n:0400000500000000F7\n:0400000500000000F7\n", "second start"),
    ],
)
def test_bad_records_name_their_line(text: str, match: str) -> None:
    with pytest.raises(FormatError, match=match) as e:
        ihex.parse(text)
    assert e.value.fmt == "ihex" and "line" in e.value.message and e.value.offset is not None


def test_after_end_of_file_nothing_is_read_and_bom_blank_lines_are_fine() -> None:
    text = "\ufeff" + _rec(0, 0x10, b"\x01\x02") + "\n  \n" + ":00000001FF\r\n" + "garbage\n"
    assert ihex.parse(text.encode("utf-8")) == (0x10, b"\x01\x02")


def test_segment_addresses_and_limits() -> None:
    text = _rec(2, 0, b"\x10\x00") + _rec(0, 0, b"\xaa") + ":00000001FF\n"  # 0x1000 * 16
    assert ihex.parse(text) == (0x10000, b"\xaa")
    with pytest.raises(LimitError, match="more than 4 data bytes|spans"):
        ihex.parse(_rec(0, 0, b"\x01" * 5), limit=4)
    with pytest.raises(LimitError, match="longer than"):
        ihex.parse(":00000001FF\n" * 100, limit=1)


def test_data_past_the_32_bit_address_space_is_refused() -> None:
    """Found by fuzz_ihex_shapes: 23 bytes at 0xFFFFFFEC were read (intelhex keeps them above 4 GiB, the
    specification wraps them to 0) and ``dump`` could not write them back. Now a FormatError."""
    text = _rec(4, 0, b"\xff\xff") + _rec(0, 0xFFEC, bytes(23)) + ":00000001FF\n"
    with pytest.raises(FormatError, match="32-bit address space") as e:
        ihex.parse(text)
    assert e.value.offset == len(_rec(4, 0, b"\xff\xff"))
    assert ihex.parse(_rec(4, 0, b"\xff\xff") + _rec(0, 0xFFEC, bytes(20)))[0] == 0xFFFFFFEC
