"""Bounded decompression: gzip, zlib/deflate and XZ with a hard output limit (no decompression bombs)."""

from __future__ import annotations

from ..errors import FormatError, LimitError, TruncatedError

__all__ = ["DEFAULT_LIMIT", "gunzip", "gzip_member", "xz_decompress", "is_gzip", "is_xz"]

#: default output bound where no partition size applies: the largest supported flash (16 MiB)
DEFAULT_LIMIT = 16 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"
XZ_MAGIC = b"\xfd7zXZ\x00"


def is_gzip(data: bytes | bytearray | memoryview) -> bool:
    """Whether ``data`` starts with the gzip magic (1f 8b)."""
    return bytes(data[:2]) == GZIP_MAGIC


def is_xz(data: bytes | bytearray | memoryview) -> bool:
    """Whether ``data`` starts with the XZ stream magic (fd 37 7a 58 5a 00)."""
    return bytes(data[:6]) == XZ_MAGIC


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"


def gzip_member(data: bytes | bytearray | memoryview) -> bytes:
    """One gzip member exactly as CPython 3.11 ``gzip.compress(data, 9, mtime=0)`` writes it (and as
    the RT-Thread OTA tool does): header ``1f8b 08 00 00000000 02 03``, deflate level 9, CRC-32, ISIZE.
    Built by hand so the bytes do not depend on the Python version (older ones write OS 0xFF)."""
    import zlib

    raw = bytes(data)
    co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 8)
    body = co.compress(raw) + co.flush()
    return (
        _GZIP_HEADER
        + body
        + (zlib.crc32(raw) & 0xFFFFFFFF).to_bytes(4, "little")
        + (len(raw) & 0xFFFFFFFF).to_bytes(4, "little")
    )


def gunzip(
    data: bytes | bytearray | memoryview,
    *,
    limit: int = DEFAULT_LIMIT,
    fmt: str = "gzip",
    base: int = 0,
    allow_trailing: bool = True,
) -> bytes:
    """Decompress one gzip member, producing at most ``limit`` bytes.

    Raises LimitError past the limit, TruncatedError when the stream ends early, FormatError when the
    stream is corrupt (bad CRC, bad deflate data).
    """
    import zlib

    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(bytes(data), limit + 1)
    except zlib.error as e:
        raise FormatError(f"corrupt gzip stream: {e}", fmt=fmt, offset=base) from e
    if len(out) > limit:
        raise LimitError(
            f"gzip output exceeds the limit of {limit} bytes (decompression bomb?)", fmt=fmt, offset=base
        )
    if not d.eof:
        raise TruncatedError(
            fmt,
            len(data) + 1,
            len(data),
            offset=base + len(data),
            hint="gzip stream ends before its end marker",
        )
    if d.unused_data and not allow_trailing:
        raise FormatError(
            f"{len(d.unused_data)} bytes after the gzip stream",
            fmt=fmt,
            offset=base + len(data) - len(d.unused_data),
        )
    return out


def _xz(data: bytes | bytearray | memoryview, limit: int, fmt: str, base: int) -> tuple[bytes, int]:
    """Decompress one XZ stream within ``limit``: (output, bytes of ``data`` the stream occupies)."""
    import lzma

    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    raw = bytes(data)
    try:
        out = d.decompress(raw, max_length=limit + 1)
    except lzma.LZMAError as e:
        raise FormatError(f"corrupt XZ stream: {e}", fmt=fmt, offset=base) from e
    if len(out) > limit:
        raise LimitError(
            f"XZ output exceeds the limit of {limit} bytes (decompression bomb?)", fmt=fmt, offset=base
        )
    if not d.eof:
        raise TruncatedError(
            fmt, len(raw) + 1, len(raw), offset=base + len(raw), hint="XZ stream ends before its footer"
        )
    return out, len(raw) - len(d.unused_data)


def xz_decompress(
    data: bytes | bytearray | memoryview, *, limit: int = DEFAULT_LIMIT, fmt: str = "xz", base: int = 0
) -> bytes:
    """Decompress one XZ stream, producing at most ``limit`` bytes.

    On a truncated stream the error offset is where the compressed input ends.
    """
    return _xz(data, limit, fmt, base)[0]


def xz_stream_size(
    data: bytes | bytearray | memoryview, *, limit: int = DEFAULT_LIMIT, fmt: str = "xz", base: int = 0
) -> int:
    """Bytes taken by the XZ stream at the start of ``data`` (it is decompressed, within ``limit``, to
    find its end). Raises like :func:`xz_decompress`."""
    return _xz(data, limit, fmt, base)[1]


def xz_head(data: bytes | bytearray | memoryview, n: int, *, fmt: str = "xz", base: int = 0) -> bytes:
    """At most the first ``n`` decompressed bytes of an XZ stream (nothing more is decompressed; the
    stream may be truncated after them). FormatError if the start of the stream is corrupt."""
    import lzma

    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    try:
        return d.decompress(bytes(data), max_length=n)
    except lzma.LZMAError as e:
        raise FormatError(f"corrupt XZ stream: {e}", fmt=fmt, offset=base) from e
