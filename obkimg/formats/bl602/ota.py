"""Bouffalo Lab BL602 OTA container ("BL60X_OTA_Ver1.0", 512-byte header) and bare FW_OTA.bin.xz streams.

What OpenBeken's ``OpenBL602_<ver>_OTA.bin.xz.ota`` and the SDK's ``FW_OTA.bin.xz.ota`` /
``FW_OTA.bin.ota`` are. The payload after the header is either an XZ stream of ``FW_OTA.bin`` (boot
header + 0xFF to 4 KiB + image, i.e. exactly what sits at the FW partition address) or that
``FW_OTA.bin`` itself ("RAW "). The device writes the payload into FW slot ``!activeIndex``, checks the
SHA-256 from the header and flips the partition table; boot2 then decompresses an XZ payload into the
other slot (its xz-embedded decoder has a 32 KiB dictionary and no BCJ filters).

Sources: PyPI bflb-iot-tool 1.10 ``core/bflb_iot_tool.py`` (``bl60x_mfg_ota_header``,
``bl60x_mfg_ota_xz_gen``), ``chips/bl602/conf/ota.toml``; openshwprojects/OpenBL602
``components/sys/blota/bl_sys_ota_cli.c``; openshwprojects/OpenBK7231T_App
``src/hal/bl602/hal_ota_bl602.c`` (``unpacked_len``); pine64/bl_iot_sdk
``blsp_boot_decompress.c``.

Header (512 bytes)::

    0x00 16 "BL60X_OTA_Ver1.0"      0x20 16 version_hardware (NUL padded)
    0x10  4 "XZ  " or "RAW "        0x30 16 version_software (NUL padded)
    0x14  4 payload length          0x40 32 SHA-256 of the payload
    0x18  8 01 02 03 04 05 06 07 08 0x60 416 0xFF, except: u32 unpacked_len (OpenBeken) or
                                            SHA-256 of the signing public key (bflb-iot-tool --pk);
                                            vendor builds may put their own data after them (kept
                                            byte for byte, reported as vendor_data)

XZ parameters that reproduce the vendor files byte for byte: ``check=CRC32``, one LZMA2 filter with
``dict_size=32768``, everything else preset 6 (liblzma 5.4; other encoder versions may differ).

Limitations: the public-key hash is reported, never verified against a key.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from construct import Bytes, Const, Int32ul, Struct

from ..._construct import build_with, parse_with
from ...codecs.compress import DEFAULT_LIMIT, XZ_MAGIC, xz_decompress, xz_head
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    MagicError,
    ObkImgError,
    Problem,
    TruncatedError,
    unique_problems,
)
from ...model import BytesImage, Image, Region
from ...source import Source
from .. import Detection, FormatInfo
from .bootheader import MAGIC as BFNP
from .bootheader import BootImage, foreign_error

__all__ = [
    "FORMAT",
    "FMT",
    "FMT_XZ",
    "OTA_MAGIC",
    "OTA_HEADER_SIZE",
    "OTA_HEADER",
    "XZ_FILTERS",
    "DEFAULT_HW_VERSION",
    "DEFAULT_SW_VERSION",
    "OtaHeader",
    "OtaImage",
    "XzInfo",
    "XzImage",
    "xz_info",
    "xz_compress",
    "detect",
    "load",
]

FMT = "bl602-ota"
FMT_XZ = "bl602-xz"
CHIP = "BL602"

OTA_MAGIC = b"BL60X_OTA_Ver1.0"
OTA_HEADER_SIZE = 512
OTA_PAD = bytes(range(1, 9))
DEFAULT_HW_VERSION = "BFL_Module_v1.1"
DEFAULT_SW_VERSION = "EVENT_V1.1.1"
TYPES = {b"XZ  ": "xz", b"RAW ": "raw"}
#: the XZ filter chain boot2 can decode and the vendor tool uses
XZ_FILTERS: tuple[dict[str, int], ...] = ({"id": 0x21, "dict_size": 32768},)  # lzma.FILTER_LZMA2 == 0x21
BOOT2_DICT_LIMIT = 1 << 15

OTA_HEADER = Struct(
    "magic" / Const(OTA_MAGIC) * "version_header",
    "type" / Bytes(4) * "'XZ  ' or 'RAW '",
    "length" / Int32ul * "payload length",
    "pad" / Bytes(8) * "fixed 01..08",
    "hw_version" / Bytes(16) * "version_hardware",
    "sw_version" / Bytes(16) * "version_software",
    "sha256" / Bytes(32) * "SHA-256 of the payload",
    "tail" / Bytes(416) * "0xFF, OpenBeken unpacked_len u32, or public-key hash",
)
assert OTA_HEADER.sizeof() == OTA_HEADER_SIZE


def _version(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


def _canonical_version(text: str) -> bytes | None:
    """The 16 bytes :func:`_version_bytes` writes for ``text`` (None where it refuses it)."""
    raw = text.encode("ascii", "replace")
    return raw.ljust(16, b"\0") if len(raw) <= 15 else None


def _version_bytes(text: str, what: str) -> bytes:
    raw = text.encode("ascii", "replace")
    if len(raw) > 15:
        raise BuildError(f"{what} {text!r} is longer than 15 characters", fmt=FMT, path=what)
    return raw.ljust(16, b"\0")


@dataclass(frozen=True, slots=True)
class OtaHeader:
    """The 512-byte OTA header."""

    compression: str
    length: int
    sha256: bytes
    hw_version: str = DEFAULT_HW_VERSION
    sw_version: str = DEFAULT_SW_VERSION
    tail: bytes = b"\xff" * 416
    pad: bytes = OTA_PAD
    #: raw 16-byte version fields when they are not the NUL-padded strings (kept for exact rebuilds)
    raw_versions: tuple[bytes, bytes] | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, data: bytes, *, base: int = 0) -> OtaHeader:
        """The header in the first 512 bytes of ``data`` (versions cut at their NUL, read as latin-1).

        ``base`` is the offset of ``data`` in the input, for error offsets. Raises
        :class:`~obkimg.errors.MagicError` when ``data`` does not start with ``BL60X_OTA_Ver1.0``,
        :class:`~obkimg.errors.TruncatedError` below 512 bytes and :class:`~obkimg.errors.FormatError`
        for a payload type other than ``b"XZ  "`` / ``b"RAW "``.
        """
        if bytes(data[:16]) != OTA_MAGIC[: len(data)] or not data:
            raise MagicError(FMT, OTA_MAGIC, bytes(data[:16]), offset=base)
        if len(data) < OTA_HEADER_SIZE:
            raise TruncatedError(FMT, OTA_HEADER_SIZE, len(data), offset=base + len(data), path="header")
        c = parse_with(OTA_HEADER, FMT, data[:OTA_HEADER_SIZE], base=base)
        if c.type not in TYPES:
            raise FormatError(
                f"unknown payload type {c.type!r} (expected 'XZ  ' or 'RAW ')",
                fmt=FMT,
                offset=base + 16,
                path="type",
            )
        hw, sw = _version(c.hw_version), _version(c.sw_version)
        raw = None
        # keep the raw fields whenever build() would not write them back as they are (16 characters
        # without NUL, non-ASCII text, bytes after the NUL)
        if (c.hw_version, c.sw_version) != (_canonical_version(hw), _canonical_version(sw)):
            raw = (bytes(c.hw_version), bytes(c.sw_version))
        return cls(TYPES[c.type], c.length, c.sha256, hw, sw, c.tail, c.pad, raw)

    def build(self) -> bytes:
        """The 512 header bytes; versions are written ASCII, NUL padded (``raw_versions`` when kept).

        Raises :class:`~obkimg.errors.BuildError` when ``compression`` is not ``xz`` or ``raw``, ``tail``,
        ``pad`` or ``sha256`` has the wrong size (416, 8, 32), a version is longer than 15 characters or
        ``length`` is out of range for a u32.
        """
        typ = {v: k for k, v in TYPES.items()}.get(self.compression)
        if typ is None:
            raise BuildError(f"compression must be xz or raw, not {self.compression!r}", fmt=FMT, path="type")
        if len(self.tail) != 416 or len(self.pad) != 8 or len(self.sha256) != 32:
            raise BuildError("tail must be 416 bytes, pad 8, sha256 32", fmt=FMT)
        hw, sw = self.raw_versions or (
            _version_bytes(self.hw_version, "hw_version"),
            _version_bytes(self.sw_version, "sw_version"),
        )
        return build_with(
            OTA_HEADER,
            FMT,
            {
                "type": typ,
                "length": self.length,
                "pad": self.pad,
                "hw_version": hw,
                "sw_version": sw,
                "sha256": self.sha256,
                "tail": self.tail,
            },
        )

    @classmethod
    def for_payload(
        cls,
        payload: bytes,
        *,
        compression: str = "xz",
        hw_version: str = DEFAULT_HW_VERSION,
        sw_version: str = DEFAULT_SW_VERSION,
        unpacked_len: int | None = None,
        pubkey_hash: bytes | None = None,
    ) -> OtaHeader:
        """The header bflb-iot-tool writes for ``payload`` (plus OpenBeken's optional unpacked_len)."""
        if unpacked_len is not None and pubkey_hash is not None:
            raise BuildError("unpacked_len and the public-key hash share offset 96; give one", fmt=FMT)
        tail = b"\xff" * 416
        if unpacked_len is not None:
            tail = struct.pack("<I", unpacked_len) + tail[4:]
        if pubkey_hash is not None:
            tail = bytes(pubkey_hash) + tail[32:]
        _version_bytes(hw_version, "hw_version")
        _version_bytes(sw_version, "sw_version")
        return cls(compression, len(payload), hashlib.sha256(payload).digest(), hw_version, sw_version, tail)

    @property
    def unpacked_len(self) -> int | None:
        """OpenBeken's u32 at 96 (len of FW_OTA.bin), when present (not the start of a public-key hash)."""
        if self.tail[:4] != b"\xff" * 4 and not self.tail[4:32].strip(b"\xff"):
            return int(struct.unpack_from("<I", self.tail)[0])
        return None

    @property
    def vendor_data(self) -> tuple[int, int] | None:
        """``(offset, size)`` in the header of non-0xFF bytes after unpacked_len / the public-key hash."""
        start = 4 if self.unpacked_len is not None else 32 if self.pubkey_hash is not None else 0
        rest = self.tail[start:]
        stripped = rest.strip(b"\xff")
        if not stripped:
            return None
        first = len(rest) - len(rest.lstrip(b"\xff"))
        return 0x60 + start + first, len(stripped)

    @property
    def pubkey_hash(self) -> bytes | None:
        """bflb-iot-tool --pk: SHA-256 of the public key at 96..127, when present."""
        if self.unpacked_len is None and self.tail[4:32].strip(b"\xff"):
            return self.tail[:32]
        return None

    def to_dict(self) -> dict[str, Any]:
        """The header as JSON: fields (hashes as hex), ``tail`` (``erased``, ``unpacked_len``,
        ``pubkey_hash`` or ``data``), ``vendor_data`` as ``{offset, size}`` and ``pad_ok``."""
        vd = self.vendor_data
        tail_state = (
            "erased"
            if not self.tail.strip(b"\xff")
            else "unpacked_len"
            if self.unpacked_len is not None and vd is None
            else "pubkey_hash"
            if self.pubkey_hash is not None and vd is None
            else "data"
        )
        return {
            "compression": self.compression,
            "length": self.length,
            "hw_version": self.hw_version,
            "sw_version": self.sw_version,
            "sha256": self.sha256.hex(),
            "unpacked_len": self.unpacked_len,
            "pubkey_hash": self.pubkey_hash.hex() if self.pubkey_hash else None,
            "tail": tail_state,
            "vendor_data": None if vd is None else {"offset": vd[0], "size": vd[1]},
            "pad_ok": self.pad == OTA_PAD,
        }


# --------------------------------------------------------------------------------------------------
# XZ stream facts (without decompressing)


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


def xz_info(data: bytes, *, fmt: str = FMT_XZ, base: int = 0) -> XzInfo:
    """Stream flags, the first block's filters and the index of an XZ stream (no decompression).

    A stream that ends early raises TruncatedError at the offset where the data stops.
    """
    data = bytes(data)
    if data[:6] != XZ_MAGIC:
        raise MagicError(fmt, XZ_MAGIC, data[:6], offset=base, path="xz.magic")
    try:
        if len(data) < 12:
            raise TruncatedError(fmt, 12, len(data), offset=base + len(data), path="xz.stream_header")
        flags = data[6:8]
        if struct.unpack_from("<I", data, 8)[0] != _crc(flags):
            raise ChecksumError(
                fmt,
                "XZ stream header CRC32",
                struct.unpack_from("<I", data, 8)[0],
                _crc(flags),
                offset=base + 8,
                path="xz.stream_header",
            )
        check = CHECKS.get(flags[1], f"id{flags[1]}")
        pos = 12
        if len(data) < pos + 1:
            raise TruncatedError(fmt, pos + 1, len(data), offset=base + len(data), path="xz.block_header")
        hsize = (data[pos] + 1) * 4
        if data[pos] == 0:
            raise FormatError("XZ stream has no block", fmt=fmt, offset=base + pos, path="xz.block_header")
        bflags = data[pos + 1]
        q = pos + 2
        if bflags & 0x40:
            _, q = _varint(data, q)
        if bflags & 0x80:
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
        # stream footer and index
        if data[-2:] != b"YZ" or len(data) < 12 + hsize + 12:
            raise TruncatedError(
                fmt,
                len(data) + 1,
                len(data),
                offset=base + len(data),
                path="xz.stream_footer",
                hint="the XZ stream ends before its footer ('YZ')",
            )
        backward = (struct.unpack_from("<I", data, len(data) - 8)[0] + 1) * 4
        idx = len(data) - 12 - backward
        if idx < 12 or data[idx] != 0:
            raise FormatError(
                "XZ index not found where the footer says",
                fmt=fmt,
                offset=base + max(idx, 0),
                path="xz.index",
            )
        count, r = _varint(data, idx + 1)
        total = 0
        for _ in range(min(count, 1 << 16)):
            _, r = _varint(data, r)
            usize, r = _varint(data, r)
            total += usize
        return XzInfo(check, tuple(filters), dict_size, count, total, len(data))
    except (IndexError, ValueError) as e:
        raise FormatError(f"malformed XZ stream: {e}", fmt=fmt, offset=base, path="xz") from None


def _msg(e: ObkImgError) -> str:
    """An error as a Problem message (the offset is carried by the Problem)."""
    return e.message + (f" in field {e.path}" if e.path else "") + (f" ({e.hint})" if e.hint else "")


def _crc(data: bytes) -> int:
    from ...codecs.checksums import crc32

    return crc32(data)


def xz_compress(data: bytes) -> bytes:
    """XZ exactly as bflb-iot-tool / boot2 want it: CRC32 check, one LZMA2 block, 32 KiB dictionary,
    preset-6 defaults otherwise."""
    import lzma

    return lzma.compress(
        data,
        format=lzma.FORMAT_XZ,
        check=lzma.CHECK_CRC32,
        filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 32768}],
    )


def _inner(fw: bytes, base_fmt: str) -> tuple[BootImage | None, list[Problem]]:
    if fw[:4] != BFNP:
        return None, [
            Problem(
                "error",
                f"unpacked payload does not start with a BFNP boot header ({fw[:4].hex()})",
                None,
                base_fmt,
            )
        ]
    try:
        img = BootImage.parse(fw, role="firmware")
    except ObkImgError as e:
        return None, [Problem("error", f"unpacked boot header: {e.message}", None, base_fmt)]
    probs = [
        replace(p, offset=None, message=f"FW_OTA.bin: {p.message}")
        for p in img.problems()
        if p.severity != "info"
    ]
    return img, probs


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, slots=True)
class OtaImage(BytesImage):
    """A ``.ota`` / ``.xz.ota`` file: header, payload and (when it unpacks) the FW_OTA.bin inside."""

    kind = FMT

    header: OtaHeader
    payload: bytes = field(repr=False)
    data: bytes = field(repr=False)
    xz: XzInfo | None = None
    firmware: bytes | None = field(default=None, repr=False)
    inner: BootImage | None = field(default=None, repr=False)
    found: tuple[Problem, ...] = ()

    @classmethod
    def parse(cls, data: bytes, *, strict: bool = True, limit: int = DEFAULT_LIMIT) -> OtaImage:
        """Parse (and, for XZ, decompress within ``limit``). ``strict`` raises on truncation, a bad
        SHA-256 or a payload that does not unpack; otherwise those become problems."""
        data = bytes(data)
        hdr = OtaHeader.parse(data)
        payload = data[OTA_HEADER_SIZE : OTA_HEADER_SIZE + hdr.length]
        probs: list[Problem] = []
        if hdr.pad != OTA_PAD:
            probs.append(
                Problem("warning", f"bytes 24..31 are {hdr.pad.hex()}, not 0102030405060708", 24, FMT)
            )
        if len(payload) < hdr.length:
            where = "the XZ stream ends" if hdr.compression == "xz" else "the payload ends"
            err = TruncatedError(
                FMT,
                OTA_HEADER_SIZE + hdr.length,
                len(data),
                offset=len(data),
                path="payload",
                hint=f"header says {hdr.length} payload bytes, file has {len(payload)}; "
                f"{where} at offset {len(data):#x}",
            )
            if strict:
                raise err
            probs.append(
                Problem(
                    "error",
                    f"payload truncated: header says {hdr.length} bytes after the 512-byte "
                    f"header, the file has {len(payload)}; {where} at offset {len(data):#x}",
                    len(data),
                    FMT,
                )
            )
        elif len(data) > OTA_HEADER_SIZE + hdr.length:
            probs.append(
                Problem(
                    "warning",
                    f"{len(data) - OTA_HEADER_SIZE - hdr.length} bytes after the payload",
                    OTA_HEADER_SIZE + hdr.length,
                    FMT,
                )
            )
        if len(payload) == hdr.length and hashlib.sha256(payload).digest() != hdr.sha256:
            if strict:
                raise ChecksumError(
                    FMT,
                    "payload SHA-256",
                    hdr.sha256,
                    hashlib.sha256(payload).digest(),
                    offset=64,
                    path="sha256",
                )
            probs.append(Problem("error", "payload SHA-256 does not match the header", 64, FMT))
        xz = fw = None
        inner = None
        if hdr.compression == "xz" and payload and len(payload) == hdr.length:
            try:
                xz = xz_info(payload, fmt=FMT, base=OTA_HEADER_SIZE)
            except ObkImgError as e:
                if strict:
                    raise
                probs.append(Problem("error", _msg(e), e.offset, FMT))
            if xz is not None:
                if not xz.boot2_compatible:
                    probs.append(
                        Problem(
                            "error",
                            f"boot2 cannot decompress this XZ stream (filters "
                            f"{'+'.join(xz.filters)}, dictionary {xz.dict_size}, check {xz.check}; "
                            "needs LZMA2 only, <= 32 KiB, CRC32)",
                            OTA_HEADER_SIZE,
                            FMT,
                        )
                    )
                try:
                    fw = xz_decompress(payload, limit=limit, fmt=FMT, base=OTA_HEADER_SIZE)
                except ObkImgError as e:
                    if strict:
                        raise
                    probs.append(Problem("error", _msg(e), e.offset, FMT))
        elif hdr.compression == "raw" and len(payload) == hdr.length:
            fw = payload
        if fw is not None:
            inner, p = _inner(fw, FMT)
            probs += p
            if hdr.unpacked_len is not None and hdr.unpacked_len != len(fw):
                probs.append(
                    Problem(
                        "error",
                        f"unpacked_len {hdr.unpacked_len} at 96 differs from the unpacked size {len(fw)}",
                        96,
                        FMT,
                    )
                )
            if strict and inner is None:
                raise FormatError(p[0].message, fmt=FMT, offset=OTA_HEADER_SIZE, path="payload")
        return cls(hdr, payload, data, xz, fw, inner, tuple(probs))

    def build(self) -> bytes:
        """The rebuilt header followed by the payload (bytes after the payload are not kept)."""
        return self.header.build() + self.payload

    @property
    def chip(self) -> str | None:
        return CHIP

    @property
    def complete(self) -> bool:
        """True when the file holds the whole payload (as many bytes as the header's ``length``)."""
        return len(self.payload) == self.header.length

    def problems(self) -> list[Problem]:
        return list(self.found)

    def verify(self) -> list[Problem]:
        return unique_problems(Image.verify(self))

    def regions(self) -> list[Region]:
        hstate = "valid"
        pstate = "valid"
        errs = [p for p in self.found if p.severity == "error"]
        if not self.complete:
            pstate = "invalid"
        elif any("SHA-256" in p.message and "FW_OTA" not in p.message for p in errs):
            pstate = "bad-crc"
        elif errs:
            pstate = "invalid"
        return [
            Region("ota header", 0, OTA_HEADER_SIZE, "ota-header", hstate, (), self.header.to_dict()),
            Region(
                f"payload ({self.header.compression})",
                OTA_HEADER_SIZE,
                len(self.payload),
                "xz" if self.header.compression == "xz" else "firmware",
                pstate,
                tuple(errs),
                {"length": self.header.length, "present": len(self.payload)},
            ),
        ]

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        return {
            "header": self.header.to_dict(),
            "payload_present": len(self.payload),
            "complete": self.complete,
            "sha256_ok": self.complete and hashlib.sha256(self.payload).digest() == self.header.sha256,
            "xz": self.xz.to_dict() if self.xz else None,
            "unpacked_size": len(self.firmware) if self.firmware is not None else None,
            "firmware": self.inner.details() if self.inner is not None else None,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        h = self.header
        lines = [
            f"OTA {h.compression.upper()}: payload {h.length} bytes ({len(self.payload)} present), hw "
            f"{h.hw_version!r}, sw {h.sw_version!r}"
        ]
        if h.unpacked_len is not None:
            lines.append(f"OpenBeken unpacked_len: {h.unpacked_len}")
        if h.vendor_data is not None:
            lines.append(f"vendor data in the header: {h.vendor_data[1]} bytes at {h.vendor_data[0]:#x}")
        if self.xz:
            lines.append(
                f"XZ: check {self.xz.check}, {self.xz.blocks} block(s), {'+'.join(self.xz.filters)} "
                f"dict {self.xz.dict_size}, unpacks to {self.xz.uncompressed_size} bytes"
            )
        if self.inner is not None:
            lines += [f"FW_OTA.bin: {line}" for line in self.inner.describe()]
        return lines

    def artifacts(self) -> list[Any]:
        from ...model import Artifact

        out = []
        if self.firmware is not None:
            out.append(
                Artifact(
                    "FW_OTA.bin",
                    self.firmware,
                    "firmware",
                    "payload",
                    "boot header + 0xFF to 4 KiB + image (what goes to the FW partition)",
                )
            )
        if self.inner is not None and self.inner.code_offset is not None:
            out.append(
                Artifact(
                    "firmware_bare.bin",
                    self.inner.image,
                    "app-plain",
                    "payload",
                    "the image without its boot header (img_len bytes, padded)",
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class XzImage(BytesImage):
    """A bare ``FW_OTA.bin.xz`` stream (also the pending payload of an XZ OTA in FW slot 1)."""

    kind = FMT_XZ

    data: bytes = field(repr=False)
    xz: XzInfo | None = None
    firmware: bytes | None = field(default=None, repr=False)
    inner: BootImage | None = field(default=None, repr=False)
    found: tuple[Problem, ...] = ()
    #: the stream is followed by its SHA-256 (``FW_OTA.bin.xz.hash``)
    hash_trailer: bool = False

    @classmethod
    def parse(cls, data: bytes, *, strict: bool = True, limit: int = DEFAULT_LIMIT, base: int = 0) -> XzImage:
        """The stream's facts, decompressed (at most ``limit`` bytes) and its boot header read.

        A SHA-256 of the stream after it is recognised (``hash_trailer``). ``strict`` raises the errors of
        :func:`xz_info` and of decompression (:class:`~obkimg.errors.FormatError` and its subclasses,
        :class:`~obkimg.errors.LimitError` past ``limit``); otherwise they become problems. A stream
        boot2 cannot decode, or an unpacked FW_OTA.bin without a valid boot header, is always a problem.
        """
        data = bytes(data)
        probs: list[Problem] = []
        stream = data
        trailer = False
        if len(data) > 44 and data[-34:-32] == b"YZ" and hashlib.sha256(data[:-32]).digest() == data[-32:]:
            stream, trailer = data[:-32], True
        xz = fw = None
        inner = None
        try:
            xz = xz_info(stream, base=base)
        except ObkImgError as e:
            if strict:
                raise
            probs.append(Problem("error", _msg(e), e.offset, FMT_XZ))
        if xz is not None:
            if not xz.boot2_compatible:
                probs.append(
                    Problem(
                        "error",
                        "boot2 cannot decompress this XZ stream (needs LZMA2 only, "
                        "dictionary <= 32 KiB, CRC32)",
                        base,
                        FMT_XZ,
                    )
                )
            try:
                fw = xz_decompress(stream, limit=limit, fmt=FMT_XZ, base=base)
            except ObkImgError as e:
                if strict:
                    raise
                probs.append(Problem("error", _msg(e), e.offset, FMT_XZ))
        if fw is not None:
            inner, p = _inner(fw, FMT_XZ)
            probs += p
        return cls(data, xz, fw, inner, tuple(probs), trailer)

    @property
    def chip(self) -> str | None:
        return CHIP

    def problems(self) -> list[Problem]:
        return list(self.found)

    def verify(self) -> list[Problem]:
        return unique_problems(Image.verify(self))

    def regions(self) -> list[Region]:
        n = len(self.data) - (32 if self.hash_trailer else 0)
        errs = tuple(p for p in self.found if p.severity == "error")
        out = [
            Region(
                "xz stream",
                0,
                n,
                "xz",
                "invalid" if errs else "valid",
                errs,
                self.xz.to_dict() if self.xz else None,
            )
        ]
        if self.hash_trailer:
            out.append(Region("sha256", n, 32, "data", "valid"))
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        return {
            "xz": self.xz.to_dict() if self.xz else None,
            "hash_trailer": self.hash_trailer,
            "unpacked_size": len(self.firmware) if self.firmware is not None else None,
            "firmware": self.inner.details() if self.inner is not None else None,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        if self.xz is None:
            return []
        return [
            f"XZ: check {self.xz.check}, {self.xz.blocks} block(s), {'+'.join(self.xz.filters)} dict "
            f"{self.xz.dict_size}, unpacks to {self.xz.uncompressed_size} bytes"
            + (" (+ SHA-256 trailer)" if self.hash_trailer else "")
        ]

    def artifacts(self) -> list[Any]:
        from ...model import Artifact

        if self.firmware is None:
            return []
        return [Artifact("FW_OTA.bin", self.firmware, "firmware", "xz stream", "the decompressed stream")]


FORMAT = FormatInfo(
    id=FMT,
    name="BL602 OTA container",
    family="bl602",
    description="'BL60X_OTA_Ver1.0' 512-byte header + XZ or RAW FW_OTA.bin (OpenBeken *_OTA.bin.xz.ota); "
    "bl602-xz is a bare FW_OTA.bin.xz stream",
    references=(
        "PyPI bflb-iot-tool 1.10: core/bflb_iot_tool.py (bl60x_mfg_ota_header, bl60x_mfg_ota_xz_gen)",
        "openshwprojects/OpenBL602: components/sys/blota/bl_sys_ota_cli.c",
        "openshwprojects/OpenBK7231T_App: src/hal/bl602/hal_ota_bl602.c",
    ),
    limitations=(
        "byte-exact XZ needs the same liblzma encoder (checked with 5.4)",
        "public-key hashes are reported, not verified",
    ),
    aliases=("bl602-ota-xz", FMT_XZ, "bl602-ota-raw"),
)


def detect(data: bytes) -> Detection | None:
    """``BL60X_OTA_Ver1.0`` at 0 (confidence 95, length 512 + payload length), or an XZ stream whose
    first unpacked bytes are a BFNP boot header (``bl602-xz``, 75). None otherwise; never raises."""
    try:
        if data[:16] == OTA_MAGIC:
            typ = TYPES.get(bytes(data[16:20]), "?")
            n = struct.unpack_from("<I", data, 20)[0] if len(data) >= 24 else 0
            have = max(len(data) - OTA_HEADER_SIZE, 0)
            note = "" if have >= n else f", payload truncated ({have} of {n} bytes)"
            return Detection(
                FMT, 95, f"BL60X_OTA_Ver1.0 header, {typ.upper()} payload{note}", CHIP, 0, OTA_HEADER_SIZE + n
            )
        if data[:6] == XZ_MAGIC:
            try:
                head = xz_head(data[:4096], 4, fmt=FMT_XZ)
            except ObkImgError:
                return None
            if head == BFNP:
                return Detection(
                    FMT_XZ,
                    75,
                    "XZ stream whose content starts with a BFNP boot header (FW_OTA.bin.xz)",
                    CHIP,
                    0,
                    len(data),
                )
    except (IndexError, struct.error):
        return None
    return None


def load(source: Source) -> Image:
    """An :class:`OtaImage` or :class:`XzImage`, parsed leniently (``strict=False``: problems, not errors).

    Raises what :meth:`OtaHeader.parse` raises for a bad header, the plain error for another chip's file
    (a BK7231 image...), else :class:`~obkimg.errors.MagicError`.
    """
    data = source.data
    if data[:16] == OTA_MAGIC:
        return OtaImage.parse(data, strict=False)
    if data[:6] == XZ_MAGIC:
        return XzImage.parse(data, strict=False)
    err = foreign_error(data, fmt=FMT, what="a BL602 OTA file")
    if err is not None:
        raise err
    raise MagicError(
        FMT, OTA_MAGIC, bytes(data[:16]), offset=0, hint="not a BL602 OTA container or XZ stream"
    )
