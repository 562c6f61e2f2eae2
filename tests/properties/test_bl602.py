"""Properties of the BL602 formats: boot header, partition table (binary and TOML), OTA header and
pack/unpack, efuse, device tree, whole flash. Build -> parse is the identity on generated models; any
bytes and any mutation of the vectors and real files raise only ObkImgError."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import ota
from obkimg import partitions as pw
from obkimg.formats.bl602 import bootheader as bh
from obkimg.formats.bl602 import dtb
from obkimg.formats.bl602 import efuse as ef
from obkimg.formats.bl602 import flash as bf
from obkimg.formats.bl602 import ota as bo
from obkimg.formats.bl602 import partitions as bp
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

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
crc = st.one_of(st.none(), u32)

clocks = st.builds(bh.ClockConfig, u8, u8, u8, u8, u8, u8, st.binary(min_size=2, max_size=2))
boot_headers = st.builds(
    bh.BootHeader,
    flash_cfg=st.binary(min_size=84, max_size=84),
    clock=clocks,
    boot_cfg=st.builds(bh.BootCfg.from_word, u32),
    img_len=u32,
    img_start=u32,
    hash=st.binary(min_size=32, max_size=32),
    boot_entry=u32,
    revision=u32,
    magic=st.sampled_from([b"BFNP", b"BFAP"]),
    flash_magic=st.sampled_from([b"FCFG", bytes(4)]),
    clk_magic=st.sampled_from([b"PCFG", bytes(4)]),
    rsvd=st.tuples(u32, u32),
    flash_crc=crc,
    clk_crc=crc,
    crc=crc,
)


# --------------------------------------------------------------------------------- boot header
@given(boot_headers)
def test_boot_header_identity(h: bh.BootHeader) -> None:
    raw = h.build()
    assert len(raw) == bh.HEADER_SIZE
    back = bh.BootHeader.parse(raw)
    assert back.build() == raw
    filled = dataclasses.replace(
        h, flash_crc=back.flash_crc, clk_crc=back.clk_crc, crc=back.crc
    )  # None = computed on build
    assert back == filled
    fixed = h.with_checksums(fill_ignored=True)
    assert bh.BootHeader.parse(fixed.build(), strict=True).crc_state == "valid"


@settings(max_examples=scaled(60))
@given(st.binary(max_size=5000).map(lambda b: bytes.fromhex("97010000938181") + b))  # RISC-V-like start
def test_fw_ota_bin_pack_unpack(image: bytes) -> None:
    """bare image -> FW_OTA.bin -> .xz.ota / .ota -> unpack gives FW_OTA.bin and the image back."""
    for raw in (False, True):
        res = ota.pack(image, raw=raw)
        back = ota.unpack(res.ota)
        assert back.fw_ota == res.fw_ota
        assert back.image[: len(image)] == image
        img = bo.OtaImage.parse(res.ota)
        assert (
            img.build() == res.ota
            and img.problems() == []
            or all(p.severity != "error" for p in img.problems())
        )


# ----------------------------------------------------------------------------- partition table
names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=9)
partitions = st.builds(
    bp.Partition,
    name=names,
    type=u8,
    address=st.tuples(u32, u32),
    size=st.tuples(u32, u32),
    length=u32,
    age=u32,
    active_index=u8,
    device=u8,
)
tables = st.builds(
    bp.PartitionTable, entries=st.lists(partitions, max_size=bp.MAX_ENTRIES).map(tuple), version=u16, age=u32
)


@given(tables)
def test_partition_table_identity(t: bp.PartitionTable) -> None:
    raw = t.build()
    assert len(raw) == t.size
    back = bp.PartitionTable.parse(raw, strict=True)
    assert back == t and back.build() == raw


toml_partitions = st.builds(
    bp.Partition,
    name=st.text(
        st.characters(max_codepoint=0xFF, exclude_categories=("Cs",)), min_size=1, max_size=7
    ).filter(lambda n: len(n.encode()) < 8),
    type=st.integers(0, 15),
    address=st.tuples(u32, u32),
    size=st.tuples(u32, u32),
    length=u32,
    age=st.just(0),
    active_index=st.just(0),
    device=st.just(0),
)


@given(
    st.lists(toml_partitions, min_size=1, max_size=bp.MAX_ENTRIES).map(tuple),
    st.sampled_from([(0xE000, 0xF000), (0x1000, 0x2000)]),
)
def test_partition_toml_round_trip(entries: tuple[bp.Partition, ...], addresses: tuple[int, int]) -> None:
    t = bp.PartitionTable(entries)
    text = pw.table_to_toml(t, addresses=addresses)  # names with newlines, quotes, controls: escaped
    back, addrs = pw.table_from_toml(text, allow_overlap=True)
    assert back.build() == t.build() and addrs == addresses
    assert [e.name for e in back.entries] == [e.name for e in entries]


# ---------------------------------------------------------------------------------- OTA header
@given(
    st.binary(max_size=2000),
    st.sampled_from(["xz", "raw"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
    st.one_of(st.none(), u32),
)
def test_ota_header_identity(payload: bytes, comp: str, hw: str, sw: str, unpacked: int | None) -> None:
    h = only_obkimg_errors(
        bo.OtaHeader.for_payload,
        payload,
        compression=comp,
        hw_version=hw,
        sw_version=sw,
        unpacked_len=unpacked,
    )
    if h is None:
        return  # a version the vendor layout cannot hold (refused with BuildError)
    raw = h.build()
    assert len(raw) == bo.OTA_HEADER_SIZE
    back = bo.OtaHeader.parse(raw)
    assert back == h and back.build() == raw
    if unpacked is not None and unpacked != 0xFFFFFFFF:
        assert back.unpacked_len == unpacked


# ------------------------------------------------------------------------------- efuse and DTB
@given(st.binary(min_size=ef.EFUSE_SIZE, max_size=ef.EFUSE_SIZE))
def test_efuse_identity(raw: bytes) -> None:
    e = ef.Efuse.parse(raw)
    assert e.build() == raw
    e.to_dict(show_secrets=True)
    img = only_obkimg_errors(ef.EfuseImage.parse, raw)
    if img is not None:
        assert img.build() == raw
        exercise(img)


prop_names = st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=1, max_size=12)
node_names = st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=1, max_size=12)


def _nodes(depth: int) -> st.SearchStrategy[dtb.FdtNode]:
    kids = st.just(()) if depth == 0 else st.lists(_nodes(depth - 1), max_size=3).map(tuple)
    props = st.lists(st.tuples(prop_names, st.binary(max_size=24)), max_size=4, unique_by=lambda p: p[0]).map(
        tuple
    )
    return st.builds(dtb.FdtNode, name=node_names, props=props, children=kids)


@given(
    _nodes(3).map(lambda n: dataclasses.replace(n, name="")),
    st.lists(st.tuples(st.integers(1, 1 << 40), st.integers(1, 1 << 40)), max_size=2).map(tuple),
)
def test_dtb_identity(root: dtb.FdtNode, reserved: tuple[tuple[int, int], ...]) -> None:
    fdt = dtb.Fdt(root, reserved)
    raw = fdt.build()
    back = dtb.Fdt.parse(raw)
    assert back == fdt and back.build() == raw
    img = only_obkimg_errors(dtb.DtbImage.parse, raw)
    if img is not None:
        exercise(img)


# ------------------------------------------------------------------------------------ any bytes
def _all_parsers(data: bytes) -> None:
    limit = 1 << 20
    for strict in (True, False):
        only_obkimg_errors(bh.BootHeader.parse, data, strict=strict)
        only_obkimg_errors(bp.PartitionTable.parse, data, strict=strict)
        only_obkimg_errors(bp.TableCopy.parse, data, strict=strict)
        only_obkimg_errors(bo.OtaImage.parse, data, strict=strict, limit=limit)
        only_obkimg_errors(bo.XzImage.parse, data, strict=strict, limit=limit)
    for role in (None, "firmware", "boot2"):
        img = only_obkimg_errors(bh.BootImage.parse, data, role=role)
        if img is not None:
            exercise(img)
    only_obkimg_errors(bo.xz_info, data)
    only_obkimg_errors(ota.unpack, data, limit=limit)
    only_obkimg_errors(ota.table_from, data)
    only_obkimg_errors(ota.firmware_from, data)
    only_obkimg_errors(bp.TableRegion.parse, data)
    only_obkimg_errors(ef.Efuse.parse, data)
    only_obkimg_errors(dtb.Fdt.parse, data)
    for addrs in (bp.TABLE_ADDRESSES, (0, 0x1000)):
        d = only_obkimg_errors(bf.FlashDump.parse, data, table_addresses=addrs)
        if d is not None:
            exercise(d)
    for mod in (bh, bp, bo, ef, dtb, bf):
        mod.detect(data)
        img = only_obkimg_errors(mod.load, Source(data))
        if img is not None:
            exercise(img)


@given(garbage())
def test_any_bytes_only_obkimg_errors(data: bytes) -> None:
    _all_parsers(data)


@given(st.text(max_size=600))
def test_any_toml_text(text: str) -> None:
    only_obkimg_errors(pw.parse_toml, text)
    only_obkimg_errors(pw.table_from_toml, text)
    only_obkimg_errors(ota.table_from, text.encode())


FILES = inputs(
    [p for p in vector_files("bl602/*") if p.stat().st_size <= 1 << 20]
    + [p for p in real_files("bl602/*") if p.stat().st_size <= 1 << 20]
)
FLASH = inputs(
    vector_files("bl602/small/whole_flash_data.bin")
    + real_files("bl602/*whole_flash*")
    + real_files("bl602/full_binary*")
)


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(150))
@given(st.sampled_from(FILES or [(Path("."), False)]), mutations())
def test_mutated_files_only_obkimg_errors(item: tuple[Path, bool], ops: list) -> None:
    _all_parsers(mutate(read(*item), ops))


@pytest.mark.skipif(not FLASH, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(30))
@given(st.sampled_from(FLASH or [(Path("."), False)]), mutations())
def test_mutated_flash_only_obkimg_errors(item: tuple[Path, bool], ops: list) -> None:
    data = mutate(read(*item), ops)
    d = only_obkimg_errors(bf.FlashDump.parse, data)
    if d is not None:
        exercise(d)
        assert d.build() == data
    only_obkimg_errors(ota.table_from, data)
