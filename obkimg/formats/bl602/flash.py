"""A whole BL602 flash (1/2/4 MB dump, ``whole_flash_data.bin``): dissect it, or build one.

A BL602 flash holds boot2 at 0 (boot header, code at 0x2000), the partition table twice (0xE000,
0xF000) and then the partitions the active table lists: FW with two slots (boot2 runs
``address[activeIndex]``; an XZ OTA waits in the active slot until boot2 unpacks it into the other
one), mfg, media, PSM (EasyFlash key-value store where OpenBeken keeps its config), KEY, DATA and
factory (the DTB with MAC and RF parameters). ``bflb-iot-tool --build`` writes
``whole_flash_data.bin`` = boot2 + tables + FW + DTB, only as long as its last part (not padded).

Sources: PyPI bflb-iot-tool 1.10 ``core/bflb_iot_tool.py`` (``bl_write_flash_img``, the whole
image); pine64/bl_iot_sdk ``customer_app/bl602_boot2/bl602_boot2/blsp_boot_decompress.c``,
``blsp_media_boot.c``; openshwprojects/OpenBL602 ``hal_boot2.c``.

Map of a 2 MB OpenBL602 device (the table decides; these are the usual values)::

    0x000000  boot2 (header, code at 0x2000)       0x192000  media  (0x57000)
    0x00E000  partition table copy 0               0x1E9000  PSM    (0x8000, EasyFlash)
    0x00F000  partition table copy 1               0x1F1000  KEY    (0x2000)
    0x010000  FW slot 0 (0xC8000)                  0x1F3000  DATA   (0x5000)
    0x0D8000  FW slot 1 (0x88000)                  0x1F8000  factory DTB (0x7000)
    0x160000  mfg (0x32000)

Limitations: the EasyFlash store (PSM) and the KEY/DATA stores are only located here (their content
is decoded by the OpenBeken/Tuya config modules); BL702/BL616 layouts are not handled.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ..._record import dataclass
from ...codecs.compress import DEFAULT_LIMIT, XZ_MAGIC, xz_stream_size
from ...errors import BuildError, NotFoundError, ObkImgError, Problem, unique_problems
from ...model import Artifact, BytesImage, Image, Region, RegionState
from ...source import Source
from .. import Detection, FormatInfo
from .bootheader import MAGIC as BFNP
from .bootheader import BootImage, boot2_image, fw_ota_bin
from .dtb import FDT_MAGIC, DtbImage
from .layout import BOOT2_AREA, FLASH_SIZES, is_flash_dump, table_in_use
from .ota import XzImage
from .partitions import (
    PT_MAGIC,
    TABLE_ADDRESSES,
    Partition,
    PartitionTable,
    TableCopy,
    read_copies,
    select_active,
)
from .pt_toml import table_from_toml, table_to_toml

__all__ = [
    "FORMAT",
    "FMT",
    "FlashDump",
    "SlotContent",
    "build_flash",
    "is_flash_dump",
    "table_in_use",
    "detect",
    "load",
]

FMT = "bl602-dump"
CHIP = "BL602"


def _all_ff(data: bytes) -> bool:
    return not data.strip(b"\xff")


@dataclass(frozen=True, slots=True)
class SlotContent:
    """What one partition slot holds."""

    partition: str
    slot: int
    address: int
    size: int
    #: firmware | xz-ota | dtb | easyflash | data | erased | missing
    content: str
    state: RegionState
    active: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    kind: str = "data"

    @property
    def name(self) -> str:
        """``"<partition> slot <n>"`` for FW slots and any slot 1, else the partition name."""
        return f"{self.partition} slot {self.slot}" if self.partition == "FW" or self.slot else self.partition

    def to_dict(self) -> dict[str, Any]:
        """JSON form: partition, slot, address and size (bytes), content, state, active, then the
        ``detail`` entries."""
        return {
            "partition": self.partition,
            "slot": self.slot,
            "address": self.address,
            "size": self.size,
            "content": self.content,
            "state": self.state,
            "active": self.active,
            **self.detail,
        }


def _xz_stream_end(data: bytes, limit: int) -> int | None:
    try:
        return xz_stream_size(data, limit=limit, fmt=FMT)
    except ObkImgError:
        return None


def _slot_error(
    args: tuple[str, int, int, int],
    content: str,
    active: bool,
    note: dict[str, Any],
    err: ObkImgError,
    kind: str,
) -> SlotContent:
    problem = Problem("error", err.message, err.offset, FMT)
    return SlotContent(*args, content, "invalid", active, note, (problem,), kind=kind)


def _firmware_slot(
    chunk: bytes, args: tuple[str, int, int, int], active: bool, note: dict[str, Any]
) -> SlotContent:
    """A FW slot holding a boot header + image."""
    addr = args[2]
    try:
        img = BootImage.parse(chunk, base=addr, role="firmware")
    except ObkImgError as e:
        return _slot_error(args, "firmware", active, note, e, "app")
    probs = tuple(p for p in img.problems() if p.severity != "info")
    hs = img.hash_state()
    state: RegionState
    if hs == "truncated":
        state = "invalid"
    elif any(p.severity == "error" for p in probs):
        state = "bad-crc"
    else:
        state = "valid" if hs == "valid" else "unknown"
    detail = {
        **note,
        "img_len": img.header.img_len,
        "img_start": img.header.img_start,
        "hash_state": hs,
        "crc_state": img.header.crc_state,
        "boot_cfg": img.header.boot_cfg.word,
    }
    if img.image_length and img.code_offset is not None:
        detail["fw_ota_len"] = img.code_offset + img.image_length
    return SlotContent(*args, "firmware", state, active, detail, probs, kind="app")


def _xz_slot(
    chunk: bytes, args: tuple[str, int, int, int], active: bool, note: dict[str, Any], other_size: int
) -> SlotContent:
    """A FW slot holding an XZ OTA stream that boot2 unpacks into the other slot (pending when active)."""
    name, slot, addr, _ = args
    limit = other_size or DEFAULT_LIMIT
    end = _xz_stream_end(chunk, limit)
    if end is None:
        msg = (
            f"XZ stream in {name} slot {slot} does not decompress within {limit} bytes "
            "(corrupt, truncated or too large)"
        )
        bad = (Problem("error", msg, addr, FMT),)
        return SlotContent(*args, "xz-ota", "invalid", active, {**note, "pending": active}, bad, kind="ota")
    x = XzImage.parse(chunk[:end], strict=False, limit=limit, base=addr)
    probs = tuple(replace_fmt(p) for p in x.problems() if p.severity != "info")
    unpacked = len(x.firmware) if x.firmware is not None else None
    detail = {
        **note,
        "pending": active,
        "stream_len": end,
        "unpacked_size": unpacked,
        "fits_other_slot": (unpacked <= other_size) if unpacked is not None and other_size else None,
    }
    state: RegionState = "invalid" if any(p.severity == "error" for p in probs) else "valid"
    return SlotContent(*args, "xz-ota", state, active, detail, probs, kind="ota")


def _dtb_slot(
    chunk: bytes, args: tuple[str, int, int, int], active: bool, note: dict[str, Any]
) -> SlotContent:
    """The factory partition holding the device tree (MAC, RF parameters)."""
    try:
        dtb = DtbImage.parse(chunk, base=args[2])
    except ObkImgError as e:
        return _slot_error(args, "dtb", active, note, e, "dtb")
    detail = {**note, "totalsize": dtb.totalsize, "sta_mac": dtb.params.to_dict()["sta_mac"]}
    return SlotContent(*args, "dtb", "valid", active, detail, tuple(dtb.problems()), kind="dtb")


def _read_slot(
    data: bytes, part: Partition, slot: int, addr: int, size: int, *, active: bool, other_size: int
) -> SlotContent:
    """What slot ``slot`` of ``part`` holds: the format its partition kind and magic call for."""
    chunk = data[addr : addr + size]
    args = (part.name, slot, addr, size)
    kind = part.kind
    if not chunk:
        beyond = {"note": f"beyond the end of the file ({len(data):#x})"}
        return SlotContent(*args, "missing", "unknown", active, beyond, kind=kind)
    note: dict[str, Any] = {"present": len(chunk)} if len(chunk) < size else {}
    if _all_ff(chunk):
        return SlotContent(*args, "erased", "erased", active, note, kind=kind)
    if kind == "firmware" and chunk[:4] == BFNP:
        return _firmware_slot(chunk, args, active, note)
    if kind == "firmware" and chunk[:6] == XZ_MAGIC:
        return _xz_slot(chunk, args, active, note, other_size)
    if kind == "dtb" and chunk[:4] == FDT_MAGIC:
        return _dtb_slot(chunk, args, active, note)
    if kind == "easyflash":
        magic = b"EF4" in chunk[:16]
        detail = {**note, "easyflash_magic": magic}
        return SlotContent(*args, "easyflash", "valid" if magic else "unknown", active, detail, kind=kind)
    return SlotContent(*args, "data", "unknown", active, note, kind=kind if kind != "firmware" else "data")


def _read_slots(data: bytes, table: PartitionTable) -> list[SlotContent]:
    """Every used slot of every partition of ``table``."""
    slots: list[SlotContent] = []
    for part in table.entries:
        used = part.slots()
        for slot, addr, size in used:
            other = [s for s in used if s[0] != slot]
            active = len(used) > 1 and slot == part.active_slot
            other_size = other[0][2] if other else 0
            slots.append(_read_slot(data, part, slot, addr, size, active=active, other_size=other_size))
    return slots


def _read_boot2(data: bytes) -> tuple[BootImage | None, Problem | None]:
    """boot2 at flash 0 and, when it is damaged or missing, the problem."""
    if data[:4] == BFNP:
        try:
            return BootImage.parse(data[:BOOT2_AREA], role="boot2"), None
        except ObkImgError as e:
            return None, Problem("error", f"boot2 header: {e.message}", e.offset, FMT)
    if not _all_ff(data[:BOOT2_AREA]):
        return None, Problem("error", "no boot2 header (BFNP) at 0", 0, FMT)
    return None, None


def replace_fmt(p: Problem) -> Problem:
    """A copy of ``p`` whose format id is ``bl602-dump`` when ``p`` has none (else its own)."""
    return Problem(p.severity, p.message, p.offset, p.fmt or FMT)


@dataclass(frozen=True, slots=True)
class FlashDump(BytesImage):
    """A dissected BL602 flash image."""

    kind = FMT

    data: bytes = field(repr=False)
    boot2: BootImage | None
    boot2_problem: Problem | None
    copies: tuple[TableCopy, ...]
    active_copy: int | None
    slots: tuple[SlotContent, ...]
    found: tuple[Problem, ...] = ()

    @classmethod
    def parse(cls, data: bytes, *, table_addresses: tuple[int, int] = TABLE_ADDRESSES) -> FlashDump:
        """Dissect a whole flash: boot2 at 0, the partition table copies at ``table_addresses``
        (0xE000, 0xF000), then every slot of every partition of the active copy (the first readable copy
        when none is valid).

        Damage is reported as problems, not raised: a bad boot2 header, unreadable or invalid table
        copies, a slot whose content does not parse (and, as info, a size that is not a flash size).
        """
        data = bytes(data)
        boot2, b2prob = _read_boot2(data)
        copies = tuple(read_copies(data, table_addresses))
        active = select_active(copies)
        table = table_in_use(copies)
        where = table_addresses[0]
        if table is None:
            at = " / ".join(f"{a:#x}" for a in table_addresses)
            problem = Problem("error", f"no readable partition table at {at}", where, FMT)
            return cls(data, boot2, b2prob, copies, active, (), (problem,))
        problems: list[Problem] = []
        if active is None:
            msg = "no valid partition table copy; partitions taken from a damaged copy"
            problems.append(Problem("error", msg, where, FMT))
        if len(data) not in FLASH_SIZES:
            msg = (
                f"{len(data):#x} bytes is not a whole flash size (a tool image such as "
                "whole_flash_data.bin ends after its last part)"
            )
            problems.append(Problem("info", msg, len(data), FMT))
        slots = tuple(_read_slots(data, table))
        return cls(data, boot2, b2prob, copies, active, slots, tuple(problems))

    # -- accessors -------------------------------------------------------------------------------
    @property
    def table(self) -> PartitionTable:
        """The partition table in use: the active copy, else the first readable one.

        Raises :class:`~obkimg.errors.NotFoundError` when no copy is readable.
        """
        t = table_in_use(self.copies)
        if t is None:
            raise NotFoundError(
                "no readable partition table in this dump", fmt=FMT, offset=TABLE_ADDRESSES[0]
            )
        return t

    @property
    def layout(self) -> str:
        """The known layout the table matches
        (:func:`~obkimg.formats.bl602.partitions.layout_name`), ``"custom"``, or ``"unknown"`` without a
        readable table."""
        t = table_in_use(self.copies)
        return t.layout if t is not None else "unknown"

    def slot(self, partition: str, slot: int = 0) -> SlotContent:
        """Slot ``slot`` (0 or 1) of the partition named ``partition`` (case-insensitive).

        Raises :class:`~obkimg.errors.NotFoundError` when the dump has no such slot.
        """
        for s in self.slots:
            if s.partition.lower() == partition.lower() and s.slot == slot:
                return s
        raise NotFoundError(f"no {partition} slot {slot} in this dump", fmt=FMT)

    @property
    def fw_active_slot(self) -> int | None:
        """The FW slot boot2 runs (``activeIndex & 1``), or None without a readable table or FW entry."""
        try:
            return self.table.firmware.active_slot
        except NotFoundError:
            return None

    def running_firmware(self) -> bytes:
        """FW_OTA.bin of the firmware boot2 runs: the active FW slot, or the other slot when the active one
        holds a pending XZ OTA (that is the unpacked result after the next boot)."""
        fw = self.table.firmware
        act = fw.active_slot
        s = self.slot("FW", act) if any(x.partition == "FW" and x.slot == act for x in self.slots) else None
        if s is not None and s.content == "xz-ota":
            chunk = self.data[s.address : s.address + s.detail["stream_len"]]
            x = XzImage.parse(chunk, limit=fw.size[1 - act] or DEFAULT_LIMIT, base=s.address)
            assert x.firmware is not None
            return x.firmware
        for cand in ([s] if s is not None else []) + [x for x in self.slots if x.partition == "FW"]:
            if cand.content == "firmware":
                img = BootImage.parse(self.data[cand.address : cand.address + cand.size], role="firmware")
                return img.fw_ota_bin()
        raise NotFoundError("no firmware in the FW partition", fmt=FMT, offset=fw.address[0])

    # -- Image API -------------------------------------------------------------------------------
    @property
    def chip(self) -> str | None:
        return CHIP

    def build(self) -> bytes:
        """The dump's bytes, unchanged (:func:`build_flash` lays out a new flash)."""
        return self.data

    def verify(self) -> list[Problem]:
        return unique_problems(Image.verify(self))

    def problems(self) -> list[Problem]:
        out = list(self.found)
        if self.boot2_problem is not None:
            out.append(self.boot2_problem)
        return out

    def _boot2_region(self) -> Region:
        size = min(BOOT2_AREA, len(self.data))
        state: RegionState
        if self.boot2 is None:
            state = "erased" if _all_ff(self.data[:size]) else "invalid"
            return Region(
                "boot2", 0, size, "bootloader", state, (self.boot2_problem,) if self.boot2_problem else ()
            )
        b = self.boot2
        probs = tuple(p for p in b.problems() if p.severity != "info")
        hs = b.hash_state()
        state = (
            "bad-crc"
            if any(p.severity == "error" for p in probs)
            else "valid"
            if hs == "valid"
            else "unknown"
        )
        return Region(
            "boot2",
            0,
            size,
            "bootloader",
            state,
            probs,
            {"role": b.role, "img_len": b.header.img_len, "hash_state": hs, "crc_state": b.header.crc_state},
        )

    def regions(self) -> list[Region]:
        out = [self._boot2_region()]
        for i, c in enumerate(self.copies):
            if c.offset >= len(self.data):
                continue
            state: RegionState = (
                "valid"
                if c.valid
                else "erased"
                if c.erased
                else "bad-crc"
                if c.table is not None
                else "invalid"
            )
            out.append(
                Region(
                    f"partition table {i}",
                    c.offset,
                    min(0x1000, len(self.data) - c.offset),
                    "partition-table",
                    state,
                    tuple(p for p in c.problems if p.severity != "info"),
                    {"age": c.table.age if c.table else None, "active": i == self.active_copy},
                )
            )
        for s in self.slots:
            if s.content == "missing":
                continue
            size = min(s.size, len(self.data) - s.address)
            out.append(
                Region(
                    s.name,
                    s.address,
                    size,
                    s.kind,
                    s.state,
                    s.problems,
                    {"content": s.content, "active": s.active, **s.detail},
                )
            )
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        t = table_in_use(self.copies)
        fw_slots = [s.to_dict() for s in self.slots if s.partition == "FW"]
        pending = next((s.to_dict() for s in self.slots if s.content == "xz-ota"), None)
        factory = None
        for s in self.slots:
            if s.content == "dtb" and s.state == "valid":
                dtb = DtbImage.parse(self.data[s.address : s.address + s.size], base=s.address)
                factory = dtb.params.to_dict()
                break
        return {
            "flash_size": len(self.data),
            "layout": self.layout,
            "boot2": (
                {
                    "role": self.boot2.role,
                    "header": self.boot2.header.to_dict(),
                    "hash_state": self.boot2.hash_state(),
                    "code_offset": self.boot2.code_offset,
                }
                if self.boot2
                else None
            ),
            "partition_tables": [c.to_dict() for c in self.copies],
            "active_copy": self.active_copy,
            "partitions": [
                {
                    "name": e.name,
                    "type": e.type,
                    "address0": e.address[0],
                    "size0": e.size[0],
                    "address1": e.address[1],
                    "size1": e.size[1],
                    "len": e.length,
                    "age": e.age,
                    "active_index": e.active_index,
                    "device": e.device,
                }
                for e in t.entries
            ]
            if t
            else [],
            "active_slot": self.fw_active_slot,
            "firmware_slots": fw_slots,
            "pending_ota": pending,
            "factory": factory,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        lines = [
            f"layout: {self.layout}; active table copy: {self.active_copy}; FW active slot: "
            f"{self.fw_active_slot}"
        ]
        for s in self.slots:
            if s.content == "xz-ota":
                lines.append(
                    f"pending XZ OTA in FW slot {s.slot} ({s.detail.get('stream_len')} bytes, unpacks to "
                    f"{s.detail.get('unpacked_size')})"
                )
        return lines

    def artifacts(self) -> list[Artifact]:
        """boot2 (header + code), the table in use (binary and vendor TOML), then what each slot holds:
        FW_OTA.bin and the bare image of a firmware, a pending XZ OTA (and unpacked), the factory DTB."""
        out: list[Artifact] = []
        if self.boot2 is not None:
            blob = self.boot2.fw_ota_bin()
            out.append(Artifact("whole_img_boot2.bin", blob, "bootloader", "boot2", "boot2 header + code"))
        t = table_in_use(self.copies)
        if t is not None:
            what = "partition table"
            desc = "the active partition table"
            out.append(Artifact("partition.bin", t.build(), "partition-table", what, desc))
            toml = table_to_toml(t).encode()
            desc = "the active partition table as vendor TOML"
            out.append(Artifact("partition_cfg.toml", toml, "config", what, desc))
        for s in self.slots:
            try:
                out += _slot_artifacts(s, self.data[s.address : s.address + s.size])
            except ObkImgError:
                continue
        return out


def _slot_artifacts(s: SlotContent, chunk: bytes) -> list[Artifact]:
    """The files ``obkimg extract`` writes for one slot of a dump (``chunk``: the slot's bytes)."""
    stem = f"{s.partition}{s.slot}"
    if s.content == "firmware":
        img = BootImage.parse(chunk, role="firmware")
        desc = "boot header + code, as FW_OTA.bin"
        out = [Artifact(f"FW_OTA_{stem}.bin", img.fw_ota_bin(), "firmware", s.name, desc)]
        if img.code_offset is not None:
            desc = "the image alone (img_len bytes)"
            out.append(Artifact(f"{stem}_bare.bin", img.image, "app-plain", s.name, desc))
        return out
    if s.content == "xz-ota" and s.detail.get("stream_len"):
        stream = chunk[: s.detail["stream_len"]]
        x = XzImage.parse(stream, strict=False)
        out = [Artifact(f"FW_OTA_{stem}.bin.xz", stream, "xz", s.name, "pending XZ OTA stream")]
        if x.firmware is not None:
            desc = "the pending OTA, decompressed (FW_OTA.bin)"
            out.append(Artifact(f"FW_OTA_{stem}_unpacked.bin", x.firmware, "firmware", s.name, desc))
        return out
    if s.content == "dtb" and s.state == "valid":
        dtb = DtbImage.parse(chunk)
        return [Artifact("ro_params.dtb", chunk[: dtb.totalsize], "dtb", s.name, "factory DTB")]
    return []


# --------------------------------------------------------------------------------------------------
# building

#: the largest flash a BL602 image is built for (the largest supported input, 16 MiB)
MAX_FLASH = DEFAULT_LIMIT


def _check_layout(table: PartitionTable, table_addresses: tuple[int, int], size: int | None) -> None:
    """Every address and size of the table (both copies' addresses, both slots of every entry) lies inside
    the flash (``size``, else the largest supported flash), before a byte is laid out."""
    flash = MAX_FLASH if size is None else size
    if not 0 < flash <= MAX_FLASH:
        raise BuildError(
            f"flash size {flash:#x} is not between 1 and {MAX_FLASH:#x} bytes (16 MiB)", fmt=FMT, path="size"
        )
    spans = [(f"pt_table.address{i}", a, 0x1000) for i, a in enumerate(table_addresses)]
    for e in table.entries:
        spans += [(f"{e.name}.address{i}", e.address[i], e.size[i]) for i in (0, 1)]
    for what, addr, length in spans:
        if addr < 0 or length < 0 or addr + length > flash:
            raise BuildError(
                f"{what} {addr:#x} + size {length:#x} ends beyond the flash "
                f"({flash:#x} bytes{'' if size is not None else ', the largest supported'})",
                fmt=FMT,
                path=what,
            )


def build_flash(
    *,
    table: PartitionTable | str | bytes,
    boot2: bytes | None = None,
    firmware: bytes | None = None,
    dtb: bytes | None = None,
    partitions: dict[str, bytes] | None = None,
    size: int | None = None,
    table_addresses: tuple[int, int] = TABLE_ADDRESSES,
) -> bytes:
    """A whole flash image like ``bflb-iot-tool --build`` writes (``whole_flash_data.bin``).

    ``table`` is a :class:`PartitionTable`, a ``partition.bin`` or vendor TOML text; ``boot2`` raw boot2
    code or ``whole_img_boot2.bin``; ``firmware`` a bare image or ``FW_OTA.bin`` (goes to FW slot 0);
    ``dtb`` the factory DTB; ``partitions`` maps other partition names to their content. The result ends
    after the last part, unless ``size`` pads it with 0xFF (e.g. 2 MB).
    """
    if isinstance(table, str):
        table, table_addresses = table_from_toml(table)
    elif isinstance(table, (bytes, bytearray)):
        raw = bytes(table)
        table = table_from_toml(raw)[0] if raw[:4] != PT_MAGIC else PartitionTable.parse(raw)
    _check_layout(table, table_addresses, size)
    parts: list[tuple[str, int, bytes, int]] = []
    if boot2 is not None:
        parts.append(("boot2", 0, boot2_image(boot2), BOOT2_AREA))
    pt = table.build()
    for a in table_addresses:
        parts.append(("partition table", a, pt, 0x1000))
    content = dict(partitions or {})
    if firmware is not None:
        content[table.firmware.name] = fw_ota_bin(firmware)
    if dtb is not None:
        content["factory"] = dtb
    for name, blob in content.items():
        entry = table.find(name)
        parts.append((name, entry.address[0], blob, entry.size[0]))
    end = 0
    for name, addr, blob, room in parts:
        if len(blob) > room:
            raise BuildError(
                f"{name} is {len(blob)} bytes, its space at {addr:#x} is {room} bytes", fmt=FMT, path=name
            )
        end = max(end, addr + len(blob))
    if size is not None:
        if size < end:
            raise BuildError(f"the parts end at {end:#x}, beyond the requested size {size:#x}", fmt=FMT)
        end = size
    out = bytearray(b"\xff" * end)
    taken: list[tuple[int, int, str]] = []
    for name, addr, blob, _ in sorted(parts, key=lambda p: p[1]):
        for a, b, other in taken:
            if addr < b and a < addr + len(blob) and not (name == other == "partition table"):
                raise BuildError(f"{name} at {addr:#x} overlaps {other}", fmt=FMT, path=name)
        taken.append((addr, addr + len(blob), name))
        out[addr : addr + len(blob)] = blob
    return bytes(out)


# --------------------------------------------------------------------------------------------------
# registry

FORMAT = FormatInfo(
    id=FMT,
    name="BL602 whole flash",
    family="bl602",
    description="1/2/4 MB BL602 flash dump or whole_flash_data.bin: boot2, both partition tables, FW slots "
    "(with a pending XZ OTA), mfg/media/PSM/KEY/DATA, factory DTB",
    references=(
        "PyPI bflb-iot-tool 1.10: core/bflb_iot_tool.py",
        "pine64/bl_iot_sdk: customer_app/bl602_boot2/bl602_boot2/blsp_boot_decompress.c",
    ),
    limitations=(
        "PSM/KEY/DATA contents are located, not decoded here",
        "BL702/BL616 layouts (tables at 0x1000/0x2000, bigger headers) are not handled",
    ),
    aliases=("bl602-flash", "bl602-whole-flash", "bl602-whole-img"),
)


def detect(data: bytes) -> Detection | None:
    """A ``BFPT`` partition table at 0xE000 or 0xF000 (:func:`is_flash_dump`): confidence 95 with a valid
    header CRC and a boot2 header (``BFNP``) at 0, 90 with a valid CRC only, else 50; chip BL602, the whole
    input. None without the magic at either address or when the input is shorter than 0xF014 bytes."""
    if not is_flash_dump(data):
        return None
    hits = [a for a in TABLE_ADDRESSES if data[a : a + 4] == PT_MAGIC]
    try:
        ok = any(c.header_crc_ok for c in read_copies(data) if c.offset in hits)
    except ObkImgError:
        ok = False
    boot = data[:4] == BFNP
    conf = 95 if ok and boot else 90 if ok else 50
    why = (
        f"BFPT partition table at {', '.join(f'{a:#x}' for a in hits)}"
        + (" (valid CRC)" if ok else " (bad CRC)")
        + ("; boot2 header at 0" if boot else "; no boot2")
    )
    return Detection(FMT, conf, why, CHIP, 0, len(data))


def load(source: Source) -> Image:
    """A :class:`FlashDump` of the whole input (:meth:`FlashDump.parse`)."""
    return FlashDump.parse(source.data)
