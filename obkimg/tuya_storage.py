"""Find and read Tuya KV storages: the sector scan, the live blocks, the reassembled values.

The workflow between the on-flash layouts of :mod:`obkimg.formats.config.tuya_kv` and the decoded
keys of :mod:`obkimg.tuya` (spec A2, A5, A6, A12):

- :func:`locate`: every storage in a dump, region read or bare storage, cheaply. A sector scan
  decrypts the first cipher block of every sector with the master key (key and protected blocks), the
  byte search for ``SEARCH_MAGIC`` finds the sector grid of dumps that are not sector aligned, then the
  base-key candidates are tried on the first cipher block of every sector near the key block.
- :func:`read_storage`: decrypt and validate every data block found, keep the highest generation of
  each block id, walk the index pages of the live blocks and reassemble every value (sum32 checked),
  read the protected block(s) and cross-check them against the KV values. Damage is reported as
  :class:`~obkimg.errors.Problem`, never silently dropped.
- :func:`build_storage`: a fresh encrypted storage holding given values (tests, demo dumps).

Bounds (a crafted storage must cost what its bytes cost): data blocks are searched within
:data:`DATA_WINDOW` of at most :data:`MAX_STORAGES` key blocks; a value may not be longer than the value
pages of the live blocks, and all values together not more than twice that (:class:`LimitError`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import field
from typing import Any

from ._construct import parse_with
from ._record import dataclass
from .codecs.checksums import sum32
from .errors import BuildError, LimitError, NotFoundError, ObkImgError, Problem, Severity
from .formats.config import tuya_kv as kv
from .formats.config.tuya_kv import (
    BASE_KEYS,
    FMT,
    MASTER_KEY,
    PAGE_SIZE,
    PAGES,
    SECTOR_SIZE,
    DataBlock,
    IndexEntry,
    KeyBlock,
    Part,
    ProtectedBlock,
    decrypt,
    derive_data_key,
)
from .model import Region

__all__ = [
    "USUAL_KEY_OFFSETS",
    "USUAL_AREA",
    "DATA_WINDOW",
    "MAX_STORAGES",
    "StorageLocation",
    "Entry",
    "BlockState",
    "TuyaStorage",
    "locate",
    "read_storage",
    "build_storage",
]

#: usual key-block offsets (TuyaConfig.cs ``USUAL_*_MAGIC_POSITION``, spec A1)
USUAL_KEY_OFFSETS: dict[int, tuple[str, ...]] = {
    0x1EE000: ("BK7231T", "BK7231N"),
    0x1DD000: ("BK7231T",),
    0x1F5000: ("BK7238", "XR806"),
    0x1EB000: ("RTL8710B", "XR809", "RDA5981"),
    0x1D5000: ("RTL87X0C", "ECR6600"),
    0x3B6000: ("RTL8720D",),
    0x3D0000: ("BK7236",),
    0x7DD000: ("BK7258",),
    0x1EC000: ("LN882H",),
    0x1E7000: ("LN8825",),
    0xD2000: ("TR6260",),
    0x1C0000: ("W800",),
    0x377000: ("RTL8720CM",),
    0x397000: ("BK7252",),
    0x7D7000: ("WRG1",),
    0x7B000: ("ESP8266",),
}
#: the data area spans at most this much after the key block on BK7231 (14 data + 3 swap blocks);
#: other chips use more (BK7252U: 24 sectors), so blocks found further on are accepted too
USUAL_AREA = 0x12000
#: data blocks are searched this far before and after a key (or protected) block: real storages put
#: them 1..24 sectors after the key block and protected copies up to 31 sectors before it; the bound
#: keeps the search linear when a file holds thousands of key blocks
DATA_WINDOW = 0x80000
#: at most this many distinct device keys are tried (real dumps hold one storage, rarely two)
MAX_STORAGES = 64
#: where SEARCH_MAGIC (the encrypted 0xFF fill) starts to repeat in a key block
SEARCH_AT = 0x20

#: the magics as stored, from the schemas (a cheap pre-test on the first cipher block of each sector)
_KEY_MAGIC = kv.KEY_BLOCK.magic.build(None)
_DATA_MAGICS = {kv.DATA_BLOCK.magic.build(m): m for m in kv.DATA_MAGICS}
#: the start of a key block's fill (a protected block holds its data length and reserved word there)
_ERASED = b"\xff" * 8


@dataclass(frozen=True, slots=True)
class StorageLocation:
    """Where one storage is: found cheaply (first cipher block of every sector only)."""

    key_offset: int
    device_key: bytes = field(repr=False)
    key_variant: str | None  # None: no data block decrypts with any base key
    data_magic: int | None
    block_offsets: tuple[int, ...]  # sectors whose first 16 bytes decrypt to a data magic
    protected_offsets: tuple[int, ...]
    #: offset of the sector grid (0 for sector-aligned dumps)
    phase: int = 0
    #: True when the device key comes from a protected block (key block missing or damaged)
    key_from_protected: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def start(self) -> int:
        """The key block, or the protected block right before it (other protected copies, such as
        0x1CF000 on some BK7231N firmwares, are separate regions)."""
        if self.key_offset - SECTOR_SIZE in self.protected_offsets:
            return self.key_offset - SECTOR_SIZE
        return self.key_offset

    @property
    def end(self) -> int:
        """Offset just past the last sector of this storage (key, data or protected block)."""
        return max((self.key_offset, *self.block_offsets, *self.protected_offsets)) + SECTOR_SIZE

    @property
    def data_key(self) -> bytes | None:
        """The data key D from the device key and the base key of ``key_variant``; None when no base key
        decrypts a data block."""
        if self.key_variant is None:
            return None
        return derive_data_key(self.device_key, dict(BASE_KEYS)[self.key_variant])

    def regions(self) -> list[Region]:
        """Regions for a dump model: protected block(s), key block, data area."""
        out = [
            Region("tuya-protected", off, SECTOR_SIZE, "tuya-kv", "valid") for off in self.protected_offsets
        ]
        if not self.key_from_protected:
            variant: dict[str, Any] = {"key_variant": self.key_variant}
            out.append(
                Region("tuya-kv-key", self.key_offset, SECTOR_SIZE, "tuya-kv", "valid", detail=variant)
            )
        if self.block_offsets:
            lo = min(self.block_offsets)
            hi = max(self.block_offsets) + SECTOR_SIZE
            count: dict[str, Any] = {"blocks": len(self.block_offsets)}
            out.append(Region("tuya-kv-data", lo, hi - lo, "tuya-kv", "valid", detail=count))
        return sorted(out, key=lambda r: r.offset)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``key_offset``, ``key_variant``, ``protected_offsets``, ``block_count``, ``start``,
        ``end`` and ``phase`` (offsets in the input); the device key is left out."""
        return {
            "key_offset": self.key_offset,
            "key_variant": self.key_variant,
            "protected_offsets": list(self.protected_offsets),
            "block_count": len(self.block_offsets),
            "start": self.start,
            "end": self.end,
            "phase": self.phase,
        }


def _note(out: list[Problem], severity: Severity, message: str, offset: int | None) -> None:
    out.append(Problem(severity, message, offset, FMT))


# --------------------------------------------------------------------------------------------------
# locating

_Scan = tuple[list[int], bytes, list[KeyBlock], list[tuple[int, bytes]], list[Problem]]


def _grid(data: bytes, phase: int) -> tuple[list[int], bytes]:
    starts = list(range(phase, len(data) - SECTOR_SIZE + 1, SECTOR_SIZE))
    return starts, b"".join([data[o : o + 16] for o in starts])


def _block_starts(plain: bytes, magic: bytes) -> list[int]:
    """Indexes of the 16-byte blocks of ``plain`` that start with ``magic``: a byte search, instead of
    a comparison per block (the same list: a hit counts only at a block start)."""
    found = []
    pos = plain.find(magic)
    while pos >= 0:
        if pos % 16 == 0:
            found.append(pos // 16)
        pos = plain.find(magic, pos + 1)
    return found


def _scan_grid(data: bytes, phase: int) -> _Scan:
    """Sector scan on one grid: key blocks, protected blocks (offset, device key), damaged ones."""
    starts, heads = _grid(data, phase)
    keys: list[KeyBlock] = []
    prot: list[tuple[int, bytes]] = []
    problems: list[Problem] = []
    if not heads:
        return starts, heads, keys, prot, problems
    plain_heads = decrypt(MASTER_KEY, heads)
    hits = [starts[i] for i in _block_starts(plain_heads, _KEY_MAGIC)]
    plain = decrypt(MASTER_KEY, b"".join(data[o : o + SECTOR_SIZE] for o in hits)) if hits else b""
    for n, off in enumerate(hits):
        s = plain[n * SECTOR_SIZE : (n + 1) * SECTOR_SIZE]
        kb = parse_with(kv.KEY_BLOCK, FMT, s, base=off, strict=False)
        if kb.checksum_ok and kb.fill.startswith(_ERASED):
            keys.append(KeyBlock(off, bytes(kb.device_key), bytes(kb.fill)))
            continue
        pb = parse_with(kv.PROTECTED_BLOCK, FMT, s, base=off, strict=False)
        if pb.checksum_ok:
            prot.append((off, bytes(pb.body.value.device_key)))
        else:
            msg = (
                "sector has the key-block magic but neither the key-block "
                "nor the protected-block checksum matches (damaged)"
            )
            _note(problems, "warning", msg, off)
    return starts, heads, keys, prot, problems


def locate(data: bytes) -> list[StorageLocation]:
    """Every Tuya KV storage in ``data`` (a dump, a region read, a bare storage). Cheap, never raises.

    Sector scan for key/protected blocks (master key, first cipher block of each sector), the
    byte search for ``SEARCH_MAGIC`` as a fallback for dumps that are not sector aligned, then
    the base-key candidates of spec A3 tried on the first cipher block of every sector.
    """
    try:
        return _locate(bytes(data))
    except ObkImgError:
        return []


def _find_data_blocks(
    device_key: bytes, heads: bytes, starts: list[int], lo_i: int, hi_i: int
) -> tuple[str | None, int | None, tuple[int, ...]]:
    """(base-key name, data magic, offsets) of the sectors ``lo_i..hi_i`` whose first cipher block
    decrypts to a data magic under the first base key that gives any (spec A12.2: a wrong key matches
    a 32-bit magic by chance once in 2**32 sectors)."""
    window = heads[16 * lo_i : 16 * hi_i]
    if not window:
        return None, None, ()
    for name, base in BASE_KEYS:
        plain = decrypt(derive_data_key(device_key, base), window)
        found: list[tuple[int, bytes]] = []
        for m in _DATA_MAGICS:
            pos = plain.find(m)
            while pos >= 0:
                if pos % 16 == 0:
                    found.append((lo_i + pos // 16, m))
                pos = plain.find(m, pos + 1)
        if found:
            found.sort()
            magics = [m for _, m in found]
            return name, _DATA_MAGICS[max(set(magics), key=magics.count)], tuple(starts[i] for i, _ in found)
    return None, None, ()


def _scan(data: bytes) -> tuple[int, _Scan]:
    """The sector scan on the 0 grid, else on the grid the byte search for SEARCH_MAGIC gives."""
    found = _scan_grid(data, 0)
    if found[2]:
        return 0, found
    pos = data.find(kv.SEARCH_MAGIC)
    while pos != -1 and pos < SEARCH_AT:
        pos = data.find(kv.SEARCH_MAGIC, pos + 1)
    if pos != -1 and (pos - SEARCH_AT) % SECTOR_SIZE:
        phase = (pos - SEARCH_AT) % SECTOR_SIZE
        starts, heads, keys, prot, problems = _scan_grid(data, phase)
        if keys or prot:
            return phase, (starts, heads, keys, prot, found[4] + problems)
    return 0, found


def _candidates(
    keys: list[KeyBlock], prot: list[tuple[int, bytes]], problems: list[Problem]
) -> list[tuple[int, bytes, bool]]:
    """One candidate per distinct device key: key blocks first, then keys only a protected block has;
    at most MAX_STORAGES."""
    cands: list[tuple[int, bytes, bool]] = []
    seen: set[bytes] = set()
    for kb in keys:
        if kb.device_key in seen:
            problems.append(Problem("info", "another key block with the same device key", kb.offset, FMT))
            continue
        seen.add(kb.device_key)
        cands.append((kb.offset, kb.device_key, False))
    for off, k in prot:
        if k not in seen:
            seen.add(k)
            cands.append((off, k, True))
    if len(cands) > MAX_STORAGES:
        msg = (
            f"{len(cands)} key and protected blocks with distinct device "
            f"keys; only the first {MAX_STORAGES} were searched for data blocks"
        )
        _note(problems, "warning", msg, cands[MAX_STORAGES][0])
        del cands[MAX_STORAGES:]
    return cands


def _locate(data: bytes) -> list[StorageLocation]:
    phase, (starts, heads, keys, prot, problems) = _scan(data)
    cands = _candidates(keys, prot, problems)
    prot_by_key: dict[bytes, list[int]] = {}
    for o, k in prot:
        prot_by_key.setdefault(k, []).append(o)
    problems.sort(key=lambda p: -1 if p.offset is None else p.offset)
    where = [-1 if p.offset is None else p.offset for p in problems]
    out = []
    for off, k, from_prot in cands:
        # data blocks are searched near their key block only, so many key blocks cost linear time
        lo_i = max(0, (off - DATA_WINDOW - phase) // SECTOR_SIZE)
        hi_i = min(len(starts), max(0, (off + DATA_WINDOW - phase) // SECTOR_SIZE + 1))
        name, magic, offsets = _find_data_blocks(k, heads, starts, lo_i, hi_i)
        probs = problems[bisect_left(where, off - DATA_WINDOW) : bisect_left(where, off + DATA_WINDOW)]
        if from_prot:
            msg = "no valid key block for this storage: the device key was taken from the protected block"
            _note(probs, "warning", msg, off)
        p_offs = tuple(prot_by_key.get(k, ()))
        out.append(StorageLocation(off, k, name, magic, offsets, p_offs, phase, from_prot, tuple(probs)))
    # the storage with most data blocks first
    out.sort(key=lambda loc: -len(loc.block_offsets))
    return out


# --------------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True, slots=True, repr=False)
class Entry:
    """One reassembled value: its index, its raw bytes and where they came from."""

    name: str
    value: bytes
    index: IndexEntry
    block_offset: int  # absolute offset of the block holding the index page
    page: int  # page of the index in that block
    checksum_ok: bool

    def __repr__(self) -> str:  # values hold user secrets: never in a repr
        return f"Entry({self.name!r}, {len(self.value)} bytes, block {self.index.block_id} page {self.page})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form without the value: name, length (bytes), block_id, page, block_offset, element, parts
        (``[block_id, first_page, last_page]``), checksum_ok."""
        return {
            "name": self.name,
            "length": len(self.value),
            "block_id": self.index.block_id,
            "page": self.page,
            "block_offset": self.block_offset,
            "element": self.index.element,
            "parts": [[p.block_id, p.first_page, p.last_page] for p in self.index.parts],
            "checksum_ok": self.checksum_ok,
        }


@dataclass(frozen=True, slots=True)
class BlockState:
    """One data block found: where, which id and generation, ``live``, ``superseded`` or
    ``bad-checksum`` (id and generation None), and how many index pages it has."""

    offset: int
    block_id: int | None
    generation: int | None
    state: str
    index_pages: int

    def to_dict(self) -> dict[str, Any]:
        """``offset``, ``block_id``, ``generation``, ``state`` and ``index_pages`` (a count)."""
        return {
            "offset": self.offset,
            "block_id": self.block_id,
            "generation": self.generation,
            "state": self.state,
            "index_pages": self.index_pages,
        }


@dataclass(frozen=True, slots=True, repr=False)
class TuyaStorage:
    """A read storage: live blocks chosen by generation, reassembled raw values, findings."""

    location: StorageLocation
    size: int  # size of the input it was read from
    blocks: tuple[DataBlock, ...]  # every valid data/swap block, physical order
    live: tuple[DataBlock, ...]  # the live copy of each block id, by id
    entries: tuple[Entry, ...]  # one per key name (duplicates resolved)
    protected: tuple[ProtectedBlock, ...]
    bad_offsets: tuple[int, ...]  # sectors with a data magic but a bad checksum
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        return (
            f"TuyaStorage(key block at {self.location.key_offset:#x}, {len(self.blocks)} blocks, "
            f"{len(self.entries)} values, {len(self.problems)} problems)"
        )

    @property
    def raw_values(self) -> dict[str, bytes]:
        """Every value by key name, raw bytes as stored (not decoded, secrets included)."""
        return {e.name: e.value for e in self.entries}

    @property
    def key_offset(self) -> int:
        """Offset of the key block (``location.key_offset``)."""
        return self.location.key_offset

    def block_states(self) -> list[BlockState]:
        """One :class:`BlockState` per data block found, sorted by offset."""
        live = {b.offset for b in self.live}
        rows = [
            BlockState(
                b.offset,
                b.block_id,
                b.generation,
                "live" if b.offset in live else "superseded",
                len(b.index_pages),
            )
            for b in self.blocks
        ]
        rows += [BlockState(o, None, None, "bad-checksum", 0) for o in self.bad_offsets]
        return sorted(rows, key=lambda r: r.offset)

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The storage as JSON: location and key variant, block counts, :meth:`block_states`, entries
        (:meth:`Entry.to_dict`, no values) and protected record names. The device key is masked unless
        ``show_secrets`` (the default shows it)."""
        from .model import Secret, jsonable

        loc = self.location
        live_ids = {b.block_id for b in self.live}
        doc: dict[str, Any] = jsonable(
            {
                "key_offset": loc.key_offset,
                "key_from_protected": loc.key_from_protected,
                "device_key": Secret(loc.device_key.hex()),
                "key_variant": loc.key_variant,
                "data_magic": loc.data_magic,
                "phase": loc.phase,
                "protected_offsets": list(loc.protected_offsets),
                "data_start": min((b.offset for b in self.blocks), default=None),
                "data_end": max((b.offset + SECTOR_SIZE for b in self.blocks), default=None),
                "start": loc.start,
                "end": loc.end,
                "block_count": len(self.blocks),
                "live_block_count": len(live_ids),
                "swap_copies": len(self.blocks) - len(self.live),
                "bad_blocks": list(self.bad_offsets),
                "blocks": [s.to_dict() for s in self.block_states()],
                "entries": [e.to_dict() for e in self.entries],
                "protected": [_protected_dict(p) for p in self.protected],
                "usual_for": list(USUAL_KEY_OFFSETS.get(loc.key_offset, ())),
            },
            show_secrets=show_secrets,
        )
        return doc


def _protected_dict(p: ProtectedBlock) -> dict[str, Any]:
    return {
        "offset": p.offset,
        "reserved": p.reserved,
        "data_length": p.data_length,
        "records": [r.name for r in p.records],
    }


def read_storage(data: bytes, location: StorageLocation | None = None) -> TuyaStorage:
    """Read the storage at ``location`` (default: the best one :func:`locate` finds).

    Raises :class:`NotFoundError` when there is no storage at all; everything else (bad or erased
    sectors, broken index pages, value checksum mismatches) is reported in ``problems``.
    """
    data = bytes(data)
    if location is None:
        found = _locate(data)
        if not found:
            raise NotFoundError(
                "no Tuya KV storage (no key block, protected block or key-block search magic) in the input",
                fmt=FMT,
                hint="the storage lives near the end of the flash, e.g. 0x1EE000 on BK7231",
            )
        location = found[0]
    problems: list[Problem] = list(location.problems)
    blocks, bad = _read_blocks(data, location, problems)
    _report_area(data, location, blocks, bad, problems)
    live = _choose_live(blocks, problems)
    entries = _walk(live, problems)
    protected = _read_protected(data, location, problems)
    _cross_check(entries, protected, problems)
    return TuyaStorage(
        location,
        len(data),
        tuple(blocks),
        tuple(live),
        tuple(entries),
        tuple(protected),
        tuple(bad),
        tuple(problems),
    )


def _read_blocks(
    data: bytes, location: StorageLocation, problems: list[Problem]
) -> tuple[list[DataBlock], list[int]]:
    """Decrypt and parse every data block the locator found: (valid blocks, offsets of bad ones)."""
    dkey = location.data_key
    blocks: list[DataBlock] = []
    bad: list[int] = []
    if dkey is None:
        msg = (
            "no data block decrypts with the device key and any known base key "
            "(storage empty, erased or of an unknown variant)"
        )
        _note(problems, "error", msg, location.key_offset)
        return blocks, bad
    offs = location.block_offsets
    plain = decrypt(dkey, b"".join(data[o : o + SECTOR_SIZE] for o in offs)) if offs else b""
    for n, off in enumerate(offs):
        s = plain[n * SECTOR_SIZE : (n + 1) * SECTOR_SIZE]
        try:
            blocks.append(DataBlock.parse(s, offset=off))
        except ObkImgError as e:
            bad.append(off)
            problems.append(Problem("warning", f"data block ({_ident(s)}) skipped: {e.message}", off, FMT))
    return blocks, bad


def _ident(plain: bytes) -> str:
    """``id N, generation G`` of a data block that failed its checks (lenient parse)."""
    try:
        b = DataBlock.parse(plain, strict=False)
    except ObkImgError:
        return "unreadable header"
    return f"id {b.block_id}, generation {b.generation}"


def _report_area(
    data: bytes, loc: StorageLocation, blocks: list[DataBlock], bad: list[int], problems: list[Problem]
) -> None:
    """Report sectors of the data area that hold no data block (erased or foreign)."""
    if loc.key_from_protected:
        return
    used = {b.offset for b in blocks} | set(bad)
    end = min(loc.key_offset + USUAL_AREA, len(data) - (len(data) - loc.phase) % SECTOR_SIZE)
    end = max([end] + [o + SECTOR_SIZE for o in used])
    for off in range(loc.key_offset + SECTOR_SIZE, end, SECTOR_SIZE):
        if off in used:
            continue
        sector = data[off : off + SECTOR_SIZE]
        if sector.count(0xFF) == len(sector):
            problems.append(Problem("info", "erased sector in the KV data area", off, FMT))
        else:
            problems.append(
                Problem("warning", "sector in the KV data area is not a data block of this storage", off, FMT)
            )


def _choose_live(blocks: list[DataBlock], problems: list[Problem]) -> list[DataBlock]:
    """The highest generation of each block id wins (spec A5); ties keep the first physical copy."""
    by_id: dict[int, list[DataBlock]] = {}
    for b in blocks:
        by_id.setdefault(b.block_id, []).append(b)
    live = []
    for bid in sorted(by_id):
        copies = sorted(by_id[bid], key=lambda b: (-b.generation, b.offset))
        winner = copies[0]
        live.append(winner)
        for other in copies[1:]:
            if other.generation == winner.generation:
                msg = (
                    f"two copies of block {bid} with the same generation "
                    f"{other.generation}; kept the one at {winner.offset:#x}"
                )
                _note(problems, "warning", msg, other.offset)
            else:
                msg = (
                    f"older copy of block {bid} (generation {other.generation}) "
                    f"superseded by the copy at {winner.offset:#x} (generation "
                    f"{winner.generation})"
                )
                _note(problems, "info", msg, other.offset)
    return live


@dataclass(slots=True)
class _Area:
    """What the walk over the index pages reads from: the live blocks, and the byte budget left."""

    blocks: dict[int, DataBlock]
    index_sets: dict[int, frozenset[int]]
    #: value bytes of the live blocks (the longest a value may be)
    size: int
    #: bytes the values may still take (twice the area in all)
    remaining: int


def _walk(live: list[DataBlock], problems: list[Problem]) -> list[Entry]:
    """Index pages of the live blocks -> values (spec A6).

    Bounded by the storage: a value may not be longer than the value pages of the live blocks (the
    "area"), and the values together may not exceed twice the area (real storages never share pages
    between values; the slack covers duplicate index pages). Past that, :class:`LimitError`.
    """
    size = len(live) * (PAGES - 1) * PAGE_SIZE
    area = _Area(
        {b.block_id: b for b in live}, {b.block_id: frozenset(b.index_pages) for b in live}, size, 2 * size
    )
    found: dict[str, Entry] = {}
    for b in live:
        if b.bitmap and b.bitmap[0] & 1:
            _note(
                problems, "warning", f"block {b.block_id}: bitmap marks the header page as an index", b.offset
            )
        for p in sorted(area.index_sets[b.block_id]):
            entry = _read_index(area, b, p, problems)
            if entry is not None:
                _add_entry(found, entry, b.block_id, problems)
    return list(found.values())


def _read_index(area: _Area, b: DataBlock, p: int, problems: list[Problem]) -> Entry | None:
    """The value the index page ``p`` of block ``b`` describes; None (and a problem) when unreadable."""
    where = b.offset + p * PAGE_SIZE
    try:
        idx = IndexEntry.parse(b.page(p), offset=where)
    except ObkImgError as e:
        _note(problems, "error", f"block {b.block_id} page {p}: unreadable index page: {e.message}", where)
        return None
    name = idx.name
    if idx.block_id != b.block_id or idx.page_id != p:
        msg = (
            f"index {name!r}: stored block/page {idx.block_id}/{idx.page_id} but found in block {b.block_id}"
        )
        msg += f" page {p}"
        _note(problems, "error", msg, where)
    live = len(area.blocks)
    if idx.length > area.size:
        msg = (
            f"value {name!r}: {idx.length} bytes announced, more than "
            f"the {area.size} value bytes of the storage's {live} live blocks; "
            "value dropped"
        )
        _note(problems, "error", msg, where)
        return None
    if idx.length > area.remaining:
        raise LimitError(
            f"the values add up to more than {2 * area.size} bytes, twice the {area.size} value "
            f"bytes of the storage's {live} live blocks (pages shared between "
            f"values); refusing to read further than value {name!r}",
            fmt=FMT,
            offset=where,
            path="index.parts",
        )
    value = _assemble(name, idx, area.blocks, area.index_sets, where, problems)
    if value is None:
        return None
    area.remaining -= len(value)
    return Entry(name, value, idx, b.offset, p, sum32(value) == idx.checksum)


def _add_entry(found: dict[str, Entry], entry: Entry, block_id: int, problems: list[Problem]) -> None:
    """Record ``entry``; a second live index of the same name keeps the one whose checksum matches."""
    name, idx, where = entry.name, entry.index, entry.block_offset + entry.page * PAGE_SIZE
    if not entry.checksum_ok:
        msg = f"value {name!r}: sum32 {sum32(entry.value):#x} does not match the index ({idx.checksum:#x})"
        _note(problems, "error", msg, where)
    prev = found.get(name)
    if prev is None:
        found[name] = entry
        return
    keep = prev if prev.checksum_ok or not entry.checksum_ok else entry
    found[name] = keep
    msg = (
        f"duplicate index for {name!r} in live blocks (block "
        f"{prev.index.block_id} page {prev.page} and block {block_id} "
        f"page {entry.page}); kept block {keep.index.block_id} page {keep.page}"
    )
    _note(problems, "warning", msg, where)


def _assemble(
    name: str,
    idx: IndexEntry,
    blocks: dict[int, DataBlock],
    index_sets: dict[int, frozenset[int]],
    where: int,
    problems: list[Problem],
) -> bytes | None:
    """The value of ``idx``, assembled once: pages are copied until ``idx.length`` bytes are there."""
    value = bytearray()
    for part in idx.parts:
        blk = blocks.get(part.block_id)
        if blk is None:
            msg = f"value {name!r}: part in block {part.block_id}, which has no valid copy; value dropped"
            _note(problems, "error", msg, where)
            return None
        if not 1 <= part.first_page <= part.last_page < PAGES:
            msg = (
                f"value {name!r}: bad page range "
                f"{part.first_page}..{part.last_page} in block {part.block_id}; "
                "value dropped"
            )
            _note(problems, "error", msg, where)
            return None
        pages = range(part.first_page, part.last_page + 1)
        if not index_sets[part.block_id].isdisjoint(pages):
            msg = f"value {name!r}: a part overlaps an index page of block {part.block_id}"
            _note(problems, "warning", msg, where)
        for pg in pages:
            if len(value) < idx.length:
                value += blk.pages[pg - 1][: idx.length - len(value)]
    if len(value) < idx.length:
        msg = f"value {name!r}: {idx.length} bytes announced, its parts hold only {len(value)}; value dropped"
        _note(problems, "error", msg, where)
        return None
    return bytes(value)


def _read_protected(data: bytes, loc: StorageLocation, problems: list[Problem]) -> list[ProtectedBlock]:
    out = []
    base = dict(BASE_KEYS)[loc.key_variant] if loc.key_variant else BASE_KEYS[0][1]
    for off in loc.protected_offsets:
        try:
            outer = decrypt(MASTER_KEY, data[off : off + SECTOR_SIZE])
            out.append(ProtectedBlock.parse(outer, offset=off, base=base))
        except ObkImgError as e:
            problems.append(Problem("warning", f"protected block unreadable: {e.message}", off, FMT))
    return out


def _cross_check(entries: list[Entry], protected: list[ProtectedBlock], problems: list[Problem]) -> None:
    """Compare the protected block's records with the KV values (spec A12.7: KV is preferred)."""
    kv = {e.name: e.value for e in entries}
    for pb in protected:
        for r in pb.records:
            if r.name not in kv:
                msg = (
                    f"protected block holds {r.name!r}, which the KV storage "
                    "lacks; the protected copy is used"
                )
                _note(problems, "warning", msg, pb.offset)
            elif kv[r.name] != r.value:
                msg = f"protected copy of {r.name!r} differs from the KV value (the KV value is used)"
                _note(problems, "warning", msg, pb.offset)


# --------------------------------------------------------------------------------------------------
# building


def build_storage(
    values: dict[str, bytes], *, device_key: bytes, variant: str = "8710+common", element: int = 0x410000
) -> bytes:
    """A fresh, encrypted KV area (key block + data blocks) holding ``values``, as a device writes it.

    Each value gets one index page followed by its value pages, in the same block (a new block is
    started when a value does not fit the current one). Names are stored NUL-terminated. This is the
    builder behind tests and the synthetic demo dump; it writes no swap copies or protected block.
    """
    if variant not in dict(BASE_KEYS):
        raise BuildError(f"unknown key variant {variant!r}", fmt=FMT, path="variant")
    data_key = derive_data_key(device_key, dict(BASE_KEYS)[variant])
    blocks: list[tuple[dict[int, bytes], set[int]]] = [({}, set())]
    next_page = 1
    for name, value in values.items():
        npages = 1 + -(-len(value) // PAGE_SIZE)
        if npages > PAGES - 1:
            raise BuildError(
                f"value {name!r} ({len(value)} bytes) does not fit one block", fmt=FMT, path=name
            )
        if next_page + npages > PAGES:
            blocks.append(({}, set()))
            next_page = 1
        pages, index = blocks[-1]
        block_id = len(blocks) - 1
        first = next_page + 1
        last = next_page + npages - 1 if len(value) else first
        pages[next_page] = IndexEntry(
            sum32(value),
            len(value),
            block_id,
            next_page,
            element,
            name.encode() + b"\x00",
            (Part(block_id, first, last),),
        ).build()
        index.add(next_page)
        for i in range(0, len(value), PAGE_SIZE):
            pages[first + i // PAGE_SIZE] = value[i : i + PAGE_SIZE].ljust(PAGE_SIZE, b"\xff")
        next_page += npages
    out = KeyBlock(0, device_key).encrypt()
    for block_id, (pages, index) in enumerate(blocks):
        bitmap = sum(1 << p for p in index).to_bytes(4, "little")
        raw = tuple(pages.get(p, b"\xff" * PAGE_SIZE) for p in range(1, PAGES))
        out += DataBlock(0, block_id, 1, bitmap, raw, b"\xff" * (PAGE_SIZE - 19)).encrypt(data_key)
    return out
