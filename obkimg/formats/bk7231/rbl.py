"""The BK7231 RBL format (``bk7231-rbl``): the RBL OTA file and the code partition as flashed with its
in-flash RBL trailer (beken_packager, ltchiptool package).

The 96-byte RBL header, its trailer form and the OTA file (header + payload) are declared in
:mod:`obkimg.formats.bk7231.rbl_header` and re-exported here; this module adds the partition, ``detect``
and ``FORMAT``. Layout of a partition of ``size`` physical bytes::

    0               CRC-framed image (size_raw bytes in 34-byte blocks of 32 data bytes + CRC-16 BE)
    ...             0xFF fill (no CRC)
    size - 102      RBL trailer: :data:`~obkimg.formats.bk7231.rbl_header.RBL_TRAILER`, the 96-byte RBL header
                    CRC-framed on its own (3 blocks of 32+2 bytes)

The trailer describes the (encrypted) image: ``crc32`` = CRC-32 of the image plus PKCS-style padding
up to ``size_package`` (= size_raw rounded up to 32), ``hash`` = FNV-1a of the image (variant ``flash``).

Limitations: a trailer whose CRC-16 blocks are bad is rebuilt with good ones (the header bytes and
``info_crc32`` are kept); ``size_raw % 32 == 0`` has no vendor sample (size_package = size_raw assumed).
"""

from __future__ import annotations

from dataclasses import field

from ..._construct import offset_of
from ..._record import dataclass
from ...codecs import crcframe
from ...codecs.checksums import crc32, fnv1a32
from ...codecs.rtota import aes_cipher as _aes_cipher  # noqa: F401  (kept importable: rbl._aes_cipher)
from ...errors import BuildError, ChecksumError, FormatError, ObkImgError, Problem, TruncatedError
from .. import Detection, FormatInfo
from .rbl_header import *  # noqa: F403  (the RBL header, file and payload: this module re-exports them)
from .rbl_header import (  # noqa: F401  (callers build payloads)
    FMT,
    RBL_FRAMED_SIZE,
    RBL_HEADER,
    RBL_HEADER_SIZE,
    RBL_MAGIC,
    RblHeader,
    as_problems,
    gzip_member,
    pkcs7_pad,
)
from .rbl_header import __all__ as _HEADER_ALL

__all__ = [*_HEADER_ALL, "RblPartition", "FORMAT", "detect"]


def _framed_offset(logical: int) -> int:
    """Offset inside a self-framed trailer of header byte ``logical``."""
    return crcframe.logical_to_physical(logical)


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
                offset=base + t + _framed_offset(offset_of(RBL_HEADER, "size_raw")),
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

        def at(name: str) -> int:
            return self.base + self.trailer_offset + _framed_offset(offset_of(RBL_HEADER, name))

        found = []
        # PKCS-style padding is < 256 bytes (its byte value is its length); a garbage size_package
        # (up to 4 GiB) must not be materialised: such a trailer's CRC is checked over the image alone
        pad = hdr.size_package - hdr.size_raw
        c = crc32(img + (bytes([pad]) * pad if 0 < pad < 256 else b""))
        if c != hdr.crc32:
            found.append(ChecksumError(FMT, "image CRC-32", hdr.crc32, c, path="crc32", offset=at("crc32")))
        h = fnv1a32(img) if hash else hdr.hash
        if h != hdr.hash:
            found.append(ChecksumError(FMT, "image FNV-1a hash", hdr.hash, h, path="hash", offset=at("hash")))
        return found

    def image_problems(self, *, hash: bool = True) -> list[Problem]:  # noqa: A002
        """:meth:`image_errors` as error :class:`~obkimg.errors.Problem` entries."""
        return as_problems(self.image_errors(hash=hash))

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


# ------------------------------------------------------------------------------------ format module
FORMAT = FormatInfo(
    id=FMT,
    loader="obkimg.containers:load_rbl",
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
        if data[: len(RBL_MAGIC)] == RBL_MAGIC and len(data) >= RBL_HEADER_SIZE:
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
