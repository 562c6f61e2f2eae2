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
