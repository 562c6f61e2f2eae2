"""BK7231 OTA containers as a workflow: RBL files and trailers, Tuya UG wrappers.

The layouts are declared in :mod:`obkimg.formats.bk7231.rbl_header`, :mod:`~obkimg.formats.bk7231.rbl`
and :mod:`~obkimg.formats.bk7231.ug`; this module adds what is not a layout:

- evidence about the app inside (plain ARM vector, code-key class, the chip its build string names,
  through :mod:`obkimg.chipid`);
- the ``obkimg.open()`` models (:class:`RblImage`, :class:`RblPartitionImage`, :class:`UgImage`):
  regions, problems, details and the text of ``obkimg info``;
- the operations behind ``obkimg rbl`` and ``obkimg ug``: :func:`rbl_unpack`, :func:`rbl_pack`,
  :func:`rbl_show`, :func:`ug_unwrap`, :func:`ug_wrap`.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Any, ClassVar

from ._construct import offset_of
from ._record import dataclass
from .codecs import crcframe
from .codecs.compress import DEFAULT_LIMIT
from .errors import ChecksumError, MagicError, ObkImgError, Problem, Severity
from .formats.bk7231 import rbl as _rbl
from .formats.bk7231 import ug as _ug
from .formats.bk7231.rbl import (
    FMT,
    RBL_FRAMED_SIZE,
    RBL_HEADER,
    RBL_HEADER_SIZE,
    RBL_MAGIC,
    RblFile,
    RblPartition,
)
from .formats.bk7231.rbl_header import as_problems
from .formats.bk7231.ug import OTA_PARTITION_SIZE, UG_HEADER_SIZE, UgFile
from .model import Image, Region, RegionState

if TYPE_CHECKING:
    from .source import Source

__all__ = [
    "looks_like_arm_app",
    "key_class",
    "chip_evidence",
    "app_chips",
    "RblImage",
    "RblPartitionImage",
    "UgImage",
    "load_rbl",
    "load_ug",
    "rbl_unpack",
    "rbl_pack",
    "rbl_show",
    "ug_unwrap",
    "ug_wrap",
]


# ------------------------------------------------------------------------------- app evidence
def looks_like_arm_app(app: bytes | bytearray | memoryview) -> bool:
    """A plain (decrypted) BK7231 app starts with ``xx 00 00 ea 14 f0 9f e5``: the ARM vector of
    :func:`~obkimg.formats.bk7231.layout.is_arm_vector` with a short branch (high offset bytes zero)."""
    from .formats.bk7231.layout import is_arm_vector

    head = bytes(app[:8])
    return is_arm_vector(head) and head[1:3] == b"\0\0"


def key_class(image: bytes | bytearray | memoryview) -> str:
    """``zero`` (plain vector), ``tuya``/``uascent`` (a known key) or ``unknown`` from the first 8 bytes of
    an app: :func:`obkimg.formats.bk7231.layout.key_class_of`, the one key classification."""
    from .formats.bk7231.layout import key_class_of

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
    from . import chipid
    from .formats.bk7231.layout import app_identity

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


# -------------------------------------------------------------------------------------- Image models
def _state(ok: bool) -> RegionState:
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
    #: an RBL OTA file (``flash`` is :class:`RblPartitionImage`)
    variant: ClassVar[str] = "ota"

    @classmethod
    def from_file(cls, f: RblFile, *, limit: int = DEFAULT_LIMIT) -> RblImage:
        """The model of a parsed OTA file, with the app unpacked (up to ``limit`` bytes, CRCs not
        enforced). An app that cannot be unpacked becomes a problem instead of an exception: a warning for
        QuickLZ/FastLZ or XOR payloads, which obkimg cannot decode, else an error."""
        try:
            app: bytes | None = f.unpack(limit=limit, check=False)
        except ObkImgError as e:
            sev: Severity = (
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
        from . import chipid

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
        """The FNV-1a check of the unpacked app (computed here, its value remembered for ``hash_valid``)."""
        f = self.file
        if self.app is None or len(self.app) != f.header.size_raw:
            return []
        errs = f.errors(self.app, header=False, payload=False)
        h = next((int(e.actual) for e in errs if isinstance(e, ChecksumError)), f.header.hash)
        object.__setattr__(self, "app_hash", h)
        return as_problems(errs)

    def problems(self) -> list[Problem]:
        f = self.file
        found = as_problems(f.errors()) + list(self.unpack_problems)
        if self.app is not None:
            found += as_problems(f.errors(self.app, header=False, payload=False, hash=False))
        if f.trailing:
            found.append(
                Problem(
                    "warning",
                    f"{len(f.trailing)} bytes after the payload",
                    f.base + f.size - len(f.trailing),
                    FMT,
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
        from .model import Artifact

        if self.app is None:
            return []
        return [Artifact("app.bin", self.app, "app-plain", "payload", "the plain app unpacked from the RBL")]


@dataclass(frozen=True, slots=True)
class RblPartitionImage(Image):
    """``obkimg.open()`` model of a CRC-framed partition with its RBL trailer (variant ``flash``)."""

    partition: RblPartition
    frame_bad: tuple[int, ...] = ()

    kind = FMT
    #: a code partition with its in-flash RBL trailer (``ota`` is :class:`RblImage`)
    variant: ClassVar[str] = "flash"

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
                    p.base
                    + p.trailer_offset
                    + crcframe.logical_to_physical(offset_of(RBL_HEADER, "info_crc32")),
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


@dataclass(frozen=True, slots=True)
class UgImage(Image):
    """``obkimg.open()`` model of a UG file (kind ``bk7231-ug``)."""

    ug: UgFile
    inner: RblImage | None = None
    inner_error: Problem | None = None

    kind = _ug.FMT

    @classmethod
    def from_ug(cls, ug: UgFile) -> UgImage:
        """The model of a parsed UG file. An inner RBL file that does not parse is kept as the
        ``inner_error`` problem instead of raising."""
        try:
            inner = RblImage.from_file(ug.rbl_file(strict=False))
        except ObkImgError as e:
            return cls(ug, None, Problem("error", e.render(), e.offset, _ug.FMT))
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
        found = [Problem("error", e.render(), e.offset, _ug.FMT) for e in self.ug.errors()]
        if self.ug.trailing:
            found.append(
                Problem(
                    "warning",
                    f"{len(self.ug.trailing)} bytes after the RBL file",
                    self.ug.base + UG_HEADER_SIZE + self.ug.length,
                    _ug.FMT,
                )
            )
        if self.size > OTA_PARTITION_SIZE:
            found.append(
                Problem(
                    "warning",
                    f"larger than the BK7231 download partition ({OTA_PARTITION_SIZE:#x} "
                    "bytes): Tuya build.sh refuses such files",
                    None,
                    _ug.FMT,
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
        from .model import Artifact

        out = [Artifact("app.rbl", self.ug.rbl, "rbl", "payload", "the RBL OTA file inside the UG wrapper")]
        if self.inner is not None:
            out += self.inner.artifacts()
        return out


# ------------------------------------------------------------------------------------------ loading
def _load_rbl_bytes(data: bytes) -> Image:
    if data[: len(RBL_MAGIC)] == RBL_MAGIC:
        return RblImage.from_file(RblFile.parse(data, strict=False))
    if len(data) >= RBL_FRAMED_SIZE and data[-RBL_FRAMED_SIZE:][: len(RBL_MAGIC)] == RBL_MAGIC:
        return RblPartitionImage.from_partition(RblPartition.parse(data, strict=False))
    raise MagicError(
        FMT,
        RBL_MAGIC,
        data[: len(RBL_MAGIC)],
        offset=0,
        path="magic",
        hint="neither an RBL OTA file nor a partition ending with an RBL trailer",
    )


def load_rbl(source: Source) -> Image:
    """An :class:`RblImage` (OTA file) or :class:`RblPartitionImage` (partition with trailer); checksums
    are not enforced (mismatches become problems). MagicError when it is neither."""
    return _load_rbl_bytes(source.data)


def load_ug(source: Source) -> Image:
    """Parse ``source`` as a UG file (sums not enforced: mismatches become problems). Raises
    :class:`~obkimg.errors.MagicError` without the magics and :class:`~obkimg.errors.TruncatedError` when
    the header or the wrapped length does not fit."""
    return UgImage.from_ug(UgFile.parse(source.data, strict=False))


# ---------------------------------------------------------------------------------------- workflows
def rbl_unpack(
    data: bytes | bytearray | memoryview,
    *,
    key: str | bytes | None = None,
    iv: str | bytes | None = None,
    limit: int = DEFAULT_LIMIT,
) -> bytes:
    """``obkimg rbl unpack``: the plain app of an RBL OTA file, every checksum verified (ObkImgError on
    any mismatch). ``key``/``iv`` default to the Tuya/OpenBeken ones."""
    return _rbl.unpack(data, limit=limit, key=key or _rbl.DEFAULT_AES_KEY, iv=iv or _rbl.DEFAULT_AES_IV)


def rbl_pack(
    app: bytes | bytearray | memoryview,
    *,
    version: str,
    key: str | bytes | None = None,
    iv: str | bytes | None = None,
    **kw: Any,
) -> bytes:
    """``obkimg rbl pack``: an RBL OTA file around the plain ``app`` (:meth:`RblFile.pack` keywords:
    ``name``, ``compression``, ``encryption``, ``timestamp``, ``style``); ``key``/``iv`` default to the
    Tuya/OpenBeken ones."""
    return _rbl.pack(
        app, version=version, key=key or _rbl.DEFAULT_AES_KEY, iv=iv or _rbl.DEFAULT_AES_IV, **kw
    )


def rbl_show(data: bytes | bytearray | memoryview) -> dict[str, Any]:
    """The JSON-ready description of an RBL OTA file or partition with trailer: its ``obkimg info``
    details (header fields, CRC state, chip evidence), checksums reported, not enforced."""
    return _load_rbl_bytes(bytes(data)).details()


def ug_unwrap(
    data: bytes | bytearray | memoryview, *, app: bool = False, limit: int = DEFAULT_LIMIT
) -> tuple[bytes, bytes | None]:
    """``obkimg ug unpack``: the RBL file inside a UG file and, with ``app``, the plain app too;
    every sum, CRC and hash verified."""
    return _ug.unwrap(data, app=app, limit=limit)


def ug_wrap(rbl: bytes | bytearray | memoryview, version: str) -> bytes:
    """``obkimg ug pack``: a Tuya UG file around ``rbl`` (an RBL OTA file), as Tuya ``package`` writes it."""
    return _ug.wrap(rbl, version)
