"""Corrupted, truncated and random inputs fail cleanly: an ObkImgError or problems, never anything else."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import tuya
from obkimg.errors import NotFoundError, ObkImgError
from obkimg.formats.config import tuya_kv as kv
from obkimg.source import load
from obkimg.tuya import extract_keys, find_storage
from tests.conftest import fixture_path, real_path
from tests.tuya.helpers import DEVICE_KEY, block, storage


def _extract_or_error(data: bytes) -> object:
    try:
        return extract_keys(data)
    except ObkImgError as e:
        return e


@pytest.fixture(scope="module")
def synthetic_area() -> bytes:
    return load(fixture_path("tuya", "tuya_bk7231n_2MB.bin.gz")).data[0x1E0000:]


def test_byte_flips_everywhere_in_the_area(synthetic_area: bytes) -> None:
    rng = random.Random(4)
    outcomes = set()
    for _ in range(120):
        data = bytearray(synthetic_area)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(0xD000, len(data))] ^= 1 << rng.randrange(8)
        r = _extract_or_error(bytes(data))
        outcomes.add(type(r).__name__)
        assert tuya.detect(bytes(data)) is None or tuya.detect(bytes(data)).kind == "tuya-kv"
    assert "TuyaKeys" in outcomes


def test_each_block_corrupted_in_turn_is_reported(synthetic_area: bytes) -> None:
    base = 0x1E0000
    for off in range(0x1EF000, 0x1FD000, 0x1000):
        data = bytearray(synthetic_area)
        data[off - base + 0x200] ^= 0x55
        keys = extract_keys(bytes(data))
        bad = [p for p in keys.problems if p.offset == off - base]
        assert bad and bad[0].severity in ("warning", "error")
        assert off - base not in {b.offset for b in keys.storage.blocks}


def test_truncations(synthetic_area: bytes) -> None:
    for cut in (0x20, 0xE010, 0xF000, 0xF7FF, 0x10800, 0x12345, 0x1D000, len(synthetic_area) - 1):
        r = _extract_or_error(synthetic_area[:cut])
        assert isinstance(r, (ObkImgError,)) or hasattr(r, "values")


def test_not_found_is_clean() -> None:
    for data in (b"", b"\xff" * 0x10000, bytes(range(256)) * 64, kv.SEARCH_MAGIC * 300):
        with pytest.raises(NotFoundError) as e:
            extract_keys(data)
        assert e.value.fmt == "tuya-kv"
        assert tuya.detect(data) is None and find_storage(data) == []


def test_real_dump_with_damaged_storage() -> None:
    """A real dump: an erased data block and a trashed swap block; the rest still comes out."""
    data = bytearray(load(real_path("bk7231t", "BK7231T_TuyaConfig_PC44HA.bin")).data)
    whole = extract_keys(bytes(data))
    victim = next(b for b in whole.storage.live if b.block_id == 5)  # an empty block
    data[victim.offset : victim.offset + 0x1000] = b"\xff" * 0x1000
    data[0x11000:0x11100] = bytes(0x100)
    keys = extract_keys(bytes(data))
    assert sorted(keys.values) == sorted(whole.values)
    assert any(p.offset == victim.offset and "erased" in p.message for p in keys.problems)
    assert any(p.offset == 0x11000 for p in keys.problems)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=0x3000))
def test_arbitrary_bytes(data: bytes) -> None:
    assert tuya.detect(data) is None or tuya.detect(data).kind == "tuya-kv"
    assert isinstance(find_storage(data), list)
    _extract_or_error(data)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.binary(min_size=0, max_size=128), min_size=31, max_size=31),
    st.integers(0, 2**32 - 1),
    st.integers(0, 20),
)
def test_random_pages_in_valid_blocks(bitmap: int, pages: list[bytes], gen: int, bid: int) -> None:
    """Blocks that decrypt and checksum correctly but hold garbage index pages."""
    b = block(bid, gen, {i + 1: p for i, p in enumerate(pages)}, set())
    b = kv.DataBlock(0, b.block_id, b.generation, bitmap.to_bytes(4, "little"), b.pages, b.header_fill)
    r = _extract_or_error(storage([b, block(bid ^ 1, 0, {}, set())], device_key=DEVICE_KEY))
    assert not isinstance(r, ObkImgError)
    assert all(p.fmt == "tuya-kv" for p in r.problems)
