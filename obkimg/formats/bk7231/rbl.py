"""BK7231 RBL containers: the 96-byte RBL header, RBL OTA files (``*.rbl``) and in-flash trailers.

Purpose: parse, verify, unpack and build byte-exactly the "RBL" containers of the RT-Thread OTA
scheme used by Beken/Tuya/OpenBeken builds:

- the **header** (96 bytes, little endian), :class:`RblHeader`;
- the **OTA file** written by ``rt_ota_packaging_tool_cli`` / ltchiptool ``ota_package`` (header +
  payload; payload = gzip/none, then PKCS#7, then optional AES-256-CBC), :class:`RblFile`;
- the **in-flash trailer** written by ``beken_packager`` at ``start + size - 102`` of a code partition
  (the header padded to 96 bytes and CRC-framed by itself: 3 blocks of 32+2 bytes), see
  :meth:`RblHeader.parse_framed`, and the ltchiptool "package" container (CRC-framed encrypted app,
  0xFF fill, framed trailer in the last 102 bytes), :class:`RblPartition`.

Sources: RT-Thread ``rt_ota_packaging_tool_cli`` (Tuya SDK ``package_tool/linux``), ltchiptool
``soc/bk72xx/util/rbl.py`` and ``binary.py`` (``ota_package``/``package``), bk7231tools
``analysis/rbl.py``; behaviour checked against files the vendor tools write and the public OpenBeken
and ESPHome-Kickstart UG releases (tuya-cloudcutter ``custom-firmware``).

Header layout::

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

Limitations: QuickLZ/FastLZ payloads are recognised but not decoded (no sample); XOR
encryption (algo low byte 1) is recognised but not decrypted (its key is not known). The AES key and
IV default to the ASCII strings every Tuya/OpenBeken build uses; other keys can be passed in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from construct import Bytes, Const, Int32ul, Struct

from ..._construct import build_with, parse_with
from ...codecs import crcframe
from ...codecs.checksums import crc32, fnv1a32
from ...codecs.compress import DEFAULT_LIMIT, gunzip, gzip_member
from ...errors import (
    BuildError,
    ChecksumError,
    DecryptError,
    FormatError,
    MagicError,
    ObkImgError,
    Problem,
    TruncatedError,
)
from ...model import Image, Region
from .. import Detection, FormatInfo

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...source import Source

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
    "default_timestamp",
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

#: AES-256-CBC key and IV of every Tuya / OpenBeken OTA file: the ASCII strings, not hex-decoded
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
    "magic": (0x00, 4),
    "algo": (0x04, 4),
    "timestamp": (0x08, 4),
    "name": (0x0C, 16),
    "version": (0x1C, 24),
    "sn": (0x34, 24),
    "crc32": (0x4C, 4),
    "hash": (0x50, 4),
    "size_raw": (0x54, 4),
    "size_package": (0x58, 4),
    "info_crc32": (0x5C, 4),
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
        raise BuildError(
            f"unknown compression {compression!r} (one of {', '.join(COMPRESSIONS.values())})",
            fmt=FMT,
            path="algo",
        )
    if enc is None:
        raise BuildError(
            f"unknown encryption {encryption!r} (one of {', '.join(ENCRYPTIONS.values())})",
            fmt=FMT,
            path="algo",
        )
    return comp << 8 | enc


@dataclass(frozen=True, slots=True)
class RblHeader:
    """The 96-byte RBL header. ``raw`` keeps the parsed bytes (garbage after NULs)."""

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
        """The zlib CRC-32 of header bytes 0x00..0x5B as this header encodes them (``info_crc32``: 0x5C)."""
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
        hdr = cls(
            algo=c.algo,
            timestamp=c.timestamp,
            name=_cstr(c.name),
            version=_cstr(c.version),
            sn=_cstr(c.sn),
            crc32=c.crc32,
            hash=c.hash,
            size_raw=c.size_raw,
            size_package=c.size_package,
            info_crc32=c.info_crc32,
            raw=raw,
        )
        if strict:
            computed = crc32(raw[:0x5C])
            if computed != hdr.info_crc32:
                raise ChecksumError(
                    fmt,
                    "header CRC-32",
                    hdr.info_crc32,
                    computed,
                    offset=where(FIELDS["info_crc32"][0]),
                    path="info_crc32",
                )
        return hdr

    @classmethod
    def parse(
        cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True, fmt: str = FMT
    ) -> RblHeader:
        """Parse the header at the start of ``data``.

        Raises MagicError (offset ``base``) if it does not start with ``RBL\\0``, TruncatedError if
        shorter than 96 bytes and, with ``strict``, ChecksumError(path="info_crc32") at
        ``base + 0x5C`` on a bad header CRC.
        """
        return cls._parse(bytes(data), strict=strict, where=lambda o: base + o, fmt=fmt)

    @classmethod
    def parse_framed(
        cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True, fmt: str = FMT
    ) -> RblHeader:
        """Parse the 102-byte in-flash trailer (header CRC-framed on its own).

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
            raise BuildError(f"{name} {value!r} is longer than {size} bytes", fmt=FMT, path=name, offset=off)
        if self.raw is not None:
            old = self.raw[off : off + size]
            if old.split(b"\0", 1)[0] == text:
                return old  # unchanged: keep the vendor garbage after the NUL
        return text.ljust(size, b"\0")

    def _encode(self, info_crc32: int | None = None) -> bytes:
        obj = {
            "algo": self.algo,
            "timestamp": self.timestamp,
            "name": self._string_field("name"),
            "version": self._string_field("version"),
            "sn": self._string_field("sn"),
            "crc32": self.crc32,
            "hash": self.hash,
            "size_raw": self.size_raw,
            "size_package": self.size_package,
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
    def for_payload(
        cls,
        payload: bytes | bytearray | memoryview,
        *,
        name: str,
        version: str,
        app: bytes | bytearray | memoryview | None = None,
        compression: str = "none",
        encryption: str = "none",
        algo: int | None = None,
        timestamp: int = 0,
        sn: str = DEFAULT_SN,
        size_raw: int | None = None,
        size_package: int | None = None,
        crc: int | None = None,
    ) -> RblHeader:
        """A header describing ``payload`` (crc32 and size_package) and ``app`` (hash and size_raw;
        defaults to ``payload``), with a valid ``info_crc32``.

        OTA file: ``payload`` = the stored bytes after the header, ``app`` = the plain app.
        """
        body = bytes(payload)
        plain = body if app is None else bytes(app)
        hdr = cls(
            algo=algo_value(compression, encryption) if algo is None else algo,
            timestamp=timestamp,
            name=name,
            version=version,
            sn=sn,
            crc32=crc32(body) if crc is None else crc,
            hash=fnv1a32(plain),
            size_raw=len(plain) if size_raw is None else size_raw,
            size_package=len(body) if size_package is None else size_package,
            info_crc32=0,
        )
        return hdr.replace()

    @classmethod
    def for_flash_image(
        cls,
        image: bytes | bytearray | memoryview,
        *,
        name: str,
        version: str = "1.00",
        timestamp: int = 0,
        sn: str = DEFAULT_SN,
    ) -> RblHeader:
        """The in-flash trailer header ``beken_packager`` writes for an encrypted image.

        size_raw = len(image); size_package = size_raw rounded up to 32; crc32 over the image plus
        PKCS-style padding up to size_package; hash = FNV-1a(image); algo 0. (size_raw % 32 == 0 is
        unknown territory: size_package = size_raw is assumed.)
        """
        img = bytes(image)
        pkg = -(-len(img) // 32) * 32
        pad = pkg - len(img)
        return cls.for_payload(
            img + bytes([pad]) * pad,
            name=name,
            version=version,
            app=img,
            timestamp=timestamp,
            sn=sn,
            size_raw=len(img),
            size_package=pkg,
        )

    def to_dict(self) -> dict[str, Any]:
        """The header as JSON-ready data: every field but ``raw`` (strings up to their NUL), ``compression``
        and ``encryption``, and ``header_valid``."""
        return {
            "name": self.name,
            "version": self.version,
            "sn": self.sn,
            "algo": self.algo,
            "compression": self.compression,
            "encryption": self.encryption,
            "timestamp": self.timestamp,
            "crc32": self.crc32,
            "hash": self.hash,
            "size_raw": self.size_raw,
            "size_package": self.size_package,
            "info_crc32": self.info_crc32,
            "header_valid": self.header_valid,
        }


# ------------------------------------------------------------------------------------------ helpers
#: first 8 bytes of a plain BK7231 ARM app linked at 0x10000 (B +0x40; LDR PC,[PC,#0x14]), byte 0 varies
_ARM_VECTOR_TAIL = b"\x00\x00\xea\x14\xf0\x9f\xe5"


def looks_like_arm_app(app: bytes | bytearray | memoryview) -> bool:
    """A plain (decrypted) BK7231 app starts with ``xx 00 00 ea 14 f0 9f e5``."""
    return bytes(app[1:8]) == _ARM_VECTOR_TAIL


def key_class(image: bytes | bytearray | memoryview) -> str:
    """``zero`` (plain vector), ``tuya``/``uascent`` (a known key) or ``unknown`` from the first 8 bytes of
    an app: :func:`obkimg.formats.bk7231.layout.key_class_of`, the one key classification."""
    from .layout import key_class_of

    return key_class_of(image)


def chip_evidence(app: bytes | bytearray | memoryview) -> tuple[str | None, str | None]:
    """The chip an app names, and the string that says so; ``(None, text)`` when the string names a
    family (``OpenBK7231N`` / ``bk7231n``: BK7231N, BK7231M or BL2028N), ``(None, None)`` when absent.

    OpenBeken apps name theirs in the build string (``OpenBK7231N 1.18.130``: platform + version;
    the bare platform names they also carry, one per platform, do not count); Tuya SDK apps in
    lower case (``AT bk7231n``), LibreTiny/ESPHome ones in the board name (``generic-bk7231t-...``).
    """
    cands, text = app_chips(app)
    return (cands[0] if len(cands) == 1 else None), text


def app_chips(app: bytes | bytearray | memoryview) -> tuple[list[str], str | None]:
    """The chips an app's build string allows (through :mod:`obkimg.chipid`) and the string."""
    import re

    from ... import chipid
    from .layout import app_identity

    data = bytes(app)
    ident = app_identity(data)
    ev = chipid.from_app_identity(ident)
    if ident is not None and ev is not None and ev.chips:
        return list(chipid.identify([ev]).candidates), ident["text"]
    found: dict[str, str] = {}
    for m in re.finditer(rb"bk7231([ntu])(?![a-z0-9])", data):
        chip = "BK7231" + m.group(1).decode().upper()
        if chip in found:
            continue
        lo, hi = m.start(), m.end()
        while lo > max(0, m.start() - 40) and 0x20 <= data[lo - 1] < 0x7F:
            lo -= 1
        while hi < min(len(data), m.end() + 24) and 0x20 <= data[hi] < 0x7F:
            hi += 1
        found[chip] = data[lo:hi].decode("ascii").strip()
    if len(found) != 1:
        return [], None
    ((chip, text),) = found.items()
    return list(chipid.identify([chipid.from_version(chip + "_")]).candidates), text


def default_timestamp() -> int:
    """The header timestamp of a new RBL: ``SOURCE_DATE_EPOCH`` when set (reproducible builds,
    https://reproducible-builds.org/specs/source-date-epoch/), else the current time."""
    import os
    import time

    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env is None or env == "":
        return int(time.time())
    text = env.strip()
    if not (text.isascii() and text.isdigit()):
        raise BuildError(f"SOURCE_DATE_EPOCH={env!r} is not a number of seconds", fmt=FMT, path="timestamp")
    value = int(text)
    if value > 0xFFFFFFFF:
        raise BuildError(f"SOURCE_DATE_EPOCH={value} does not fit in 32 bits", fmt=FMT, path="timestamp")
    return value


def pkcs7_pad(data: bytes, block: int = 16) -> bytes:
    """``data`` with PKCS#7 padding to a multiple of ``block`` bytes (a full block when already aligned)."""
    n = block - len(data) % block
    return data + bytes([n]) * n


def _pkcs7_len(data: bytes, block: int = 16) -> int:
    """Length of a valid PKCS#7 tail of ``data`` (0 if there is none)."""
    if not data:
        return 0
    n = data[-1]
    if 1 <= n <= block and len(data) >= n and data[-n:] == bytes([n]) * n:
        return n
    return 0


def _secret_bytes(value: str | bytes, size: int, what: str, err: type[ObkImgError]) -> bytes:
    if isinstance(value, str):
        try:
            raw = value.encode("ascii", "strict")
        except UnicodeEncodeError as e:
            raise err(
                f"the AES-256-CBC {what} must be ASCII characters (used as they are); character "
                f"{e.start + 1} is not",
                fmt=FMT,
                path=what,
            ) from None
    else:
        raw = bytes(value)
    if len(raw) != size:
        raise err(
            f"the AES-256-CBC {what} must be {size} bytes (ASCII characters, used as they are), "
            f"got {len(raw)}",
            fmt=FMT,
            path=what,
        )
    return raw


def _aes_cipher(key: bytes, iv: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(iv))


# --------------------------------------------------------------------------------------- OTA file
@dataclass(frozen=True, slots=True)
class RblFile:
    """An RBL OTA file: 96-byte header + ``size_package`` payload bytes (+ anything after).

    ``payload`` = compress(app) → PKCS#7 pad (always with the RT-Thread tool, only with AES with
    ltchiptool) → AES-256-CBC (optional).
    """

    header: RblHeader
    payload: bytes = field(repr=False)
    #: bytes after the payload (none in vendor files); kept for byte-exact rebuilds
    trailing: bytes = field(default=b"", repr=False)
    #: offset of the file inside the input (for error offsets, e.g. 32 inside a UG wrapper)
    base: int = field(default=0, compare=False)

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True) -> RblFile:
        """Parse an OTA file. With ``strict`` the header CRC and the payload CRC-32 are checked."""
        raw = bytes(data)
        hdr = RblHeader.parse(raw, base=base, strict=strict)
        end = RBL_HEADER_SIZE + hdr.size_package
        if len(raw) < end:
            raise TruncatedError(
                FMT,
                end,
                len(raw),
                offset=base + len(raw),
                path="payload",
                hint=f"header size_package = {hdr.size_package}",
            )
        f = cls(hdr, raw[RBL_HEADER_SIZE:end], raw[end:], base)
        if strict:
            f.check_crc()
        return f

    def build(self) -> bytes:
        """The file bytes (header as stored, payload, trailing): identical to the parsed input."""
        return self.header.build(keep_info_crc=True) + self.payload + self.trailing

    @property
    def size(self) -> int:
        """The file length in bytes: 96-byte header, payload and trailing bytes."""
        return RBL_HEADER_SIZE + len(self.payload) + len(self.trailing)

    @property
    def computed_crc32(self) -> int:
        """The zlib CRC-32 of the payload (compare the header's ``crc32``)."""
        return crc32(self.payload)

    @property
    def crc_valid(self) -> bool:
        """True when the payload CRC-32 matches the header's ``crc32``."""
        return self.computed_crc32 == self.header.crc32

    def check_crc(self) -> None:
        """ChecksumError (path ``crc32``, offset of that field) if the payload CRC-32 does not match."""
        computed = self.computed_crc32
        if computed != self.header.crc32:
            raise ChecksumError(
                FMT,
                "payload CRC-32",
                self.header.crc32,
                computed,
                offset=self.base + FIELDS["crc32"][0],
                path="crc32",
                hint=f"payload {self.base + RBL_HEADER_SIZE:#x}..{self.base + self.size:#x}",
            )

    @property
    def pkcs7_padded(self) -> bool | None:
        """Whether the (unencrypted) payload carries PKCS#7 padding (RT-Thread style); None with AES."""
        if self.header.encryption != "none":
            return None
        return (
            len(self.payload) % 16 == 0
            and _pkcs7_len(self.payload) > 0
            and (self.header.compression != "none" or len(self.payload) > self.header.size_raw)
        )

    def decrypt(self, *, key: str | bytes = DEFAULT_AES_KEY, iv: str | bytes = DEFAULT_AES_IV) -> bytes:
        """The compressed stream: the payload after AES-256-CBC and PKCS#7 removal (as is without AES)."""
        enc = self.header.encryption
        start = self.base + RBL_HEADER_SIZE
        n = len(self.payload)
        if enc == "none":
            return self.payload
        if enc != "aes256":
            raise FormatError(
                f"{enc} encryption is not supported (its key is unknown)",
                fmt=FMT,
                path="algo",
                offset=self.base + FIELDS["algo"][0],
            )
        k = _secret_bytes(key, 32, "key", DecryptError)
        i = _secret_bytes(iv, 16, "iv", DecryptError)
        if n == 0 or n % 16:
            raise DecryptError(
                f"AES-256-CBC payload of {n} bytes is not a whole number of 16-byte blocks",
                fmt=FMT,
                path="payload",
                offset=start + n - n % 16,
            )
        dec = _aes_cipher(k, i).decryptor()
        plain = dec.update(self.payload) + dec.finalize()
        pad = _pkcs7_len(plain)
        if not pad:
            raise DecryptError(
                "bad PKCS#7 padding after AES-256-CBC decryption (wrong key or IV?)",
                fmt=FMT,
                path="payload",
                offset=start + n - 16,
            )
        return plain[:-pad]

    def unpack(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        key: str | bytes = DEFAULT_AES_KEY,
        iv: str | bytes = DEFAULT_AES_IV,
        check: bool = True,
    ) -> bytes:
        """The plain app: decrypt, decompress (bounded by ``limit``) and, with ``check``, verify the
        payload CRC-32, ``size_raw`` and the FNV-1a ``hash``; each mismatch names its field and offset."""
        hdr = self.header
        start = self.base + RBL_HEADER_SIZE
        if check:
            self.check_crc()
        if hdr.size_raw > limit:
            from ...errors import LimitError

            raise LimitError(
                f"size_raw {hdr.size_raw} exceeds the output limit of {limit} bytes",
                fmt=FMT,
                path="size_raw",
                offset=self.base + FIELDS["size_raw"][0],
            )
        stream = self.decrypt(key=key, iv=iv)
        comp = hdr.compression
        if comp == "gzip":
            if stream[:3] != b"\x1f\x8b\x08":
                cls: type[ObkImgError] = DecryptError if hdr.encryption != "none" else FormatError
                raise cls(
                    f"payload does not start with a gzip header (found {stream[:4].hex()}"
                    f"{', wrong AES key?' if hdr.encryption != 'none' else ''})",
                    fmt=FMT,
                    path="payload",
                    offset=start,
                )
            raw = gunzip(stream, limit=limit, fmt=FMT, base=start)
        elif comp == "none":
            raw = stream
            extra = len(raw) - hdr.size_raw
            if extra > 0 and hdr.encryption == "none" and _pkcs7_len(raw) == extra:
                raw = raw[: hdr.size_raw]  # RT-Thread tool pads even without AES
            if len(raw) > limit:
                from ...errors import LimitError

                raise LimitError(f"payload exceeds the output limit of {limit} bytes", fmt=FMT, offset=start)
        elif comp in ("quicklz", "fastlz"):
            raise FormatError(
                f"{comp} compression is not supported (no reference decoder and "
                "no sample); only gzip and none are",
                fmt=FMT,
                path="algo",
                offset=self.base + FIELDS["algo"][0],
            )
        else:
            raise FormatError(
                f"unknown compression in algo {hdr.algo:#x}",
                fmt=FMT,
                path="algo",
                offset=self.base + FIELDS["algo"][0],
            )
        if check:
            if len(raw) != hdr.size_raw:
                raise FormatError(
                    f"unpacked app is {len(raw)} bytes, header size_raw says {hdr.size_raw}",
                    fmt=FMT,
                    path="size_raw",
                    offset=self.base + FIELDS["size_raw"][0],
                )
            h = fnv1a32(raw)
            if h != hdr.hash:
                raise ChecksumError(
                    FMT,
                    "FNV-1a hash of the unpacked app",
                    hdr.hash,
                    h,
                    path="hash",
                    offset=self.base + FIELDS["hash"][0],
                )
        return raw

    def verify(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        key: str | bytes = DEFAULT_AES_KEY,
        iv: str | bytes = DEFAULT_AES_IV,
    ) -> list[Problem]:
        """Every error of the full check (header CRC, payload CRC-32, decrypt, decompress, size, hash)."""
        found: list[Problem] = []
        hdr = self.header
        if not hdr.header_valid:
            found.append(
                Problem(
                    "error",
                    f"bad header CRC-32 (stored {hdr.info_crc32:#x}, computed {hdr.computed_info_crc32:#x})",
                    self.base + FIELDS["info_crc32"][0],
                    FMT,
                )
            )
        try:
            self.check_crc()
        except ObkImgError as e:
            found.append(Problem("error", e.message, e.offset, FMT))
        try:
            raw = self.unpack(limit=limit, key=key, iv=iv, check=False)
        except ObkImgError as e:
            found.append(Problem("error", e.render(), e.offset, FMT))
            return found
        if len(raw) != hdr.size_raw:
            found.append(
                Problem(
                    "error",
                    f"unpacked app is {len(raw)} bytes, header size_raw says {hdr.size_raw}",
                    self.base + FIELDS["size_raw"][0],
                    FMT,
                )
            )
        h = fnv1a32(raw)
        if h != hdr.hash:
            found.append(
                Problem(
                    "error",
                    f"bad FNV-1a hash of the unpacked app (stored {hdr.hash:#x}, computed {h:#x})",
                    self.base + FIELDS["hash"][0],
                    FMT,
                )
            )
        return found

    @classmethod
    def pack(
        cls,
        app: bytes | bytearray | memoryview,
        *,
        name: str = "app",
        version: str,
        compression: str = "gzip",
        encryption: str = "aes256",
        key: str | bytes = DEFAULT_AES_KEY,
        iv: str | bytes = DEFAULT_AES_IV,
        timestamp: int | None = None,
        style: str = "rtota",
        sn: str = DEFAULT_SN,
    ) -> RblFile:
        """Build an OTA file from a plain app, byte for byte like the vendor tools.

        ``style="rtota"`` (RT-Thread ``rt_ota_packaging_tool_cli``, used by Tuya/OBK builds) always
        PKCS#7-pads the payload; ``style="ltchiptool"`` (``ota_package``) pads only with AES. gzip is
        one level-9 member with mtime 0 (:func:`gzip_member`). ``timestamp`` defaults to the
        ``SOURCE_DATE_EPOCH`` environment variable (reproducible builds), else to now.
        """
        if style not in ("rtota", "ltchiptool"):
            raise BuildError(f"unknown style {style!r} (rtota or ltchiptool)", fmt=FMT)
        plain = bytes(app)
        algo = algo_value(compression, encryption)
        if compression == "gzip":
            body = gzip_member(plain)
        elif compression == "none":
            body = plain
        else:
            raise BuildError(
                f"{compression} compression cannot be built (only gzip and none)", fmt=FMT, path="algo"
            )
        if encryption == "aes256":
            k = _secret_bytes(key, 32, "key", BuildError)
            i = _secret_bytes(iv, 16, "iv", BuildError)
            enc = _aes_cipher(k, i).encryptor()
            body = enc.update(pkcs7_pad(body)) + enc.finalize()
        elif encryption == "none":
            if style == "rtota":
                body = pkcs7_pad(body)
        else:
            raise BuildError(
                f"{encryption} encryption cannot be built (only aes256 and none)", fmt=FMT, path="algo"
            )
        if timestamp is None:
            timestamp = default_timestamp()
        if not 0 <= timestamp <= 0xFFFFFFFF:
            raise BuildError(f"timestamp {timestamp} does not fit in 32 bits", fmt=FMT, path="timestamp")
        hdr = RblHeader.for_payload(
            body, name=name, version=version, app=plain, algo=algo, timestamp=timestamp, sn=sn
        )
        return cls(hdr, body)


def pack(app: bytes | bytearray | memoryview, **kw: Any) -> bytes:
    """The bytes of :meth:`RblFile.pack` (same keyword arguments)."""
    return RblFile.pack(app, **kw).build()


def unpack(
    data: bytes | bytearray | memoryview,
    *,
    limit: int = DEFAULT_LIMIT,
    key: str | bytes = DEFAULT_AES_KEY,
    iv: str | bytes = DEFAULT_AES_IV,
) -> bytes:
    """The plain app of an RBL OTA file, every checksum verified (ObkImgError on any mismatch)."""
    return RblFile.parse(data).unpack(limit=limit, key=key, iv=iv)


# ------------------------------------------------------------------------------ in-flash partition
@dataclass(frozen=True, slots=True)
class RblPartition:
    """A code partition as flashed: CRC-framed image from offset 0, 0xFF fill, and the self-framed RBL
    trailer in the last 102 bytes (beken_packager; ltchiptool ``package``).

    The trailer describes the (encrypted) image: ``crc32`` = CRC-32 of the image plus PKCS-style
    padding up to ``size_package``, ``hash`` = FNV-1a of the image (``size_raw`` bytes).
    """

    header: RblHeader
    #: everything before the trailer (physical bytes, CRC-framed image + fill)
    body: bytes = field(repr=False)
    base: int = field(default=0, compare=False)

    @classmethod
    def parse(
        cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True
    ) -> RblPartition:
        """Parse a whole code partition: the trailer is the last 102 bytes of ``data``. Raises
        :class:`~obkimg.errors.TruncatedError` when ``data`` is shorter than the trailer and one frame block,
        :class:`~obkimg.errors.MagicError` without ``RBL\\0``, :class:`~obkimg.errors.FormatError` (path
        ``size_raw``) when the image does not fit before the trailer and, with ``strict``,
        :class:`~obkimg.errors.ChecksumError` for a bad trailer CRC-16 or ``info_crc32``, a bad image frame
        CRC-16, image CRC-32 or FNV-1a hash."""
        raw = bytes(data)
        if len(raw) < RBL_FRAMED_SIZE + crcframe.BLOCK:
            raise TruncatedError(
                FMT, RBL_FRAMED_SIZE + crcframe.BLOCK, len(raw), offset=base + len(raw), path="partition"
            )
        t = len(raw) - RBL_FRAMED_SIZE
        hdr = RblHeader.parse_framed(raw[t:], base=base + t, strict=strict)
        p = cls(hdr, raw[:t], base)
        if p.image_physical_size > t:
            raise FormatError(
                f"size_raw {hdr.size_raw} needs {p.image_physical_size} framed bytes, the "
                f"partition has {t} before its trailer",
                fmt=FMT,
                path="size_raw",
                offset=base + t + _framed_offset(FIELDS["size_raw"][0]),
            )
        if strict:
            crcframe.unframe(raw[: p.image_physical_size], strict=True, base=base, fmt=FMT)
            for err in p.image_errors():
                raise err
        return p

    @property
    def trailer_offset(self) -> int:
        """Offset of the trailer inside the partition (bytes from its start: the length of ``body``)."""
        return len(self.body)

    @property
    def image_physical_size(self) -> int:
        """The CRC-framed length in bytes of the ``size_raw``-byte image (34-byte blocks of 32 data bytes)."""
        return -(-self.header.size_raw // crcframe.DATA) * crcframe.BLOCK

    @property
    def image(self) -> bytes:
        """The image the trailer describes (encrypted app / bootloader, CRC bytes removed)."""
        return crcframe.unframe(self.body[: self.image_physical_size])[: self.header.size_raw]

    def image_errors(self, *, hash: bool = True) -> list[ChecksumError]:  # noqa: A002
        """CRC-32 (image + PKCS-style padding to size_package) and FNV-1a mismatches, each at the
        physical offset of its field in the trailer. ``hash=False`` skips the FNV-1a (pure Python,
        about 20 ms/MiB): detection and ``info`` rely on the CRC-32, ``verify`` checks both."""
        hdr = self.header
        img = self.image
        where = self.base + self.trailer_offset
        found = []
        # PKCS-style padding is < 256 bytes (its byte value is its length); a garbage size_package
        # (up to 4 GiB) must not be materialised: such a trailer's CRC is checked over the image alone
        pad = hdr.size_package - hdr.size_raw
        c = crc32(img + (bytes([pad]) * pad if 0 < pad < 256 else b""))
        if c != hdr.crc32:
            found.append(
                ChecksumError(
                    FMT,
                    "image CRC-32",
                    hdr.crc32,
                    c,
                    path="crc32",
                    offset=where + _framed_offset(FIELDS["crc32"][0]),
                )
            )
        h = fnv1a32(img) if hash else hdr.hash
        if h != hdr.hash:
            found.append(
                ChecksumError(
                    FMT,
                    "image FNV-1a hash",
                    hdr.hash,
                    h,
                    path="hash",
                    offset=where + _framed_offset(FIELDS["hash"][0]),
                )
            )
        return found

    def image_problems(self, *, hash: bool = True) -> list[Problem]:  # noqa: A002
        """:meth:`image_errors` as error :class:`~obkimg.errors.Problem` entries."""
        return [Problem("error", e.message, e.offset, FMT) for e in self.image_errors(hash=hash)]

    def build(self) -> bytes:
        """The partition bytes: ``body`` and the framed trailer with the stored ``info_crc32`` (identical to
        the parsed input)."""
        return self.body + self.header.build_framed(keep_info_crc=True)

    @classmethod
    def pack(
        cls,
        image: bytes | bytearray | memoryview,
        *,
        size: int,
        name: str = "app",
        version: str = "1.00",
        timestamp: int = 0,
        header: RblHeader | None = None,
    ) -> RblPartition:
        """beken_packager's layout: CRC-frame(image padded with 0xFF to 32) + 0xFF up to ``size - 102``
        + the framed trailer (``header`` if given, e.g. to keep vendor garbage, else a fresh one)."""
        img = bytes(image)
        hdr = header or RblHeader.for_flash_image(img, name=name, version=version, timestamp=timestamp)
        framed = crcframe.frame(img)
        fill = size - RBL_FRAMED_SIZE - len(framed)
        if fill < 0:
            raise BuildError(
                f"image of {len(img)} bytes ({len(framed)} framed) does not fit a partition of "
                f"{size} bytes with its trailer",
                fmt=FMT,
                path="size",
            )
        return cls(hdr, framed + b"\xff" * fill)


# -------------------------------------------------------------------------------------- Image models
def _state(ok: bool) -> str:
    return "valid" if ok else "invalid"


@dataclass(frozen=True, slots=True)
class RblImage(Image):
    """``obkimg.open()`` model of an RBL OTA file (kind ``bk7231-rbl``, variant ``ota``)."""

    file: RblFile
    app: bytes | None = field(default=None, repr=False)
    unpack_problems: tuple[Problem, ...] = ()
    #: FNV-1a of ``app``: computed by :meth:`verify` only (``info`` and ``scan`` do not pay for it)
    app_hash: int | None = None

    kind = FMT

    @classmethod
    def from_file(cls, f: RblFile, *, limit: int = DEFAULT_LIMIT) -> RblImage:
        """The model of a parsed OTA file, with the app unpacked (up to ``limit`` bytes, CRCs not
        enforced). An app that cannot be unpacked becomes a problem instead of an exception: a warning for
        QuickLZ/FastLZ or XOR payloads, which obkimg cannot decode, else an error."""
        try:
            app: bytes | None = f.unpack(limit=limit, check=False)
        except ObkImgError as e:
            sev = (
                "warning"
                if f.header.compression in ("quicklz", "fastlz") or f.header.encryption == "xor"
                else "error"
            )
            return cls(f, None, (Problem(sev, e.render(), e.offset, FMT),))
        return cls(f, app, ())

    @property
    def chip_id(self) -> Any:
        """The evidence model's answer (:class:`obkimg.chipid.ChipId`) from the app's build string and the
        RBL header's name/version (``23.08.29-bk7231n``); None when the app could not be unpacked."""
        if self.app is None:
            return None
        from ... import chipid

        cands, text = app_chips(self.app)
        app_ev = chipid.Evidence("app", f"app build string {text!r}", frozenset(cands)) if cands else None
        hdr = self.file.header
        return chipid.identify([app_ev, chipid.from_rbl_name(hdr.name, hdr.version)])

    @property
    def chip(self) -> str | None:
        cid = self.chip_id
        return cid.chip if cid is not None else None

    @property
    def chip_candidates(self) -> list[str]:
        cid = self.chip_id
        return list(cid.candidates) if cid is not None else []

    @property
    def size(self) -> int:
        return self.file.size

    @property
    def hash_valid(self) -> bool | None:
        """None when the app could not be unpacked or its hash was not checked yet (see :meth:`verify`)."""
        return None if self.app_hash is None else self.app_hash == self.file.header.hash

    def hash_problems(self) -> list[Problem]:
        """The FNV-1a check of the unpacked app (computed here once, then remembered)."""
        if self.app is None or len(self.app) != self.file.header.size_raw:
            return []
        if self.app_hash is None:
            object.__setattr__(self, "app_hash", fnv1a32(self.app))
        if self.hash_valid:
            return []
        hdr, b = self.file.header, self.file.base
        return [
            Problem(
                "error",
                f"bad FNV-1a hash of the unpacked app (stored {hdr.hash:#x}, "
                f"computed {self.app_hash or 0:#x})",
                b + FIELDS["hash"][0],
                FMT,
            )
        ]

    def problems(self) -> list[Problem]:
        f, hdr, b = self.file, self.file.header, self.file.base
        found = []
        if not hdr.header_valid:
            found.append(
                Problem(
                    "error",
                    f"bad header CRC-32 (stored {hdr.info_crc32:#x}, computed {hdr.computed_info_crc32:#x})",
                    b + FIELDS["info_crc32"][0],
                    FMT,
                )
            )
        if not f.crc_valid:
            found.append(
                Problem(
                    "error",
                    f"bad payload CRC-32 (stored {hdr.crc32:#x}, computed {f.computed_crc32:#x})",
                    b + FIELDS["crc32"][0],
                    FMT,
                )
            )
        found += self.unpack_problems
        if self.app is not None:
            if len(self.app) != hdr.size_raw:
                found.append(
                    Problem(
                        "error",
                        f"unpacked app is {len(self.app)} bytes, header size_raw says {hdr.size_raw}",
                        b + FIELDS["size_raw"][0],
                        FMT,
                    )
                )
        if f.trailing:
            found.append(
                Problem(
                    "warning", f"{len(f.trailing)} bytes after the payload", b + f.size - len(f.trailing), FMT
                )
            )
        return found

    def regions(self) -> list[Region]:
        f, b = self.file, self.file.base
        out = [
            Region(
                "rbl-header",
                b,
                RBL_HEADER_SIZE,
                "rbl",
                _state(f.header.header_valid),
                detail={"name": f.header.name, "version": f.header.version},
            )
        ]
        payload_ok = f.crc_valid and not any(p.severity == "error" for p in self.unpack_problems)
        out.append(
            Region(
                "payload",
                b + RBL_HEADER_SIZE,
                len(f.payload),
                "ota",
                "valid" if payload_ok else ("bad-crc" if not f.crc_valid else "invalid"),
                detail={"compression": f.header.compression, "encryption": f.header.encryption},
            )
        )
        if f.trailing:
            out.append(Region("trailing", b + RBL_HEADER_SIZE + len(f.payload), len(f.trailing), "unknown"))
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        f, hdr = self.file, self.file.header
        chip, evidence = chip_evidence(self.app) if self.app is not None else (None, None)
        cid = self.chip_id
        if cid is not None and (cid.conflict or any(e.source == "rbl" for e in cid.evidence)):
            evidence = cid.reason
        return {
            "variant": "ota",
            **hdr.to_dict(),
            "crc_valid": f.crc_valid,
            "hash_valid": self.hash_valid,
            "pkcs7_padded": f.pkcs7_padded,
            "trailing": len(f.trailing),
            "unpacked_size": None if self.app is None else len(self.app),
            "app_plain_arm": None if self.app is None else looks_like_arm_app(self.app),
            "chip_evidence": evidence,
            "chip_note": None
            if evidence
            else "the app names no chip (no OpenBeken build string, Tuya SDK banner or LibreTiny board name)",
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        hdr = self.file.header
        lines = [
            f"rbl:   name={hdr.name} version={hdr.version} {hdr.compression}+{hdr.encryption} "
            f"raw={hdr.size_raw} package={hdr.size_package} timestamp={hdr.timestamp}"
        ]
        if self.app is not None:
            chip, evidence = chip_evidence(self.app)
            lines.append(
                f"app:   {len(self.app)} bytes, "
                f"{'plain ARM app' if looks_like_arm_app(self.app) else 'not a plain ARM app'}"
                + (f", names {chip or '/'.join(app_chips(self.app)[0])} ({evidence})" if evidence else "")
            )
        return lines

    def verify(self) -> list[Problem]:
        return [p for p in self.problems() if p.severity == "error"] + self.hash_problems()

    def artifacts(self) -> list[Any]:
        from ...model import Artifact

        if self.app is None:
            return []
        return [Artifact("app.bin", self.app, "app-plain", "payload", "the plain app unpacked from the RBL")]


@dataclass(frozen=True, slots=True)
class RblPartitionImage(Image):
    """``obkimg.open()`` model of a CRC-framed partition with its RBL trailer (variant ``flash``)."""

    partition: RblPartition
    frame_bad: tuple[int, ...] = ()

    kind = FMT

    @classmethod
    def from_partition(cls, p: RblPartition) -> RblPartitionImage:
        """The model of a parsed partition, with the physical offsets of its bad CRC-16 frame blocks."""
        rep = crcframe.verify(p.body, base=p.base)
        return cls(p, tuple(rep.bad_offsets))

    @property
    def size(self) -> int:
        return len(self.partition.body) + RBL_FRAMED_SIZE

    def problems(self) -> list[Problem]:
        p = self.partition
        found = [Problem("error", "bad CRC-16 of 34-byte block", o, FMT) for o in self.frame_bad[:16]]
        if len(self.frame_bad) > 16:
            found.append(Problem("error", f"{len(self.frame_bad) - 16} more bad blocks", None, FMT))
        if not p.header.header_valid:
            found.append(
                Problem(
                    "error",
                    "bad header CRC-32 of the RBL trailer",
                    p.base + p.trailer_offset + _framed_offset(FIELDS["info_crc32"][0]),
                    FMT,
                )
            )
        return found + p.image_problems(hash=False)

    def verify(self) -> list[Problem]:
        """Every error of :meth:`problems`, plus the FNV-1a of the image (not computed by ``info``)."""
        return Image.verify(self) + [
            Problem("error", e.message, e.offset, FMT)
            for e in self.partition.image_errors()
            if e.path == "hash"
        ]

    def regions(self) -> list[Region]:
        p, b = self.partition, self.partition.base
        img_ok = not p.image_problems(hash=False) and not [
            o for o in self.frame_bad if o < b + p.image_physical_size
        ]
        kind = "bootloader" if p.header.name == "bootloader" else "app"
        out = [
            Region(
                p.header.name or "image",
                b,
                p.image_physical_size,
                kind,
                "valid" if img_ok else "bad-crc",
                detail={"size_raw": p.header.size_raw, "key_class": key_class(p.image)},
            )
        ]
        fill = p.trailer_offset - p.image_physical_size
        if fill:
            gap = p.body[p.image_physical_size :]
            erased = gap.count(0xFF) == len(gap)
            out.append(
                Region(
                    "fill",
                    b + p.image_physical_size,
                    fill,
                    "erased" if erased else "data",
                    "erased" if erased else "unknown",
                )
            )
        out.append(
            Region(
                "rbl",
                b + p.trailer_offset,
                RBL_FRAMED_SIZE,
                "rbl",
                _state(p.header.header_valid),
                detail={"name": p.header.name, "version": p.header.version},
            )
        )
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        p = self.partition
        bad = {e.path for e in p.image_errors(hash=False)}
        return {
            "variant": "flash",
            **p.header.to_dict(),
            "crc_valid": "crc32" not in bad,
            "hash_valid": None,  # FNV-1a is checked by verify, not by info
            "trailer_offset": p.base + p.trailer_offset,
            "frames_bad": len(self.frame_bad),
            "key_class": key_class(p.image),
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        h = self.partition.header
        return [
            f"rbl:   trailer at {self.partition.trailer_offset:#x}: name={h.name} version={h.version} "
            f"raw={h.size_raw} package={h.size_package}, key class {key_class(self.partition.image)}"
        ]


# ------------------------------------------------------------------------------------ format module
FORMAT = FormatInfo(
    id=FMT,
    name="BK7231 RBL container (OTA .rbl file / in-flash partition trailer)",
    family="bk7231",
    description="RT-Thread OTA package: 96-byte RBL header (CRC-32, FNV-1a, sizes) + gzip / AES-256-CBC "
    "payload; also a CRC-framed code partition with the RBL trailer in its last 102 bytes.",
    references=(
        "RT-Thread rt_ota_packaging_tool_cli (Tuya BK7231N SDK package_tool/linux)",
        "libretiny-eu/ltchiptool ltchiptool/soc/bk72xx/util/rbl.py, binary.py",
        "tuya-cloudcutter/bk7231tools bk7231tools/analysis/rbl.py",
    ),
    limitations=(
        "QuickLZ / FastLZ payloads are recognised but not decoded (no sample)",
        "XOR-encrypted payloads are recognised but not decrypted",
        "vendor garbage after NULs in name/version is kept only through the parsed bytes",
        "the chip is named only when the app says so in a build string (OpenBeken: file name only)",
    ),
)


def detect(data: bytes) -> Detection | None:
    """RBL\\0 at offset 0 (OTA file) or a framed RBL trailer at the end of a partition starting with the
    image it describes. Never raises."""
    try:
        if data[:4] == RBL_MAGIC and len(data) >= RBL_HEADER_SIZE:
            hdr = RblHeader.parse(data, strict=False)
            whole = len(data) >= RBL_HEADER_SIZE + hdr.size_package
            conf = 90 if hdr.header_valid and whole else 60
            return Detection(
                FMT,
                conf,
                f"RBL\\0 header at 0 ({hdr.name} {hdr.version}, {hdr.compression}+"
                f"{hdr.encryption}, header CRC {'ok' if hdr.header_valid else 'bad'})",
                length=RBL_HEADER_SIZE + hdr.size_package,
            )
        if len(data) >= RBL_FRAMED_SIZE + crcframe.BLOCK and data[-RBL_FRAMED_SIZE:][:4] == RBL_MAGIC:
            p = RblPartition.parse(data, strict=False)
            if p.header.header_valid and not p.image_problems(hash=False):
                return Detection(
                    FMT,
                    45,
                    f"CRC-framed {p.header.name} image from 0 described by the RBL trailer "
                    f"at {p.trailer_offset:#x} (in-flash partition)",
                    length=len(data),
                )
    except ObkImgError:
        return None
    return None


def load(source: Source) -> Image:
    """An :class:`RblImage` (OTA file) or :class:`RblPartitionImage` (partition with trailer)."""
    data = source.data
    if data[:4] == RBL_MAGIC:
        return RblImage.from_file(RblFile.parse(data, strict=False))
    if len(data) >= RBL_FRAMED_SIZE and data[-RBL_FRAMED_SIZE:][:4] == RBL_MAGIC:
        return RblPartitionImage.from_partition(RblPartition.parse(data, strict=False))
    raise MagicError(
        FMT,
        RBL_MAGIC,
        data[:4],
        offset=0,
        path="magic",
        hint="neither an RBL OTA file nor a partition ending with an RBL trailer",
    )
