"""Properties of the Tuya KV storage: storages built from generated values read back to the same
values (every key variant, at any sector offset inside a dump), block/index/key structures rebuild
exactly, and any bytes and any mutation of the vectors and real dumps raise only ObkImgError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import tuya
from obkimg import tuya_storage as ts
from obkimg.formats.config import tuya_kv as kv
from obkimg.source import Source
from tests.properties._support import (
    exercise,
    garbage,
    inputs,
    mutate,
    mutations,
    only_obkimg_errors,
    read,
    real_files,
    scaled,
    vector_files,
)

key_names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
values = st.dictionaries(key_names, st.binary(max_size=600), min_size=1, max_size=8)
device_keys = st.binary(min_size=16, max_size=16)
VARIANTS = [name for name, _ in kv.BASE_KEYS]


@settings(max_examples=scaled(80))
@given(values, device_keys, st.sampled_from(VARIANTS), st.integers(0, 6))
def test_built_storage_reads_back(vals: dict[str, bytes], key: bytes, variant: str, sector: int) -> None:
    area = ts.build_storage(vals, device_key=key, variant=variant)
    data = b"\xff" * (sector * kv.SECTOR_SIZE) + area + b"\xff" * kv.SECTOR_SIZE
    locs = ts.locate(data)
    assert locs and locs[0].key_offset == sector * kv.SECTOR_SIZE
    st_ = ts.read_storage(data, locs[0])
    assert st_.raw_values == vals, "mismatch"
    tuya.load(Source(data)).to_dict()


@given(device_keys, st.binary(min_size=kv.SECTOR_SIZE - 24, max_size=kv.SECTOR_SIZE - 24))
def test_key_block_identity(key: bytes, fill: bytes) -> None:
    kb = kv.KeyBlock(0x1EE000, key, fill)
    assert kv.KeyBlock.decrypt(kb.encrypt(), offset=0x1EE000) == kb


@given(
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFF),
    st.integers(0, 0xFFFFFFFF),
    st.binary(min_size=1, max_size=40),
    st.lists(
        st.builds(kv.Part, st.integers(0, 0xFFFF), st.integers(0, 0xFF), st.integers(0, 0xFF)), max_size=8
    ).map(tuple),
)
def test_index_entry_identity(
    checksum: int, length: int, block: int, page: int, element: int, name: bytes, parts: tuple[kv.Part, ...]
) -> None:
    e = kv.IndexEntry(checksum, length, block, page, element, name, parts)
    raw = e.build()
    assert len(raw) == kv.PAGE_SIZE
    back = kv.IndexEntry.parse(raw)
    assert (
        back.checksum,
        back.length,
        back.block_id,
        back.page_id,
        back.element,
        back.name_raw,
        back.parts,
    ) == (checksum, length, block, page, element, name, parts)
    assert back.build() == raw


@given(values, device_keys)
def test_data_blocks_rebuild_exactly(vals: dict[str, bytes], key: bytes) -> None:
    area = ts.build_storage(vals, device_key=key)
    data_key = kv.derive_data_key(key, dict(kv.BASE_KEYS)["8710+common"])
    for off in range(kv.SECTOR_SIZE, len(area), kv.SECTOR_SIZE):
        plain = kv.decrypt(data_key, area[off : off + kv.SECTOR_SIZE])
        blk = kv.DataBlock.parse(plain, offset=off)
        assert blk.build() == plain


def _all_parsers(data: bytes) -> None:
    locs = only_obkimg_errors(ts.locate, data) or []
    for loc in locs[:4]:
        st_ = only_obkimg_errors(ts.read_storage, data, loc, seconds=30)
        if st_ is not None:
            st_.to_dict(show_secrets=False)
    page = data[: kv.PAGE_SIZE]
    only_obkimg_errors(kv.IndexEntry.parse, page)
    only_obkimg_errors(kv.DataBlock.parse, data[: kv.SECTOR_SIZE])
    only_obkimg_errors(kv.KeyBlock.parse, data[: kv.SECTOR_SIZE])
    only_obkimg_errors(kv.ProtectedBlock.parse, data[: kv.SECTOR_SIZE])
    only_obkimg_errors(kv.decode_value, "user_param_key", data[:600])
    only_obkimg_errors(kv.decode_value, "gw_bi", data[:600])
    keys = only_obkimg_errors(tuya.extract_keys, data, seconds=30)
    if keys is not None:
        keys.to_dict(show_secrets=False)
        keys.describe(show_secrets=False)
    tuya.detect(data)
    img = only_obkimg_errors(tuya.load, Source(data), seconds=30)
    if img is not None:
        exercise(img)


@given(garbage())
def test_any_bytes_only_obkimg_errors(data: bytes) -> None:
    _all_parsers(data)


@given(st.text(max_size=400), st.sampled_from(["user_param_key", "gw_bi", "gw_wsm", "baud_cfg", "x"]))
def test_any_value_text_decodes(text: str, name: str) -> None:
    only_obkimg_errors(kv.decode_value, name, text.encode("utf-8", "surrogatepass"))
    only_obkimg_errors(kv.decode_value, name, ("{" * 50 + text + "}" * 50).encode("utf-8", "surrogatepass"))


FILES = inputs(vector_files("tuya/*") + real_files("*golden_vault*") + real_files("*TuyaConfig*"))
DUMPS = inputs(
    vector_files("tuya/*2MB*") + [p for p in real_files("bk7231*/*.bin") if p.stat().st_size == 0x200000][:12]
)


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(100))
@given(st.sampled_from(FILES or [(Path("."), False)]), mutations())
def test_mutated_storages_only_obkimg_errors(item: tuple[Path, bool], ops: list) -> None:
    _all_parsers(mutate(read(*item), ops))


@pytest.mark.skipif(not DUMPS, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(20))
@given(st.sampled_from(DUMPS or [(Path("."), False)]), mutations(), st.integers(0, 3))
def test_mutated_dumps_only_obkimg_errors(item: tuple[Path, bool], ops: list, where: int) -> None:
    """Mutations aimed at the storage area of real 2 MiB dumps (0x1E0000..0x200000)."""
    data = read(*item)
    tail = mutate(data[0x1E0000:], ops)
    keys = only_obkimg_errors(tuya.extract_keys, data[:0x1E0000] + tail, seconds=30)
    if keys is not None:
        keys.to_dict(show_secrets=False)
