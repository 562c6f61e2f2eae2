"""Reading inputs: a path, bytes, or a binary file object; ``.gz`` and Intel HEX transparently.

Inputs larger than the largest supported flash are refused *before* being read whole, so a 4 GB
file (or /dev/zero) costs nothing. Inputs are only ever opened for reading.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Union

from ._record import dataclass
from .codecs.compress import DEFAULT_LIMIT, gunzip, is_gzip
from .codecs.ihex import parse as parse_ihex
from .codecs.ihex import text_limit
from .errors import FormatError, LimitError, ObkImgError

__all__ = ["Source", "SourceLike", "MAX_INPUT", "MAX_HEX_TEXT", "load", "read_bytes"]

#: largest supported flash: 16 MiB; no raw input may be larger
MAX_INPUT = DEFAULT_LIMIT
#: longest Intel HEX text accepted: that of a 16 MiB flash (16 data bytes per record, CRLF; 45 MiB)
MAX_HEX_TEXT = text_limit(MAX_INPUT)
_HEAD = 64

SourceLike = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, "Source"]


@dataclass(frozen=True, slots=True)
class Source:
    """Bytes of an input plus where they came from."""

    data: bytes
    name: str = "<bytes>"
    #: "raw", "gzip" or "ihex": how the bytes were stored
    container: str = "raw"
    #: for Intel HEX: the lowest address in the file (the data starts there)
    base_address: int = 0

    def __len__(self) -> int:
        return len(self.data)


def _too_large(name: str, size: int | None, limit: int, head: bytes) -> LimitError:
    """The refusal of an input larger than ``limit`` (``size`` None: a stream, known only to be larger)."""
    what = f"{size} bytes" if size is not None else "input"
    if limit > MAX_INPUT and _looks_like_ihex(head):
        return LimitError(
            f"{name}: Intel HEX {what} is larger than {limit} bytes, the text of the largest "
            f"supported flash ({MAX_INPUT} bytes); refusing to read it",
            fmt="input",
            offset=limit,
        )
    why = "the largest supported flash" if limit == MAX_INPUT else "the limit"
    return LimitError(
        f"{name}: {what} is larger than {why} ({limit} bytes); refusing to read it", fmt="input", offset=limit
    )


def _limit_for(head: bytes, limit: int, allow_hex: bool) -> int:
    return max(limit, MAX_HEX_TEXT) if allow_hex and _looks_like_ihex(head) else limit


def _read_bounded(f: BinaryIO, limit: int, name: str, allow_hex: bool, size: int | None = None) -> bytes:
    """At most ``limit`` bytes of ``f`` (``MAX_HEX_TEXT`` when it starts like Intel HEX and ``allow_hex``):
    never more than the bound + 1 bytes are read, so /dev/zero or an endless pipe cost nothing. A file
    of known ``size`` is read at its size (``read(limit + 1)`` would allocate the whole bound first)."""
    data = f.read(limit + 1 if size is None or size >= limit else size + 1)
    if size is not None and size < len(data) <= limit:  # it grew while being read: on to the bound
        data += f.read(limit + 1 - len(data))
    if len(data) > limit:
        bound = _limit_for(data[:_HEAD], limit, allow_hex)
        if bound > limit:
            data += f.read(bound - len(data) + 1)
        if len(data) > bound:
            raise _too_large(name, None, bound, data[:_HEAD])
    return data


def read_bytes(src: SourceLike, *, limit: int = MAX_INPUT, allow_hex: bool = False) -> tuple[bytes, str]:
    """The raw bytes of ``src`` (no decoding) and a display name.

    Inputs larger than ``limit`` (default: the largest supported flash, 16 MiB) are refused before they
    are read: a file by its size, a stream after ``limit + 1`` bytes. ``allow_hex``: an input that starts
    like Intel HEX may be as long as the text of the largest flash (:data:`MAX_HEX_TEXT`).
    """
    if isinstance(src, Source):
        return src.data, src.name
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        if len(data) > _limit_for(data[:_HEAD], limit, allow_hex):
            raise _too_large("input", len(data), _limit_for(data[:_HEAD], limit, allow_hex), data[:_HEAD])
        return data, "<bytes>"
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        name = path
        try:
            st = os.stat(path)
            if os.path.isdir(path):
                raise FormatError("is a directory, not a file", fmt="input", path=None, hint=path)
            with open(path, "rb") as f:
                if stat.S_ISREG(st.st_mode) and st.st_size > limit:
                    head = f.read(_HEAD)
                    bound = _limit_for(head, limit, allow_hex)
                    if st.st_size > bound:
                        raise _too_large(name, st.st_size, bound, head)
                    f.seek(0)
                size = st.st_size if stat.S_ISREG(st.st_mode) else None
                return _read_bounded(f, limit, name, allow_hex, size), name
        except ObkImgError:
            raise
        except OSError as e:
            raise FormatError(f"cannot read {name}: {e.strerror or e}", fmt="input") from e
    if hasattr(src, "read"):
        name = str(getattr(src, "name", "<stream>"))
        return _read_bounded(src, limit, name, allow_hex), name
    raise FormatError(f"cannot read an input of type {type(src).__name__}", fmt="input")


def _looks_like_ihex(data: bytes) -> bool:
    head = data[:_HEAD].lstrip(b"\xef\xbb\xbf")
    return head[:1] == b":" and all(ch in b"0123456789abcdefABCDEF:\r\n" for ch in head)


def _decode_ihex(data: bytes, name: str) -> tuple[bytes, int]:
    base, raw = parse_ihex(data, limit=MAX_INPUT)
    return raw, base


def load(src: SourceLike, *, decompress: bool = True) -> Source:
    """Read ``src`` and undo transparent containers (gzip, Intel HEX). Never modifies the input."""
    if isinstance(src, Source):
        return src
    data, name = read_bytes(src, allow_hex=True)
    if decompress and is_gzip(data):
        return Source(gunzip(data, limit=MAX_INPUT, fmt="gzip"), name, "gzip")
    if _looks_like_ihex(data):
        raw, base = _decode_ihex(data, name)
        return Source(raw, name, "ihex", base)
    if len(data) > MAX_INPUT:
        raise LimitError(
            f"{name}: input is larger than {MAX_INPUT} bytes, the largest supported flash",
            fmt="input",
            offset=MAX_INPUT,
        )
    return Source(data, name)
