"""Reading inputs: a path, bytes, or a binary file object; ``.gz`` and Intel HEX transparently.

Inputs larger than the largest supported flash are refused *before* being read whole, so a 4 GB
file (or /dev/zero) costs nothing. Inputs are only ever opened for reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO, Union

from .codecs.compress import DEFAULT_LIMIT, gunzip, is_gzip
from .errors import FormatError, LimitError, ObkImgError

__all__ = ["Source", "SourceLike", "MAX_INPUT", "load", "read_bytes"]

#: largest supported flash: 16 MiB. Intel HEX text is allowed to be ~3x larger than what it encodes.
MAX_INPUT = DEFAULT_LIMIT
_MAX_HEX_TEXT = 3 * MAX_INPUT

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


def _read_bounded(f: BinaryIO, limit: int, name: str) -> bytes:
    data = f.read(limit + 1)
    if len(data) > limit:
        raise LimitError(f"{name}: input is larger than {limit} bytes, the largest supported flash; refusing "
                         "to read it", fmt="input", offset=limit)
    return data


def read_bytes(src: SourceLike, *, limit: int = _MAX_HEX_TEXT) -> tuple[bytes, str]:
    """The raw bytes of ``src`` (no decoding) and a display name."""
    if isinstance(src, Source):
        return src.data, src.name
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        if len(data) > limit:
            raise LimitError(f"input is larger than {limit} bytes", fmt="input", offset=limit)
        return data, "<bytes>"
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        name = path
        try:
            st = os.stat(path)
            if os.path.isdir(path):
                raise FormatError("is a directory, not a file", fmt="input", path=None, hint=path)
            if st.st_size > limit:
                raise LimitError(f"{name}: {st.st_size} bytes is larger than the largest supported flash "
                                 f"({MAX_INPUT} bytes); refusing to read it", fmt="input")
            with open(path, "rb") as f:
                return _read_bounded(f, limit, name), name
        except ObkImgError:
            raise
        except OSError as e:
            raise FormatError(f"cannot read {name}: {e.strerror or e}", fmt="input") from e
    if hasattr(src, "read"):
        name = getattr(src, "name", "<stream>")
        return _read_bounded(src, limit, str(name)), str(name)
    raise FormatError(f"cannot read an input of type {type(src).__name__}", fmt="input")


def _looks_like_ihex(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf")
    return head[:1] == b":" and all(ch in b"0123456789abcdefABCDEF:\r\n" for ch in head)


def _decode_ihex(data: bytes, name: str) -> tuple[bytes, int]:
    import io

    from intelhex import IntelHex, IntelHexError

    ih = IntelHex()
    try:
        ih.loadhex(io.StringIO(data.decode("ascii")))
    except (IntelHexError, UnicodeDecodeError, ValueError) as e:
        raise FormatError(f"bad Intel HEX: {e}", fmt="ihex") from e
    if not len(ih):
        return b"", 0
    lo, hi = ih.minaddr(), ih.maxaddr()
    if hi - lo + 1 > MAX_INPUT:
        raise LimitError(f"Intel HEX spans {hi - lo + 1} bytes, more than {MAX_INPUT}", fmt="ihex")
    ih.padding = 0xFF
    return ih.tobinstr(start=lo, end=hi), lo


def load(src: SourceLike, *, decompress: bool = True) -> Source:
    """Read ``src`` and undo transparent containers (gzip, Intel HEX). Never modifies the input."""
    if isinstance(src, Source):
        return src
    data, name = read_bytes(src)
    if decompress and is_gzip(data):
        return Source(gunzip(data, limit=MAX_INPUT, fmt="gzip"), name, "gzip")
    if _looks_like_ihex(data):
        raw, base = _decode_ihex(data, name)
        return Source(raw, name, "ihex", base)
    if len(data) > MAX_INPUT:
        raise LimitError(f"{name}: input is larger than {MAX_INPUT} bytes, the largest supported flash",
                         fmt="input", offset=MAX_INPUT)
    return Source(data, name)
