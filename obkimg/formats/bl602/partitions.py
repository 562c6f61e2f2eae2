"""Bouffalo Lab BL602 partition table ("BFPT") and its two flash copies.

Boot2 and the SDK find every partition through this table, stored twice in flash (0xE000 and
0xF000 on BL602). Boot2 runs the entry of **type 0** (FW) from ``address[activeIndex]``; the SDK
opens the others by **name** (PSM, media, factory, mfg...). Both copies are written identically by
the tools; an OTA update writes the other copy with ``age + 1``, so the active copy is the valid one
with the larger age (tie: 0xE000). A device-written copy is 596 bytes long (the whole RAM struct);
only ``16 + 36*n + 4`` bytes belong to the table.

Sources: openshwprojects/OpenBL602
``components/platform/soc/bl602/bl602_std/bl602_std/Common/partition/partition.h`` (C structs
``PtTable_Config``, ``PtTable_Entry_Config``, ``PtTable_Stuff_Config``),
``components/platform/hosal/bl602_hal/hal_boot2.c`` (update rule); PyPI bflb-iot-tool 1.10
``libs/bflb_pt_creater.py`` (TOML -> binary), ``libs/bl602/partition_cfg_do.py``.

:data:`PT_TABLE` is ``PtTable_Stuff_Config`` field for field (little-endian)::

    PtTable_Config  0x00 4 magicCode "BFPT"   0x04 2 version   0x06 2 entryCnt n (<= 16)
                    0x08 4 age                0x0C 4 crc32 = CRC32(bytes 0..11)
    PtTable_Entry_Config (36 bytes each, from 0x10)
                    0 type, 1 device, 2 activeIndex, 3 name[9] (NUL padded), 12 Address[2],
                    20 maxLen[2], 28 len, 32 age
    crc32           CRC32(the 36*n entry bytes), at 0x10 + 36*n

``entryCnt`` and both CRCs are derived on build (``Rebuild``); on parse a strict parse checks them
(``StrictCheck``), a lenient one keeps going and the model reports the mismatch. Names keep the bytes
after their NUL (``CString0``), so a table rebuilds byte for byte. The vendor TOML source of a table
is read and written by the workflow :mod:`obkimg.partitions`.

Limitations: type numbers are not global (mfg is 1 or 2): only type 0 = FW is relied upon, other
partitions are identified by name.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import construct as cs
from construct import Array, Const, Int8ul, Int16ul, Int32ul, RawCopy, Rebuild, Struct, this

from ..._construct import CString0, StrictCheck, build_with, offset_of, parse_with
from ..._record import dataclass
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
from ...model import BytesImage, Image, Region, RegionState
from ...source import Source
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
    "detect",
    "load",
]

FMT = "bl602-partitions"
CHIP = "BL602"
PT_MAGIC = b"BFPT"
#: PT_ENTRY_MAX: entries boot2 reads
MAX_ENTRIES = 16
#: flash offsets of the two copies on BL602 (BL702 uses 0x1000/0x2000)
TABLE_ADDRESSES = (0xE000, 0xF000)
#: bytes an update writes: the whole RAM struct (16 + 16*36 + 4)
DEVICE_COPY_SIZE = 596

# --------------------------------------------------------------------------------------------------
# schema: PtTable_Stuff_Config


def _header_crc(ctx: Any) -> int:
    return crc32(ctx.body.data)


def _entries_crc(ctx: Any) -> int:
    return crc32(ctx.entries.data)


#: ``char name[9]``; names are read as latin-1 (any byte), the bytes after the NUL are kept
PT_NAME = CString0(9, "latin-1")

PT_ENTRY = Struct(  # PtTable_Entry_Config
    "type" / Int8ul,
    "device" / Int8ul,
    "active_index" / Int8ul * "activeIndex (0/1 select the slot; >= 2 asks boot2 to copy)",
    "name" / PT_NAME * "name[9], NUL padded",
    "address" / Array(2, Int32ul) * "Address[2]",
    "max_len" / Array(2, Int32ul) * "maxLen[2] (TOML size0/size1)",
    "len" / Int32ul * "len (set for compressed images)",
    "age" / Int32ul,
)

_PT_CONFIG_BODY = Struct(
    "magic" / Const(PT_MAGIC) * "magicCode",
    "version" / Int16ul,
    # RawCopy adds no context level: this._._ is PT_TABLE, whose entries read {"value": [...]}
    "count" / Rebuild(Int16ul, lambda ctx: len(ctx._._.entries["value"])) * "entryCnt",
    "age" / Int32ul,
)

PT_HEADER = Struct(  # PtTable_Config
    "body" / RawCopy(_PT_CONFIG_BODY),
    "crc32" / Rebuild(Int32ul, _header_crc) * "CRC32 of the 12 bytes above",
    StrictCheck(lambda ctx: ctx.crc32 == _header_crc(ctx)),
    StrictCheck(lambda ctx: ctx.body.value.count <= MAX_ENTRIES),
)

PT_TABLE = Struct(  # PtTable_Stuff_Config (entries: only the entryCnt stored ones)
    "header" / PT_HEADER,
    "entries" / RawCopy(Array(this.header.body.value.count, PT_ENTRY)),
    "entries_crc32" / Rebuild(Int32ul, _entries_crc) * "CRC32 of the entries",
    StrictCheck(lambda ctx: ctx.entries_crc32 == _entries_crc(ctx)),
)


HEADER_SIZE = PT_HEADER.sizeof()
ENTRY_SIZE = PT_ENTRY.sizeof()
HEADER_CRC_OFFSET = offset_of(PT_HEADER, "crc32")
COUNT_OFFSET = offset_of(_PT_CONFIG_BODY, "count")
assert (HEADER_SIZE, ENTRY_SIZE) == (16, 36)


def table_size(count: int) -> int:
    """Bytes of a table with ``count`` entries: header, entries and the entries CRC32."""
    return HEADER_SIZE + ENTRY_SIZE * count + 4


# --------------------------------------------------------------------------------------------------
# model

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
        if len(raw) > PT_NAME.sizeof():
            raise BuildError(f"partition name {self.name!r} is longer than 9 bytes", fmt=FMT, path="name")
        return raw.ljust(PT_NAME.sizeof(), b"\0")

    @classmethod
    def from_entry(cls, e: Any) -> Partition:
        """The model of one parsed :data:`PT_ENTRY`; ``raw_name`` only when the name bytes are not what
        :data:`PT_NAME` writes for the text."""
        raw: bytes = e.name.raw
        name = str(e.name)
        keep = None if raw == PT_NAME.build(name) else raw
        return cls(
            name,
            e.type,
            (e.address[0], e.address[1]),
            (e.max_len[0], e.max_len[1]),
            e.len,
            e.age,
            e.active_index,
            e.device,
            keep,
        )

    def to_entry(self) -> dict[str, Any]:
        """The values :data:`PT_ENTRY` builds (the name as the :class:`~obkimg._construct.CStr` of its
        :meth:`name_bytes`, so they are written as they are)."""
        return {
            "type": self.type,
            "device": self.device,
            "active_index": self.active_index,
            "name": PT_NAME.parse(self.name_bytes()),
            "address": list(self.address),
            "max_len": list(self.size),
            "len": self.length,
            "age": self.age,
        }

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
        return table_size(len(self.entries))

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
        head = {"body": {"value": {"version": self.version, "age": self.age}}}
        entries = {"value": [e.to_entry() for e in self.entries]}
        return build_with(PT_TABLE, FMT, {"header": head, "entries": entries})

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


def _no_table(base: int, data: bytes, strict: bool) -> TableCopy:
    """The copy at ``base`` without the BFPT magic: erased (all 0xFF) or not a table."""
    if strict:
        raise MagicError(FMT, PT_MAGIC, data[:4], offset=base)
    if not data[:HEADER_SIZE].strip(b"\xff"):
        return TableCopy(base, None, (Problem("info", "erased (all 0xFF)", base, FMT),))
    return TableCopy(base, None, (Problem("error", f"no BFPT magic (found {data[:4].hex()})", base, FMT),))


def _check_header(head: Any, base: int, strict: bool, problems: list[Problem]) -> bool:
    """Whether the header CRC32 holds; a mismatch raises (strict) or becomes a problem. A count above
    16 raises when strict or behind a bad header CRC, else becomes a problem (and no table is read)."""
    stored, computed = head.crc32, _header_crc(head)
    ok = bool(stored == computed)
    if not ok:
        if strict:
            raise ChecksumError(
                FMT, "header CRC32", stored, computed, offset=base + HEADER_CRC_OFFSET, path="header.crc32"
            )
        msg = f"bad header CRC32 (stored {stored:#010x}, computed {computed:#010x})"
        problems.append(Problem("error", msg, base + HEADER_CRC_OFFSET, FMT))
    count = head.body.value.count
    if count > MAX_ENTRIES:
        msg = f"entry count {count} exceeds {MAX_ENTRIES}"
        if strict or not ok:
            raise FormatError(msg, fmt=FMT, offset=base + COUNT_OFFSET, path="header.count")
        problems.append(Problem("error", msg, base + COUNT_OFFSET, FMT))
    return ok


def _check_entries(c: Any, base: int, strict: bool, problems: list[Problem]) -> bool:
    """Whether the entries CRC32 holds; a mismatch raises (strict) or becomes a problem."""
    stored, computed = c.entries_crc32, _entries_crc(c)
    if stored == computed:
        return True
    where = base + table_size(len(c.entries.value)) - 4
    if strict:
        raise ChecksumError(FMT, "entries CRC32", stored, computed, offset=where, path="entries_crc32")
    msg = f"bad entries CRC32 (stored {stored:#010x}, computed {computed:#010x})"
    problems.append(Problem("error", msg, where, FMT))
    return False


def _tail_state(data: bytes, end: int, base: int, problems: list[Problem]) -> str:
    """``erased`` when the bytes after the table up to 596 are 0xFF, else ``data`` (with an info)."""
    if not data[end:DEVICE_COPY_SIZE].strip(b"\xff"):
        return "erased"
    msg = "bytes after the table (up to 596) are not 0xFF: a device-written copy carries stale RAM there"
    problems.append(Problem("info", msg, base + end, FMT))
    return "data"


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
        if data[: len(PT_MAGIC)] != PT_MAGIC:
            return _no_table(base, data, strict)
        if len(data) < HEADER_SIZE:
            raise TruncatedError(FMT, HEADER_SIZE, len(data), offset=base + len(data), path="header")
        problems: list[Problem] = []
        head = parse_with(PT_HEADER, FMT, data[:HEADER_SIZE], base=base, strict=False)
        hdr_ok = _check_header(head, base, strict, problems)
        count = head.body.value.count
        if count > MAX_ENTRIES:
            return cls(base, None, tuple(problems), hdr_ok, False)
        end = table_size(count)
        if len(data) < end:
            raise TruncatedError(FMT, end, len(data), offset=base + len(data), path="entries")
        c = parse_with(PT_TABLE, FMT, data[:end], base=base, strict=False)
        ents_ok = _check_entries(c, base, strict, problems)
        tail = _tail_state(data, end, base, problems)
        body = c.header.body.value
        parts = tuple(Partition.from_entry(e) for e in c.entries.value)
        table = PartitionTable(parts, body.version, body.age)
        return cls(base, table, tuple(problems), hdr_ok, ents_ok, tail)

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
    best: int | None = None
    best_age = -1
    for i, c in enumerate(copies):
        if c.valid and c.table is not None and c.table.age > best_age:
            best, best_age = i, c.table.age
    return best


def read_copies(data: bytes, offsets: tuple[int, ...] = TABLE_ADDRESSES) -> list[TableCopy]:
    """Both copies of a flash dump (each parsed leniently; errors become problems). With
    :func:`select_active` this is how boot2 finds the active table of a whole flash dump."""
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
            state: RegionState = (
                "valid" if c.valid else ("erased" if c.erased else "bad-crc" if c.table else "invalid")
            )
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
    if data[: len(PT_MAGIC)] != PT_MAGIC or len(data) < table_size(0):
        return None
    try:
        head = PT_HEADER.parse(bytes(data[:HEADER_SIZE]), strict=False)
    except cs.ConstructError:
        return None
    if head.crc32 != _header_crc(head):
        return Detection(FMT, 40, "BFPT magic, bad header CRC", CHIP, 0, len(data))
    n = head.body.value.count
    two = len(data) >= 0x1000 + HEADER_SIZE and data[0x1000 : 0x1000 + len(PT_MAGIC)] == PT_MAGIC
    return Detection(
        FMT,
        90,
        f"BFPT partition table, {n} entries, valid header CRC" + (", two copies" if two else ""),
        CHIP,
        0,
        table_size(n),
    )


def load(source: Source) -> Image:
    """A :class:`TableRegion` of the whole input (see :meth:`TableRegion.parse` for the errors)."""
    return TableRegion.parse(source.data)
