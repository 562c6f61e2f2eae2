"""Region mapping of BK7231 images and dumps: which part of the file is what, and in which state.

Workflow over the parts of :mod:`obkimg.formats.bk7231.parts` for :mod:`obkimg.bkdump`: the code
regions (bootloader, app) with their CRC-16 state, the in-flash RBL trailers, the FAL table, the gaps
(erased or data), and the data partitions of a dump: download/OTA (RBL header of
:mod:`obkimg.formats.bk7231.rbl`, or OpenBeken's LittleFS), the RF calibration TLV
(:data:`~obkimg.formats.bk7231.layout.RF_TLV_HEADER`), the OpenBeken config sector (its version read by
:class:`obkimg.formats.config.obk_config.ObkConfig`, imported only when the sector starts with
``CFG``) and the Tuya KV key block (found by its encrypted erased tail, :data:`TUYA_KV_FF_BLOCK`).

Everything is located, not decoded: the config decoders (:mod:`obkimg.configs`) decide the state of
the config regions later.
"""

from __future__ import annotations

from typing import Any

from .codecs import crcframe
from .codecs.checksums import crc32
from .errors import ObkImgError, Problem
from .formats.bk7231.layout import RF_MAC_TAG, RF_TLV_HEADER, RF_TLV_ITEM, RF_TLV_MAGIC, FlashLayout
from .formats.bk7231.parts import (
    Area,
    BootInfo,
    CodePart,
    DataPartitions,
    DownloadArea,
    ObkConfigArea,
    RfArea,
    Trailer,
    align,
    crc_problems,
    is_erased,
    used_span,
)
from .formats.bk7231.rbl import RBL_FRAMED_SIZE, RBL_HEADER_SIZE, RBL_MAGIC, RblHeader
from .model import Region, RegionState

__all__ = [
    "RegionMap",
    "code_region",
    "trailer_region",
    "fal_region",
    "rotate",
    "data_regions",
    "TUYA_KV_FF_BLOCK",
]

#: AES-ECB("qwertyuiopasdfgh").encrypt(16 x 0xFF): the erased tail of the Tuya KV key block, found at
#: key-block + 32 (bk7231tools ``find_storage``); the same value as
#: :data:`obkimg.formats.config.tuya_kv.SEARCH_MAGIC` (a test keeps them equal; not imported, so that
#: mapping a dump needs neither the Tuya KV module nor AES)
TUYA_KV_FF_BLOCK = bytes.fromhex("46dced0e672f3b70ae1276a3f8712e03")
OBK_CONFIG_MAGIC = b"CFG"
LFS_MAGIC = b"littlefs"
SECTOR = 0x1000


class RegionMap:
    """Collects top-level regions (no overlap), nested regions and problems."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self.data = data
        self.fmt = fmt
        self.top: list[Region] = []
        self.nested: list[Region] = []
        self.problems: list[Problem] = []

    def add(self, r: Region, *, nested: bool = False) -> None:
        """Add ``r`` as a top-level region (or a nested one, inside another)."""
        (self.nested if nested else self.top).append(r)

    def covered(self, off: int) -> bool:
        """A top-level region covers ``off``."""
        return any(r.offset <= off < r.end for r in self.top)

    def _gaps(self, start: int, end: int) -> list[tuple[int, int]]:
        cuts = sorted((r.offset, r.end) for r in self.top)
        pos = start
        gaps = []
        for a, b in cuts:
            if a > pos:
                gaps.append((pos, min(a, end)))
            pos = max(pos, b)
        if pos < end:
            gaps.append((pos, end))
        return [(a, b) for a, b in gaps if b > a]

    def fill_gaps(self, start: int, end: int) -> None:
        """Erased / data regions between the top-level regions in [start, end)."""
        for a, b in self._gaps(start, end):
            span = used_span(self.data, a, b)  # read in place: a gap may be MiB long
            if span is None:
                self.top.append(Region("erased", a, b - a, "erased", "erased"))
                continue
            lo = max(a, span[0] // SECTOR * SECTOR)
            hi = min(b, align(span[1], SECTOR))
            if lo > a:
                self.top.append(Region("erased", a, lo - a, "erased", "erased"))
            detail = {"non_ff_bytes": b - a - self.data.count(0xFF, a, b)}
            self.top.append(Region("data", lo, hi - lo, "data", "unknown", detail=detail))
            if hi < b:
                self.top.append(Region("erased", hi, b - hi, "erased", "erased"))

    def regions(self) -> tuple[Region, ...]:
        """All regions by offset (a top-level region before the nested ones at the same offset)."""
        allr = self.top + self.nested
        return tuple(sorted(allr, key=lambda r: (r.offset, 0 if r in self.top else 1, -r.size)))


def code_region(part: CodePart, fmt: str, region_name: str, detail: dict[str, Any]) -> Region:
    """The region of a bootloader or app part: CRC-16 state of its blocks, unknown key."""
    probs: list[Problem] = []
    state: RegionState = "valid"
    if part.frame is not None:
        probs += crc_problems(part.frame.bad_offsets, fmt, region_name)
        if part.frame.bad_offsets:
            state = "bad-crc"
        if part.frame.trailing:
            at = part.offset + part.size - part.frame.trailing
            text = f"{region_name}: file ends inside a 34-byte block ({part.frame.trailing} bytes)"
            probs.append(Problem("error", text, at, fmt))
            state = "invalid" if state == "valid" else state
        detail = {**detail, "crc_blocks": part.frame.blocks, "crc_empty_blocks": part.frame.empty}
    if part.key is None:
        text = f"{region_name}: no known code key decrypts it (unknown key)"
        probs.append(Problem("warning", text, part.offset, fmt))
        if state == "valid":
            state = "unknown"
    kind = "bootloader" if part.name == "bootloader" else "app"
    return Region(region_name, part.offset, part.size, kind, state, tuple(probs), detail)


def trailer_region(t: Trailer, part: CodePart | None, fmt: str, name: str, total: int) -> Region:
    """The region of an in-flash RBL trailer; ``part``: the code it belongs to (None for a stale one)."""
    probs = list(t.problems(fmt, name))
    state: RegionState = "valid" if t.header_ok else ("bad-crc" if t.bad_blocks else "invalid")
    if part is not None and part.payload_crc_ok is False:
        text = f"{name}: CRC-32 of the {part.name} image does not match the trailer"
        probs.append(Problem("error", text, t.offset, fmt))
        state = "invalid" if state == "valid" else state
    if part is None and t.header is not None and state == "valid":
        state = "unknown"
    full = t.to_dict(part.payload_crc_ok if part else None)
    first = ("name", "version", "size_raw", "payload_crc_ok")
    detail = {k: full[k] for k in first if k in full}
    detail.update(
        {k: v for k, v in full.items() if k not in first and k not in ("offset", "frame_ok", "error")}
    )
    return Region(name, t.offset, min(RBL_FRAMED_SIZE, total - t.offset), "rbl", state, tuple(probs), detail)


def fal_region(info: BootInfo, framed: bool, *, entries: bool) -> Region | None:
    """The FAL table's region (physical offsets when the bootloader is ``framed``); with ``entries``
    its detail lists every partition as ``offset+length``."""
    if info.fal is None or info.fal_offset is None:
        return None
    lo, hi = info.fal_offset, info.fal_offset + info.fal.size
    if framed:
        lo, hi = crcframe.logical_to_physical(lo), crcframe.logical_to_physical(hi)
    detail: dict[str, Any] = {"entries": len(info.fal.entries)}
    if entries:
        detail.update({e.name: f"{e.offset:#x}+{e.length:#x}" for e in info.fal.entries})
    return Region("fal", lo, hi - lo, "partition-table", "valid", detail=detail)


def rotate(r: Region, rot: int, n: int) -> Region:
    """``r`` (flash addresses) with the file offset of its first byte in the detail."""
    detail = {**(r.detail or {}), "file_offset": (r.offset - rot) % n}
    return Region(r.name, r.offset, r.size, r.kind, r.state, r.problems, detail)


# ------------------------------------------------------------------------------------ data partitions
def data_regions(
    flash: bytes, layout: FlashLayout, binfo: BootInfo, m: RegionMap, fmt: str
) -> DataPartitions:
    """Map the data partitions ``flash`` covers; returns what they hold."""
    n = len(flash)
    found: dict[str, Any] = {}
    # download / OTA partition (FAL wins over the layout table)
    dl_off, dl_size = binfo.fal_download or layout.download
    if dl_off < n:
        _download_region(flash, dl_off, min(n, dl_off + dl_size), layout, m, found, fmt)
    for off in (layout.rf, 0x1D0000, 0x1E0000):
        if off + 8 <= n and flash[off : off + 4] == RF_TLV_MAGIC:
            _rf_region(flash, off, m, found, fmt)
            break
    for off in (layout.obk_config, 0x1D1000, 0x1E1000):
        if off + 8 <= n and flash[off : off + 3] == OBK_CONFIG_MAGIC and not m.covered(off):
            _obk_config_region(flash, off, m, found)
            break
    _tuya_kv_region(flash, m, found)
    return DataPartitions(**found)


def _obk_config_version(flash: bytes, off: int) -> int | None:
    """The version of the OpenBeken config at ``off`` (its own parser; None when it refuses it)."""
    from .formats.config.obk_config import ObkConfig

    try:
        return ObkConfig.parse(flash[off : off + SECTOR], base=off).version
    except ObkImgError:
        return None


def _obk_config_region(flash: bytes, off: int, m: RegionMap, found: dict[str, Any]) -> None:
    version = _obk_config_version(flash, off)
    found["obk_config"] = ObkConfigArea(off, version, f"OpenBeken config at {off:#x} (version {version})")
    detail = {"magic": "CFG", "version": version, "decoded_by": "obk-config"}
    m.add(Region("obk-config", off, min(SECTOR, len(flash) - off), "config", "unknown", detail=detail))


def _tuya_kv_region(flash: bytes, m: RegionMap, found: dict[str, Any]) -> None:
    """The Tuya KV key block (magic/crc/key then 0xFF), found by its encrypted erased tail at +32."""
    n = len(flash)
    pos = flash.find(TUYA_KV_FF_BLOCK, 0x100000)
    while pos >= 0:
        kb = pos - 32
        if kb % SECTOR == 0 and not m.covered(kb):
            end = n
            while end - SECTOR > kb and is_erased(flash, end - SECTOR, end):
                end -= SECTOR
            found["tuya_kv"] = Area(kb, end - kb, f"Tuya KV storage key block at {kb:#x}")
            detail = {"key_block": kb, "decoded_by": "tuya-keys"}
            m.add(Region("tuya-kv", kb, end - kb, "tuya-kv", "unknown", detail=detail))
            return
        pos = flash.find(TUYA_KV_FF_BLOCK, pos + 1)


def _ota_region(flash: bytes, a: int, b: int, fmt: str) -> tuple[Region, DownloadArea] | None:
    """The OTA image (RBL file) at the start of the download partition [a, b), or None without one."""
    if flash[a : a + 4] != RBL_MAGIC:
        return None
    try:
        hdr = RblHeader.parse(flash[a : a + RBL_HEADER_SIZE], base=a, strict=False)
    except ObkImgError:
        return None
    probs: list[Problem] = []
    end = a + RBL_HEADER_SIZE + hdr.size_package
    crc_ok = end <= b and crc32(memoryview(flash)[a + RBL_HEADER_SIZE : end]) == hdr.crc32
    state: RegionState = "valid" if hdr.header_valid and crc_ok else "invalid"
    if not hdr.header_valid:
        probs.append(Problem("error", "download RBL: bad header CRC-32", a + 0x5C, fmt))
    if not crc_ok:
        probs.append(Problem("error", "download RBL: payload CRC-32 mismatch or payload truncated", a, fmt))
    what = f"{hdr.compression}+{hdr.encryption}, {hdr.size_package} bytes"
    summary = f"OTA image {hdr.name} {hdr.version!r} ({what}) at {a:#x}"
    area = DownloadArea(a, b - a, summary, hdr.to_dict(), crc_ok)
    detail = {
        "name": hdr.name,
        "version": hdr.version,
        "size_package": hdr.size_package,
        "compression": hdr.compression,
        "encryption": hdr.encryption,
    }
    return Region("download", a, min(end, b) - a, "download", state, tuple(probs), detail=detail), area


def _download_region(
    flash: bytes,
    a: int,
    b: int,
    layout: FlashLayout,
    m: RegionMap,
    found: dict[str, Any],
    fmt: str,
) -> None:
    ota = _ota_region(flash, a, b, fmt)
    if ota is not None:
        m.add(ota[0])
        found["download"] = ota[1]
        return
    lfs = _find_littlefs(flash, a, b)
    if is_erased(flash, a, b):
        found["download"] = DownloadArea(a, b - a, f"empty (erased) at {a:#x}")
        m.add(Region("download", a, b - a, "download", "erased"))
        return
    if lfs is not None:
        lfs_end = b
        if layout.littlefs and layout.littlefs[0] <= lfs < layout.littlefs[1]:
            lfs_end = min(b, layout.littlefs[1])
        found["littlefs"] = Area(lfs, lfs_end - lfs, f"LittleFS superblock at {lfs:#x}")
        if lfs > a:
            state: RegionState = "erased" if is_erased(flash, a, lfs) else "unknown"
            m.add(Region("download", a, lfs - a, "download", state))
        m.add(Region("littlefs", lfs, lfs_end - lfs, "littlefs", "unknown", detail={"superblock": lfs}))
        found["download"] = DownloadArea(a, b - a, f"no OTA image; OpenBeken LittleFS at {lfs:#x}")
        return
    found["download"] = DownloadArea(a, b - a, f"data without an RBL header at {a:#x}")
    m.add(Region("download", a, b - a, "download", "unknown", detail={"rbl": False}))


def _find_littlefs(flash: bytes, a: int, b: int) -> int | None:
    """The first LittleFS superblock in [a, b): its "littlefs" magic 8 bytes into a 4 KiB block."""
    pos = flash.find(LFS_MAGIC, a, b)
    while pos >= 0:
        if (pos - 8) % SECTOR == 0:
            return pos - 8
        pos = flash.find(LFS_MAGIC, pos + 1, b)
    return None


def _rf_mac(flash: bytes, sub: int, send: int) -> str | None:
    """The MAC item among the items in [sub, send) of one RF TLV group, as ``aa:bb:...``."""
    mac = None
    send = min(send, len(flash))
    while sub + 8 <= send:
        item = RF_TLV_ITEM.parse(flash[sub : sub + 8])
        if item.tag == RF_MAC_TAG and item.length == 6:
            mac = flash[sub + 8 : sub + 14].hex(":")
        if item.length > send - sub - 8:
            break
        sub += 8 + item.length
    return mac


def _rf_items(flash: bytes, off: int, total: int, fmt: str) -> tuple[int, str | None, list[Problem]]:
    """Walk the RF TLV items after the header at ``off``: (groups, MAC, problems)."""
    probs: list[Problem] = []
    mac = None
    entries = 0
    pos, end = off + 8, off + 8 + total
    while pos + 8 <= min(end, len(flash)):
        ln = RF_TLV_ITEM.parse(flash[pos : pos + 8]).length
        if pos + 8 + ln > end:
            probs.append(Problem("error", "RF TLV: entry runs past the end", pos, fmt))
            break
        entries += 1
        # group entries (tag xx 11 11 11 / xx 22 22 22 ...) contain sub-entries
        mac = _rf_mac(flash, pos + 8, pos + 8 + ln) or mac
        pos += 8 + ln
    return entries, mac, probs


def _rf_region(flash: bytes, off: int, m: RegionMap, found: dict[str, Any], fmt: str) -> None:
    total = RF_TLV_HEADER.parse(flash[off : off + 8]).length
    mac = None
    entries = 0
    if total > SECTOR - 8:
        probs = [Problem("error", f"RF TLV: length {total:#x} larger than the sector", off + 4, fmt)]
    else:
        entries, mac, probs = _rf_items(flash, off, total, fmt)
    state: RegionState = "invalid" if probs else "valid"
    summary = f"RF calibration TLV at {off:#x}" + (f", MAC {mac}" if mac else "")
    found["rf"] = RfArea(off, total, mac, summary)
    detail = {"length": total, "groups": entries, "mac": mac}
    m.add(Region("rf", off, min(SECTOR, len(flash) - off), "rf", state, tuple(probs), detail=detail))
