"""Where is the OpenBeken config in this dump? The search of spec B6, over the format modules.

:func:`find_config` tries, best first: the chip's own location (a raw sector, or the EasyFlash area of
its PSM partition / fixed area), a bare config file, the raw location of every platform, the PSM
partition of a BL602 partition table, every run of EasyFlash sectors, and every sector starting with
``CFG``. A CRC-valid config wins over an invalid one; among equals, the more specific location.

The layouts are the format modules': :mod:`obkimg.formats.config.obk_config` (``mainConfig_t``),
:mod:`obkimg.formats.config.easyflash` (EasyFlash v4) and :mod:`obkimg.formats.bl602.partitions`
(BFPT, imported only when a table copy is present). Nothing here prints or raises anything but
:class:`~obkimg.errors.ObkImgError`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._record import dataclass
from .errors import FormatError, NotFoundError, Problem
from .formats.config import easyflash
from .formats.config.obk_config import (
    CHIPS,
    FMT,
    IDENT,
    RAW_CANDIDATES,
    SECTOR,
    SIZE_V4,
    ChipInfo,
    ObkConfig,
    ObkConfigResult,
    another_config,
    config_problems,
    from_easyflash,
    plausible_version,
)
from .formats.config.obk_enums import EF_KEYS

__all__ = ["find_config", "find_psm", "easyflash_areas"]

#: :data:`obkimg.formats.bl602.partitions.PT_MAGIC` (tests keep them equal): tested before that module is
#: imported, so a dump without a partition table never loads the BL602 modules
PT_MAGIC = b"BFPT"
#: rank of each kind of candidate location (lower is more specific)
_CHIP, _BARE, _RAW, _PSM, _EF, _SCAN = range(6)


@dataclass
class _Candidate:
    config: ObkConfig
    location: dict[str, Any]
    rank: int
    problems: list[Problem] = field(default_factory=list)
    chip: str | None = None


def find_psm(
    data: bytes, *, table_offsets: tuple[int, ...] = (0xE000, 0xF000)
) -> tuple[int, int, int] | None:
    """(address, size, table_offset) of the ``PSM`` partition from the active BFPT copy, else None."""
    if not any(data[off : off + len(PT_MAGIC)] == PT_MAGIC for off in table_offsets):
        return None  # no table copy at all: not even worth importing the BL602 reader
    from .formats.bl602 import partitions

    try:
        copies = partitions.read_copies(data, tuple(table_offsets))
    except FormatError:
        return None
    active = partitions.select_active(copies)
    table = copies[active].table if active is not None else None
    part = table.get("PSM") if table is not None else None
    if active is None or part is None or not part.size[0]:
        return None
    return part.address[0], part.size[0], copies[active].offset


def easyflash_areas(data: bytes) -> list[tuple[int, int]]:
    """Runs of consecutive EasyFlash sectors (offset, size) found by testing every sector's header."""
    areas: list[tuple[int, int]] = []
    start = None
    n = len(data) // SECTOR
    for i in range(n + 1):
        is_ef = i < n and easyflash.sector_granularity(data, i * SECTOR) is not None
        if is_ef and start is None:
            start = i * SECTOR
        elif not is_ef and start is not None:
            areas.append((start, i * SECTOR - start))
            start = None
    return areas


def _raw(
    data: bytes, off: int, pins: int, rank: int, mechanism: str = "raw", chip: str | None = None
) -> list[_Candidate]:
    if plausible_version(data, off) is None:
        return []
    try:
        cfg = ObkConfig.parse(data[off : off + SIZE_V4], pins=pins, base=off)
    except FormatError:
        return []
    return [_Candidate(cfg, {"mechanism": mechanism, "offset": off, "length": cfg.length}, rank, chip=chip)]


def _in_area(
    data: bytes,
    area: tuple[int, int],
    keys: tuple[str, ...],
    pins: int,
    rank: int,
    partition: str | None,
    chip: str | None,
) -> list[_Candidate]:
    """The configs under ``keys`` in the EasyFlash area ``(offset, size)`` (clipped to whole sectors)."""
    off = area[0]
    size = min(area[1], (len(data) - off) // SECTOR * SECTOR)
    if size < SECTOR:
        return []
    try:
        ef = easyflash.EfArea.parse(data[off : off + size], base=off)
    except FormatError:
        return []
    out = []
    for key in keys:
        cfg, loc, probs = from_easyflash(ef, key, pins=pins, partition=partition)
        if cfg is not None:
            out.append(_Candidate(cfg, loc, rank, probs, chip))
    return out


def _at_chip_location(data: bytes, chip: str, info: ChipInfo) -> list[_Candidate]:
    if info.mechanism == "raw" and info.offset is not None:
        return _raw(data, info.offset, info.pins, _CHIP, chip=chip)
    if info.mechanism != "easyflash":
        return []
    psm = find_psm(data, table_offsets=info.bfpt) if info.bfpt else None
    if psm:
        return _in_area(data, psm[:2], (info.key or "ObkCfg",), info.pins, _CHIP, "PSM", chip)
    if info.area:
        return _in_area(data, info.area, (info.key or "ObkCfg",), info.pins, _CHIP, None, chip)
    return []


def _candidates(data: bytes, chip: str | None, info: ChipInfo | None) -> list[_Candidate]:
    found = _at_chip_location(data, chip, info) if chip and info else []
    pins = info.pins if info else 32
    n = len(data)
    if plausible_version(data) is not None and n < 0x10000:  # a bare config file
        found += _raw(data, 0, pins, _BARE, mechanism="bare", chip=chip)
    if n >= 0x2000:  # the raw location of every platform
        for off, owner in RAW_CANDIDATES:
            found += _raw(data, off, CHIPS[owner].pins if info is None else pins, _RAW, chip=chip or owner)
    psm = find_psm(data)
    if psm:
        found += _in_area(data, psm[:2], EF_KEYS, pins, _PSM, "PSM", chip or "BL602")
    for area in easyflash_areas(data):
        found += _in_area(data, area, EF_KEYS, pins, _EF, None, chip)
    for off in range(0, n - 7, SECTOR):  # every sector starting with CFG
        if data[off : off + len(IDENT)] == IDENT:
            found += _raw(data, off, pins, _SCAN, chip=chip)
    return found


def _expected_variant(chip: str | None, loc: dict[str, Any]) -> str | None:
    if chip and chip.upper() in CHIPS:
        return CHIPS[chip.upper()].variant
    return "unsigned" if loc.get("key") == "mY0bcFg" else None


def _not_found(data: bytes, info: ChipInfo | None) -> NotFoundError:
    where = f" at {info.offset:#x}" if info and info.offset is not None else ""
    erased = (
        info is not None
        and info.offset is not None
        and info.offset < len(data)
        and data[info.offset : info.offset + 3] == b"\xff\xff\xff"
    )
    return NotFoundError(
        f"no OpenBeken config found{where} ({len(data)} bytes searched)",
        fmt=FMT,
        hint="the config sector may be erased (0xFF)" if erased else None,
    )


def _search_notes(chip: str | None, info: ChipInfo | None, best: _Candidate) -> list[Problem]:
    notes = []
    if chip and info is None:
        msg = f"no OpenBeken config location is known for chip {chip}; every candidate location was searched"
        notes.append(Problem("info", msg, None, FMT))
    if info is not None and best.rank != _CHIP:
        loc = best.location
        msg = f"no config at the {chip} location; found one at {loc['offset']:#x} ({loc['mechanism']})"
        notes.append(Problem("warning", msg, loc["offset"], FMT))
    return notes


def find_config(data: bytes, *, chip: str | None = None) -> ObkConfigResult:
    """Recover the OpenBeken config from a dump, a region, an EasyFlash area or a bare config (B6).

    With ``chip`` its location is tried first; otherwise (and as a fallback) the raw candidates of
    every platform, a BL602 partition table, EasyFlash areas and every sector starting with "CFG".
    A CRC-valid config wins over an invalid one; among equals, the more specific location.
    """
    chip = chip.upper() if chip else None
    info = CHIPS.get(chip) if chip else None
    cands = _candidates(data, chip if info else None, info)
    if not cands:
        raise _not_found(data, info)
    by_off: dict[int, _Candidate] = {}  # one candidate per offset: the best rank
    for cand in cands:
        prev = by_off.get(cand.location["offset"])
        if prev is None or cand.rank < prev.rank:
            by_off[cand.location["offset"]] = cand
    ordered = sorted(by_off.values(), key=lambda k: (not k.config.crc_valid, k.rank, k.location["offset"]))
    best = ordered[0]
    cfg, loc = best.config, best.location
    exp = _expected_variant(best.chip, loc)
    problems = [*best.problems, *_search_notes(chip, info, best), *config_problems(cfg, loc["offset"], exp)]
    problems += [another_config(o.config, o.location) for o in ordered[1:] if o.config.crc_valid]
    return ObkConfigResult(cfg, loc, tuple(problems), best.chip, exp)
