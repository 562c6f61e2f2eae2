"""BL602 OTA workflows: pack a firmware into ``.xz.ota`` / ``.ota``, unpack one, check it against a device.

Every input may be a path, bytes or a binary file object (read like :func:`obkimg.open` reads: bounded,
``.gz`` undone); only :class:`~obkimg.errors.ObkImgError` leaves these functions. What each accepts:

- :func:`pack`: a bare OpenBL602 ``.bin`` (a boot header is added, bflb-iot-tool style, or taken from a
  ``template`` header such as the FW header of the device's dump), a ``FW_OTA.bin`` / ``whole_img.bin``,
  a whole FW partition (trailing 0xFF is dropped) or a whole flash dump (its running firmware).
- :func:`unpack`: a ``.ota`` / ``.xz.ota``, a bare ``FW_OTA.bin.xz``.
- :func:`check` and ``against=``: a flash dump, a ``partition.bin`` (one or both copies) or the vendor
  TOML; the FW entry (type 0) gives the slot sizes.
- :func:`templates_from`: the headers of an original OTA (or of its saved 512-byte OTA header, a dump, a
  FW_OTA.bin), so that ``pack(unpack(X).fw_ota, template=..., ota_header=...)`` gives back ``X`` byte for
  byte, vendor data in the OTA header's tail (0x60-0x1FF) included.

Size rules (OpenBL602 ``bl_sys_ota_cli.c``, bl_iot_sdk ``blsp_boot_decompress.c``): the device writes the
payload (XZ stream or raw FW_OTA.bin) into the FW slot that is not running (slot 1 unless the dump shows
slot 1 active), so the payload must fit that slot; boot2 unpacks an XZ payload into the other slot (slot
0), so the unpacked FW_OTA.bin must fit there. These are the vendor tool's "OTA XZ file len = ...,
Partition len = 557056" check and OpenBeken's "Too large bin" / unpacked_len checks. A BK7231 file given
here is refused with a plain "this is a BK7231N QIO image, not BL602 firmware".
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Any

from ._record import dataclass
from .codecs.compress import DEFAULT_LIMIT, XZ_MAGIC
from .errors import BuildError, FormatError, LimitError, MismatchError, Problem
from .formats.bl602.bootheader import MAGIC as BFNP
from .formats.bl602.bootheader import BootHeader, BootImage, fw_ota_bin, looks_like_bl602_code
from .formats.bl602.layout import is_flash_dump
from .formats.bl602.ota import (
    DEFAULT_HW_VERSION,
    DEFAULT_SW_VERSION,
    OTA_HEADER_SIZE,
    OTA_MAGIC,
    OtaHeader,
    OtaImage,
    XzImage,
    build_ota,
    xz_compress,
    xz_info,
)
from .formats.bl602.partitions import Partition
from .partitions import TableSource, read_input, refuse_foreign, table_from
from .source import SourceLike

__all__ = [
    "FirmwareInput",
    "TableSource",
    "OtaCheck",
    "PackResult",
    "Unpacked",
    "firmware_from",
    "table_from",
    "template_from",
    "templates_from",
    "pack",
    "unpack",
    "check",
]

FMT = "bl602-ota"


def _data(src: SourceLike, what: str) -> bytes:
    return read_input(src, what)


def _refuse_foreign(data: bytes, what: str = "BL602 firmware") -> None:
    refuse_foreign(data, what, FMT)


# --------------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True, slots=True)
class FirmwareInput:
    """A firmware turned into FW_OTA.bin, and how it was read."""

    fw_ota: bytes = field(repr=False)
    #: bare | fw_ota | partition | dump
    source: str
    note: str = ""


def firmware_from(data: SourceLike, *, template: BootHeader | None = None) -> FirmwareInput:
    """``FW_OTA.bin`` (boot header + 0xFF to 4 KiB + image) for any accepted firmware input."""
    data = _data(data, "the firmware")
    if not data:
        raise FormatError("empty firmware input", fmt=FMT, offset=0)
    if data[:16] == OTA_MAGIC or data[:6] == XZ_MAGIC:
        raise FormatError(
            "the input is already a BL602 OTA file / XZ stream; unpack it first", fmt=FMT, offset=0
        )
    if is_flash_dump(data):
        from .formats.bl602.flash import FlashDump

        dump = FlashDump.parse(data)
        fw = dump.running_firmware()
        return FirmwareInput(fw, "dump", f"running firmware of the dump (FW slot {dump.fw_active_slot})")
    if data[:4] == BFNP:
        img = BootImage.parse(data)
        if img.role != "firmware":
            raise MismatchError(
                f"this BL602 image is a {img.role}, not a firmware for the FW partition", fmt=FMT, offset=0
            )
        if img.truncated:
            raise FormatError(
                f"the image is truncated: header says {img.header.img_len} bytes at {img.code_offset:#x}",
                fmt=FMT,
                offset=len(data),
            )
        fw = img.fw_ota_bin()
        src = "fw_ota" if len(fw) == len(data) else "partition"
        note = "" if src == "fw_ota" else f"dropped {len(data) - len(fw)} trailing bytes ({img.trailer()})"
        return FirmwareInput(fw, src, note)
    note = ""
    if looks_like_bl602_code(data) is None:
        _refuse_foreign(data)
        note = "not recognised as BL602 code (no RISC-V entry / SDK strings); packed as a bare image anyway"
    return FirmwareInput(fw_ota_bin(data, template=template), "bare", note)


def template_from(data: SourceLike) -> BootHeader:
    """A boot header to copy flash/clock config and boot_cfg from: the running FW header of a dump, the
    header at the start of a FW_OTA.bin / whole_img / bootinfo.bin, or that of the FW_OTA.bin inside an
    OTA file."""
    data = _data(data, "the header template")
    if data[:16] == OTA_MAGIC or data[:6] == XZ_MAGIC:
        if data[:16] == OTA_MAGIC and len(data) == OTA_HEADER_SIZE:
            raise FormatError(
                "a 512-byte OTA header holds no boot header", fmt=FMT, offset=OTA_HEADER_SIZE, path="payload"
            )
        return unpack(data).boot.header
    if is_flash_dump(data):
        fw = firmware_from(data).fw_ota
        return BootHeader.parse(fw)
    if data[:4] == BFNP:
        return BootHeader.parse(data)
    _refuse_foreign(data, "a BL602 boot header")
    raise FormatError("no BL602 boot header (BFNP) to use as a template", fmt=FMT, offset=0)


def templates_from(data: SourceLike) -> tuple[BootHeader | None, OtaHeader | None]:
    """The headers a re-pack copies from ``data``: ``(boot header, OTA header)``.

    An OTA file gives both (the OTA header with its versions and tail, the boot header of the FW_OTA.bin
    inside), a 512-byte OTA header (as ``ota unpack --header-out`` saves it) the OTA header alone, a dump
    or FW_OTA.bin the boot header alone.
    """
    data = _data(data, "the header template")
    if data[:16] == OTA_MAGIC:
        hdr = OtaHeader.parse(data)
        if len(data) == OTA_HEADER_SIZE:
            return None, hdr
        return template_from(data), hdr
    return template_from(data), None


# --------------------------------------------------------------------------------------------------
# check


@dataclass(frozen=True, slots=True)
class OtaCheck:
    """Whether an OTA fits a device's FW partition, with every size involved."""

    ok: bool
    compression: str
    stream_size: int
    unpacked_size: int | None
    target_slot: int
    target_size: int
    run_slot: int
    run_size: int
    layout: str
    table_source: str
    sw_version: str | None = None
    hw_version: str | None = None
    problems: tuple[Problem, ...] = ()
    fw_partition: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON (``schemas/ota-check.v1``)."""
        return {
            "schema": "obkimg.ota-check/1",
            "ok": self.ok,
            "compression": self.compression,
            "stream_size": self.stream_size,
            "unpacked_size": self.unpacked_size,
            "target_slot": self.target_slot,
            "target_size": self.target_size,
            "run_slot": self.run_slot,
            "run_size": self.run_size,
            "layout": self.layout,
            "table_source": self.table_source,
            "sw_version": self.sw_version,
            "hw_version": self.hw_version,
            "fw_partition": self.fw_partition,
            "problems": [p.to_dict() for p in self.problems],
        }

    def lines(self) -> list[str]:
        """The check as text lines: layout, sizes of each slot and the verdict."""
        what = "XZ stream" if self.compression == "xz" else "raw FW_OTA.bin"
        out = [
            f"partition layout: {self.layout} ({self.table_source})",
            f"{what}: {self.stream_size} bytes; FW slot {self.target_slot} (where the device writes it): "
            f"{self.target_size} bytes",
            f"unpacked FW_OTA.bin: {self.unpacked_size if self.unpacked_size is not None else '?'} bytes; "
            f"FW slot {self.run_slot} (where it runs): {self.run_size} bytes",
        ]
        out += [str(p) for p in self.problems]
        out.append("OK: the OTA fits this device" if self.ok else "FAIL: the OTA does not fit this device")
        return out


def _fw_problems(
    compression: str, stream: int, unpacked: int | None, fw: Partition, slots: _Slots
) -> list[Problem]:
    """The size rules of one FW partition: a second slot at all, the payload in the slot it is written
    to, the unpacked FW_OTA.bin in the slot it runs from."""
    what = "XZ stream" if compression == "xz" else "raw FW_OTA.bin"
    target_size, run_size = fw.size[slots.target], fw.size[slots.run]
    out = []
    if not fw.size[1]:
        msg = "the FW partition has no second slot (size1 = 0): this layout cannot take OTA updates"
        out.append(Problem("error", msg, None, FMT))
    elif stream > target_size:
        msg = (
            f"{what} is {stream} bytes, larger than FW slot {slots.target} ({target_size} "
            f"bytes, {stream - target_size} too many)"
        )
        out.append(Problem("error", msg, None, FMT))
    if unpacked is not None and unpacked > run_size:
        msg = (
            f"unpacked FW_OTA.bin is {unpacked} bytes, larger than FW slot {slots.run} "
            f"({run_size} bytes, {unpacked - run_size} too many)"
        )
        out.append(Problem("error", msg, None, FMT))
    return out


def _unpacked_len_problem(unpacked_len: int | None, unpacked: int | None, running_size: int) -> list[Problem]:
    """OpenBeken refuses an upload whose unpacked_len is larger than the running slot."""
    if unpacked_len is None or unpacked_len <= running_size or unpacked_len == unpacked:
        return []
    msg = (
        f"OpenBeken unpacked_len {unpacked_len} is larger than the running slot "
        f"({running_size} bytes): OpenBeken refuses the upload"
    )
    return [Problem("error", msg, 96, FMT)]


@dataclass(frozen=True, slots=True)
class _Slots:
    """The FW slots an OTA touches: the running one, the one the payload is written to, the one it runs
    from after the update."""

    running: int
    target: int
    run: int


def _slots(compression: str, ts: TableSource) -> _Slots:
    running = ts.active_slot if ts.active_slot is not None else ts.table.firmware.active_slot
    # the device writes the payload into the slot that is not running; boot2 unpacks an XZ payload back
    # into the running slot's address, a RAW payload runs where it was written
    target = 1 - running
    return _Slots(running, target, running if compression == "xz" else target)


def _sizes_check(
    compression: str,
    stream: int,
    unpacked: int | None,
    ts: TableSource,
    extra: list[Problem],
    *,
    unpacked_len: int | None = None,
) -> OtaCheck:
    fw = ts.table.firmware
    slots = _slots(compression, ts)
    probs = list(extra) + _fw_problems(compression, stream, unpacked, fw, slots)
    probs += _unpacked_len_problem(unpacked_len, unpacked, fw.size[slots.running])
    return OtaCheck(
        not any(p.severity == "error" for p in probs),
        compression,
        stream,
        unpacked,
        slots.target,
        fw.size[slots.target],
        slots.run,
        fw.size[slots.run],
        ts.layout,
        ts.description,
        problems=tuple(probs),
        fw_partition={
            "name": fw.name,
            "address": list(fw.address),
            "size": list(fw.size),
            "active_index": fw.active_index,
        },
    )


def check(ota: SourceLike, against: SourceLike | TableSource) -> OtaCheck:
    """Check an ``.xz.ota`` / ``.ota`` (or bare ``.xz``) against a dump / table / TOML.

    Truncated or corrupt OTA files raise (TruncatedError names the offset where the stream ends);
    a file that is fine but does not fit gives ``ok = False`` with the sizes.
    """
    ota = _data(ota, "the OTA file")
    ts = table_from(against)
    fw = ts.table.firmware
    limit = max(fw.size) or DEFAULT_LIMIT
    extra: list[Problem] = []
    if ota[:16] == OTA_MAGIC:
        hdr = OtaHeader.parse(ota)
        payload = ota[OTA_HEADER_SIZE:]
        if hdr.compression == "xz" and len(payload) >= hdr.length:
            info = xz_info(payload[: hdr.length], fmt=FMT, base=OTA_HEADER_SIZE)
            if info.uncompressed_size > limit:
                return _with_versions(_sizes_check("xz", hdr.length, info.uncompressed_size, ts, extra), hdr)
        img = OtaImage.parse(ota, strict=True, limit=limit)
        extra += [p for p in img.problems() if p.severity != "info"]
        unpacked = len(img.firmware) if img.firmware is not None else None
        res = _sizes_check(
            img.header.compression,
            img.header.length,
            unpacked,
            ts,
            extra,
            unpacked_len=img.header.unpacked_len,
        )
        return _with_versions(res, img.header)
    if ota[:6] == XZ_MAGIC:
        info = xz_info(ota, fmt=FMT)
        if info.uncompressed_size > limit:
            return _sizes_check("xz", len(ota), info.uncompressed_size, ts, extra)
        x = XzImage.parse(ota, strict=True, limit=limit)
        extra += [p for p in x.problems() if p.severity != "info"]
        return _sizes_check(
            "xz",
            len(x.data) - (32 if x.hash_trailer else 0),
            len(x.firmware) if x.firmware is not None else None,
            ts,
            extra,
        )
    _refuse_foreign(ota, "a BL602 OTA file")
    raise FormatError("not a BL602 OTA file (BL60X_OTA_Ver1.0) or XZ stream", fmt=FMT, offset=0)


def _with_versions(res: OtaCheck, hdr: OtaHeader) -> OtaCheck:
    return replace(res, sw_version=hdr.sw_version, hw_version=hdr.hw_version)


# --------------------------------------------------------------------------------------------------
# pack / unpack


@dataclass(frozen=True, slots=True)
class PackResult:
    """A packed OTA file and what went into it."""

    ota: bytes = field(repr=False)
    fw_ota: bytes = field(repr=False)
    payload: bytes = field(repr=False)
    compression: str
    input: FirmwareInput
    check: OtaCheck | None = None


def pack(
    firmware: SourceLike,
    *,
    raw: bool | None = None,
    hw_version: str | None = None,
    sw_version: str | None = None,
    unpacked_len: bool | None = None,
    against: SourceLike | TableSource | None = None,
    template: BootHeader | None = None,
    ota_header: OtaHeader | None = None,
) -> PackResult:
    """Pack ``firmware`` into an OTA file, byte-identical to bflb-iot-tool for the same input.

    ``raw`` makes a ``.ota`` (payload = FW_OTA.bin) instead of ``.xz.ota``. ``unpacked_len`` writes
    OpenBeken's u32 length of FW_OTA.bin at offset 96. With ``against`` (dump / table / TOML) the size
    check runs on the real payload and one that does not fit raises LimitError with the sizes.
    ``ota_header`` (from :func:`templates_from`) is the original file's OTA header: its payload type,
    versions, pad and tail (vendor data at 0x60-0x1FF) are kept, an unpacked_len in it is updated; the
    other arguments, when given, override it.
    """
    ts = table_from(against) if against is not None else None
    fin = firmware_from(firmware, template=template)
    fw = fin.fw_ota
    base = ota_header
    if raw is None:
        raw = base is not None and base.compression == "raw"
    if unpacked_len is None:
        unpacked_len = base is not None and base.unpacked_len is not None
    for name, value in (("hw_version", hw_version), ("sw_version", sw_version)):
        if value is not None and not isinstance(value, str):
            raise BuildError(f"{name} must be text, not {type(value).__name__}", fmt=FMT, path=name)
    payload = fw if raw else xz_compress(fw)
    hdr = OtaHeader.for_payload(
        payload,
        compression="raw" if raw else "xz",
        hw_version=hw_version or (base.hw_version if base else DEFAULT_HW_VERSION),
        sw_version=sw_version or (base.sw_version if base else DEFAULT_SW_VERSION),
        unpacked_len=len(fw) if unpacked_len else None,
    )
    if base is not None:
        hdr = _like(hdr, base, len(fw) if unpacked_len else None, hw_version, sw_version)
    res: OtaCheck | None = None
    if ts is not None:
        res = _with_versions(_sizes_check(hdr.compression, len(payload), len(fw), ts, []), hdr)
        if not res.ok:
            raise LimitError(_limit_message(res), fmt=FMT)
    return PackResult(build_ota(hdr, payload), fw, payload, hdr.compression, fin, res)


def _like(new: OtaHeader, base: OtaHeader, unpacked: int | None, hw: str | None, sw: str | None) -> OtaHeader:
    """``new`` with what ``base`` carries beyond the payload: pad, raw version fields, the tail."""
    tail = base.tail
    if base.unpacked_len is not None or unpacked is not None:
        tail = new.tail[:4] if unpacked is not None else b"\xff" * 4
        tail += base.tail[4:]
    raw_versions = base.raw_versions if hw is None and sw is None else None
    return replace(new, pad=base.pad, tail=tail, raw_versions=raw_versions)


def _limit_message(res: OtaCheck) -> str:
    errs = "; ".join(p.message for p in res.problems if p.severity == "error")
    return f"{errs} (layout {res.layout}, {res.table_source})"


@dataclass(frozen=True, slots=True)
class Unpacked:
    """The FW_OTA.bin inside an OTA file, and its parts."""

    fw_ota: bytes = field(repr=False)
    boot: BootImage = field(repr=False)
    header: OtaHeader | None
    compression: str

    @property
    def image(self) -> bytes:
        """The bare image (img_len bytes after the 4 KiB header area; includes the tool's padding)."""
        return self.boot.image


def unpack(data: SourceLike, *, limit: int | None = DEFAULT_LIMIT) -> Unpacked:
    """Unpack an ``.xz.ota`` / ``.ota`` / bare ``FW_OTA.bin.xz`` to FW_OTA.bin (decompression bounded by
    ``limit``, by default (or None) 16 MB; it must be positive). Truncated or corrupt input raises.
    ``header`` keeps the OTA header whole (versions, vendor data in its tail) for :func:`pack` to
    reproduce the file."""
    if limit is None:
        limit = DEFAULT_LIMIT
    if limit <= 0:
        raise LimitError(
            f"an unpacked-size limit of {limit} bytes allows nothing; give a positive limit",
            fmt=FMT,
            path="limit",
        )
    data = _data(data, "the OTA file")
    if data[:16] == OTA_MAGIC:
        img = OtaImage.parse(data, strict=True, limit=limit)
        assert img.firmware is not None and img.inner is not None
        return Unpacked(img.firmware, img.inner, img.header, img.header.compression)
    if data[:6] == XZ_MAGIC:
        x = XzImage.parse(data, strict=True, limit=limit)
        if x.firmware is None or x.inner is None:
            raise FormatError("the XZ stream does not hold a BL602 FW_OTA.bin", fmt=FMT, offset=0)
        return Unpacked(x.firmware, x.inner, None, "xz")
    if data[:4] == BFNP:
        boot = BootImage.parse(data, role="firmware")
        return Unpacked(boot.fw_ota_bin(), boot, None, "none")
    _refuse_foreign(data, "a BL602 OTA file")
    raise FormatError("not a BL602 OTA file (BL60X_OTA_Ver1.0), XZ stream or FW_OTA.bin", fmt=FMT, offset=0)
