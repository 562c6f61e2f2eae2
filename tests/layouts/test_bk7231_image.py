"""Schema-level tests (construct's ``common()`` style) of the BK7231 image layouts: the ARM vector, the
RF calibration TLV heads and the QIO image (CRC-framed code areas and in-flash trailers)."""

from __future__ import annotations

import construct as c
import pytest

from obkimg.codecs import crcframe
from obkimg.errors import ChecksumError
from obkimg.formats.bk7231.image import CrcFramedArea, FramedTrailer, qio_schema
from obkimg.formats.bk7231.layout import (
    ARM_VECTOR,
    LAYOUTS,
    RF_MAC_TAG,
    RF_TLV_HEADER,
    RF_TLV_ITEM,
    is_arm_vector,
)
from tests.conftest import fixture_path, real_path
from tests.layouts._common import common

N_DUMP = ("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")


# ------------------------------------------------------------------------------------ ARM vector
def test_arm_vector_real_app() -> None:
    data = fixture_path("bk7231", "app_raw.bin").read_bytes()[:8]
    value = {"branch_offset": 0x0E, "branch_opcode": b"\xea", "ldr_pc": b"\x14\xf0\x9f\xe5"}
    common(ARM_VECTOR, data, value, size=8)
    assert is_arm_vector(data)


def test_arm_vector_real_bootloader() -> None:
    data = fixture_path("bk7231n", "bk7231n_bootloader.bin").read_bytes()[:8]
    parsed = common(ARM_VECTOR, data, size=8)
    assert is_arm_vector(data) and parsed.branch_opcode == b"\xea"


def test_arm_vector_generated() -> None:
    blob = ARM_VECTOR.build({"branch_offset": 0x123456})
    assert blob == bytes.fromhex("563412ea14f09fe5")
    common(
        ARM_VECTOR, blob, {"branch_offset": 0x123456, "branch_opcode": b"\xea", "ldr_pc": blob[4:]}, size=8
    )
    assert is_arm_vector(blob)
    with pytest.raises(c.ConstError):
        ARM_VECTOR.parse(blob[:3] + b"\xeb" + blob[4:])  # not B with condition AL
    assert not is_arm_vector(blob[:3] + b"\xeb" + blob[4:])


# ------------------------------------------------------------------------------------ RF TLV
def test_rf_tlv_real_dump() -> None:
    flash = real_path(*N_DUMP).read_bytes()
    off = LAYOUTS["bk7231n"].rf
    head = common(RF_TLV_HEADER, flash[off : off + 8], size=8)
    assert head.magic == b"TLV\0" and 0 < head.length < 0x1000
    item = common(RF_TLV_ITEM, flash[off + 8 : off + 16], size=8)
    assert 8 + item.length <= head.length  # the first group fits the sector's items


def test_rf_tlv_generated() -> None:
    mac = bytes(range(6))
    item = RF_TLV_ITEM.build({"tag": RF_MAC_TAG, "length": 6}) + mac
    group = RF_TLV_ITEM.build({"tag": b"\x00\x11\x11\x11", "length": len(item)}) + item
    sector = RF_TLV_HEADER.build({"length": len(group)}) + group
    common(RF_TLV_HEADER, sector[:8], {"magic": b"TLV\0", "length": 22}, size=8)
    common(RF_TLV_ITEM, sector[8:16], {"tag": b"\x00\x11\x11\x11", "length": 14}, size=8)
    common(RF_TLV_ITEM, sector[16:24], {"tag": RF_MAC_TAG, "length": 6}, size=8)


def test_rf_tlv_mapped_from_generated_sector() -> None:
    """The dump analysis reads the MAC through these schemas."""
    from obkimg.bkmap import RegionMap, _rf_region

    mac = bytes.fromhex("c8478cabcdef")
    item = RF_TLV_ITEM.build({"tag": RF_MAC_TAG, "length": 6}) + mac
    group = RF_TLV_ITEM.build({"tag": b"\x00\x11\x11\x11", "length": len(item)}) + item
    sector = RF_TLV_HEADER.build({"length": len(group)}) + group
    flash = sector + b"\xff" * (0x1000 - len(sector))
    m = RegionMap(flash, "bk7231-dump")
    found: dict[str, object] = {}
    _rf_region(flash, 0, m, found, "bk7231-dump")
    assert found["rf"].mac == "c8:47:8c:ab:cd:ef" and m.top[0].state == "valid"


# ------------------------------------------------------------------------------------ QIO
@pytest.mark.parametrize(
    ("name", "layout"),
    [
        (("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), "bk7231n"),
        (("bk7231t", "OpenBK7231T_QIO_1.18.300.bin"), "bk7231t-obk"),
    ],
)
def test_qio_schema_real(name: tuple[str, str], layout: str) -> None:
    data = real_path(*name).read_bytes()
    lay = LAYOUTS[layout]
    schema = qio_schema(lay.bootloader_rbl, lay.app_rbl)
    parsed = common(schema, data, size=len(data))
    assert parsed.bootloader_rbl[:4] == b"RBL\0" and parsed.app_rbl[:4] == b"RBL\0"
    assert is_arm_vector(crcframe.unframe(data[0x11000 : 0x11000 + 34])[:8]) is False  # encrypted app
    assert len(parsed.app) % 32 == 0 and len(parsed.bootloader) % 32 == 0


def test_qio_schema_generated() -> None:
    boot = b"\x0e\x00\x00\xea\x14\xf0\x9f\xe5" + bytes(range(256)) * 4
    app = b"\x0e\x00\x00\xea\x14\xf0\x9f\xe5" + bytes(1000)
    hdr_b, hdr_a = b"RBL\0" + bytes(92), b"RBL\0" + b"\x01" * 92
    schema = qio_schema(0xFE9A, 0x131F9A)  # the Beken SDK layout: 0xFF gap before 0x11000
    value = {"bootloader": boot, "bootloader_rbl": hdr_b, "app": app, "app_rbl": hdr_a}
    blob = schema.build(value)
    assert len(blob) == 0x131F9A + 102 == schema.sizeof()
    assert blob[0xFE9A + 102 : 0x11000] == b"\xff" * 0x1100
    assert blob[0x11000 : 0x11000 + 34] == crcframe.frame(app[:32])
    parsed = common(schema, blob, size=len(blob))
    assert parsed.bootloader[: len(boot)] == boot and parsed.bootloader[len(boot) :] == b"\xff" * (
        -len(boot) % 32
    )
    assert parsed.app[: len(app)] == app and parsed.app_rbl == hdr_a


def test_qio_schema_without_bootloader_trailer() -> None:
    schema = qio_schema(None, 0x129F0A)
    blob = schema.build({"bootloader": b"\x00" * 64, "app": b"\x01" * 64, "app_rbl": None})
    assert len(blob) == 0x129F0A + 102 and blob.endswith(b"\xff" * 102)
    parsed = common(schema, blob, size=len(blob))
    assert parsed.app_rbl is None and parsed.bootloader == b"\x00" * 64


def test_crc_framed_area_strict_and_lenient() -> None:
    area = CrcFramedArea(4 * 34)
    good = area.build(bytes(range(64)))
    assert good[68:] == b"\xff" * 68
    common(area, good, bytes(range(64)), size=136)
    bad = good[:5] + b"\x00" + good[6:]
    with pytest.raises(ChecksumError):
        area.parse(bad)  # strict by default
    assert len(area.parse(bad, strict=False)) == 64  # lenient: the model reports the bad block
    with pytest.raises(c.ExplicitError):
        area.build(bytes(200))  # 7 framed blocks do not fit in 4


def test_framed_trailer() -> None:
    t = FramedTrailer()
    hdr = b"RBL\0" + bytes(range(92))
    blob = t.build(hdr)
    assert blob == crcframe.frame(hdr) and len(blob) == 102
    common(t, blob, hdr, size=102)
    common(t, b"\xff" * 102, None, size=102)
    assert t.parse(b"\xff" * 102) is None
