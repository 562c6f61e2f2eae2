"""BK7231 RBL containers: the 96-byte RBL header (:data:`RBL_HEADER`, :class:`RblHeader`), its in-flash
trailer (:data:`RBL_TRAILER`: the header CRC-framed on its own, written by ``beken_packager`` in the last
102 bytes of a code partition, see :mod:`.rbl`) and the RBL OTA file (:class:`RblFile`: header +
payload = gzip/none, PKCS#7, optional AES-256-CBC, as ``rt_ota_packaging_tool_cli`` / ltchiptool
``ota_package`` write it).

Sources: RT-Thread ``rt_ota`` (``struct rt_ota_rbl_hdr``, ``rt_ota_algo_t``, ``rt_ota_packaging_tool_cli``
in the Tuya SDK ``package_tool/linux``), ltchiptool ``soc/bk72xx/util/rbl.py``, bk7231tools
``analysis/rbl.py``; checked against vendor-tool output and public OpenBeken / ESPHome UG releases.

Header layout (``struct rt_ota_rbl_hdr``), declared once as :data:`RBL_HEADER`::

    off  size  field          notes
    0x00    4  magic          b"RBL\\0"
    0x04    4  algo           rt_ota_algo_t: bits 0..7 crypt (RT_OTA_CRYPT_ALGO_NONE/XOR/AES256),
                              bits 8..11 compress (RT_OTA_CMPRS_ALGO_GZIP/QUICKLZ/FASTLZ), 16..31 algo2
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
tools, also seen after "app" in the name field of OpenBeken files) are kept (:class:`~obkimg._construct.CStr`
and ``RblHeader.raw``) so that an unchanged header rebuilds byte for byte.

Limitations: QuickLZ/FastLZ payloads are recognised but not decoded (no sample); XOR
encryption (algo low byte 1) is recognised but not decrypted (its key is not known). The AES key and
IV default to the ASCII strings every Tuya/OpenBeken build uses; other keys can be passed in.
Chip evidence, the ``obkimg.open()`` models and the CLI workflows live in :mod:`obkimg.containers`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from construct import (
    BitsInteger,
    BitStruct,
    ByteSwapped,
    Const,
    Enum,
    Int32ul,
    RawCopy,
    Struct,
    Transformed,
    this,
)

from ..._construct import CStr, CString0, LenientChecksum, build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs import crcframe, rtota
from ...codecs.checksums import crc32, fnv1a32
from ...codecs.compress import DEFAULT_LIMIT
from ...codecs.compress import gzip_member as gzip_member  # re-exported: callers build gzip payloads
from ...codecs.rtota import aes_cipher as _aes_cipher  # noqa: F401  (kept importable for callers)
from ...codecs.rtota import cbc_decrypt, pkcs7_len
from ...codecs.rtota import pkcs7_pad as pkcs7_pad  # re-exported
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    LimitError,
    MagicError,
    ObkImgError,
    Problem,
    TruncatedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable


__all__ = [
    "FMT",
    "RBL_MAGIC",
    "RBL_HEADER_SIZE",
    "RBL_FRAMED_SIZE",
    "RtOtaCrypt",
    "RtOtaCmprs",
    "RBL_ALGO",
    "RBL_INFO",
    "RBL_HEADER",
    "RBL_TRAILER",
    "DEFAULT_AES_KEY",
    "DEFAULT_AES_IV",
    "DEFAULT_SN",
    "COMPRESSIONS",
    "ENCRYPTIONS",
    "algo_value",
    "RblHeader",
    "RblFile",
    "default_timestamp",
    "pack",
    "unpack",
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


class RtOtaCrypt(IntEnum):
    """``rt_ota_algo_t`` bits 0..7: ``RT_OTA_CRYPT_ALGO_NONE``, ``_XOR``, ``_AES256``."""

    none = 0
    xor = 1
    aes256 = 2


class RtOtaCmprs(IntEnum):
    """``rt_ota_algo_t`` bits 8..11 (the value shifted down): ``RT_OTA_CMPRS_ALGO_GZIP`` (0x100),
    ``_QUICKLZ`` (0x200), ``_FASTLZ`` (0x300); 0 is no compression."""

    none = 0
    gzip = 1
    quicklz = 2
    fastlz = 3


#: algo bits 8..11
COMPRESSIONS = {m.value: m.name for m in RtOtaCmprs}
#: algo bits 0..7
ENCRYPTIONS = {m.value: m.name for m in RtOtaCrypt}

#: ``rt_ota_algo_t`` as a little-endian u32 word, fields listed from bit 31 down
RBL_ALGO = ByteSwapped(
    BitStruct(
        "algo2" / BitsInteger(16),  # 0 in every file seen
        "reserved" / BitsInteger(4),
        "compress" / Enum(BitsInteger(4), RtOtaCmprs),
        "crypt" / Enum(BitsInteger(8), RtOtaCrypt),
    )
)

#: ``struct rt_ota_rbl_hdr`` up to ``info_crc32``: the bytes that CRC covers
RBL_INFO = Struct(
    "magic" / Const(RBL_MAGIC),
    "algo" / RBL_ALGO,
    "timestamp" / Int32ul,
    "name" / CString0(16, "latin-1"),  # "app" / "bootloader"
    "version" / CString0(24, "latin-1"),  # garbage after the NUL in vendor files
    "sn" / CString0(24, "latin-1"),  # 23 x '0' + NUL
    "crc32" / Int32ul,  # body_crc: CRC-32 of the payload / padded image
    "hash" / Int32ul,  # FNV-1a-32 of the raw bytes
    "size_raw" / Int32ul,
    "size_package" / Int32ul,  # pkg_size
)
#: ``struct rt_ota_rbl_hdr``: the info block, then its CRC-32 (enforced by strict parses only)
RBL_HEADER = Struct(
    "info" / RawCopy(RBL_INFO),
    "info_crc32" / LenientChecksum(Int32ul, crc32, this.info.data),
)
#: the in-flash trailer: :data:`RBL_HEADER` CRC-framed on its own (3 x (32 data bytes + CRC-16 BE))
RBL_TRAILER = Transformed(RBL_HEADER, crcframe.unframe, RBL_FRAMED_SIZE, crcframe.frame, RBL_FRAMED_SIZE)

#: offset of ``info_crc32``: the end of the bytes it covers
_INFO_END = offset_of(RBL_HEADER, "info_crc32")


@functools.lru_cache(maxsize=64)
def _algo_fields(word: int) -> Any:
    """The :data:`RBL_ALGO` fields of an algo word (a handful of distinct words exist: cached)."""
    return RBL_ALGO.parse(Int32ul.build(word))


def _enum_name(value: Any) -> str:
    return str(value) if isinstance(value, str) else f"unknown-{int(value)}"


def algo_value(compression: str, encryption: str) -> int:
    """The ``algo`` word for a compression and an encryption name."""
    named = (("compression", compression, COMPRESSIONS), ("encryption", encryption, ENCRYPTIONS))
    for what, value, names in named:
        if value not in names.values():
            raise BuildError(
                f"unknown {what} {value!r} (one of {', '.join(names.values())})", fmt=FMT, path="algo"
            )
    fields = {"algo2": 0, "reserved": 0, "compress": compression, "crypt": encryption}
    return int(Int32ul.parse(RBL_ALGO.build(fields)))


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
    #: CRC-32 of the info block of ``raw`` when this is its parse (dataclasses.replace does not copy it)
    _raw_crc: int | None = field(default=None, init=False, repr=False, compare=False)

    # ----------------------------------------------------------------------------------- properties
    @property
    def compression(self) -> str:
        """``none`` | ``gzip`` | ``quicklz`` | ``fastlz`` (``unknown-N`` for other values)."""
        return _enum_name(_algo_fields(self.algo).compress)

    @property
    def encryption(self) -> str:
        """``none`` | ``xor`` | ``aes256`` (``unknown-N`` for other values)."""
        return _enum_name(_algo_fields(self.algo).crypt)

    @property
    def computed_info_crc32(self) -> int:
        """The zlib CRC-32 of the info block (header bytes before ``info_crc32``) as this header
        encodes it."""
        if self._raw_crc is not None:
            return self._raw_crc
        return crc32(self._encode(0)[:_INFO_END])

    @property
    def header_valid(self) -> bool:
        """The stored ``info_crc32`` matches the header bytes."""
        return self.info_crc32 == self.computed_info_crc32

    def header_errors(self, where: Callable[[int], int], fmt: str = FMT) -> list[ChecksumError]:
        """The header CRC-32 mismatch (path ``info_crc32``), at ``where(offset of the field)``."""
        computed, at = self.computed_info_crc32, where(_INFO_END)
        if computed == self.info_crc32:
            return []
        return [ChecksumError(fmt, "header CRC-32", self.info_crc32, computed, offset=at, path="info_crc32")]

    # ---------------------------------------------------------------------------------- parsing
    @classmethod
    def _from_parsed(cls, c: Any, raw: bytes) -> RblHeader:
        i = c.info.value
        hdr = cls(
            algo=int(Int32ul.parse(RBL_ALGO.build(i.algo))),
            timestamp=i.timestamp,
            name=i.name,
            version=i.version,
            sn=i.sn,
            crc32=i.crc32,
            hash=i.hash,
            size_raw=i.size_raw,
            size_package=i.size_package,
            info_crc32=c.info_crc32,
            raw=raw,
        )
        object.__setattr__(hdr, "_raw_crc", crc32(c.info.data))
        return hdr

    @classmethod
    def _parse(cls, data: bytes, *, strict: bool, where: Callable[[int], int], fmt: str) -> RblHeader:
        head = bytes(data[: len(RBL_MAGIC)])
        if head != RBL_MAGIC:
            if len(head) < len(RBL_MAGIC) and head == RBL_MAGIC[: len(head)]:
                raise TruncatedError(fmt, RBL_HEADER_SIZE, len(data), offset=where(len(data)), path="header")
            raise MagicError(fmt, RBL_MAGIC, head, offset=where(offset_of(RBL_HEADER, "magic")), path="magic")
        if len(data) < RBL_HEADER_SIZE:
            raise TruncatedError(fmt, RBL_HEADER_SIZE, len(data), offset=where(len(data)), path="header")
        raw = bytes(data[:RBL_HEADER_SIZE])
        hdr = cls._from_parsed(parse_with(RBL_HEADER, fmt, raw, base=where(0), strict=False), raw)
        if strict:
            for err in hdr.header_errors(where, fmt):
                raise err
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
        """Parse the 102-byte in-flash trailer (:data:`RBL_TRAILER`: the header CRC-framed on its own).

        The CRC-16 of each of the 3 blocks is checked first (with ``strict``: ChecksumError at the
        physical offset of the first bad block, path ``crc16``), then the header is unframed and
        parsed; error offsets are physical (``base`` + offset inside the trailer).
        """
        raw = bytes(data[:RBL_FRAMED_SIZE])
        if raw[: len(RBL_MAGIC)] != RBL_MAGIC:
            raise MagicError(fmt, RBL_MAGIC, raw[: len(RBL_MAGIC)], offset=base, path="magic")
        if len(raw) < RBL_FRAMED_SIZE:
            raise TruncatedError(fmt, RBL_FRAMED_SIZE, len(raw), offset=base + len(raw), path="trailer")
        header = crcframe.unframe(raw, strict=strict, base=base, fmt=fmt)  # checked and stripped once
        hdr = cls._from_parsed(parse_with(RBL_HEADER, fmt, header, base=base, strict=False), header)
        if strict:
            for err in hdr.header_errors(lambda o: base + crcframe.logical_to_physical(o), fmt):
                raise err
        return hdr

    # --------------------------------------------------------------------------------- building
    def _strings(self) -> dict[str, str]:
        """name/version/sn to build: a text equal to the one in ``raw`` keeps its bytes there (the garbage
        after the NUL, as :class:`~obkimg._construct.CStr`); any other text is NUL padded."""
        names = ("name", "version", "sn")
        if self.raw is not None and all(isinstance(getattr(self, k), CStr) for k in names):
            return {k: getattr(self, k) for k in names}  # as parsed: each carries its own bytes
        texts = {k: str(getattr(self, k)) for k in names}
        if self.raw is None or len(self.raw) != RBL_HEADER_SIZE:
            return texts
        old = RBL_HEADER.parse(self.raw, strict=False).info.value
        return {k: old[k] if str(old[k]) == v else v for k, v in texts.items()}

    def _container(self, info_crc32: int | None) -> dict[str, Any]:
        info = {
            "algo": _algo_fields(self.algo),
            "timestamp": self.timestamp,
            **self._strings(),
            "crc32": self.crc32,
            "hash": self.hash,
            "size_raw": self.size_raw,
            "size_package": self.size_package,
        }
        return {"info": {"value": info}, "info_crc32": info_crc32}

    def _encode(self, info_crc32: int | None = None) -> bytes:
        return build_with(RBL_HEADER, FMT, self._container(info_crc32))

    def build(self, *, keep_info_crc: bool = False) -> bytes:
        """The 96 header bytes; ``info_crc32`` is recomputed (unless ``keep_info_crc``).

        An unchanged parsed header with a valid CRC comes out identical to ``raw``.
        """
        return self._encode(self.info_crc32 if keep_info_crc else None)

    def build_framed(self, *, keep_info_crc: bool = False) -> bytes:
        """The 102-byte in-flash trailer as ``beken_packager`` writes it (3 CRC-framed blocks)."""
        return build_with(RBL_TRAILER, FMT, self._container(self.info_crc32 if keep_info_crc else None))

    def replace(self, **changes: Any) -> RblHeader:
        """A copy with ``changes`` applied, without ``raw`` and with a fresh ``info_crc32``.

        String fields that are not changed keep their original bytes (garbage after the NUL) only
        through ``raw``; since ``raw`` is dropped they are NUL padded.
        """
        changes.setdefault("raw", None)
        new = dataclasses.replace(self, **changes)
        if "info_crc32" in changes:
            return new
        return dataclasses.replace(new, info_crc32=new.computed_info_crc32)

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
            "name": str(self.name),
            "version": str(self.version),
            "sn": str(self.sn),
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


def as_problems(errors: list[FormatError] | list[ChecksumError]) -> list[Problem]:
    """Checks reported leniently: each error as an error :class:`~obkimg.errors.Problem`."""
    return [Problem("error", e.message, e.offset, FMT) for e in errors]


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

    def _at(self, name: str) -> int:
        """The offset in the input of header field ``name`` (from :data:`RBL_HEADER`)."""
        return self.base + offset_of(RBL_HEADER, name)

    def errors(
        self,
        app: bytes | None = None,
        *,
        header: bool = True,
        payload: bool = True,
        hash: bool = True,  # noqa: A002
    ) -> list[FormatError]:
        """Every RBL check, in one place: the header CRC-32 (``header``), the payload CRC-32
        (``payload``) and, for an unpacked ``app``, ``size_raw`` and (with ``hash``) the FNV-1a hash.
        Each error names its field and the offset of that field; strict callers raise the first,
        lenient ones report them as problems (:func:`as_problems`)."""
        hdr = self.header
        found: list[FormatError] = []
        if header:
            found += hdr.header_errors(lambda o: self.base + o)
        if payload and not self.crc_valid:
            found.append(
                ChecksumError(
                    FMT,
                    "payload CRC-32",
                    hdr.crc32,
                    self.computed_crc32,
                    offset=self._at("crc32"),
                    path="crc32",
                    hint=f"payload {self.base + RBL_HEADER_SIZE:#x}..{self.base + self.size:#x}",
                )
            )
        if app is None:
            return found
        if len(app) != hdr.size_raw:
            msg = f"unpacked app is {len(app)} bytes, header size_raw says {hdr.size_raw}"
            found.append(FormatError(msg, fmt=FMT, path="size_raw", offset=self._at("size_raw")))
        if hash and (h := fnv1a32(app)) != hdr.hash:
            found.append(
                ChecksumError(
                    FMT, "FNV-1a hash of the unpacked app", hdr.hash, h, path="hash", offset=self._at("hash")
                )
            )
        return found

    def check_crc(self) -> None:
        """ChecksumError (path ``crc32``, offset of that field) if the payload CRC-32 does not match."""
        for err in self.errors(header=False):
            raise err

    @property
    def pkcs7_padded(self) -> bool | None:
        """Whether the (unencrypted) payload carries PKCS#7 padding (RT-Thread style); None with AES."""
        if self.header.encryption != "none":
            return None
        return (
            len(self.payload) % 16 == 0
            and pkcs7_len(self.payload) > 0
            and (self.header.compression != "none" or len(self.payload) > self.header.size_raw)
        )

    def decrypt(self, *, key: str | bytes = DEFAULT_AES_KEY, iv: str | bytes = DEFAULT_AES_IV) -> bytes:
        """The compressed stream: the payload after AES-256-CBC and PKCS#7 removal (as is without AES)."""
        enc = self.header.encryption
        if enc == "none":
            return self.payload
        if enc != "aes256":
            raise self._unsupported(f"{enc} encryption is not supported (its key is unknown)")
        return cbc_decrypt(self.payload, key, iv, fmt=FMT, base=self.base + RBL_HEADER_SIZE)

    def _unsupported(self, what: str) -> FormatError:
        return FormatError(what, fmt=FMT, path="algo", offset=self._at("algo"))

    def _decompress(self, stream: bytes, limit: int) -> bytes:
        """The raw app from the decrypted stream (gzip or none), bounded by ``limit``."""
        hdr = self.header
        comp = hdr.compression
        if comp in ("quicklz", "fastlz"):
            raise self._unsupported(
                f"{comp} compression is not supported (no reference decoder and no sample); "
                "only gzip and none are"
            )
        if comp not in ("gzip", "none"):
            raise self._unsupported(f"unknown compression in algo {hdr.algo:#x}")
        aes = hdr.encryption != "none"
        start = self.base + RBL_HEADER_SIZE
        return rtota.decode(
            stream, gzip=comp == "gzip", aes=aes, size_raw=hdr.size_raw, limit=limit, fmt=FMT, base=start
        )

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
        if check:
            self.check_crc()
        if hdr.size_raw > limit:
            raise LimitError(
                f"size_raw {hdr.size_raw} exceeds the output limit of {limit} bytes",
                fmt=FMT,
                path="size_raw",
                offset=self._at("size_raw"),
            )
        raw = self._decompress(self.decrypt(key=key, iv=iv), limit)
        if check:
            for err in self.errors(raw, header=False, payload=False):
                raise err
        return raw

    def verify(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        key: str | bytes = DEFAULT_AES_KEY,
        iv: str | bytes = DEFAULT_AES_IV,
    ) -> list[Problem]:
        """Every error of the full check (header CRC, payload CRC-32, decrypt, decompress, size, hash)."""
        found = as_problems(self.errors())
        try:
            raw = self.unpack(limit=limit, key=key, iv=iv, check=False)
        except ObkImgError as e:
            return [*found, Problem("error", e.render(), e.offset, FMT)]
        return found + as_problems(self.errors(raw, header=False, payload=False))

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
        for what, value, ok in (("compression", compression, "gzip"), ("encryption", encryption, "aes256")):
            if value not in (ok, "none"):
                raise BuildError(f"{value} {what} cannot be built (only {ok} and none)", fmt=FMT, path="algo")
        aes, pad = encryption == "aes256", style == "rtota"
        body = rtota.encode(plain, gzip=compression == "gzip", aes=aes, key=key, iv=iv, pad=pad, fmt=FMT)
        timestamp = default_timestamp() if timestamp is None else timestamp
        if not 0 <= timestamp <= 0xFFFFFFFF:
            raise BuildError(f"timestamp {timestamp} does not fit in 32 bits", fmt=FMT, path="timestamp")
        hdr = RblHeader.for_payload(
            body, name=name, version=version, app=plain, algo=algo, timestamp=timestamp, sn=sn
        )
        return cls(hdr, body)


def pack(app: bytes | bytearray | memoryview, **kw: Any) -> bytes:
    """The bytes of :meth:`RblFile.pack` (same keyword arguments)."""
    return RblFile.pack(app, **kw).build()


def unpack(data: bytes | bytearray | memoryview, **kw: Any) -> bytes:
    """The plain app of an RBL OTA file, every checksum verified (ObkImgError on any mismatch); the
    keywords of :meth:`RblFile.unpack` (``limit``, ``key``, ``iv``)."""
    return RblFile.parse(data).unpack(**kw)
