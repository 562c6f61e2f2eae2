"""BL602 partition tables: TOML -> binary byte-identical to bflb-iot-tool, export/import, both copies and the
active one, device-written copies, layouts, errors with offsets, properties."""

from __future__ import annotations

import contextlib
import struct
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obkimg import partitions as pw
from obkimg.codecs.checksums import crc32
from obkimg.errors import (
    BuildError,
    ChecksumError,
    FormatError,
    MagicError,
    NotFoundError,
    ObkImgError,
    TruncatedError,
)
from obkimg.formats.bl602 import partitions as bp
from obkimg.source import Source
from tests.bl602._helpers import fx, real, with_table_copy


@pytest.mark.parametrize(
    "toml,binary", [("partition_cfg_2M.toml", "small/partition.bin"), ("pt_test.toml", "pt/pt_test.bin")]
)
def test_toml_builds_fixture(toml: str, binary: str) -> None:
    table, addrs = pw.table_from_toml(fx("inputs", toml).decode())
    assert table.build() == fx(*binary.split("/"))
    assert addrs == (0xE000, 0xF000)


def test_pt_test_quirks() -> None:
    """device=1 in the TOML is dropped (the tool never writes it); activeindex, len and age are kept."""
    table = bp.PartitionTable.parse(fx("pt", "pt_test.bin"))
    fw = table.firmware
    assert (fw.device, fw.active_index, fw.length, fw.age, fw.active_slot) == (0, 1, 0x1234, 5, 1)
    assert table.version == 0 and table.age == 0 and table.size == 92


def test_worked_example() -> None:
    data = fx("small", "partition.bin")
    assert data[:16].hex() == "424650540000070000000000269adf12"
    t = bp.PartitionTable.parse(data)
    fw = t.find("fw")
    assert fw.address == (0x10000, 0xE8000) and fw.size == (0xD8000, 0x88000)
    assert struct.unpack_from("<I", data, 0x10C)[0] == 0xCE0C2BDE
    assert [e.name for e in t.entries] == ["FW", "mfg", "media", "PSM", "KEY", "DATA", "factory"]
    assert t.layout == "bflb-iot-tool-2M"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is 3.11+")
@pytest.mark.parametrize(
    "name", ["partition_cfg_2M.toml", "partition_cfg_2M_sdk.toml", "pt_test.toml", "ota.toml"]
)
def test_toml_reader_agrees_with_tomllib(name: str) -> None:
    import tomllib

    text = fx("inputs", name).decode()
    assert pw.parse_toml(text) == tomllib.loads(text)


def test_toml_reader_subset_values() -> None:
    doc = pw.parse_toml(
        'a = 0x1_0 # c\nb = "x#y\\n"\nc = \'lit\'\nd = true\ne = [1, 0x2, "s"]\n[t]\nf = -3\n'
        "[[arr]]\ng = 0o17\n[[arr]]\ng = 0b101\n"
    )
    assert doc == {
        "a": 16,
        "b": "x#y\n",
        "c": "lit",
        "d": True,
        "e": [1, 2, "s"],
        "t": {"f": -3},
        "arr": [{"g": 15}, {"g": 5}],
    }


@pytest.mark.parametrize(
    "text,line",
    [
        ("a = 1\na = 2\n", 2),
        ("[t]\n[t]\n", 2),
        ("x = \n", 1),
        ("ok = 1\nnot toml\n", 2),
        ('s = "open\n', 1),
        ("v = 0x\n", 1),
    ],
)
def test_toml_errors_name_line_and_offset(text: str, line: int) -> None:
    with pytest.raises(FormatError) as e:
        pw.parse_toml(text)
    assert f"line {line}" in e.value.message
    lines = text.splitlines(keepends=True)
    start = len("".join(lines[: line - 1]).encode())
    assert start <= e.value.offset <= start + len(lines[line - 1].encode())


def test_toml_semantic_errors() -> None:
    with pytest.raises(FormatError):
        pw.table_from_toml("[pt_table]\naddress0 = 0xE000\n")
    with pytest.raises(BuildError, match="too long"):
        pw.table_from_toml('[[pt_entry]]\ntype = 0\nname = "TOOLONG8"\n')
    with pytest.raises(FormatError, match="missing key"):
        pw.table_from_toml('[[pt_entry]]\nname = "FW"\n')
    with pytest.raises(FormatError, match="unsigned"):
        pw.table_from_toml('[[pt_entry]]\ntype = 0\nname = "FW"\nsize0 = -1\n')


@pytest.mark.parametrize("toml", ["partition_cfg_2M.toml", "partition_cfg_2M_sdk.toml", "pt_test.toml"])
def test_export_reimport_is_identity(toml: str) -> None:
    table, _ = pw.table_from_toml(fx("inputs", toml))
    again, _ = pw.table_from_toml(pw.table_to_toml(table, comment="round trip"))
    assert again.build() == table.build()


def test_layouts() -> None:
    assert pw.table_from_toml(fx("inputs", "partition_cfg_2M_sdk.toml"))[0].layout == "bl_iot_sdk-2M"
    assert pw.table_from_toml(fx("inputs", "pt_test.toml"))[0].layout == "bl_iot_sdk-2M (FW slots)"
    assert (
        bp.TableRegion.parse(real("BL602_Partitions_2M_GUIFlashTool.bin")).table.layout
        == "bk7231guiflashtool-2M"
    )
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    assert bp.PartitionTable.parse(dump[0xE000:0xF000]).layout == "openbl602-2M"
    one = bp.PartitionTable((bp.Partition("FW", 0, (0x10000, 0), (0x1000, 0)),))
    assert one.layout == "custom"


@pytest.mark.parametrize(
    "name,copies", [("bflb-iot-tool_partition_partition.bin", 1), ("BL602_Partitions_2M_GUIFlashTool.bin", 2)]
)
def test_real_table_files_roundtrip(name: str, copies: int) -> None:
    data = real(name)
    region = bp.TableRegion.parse(data)
    assert region.build() == data and len(region.copies) == copies and region.active == 0
    assert all(c.valid for c in region.copies)
    assert bp.load(Source(data)).kind == "bl602-partitions"


def test_real_partition_bin_matches_its_published_toml() -> None:
    """The package's partition.bin is its partition_cfg_2M.toml (the .expected.txt quotes both TOMLs)."""
    text = real("bflb-iot-tool_partition_partition.bin.expected.txt").decode()
    section = text.split("## partition_cfg_2M.toml", 1)[1].split("## partition_cfg_1M.toml", 1)[0]
    table, _ = pw.table_from_toml(section)
    assert table.build() == real("bflb-iot-tool_partition_partition.bin")
    one_m, _ = pw.table_from_toml(text.split("## partition_cfg_1M.toml", 1)[1])
    assert one_m.layout == "bflb-iot-tool-1M" and one_m.firmware.size == (0xE7000, 0)


def _dump_tables(first: bytes, second: bytes) -> bytes:
    return b"\xff" * 0xE000 + first.ljust(0x1000, b"\xff") + second.ljust(0x1000, b"\xff") + b"\xff" * 0x1000


def test_active_copy_selection() -> None:
    pt = fx("small", "partition.bin")
    same = _dump_tables(pt, pt)
    assert bp.select_active(bp.read_copies(same)) == 0, "tie -> 0xE000"
    newer = with_table_copy(same, 0xF000, age=1, fw_active=1)
    copies = bp.read_copies(newer)
    assert bp.select_active(copies) == 1 and copies[1].table is not None
    assert copies[1].table.firmware.active_slot == 1 and copies[1].table.age == 1
    broken = bytearray(newer)
    broken[0xF000 + 20] ^= 0xFF
    copies = bp.read_copies(bytes(broken))
    assert not copies[1].valid and bp.select_active(copies) == 0
    assert [p.offset for p in copies[1].problems if p.severity == "error"] == [0xF000 + 16 + 7 * 36]
    erased = _dump_tables(pt, b"")
    copies = bp.read_copies(erased)
    assert copies[1].erased and bp.select_active(copies) == 0
    assert bp.select_active(bp.read_copies(b"\xff" * 0x11000)) is None


def test_device_written_596_byte_copy() -> None:
    pt = fx("small", "partition.bin")
    stale = pt + bytes(range(256)) + bytes(596 - len(pt) - 256)
    copy = bp.TableCopy.parse(stale.ljust(0x1000, b"\xff"))
    assert copy.valid and copy.tail_state == "data" and copy.table is not None
    assert copy.table.build() == pt
    assert any(p.severity == "info" and p.offset == len(pt) for p in copy.problems)


def test_strict_parse_errors_carry_offsets() -> None:
    pt = bytearray(fx("small", "partition.bin"))
    with pytest.raises(MagicError) as m:
        bp.PartitionTable.parse(b"BFPX" + bytes(pt[4:]))
    assert m.value.offset == 0
    bad = bytearray(pt)
    bad[8] = 1
    with pytest.raises(ChecksumError) as c:
        bp.PartitionTable.parse(bytes(bad))
    assert c.value.offset == 12 and c.value.path == "header.crc32"
    bad = bytearray(pt)
    bad[40] ^= 1
    with pytest.raises(ChecksumError) as c2:
        bp.PartitionTable.parse(bytes(bad))
    assert c2.value.offset == 16 + 7 * 36
    with pytest.raises(TruncatedError) as t:
        bp.PartitionTable.parse(bytes(pt[:100]))
    assert t.value.offset == 100
    many = bytearray(pt)
    many[6] = 17
    many[12:16] = struct.pack("<I", crc32(bytes(many[:12])))
    with pytest.raises(FormatError) as f:
        bp.PartitionTable.parse(bytes(many))
    assert f.value.offset == 6


def test_find_and_firmware_errors() -> None:
    t = bp.PartitionTable.parse(fx("small", "partition.bin"))
    assert t.find("FACTORY").address[0] == 0x1F8000 and t.get("nope") is None
    with pytest.raises(NotFoundError):
        t.find("nope")
    with pytest.raises(NotFoundError):
        _ = bp.PartitionTable((bp.Partition("x", 3, (0, 0), (0, 0)),)).firmware
    with pytest.raises(BuildError):
        bp.PartitionTable(tuple(bp.Partition(f"p{i}", i, (0, 0), (0, 0)) for i in range(17))).build()


def test_raw_name_bytes_preserved() -> None:
    pt = bytearray(fx("small", "partition.bin"))
    pt[16 + 3 + 3 : 16 + 12] = b"\0garbage"[:6]  # "FW\0" then junk after the terminator
    pt[16 + 7 * 36 : 16 + 7 * 36 + 4] = struct.pack("<I", crc32(bytes(pt[16 : 16 + 7 * 36])))
    t = bp.PartitionTable.parse(bytes(pt))
    assert t.entries[0].name == "FW" and t.entries[0].raw_name is not None
    assert t.build() == bytes(pt)


names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=9)
u32 = st.integers(0, 0xFFFFFFFF)
parts = st.builds(
    bp.Partition,
    names,
    st.integers(0, 255),
    st.tuples(u32, u32),
    st.tuples(u32, u32),
    u32,
    u32,
    st.integers(0, 255),
    st.integers(0, 255),
)


@given(st.lists(parts, max_size=16).map(tuple), st.integers(0, 0xFFFF), u32)
def test_table_roundtrip_property(entries: tuple[bp.Partition, ...], version: int, age: int) -> None:
    t = bp.PartitionTable(entries, version, age)
    raw = t.build()
    assert len(raw) == 16 + 36 * len(entries) + 4
    assert bp.PartitionTable.parse(raw) == t


@given(st.binary(max_size=700))
def test_garbage_raises_only_obkimg_errors(data: bytes) -> None:
    for blob in (data, b"BFPT" + data):
        with contextlib.suppress(ObkImgError):
            bp.PartitionTable.parse(blob)
        bp.detect(blob)
        bp.read_copies(blob.ljust(0x10000, b"\xff"))
