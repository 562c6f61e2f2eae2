"""Bouffalo Lab BL602 partition table ("BFPT"), its two flash copies, and the vendor TOML source.

Boot2 and the SDK find every partition through this table, stored twice in flash (0xE000 and
0xF000 on BL602). Boot2 runs the entry of **type 0** (FW) from ``address[activeIndex]``; the SDK
opens the others by **name** (PSM, media, factory, mfg...). Both copies are written identically by
the tools; an OTA update writes the other copy with ``age + 1``, so the active copy is the valid one
with the larger age (tie: 0xE000). A device-written copy is 596 bytes long (the whole RAM struct);
only ``16 + 36*n + 4`` bytes belong to the table.

Sources: PyPI bflb-iot-tool 1.10 ``libs/bflb_pt_creater.py`` (TOML -> binary),
``libs/bl602/partition_cfg_do.py``; openshwprojects/OpenBL602
``components/platform/soc/bl602/bl602_std/bl602_std/Common/partition/partition.h`` (C structs),
``components/platform/hosal/bl602_hal/hal_boot2.c`` (update rule).

Layout (little-endian)::

    header  0x00 4 magic "BFPT"   0x04 2 version   0x06 2 entry count n (<= 16)   0x08 4 age
            0x0C 4 CRC32(header[0:12])
    entry   (36 bytes each, from 0x10) 0 type, 1 device, 2 activeIndex, 3 name[9] (NUL padded),
            12 address[2], 20 maxLen[2], 28 len, 32 age
    trailer CRC32(entries) at 0x10 + 36*n

TOML: ``[pt_table]`` with ``address0/1`` (where the copies go, not stored in the table) and one
``[[pt_entry]]`` per entry (``type``, ``name``, ``device`` (ignored by the tool), ``address0/1``,
``size0/1``, ``len``, optional ``activeindex``, ``age``). It is read with tomllib (tomli on 3.10) and
checked against that shape; names are written escaped and every export is read back before it is
returned.

Limitations: type numbers are not global (mfg is 1 or 2): only type 0 = FW is relied upon, other
partitions are identified by name.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, field
from typing import Any

from construct import Array, Bytes, Const, Int8ul, Int16ul, Int32ul, Struct, this

from ..._construct import build_with, parse_with
from ...codecs.checksums import crc32
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    MagicError,
    NotFoundError,
    Problem,
    TruncatedError,
    unique_problems,
)
from ...model import BytesImage, Image, Region
from ...source import Source
from ...text import escape_text
from ...tomlio import Field, check_shape, loads, toml_string, u8, u32
from ...tomlio import text as toml_text
from .. import Detection, FormatInfo

__all__ = [
    "FORMAT",
    "FMT",
    "PT_MAGIC",
    "PT_HEADER",
    "PT_ENTRY",
    "PT_TABLE",
    "TABLE_ADDRESSES",
    "MAX_ENTRIES",
    "Partition",
    "PartitionTable",
    "TableCopy",
    "TableRegion",
    "KNOWN_LAYOUTS",
    "layout_name",
    "select_active",
    "read_copies",
    "parse_toml",
    "layout_errors",
    "table_from_toml",
    "table_to_toml",
    "detect",
    "load",
]

FMT = "bl602-partitions"
CHIP = "BL602"
PT_MAGIC = b"BFPT"
MAX_ENTRIES = 16
#: flash offsets of the two copies on BL602 (BL702 uses 0x1000/0x2000)
TABLE_ADDRESSES = (0xE000, 0xF000)
#: bytes an update writes: the whole RAM struct (16 + 16*36 + 4)
DEVICE_COPY_SIZE = 596

PT_HEADER = Struct(
    "magic" / Const(PT_MAGIC) * "PtTable_Config.magicCode",
    "version" / Int16ul,
    "count" / Int16ul * "entryCnt",
    "age" / Int32ul,
    "crc32" / Int32ul * "CRC32 of the 12 bytes above",
)

PT_ENTRY = Struct(
    "type" / Int8ul,
    "device" / Int8ul,
    "active_index" / Int8ul * "activeIndex (0/1 select the slot; >= 2 asks boot2 to copy)",
    "name" / Bytes(9) * "name[9], NUL padded",
    "address" / Array(2, Int32ul) * "Address[2]",
    "max_len" / Array(2, Int32ul) * "maxLen[2] (TOML size0/size1)",
    "len" / Int32ul * "len (set for compressed images)",
    "age" / Int32ul,
)
assert PT_ENTRY.sizeof() == 36

PT_TABLE = Struct(
    "header" / PT_HEADER,
    "entries" / Array(this.header.count, PT_ENTRY),
    "entries_crc32" / Int32ul * "CRC32 of the entries",
)

PARTITION_KINDS = {
    "FW": "firmware",
    "mfg": "firmware",
    "media": "data",
    "PSM": "easyflash",
    "KEY": "data",
    "DATA": "data",
    "factory": "dtb",
    "rf_para": "rf",
}


@dataclass(frozen=True, slots=True)
class Partition:
    """One entry: name, type and the two (address, size) slots."""

    name: str
    type: int
    address: tuple[int, int]
    size: tuple[int, int]
    length: int = 0
    age: int = 0
    active_index: int = 0
    device: int = 0
    #: the 9 name bytes when they are not ``name`` NUL-padded (kept for byte-exact rebuilds)
    raw_name: bytes | None = field(default=None, compare=False)

    @property
    def address0(self) -> int:
        """Flash offset of slot 0 (``address[0]``)."""
        return self.address[0]

    @property
    def address1(self) -> int:
        """Flash offset of slot 1 (``address[1]``)."""
        return self.address[1]

    @property
    def size0(self) -> int:
        """Size in bytes of slot 0 (``maxLen[0]``, TOML ``size0``)."""
        return self.size[0]

    @property
    def size1(self) -> int:
        """Size in bytes of slot 1 (``maxLen[1]``, TOML ``size1``)."""
        return self.size[1]

    @property
    def active_slot(self) -> int:
        """The slot boot2 runs (activeIndex & 1; values >= 2 are copy requests)."""
        return self.active_index & 1

    @property
    def kind(self) -> str:
        """Region kind of the content (by name, as the SDK does)."""
        return PARTITION_KINDS.get(self.name, "firmware" if self.type == 0 else "data")

    def slots(self) -> list[tuple[int, int, int]]:
        """(slot, address, size) of each used slot."""
        out = [(0, self.address[0], self.size[0])]
        if self.size[1] and self.address[1] != self.address[0]:
            out.append((1, self.address[1], self.size[1]))
        return out

    def name_bytes(self) -> bytes:
        """The 9 stored name bytes: ``raw_name`` when kept, else ``name`` in latin-1, NUL padded.

        Raises :class:`~obkimg.errors.BuildError` when ``name`` is not latin-1 or longer than 9 bytes.
        """
        if self.raw_name is not None:
            return self.raw_name
        try:
            raw = self.name.encode("latin-1")  # the inverse of parse (names are read as latin-1)
        except UnicodeEncodeError as e:
            raise BuildError(f"partition name {self.name!r} is not latin-1 text", fmt=FMT, path="name") from e
        if len(raw) > 9:
            raise BuildError(f"partition name {self.name!r} is longer than 9 bytes", fmt=FMT, path="name")
        return raw.ljust(9, b"\0")

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON: its fields (``len`` is ``length``), ``address`` and ``size`` as 2-item lists."""
        return {
            "name": self.name,
            "type": self.type,
            "device": self.device,
            "active_index": self.active_index,
            "address": list(self.address),
            "size": list(self.size),
            "len": self.length,
            "age": self.age,
        }


@dataclass(frozen=True, slots=True)
class PartitionTable:
    """A BFPT table: header fields and its entries. CRCs are derived on build, checked on parse."""

    entries: tuple[Partition, ...]
    version: int = 0
    age: int = 0

    @property
    def size(self) -> int:
        """The table's size in bytes: 16 (header) + 36 per entry + 4 (entries CRC32)."""
        return 16 + 36 * len(self.entries) + 4

    @classmethod
    def parse(cls, data: bytes, *, base: int = 0, strict: bool = True) -> PartitionTable:
        """Parse a table at the start of ``data``; ``strict`` raises ChecksumError on a bad CRC."""
        copy = TableCopy.parse(data, base=base, strict=strict)
        if copy.table is None:
            raise FormatError("no readable partition table", fmt=FMT, offset=base)
        return copy.table

    def build(self) -> bytes:
        """Header, entries and trailer (:attr:`size` bytes), both CRC32s computed.

        Raises :class:`~obkimg.errors.BuildError` for more than 16 entries, a name that does not fit
        (:meth:`Partition.name_bytes`) or a value out of range for its field.
        """
        if len(self.entries) > MAX_ENTRIES:
            raise BuildError(
                f"{len(self.entries)} entries; boot2 reads at most {MAX_ENTRIES}", fmt=FMT, path="entries"
            )
        head = build_with(
            PT_HEADER, FMT, {"version": self.version, "count": len(self.entries), "age": self.age, "crc32": 0}
        )
        head = head[:12] + struct.pack("<I", crc32(head[:12]))
        ents = b"".join(
            build_with(
                PT_ENTRY,
                FMT,
                {
                    "type": e.type,
                    "device": e.device,
                    "active_index": e.active_index,
                    "name": e.name_bytes(),
                    "address": list(e.address),
                    "max_len": list(e.size),
                    "len": e.length,
                    "age": e.age,
                },
            )
            for e in self.entries
        )
        return head + ents + struct.pack("<I", crc32(ents))

    def find(self, name: str) -> Partition:
        """The entry called ``name`` (case-insensitive); NotFoundError otherwise."""
        for e in self.entries:
            if e.name.lower() == name.lower():
                return e
        raise NotFoundError(
            f"no partition named {name!r} (have {', '.join(e.name for e in self.entries)})", fmt=FMT
        )

    def get(self, name: str) -> Partition | None:
        """Like :meth:`find` (case-insensitive), but None when there is no such entry."""
        try:
            return self.find(name)
        except NotFoundError:
            return None

    @property
    def firmware(self) -> Partition:
        """The FW entry: type 0, as boot2 picks it."""
        for e in self.entries:
            if e.type == 0:
                return e
        raise NotFoundError("the partition table has no type-0 (FW) entry", fmt=FMT)

    @property
    def layout(self) -> str:
        """The known layout the table matches (:func:`layout_name`), or ``"custom"``."""
        return layout_name(self)

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON: ``version``, ``age``, ``count`` and ``entries`` (:meth:`Partition.to_dict`)."""
        return {
            "version": self.version,
            "age": self.age,
            "count": len(self.entries),
            "entries": [e.to_dict() for e in self.entries],
        }


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One stored copy: where it is, whether it is valid, and the table it holds (None if unreadable)."""

    offset: int
    table: PartitionTable | None
    problems: tuple[Problem, ...] = ()
    header_crc_ok: bool = False
    entries_crc_ok: bool = False
    #: bytes after the trailer up to 596 (device-written copies carry stale RAM there)
    tail_state: str = "erased"

    @property
    def valid(self) -> bool:
        """True when the table was read and both its CRC32s (header, entries) match."""
        return self.table is not None and self.header_crc_ok and self.entries_crc_ok

    @property
    def erased(self) -> bool:
        """True when no table was read and nothing is wrong: the copy's first 16 bytes are all 0xFF."""
        return self.table is None and not any(p.severity == "error" for p in self.problems)

    @classmethod
    def parse(cls, data: bytes, *, base: int = 0, strict: bool = False) -> TableCopy:
        """Read the copy at the start of ``data``; ``base`` is its offset in the input (kept as ``offset``).

        Leniently (default), a missing magic, bad CRC32s and more than 16 entries become ``problems``; the
        table is kept despite bad CRCs and is None when it cannot be read. ``strict`` raises
        :class:`~obkimg.errors.MagicError`, :class:`~obkimg.errors.ChecksumError` or
        :class:`~obkimg.errors.FormatError` (more than 16 entries) instead. Either way,
        :class:`~obkimg.errors.TruncatedError` when the table runs past ``data``, and FormatError for more
        than 16 entries behind a bad header CRC.
        """
        data = bytes(data)
        if data[:4] != PT_MAGIC:
            if strict:
                raise MagicError(FMT, PT_MAGIC, data[:4], offset=base)
            if not data[:16].strip(b"\xff"):
                return cls(base, None, (Problem("info", "erased (all 0xFF)", base, FMT),))
            return cls(base, None, (Problem("error", f"no BFPT magic (found {data[:4].hex()})", base, FMT),))
        if len(data) < 16:
            raise TruncatedError(FMT, 16, len(data), offset=base + len(data), path="header")
        head = parse_with(PT_HEADER, FMT, data[:16], base=base)
        problems: list[Problem] = []
        hdr_ok = crc32(data[:12]) == head.crc32
        if not hdr_ok:
            msg = f"bad header CRC32 (stored {head.crc32:#010x}, computed {crc32(data[:12]):#010x})"
            if strict:
                raise ChecksumError(
                    FMT, "header CRC32", head.crc32, crc32(data[:12]), offset=base + 12, path="header.crc32"
                )
            problems.append(Problem("error", msg, base + 12, FMT))
        if head.count > MAX_ENTRIES:
            if strict or not hdr_ok:
                raise FormatError(
                    f"entry count {head.count} exceeds {MAX_ENTRIES}",
                    fmt=FMT,
                    offset=base + 6,
                    path="header.count",
                )
            problems.append(
                Problem("error", f"entry count {head.count} exceeds {MAX_ENTRIES}", base + 6, FMT)
            )
            return cls(base, None, tuple(problems), hdr_ok, False)
        end = 16 + 36 * head.count
        if len(data) < end + 4:
            raise TruncatedError(FMT, end + 4, len(data), offset=base + len(data), path="entries")
        c = parse_with(PT_TABLE, FMT, data[: end + 4], base=base)
        ents_ok = crc32(data[16:end]) == c.entries_crc32
        if not ents_ok:
            if strict:
                raise ChecksumError(
                    FMT,
                    "entries CRC32",
                    c.entries_crc32,
                    crc32(data[16:end]),
                    offset=base + end,
                    path="entries_crc32",
                )
            problems.append(
                Problem(
                    "error",
                    f"bad entries CRC32 (stored {c.entries_crc32:#010x}, computed "
                    f"{crc32(data[16:end]):#010x})",
                    base + end,
                    FMT,
                )
            )
        parts = []
        for e in c.entries:
            name = e.name.split(b"\0", 1)[0].decode("latin-1")
            raw = None if e.name == name.encode("latin-1").ljust(9, b"\0") else bytes(e.name)
            parts.append(
                Partition(
                    name,
                    e.type,
                    (e.address[0], e.address[1]),
                    (e.max_len[0], e.max_len[1]),
                    e.len,
                    e.age,
                    e.active_index,
                    e.device,
                    raw,
                )
            )
        tail = data[end + 4 : DEVICE_COPY_SIZE]
        tail_state = "erased" if not tail.strip(b"\xff") else "data"
        if tail_state == "data":
            problems.append(
                Problem(
                    "info",
                    "bytes after the table (up to 596) are not 0xFF: a device-written "
                    "copy carries stale RAM there",
                    base + end + 4,
                    FMT,
                )
            )
        table = PartitionTable(tuple(parts), c.header.version, c.header.age)
        return cls(base, table, tuple(problems), hdr_ok, ents_ok, tail_state)

    def to_dict(self) -> dict[str, Any]:
        """The copy as JSON: offset, valid/erased, table age and entry count (None without a table),
        the CRC results and the problems."""
        return {
            "offset": self.offset,
            "valid": self.valid,
            "erased": self.erased,
            "age": self.table.age if self.table else None,
            "count": len(self.table.entries) if self.table else None,
            "header_crc_ok": self.header_crc_ok,
            "entries_crc_ok": self.entries_crc_ok,
            "problems": [p.to_dict() for p in self.problems],
        }


def select_active(copies: list[TableCopy] | tuple[TableCopy, ...]) -> int | None:
    """Index of the copy boot2 uses: the valid one with the larger age; tie -> the first (0xE000)."""
    valid = [i for i, c in enumerate(copies) if c.valid]
    if not valid:
        return None
    best = valid[0]
    for i in valid[1:]:
        assert copies[i].table is not None and copies[best].table is not None
        if copies[i].table.age > copies[best].table.age:  # type: ignore[union-attr]
            best = i
    return best


def read_copies(data: bytes, offsets: tuple[int, ...] = TABLE_ADDRESSES) -> list[TableCopy]:
    """Both copies of a flash dump (each parsed leniently; errors become problems)."""
    out = []
    for off in offsets:
        chunk = data[off : off + 0x1000]
        if not chunk:
            out.append(TableCopy(off, None, (Problem("error", "beyond the end of the file", off, FMT),)))
            continue
        try:
            out.append(TableCopy.parse(chunk, base=off))
        except FormatError as e:
            out.append(TableCopy(off, None, (Problem("error", e.message, e.offset, FMT),)))
    return out


# --------------------------------------------------------------------------------------------------
# known layouts


def _layout(*rows: tuple[str, int, int, int, int, int]) -> tuple[tuple[str, int, int, int, int, int], ...]:
    return rows


#: 2 MB layouts seen in the wild: (name, type, address0, size0, address1, size1) per entry
KNOWN_LAYOUTS: dict[str, tuple[tuple[str, int, int, int, int, int], ...]] = {
    "bflb-iot-tool-2M": _layout(
        ("FW", 0, 0x10000, 0xD8000, 0xE8000, 0x88000),
        ("mfg", 2, 0x170000, 0x32000, 0, 0),
        ("media", 3, 0x1A2000, 0x47000, 0, 0),
        ("PSM", 4, 0x1E9000, 0x8000, 0, 0),
        ("KEY", 5, 0x1F1000, 0x2000, 0, 0),
        ("DATA", 6, 0x1F3000, 0x5000, 0, 0),
        ("factory", 7, 0x1F8000, 0x7000, 0, 0),
    ),
    "bl_iot_sdk-2M": _layout(
        ("FW", 0, 0x10000, 0xC8000, 0xD8000, 0x88000),
        ("mfg", 1, 0x160000, 0x10000, 0, 0),
        ("media", 2, 0x170000, 0x79000, 0, 0),
        ("PSM", 3, 0x1E9000, 0x8000, 0, 0),
        ("KEY", 4, 0x1F1000, 0x2000, 0, 0),
        ("DATA", 5, 0x1F3000, 0x5000, 0, 0),
        ("factory", 6, 0x1F8000, 0x8000, 0, 0),
    ),
    "openbl602-2M": _layout(
        ("FW", 0, 0x10000, 0xC8000, 0xD8000, 0x88000),
        ("mfg", 2, 0x160000, 0x32000, 0, 0),
        ("media", 3, 0x192000, 0x57000, 0, 0),
        ("PSM", 4, 0x1E9000, 0x8000, 0, 0),
        ("KEY", 5, 0x1F1000, 0x2000, 0, 0),
        ("DATA", 6, 0x1F3000, 0x5000, 0, 0),
        ("factory", 7, 0x1F8000, 0x7000, 0, 0),
    ),
    "bk7231guiflashtool-2M": _layout(
        ("FW", 0, 0x10000, 0x100000, 0x110000, 0x92000),
        ("media", 3, 0x1A2000, 0x47000, 0, 0),
        ("PSM", 4, 0x1E9000, 0x13000, 0, 0),
        ("factory", 7, 0x1FC000, 0x4000, 0, 0),
    ),
    "bflb-iot-tool-1M": _layout(
        ("FW", 0, 0x10000, 0xE7000, 0, 0),
        ("media", 3, 0xF7000, 0x2000, 0, 0),
        ("PSM", 4, 0xF9000, 0x2000, 0, 0),
        ("factory", 7, 0xFB000, 0x4000, 0, 0),
    ),
}


def _rows(table: PartitionTable) -> tuple[tuple[str, int, int, int, int, int], ...]:
    return tuple((e.name, e.type, e.address[0], e.size[0], e.address[1], e.size[1]) for e in table.entries)


def layout_name(table: PartitionTable) -> str:
    """The known layout the table matches exactly, ``"<name> (FW slots)"`` when only the FW entry
    matches one, else ``"custom"``."""
    rows = _rows(table)
    for name, layout in KNOWN_LAYOUTS.items():
        if rows == layout:
            return name
    try:
        fw = table.firmware
    except NotFoundError:
        return "custom"
    fw_row = (fw.address[0], fw.size[0], fw.address[1], fw.size[1])
    for name, layout in KNOWN_LAYOUTS.items():
        f = layout[0]
        if (f[2], f[3], f[4], f[5]) == fw_row:
            return f"{name} (FW slots)"
    return "custom"


# --------------------------------------------------------------------------------------------------
# TOML (parsed by tomllib, checked against the shape bflb_pt_creater.py reads)

_TABLE_SHAPE = {"address0": Field(u32), "address1": Field(u32)}
_ENTRY_SHAPE = {
    "type": Field(u8, required=True),
    "name": Field(toml_text, required=True),
    "device": Field(u8),
    "activeindex": Field(u8),
    **{k: Field(u32) for k in ("address0", "address1", "size0", "size1", "len", "age")},
}


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text (tomllib) into dicts and lists; FormatError/LimitError on anything wrong."""
    return loads(text, fmt=FMT)


def _entry(item: Any, where: str) -> Partition:
    v = check_shape(item, _ENTRY_SHAPE, fmt=FMT, where=where)
    name = v["name"]
    if len(name.encode()) >= 8:
        raise BuildError(
            f"partition name {name!r} is too long (bflb-iot-tool refuses 8 or more characters)",
            fmt=FMT,
            path=f"{where}.name",
        )
    part = Partition(
        name,
        v["type"],
        (v.get("address0", 0), v.get("address1", 0)),
        (v.get("size0", 0), v.get("size1", 0)),
        v.get("len", 0),
        v.get("age", 0),
        v.get("activeindex", 0),
        0,
    )
    try:
        part.name_bytes()
    except BuildError as e:
        raise BuildError(e.message, fmt=FMT, path=f"{where}.name") from None
    return part


def layout_errors(table: PartitionTable) -> list[str]:
    """What a valid table must not have: slots past 4 GiB, overlapping slots, several type-0 entries."""
    errors: list[str] = []
    fws = [e.name for e in table.entries if e.type == 0]
    if len(fws) > 1:
        errors.append(f"{len(fws)} entries of type 0 (FW: {', '.join(fws)}); boot2 runs only the first")
    spans: list[tuple[int, int, str]] = []
    for e in table.entries:
        for slot, addr, size in e.slots():
            label = f"{e.name} slot {slot} ({addr:#x}+{size:#x})"
            if addr + size > 1 << 32:
                errors.append(f"{label} ends past 4 GiB")
            elif size:
                spans.append((addr, addr + size, label))
    spans.sort()
    for (_a0, end0, l0), (a1, _end1, l1) in zip(spans, spans[1:], strict=False):
        if a1 < end0:
            errors.append(f"{l1} overlaps {l0}")
    return errors


def table_from_toml(
    text: str | bytes, *, allow_overlap: bool = False
) -> tuple[PartitionTable, tuple[int, int]]:
    """The table bflb-iot-tool builds from a ``partition_cfg_*.toml`` and the two copy addresses.

    Like the tool: ``device`` is read but not written, names of 8 or more characters are refused. The
    TOML is checked against the shape the tool reads (a bad key is named by its path, e.g.
    ``pt_entry[1].size0``). Overlapping slots, slots past 4 GiB and several type-0 entries are refused
    unless ``allow_overlap`` (for a table a vendor really ships).
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise FormatError(f"TOML is not UTF-8: {e}", fmt=FMT, offset=e.start) from None
    doc = parse_toml(text)
    pt = check_shape(doc.get("pt_table", {}), _TABLE_SHAPE, fmt=FMT, where="pt_table")
    entries = doc.get("pt_entry")
    if not isinstance(entries, list) or not entries:
        raise FormatError("no [[pt_entry]] tables in the TOML", fmt=FMT, path="pt_entry")
    if len(entries) > MAX_ENTRIES:
        raise BuildError(
            f"{len(entries)} entries; boot2 reads at most {MAX_ENTRIES}", fmt=FMT, path="pt_entry"
        )
    table = PartitionTable(tuple(_entry(item, f"pt_entry[{i}]") for i, item in enumerate(entries)))
    bad = layout_errors(table)
    if bad and not allow_overlap:
        raise BuildError(
            "; ".join(bad),
            fmt=FMT,
            path="pt_entry",
            hint="`partitions build --allow-overlap` builds it anyway",
        )
    addrs = (pt.get("address0", TABLE_ADDRESSES[0]), pt.get("address1", TABLE_ADDRESSES[1]))
    return table, addrs


def _comment(text: str) -> list[str]:
    """``text`` as TOML comment lines (control characters escaped: TOML refuses them in comments)."""
    return [f"# {escape_text(line)}" for line in text.split("\n")]


def table_to_toml(
    table: PartitionTable, *, addresses: tuple[int, int] = TABLE_ADDRESSES, comment: str | None = None
) -> str:
    """The vendor TOML for ``table`` (reads back to the same binary with :func:`table_from_toml`).

    The layout is the vendor files' (hex numbers, key order, their comments); names are written as
    escaped TOML strings, and the text is parsed back before it is returned: an export that would not
    read back as the same table raises BuildError instead of being written.
    """
    out = []
    if comment:
        out += [*_comment(comment), ""]
    out += [
        "[pt_table]",
        "#partition table is 4K in size",
        f"address0 = {addresses[0]:#X}".replace("0X", "0x"),
        f"address1 = {addresses[1]:#X}".replace("0X", "0x"),
    ]
    if table.version or table.age:
        out.append(
            f"# stored table header: version {table.version}, age {table.age} (not settable from TOML)"
        )
    for e in table.entries:
        if e.raw_name is not None:
            out.append(f"# raw name bytes: {e.raw_name.hex()}")
        out += [
            "",
            "[[pt_entry]]",
            f"type = {e.type}",
            f"name = {toml_string(e.name)}",
            f"device = {e.device}",
        ]
        if e.active_index:
            out.append(f"activeindex = {e.active_index}")
        out += [
            f"address0 = {_hex(e.address[0])}",
            f"size0 = {_hex(e.size[0])}",
            f"address1 = {_hex(e.address[1])}",
            f"size1 = {_hex(e.size[1])}",
            "# compressed image must set len,normal image can left it to 0",
            f"len = {_hex(e.length)}",
        ]
        if e.age:
            out.append(f"age = {e.age}")
    doc = "\n".join(out) + "\n"
    _check_round_trip(table, addresses, doc)
    return doc


def _check_round_trip(table: PartitionTable, addresses: tuple[int, int], doc: str) -> None:
    try:
        back, addrs = table_from_toml(doc, allow_overlap=True)
    except FormatError as e:  # pragma: no cover - a writer bug, never the input's fault
        raise BuildError(f"the exported TOML does not read back: {e}", fmt=FMT) from None
    want = [dataclasses.replace(e, raw_name=None, device=0) for e in table.entries]
    if list(back.entries) != want or addrs != addresses:
        raise BuildError(
            "the table cannot be written as TOML that reads back the same (name bytes TOML cannot hold)",
            fmt=FMT,
        )


def _hex(v: int) -> str:
    return "0" if v == 0 else f"0x{v:X}"


# --------------------------------------------------------------------------------------------------
# file model


@dataclass(frozen=True, slots=True)
class TableRegion(BytesImage):
    """A partition-table file: one table (272 bytes), one 4 KiB sector or both copies (8 KiB)."""

    kind = FMT

    data: bytes = field(repr=False)
    copies: tuple[TableCopy, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> TableRegion:
        """The copy in the first 4 KiB and, when ``data`` has 0x1010 bytes or more, the copy at 0x1000.

        Raises what a strict :meth:`TableCopy.parse` raises (MagicError, FormatError...) when the first
        copy is neither a table nor erased, and :class:`~obkimg.errors.TruncatedError` when a copy's table
        runs past the data.
        """
        data = bytes(data)
        first = TableCopy.parse(data[:0x1000], base=0)
        if first.table is None and not first.erased:
            # not even one readable table: fail like a strict parse would
            TableCopy.parse(data[:0x1000], strict=True)
        copies = [first]
        if len(data) >= 0x1000 + 16:
            copies.append(TableCopy.parse(data[0x1000:0x2000], base=0x1000))
        return cls(data, tuple(copies))

    @property
    def active(self) -> int | None:
        """Index in ``copies`` of the copy boot2 uses (:func:`select_active`); None when none is valid."""
        return select_active(self.copies)

    @property
    def table(self) -> PartitionTable:
        """The active copy's table (copy 0's when no copy is valid).

        Raises :class:`~obkimg.errors.NotFoundError` when that copy holds no readable table.
        """
        idx = self.active
        if idx is None:
            idx = 0
        t = self.copies[idx].table
        if t is None:
            raise NotFoundError("no readable partition table", fmt=FMT)
        return t

    def build(self) -> bytes:
        """Tables rebuilt in place (the bytes around them kept)."""
        out = bytearray(self.data)
        for c in self.copies:
            if c.table is not None:
                raw = c.table.build()
                out[c.offset : c.offset + len(raw)] = raw
        return bytes(out)

    @property
    def chip(self) -> str | None:
        return CHIP

    def verify(self) -> list[Problem]:
        return unique_problems(Image.verify(self))

    def problems(self) -> list[Problem]:
        out = [p for c in self.copies for p in c.problems if p.severity != "info"]
        if len(self.copies) == 2 and all(c.valid for c in self.copies):
            a, b = (c.table for c in self.copies)
            if a != b:
                out.append(Problem("info", "the two copies differ (an OTA update was recorded)", None, FMT))
        return out

    def regions(self) -> list[Region]:
        out = []
        for i, c in enumerate(self.copies):
            size = c.table.size if c.table is not None else min(len(self.data) - c.offset, 0x1000)
            state = "valid" if c.valid else ("erased" if c.erased else "bad-crc" if c.table else "invalid")
            out.append(
                Region(
                    f"partition table {i}",
                    c.offset,
                    size,
                    "partition-table",
                    state,
                    c.problems,
                    {"age": c.table.age if c.table else None, "active": i == self.active},
                )
            )
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        t = self.table
        return {
            "copies": [c.to_dict() for c in self.copies],
            "active_copy": self.active,
            "layout": t.layout,
            "table": t.to_dict(),
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        t = self.table
        lines = [f"layout: {t.layout}; active copy: {self.active}"]
        for e in t.entries:
            lines.append(
                f"  {e.name:<8} type {e.type:<2} {e.address[0]:#08x}+{e.size[0]:#x}"
                + (f" / {e.address[1]:#08x}+{e.size[1]:#x}" if e.size[1] else "")
                + (f" active {e.active_index}" if e.active_index else "")
            )
        return lines


FORMAT = FormatInfo(
    id=FMT,
    name="BL602 partition table",
    family="bl602",
    description="'BFPT' partition table (16 + 36*n + 4 bytes; two copies at 0xE000/0xF000 in flash), "
    "built from / exported to the vendor partition_cfg TOML",
    references=(
        "PyPI bflb-iot-tool 1.10: libs/bflb_pt_creater.py, chips/bl602/partition/partition_cfg_2M.toml",
        "openshwprojects/OpenBL602: components/platform/soc/bl602/bl602_std/bl602_std/Common/partition/"
        "partition.h",
    ),
    limitations=(
        "partition types other than 0 (FW) are not fixed; partitions are identified by name",
        "TOML export: name bytes after the first NUL survive only as a comment",
    ),
    aliases=("bl602-pt", "bl602-partition-table"),
)


def detect(data: bytes) -> Detection | None:
    """``BFPT`` at offset 0 (at least 20 bytes): confidence 90 with a valid header CRC32 (length = the
    table's size), 40 with a bad one. None otherwise; never raises."""
    try:
        if data[:4] != PT_MAGIC or len(data) < 20:
            return None
        if crc32(data[:12]) != struct.unpack_from("<I", data, 12)[0]:
            return Detection(FMT, 40, "BFPT magic, bad header CRC", CHIP, 0, len(data))
        n = struct.unpack_from("<H", data, 6)[0]
        copies = 2 if len(data) >= 0x1010 and data[0x1000:0x1004] == PT_MAGIC else 1
        return Detection(
            FMT,
            90,
            f"BFPT partition table, {n} entries, valid header CRC" + (", two copies" if copies == 2 else ""),
            CHIP,
            0,
            16 + 36 * n + 4,
        )
    except (IndexError, struct.error):
        return None


def load(source: Source) -> Image:
    """A :class:`TableRegion` of the whole input (see :meth:`TableRegion.parse` for the errors)."""
    return TableRegion.parse(source.data)
