"""Tuya UG wrapper (``*_UG_*.bin``, cloudcutter ``*.ug.bin``): a 32-byte header around an RBL OTA file.

Purpose: parse, verify, unwrap and wrap the file Tuya's ``package <rbl> <out> <version>`` tool
writes; the inner file is an RBL OTA file (:mod:`obkimg.formats.bk7231.rbl`). Declared once as
:data:`UG_FILE`; the ``obkimg.open()`` model and the CLI workflows are in :mod:`obkimg.containers`.

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

from dataclasses import field
from typing import TYPE_CHECKING, Any

from construct import Bytes, Const, Default, GreedyBytes, Int32ub, RawCopy, Rebuild, Struct, len_, this

from ..._construct import CString0, LenientChecksum, StrictCheck, build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs.checksums import sum32
from ...codecs.compress import DEFAULT_LIMIT
from ...errors import BuildError, ChecksumError, MagicError, ObkImgError, Problem, TruncatedError
from .. import Detection, FormatInfo
from .rbl import RBL_HEADER_SIZE, RBL_MAGIC, RblFile

if TYPE_CHECKING:
    pass

__all__ = [
    "FMT",
    "UG_MAGIC",
    "UG_MAGIC_END",
    "UG_HEADER_SIZE",
    "UG_HEADER",
    "UG_FILE",
    "OTA_PARTITION_SIZE",
    "UgFile",
    "unwrap",
    "wrap",
    "FORMAT",
    "detect",
]

FMT = "bk7231-ug"

UG_MAGIC = b"\x55\xaa\x55\xaa"
UG_MAGIC_END = b"\xaa\x55\xaa\x55"
UG_HEADER_SIZE = 32
#: Tuya build.sh refuses UG files larger than the download partition (0xA6000 = 679936 bytes)
OTA_PARTITION_SIZE = 0xA6000

#: header bytes 0x00..0x17, covered by ``header_sum`` (RawCopy adds no context level: ``this._`` is UG_FILE)
UG_HEADER = Struct(
    "magic" / Const(UG_MAGIC),
    "version" / CString0(12, "latin-1"),  # NUL padded
    "length" / Rebuild(Int32ub, len_(this._.rbl)),  # len(RBL file)
    # sum of the RBL file bytes mod 2**32: computed when not given (a lenient parse keeps a bad one)
    "sum" / Default(Int32ub, lambda ctx: sum32(ctx._.rbl)),
)

#: the whole UG file: header, its byte sum, end magic, the RBL file, and anything after it
UG_FILE = Struct(
    "header" / RawCopy(UG_HEADER),
    "header_sum" / LenientChecksum(Int32ub, sum32, this.header.data),  # sum of bytes 0..23 mod 2**32
    "magic_end" / Const(UG_MAGIC_END),
    "rbl" / Bytes(this.header.value.length),
    StrictCheck(lambda ctx: ctx.header.value.sum == sum32(ctx.rbl)),
    "trailing" / GreedyBytes,  # none in tool output
)

_SUM_END = offset_of(UG_FILE, "header_sum")


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
    #: byte sum of the header bytes 0..23 of ``raw`` when this object is the parse of ``raw`` (not
    #: copied by ``dataclasses.replace``, so a changed copy computes it from its own bytes)
    _raw_hsum: int | None = field(default=None, init=False, repr=False, compare=False)
    #: byte sum of ``rbl``, computed on first use (``rbl`` is immutable; a ``replace`` copy starts empty)
    _rbl_sum: int | None = field(default=None, init=False, repr=False, compare=False)

    # ---------------------------------------------------------------------------------- parsing
    @classmethod
    def _precheck(cls, raw: bytes, base: int) -> None:
        """The magics and sizes, each error at its field (the schema's own constants and offsets)."""
        n = len(UG_MAGIC)
        if raw[:n] != UG_MAGIC:
            if len(raw) < n and raw == UG_MAGIC[: len(raw)]:
                raise TruncatedError(FMT, UG_HEADER_SIZE, len(raw), offset=base + len(raw), path="header")
            raise MagicError(FMT, UG_MAGIC, raw[:n], offset=base, path="magic")
        if len(raw) < UG_HEADER_SIZE:
            raise TruncatedError(FMT, UG_HEADER_SIZE, len(raw), offset=base + len(raw), path="header")
        at = offset_of(UG_FILE, "magic_end")
        if raw[at : at + n] != UG_MAGIC_END:
            raise MagicError(FMT, UG_MAGIC_END, raw[at : at + n], offset=base + at, path="magic_end")

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0, strict: bool = True) -> UgFile:
        """Parse a UG file. With ``strict``, both sums are checked (ChecksumError naming the field)."""
        raw = bytes(data)
        cls._precheck(raw, base)
        head = parse_with(UG_HEADER, FMT, raw[:_SUM_END], base=base)
        end = UG_HEADER_SIZE + head.length
        if len(raw) < end:
            raise TruncatedError(
                FMT, end, len(raw), offset=base + len(raw), path="rbl", hint=f"header length = {head.length}"
            )
        c = parse_with(UG_FILE, FMT, raw, base=base, strict=False)
        ug = cls(
            version=c.header.value.version,
            rbl=c.rbl,
            length=c.header.value.length,
            sum=c.header.value.sum,
            header_sum=c.header_sum,
            raw=raw[:UG_HEADER_SIZE],
            trailing=c.trailing,
            base=base,
        )
        object.__setattr__(ug, "_raw_hsum", sum32(c.header.data))
        if strict:
            for err in ug.errors():
                raise err
        return ug

    # ----------------------------------------------------------------------------------- checks
    @property
    def computed_header_sum(self) -> int:
        """The byte sum (modulo 2**32) of header bytes 0x00..0x17 as stored (magic, version, length, sum)."""
        if self._raw_hsum is not None:
            return self._raw_hsum
        return sum32(self.build()[:_SUM_END])

    @property
    def computed_sum(self) -> int:
        """The byte sum (modulo 2**32) of the wrapped RBL file bytes (computed once: ~9 ms/MiB)."""
        got = self._rbl_sum
        if got is None:
            got = sum32(self.rbl)
            object.__setattr__(self, "_rbl_sum", got)
        return got

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
                    offset=self.base + _SUM_END,
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
                    offset=self.base + offset_of(UG_FILE, "sum"),
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
    def build(self, *, fresh: bool = False) -> bytes:
        """The file bytes. By default the stored length and sums are written (identical to the parsed
        input); ``fresh=True`` recomputes them from ``rbl``."""
        head = {"version": self.version if self.raw is not None else str(self.version)}
        if not fresh:
            head["sum"] = self.sum  # type: ignore[assignment]
        obj = {
            "header": {"value": head},
            "header_sum": None if fresh else self.header_sum,
            "rbl": self.rbl,
            "trailing": b"" if fresh else self.trailing,
        }
        return build_with(UG_FILE, FMT, obj, strict=False)  # the stored sums as they are

    @classmethod
    def wrap(cls, rbl: bytes | bytearray | memoryview, version: str) -> UgFile:
        """Wrap an RBL file as Tuya ``package <rbl> <out> <version>`` does."""
        body = bytes(rbl)
        if body[: len(RBL_MAGIC)] != RBL_MAGIC:
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


# --------------------------------------------------------------------------------- format module
FORMAT = FormatInfo(
    id=FMT,
    loader="obkimg.containers:load_ug",
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
    try:
        UgFile._precheck(data, 0)
    except ObkImgError:
        return None
    try:
        ug = UgFile.parse(data, strict=False)
    except ObkImgError:
        return Detection(FMT, 50, "UG magics at 0 and 0x1C, but the wrapped length does not fit")
    inner = ug.rbl[: len(RBL_MAGIC)] == RBL_MAGIC and len(ug.rbl) >= RBL_HEADER_SIZE
    conf = 95 if ug.header_sum_valid and inner else 70
    return Detection(
        FMT,
        conf,
        f"Tuya UG header (version {ug.version}, {ug.length} bytes{', wraps RBL' if inner else ''})",
        length=UG_HEADER_SIZE + ug.length,
    )
