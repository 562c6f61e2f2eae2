"""The shared construct helpers every format schema uses: the C-string adapter and the strict check."""

from __future__ import annotations

import construct as c
import pytest

from obkimg._construct import CStr, CString0, StrictCheck, build_with, parse_with
from obkimg.errors import BuildError, FormatError


def test_cstring_keeps_the_bytes_after_the_nul() -> None:
    raw = b"FW\0junk\xff"
    s = CString0(8).parse(raw)
    assert s == "FW" and isinstance(s, CStr) and s.raw == raw
    assert CString0(8).build(s) == raw
    assert CString0(8).sizeof() == 8


def test_cstring_builds_plain_text_nul_padded() -> None:
    assert CString0(6).build("abc") == b"abc\0\0\0"
    assert CString0(3).build("abc") == b"abc"  # full-length name, no NUL, as in C
    # a CStr whose text was changed is built from the text, not the stale raw bytes
    assert CString0(4).build(CStr("xy", b"ab\0\0")) == b"xy\0\0"


def test_cstring_too_long_is_a_build_error() -> None:
    with pytest.raises(BuildError):
        build_with(CString0(2), "test", "abc")


def test_strict_check_only_when_strict() -> None:
    schema = c.Struct("a" / c.Int8ul, "b" / c.Int8ul, StrictCheck(lambda ctx: ctx.a == ctx.b))
    assert parse_with(schema, "test", b"\1\1").a == 1
    with pytest.raises(FormatError):
        parse_with(schema, "test", b"\1\2")
    assert parse_with(schema, "test", b"\1\2", strict=False).b == 2


def _crc_schema(placeholders: tuple[int, ...] = ()) -> c.Construct:  # type: ignore[type-arg]
    import zlib

    from obkimg._construct import LenientChecksum

    return c.Struct(
        "body" / c.RawCopy(c.Bytes(4)),
        "crc" / LenientChecksum(c.Int32ul, zlib.crc32, c.this.body.data, placeholders),
    )


def test_lenient_checksum_strict_error_names_values_and_offset() -> None:
    from obkimg.errors import ChecksumError

    schema = _crc_schema()
    good = schema.build({"body": {"value": b"abcd"}, "crc": None})
    bad = good[:4] + b"\0\0\0\1"
    with pytest.raises(ChecksumError) as e:
        parse_with(schema, "test", bad, base=0x100)
    assert (
        e.value.offset == 0x104
        and e.value.expected == 0x01000000
        and e.value.actual == int.from_bytes(good[4:], "little")
    )
    assert "bad crc (stored 0x1000000" in str(e.value)
    lenient = parse_with(schema, "test", bad, strict=False)
    assert lenient.crc == 0x01000000 and schema.build(lenient) == bad  # a bad CRC builds back as it was


def test_lenient_checksum_placeholder_is_accepted_when_strict() -> None:
    schema = _crc_schema((0xDEADBEEF,))
    data = b"abcd" + (0xDEADBEEF).to_bytes(4, "little")
    assert parse_with(schema, "test", data).crc == 0xDEADBEEF


def test_offsets_come_from_the_schema() -> None:
    from obkimg._construct import field_offsets, offset_of

    inner = c.Struct("x" / c.Int16ul, "y" / c.Int32ul)
    s = c.Struct("a" / c.Int8ul, "b" / c.RawCopy(inner), "c" / c.Bytes(3))
    assert field_offsets(s) == {"a": 0, "b": 1, "c": 7}
    assert offset_of(s, "y") == 3 and offset_of(s, "c") == 7
    with pytest.raises(KeyError):
        offset_of(s, "nope")
