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

:data:`OTA_HEADER` (512 bytes), as ``bl60x_mfg_ota_header`` writes it::

    0x00 16 version_header "BL60X_OTA_Ver1.0"   0x20 16 version_hardware (NUL padded)
    0x10  4 "XZ  " or "RAW "                     0x30 16 version_software (NUL padded)
    0x14  4 payload length                       0x40 32 SHA-256 of the payload
    0x18  8 01 02 03 04 05 06 07 08              0x60 416 0xFF, except: u32 unpacked_len (OpenBeken)
                                                 or SHA-256 of the signing public key (bflb-iot-tool
                                                 --pk); vendor builds may put their own data after
                                                 them (kept byte for byte, reported as vendor_data)

:data:`OTA_IMAGE` is the header followed by the payload: ``length`` and ``sha256`` come before their
data, so they are ``Rebuild`` on build and checked after the payload by a ``StrictCheck``. A header
built on its own (no payload) keeps the stored length and hash. The XZ compression itself stays in the
model layer (:mod:`obkimg.codecs.xzinfo`): the length and the hash cover the compressed bytes.

XZ parameters that reproduce the vendor files byte for byte: ``check=CRC32``, one LZMA2 filter with
``dict_size=32768``, everything else preset 6 (liblzma 5.4; other encoder versions may differ).

Limitations: the public-key hash is reported, never verified against a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import field, replace
from typing import Any

from construct import Bytes, Const, Default, Enum, Int32ul, Rebuild, Struct, this

from ..._construct import CString0, StrictCheck, build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs.compress import DEFAULT_LIMIT, XZ_MAGIC, xz_decompress, xz_head
from ...codecs.xzinfo import XZ_FILTERS, XzInfo, xz_compress, xz_info
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
from ...model import BytesImage, Image, Region, RegionState
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
    "OTA_IMAGE",
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
OTA_PAD = bytes(range(1, 9))
DEFAULT_HW_VERSION = "BFL_Module_v1.1"
DEFAULT_SW_VERSION = "EVENT_V1.1.1"


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _payload(ctx: Any) -> bytes | None:
    """The payload beside the header being built (``OTA_IMAGE``), None for a header on its own."""
    outer = getattr(ctx, "_", None)
    payload = outer.get("payload") if outer is not None else None
    return bytes(payload) if payload is not None else None


def _rebuild_length(ctx: Any) -> int:
    p = _payload(ctx)
    return len(p) if p is not None else int(ctx.length)


def _rebuild_sha256(ctx: Any) -> bytes:
    p = _payload(ctx)
    return _sha256(p) if p is not None else bytes(ctx.sha256)


#: ``version_hardware`` / ``version_software``: char[16], NUL padded (bytes after the NUL kept)
OTA_VERSION = CString0(16, "latin-1")
#: the payload type: "XZ  " (an XZ stream of FW_OTA.bin) or "RAW " (FW_OTA.bin itself)
OTA_TYPE: Any = Enum(Bytes(4), xz=b"XZ  ", raw=b"RAW ")  # type: ignore[arg-type]  # stubs: int values only

OTA_HEADER = Struct(  # bl60x_mfg_ota_header
    "magic" / Const(OTA_MAGIC) * "version_header",
    "type" / OTA_TYPE * "'XZ  ' or 'RAW '",
    "length" / Rebuild(Int32ul, _rebuild_length) * "payload length",
    "pad" / Default(Bytes(8), OTA_PAD) * "fixed 01..08",
    "hw_version" / OTA_VERSION * "version_hardware",
    "sw_version" / OTA_VERSION * "version_software",
    "sha256" / Rebuild(Bytes(32), _rebuild_sha256) * "SHA-256 of the payload",
    "tail" / Default(Bytes(416), b"\xff" * 416) * "0xFF, OpenBeken unpacked_len u32, or public-key hash",
)

OTA_IMAGE = Struct(
    "header" / OTA_HEADER,
    "payload" / Bytes(this.header.length),
    StrictCheck(lambda ctx: _sha256(ctx.payload) == ctx.header.sha256),
)

OTA_HEADER_SIZE = OTA_HEADER.sizeof()
assert OTA_HEADER_SIZE == 512


TYPE_OFFSET = offset_of(OTA_HEADER, "type")
LENGTH_OFFSET = offset_of(OTA_HEADER, "length")
PAD_OFFSET = offset_of(OTA_HEADER, "pad")
SHA256_OFFSET = offset_of(OTA_HEADER, "sha256")
TAIL_OFFSET = offset_of(OTA_HEADER, "tail")


def _version_bytes(text: str, what: str) -> bytes:
    """The 16 bytes a version text is written as: ASCII (others become ``?``), at most 15 characters."""
    raw = text.encode("ascii", "replace")
    if len(raw) >= OTA_VERSION.sizeof():
        raise BuildError(f"{what} {text!r} is longer than 15 characters", fmt=FMT, path=what)
    return raw.ljust(OTA_VERSION.sizeof(), b"\0")


def _canonical(text: str) -> bytes | None:
    """What :func:`_version_bytes` writes for ``text``, None where it refuses it."""
    try:
        return _version_bytes(text, "version")
    except BuildError:
        return None


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
        data = bytes(data)
        if not data or data[: len(OTA_MAGIC)] != OTA_MAGIC[: len(data)]:
            raise MagicError(FMT, OTA_MAGIC, data[: len(OTA_MAGIC)], offset=base)
        if len(data) < OTA_HEADER_SIZE:
            raise TruncatedError(FMT, OTA_HEADER_SIZE, len(data), offset=base + len(data), path="header")
        kind = data[TYPE_OFFSET : TYPE_OFFSET + OTA_TYPE.sizeof()]
        if kind not in OTA_TYPE.decmapping:
            raise FormatError(
                f"unknown payload type {kind!r} (expected 'XZ  ' or 'RAW ')",
                fmt=FMT,
                offset=base + TYPE_OFFSET,
                path="type",
            )
        c = parse_with(OTA_HEADER, FMT, data[:OTA_HEADER_SIZE], base=base)
        hw, sw = c.hw_version, c.sw_version
        # keep the raw fields whenever build() would not write them back as they are (16 characters
        # without NUL, non-ASCII text, bytes after the NUL)
        raw = None
        if (hw.raw, sw.raw) != (_canonical(hw), _canonical(sw)):
            raw = (hw.raw, sw.raw)
        return cls(str(c.type), c.length, c.sha256, str(hw), str(sw), c.tail, c.pad, raw)

    def fields(self) -> dict[str, Any]:
        """The values :data:`OTA_HEADER` builds for this header (versions as their 16 stored bytes).

        Raises :class:`~obkimg.errors.BuildError` for a version longer than 15 characters."""
        hw, sw = self.raw_versions or (
            _version_bytes(self.hw_version, "hw_version"),
            _version_bytes(self.sw_version, "sw_version"),
        )
        return {
            "type": self.compression,
            "length": self.length,
            "pad": self.pad,
            "hw_version": OTA_VERSION.parse(hw),
            "sw_version": OTA_VERSION.parse(sw),
            "sha256": self.sha256,
            "tail": self.tail,
        }

    def build(self) -> bytes:
        """The 512 header bytes; versions are written ASCII, NUL padded (``raw_versions`` when kept).

        Raises :class:`~obkimg.errors.BuildError` when ``compression`` is not ``xz`` or ``raw``, ``tail``,
        ``pad`` or ``sha256`` has the wrong size (416, 8, 32), a version is longer than 15 characters or
        ``length`` is out of range for a u32.
        """
        if self.compression not in OTA_TYPE.encmapping:
            raise BuildError(f"compression must be xz or raw, not {self.compression!r}", fmt=FMT, path="type")
        if len(self.tail) != 416 or len(self.pad) != 8 or len(self.sha256) != 32:
            raise BuildError("tail must be 416 bytes, pad 8, sha256 32", fmt=FMT)
        return build_with(OTA_HEADER, FMT, self.fields())

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
            tail = build_with(Int32ul, FMT, unpacked_len) + tail[4:]
        if pubkey_hash is not None:
            tail = bytes(pubkey_hash) + tail[32:]
        _version_bytes(hw_version, "hw_version")
        _version_bytes(sw_version, "sw_version")
        return cls(compression, len(payload), _sha256(payload), hw_version, sw_version, tail)

    @property
    def unpacked_len(self) -> int | None:
        """OpenBeken's u32 at 96 (len of FW_OTA.bin), when present (not the start of a public-key hash)."""
        if self.tail[:4] != b"\xff" * 4 and not self.tail[4:32].strip(b"\xff"):
            return int(Int32ul.parse(self.tail[:4]))
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
        return TAIL_OFFSET + start + first, len(stripped)

    @property
    def pubkey_hash(self) -> bytes | None:
        """bflb-iot-tool --pk: SHA-256 of the public key at 96..127, when present."""
        if self.unpacked_len is None and self.tail[4:32].strip(b"\xff"):
            return self.tail[:32]
        return None

    def _tail_state(self) -> str:
        if not self.tail.strip(b"\xff"):
            return "erased"
        if self.vendor_data is None:
            if self.unpacked_len is not None:
                return "unpacked_len"
            if self.pubkey_hash is not None:
                return "pubkey_hash"
        return "data"

    def to_dict(self) -> dict[str, Any]:
        """The header as JSON: fields (hashes as hex), ``tail`` (``erased``, ``unpacked_len``,
        ``pubkey_hash`` or ``data``), ``vendor_data`` as ``{offset, size}`` and ``pad_ok``."""
        vd = self.vendor_data
        return {
            "compression": self.compression,
            "length": self.length,
            "hw_version": self.hw_version,
            "sw_version": self.sw_version,
            "sha256": self.sha256.hex(),
            "unpacked_len": self.unpacked_len,
            "pubkey_hash": self.pubkey_hash.hex() if self.pubkey_hash else None,
            "tail": self._tail_state(),
            "vendor_data": None if vd is None else {"offset": vd[0], "size": vd[1]},
            "pad_ok": self.pad == OTA_PAD,
        }


def _msg(e: ObkImgError) -> str:
    """An error as a Problem message (the offset is carried by the Problem)."""
    return e.message + (f" in field {e.path}" if e.path else "") + (f" ({e.hint})" if e.hint else "")


def build_ota(header: OtaHeader, payload: bytes) -> bytes:
    """:data:`OTA_IMAGE` of ``header`` and ``payload``: the header's length and SHA-256 are rebuilt from
    the payload (its other fields, versions, pad and tail, are written as they are)."""
    return build_with(OTA_IMAGE, FMT, {"header": header.fields(), "payload": payload})


# --------------------------------------------------------------------------------------------------
# models


def _frame_problems(hdr: OtaHeader, data: bytes, payload: bytes, strict: bool) -> list[Problem]:
    """The pad, and whether the file holds exactly the payload the header announces (a truncated payload
    raises when ``strict``)."""
    probs: list[Problem] = []
    end = OTA_HEADER_SIZE + hdr.length
    if hdr.pad != OTA_PAD:
        msg = f"bytes 24..31 are {hdr.pad.hex()}, not 0102030405060708"
        probs.append(Problem("warning", msg, PAD_OFFSET, FMT))
    if len(payload) < hdr.length:
        where = "the XZ stream ends" if hdr.compression == "xz" else "the payload ends"
        if strict:
            raise TruncatedError(
                FMT,
                end,
                len(data),
                offset=len(data),
                path="payload",
                hint=f"header says {hdr.length} payload bytes, file has {len(payload)}; "
                f"{where} at offset {len(data):#x}",
            )
        msg = (
            f"payload truncated: header says {hdr.length} bytes after the 512-byte header, the file has "
            f"{len(payload)}; {where} at offset {len(data):#x}"
        )
        probs.append(Problem("error", msg, len(data), FMT))
    elif len(data) > end:
        probs.append(Problem("warning", f"{len(data) - end} bytes after the payload", end, FMT))
    return probs


def _check_sha(hdr: OtaHeader, payload: bytes, strict: bool, probs: list[Problem]) -> None:
    """The header's SHA-256 against the payload: a mismatch raises when ``strict``, else a problem."""
    computed = _sha256(payload)
    if computed == hdr.sha256:
        return
    if strict:
        raise ChecksumError(FMT, "payload SHA-256", hdr.sha256, computed, offset=SHA256_OFFSET, path="sha256")
    probs.append(Problem("error", "payload SHA-256 does not match the header", SHA256_OFFSET, FMT))


def _unxz(
    stream: bytes,
    fmt: str,
    base: int,
    limit: int,
    strict: bool,
    probs: list[Problem],
    why: Callable[[XzInfo], str],
) -> tuple[XzInfo | None, bytes | None]:
    """The stream's facts and its content (at most ``limit`` bytes); errors raise when ``strict``, else
    become problems. A stream boot2 cannot decode is a problem (``why`` says it)."""
    try:
        xz = xz_info(stream, fmt=fmt, base=base)
    except ObkImgError as e:
        if strict:
            raise
        probs.append(Problem("error", _msg(e), e.offset, fmt))
        return None, None
    if not xz.boot2_compatible:
        probs.append(Problem("error", why(xz), base, fmt))
    try:
        return xz, xz_decompress(stream, limit=limit, fmt=fmt, base=base)
    except ObkImgError as e:
        if strict:
            raise
        probs.append(Problem("error", _msg(e), e.offset, fmt))
        return xz, None


def _ota_xz_why(xz: XzInfo) -> str:
    return (
        f"boot2 cannot decompress this XZ stream (filters {'+'.join(xz.filters)}, dictionary "
        f"{xz.dict_size}, check {xz.check}; needs LZMA2 only, <= 32 KiB, CRC32)"
    )


def _bare_xz_why(xz: XzInfo) -> str:
    return "boot2 cannot decompress this XZ stream (needs LZMA2 only, dictionary <= 32 KiB, CRC32)"


def _inner(fw: bytes, base_fmt: str) -> tuple[BootImage | None, list[Problem]]:
    """The boot image at the start of an unpacked FW_OTA.bin, and its problems (as FW_OTA.bin's)."""
    if fw[: len(BFNP)] != BFNP:
        msg = f"unpacked payload does not start with a BFNP boot header ({fw[:4].hex()})"
        return None, [Problem("error", msg, None, base_fmt)]
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


def _firmware(hdr: OtaHeader, fw: bytes, strict: bool, probs: list[Problem]) -> BootImage | None:
    """The boot image inside FW_OTA.bin, checked against OpenBeken's unpacked_len."""
    inner, p = _inner(fw, FMT)
    probs += p
    if hdr.unpacked_len is not None and hdr.unpacked_len != len(fw):
        msg = f"unpacked_len {hdr.unpacked_len} at 96 differs from the unpacked size {len(fw)}"
        probs.append(Problem("error", msg, TAIL_OFFSET, FMT))
    if strict and inner is None:
        raise FormatError(p[0].message, fmt=FMT, offset=OTA_HEADER_SIZE, path="payload")
    return inner


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
        probs = _frame_problems(hdr, data, payload, strict)
        xz = fw = inner = None
        if len(payload) == hdr.length:
            _check_sha(hdr, payload, strict, probs)
            if hdr.compression == "raw":
                fw = payload
            elif payload:
                xz, fw = _unxz(payload, FMT, OTA_HEADER_SIZE, limit, strict, probs, _ota_xz_why)
        if fw is not None:
            inner = _firmware(hdr, fw, strict, probs)
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
        hstate: RegionState = "valid"
        pstate: RegionState = "valid"
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
        xz, fw = _unxz(stream, FMT_XZ, base, limit, strict, probs, _bare_xz_why)
        inner = None
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
    if data[: len(OTA_MAGIC)] == OTA_MAGIC:
        kind = bytes(data[TYPE_OFFSET : TYPE_OFFSET + OTA_TYPE.sizeof()])
        typ = str(OTA_TYPE.decmapping.get(kind, "?"))
        n = (
            int(Int32ul.parse(data[LENGTH_OFFSET : LENGTH_OFFSET + 4]))
            if len(data) >= LENGTH_OFFSET + 4
            else 0
        )
        have = max(len(data) - OTA_HEADER_SIZE, 0)
        note = "" if have >= n else f", payload truncated ({have} of {n} bytes)"
        return Detection(
            FMT, 95, f"BL60X_OTA_Ver1.0 header, {typ.upper()} payload{note}", CHIP, 0, OTA_HEADER_SIZE + n
        )
    if data[: len(XZ_MAGIC)] == XZ_MAGIC:
        try:
            head = xz_head(data[:4096], len(BFNP), fmt=FMT_XZ)
        except ObkImgError:
            return None
        if head == BFNP:
            why = "XZ stream whose content starts with a BFNP boot header (FW_OTA.bin.xz)"
            return Detection(FMT_XZ, 75, why, CHIP, 0, len(data))
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
