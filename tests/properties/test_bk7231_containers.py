"""Properties of the BK7231 containers: RBL header / OTA file / in-flash partition and the Tuya UG
wrapper. Build -> parse is the identity on generated models; any bytes and any mutation of the vectors
and real files raise only ObkImgError."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg.formats import loader_of
from obkimg.formats.bk7231 import rbl, ug
from obkimg.source import Source
from tests.properties._support import (
    exercise,
    garbage,
    inputs,
    label,
    mutate,
    mutations,
    only_obkimg_errors,
    read,
    real_files,
    scaled,
    vector_files,
)

u32 = st.integers(0, 0xFFFFFFFF)


def text(size: int) -> st.SearchStrategy[str]:
    """latin-1 text without NUL that fits a ``size``-byte field."""
    return st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=size)


headers = st.builds(
    rbl.RblHeader,
    algo=st.one_of(st.builds(lambda c, e: c << 8 | e, st.integers(0, 3), st.integers(0, 2)), u32),
    timestamp=u32,
    name=text(16),
    version=text(24),
    sn=text(24),
    crc32=u32,
    hash=u32,
    size_raw=u32,
    size_package=u32,
    info_crc32=u32,
)

apps = st.binary(max_size=3000)
COMBOS = [("gzip", "aes256"), ("gzip", "none"), ("none", "aes256"), ("none", "none")]


# ---------------------------------------------------------------------------------- RBL header
@given(headers)
def test_rbl_header_identity(h: rbl.RblHeader) -> None:
    raw = h.build(keep_info_crc=True)
    assert len(raw) == rbl.RBL_HEADER_SIZE
    back = rbl.RblHeader.parse(raw, strict=False)
    assert back == h and back.raw == raw
    assert back.build(keep_info_crc=True) == raw
    fresh = rbl.RblHeader.parse(h.build(), strict=True)  # build() writes a valid info_crc32
    assert dataclasses.replace(fresh, info_crc32=h.info_crc32) == h and fresh.header_valid


@given(headers)
def test_rbl_framed_trailer_identity(h: rbl.RblHeader) -> None:
    framed = h.build_framed(keep_info_crc=True)
    assert len(framed) == rbl.RBL_FRAMED_SIZE
    assert rbl.RblHeader.parse_framed(framed, strict=False) == h
    assert rbl.RblHeader.parse_framed(h.build_framed(), strict=True).header_valid


@given(headers, st.integers(0, rbl.RBL_HEADER_SIZE - 1), st.integers(0, 7))
def test_rbl_header_bit_flip_is_caught(h: rbl.RblHeader, pos: int, bit: int) -> None:
    raw = bytearray(h.build())
    raw[pos] ^= 1 << bit
    with pytest.raises(rbl.ObkImgError) as e:
        rbl.RblHeader.parse(bytes(raw), base=0x1000, strict=True)
    # the magic (offset base), or the header CRC-32 (at base + 0x5C)
    assert e.value.offset in (0x1000, 0x1000 + 0x5C)


# ------------------------------------------------------------------------------------ OTA file
@settings(max_examples=scaled(100))
@given(apps, st.sampled_from(COMBOS), st.sampled_from(["rtota", "ltchiptool"]), text(15), text(23), u32)
def test_rbl_pack_unpack(
    app: bytes, combo: tuple[str, str], style: str, name: str, version: str, ts: int
) -> None:
    comp, enc = combo
    packed = rbl.pack(
        app, name=name, version=version, compression=comp, encryption=enc, style=style, timestamp=ts
    )
    f = rbl.RblFile.parse(packed, strict=True)
    assert f.build() == packed
    assert (f.header.name, f.header.version, f.header.timestamp) == (name, version, ts)
    assert (f.header.compression, f.header.encryption) == combo
    assert f.unpack() == app and f.verify() == []
    assert rbl.unpack(packed) == app


@settings(max_examples=scaled(60))
@given(st.binary(min_size=1, max_size=2000), st.integers(0, 4096))
def test_rbl_partition_pack_parse(image: bytes, spare: int) -> None:
    size = len(rbl.crcframe.frame(image)) + rbl.RBL_FRAMED_SIZE + spare
    p = rbl.RblPartition.pack(image, size=size, name="app", version="1.0")
    raw = p.build()
    assert len(raw) == size
    back = rbl.RblPartition.parse(raw, base=0x11000, strict=True)
    assert back.image == image and back.build() == raw and back.image_errors() == []


# ------------------------------------------------------------------------------------- UG wrapper
@settings(max_examples=scaled(60))
@given(
    apps,
    st.sampled_from(COMBOS),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
)
def test_ug_wrap_unwrap(app: bytes, combo: tuple[str, str], version: str) -> None:
    packed = rbl.pack(app, version="1.0", compression=combo[0], encryption=combo[1], timestamp=0)
    wrapped = ug.wrap(packed, version)
    f = ug.UgFile.parse(wrapped, strict=True)
    assert f.version == version and f.rbl == packed and f.build() == wrapped
    assert f.build(fresh=True) == wrapped and f.errors() == []
    assert ug.unwrap(wrapped, app=True) == (packed, app)


# ------------------------------------------------------------------------------ any bytes / damage
def _all_parsers(data: bytes) -> None:
    for strict in (True, False):
        only_obkimg_errors(rbl.RblHeader.parse, data, strict=strict)
        only_obkimg_errors(rbl.RblHeader.parse_framed, data, strict=strict)
        only_obkimg_errors(rbl.RblPartition.parse, data, strict=strict)
        f = only_obkimg_errors(rbl.RblFile.parse, data, strict=strict)
        if f is not None:
            assert f.build() == data
            only_obkimg_errors(f.unpack, limit=1 << 20)
            only_obkimg_errors(f.verify, limit=1 << 20)
        u = only_obkimg_errors(ug.UgFile.parse, data, strict=strict)
        if u is not None:
            assert u.build() == data
            only_obkimg_errors(u.verify, limit=1 << 20)
            only_obkimg_errors(u.unpack, limit=1 << 20)
    for mod in (rbl, ug):
        mod.detect(data)
        img = only_obkimg_errors(loader_of(mod), Source(data))
        if img is not None:
            exercise(img)


@given(garbage())
def test_any_bytes_only_obkimg_errors(data: bytes) -> None:
    _all_parsers(data)


FILES = inputs(
    vector_files("bk7231/*.rbl")
    + vector_files("bk7231/tuya_package_UG*")
    + vector_files("bk7231/lt_app_container*")
    + real_files("*.ug.bin")
)


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(150))
@given(st.sampled_from(FILES or [(Path("."), False)]), mutations())
def test_mutated_containers_only_obkimg_errors(item: tuple[Path, bool], ops: list) -> None:
    data = mutate(read(*item), ops)
    _all_parsers(data)


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not present")
@pytest.mark.parametrize("item", FILES, ids=label)
def test_vectors_rebuild_exactly(item: tuple[Path, bool]) -> None:
    data = read(*item)
    mod = ug if data[:4] == ug.UG_MAGIC else rbl
    if mod is ug:
        assert ug.UgFile.parse(data, strict=False).build() == data, "mismatch"
    elif data[:4] == rbl.RBL_MAGIC:
        assert rbl.RblFile.parse(data, strict=False).build() == data, "mismatch"
    else:
        assert rbl.RblPartition.parse(data, strict=False).build() == data, "mismatch"
