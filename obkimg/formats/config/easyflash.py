"""EasyFlash v4 ("NG") ENV area: sector header and ENV entry as construct schemas, the area model, detect.

Purpose: read and write the key/value area in which several OpenBeken platforms keep their config
(BL602/BL616: key ``mY0bcFg``; Realtek, XRadio, RDA, ECR6600, TR6260: ``ObkCfg``), byte-exactly.

Sources: armink/EasyFlash ``easyflash/src/ef_env.c`` and ``easyflash/inc/ef_def.h`` (v4.1, status enums
``sector_store_status``, ``sector_dirty_status``, ``env_status``); bouffalolab/bl_iot_sdk
``components/stage/easyflash4`` (``EF_WRITE_GRAN`` 8); BK7231GUIFlashTool ``Utils/EasyFlash.cs`` (the
ECR6600/TR6260 variants).

Write granularity G (bits) sets the status-table sizes and so every later offset
(:func:`sector_schema`, :func:`env_schema`; g = max(1, G/8) bytes)::

    sector header      G=1   G=8   G=32
      store table        0     0      0   status 1 EMPTY, 2 USING, 3 FULL
      dirty table        1     3     12   status 1 FALSE, 2 TRUE, 3 GC
      magic              4     8     24   b"EF40" (ECR6600: b"EF41")
      combined           8    12     28   u32
      reserved          12    16     32   u32
      size              16    20     36

    ENV entry (right after the sector header, entries back to back)
      status table       0     0      0   1 PRE_WRITE, 2 WRITE, 3 PRE_DELETE, 4 DELETED, 5 ERR_HDR
      magic              4     8     20   b"KV40" (ECR6600/TR6260: absent)
      len                8    12     24   u32, the whole entry
      crc32             12    16     28   zlib CRC-32 from name_len to the end of the entry
      name_len          16    20     32   u8 + 3 bytes 0xFF
      value_len         20    24     36   u32
      name, value       24    28     40   each padded with 0xFF to g bytes

A status table holds one slot per status after the first: G=1 one byte whose bit ``0x80 >> (k-1)`` is
cleared when status k is reached; G>=8 one g-byte slot per status, written 0x00. The current status is
the highest reached. ``len`` and ``crc32`` sit *before* the bytes they describe: the schema rebuilds
them (``Rebuild``) and checks the CRC on strict parses (``StrictCheck``).

Limitations: garbage collection is not implemented (:func:`ef_compact` gives its end state); the
ECR6600/TR6260 variants (granularity 32, no ``KV40``) are implemented from source only; status tables
build back canonically (a slot holding neither 0x00 nor 0xFF is rewritten; :class:`EfArea` keeps the
area's bytes, so the area itself round-trips).
"""

from __future__ import annotations

import functools
import zlib
from enum import IntEnum
from typing import Any

import construct as c

from ..._construct import AdapterBase as _Adapter
from ..._construct import Con, StrictCheck, build_with, parse_with
from ..._record import dataclass
from ...errors import BuildError, FormatError, MagicError, TruncatedError
from .. import Detection, FormatInfo

__all__ = [
    "FMT",
    "FORMAT",
    "SECTOR",
    "SECTOR_MAGICS",
    "KV_MAGIC",
    "GRANULARITIES",
    "SectorStore",
    "SectorDirty",
    "EnvStatus",
    "ENV_STATUS",
    "sector_schema",
    "env_schema",
    "sector_granularity",
    "EfEntry",
    "EfSector",
    "EfArea",
    "parse_easyflash",
    "ef_set",
    "ef_format",
    "ef_compact",
    "ef_put",
    "detect",
]

FMT = "easyflash"
SECTOR = 0x1000
SECTOR_MAGICS = (b"EF40", b"EF41")
KV_MAGIC = b"KV40"
GRANULARITIES = (1, 8, 32)
_FF4 = 0xFFFFFFFF


class SectorStore(IntEnum):
    """``sector_store_status`` (ef_def.h)."""

    SECTOR_STORE_UNUSED = 0
    SECTOR_STORE_EMPTY = 1
    SECTOR_STORE_USING = 2
    SECTOR_STORE_FULL = 3


class SectorDirty(IntEnum):
    """``sector_dirty_status`` (ef_def.h)."""

    SECTOR_DIRTY_UNUSED = 0
    SECTOR_DIRTY_FALSE = 1
    SECTOR_DIRTY_TRUE = 2
    SECTOR_DIRTY_GC = 3


class EnvStatus(IntEnum):
    """``env_status`` (ef_def.h)."""

    ENV_UNUSED = 0
    ENV_PRE_WRITE = 1
    ENV_WRITE = 2
    ENV_PRE_DELETE = 3
    ENV_DELETED = 4
    ENV_ERR_HDR = 5


#: an entry's status as the JSON documents and messages word it
ENV_STATUS = {0: "unused", 1: "pre-write", 2: "write", 3: "pre-delete", 4: "deleted", 5: "error"}


def _g(gran: int) -> int:
    return max(1, gran // 8)


def _align(n: int, gran: int) -> int:
    g = _g(gran)
    return (n + g - 1) // g * g


class _StatusTable(_Adapter):
    """A status table (``len(enum) - 1`` statuses after the first) as its current status."""

    def __init__(self, enum: type[IntEnum], gran: int) -> None:
        self.enum, self.gran, self.count = enum, gran, len(enum)
        super().__init__(c.Bytes(1 if gran == 1 else (self.count - 1) * _g(gran)))

    def _decode(self, obj: bytes, context: Any, path: str) -> IntEnum:
        k = 0
        for i in range(self.count - 1):
            if (not obj[0] & (0x80 >> i)) if self.gran == 1 else obj[i * _g(self.gran)] == 0:
                k = i + 1
        return self.enum(k)

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        k = int(obj)
        if self.gran == 1:
            return bytes([(0xFF >> k) & 0xFF if k else 0xFF])
        return b"".join((b"\0" if i < k else b"\xff") * _g(self.gran) for i in range(self.count - 1))


def _ff(n: int) -> Con:
    """``n`` reserved bytes, erased (0xFF) unless given."""
    return c.Default(c.Bytes(n), b"\xff" * n)


@functools.cache
def sector_schema(gran: int = 8, magic: bytes = b"EF40") -> Con:
    """The sector header for write granularity ``gran`` (1, 8, 32) and sector ``magic``."""
    store = _StatusTable(SectorStore, gran)
    magic_at = {1: 4, 8: 8, 32: 24}[gran]
    return c.Struct(
        "store" / store,
        "dirty" / _StatusTable(SectorDirty, gran),
        "pad" / _ff(magic_at - 2 * store.sizeof()),
        "magic" / c.Const(magic),
        "combined" / c.Default(c.Int32ul, _FF4),
        "reserved" / c.Default(c.Int32ul, _FF4),
    )


def _entry_body(gran: int) -> Con:
    """An entry from ``name_len`` to its end: the bytes its crc32 covers."""

    def pad(field: str) -> Con:
        def n(ctx: Any) -> int:
            return _align(len(ctx[field]), gran) - len(ctx[field])

        return c.Default(c.Bytes(n), lambda ctx: b"\xff" * n(ctx))

    return c.Struct(
        "name_len" / c.Rebuild(c.Int8ul, c.len_(c.this.name)),
        "reserved" / _ff(3),
        "value_len" / c.Rebuild(c.Int32ul, c.len_(c.this.value)),
        "name" / c.Bytes(c.this.name_len),
        "name_pad" / pad("name"),
        "value" / c.Bytes(c.this.value_len),
        "value_pad" / pad("value"),
        "tail" / c.Default(c.GreedyBytes, b""),
    )


def _body_bytes(ctx: Any, body: Con) -> bytes:
    return bytes(ctx.body["data"]) if "data" in ctx.body else bytes(body.build(ctx.body["value"]))


@functools.cache
def env_schema(gran: int = 8, kv_magic: bool = True) -> Con:
    """One ENV entry for write granularity ``gran``; ``kv_magic`` False for the ECR6600/TR6260 variant."""
    status = _StatusTable(EnvStatus, gran)
    magic_at = (status.sizeof() + 3) & ~3
    body = _entry_body(gran)
    head = magic_at + (4 if kv_magic else 0) + 8  # where the body starts
    return c.Struct(
        "status" / status,
        "pad" / _ff(magic_at - status.sizeof()),
        *((("magic" / c.Const(KV_MAGIC)),) if kv_magic else ()),
        "len" / c.Rebuild(c.Int32ul, lambda ctx: head + len(_body_bytes(ctx, body))),
        "crc32" / c.Rebuild(c.Int32ul, lambda ctx: zlib.crc32(_body_bytes(ctx, body))),
        "body" / c.RawCopy(c.FixedSized(lambda ctx: ctx.len - head, body)),
        StrictCheck(lambda ctx: zlib.crc32(ctx.body.data) == ctx.crc32),
    )


def _offset(schema: Any, name: str) -> int:
    """Offset of field ``name`` in the Struct ``schema``: the sizes of the fields before it."""
    off = 0
    for sc in schema.subcons:
        if sc.name == name:
            return off
        off += sc.sizeof()
    raise KeyError(name)


@functools.cache
def _magic_at(gran: int) -> int:
    return _offset(sector_schema(gran), "magic")


@functools.cache
def _header_size(gran: int, kv_magic: bool = True) -> int:
    """Size of an entry header up to (not including) the name."""
    schema = env_schema(gran, kv_magic)
    return _offset(schema, "body") + _offset(_entry_body(gran), "name")


#: (granularity, offset of the sector magic), bl_iot_sdk's granularity 8 first
_PROBES = tuple((gran, _magic_at(gran)) for gran in (8, 1, 32))


def sector_granularity(data: bytes, off: int = 0) -> tuple[int, bool] | None:
    """(granularity, entries carry ``KV40``) when a sector header starts at ``off``, else None.

    Tests the sector magic where each granularity's schema puts it (8 first: bl_iot_sdk's setting).
    """
    for gran, magic_at in _PROBES:
        at = off + magic_at
        if data[at : at + 4] in SECTOR_MAGICS:
            if gran != 32:
                return gran, True
            # ECR6600/TR6260 variant: no KV40 in entries
            first = off + sector_schema(32).sizeof()
            kv_at = first + _offset(env_schema(32), "magic")
            return gran, data[kv_at : kv_at + 4] == KV_MAGIC or data[first : first + 4] == b"\xff" * 4
    return None


# --------------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True, slots=True)
class EfEntry:
    """One ENV entry of an EasyFlash area (offsets relative to the area)."""

    offset: int
    status: int
    name: str
    length: int
    value_offset: int
    value_len: int
    crc_ok: bool

    @property
    def status_name(self) -> str:
        """The entry status as a word (``unused``, ``pre-write``, ``write``, ``pre-delete``, ``deleted``,
        ``error``), else the number."""
        return ENV_STATUS.get(self.status, str(self.status))


@dataclass(frozen=True, slots=True)
class EfSector:
    """One EasyFlash sector: its offset in the area, its store and dirty statuses (see
    :class:`SectorStore` and :class:`SectorDirty`) and the offset after its last entry (offsets relative
    to the area)."""

    offset: int
    store: int
    dirty: int
    #: offset of the first free byte (after the last entry)
    free: int


def _entries(data: bytes, soff: int, gran: int, kv_magic: bool) -> tuple[list[EfEntry], int]:
    """The entries of the sector at ``soff`` (parsed with :func:`env_schema` until one does not parse)
    and the offset after the last one."""
    schema = env_schema(gran, kv_magic)
    head = _header_size(gran, kv_magic)
    pos, end = soff + sector_schema(gran).sizeof(), soff + SECTOR
    out: list[EfEntry] = []
    while pos + head <= end:
        try:
            e = parse_with(schema, FMT, data[pos:end], base=pos, strict=False)
        except FormatError:
            break
        b = e.body.value
        crc_ok = zlib.crc32(e.body.data) == e.crc32
        name_off = pos + head
        value_off = name_off + len(b.name) + len(b.name_pad)
        out.append(EfEntry(pos, e.status, b.name.decode("latin-1"), e.len, value_off, len(b.value), crc_ok))
        pos += e.len
    return out, pos


@dataclass(frozen=True, slots=True)
class EfArea:
    """An EasyFlash v4 ENV area: its bytes, granularity and the entries found in it."""

    data: bytes
    gran: int
    sectors: tuple[EfSector, ...]
    entries: tuple[EfEntry, ...]
    kv_magic: bool = True
    base: int = 0

    @classmethod
    def parse(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        gran: int | None = None,
        base: int = 0,
        kv_magic: bool | None = None,
    ) -> EfArea:
        """Parse an area (whole sectors). ``gran`` (and ``kv_magic``) are detected from the first sector;
        sectors without a header are skipped."""
        data = bytes(data)
        if len(data) < SECTOR:
            raise TruncatedError(FMT, SECTOR, len(data), offset=base)
        if gran is None:
            found = sector_granularity(data, 0)
            if found is None:
                raise MagicError(
                    FMT, b"EF40", None, offset=base, path="sector.magic", hint="no EasyFlash sector header"
                )
            gran = found[0]
            kv_magic = found[1] if kv_magic is None else kv_magic
        if gran not in GRANULARITIES:
            raise FormatError(f"unsupported EasyFlash granularity {gran}", fmt=FMT, offset=base)
        kv = True if kv_magic is None else kv_magic
        sectors, entries = [], []
        for soff in range(0, len(data) - SECTOR + 1, SECTOR):
            magic = data[soff + _magic_at(gran) : soff + _magic_at(gran) + 4]
            if magic not in SECTOR_MAGICS:
                continue
            h = parse_with(sector_schema(gran, magic), FMT, data[soff : soff + SECTOR], base=base + soff)
            found_entries, free = _entries(data, soff, gran, kv)
            entries += found_entries
            sectors.append(EfSector(soff, h.store, h.dirty, free))
        if not sectors:
            raise MagicError(FMT, b"EF40", None, offset=base, path="sector.magic")
        return cls(data, gran, tuple(sectors), tuple(entries), kv, base)

    def value(self, entry: EfEntry) -> bytes:
        """The value bytes of ``entry``."""
        return self.data[entry.value_offset : entry.value_offset + entry.value_len]

    def lookup(self, name: str) -> EfEntry | None:
        """The live entry, the way ``ef_get_env_blob`` finds it: first WRITE entry with a good CRC."""
        for e in self.entries:
            if e.name == name and e.status == EnvStatus.ENV_WRITE and e.crc_ok:
                return e
        return None

    def copies(self, name: str) -> list[EfEntry]:
        """Every entry named ``name``, whatever its status or CRC, in area order."""
        return [e for e in self.entries if e.name == name]

    def build(self) -> bytes:
        """The area bytes (``data``, unchanged)."""
        return self.data


def parse_easyflash(
    data: bytes | bytearray | memoryview,
    *,
    gran: int | None = None,
    base: int = 0,
    kv_magic: bool | None = None,
) -> EfArea:
    """Parse an EasyFlash v4 ENV area (whole sectors): :meth:`EfArea.parse`."""
    return EfArea.parse(data, gran=gran, base=base, kv_magic=kv_magic)


# --------------------------------------------------------------------------------------------------
# writing: what ef_set_env_blob and garbage collection leave behind


def _status(enum: type[IntEnum], gran: int, status: int) -> bytes:
    return bytes(_StatusTable(enum, gran).build(status))


def _entry(area: EfArea, name: str, value: bytes) -> bytes:
    obj = {"status": EnvStatus.ENV_WRITE, "body": {"value": {"name": name.encode("latin-1"), "value": value}}}
    return build_with(env_schema(area.gran, area.kv_magic), FMT, obj)


def _target(area: EfArea, length: int) -> EfSector:
    empties = [s for s in area.sectors if s.store <= SectorStore.SECTOR_STORE_EMPTY]
    using = SectorStore.SECTOR_STORE_USING
    target = next(
        (s for s in area.sectors if s.store == using and s.free + length <= s.offset + SECTOR), None
    )
    if target is None and len(empties) > 1:  # EasyFlash keeps one empty sector for garbage collection
        target = empties[0]
    if target is None:
        raise BuildError(
            f"no room for a {length}-byte entry in the EasyFlash area (garbage collection is not "
            "implemented; erase the area or free space on the device)",
            fmt=FMT,
            offset=area.base,
        )
    return target


def ef_set(area: EfArea, name: str, value: bytes) -> EfArea:
    """Write ``name = value`` as a new live entry, the way EasyFlash's ``ef_set_env_blob`` ends up.

    The old live copy (if any) is marked DELETED and its sector DIRTY; the new entry goes to the
    first USING sector with room, else the first EMPTY sector (marked USING). EasyFlash keeps one
    empty sector for garbage collection; when that would be needed this raises :class:`BuildError`
    (garbage collection is not implemented).
    """
    gran, buf = area.gran, bytearray(area.data)
    entry = _entry(area, name, value)
    target = _target(area, len(entry))
    if any(b != 0xFF for b in buf[target.free : target.free + len(entry)]):
        raise BuildError(
            "free space of the EasyFlash sector is not erased", fmt=FMT, offset=area.base + target.free
        )
    old = area.lookup(name)
    buf[target.free : target.free + len(entry)] = entry
    if target.store <= SectorStore.SECTOR_STORE_EMPTY:
        table = _status(SectorStore, gran, SectorStore.SECTOR_STORE_USING)
        buf[target.offset : target.offset + len(table)] = table
    if old is not None:
        table = _status(EnvStatus, gran, EnvStatus.ENV_DELETED)
        buf[old.offset : old.offset + len(table)] = table
        sec = next(s for s in area.sectors if s.offset == old.offset // SECTOR * SECTOR)
        if sec.dirty < SectorDirty.SECTOR_DIRTY_TRUE:
            table = _status(SectorDirty, gran, SectorDirty.SECTOR_DIRTY_TRUE)
            at = sec.offset + _offset(sector_schema(gran), "dirty")
            buf[at : at + len(table)] = table
    return EfArea.parse(bytes(buf), gran=gran, base=area.base, kv_magic=area.kv_magic)


def ef_format(
    size: int, *, gran: int = 8, kv_magic: bool = True, magic: bytes = b"EF40", base: int = 0
) -> EfArea:
    """A freshly formatted, empty EasyFlash area of ``size`` bytes (every sector EMPTY, not dirty)."""
    if size < 2 * SECTOR or size % SECTOR:
        raise BuildError(f"an EasyFlash area needs at least 2 whole sectors, not {size:#x} bytes", fmt=FMT)
    if gran not in GRANULARITIES:
        raise BuildError(f"unsupported EasyFlash granularity {gran}", fmt=FMT)
    obj = {"store": SectorStore.SECTOR_STORE_EMPTY, "dirty": SectorDirty.SECTOR_DIRTY_FALSE}
    header = build_with(sector_schema(gran, magic), FMT, obj)
    sector = header + b"\xff" * (SECTOR - len(header))
    return EfArea.parse(sector * (size // SECTOR), gran=gran, base=base, kv_magic=kv_magic)


def ef_compact(area: EfArea, *, drop: tuple[str, ...] = ()) -> EfArea:
    """The area rewritten with only its live entries (minus ``drop``), packed from the first sector.

    This is the end state of EasyFlash garbage collection: every sector re-formatted (store EMPTY,
    dirty FALSE), live entries copied in order, sectors holding entries marked USING. It is used
    when a new entry does not fit; the entry order and sectors differ from what the device's own
    GC would produce, but ``ef_get_env_blob`` returns the same values.
    """
    gran = area.gran
    live, seen = [], set()
    for e in area.entries:
        if e.status == EnvStatus.ENV_WRITE and e.crc_ok and e.name not in seen and e.name not in drop:
            seen.add(e.name)
            live.append(area.data[e.offset : e.offset + e.length])
    at = area.sectors[0].offset + _magic_at(gran)
    magic = area.data[at : at + 4]
    buf = bytearray(ef_format(len(area.data), gran=gran, kv_magic=area.kv_magic, magic=magic).data)
    sectors = list(range(0, len(buf), SECTOR))
    first, using = sector_schema(gran).sizeof(), _status(SectorStore, gran, SectorStore.SECTOR_STORE_USING)
    idx, pos = 0, first
    for raw in live:
        while pos + len(raw) > sectors[idx] + SECTOR:
            idx += 1
            if idx >= len(sectors) - 1:  # keep one empty sector, as EasyFlash does
                raise BuildError(
                    "the live EasyFlash entries do not fit in the area", fmt=FMT, offset=area.base
                )
            pos = sectors[idx] + first
        buf[pos : pos + len(raw)] = raw
        pos += len(raw)
        buf[sectors[idx] : sectors[idx] + len(using)] = using
    return EfArea.parse(bytes(buf), gran=gran, base=area.base, kv_magic=area.kv_magic)


def ef_put(area: EfArea, name: str, value: bytes) -> tuple[EfArea, bool]:
    """:func:`ef_set`, compacting the area first (:func:`ef_compact`) when the entry does not fit.

    Returns the new area and whether it had to be compacted.
    """
    try:
        return ef_set(area, name, value), False
    except BuildError as e:
        if "no room" not in e.message:
            raise
    return ef_set(ef_compact(area, drop=(name,)), name, value), True


# --------------------------------------------------------------------------------------------------

FORMAT = FormatInfo(
    id=FMT,
    name="EasyFlash v4 ENV area",
    family="openbeken",
    description="armink EasyFlash v4 key/value area (granularity 1, 8 or 32; sector magic EF40, entries KV40 "
    "with CRC-32) in which BL602, Realtek, XRadio... OpenBeken builds keep their config.",
    references=("armink/EasyFlash easyflash/src/ef_env.c, easyflash/inc/ef_def.h",),
    limitations=(
        "garbage collection is not implemented",
        "the ECR6600/TR6260 variant is implemented from source only",
    ),
)


def detect(data: bytes) -> Detection | None:
    """An EasyFlash sector header at offset 0 (the magic where a granularity's schema puts it)."""
    try:
        found = sector_granularity(data, 0)
    except Exception:  # noqa: BLE001 - detect never raises
        return None
    if found is None:
        return None
    return Detection(FMT, 50, f"EasyFlash sector header (granularity {found[0]})", length=len(data))
