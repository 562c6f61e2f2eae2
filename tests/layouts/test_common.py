"""The schema test helper itself can fail."""

from __future__ import annotations

import construct as c
import pytest

from tests.layouts._common import common


def test_common_passes_and_fails() -> None:
    s = c.Struct("a" / c.Int16ul)
    assert common(s, b"\1\0", {"a": 1}, size=2).a == 1
    with pytest.raises(AssertionError):
        common(s, b"\1\0", {"a": 2})
    with pytest.raises(AssertionError):
        common(s, b"\1\0", size=3)
    with pytest.raises(AssertionError):
        common(s, b"\1\0", size=-1)
    common(c.Struct("n" / c.Int8ul, "b" / c.Bytes(c.this.n)), b"\1x", size=-1)
