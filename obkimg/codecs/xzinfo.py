"""What the headers and index of one XZ stream say, read without decompressing (xz file format 1.0.4).

:func:`xz_info` reads the stream header (magic, flags, CRC32), the first block header (filter chain,
LZMA2 dictionary size), the stream footer and the index (block count, uncompressed size). BL602 boot2's
xz-embedded decoder takes only LZMA2 with a dictionary of at most 32 KiB and a CRC32 (or no) check
(pine64/bl_iot_sdk ``blsp_boot_decompress.c``); :func:`xz_compress` writes exactly what bflb-iot-tool
writes. ``lzma`` is imported only when something is compressed.

Stream layout (tukaani.org "The .xz File Format" 1.0.4)::

    header  6 magic FD 37 7A 58 5A 00   2 flags (byte 1: check id)   4 CRC32(flags)
    block   1 header size / 4 - 1, 1 flags (b0-1 filters - 1, b6 compressed size, b7 uncompressed
            size), [varints], per filter: varint id, varint props size, props; padding; CRC32
    index   00, varint record count, per record: varint unpadded size, varint uncompressed size
    footer  4 CRC32   4 backward size / 4 - 1   2 flags   2 "YZ"
"""

from __future__ import annotations

from typing import Any

from .._record import dataclass
from ..errors import ChecksumError, FormatError, MagicError, TruncatedError
from .checksums import crc32
from .compress import XZ_MAGIC

__all__ = ["XzInfo", "xz_info", "xz_compress", "XZ_FILTERS", "BOOT2_DICT_LIMIT", "CHECKS", "FILTER_NAMES"]

#: the XZ filter chain boot2 can decode and the vendor tool uses
XZ_FILTERS: tuple[dict[str, int], ...] = ({"id": 0x21, "dict_size": 32768},)  # lzma.FILTER_LZMA2 == 0x21
#: largest dictionary boot2's decoder is initialised with (xz_dec_init(XZ_PREALLOC, 1 << 15))
BOOT2_DICT_LIMIT = 1 << 15
CHECKS = {0: "none", 1: "crc32", 4: "crc64", 10: "sha256"}
FILTER_NAMES = {
    0x21: "lzma2",
    0x03: "delta",
    0x04: "x86",
    0x05: "powerpc",
    0x06: "ia64",
    0x07: "arm",
    0x08: "armthumb",
    0x09: "sparc",
    0x0A: "arm64",
    0x0B: "riscv",
}
_HEADER = 12  # stream header and footer: 12 bytes each


def _u32(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 4], "little")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(9):
        if pos + i >= len(data):
            raise IndexError("varint runs past the end")
        b = data[pos + i]
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos + i + 1
        shift += 7
    raise ValueError("varint too long")


def _lzma2_dict(prop: int) -> int:
    bits = prop & 0x3F
    if bits > 40:
        raise ValueError(f"bad LZMA2 dictionary property {prop:#x}")
    if bits == 40:
        return 0xFFFFFFFF
    return (2 | (bits & 1)) << (bits // 2 + 11)


@dataclass(frozen=True, slots=True)
class XzInfo:
    """What the headers and index of one XZ stream say."""

    check: str
    filters: tuple[str, ...]
    dict_size: int | None
    blocks: int
    uncompressed_size: int
    stream_size: int

    @property
    def boot2_compatible(self) -> bool:
        """Decodable by boot2's xz-embedded: LZMA2 only, dictionary <= 32 KiB, CRC32/none check."""
        return (
            self.filters == ("lzma2",)
            and self.dict_size is not None
            and self.dict_size <= BOOT2_DICT_LIMIT
            and self.check in ("crc32", "none")
        )

    @property
    def vendor_settings(self) -> bool:
        """Exactly what bflb-iot-tool writes: one block, LZMA2 with 32 KiB dictionary, CRC32."""
        return (
            self.boot2_compatible and self.check == "crc32" and self.dict_size == 32768 and self.blocks == 1
        )

    def to_dict(self) -> dict[str, Any]:
        """The stream facts as JSON, with ``boot2_compatible`` and ``vendor_settings``."""
        return {
            "check": self.check,
            "filters": list(self.filters),
            "dict_size": self.dict_size,
            "blocks": self.blocks,
            "uncompressed_size": self.uncompressed_size,
            "stream_size": self.stream_size,
            "boot2_compatible": self.boot2_compatible,
            "vendor_settings": self.vendor_settings,
        }


def _stream_header(data: bytes, fmt: str, base: int) -> str:
    """The check name from the stream header, its CRC32 verified."""
    if len(data) < _HEADER:
        raise TruncatedError(fmt, _HEADER, len(data), offset=base + len(data), path="xz.stream_header")
    flags = data[6:8]
    if _u32(data, 8) != crc32(flags):
        raise ChecksumError(
            fmt,
            "XZ stream header CRC32",
            _u32(data, 8),
            crc32(flags),
            offset=base + 8,
            path="xz.stream_header",
        )
    return CHECKS.get(flags[1], f"id{flags[1]}")


def _block_header(data: bytes, fmt: str, base: int) -> tuple[int, tuple[str, ...], int | None]:
    """(header size, filter names, LZMA2 dictionary size) of the first block."""
    pos = _HEADER
    if len(data) < pos + 1:
        raise TruncatedError(fmt, pos + 1, len(data), offset=base + len(data), path="xz.block_header")
    if data[pos] == 0:
        raise FormatError("XZ stream has no block", fmt=fmt, offset=base + pos, path="xz.block_header")
    hsize = (data[pos] + 1) * 4
    bflags = data[pos + 1]
    q = pos + 2
    for flag in (0x40, 0x80):  # compressed / uncompressed size present
        if bflags & flag:
            _, q = _varint(data, q)
    filters = []
    dict_size = None
    for _ in range((bflags & 3) + 1):
        fid, q = _varint(data, q)
        psize, q = _varint(data, q)
        props = data[q : q + psize]
        q += psize
        filters.append(FILTER_NAMES.get(fid, f"{fid:#x}"))
        if fid == 0x21 and props:
            dict_size = _lzma2_dict(props[0])
    if q > pos + hsize:
        raise FormatError(
            "XZ block header overflows its size", fmt=fmt, offset=base + pos, path="xz.block_header"
        )
    return hsize, tuple(filters), dict_size


def _index(data: bytes, hsize: int, fmt: str, base: int) -> tuple[int, int]:
    """(record count, total uncompressed size) from the index the stream footer points to."""
    if data[-2:] != b"YZ" or len(data) < _HEADER + hsize + _HEADER:
        raise TruncatedError(
            fmt,
            len(data) + 1,
            len(data),
            offset=base + len(data),
            path="xz.stream_footer",
            hint="the XZ stream ends before its footer ('YZ')",
        )
    backward = (_u32(data, len(data) - 8) + 1) * 4
    idx = len(data) - _HEADER - backward
    if idx < _HEADER or data[idx] != 0:
        raise FormatError(
            "XZ index not found where the footer says", fmt=fmt, offset=base + max(idx, 0), path="xz.index"
        )
    count, r = _varint(data, idx + 1)
    total = 0
    for _ in range(min(count, 1 << 16)):
        _, r = _varint(data, r)
        usize, r = _varint(data, r)
        total += usize
    return count, total


def xz_info(data: bytes, *, fmt: str = "xz", base: int = 0) -> XzInfo:
    """Stream flags, the first block's filters and the index of an XZ stream (no decompression).

    A stream that ends early raises TruncatedError at the offset where the data stops; a bad stream
    header CRC32 ChecksumError, anything else malformed FormatError (``fmt`` and ``base`` name the
    format and the offset of ``data`` in the input).
    """
    data = bytes(data)
    if data[: len(XZ_MAGIC)] != XZ_MAGIC:
        raise MagicError(fmt, XZ_MAGIC, data[: len(XZ_MAGIC)], offset=base, path="xz.magic")
    try:
        check = _stream_header(data, fmt, base)
        hsize, filters, dict_size = _block_header(data, fmt, base)
        count, total = _index(data, hsize, fmt, base)
    except (IndexError, ValueError) as e:
        raise FormatError(f"malformed XZ stream: {e}", fmt=fmt, offset=base, path="xz") from None
    return XzInfo(check, filters, dict_size, count, total, len(data))


def xz_compress(data: bytes) -> bytes:
    """XZ exactly as bflb-iot-tool / boot2 want it: CRC32 check, one LZMA2 block, 32 KiB dictionary,
    preset-6 defaults otherwise."""
    import lzma

    return lzma.compress(
        data,
        format=lzma.FORMAT_XZ,
        check=lzma.CHECK_CRC32,
        filters=[{"id": lzma.FILTER_LZMA2, "dict_size": XZ_FILTERS[0]["dict_size"]}],
    )
