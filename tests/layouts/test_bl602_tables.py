"""Schema-level tests (construct ``common()`` style) for the BL602 partition table, OTA header, efuse and
factory DTB header: parse, build back to the same bytes, value and sizeof, on vendor vectors and real
files (skipped when absent) and on generated values."""

from __future__ import annotations

import hashlib

import construct as c
import pytest

from obkimg.codecs.checksums import crc32
from obkimg.formats.bl602 import dtb as bd
from obkimg.formats.bl602 import efuse as be
from obkimg.formats.bl602 import ota as bo
from obkimg.formats.bl602 import partitions as bp
from tests.bl602._helpers import fx, real
from tests.layouts._common import common

# ---------------------------------------------------------------------------------- partition table


def _entry(name: str, typ: int, a0: int, s0: int, a1: int = 0, s1: int = 0) -> dict[str, object]:
    return {
        "type": typ,
        "device": 0,
        "active_index": 0,
        "name": name,
        "address": [a0, a1],
        "max_len": [s0, s1],
        "len": 0,
        "age": 0,
    }


def test_pt_entry_and_header_sizes() -> None:
    assert bp.PT_ENTRY.sizeof() == 36 and bp.PT_HEADER.sizeof() == 16
    raw = b"\x00\x00\x01FW\x00junk!!" + bytes(24)  # bytes after the NUL round-trip
    e = common(bp.PT_ENTRY, raw, size=36)
    assert e.name == "FW" and e.name.raw == b"FW\x00junk!!" and e.active_index == 1


@pytest.mark.parametrize(
    "where",
    [
        ("fx", "small/partition.bin"),
        ("fx", "pt/pt_test.bin"),
        ("real", "bflb-iot-tool_partition_partition.bin"),
        ("real", "BL602_Partitions_2M_GUIFlashTool.bin"),
    ],
)
def test_pt_table_on_vectors(where: tuple[str, str]) -> None:
    kind, name = where
    data = fx(*name.split("/")) if kind == "fx" else real(name)
    n = int.from_bytes(data[6:8], "little")
    table = data[: bp.table_size(n)]
    t = common(bp.PT_TABLE, table, size=-1)
    assert t.header.body.value.magic == b"BFPT" and len(t.entries.value) == n
    assert t.header.crc32 == crc32(table[:12]) and t.entries_crc32 == crc32(table[16:-4])
    assert bp.PT_TABLE.parse(table, strict=True).entries.value[0].type == 0


def test_pt_table_on_a_real_dump_copy() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    for off in bp.TABLE_ADDRESSES:
        n = int.from_bytes(dump[off + 6 : off + 8], "little")
        common(bp.PT_TABLE, dump[off : off + bp.table_size(n)])


def test_pt_table_generated_value_derives_count_and_crcs() -> None:
    value = {
        "header": {"body": {"value": {"version": 0, "age": 3}}},
        "entries": {
            "value": [_entry("FW", 0, 0x10000, 0xD8000, 0xE8000, 0x88000), _entry("PSM", 4, 0x1E9000, 0x8000)]
        },
    }
    blob = bp.PT_TABLE.build(value)
    assert len(blob) == bp.table_size(2) and blob[:4] == b"BFPT" and blob[6] == 2
    assert int.from_bytes(blob[12:16], "little") == crc32(blob[:12])
    assert int.from_bytes(blob[-4:], "little") == crc32(blob[16:-4])
    t = common(bp.PT_TABLE, blob, size=-1)
    assert [e.name for e in t.entries.value] == ["FW", "PSM"] and t.header.body.value.age == 3
    # the model builds the same bytes from the same table
    assert bp.PartitionTable.parse(blob).build() == blob


def test_pt_table_strict_checks_the_crcs() -> None:
    blob = bytearray(fx("small", "partition.bin"))
    blob[20] ^= 1  # an entry byte: the entries CRC no longer holds
    with pytest.raises(c.CheckError):
        bp.PT_TABLE.parse(bytes(blob))
    lenient = bp.PT_TABLE.parse(bytes(blob), strict=False)
    assert lenient.entries_crc32 != crc32(bytes(blob[16:-4]))
    # building derives the CRCs: the entries (kept by RawCopy) get their correct CRC back
    fixed = bytes(blob[:-4]) + crc32(bytes(blob[16:-4])).to_bytes(4, "little")
    assert bp.PT_TABLE.build(lenient) == fixed and bp.PT_TABLE.parse(fixed).entries.data == blob[16:-4]


# ---------------------------------------------------------------------------------- OTA header


@pytest.mark.parametrize("name", ["FW_OTA.bin.xz.ota", "FW_OTA.bin.ota"])
def test_ota_header_on_vectors(name: str) -> None:
    data = fx("small", name)
    h = common(bo.OTA_HEADER, data[:512], size=512)
    assert h.type in ("xz", "raw") and h.hw_version == "BFL_Module_v1.1" and h.pad == bytes(range(1, 9))
    img = common(bo.OTA_IMAGE, data, size=-1)
    assert img.header.length == len(img.payload) and img.header.sha256 == hashlib.sha256(img.payload).digest()


def test_ota_header_on_real_files() -> None:
    h = common(bo.OTA_HEADER, real("bl602_zengge_ota_header.bin")[:512], size=512)
    assert h.magic == bo.OTA_MAGIC
    data = real("OpenBL602_1.17.551_OTA.bin.xz.ota")
    img = common(bo.OTA_IMAGE, data, size=-1)
    assert img.header.type == "xz" and img.payload[:6] == b"\xfd7zXZ\x00"


def test_ota_image_generated_value_rebuilds_length_and_sha() -> None:
    payload = bytes(range(256)) * 3
    value = {"header": {"type": "raw", "hw_version": "hw", "sw_version": "1.0.96"}, "payload": payload}
    blob = bo.OTA_IMAGE.build(value)
    assert len(blob) == 512 + len(payload) and blob[16:20] == b"RAW " and blob[24:32] == bytes(range(1, 9))
    img = common(bo.OTA_IMAGE, blob, size=-1)
    assert img.header.length == len(payload) and img.header.sha256 == hashlib.sha256(payload).digest()
    assert img.header.sw_version == "1.0.96" and img.header.tail == b"\xff" * 416
    bad = bytearray(blob)
    bad[600] ^= 1
    with pytest.raises(c.CheckError):
        bo.OTA_IMAGE.parse(bytes(bad))
    assert bo.OTA_IMAGE.parse(bytes(bad), strict=False).payload == bytes(bad[512:])


def test_ota_header_alone_keeps_length_and_sha() -> None:
    value = {
        "type": "xz",
        "length": 7,
        "hw_version": "a",
        "sw_version": "b",
        "sha256": bytes(range(32)),
    }
    blob = bo.OTA_HEADER.build(value)
    h = common(bo.OTA_HEADER, blob, size=512)
    assert h.length == 7 and h.sha256 == bytes(range(32))


# ---------------------------------------------------------------------------------- efuse


@pytest.mark.parametrize("name", ["efusedata_mac.bin", "efusedata_mac_mask.bin"])
def test_efuse_on_vectors(name: str) -> None:
    e = common(be.EFUSE, fx("efuse", name), size=128)
    if name == "efusedata_mac.bin":  # the other one is the tool's write mask: all field bits set
        assert e.sw_usage_0.value.xtal_type == "40M" and int(e.sw_usage_0.value.xtal_type) == 4
        assert e.mac_check.zero_count == be.mac_zero_count(e.mac) == 22


def test_efuse_generated_value() -> None:
    ff = be.EFUSE.build(be.EFUSE.parse(b"\xff" * 128))
    assert ff == b"\xff" * 128  # every bit, reserved ones included, round-trips
    blob = bytearray(128)
    blob[0:4] = (1 << 4 | 1 << 2 | 3 << 26).to_bytes(4, "little")  # sboot_en, sign mode 1, jtag off
    blob[0x10:0x14] = (4 << 4 | 4 << 7 | 3 << 12).to_bytes(4, "little")  # 40M, PLL160M, 80M
    blob[0x7C:0x80] = (1 << 18 | 1 << 26).to_bytes(4, "little")  # wr_lock_wifi_mac, rd_lock_key_slot_0
    e = common(be.EFUSE, bytes(blob), size=128)
    cfg, sw, lock = e.cfg.value, e.sw_usage_0.value, e.lock.value
    assert (cfg.sboot_en, cfg.dbg_jtag_dis) == (1, 3)
    assert (cfg.sboot_sign_mode, cfg.sf_aes_mode) == ("EF_CTRL_SIGN_RSA", "EF_CTRL_SF_AES_NONE")
    assert cfg.dbg_mode == "EF_CTRL_DBG_OPEN" and int(cfg.sboot_sign_mode) == 1
    assert (sw.xtal_type, sw.pll_clk, sw.flash_clk_type) == ("40M", "PLL160M", "80M")
    assert lock.wr_lock_wifi_mac == 1 and lock.rd_lock_key_slot_0 == 1 and lock.rsvd_0 == 0
    assert be.EF_CFG_0.sizeof() == be.EF_SW_USAGE_0.sizeof() == be.EF_LOCK.sizeof() == 4


def test_efuse_security_save_layout() -> None:
    blob = be.SECURE_SAVE.build({"crc32": 0x12345678, "zero": bytes(4092), "encrypted": bytes(range(128))})
    s = common(be.SECURE_SAVE, blob, size=be.SECURE_SAVE_SIZE)
    assert s.crc32 == 0x12345678 and len(blob) == 4224


# ---------------------------------------------------------------------------------- factory DTB


def test_fdt_header_on_vectors() -> None:
    for data in (fx("small", "ro_params.dtb"), real("BL602_Dts_GUIFlashTool.bin")):
        h = common(bd.FDT_HEADER, data[:40], size=40)
        assert h.version == 17 and h.last_comp_version == 16 and h.totalsize <= len(data)
        r = common(bd.FDT_RESERVE_ENTRY, data[h.off_mem_rsvmap : h.off_mem_rsvmap + 16], size=16)
        assert (r.address, r.size) == (0, 0)


def test_fdt_header_generated_value() -> None:
    value = {
        "totalsize": 0x100,
        "off_dt_struct": 0x38,
        "off_dt_strings": 0xF0,
        "off_mem_rsvmap": 0x28,
        "version": 17,
        "last_comp_version": 16,
        "boot_cpuid_phys": 0,
        "size_dt_strings": 0x10,
        "size_dt_struct": 0xB8,
    }
    blob = bd.FDT_HEADER.build(value)
    assert blob[:8] == b"\xd0\x0d\xfe\xed\x00\x00\x01\x00"  # big-endian
    common(bd.FDT_HEADER, blob, {"magic": bd.FDT_MAGIC, **value}, size=40)
    with pytest.raises(c.ConstError):
        bd.FDT_HEADER.parse(b"\xd0\x0d\xfe\xee" + blob[4:])
