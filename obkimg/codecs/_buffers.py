"""Byte buffers without copies, for the codecs that read and write MiB-sized areas in place
(:mod:`obkimg.codecs.crcframe`, :mod:`obkimg.codecs.bkcipher`)."""

from __future__ import annotations

import io

__all__ = ["flat", "presized"]


def flat(data: bytes | bytearray | memoryview) -> bytes | memoryview:
    """``data`` as flat bytes without a copy: bytes as they are, anything else as a byte view (a copy
    only for a non-contiguous view, which ``cast('B')`` refuses)."""
    if isinstance(data, bytes):
        return data
    view = memoryview(data)
    return view.cast("B") if view.c_contiguous else view.tobytes()


def presized(n: int) -> io.BytesIO:
    """A BytesIO already ``n`` bytes long (positioned at 0). Written in order, its ``getvalue()`` hands
    over its buffer without a copy (CPython): the result costs n bytes, not 2n as ``bytes(bytearray)``
    or ``b"".join(list)`` would."""
    out = io.BytesIO()
    if n:
        out.seek(n - 1)
        out.write(b"\0")
        out.seek(0)
    return out
