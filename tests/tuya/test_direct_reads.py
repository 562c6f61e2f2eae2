"""The workflow's direct reads (:mod:`obkimg.tuya_storage`: ``struct`` at the schemas' offsets) give
exactly what the models' schema parses give, on every real storage and on damaged or unusual sectors;
so ``tuya-keys`` on a healthy storage never needs construct (issue 14).

Comparisons are made on values, never shown: a failure names the file and the sector offset only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from obkimg import tuya_storage as ts
from obkimg.codecs.checksums import sum32
from obkimg.errors import ObkImgError
from obkimg.formats.config import tuya_kv as kv
from tests.conftest import real_files
from tests.tuya.helpers import DEVICE_KEY, block, index_page

BASE = kv.BASE_KEYS[0][1]


def _outcome(fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args, **kw)
    except ObkImgError as e:
        return type(e).__name__, (str(e), e.offset)


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Same outcome: equal models whose fields have the same types (and the same raw record names), or
    the same error, message and offset."""
    if a[0] != b[0] or type(a[1]) is not type(b[1]) or a[1] != b[1]:
        return False
    if a[0] != "ok":
        return True
    for f in fields(a[1]):
        x, y = getattr(a[1], f.name), getattr(b[1], f.name)
        if type(x) is not type(y) or x != y:
            return False
    if isinstance(a[1], kv.ProtectedBlock):
        return [r.name_raw for r in a[1].records] == [r.name_raw for r in b[1].records]
    return True


def _check_data_block(plain: bytes, off: int) -> int:
    """Compare the data block at ``off`` and, when it reads, every index page it marks; pages checked."""
    direct = _outcome(ts._data_block, plain, off)
    ok = _same(direct, _outcome(kv.DataBlock.parse, plain, offset=off))
    assert ok, f"data block at {off:#x}"
    if direct[0] != "ok":
        return 0
    b = direct[1]
    for p in b.index_pages:
        where = off + p * kv.PAGE_SIZE
        ok = _same(
            _outcome(ts._index_entry, b.page(p), where),
            _outcome(kv.IndexEntry.parse, b.page(p), offset=where),
        )
        assert ok, f"index page at {where:#x}"
    return len(b.index_pages)


def _check_storage(data: bytes, loc: ts.StorageLocation) -> tuple[int, int, int]:
    blocks = pages = prot = 0
    dkey = loc.data_key
    for off in loc.block_offsets if dkey is not None else ():
        pages += _check_data_block(kv.decrypt(dkey, data[off : off + kv.SECTOR_SIZE]), off)
        blocks += 1
    base = dict(kv.BASE_KEYS)[loc.key_variant] if loc.key_variant else BASE
    for off in loc.protected_offsets:
        outer = kv.decrypt(kv.MASTER_KEY, data[off : off + kv.SECTOR_SIZE])
        ok = _same(
            _outcome(ts._protected_block, outer, off, base),
            _outcome(kv.ProtectedBlock.parse, outer, offset=off, base=base),
        )
        assert ok, f"protected block at {off:#x}"
        prot += 1
    return blocks, pages, prot


def _check_key_sectors(data: bytes) -> int:
    """Every sector with the key-block magic: the scan's verdict equals the schemas' checksum_ok."""
    n = 0
    for off in range(0, len(data) - kv.SECTOR_SIZE + 1, kv.SECTOR_SIZE):
        s = kv.decrypt(kv.MASTER_KEY, data[off : off + kv.SECTOR_SIZE])
        if s[:4] != ts._KEY_MAGIC:
            continue
        kb = kv.KEY_BLOCK.parse(s, strict=False)
        pb = kv.PROTECTED_BLOCK.parse(s, strict=False)
        want = (
            "key"
            if kb.checksum_ok and kb.fill.startswith(b"\xff" * 8)
            else "protected"
            if pb.checksum_ok
            else None
        )
        assert ts._sector_kind(s) == want, f"sector at {off:#x}"
        n += 1
    return n


STORAGES = [p for p in real_files("*") if p.stat().st_size >= 2 * kv.SECTOR_SIZE and p.suffix != ".gz"]


@pytest.mark.skipif(not STORAGES, reason="../shared/fixtures/real is not present")
def test_direct_reads_equal_the_schema_parses_on_every_real_storage() -> None:
    totals = [0, 0, 0, 0]
    for path in STORAGES:
        data = Path(path).read_bytes()
        if len(data) % 16:
            data = data[: len(data) - len(data) % 16]
        found = ts.locate(data)
        if not found:
            continue
        totals[3] += _check_key_sectors(data)
        for loc in found:
            for i, n in enumerate(_check_storage(data, loc)):
                totals[i] += n
    blocks, pages, prot, keys = totals
    # the real set holds dozens of storages: hundreds of blocks and index pages, protected blocks too
    assert blocks > 200 and pages > 500 and prot > 5 and keys > 20, totals


def test_magics_as_stored_equal_the_schemas() -> None:
    assert kv.KEY_BLOCK.magic.build(None) == ts._KEY_MAGIC
    assert {kv.DATA_BLOCK.magic.build(m): m for m in kv.DATA_MAGICS} == ts._DATA_MAGICS


def test_offsets_equal_the_schemas() -> None:
    assert kv.offset_of(kv.INDEX_PAGE.subcon.subcon, "name") == kv._INDEX_HEAD == ts._INDEX_FIELDS.size
    assert kv.offset_of(kv.PROTECTED_RECORD, "value") == kv.RECORD_HEAD
    assert ts._DATA_HEAD.size == kv.PAGE0_HEAD and ts._PART.size == kv.PART.sizeof()
    assert ts._PROTECTED_HEAD.size == kv.offset_of(kv.PROTECTED_BLOCK, "body") + kv.offset_of(
        kv.PROTECTED_BODY, "inner"
    )


def _resum(plain: bytearray) -> bytes:
    """``plain`` with the sum32 of bytes 8..4095 stored at +4 again."""
    plain[4:8] = sum32(plain[8 : kv.SECTOR_SIZE]).to_bytes(4, "little")
    return bytes(plain)


def _data_variants() -> list[bytes]:
    good = block(3, 7, {1: index_page("a", b"1", 3, 1, [(3, 2, 2)]), 2: b"1"}, {1}).build()
    bad_magic = bytearray(good)
    bad_magic[0] ^= 1
    os3 = bytearray(good)
    os3[:4] = kv.DATA_MAGIC_OS3.to_bytes(4, "little")
    big_map = bytearray(good)
    big_map[14] = 200  # the header fill would be negative
    map_113 = bytearray(good)
    map_113[14] = 113  # the bitmap fills page 0
    bad_sum = bytearray(good)
    bad_sum[500] ^= 0xFF
    return [good, bytes(bad_magic), _resum(os3), _resum(big_map), _resum(map_113), bytes(bad_sum)] + [
        good[:100],
        good + b"\xff" * 16,
        b"",
    ]


@pytest.mark.parametrize("n", range(len(_data_variants())))
def test_direct_data_block_read_equals_the_schema_on_odd_blocks(n: int) -> None:
    plain = _data_variants()[n]
    assert _same(_outcome(ts._data_block, plain, 0x1000), _outcome(kv.DataBlock.parse, plain, offset=0x1000))


def _index_variants() -> list[bytes]:
    good = index_page("gw_bi", b"x" * 300, 2, 4, [(2, 5, 7), (3, 1, 1)])
    empty_name = bytearray(good)
    empty_name[17] = 0
    gui = bytearray(good)
    gui[11:13] = (8).to_bytes(2, "little")  # a byte count (2 parts): the GUI flash tool's form
    crowded = bytearray(good)
    crowded[11:13] = (60).to_bytes(2, "little")  # neither form fits
    long_name = bytearray(good)
    long_name[17] = 115  # the name runs past the page
    no_parts = kv.IndexEntry(0, 0, 0, 1, 0, b"none\x00", ()).build()
    full = kv.IndexEntry(
        1, 2, 0, 1, 0, b"n" * 10 + b"\x00", tuple(kv.Part(0, 2, 2) for _ in range(24))
    ).build()
    return [good, bytes(empty_name), bytes(gui), bytes(crowded), bytes(long_name), no_parts, full] + [
        good[:50],
        good + b"\x00" * 128,
    ]


@pytest.mark.parametrize("n", range(len(_index_variants())))
def test_direct_index_read_equals_the_schema_on_odd_pages(n: int) -> None:
    page = _index_variants()[n]
    assert _same(_outcome(ts._index_entry, page, 0x80), _outcome(kv.IndexEntry.parse, page, offset=0x80))


def _protected(records: tuple[tuple[str, bytes], ...], reserved: int = 0xFFFFFFFF) -> bytearray:
    recs = tuple(kv.ProtectedRecord(n, v) for n, v in records)
    length = sum(kv.RECORD_HEAD + len(v) for _, v in records)
    return bytearray(kv.ProtectedBlock(0, DEVICE_KEY, length, reserved, recs).build(BASE))


def _with_length(plain: bytearray, length: int) -> bytes:
    plain[24:28] = length.to_bytes(4, "little")
    return _resum(plain)


def _protected_variants() -> list[bytes]:
    two = (("gw_bi", b'{"uuid":"u"}'), ("gw_wsm", b"x" * 90))
    good = _protected(two, reserved=3)
    bad_magic = bytearray(good)
    bad_magic[0] ^= 1
    bad_sum = bytearray(good)
    bad_sum[40] ^= 1
    length = int.from_bytes(good[24:28], "little")
    return [
        bytes(good),
        bytes(_protected(())),
        _with_length(bytearray(good), length - 1),  # the last record overruns data_length
        _with_length(bytearray(good), length + 1),  # a record head would start past the records
        _with_length(bytearray(good), length + 40),
        _with_length(bytearray(good), kv.SECTOR_SIZE),  # larger than the block
        bytes(bad_magic),
        bytes(bad_sum),
        bytes(good[:1000]),
    ]


@pytest.mark.parametrize("n", range(len(_protected_variants())))
def test_direct_protected_read_equals_the_schema_on_odd_blocks(n: int) -> None:
    outer = _protected_variants()[n]
    direct = _outcome(ts._protected_block, outer, 0x2000, BASE)
    assert _same(direct, _outcome(kv.ProtectedBlock.parse, outer, offset=0x2000, base=BASE))


def _key_sector_variants() -> list[bytes]:
    key = bytearray(kv.KeyBlock(0, DEVICE_KEY).build())
    unerased = bytearray(key)
    unerased[30] = 0  # key checksum still good, fill not erased: neither a key block nor (sum) protected
    as_protected = bytearray(unerased)
    as_protected[4:8] = sum32(as_protected[8:]).to_bytes(4, "little")  # now the protected checksum holds
    bad = bytearray(key)
    bad[9] ^= 1
    protected = _protected((("gw_bi", b"{}"),))
    return [bytes(key), bytes(unerased), bytes(as_protected), bytes(bad), bytes(protected)]


@pytest.mark.parametrize("n", range(len(_key_sector_variants())))
def test_sector_kind_equals_the_schemas_checksums(n: int) -> None:
    s = _key_sector_variants()[n]
    kb = kv.KEY_BLOCK.parse(s, strict=False)
    pb = kv.PROTECTED_BLOCK.parse(s, strict=False)
    want = (
        "key"
        if kb.checksum_ok and kb.fill.startswith(b"\xff" * 8)
        else "protected"
        if pb.checksum_ok
        else None
    )
    assert ts._sector_kind(s) == want
