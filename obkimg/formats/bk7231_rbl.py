"""BK7231 RBL containers: the 96-byte RBL header, RBL OTA files (``*.rbl``) and in-flash trailers.

Purpose: parse, verify, unpack and build byte-exactly the "RBL" containers of the RT-Thread OTA
scheme used by Beken/Tuya/OpenBeken builds (spec ``bk7231.md`` §4):

- the **header** (96 bytes, little endian), :class:`RblHeader`;
- the **OTA file** written by ``rt_ota_packaging_tool_cli`` / ltchiptool ``ota_package`` (header +
  payload; payload = gzip/none, then PKCS#7, then optional AES-256-CBC), :class:`RblFile`;
- the **in-flash trailer** written by ``beken_packager`` at ``start + size - 102`` of a code partition
  (the header padded to 96 bytes and CRC-framed by itself: 3 blocks of 32+2 bytes), see
  :meth:`RblHeader.parse_framed`, and the ltchiptool "package" container (CRC-framed encrypted app,
  0xFF fill, framed trailer in the last 102 bytes), :class:`RblPartition`.

Sources: RT-Thread ``rt_ota_packaging_tool_cli`` (Tuya SDK ``package_tool/linux``), ltchiptool
``soc/bk72xx/util/rbl.py`` and ``binary.py`` (``ota_package``/``package``), bk7231tools
``analysis/rbl.py``; behaviour verified on the vectors in ``shared/fixtures/bk7231`` and on the
OpenBeken/ESPHome UG files in ``shared/fixtures/real``.

Header layout (spec §4.1)::

    off  size  field          notes
    0x00    4  magic          b"RBL\\0"
    0x04    4  algo           low byte crypt (0 none, 1 XOR, 2 AES-256); bits 8..11 compress
                              (0x100 gzip, 0x200 QuickLZ, 0x300 FastLZ)
    0x08    4  timestamp      u32, seconds since the epoch, time of packaging
    0x0C   16  name           partition name ("app", "bootloader"), NUL terminated
    0x1C   24  version        NUL terminated; vendor tools leave garbage after the NUL
    0x34   24  sn             "000...0" (23 x '0') + NUL
    0x4C    4  crc32          zlib CRC-32 of the payload (OTA file) / of the PKCS-padded image (flash)
    0x50    4  hash           FNV-1a-32 of the first size_raw raw bytes
    0x54    4  size_raw       OTA: length of the plain app; flash: length of the encrypted image
    0x58    4  size_package   OTA: length of the payload;   flash: size_raw rounded up to 32
    0x5C    4  info_crc32     zlib CRC-32 of header bytes 0x00..0x5B

Strings are compared up to their first NUL only; the bytes after it (stack garbage of the vendor
tools, also seen after "app" in the name field of OpenBeken files) are kept in ``RblHeader.raw`` so
that an unchanged header rebuilds byte for byte.

Limitations: QuickLZ/FastLZ payloads are recognised but not decoded (spec Q8; no sample); XOR
encryption (algo low byte 1) is recognised but not decrypted (its key is not known). The AES key and
IV default to the ASCII strings every Tuya/OpenBeken build uses; other keys can be passed in.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from construct import Bytes, Const, Int32ul, Struct

from .._construct import build_with, parse_with
from ..codecs import crcframe
from ..codecs.checksums import crc32, fnv1a32
from ..codecs.compress import DEFAULT_LIMIT, gunzip
from ..errors import (
    BuildError,
    ChecksumError,
    DecryptError,
    FormatError,
    MagicError,
    ObkImgError,
    Problem,
    TruncatedError,
)
from ..model import Image, Region
from . import Detection, FormatInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..source import Source

__all__ = [
    "FMT",
    "RBL_MAGIC",
    "RBL_HEADER_SIZE",
    "RBL_FRAMED_SIZE",
    "RBL_HEADER",
    "DEFAULT_AES_KEY",
    "DEFAULT_AES_IV",
    "DEFAULT_SN",
    "COMPRESSIONS",
    "ENCRYPTIONS",
    "RblHeader",
    "RblFile",
    "RblPartition",
    "RblImage",
    "pack",
    "FORMAT",
    "detect",
    "load",
]

FMT = "bk7231-rbl"

RBL_MAGIC = b"RBL\0"
RBL_HEADER_SIZE = 96
#: the in-flash trailer: 96 header bytes CRC-framed on their own = 3 blocks x 34 bytes
RBL_FRAMED_SIZE = 102

#: AES-256-CBC key and IV of every Tuya / OpenBeken OTA file: the ASCII strings, not hex-decoded (§4.2)
DEFAULT_AES_KEY = b"0123456789ABCDEF0123456789ABCDEF"
DEFAULT_AES_IV = b"0123456789ABCDEF"
#: the "sn" field as all vendor tools write it
DEFAULT_SN = "0" * 23

#: algo bits 8..11
COMPRESSIONS = {0: "none", 1: "gzip", 2: "quicklz", 3: "fastlz"}
#: algo bits 0..7
ENCRYPTIONS = {0: "none", 1: "xor", 2: "aes256"}

RBL_HEADER = Struct(
    "magic" / Const(RBL_MAGIC),
    "algo" / Int32ul,  # rt_ota algo (u16) + algo2 (u16, 0)
    "timestamp" / Int32ul,
    "name" / Bytes(16),  # "app" / "bootloader", NUL padded (garbage possible after the NUL)
    "version" / Bytes(24),  # NUL terminated; garbage after the NUL in vendor files
    "sn" / Bytes(24),  # 23 x '0' + NUL
    "crc32" / Int32ul,  # body_crc
    "hash" / Int32ul,  # FNV-1a-32 of the raw bytes
    "size_raw" / Int32ul,
    "size_package" / Int32ul,  # size_package / pkg_size
    "info_crc32" / Int32ul,  # CRC-32 of bytes 0x00..0x5B
)

#: field name -> (offset, size) inside the 96-byte header
FIELDS: dict[str, tuple[int, int]] = {
    "magic": (0x00, 4), "algo": (0x04, 4), "timestamp": (0x08, 4), "name": (0x0C, 16),
    "version": (0x1C, 24), "sn": (0x34, 24), "crc32": (0x4C, 4), "hash": (0x50, 4),
    "size_raw": (0x54, 4), "size_package": (0x58, 4), "info_crc32": (0x5C, 4),
}
_STRINGS = ("name", "version", "sn")


def _cstr(raw: bytes) -> str:
    """A NUL-terminated field as text (latin-1, so every byte survives a round trip)."""
    return raw.split(b"\0", 1)[0].decode("latin-1")


def _framed_offset(logical: int) -> int:
    """Offset inside a self-framed trailer of header byte ``logical``."""
    return crcframe.logical_to_physical(logical)


def algo_value(compression: str, encryption: str) -> int:
    """The ``algo`` word for a compression and an encryption name."""
    comp = {v: k for k, v in COMPRESSIONS.items()}.get(compression)
    enc = {v: k for k, v in ENCRYPTIONS.items()}.get(encryption)
    if comp is None:
        raise BuildError(f"unknown compression {compression!r} (one of {', '.join(COMPRESSIONS.values())})",
                         fmt=FMT, path="algo")
    if enc is None:
        raise BuildError(f"unknown encryption {encryption!r} (one of {', '.join(ENCRYPTIONS.values())})",
                         fmt=FMT, path="algo")
    return comp << 8 | enc


@dataclass(frozen=True, slots=True)
class RblHeader:
    """The 96-byte RBL header (spec §4.1). ``raw`` keeps the parsed bytes (garbage after NULs)."""

    algo: int
    timestamp: int
    name: str
    version: str
    sn: str
    crc32: int
    hash: int
    size_raw: int
    size_package: int
    info_crc32: int
    raw: bytes | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------------------------- properties
    @property
    def compression(self) -> str:
        """``none`` | ``gzip`` | ``quicklz`` | ``fastlz`` (``unknown-N`` for other values)."""
        n = (self.algo >> 8) & 0xF
        return COMPRESSIONS.get(n, f"unknown-{n}")

    @property
    def encryption(self) -> str:
        """``none`` | ``xor`` | ``aes256`` (``unknown-N`` for other values)."""
        n = self.algo & 0xFF
        return ENCRYPTIONS.get(n, f"unknown-{n}")

    @property
    def computed_info_crc32(self) -> int:
        return crc32(self._encode()[:0x5C])

    @property
    def header_valid(self) -> bool:
        """The stored ``info_crc32`` matches the header bytes."""
        return self.info_crc32 == self.computed_info_crc32

    # ---------------------------------------------------------------------------------- parsing
    @classmethod
    def _parse(cls, data: bytes, *, strict: bool, where: Callable[[int], int], fmt: str) -> RblHeader:
        head = bytes(data[:4])
        if head != RBL_MAGIC:
            if len(head) < 4 and head == RBL_MAGIC[: len(head)]:
                raise TruncatedError(fmt, RBL_HEADER_SIZE, len(data), offset=where(len(data)), path="header")
            raise MagicError(fmt, RBL_MAGIC, head, offset=where(0), path="magic")
        if len(data) < RBL_HEADER_SIZE:
            raise TruncatedError(fmt, RBL_HEADER_SIZE, len(data), offset=where(len(data)), path="header")
        raw = bytes(data[:RBL_HEADER_SIZE])
        c = parse_with(RBL_HEADER, fmt, raw, base=where(0))
        hdr = cls(algo=c.algo, timestamp=c.timestamp, name=_cstr(c.name), version=_cstr(c.version),
                  sn=_cstr(c.sn), crc32=c.crc32, hash=c.hash, size_raw=c.size_raw,
                  size_package=c.size_package, info_crc32=c.info_crc32, raw=raw)
        if strict:
            computed = crc32(raw[:0x5C])
            if computed != hdr.info_crc32:
                raise ChecksumError(fmt, "header CRC-32", hdr.info_crc32, computed,
                                    offset=where(FIELDS["info_crc32"][0]), path="info_crc32")
        return hdr

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True,
              fmt: str = FMT) -> RblHeader:
        """Parse the header at the start of ``data``.

        Raises MagicError (offset ``base``) if it does not start with ``RBL\\0``, TruncatedError if
        shorter than 96 bytes and, with ``strict``, ChecksumError(path="info_crc32") at
        ``base + 0x5C`` on a bad header CRC.
        """
        return cls._parse(bytes(data), strict=strict, where=lambda o: base + o, fmt=fmt)

    @classmethod
    def parse_framed(cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True,
                     fmt: str = FMT) -> RblHeader:
        """Parse the 102-byte in-flash trailer (header CRC-framed on its own, spec §4.3).

        The CRC-16 of each of the 3 blocks is checked first (with ``strict``: ChecksumError at the
        physical offset of the first bad block, path ``crc16``), then the header is unframed and
        parsed; error offsets are physical (``base`` + offset inside the trailer).
        """
        raw = bytes(data[:RBL_FRAMED_SIZE])
        if raw[:4] != RBL_MAGIC:
            raise MagicError(fmt, RBL_MAGIC, raw[:4], offset=base, path="magic")
        if len(raw) < RBL_FRAMED_SIZE:
            raise TruncatedError(fmt, RBL_FRAMED_SIZE, len(raw), offset=base + len(raw), path="trailer")
        if strict:
            crcframe.unframe(raw, strict=True, base=base, fmt=fmt)
        plain = crcframe.unframe(raw)
        return cls._parse(plain, strict=strict, where=lambda o: base + _framed_offset(o), fmt=fmt)

    # --------------------------------------------------------------------------------- building
    def _string_field(self, name: str) -> bytes:
        off, size = FIELDS[name]
        value: str = getattr(self, name)
        try:
            text = value.encode("latin-1")
        except UnicodeEncodeError as e:
            raise BuildError(f"{name} {value!r} is not latin-1 text", fmt=FMT, path=name) from e
        if b"\0" in text:
            raise BuildError(f"{name} must not contain NUL", fmt=FMT, path=name)
        if len(text) > size:
            raise BuildError(f"{name} {value!r} is longer than {size} bytes", fmt=FMT, path=name,
                             offset=off)
        if self.raw is not None:
            old = self.raw[off:off + size]
            if old.split(b"\0", 1)[0] == text:
                return old  # unchanged: keep the vendor garbage after the NUL
        return text.ljust(size, b"\0")

    def _encode(self, info_crc32: int | None = None) -> bytes:
        obj = {
            "algo": self.algo, "timestamp": self.timestamp,
            "name": self._string_field("name"), "version": self._string_field("version"),
            "sn": self._string_field("sn"), "crc32": self.crc32, "hash": self.hash,
            "size_raw": self.size_raw, "size_package": self.size_package,
            "info_crc32": self.info_crc32 if info_crc32 is None else info_crc32,
        }
        return build_with(RBL_HEADER, FMT, obj)

    def build(self, *, keep_info_crc: bool = False) -> bytes:
        """The 96 header bytes; ``info_crc32`` is recomputed (unless ``keep_info_crc``).

        An unchanged parsed header with a valid CRC comes out identical to ``raw``.
        """
        data = self._encode()
        if keep_info_crc:
            return data
        return data[:0x5C] + crc32(data[:0x5C]).to_bytes(4, "little")

    def build_framed(self, *, keep_info_crc: bool = False) -> bytes:
        """The 102-byte in-flash trailer as ``beken_packager`` writes it (3 CRC-framed blocks)."""
        return crcframe.frame(self.build(keep_info_crc=keep_info_crc))

    def replace(self, **changes: Any) -> RblHeader:
        """A copy with ``changes`` applied, without ``raw`` and with a fresh ``info_crc32``.

        String fields that are not changed keep their original bytes (garbage after the NUL) only
        through ``raw``; since ``raw`` is dropped they are NUL padded.
        """
        changes.setdefault("raw", None)
        new = dataclasses.replace(self, **changes)
        if "info_crc32" in changes:
            return new
        return dataclasses.replace(new, info_crc32=crc32(new._encode(0)[:0x5C]))

    def fresh(self) -> RblHeader:
        """This header with ``info_crc32`` recomputed (``raw`` kept)."""
        return dataclasses.replace(self, info_crc32=self.computed_info_crc32)

    @classmethod
    def for_payload(cls, payload: bytes | bytearray | memoryview, *, name: str, version: str,
                    app: bytes | bytearray | memoryview | None = None, compression: str = "none",
                    encryption: str = "none", algo: int | None = None, timestamp: int = 0,
                    sn: str = DEFAULT_SN, size_raw: int | None = None, size_package: int | None = None,
                    crc: int | None = None) -> RblHeader:
        """A header describing ``payload`` (crc32 and size_package) and ``app`` (hash and size_raw;
        defaults to ``payload``), with a valid ``info_crc32``.

        OTA file (§4.2): ``payload`` = the stored bytes after the header, ``app`` = the plain app.
        """
        body = bytes(payload)
        plain = body if app is None else bytes(app)
        hdr = cls(
            algo=algo_value(compression, encryption) if algo is None else algo,
            timestamp=timestamp, name=name, version=version, sn=sn,
            crc32=crc32(body) if crc is None else crc,
            hash=fnv1a32(plain),
            size_raw=len(plain) if size_raw is None else size_raw,
            size_package=len(body) if size_package is None else size_package,
            info_crc32=0,
        )
        return hdr.replace()

    @classmethod
    def for_flash_image(cls, image: bytes | bytearray | memoryview, *, name: str, version: str = "1.00",
                        timestamp: int = 0, sn: str = DEFAULT_SN) -> RblHeader:
        """The in-flash trailer header ``beken_packager`` writes for an encrypted image (§4.3).

        size_raw = len(image); size_package = size_raw rounded up to 32; crc32 over the image plus
        PKCS-style padding up to size_package; hash = FNV-1a(image); algo 0. (size_raw % 32 == 0 is
        unknown territory, spec Q2: size_package = size_raw is assumed.)
        """
        img = bytes(image)
        pkg = -(-len(img) // 32) * 32
        pad = pkg - len(img)
        return cls.for_payload(img + bytes([pad]) * pad, name=name, version=version, app=img,
                               timestamp=timestamp, sn=sn, size_raw=len(img), size_package=pkg)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "sn": self.sn, "algo": self.algo,
            "compression": self.compression, "encryption": self.encryption, "timestamp": self.timestamp,
            "crc32": self.crc32, "hash": self.hash, "size_raw": self.size_raw,
            "size_package": self.size_package, "info_crc32": self.info_crc32,
            "header_valid": self.header_valid,
        }


FORMAT = FormatInfo(
    id=FMT,
    name="BK7231 RBL container (OTA file / in-flash trailer)",
    family="bk7231",
    description="RT-Thread OTA package: 96-byte RBL header + gzip/AES-256-CBC payload.",
    references=("shared/specs/bk7231.md §4",),
)


def detect(data: bytes) -> Detection | None:
    return None


def load(source: Source) -> Image:
    raise FormatError("not implemented yet", fmt=FMT)
