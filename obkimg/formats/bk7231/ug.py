"""Tuya UG wrapper (``*_UG_*.bin``, cloudcutter ``*.ug.bin``): a 32-byte header around an RBL OTA file.

Purpose: parse, verify, unwrap and wrap the file Tuya's ``package <rbl> <out> <version>`` tool
writes; the inner file is an RBL OTA file (:mod:`.bk7231_rbl`).

Sources: Tuya BK7231N SDK ``platforms/bk7231n/bk7231n_os/tools/generate/package_tool/linux/package``
(its output reproduced byte for byte), ltchiptool
``soc/bk72xx/binary.py`` (writes the same layout), tuya-cloudcutter ``custom-firmware/*.ug.bin``.

Layout (all integers **big endian**)::

    off  size  field        notes
    0x00    4  magic        55 AA 55 AA
    0x04   12  version      NUL padded text ("1.18.130", "23.08.29")
    0x10    4  length       length of the RBL file that follows
    0x14    4  sum          sum of all RBL file bytes, modulo 2**32
    0x18    4  header_sum   sum of header bytes 0x00..0x17, modulo 2**32
    0x1C    4  magic_end    AA 55 AA 55
    0x20    n  rbl          the RBL OTA file (96-byte header + payload)

Limitations: a version longer than 12 characters cannot be stored (the tool truncates; we refuse).
The chip is not recorded in the wrapper; it comes from the app inside (OpenBeken build string
``OpenBK7231N 1.18.130``, Tuya SDK banner, LibreTiny board name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from construct import Bytes, Const, Int32ub, Struct

from ..._construct import build_with, parse_with
from ...codecs.checksums import sum32
from ...codecs.compress import DEFAULT_LIMIT
from ...errors import BuildError, ChecksumError, MagicError, ObkImgError, Problem, TruncatedError
from ...model import Image, Region
from .. import Detection, FormatInfo
from .rbl import RBL_HEADER_SIZE, RBL_MAGIC, RblFile, RblImage

if TYPE_CHECKING:
    from ...source import Source

__all__ = [
    "FMT",
    "UG_MAGIC",
    "UG_MAGIC_END",
    "UG_HEADER_SIZE",
    "UG_HEADER",
    "OTA_PARTITION_SIZE",
    "UgFile",
    "UgImage",
    "unwrap",
    "wrap",
    "FORMAT",
    "detect",
    "load",
]

FMT = "bk7231-ug"

UG_MAGIC = b"\x55\xaa\x55\xaa"
UG_MAGIC_END = b"\xaa\x55\xaa\x55"
UG_HEADER_SIZE = 32
#: Tuya build.sh refuses UG files larger than the download partition (0xA6000 = 679936 bytes)
OTA_PARTITION_SIZE = 0xA6000

UG_HEADER = Struct(
    "magic" / Const(UG_MAGIC),
    "version" / Bytes(12),  # NUL padded
    "length" / Int32ub,  # len(RBL file)
    "sum" / Int32ub,  # sum of the RBL file bytes mod 2**32
    "header_sum" / Int32ub,  # sum of bytes 0..23 mod 2**32
    "magic_end" / Const(UG_MAGIC_END),
)

FIELDS = {"magic": 0x00, "version": 0x04, "length": 0x10, "sum": 0x14, "header_sum": 0x18, "magic_end": 0x1C}


@dataclass(frozen=True, slots=True)
class UgFile:
    """A Tuya UG file: ``version`` + the wrapped RBL file bytes, with the stored sums."""

    version: str
    rbl: bytes = field(repr=False)
    length: int
    sum: int
    header_sum: int
    #: the 32 original header bytes (bytes after the version NUL are kept on rebuild)
    raw: bytes | None = field(default=None, repr=False, compare=False)
    #: bytes after ``length`` RBL bytes (none in tool output)
    trailing: bytes = field(default=b"", repr=False)
    base: int = field(default=0, compare=False)

    # ---------------------------------------------------------------------------------- parsing
    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True) -> UgFile:
        """Parse a UG file. With ``strict``, both sums are checked (ChecksumError naming the field)."""
        raw = bytes(data)
        if raw[:4] != UG_MAGIC:
            if len(raw) < 4 and raw == UG_MAGIC[: len(raw)]:
                raise TruncatedError(FMT, UG_HEADER_SIZE, len(raw), offset=base + len(raw), path="header")
            raise MagicError(FMT, UG_MAGIC, raw[:4], offset=base, path="magic")
        if len(raw) < UG_HEADER_SIZE:
            raise TruncatedError(FMT, UG_HEADER_SIZE, len(raw), offset=base + len(raw), path="header")
        if raw[0x1C:0x20] != UG_MAGIC_END:
            raise MagicError(FMT, UG_MAGIC_END, raw[0x1C:0x20], offset=base + 0x1C, path="magic_end")
        c = parse_with(UG_HEADER, FMT, raw[:UG_HEADER_SIZE], base=base)
        end = UG_HEADER_SIZE + c.length
        if len(raw) < end:
            raise TruncatedError(
                FMT, end, len(raw), offset=base + len(raw), path="rbl", hint=f"header length = {c.length}"
            )
        ug = cls(
            version=c.version.split(b"\0", 1)[0].decode("latin-1"),
            rbl=raw[UG_HEADER_SIZE:end],
            length=c.length,
            sum=c.sum,
            header_sum=c.header_sum,
            raw=raw[:UG_HEADER_SIZE],
            trailing=raw[end:],
            base=base,
        )
        if strict:
            for err in ug.errors():
                raise err
        return ug

    # ----------------------------------------------------------------------------------- checks
    @property
    def computed_header_sum(self) -> int:
        """The byte sum (modulo 2**32) of header bytes 0x00..0x17 as stored (magic, version, length, sum)."""
        return sum32(self._header(fresh=False)[:24])

    @property
    def computed_sum(self) -> int:
        """The byte sum (modulo 2**32) of the wrapped RBL file bytes."""
        return sum32(self.rbl)

    @property
    def header_sum_valid(self) -> bool:
        """True when the stored ``header_sum`` (offset 0x18) equals :attr:`computed_header_sum`."""
        return self.computed_header_sum == self.header_sum

    @property
    def sum_valid(self) -> bool:
        """True when the stored ``sum`` (offset 0x14) equals :attr:`computed_sum`."""
        return self.computed_sum == self.sum

    def errors(self) -> list[ChecksumError]:
        """The sum mismatches, each naming its field and offset (header sum first)."""
        found = []
        if not self.header_sum_valid:
            found.append(
                ChecksumError(
                    FMT,
                    "header byte sum",
                    self.header_sum,
                    self.computed_header_sum,
                    offset=self.base + FIELDS["header_sum"],
                    path="header_sum",
                )
            )
        if not self.sum_valid:
            found.append(
                ChecksumError(
                    FMT,
                    "byte sum of the RBL file",
                    self.sum,
                    self.computed_sum,
                    offset=self.base + FIELDS["sum"],
                    path="sum",
                    hint=f"RBL at {self.base + UG_HEADER_SIZE:#x}",
                )
            )
        return found

    def rbl_file(self, *, strict: bool = True) -> RblFile:
        """The wrapped RBL OTA file (offsets in errors are those of the UG file)."""
        return RblFile.parse(self.rbl, base=self.base + UG_HEADER_SIZE, strict=strict)

    def unwrap(self) -> bytes:
        """The wrapped RBL file bytes."""
        return self.rbl

    def unpack(self, *, limit: int = DEFAULT_LIMIT) -> bytes:
        """The plain app inside (every sum, CRC and hash checked)."""
        return self.rbl_file().unpack(limit=limit)

    def verify(self, *, limit: int = DEFAULT_LIMIT) -> list[Problem]:
        """Every problem of the file, as error :class:`~obkimg.errors.Problem` entries instead of
        exceptions: the sum mismatches, bytes after the RBL file, and the inner RBL file's own checks
        (``limit`` bounds the unpacked app, in bytes)."""
        found = [Problem("error", e.render(), e.offset, FMT) for e in self.errors()]
        if self.trailing:
            found.append(
                Problem(
                    "error",
                    f"{len(self.trailing)} bytes after the RBL file",
                    self.base + UG_HEADER_SIZE + self.length,
                    FMT,
                )
            )
        try:
            found += self.rbl_file(strict=False).verify(limit=limit)
        except ObkImgError as e:
            found.append(Problem("error", e.render(), e.offset, FMT))
        return found

    # --------------------------------------------------------------------------------- building
    def _version_bytes(self) -> bytes:
        try:
            text = self.version.encode("latin-1")
        except UnicodeEncodeError as e:
            raise BuildError(f"version {self.version!r} is not latin-1 text", fmt=FMT, path="version") from e
        if len(text) > 12 or b"\0" in text:
            raise BuildError(
                f"version {self.version!r} does not fit 12 bytes",
                fmt=FMT,
                path="version",
                offset=FIELDS["version"],
            )
        if self.raw is not None and self.raw[4:16].split(b"\0", 1)[0] == text:
            return self.raw[4:16]
        return text.ljust(12, b"\0")

    def _header(self, *, fresh: bool) -> bytes:
        obj = {
            "version": self._version_bytes(),
            "length": len(self.rbl) if fresh else self.length,
            "sum": sum32(self.rbl) if fresh else self.sum,
            "header_sum": 0,
        }
        head = build_with(UG_HEADER, FMT, obj)
        hsum = sum32(head[:24]) if fresh else self.header_sum
        return head[:24] + hsum.to_bytes(4, "big") + UG_MAGIC_END

    def build(self, *, fresh: bool = False) -> bytes:
        """The file bytes. By default the stored length and sums are written (identical to the parsed
        input); ``fresh=True`` recomputes them from ``rbl``."""
        return self._header(fresh=fresh) + self.rbl + (b"" if fresh else self.trailing)

    @classmethod
    def wrap(cls, rbl: bytes | bytearray | memoryview, version: str) -> UgFile:
        """Wrap an RBL file as Tuya ``package <rbl> <out> <version>`` does."""
        body = bytes(rbl)
        if body[:4] != RBL_MAGIC:
            raise BuildError("the input is not an RBL file (no RBL\\0 magic)", fmt=FMT, path="rbl")
        tmp = cls(version=version, rbl=body, length=len(body), sum=0, header_sum=0)
        return cls.parse(tmp.build(fresh=True))

    def to_dict(self) -> dict[str, Any]:
        """The header as JSON-ready data: version, length, stored sums, whether each is valid, and the
        number of trailing bytes."""
        return {
            "version": self.version,
            "length": self.length,
            "sum": self.sum,
            "header_sum": self.header_sum,
            "sum_valid": self.sum_valid,
            "header_sum_valid": self.header_sum_valid,
            "trailing": len(self.trailing),
        }


def unwrap(
    data: bytes | bytearray | memoryview, *, app: bool = False, limit: int = DEFAULT_LIMIT
) -> tuple[bytes, bytes | None]:
    """The RBL file inside a UG file and, with ``app``, the plain app too; everything verified."""
    ug = UgFile.parse(data)
    rbl = ug.rbl_file()
    return ug.rbl, (rbl.unpack(limit=limit) if app else None)


def wrap(rbl: bytes | bytearray | memoryview, version: str) -> bytes:
    """A UG file around ``rbl`` (an RBL OTA file)."""
    return UgFile.wrap(rbl, version).build()


# ------------------------------------------------------------------------------------------ model
@dataclass(frozen=True, slots=True)
class UgImage(Image):
    """``obkimg.open()`` model of a UG file (kind ``bk7231-ug``)."""

    ug: UgFile
    inner: RblImage | None = None
    inner_error: Problem | None = None

    kind = FMT

    @classmethod
    def from_ug(cls, ug: UgFile) -> UgImage:
        """The model of a parsed UG file. An inner RBL file that does not parse is kept as the
        ``inner_error`` problem instead of raising."""
        try:
            inner = RblImage.from_file(ug.rbl_file(strict=False))
        except ObkImgError as e:
            return cls(ug, None, Problem("error", e.render(), e.offset, FMT))
        return cls(ug, inner)

    @property
    def chip(self) -> str | None:
        return self.inner.chip if self.inner is not None else None

    @property
    def chip_candidates(self) -> list[str]:
        return self.inner.chip_candidates if self.inner is not None else []

    @property
    def chip_id(self) -> Any:
        """The inner RBL's chip evidence (:attr:`RblImage.chip_id`), None without one."""
        return self.inner.chip_id if self.inner is not None else None

    @property
    def size(self) -> int:
        return UG_HEADER_SIZE + len(self.ug.rbl) + len(self.ug.trailing)

    def problems(self) -> list[Problem]:
        found = [Problem("error", e.render(), e.offset, FMT) for e in self.ug.errors()]
        if self.ug.trailing:
            found.append(
                Problem(
                    "warning",
                    f"{len(self.ug.trailing)} bytes after the RBL file",
                    self.ug.base + UG_HEADER_SIZE + self.ug.length,
                    FMT,
                )
            )
        if self.size > OTA_PARTITION_SIZE:
            found.append(
                Problem(
                    "warning",
                    f"larger than the BK7231 download partition ({OTA_PARTITION_SIZE:#x} "
                    "bytes): Tuya build.sh refuses such files",
                    None,
                    FMT,
                )
            )
        if self.inner_error is not None:
            found.append(self.inner_error)
        if self.inner is not None:
            found += self.inner.problems()
        return found

    def regions(self) -> list[Region]:
        ug = self.ug
        head_ok = ug.header_sum_valid
        out = [
            Region(
                "ug-header",
                ug.base,
                UG_HEADER_SIZE,
                "header",
                "valid" if head_ok else "invalid",
                detail={"version": ug.version, "length": ug.length},
            )
        ]
        if self.inner is not None:
            for r in self.inner.regions():
                state = r.state
                if r.name == "payload" and not ug.sum_valid and state == "valid":
                    state = "bad-crc"
                out.append(Region(r.name, r.offset, r.size, r.kind, state, r.problems, r.detail))
        else:
            out.append(
                Region(
                    "rbl",
                    ug.base + UG_HEADER_SIZE,
                    len(ug.rbl),
                    "ota",
                    "valid" if ug.sum_valid else "bad-crc",
                )
            )
        if ug.trailing:
            out.append(Region("trailing", ug.base + UG_HEADER_SIZE + ug.length, len(ug.trailing), "unknown"))
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        return {
            **self.ug.to_dict(),
            "fits_ota_partition": self.size <= OTA_PARTITION_SIZE,
            "rbl": self.inner.details() if self.inner is not None else None,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        ug = self.ug
        lines = [
            f"ug:    version={ug.version} length={ug.length} sum {'ok' if ug.sum_valid else 'BAD'} "
            f"header sum {'ok' if ug.header_sum_valid else 'BAD'}"
        ]
        if self.inner is not None:
            lines += self.inner.describe()
        return lines

    def verify(self) -> list[Problem]:
        errors = [p for p in self.problems() if p.severity == "error"]
        return errors + (self.inner.hash_problems() if self.inner is not None else [])

    def artifacts(self) -> list[Any]:
        from ...model import Artifact

        out = [Artifact("app.rbl", self.ug.rbl, "rbl", "payload", "the RBL OTA file inside the UG wrapper")]
        if self.inner is not None:
            out += self.inner.artifacts()
        return out


# --------------------------------------------------------------------------------- format module
FORMAT = FormatInfo(
    id=FMT,
    name="Tuya UG wrapper around an RBL OTA file (*_UG_*.bin, *.ug.bin)",
    family="bk7231",
    description="32-byte big-endian header (55AA55AA, version, length, byte sums, AA55AA55) + RBL OTA file.",
    references=(
        "tuya/tuya-iotos-embeded-sdk-wifi-ble-bk7231n platforms/bk7231n/bk7231n_os/tools/generate/"
        "package_tool/linux/package",
        "libretiny-eu/ltchiptool ltchiptool/soc/bk72xx/binary.py",
    ),
    limitations=(
        "version is at most 12 bytes",
        "the chip is not stored: OpenBeken names it in the file name only",
    ),
)


def detect(data: bytes) -> Detection | None:
    """55AA55AA ... AA55AA55 header followed by RBL\\0. Never raises."""
    if len(data) < UG_HEADER_SIZE or data[:4] != UG_MAGIC or data[0x1C:0x20] != UG_MAGIC_END:
        return None
    try:
        ug = UgFile.parse(data, strict=False)
    except ObkImgError:
        return Detection(FMT, 50, "UG magics at 0 and 0x1C, but the wrapped length does not fit")
    inner = ug.rbl[:4] == RBL_MAGIC and len(ug.rbl) >= RBL_HEADER_SIZE
    conf = 95 if ug.header_sum_valid and inner else 70
    return Detection(
        FMT,
        conf,
        f"Tuya UG header (version {ug.version}, {ug.length} bytes{', wraps RBL' if inner else ''})",
        length=UG_HEADER_SIZE + ug.length,
    )


def load(source: Source) -> Image:
    """Parse ``source`` as a UG file (sums not enforced: mismatches become problems). Raises
    :class:`~obkimg.errors.MagicError` without the magics and :class:`~obkimg.errors.TruncatedError` when
    the header or the wrapped length does not fit."""
    return UgImage.from_ug(UgFile.parse(source.data, strict=False))
