"""BL602 efuse image (MAC with zero-bit check, flags, key slots) and factory DTB (parse, dtc-identical
rebuild, factory values, masked Wi-Fi passwords)."""

from __future__ import annotations

import contextlib
import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

import obkimg
from obkimg.errors import FormatError, MagicError, ObkImgError, TruncatedError
from obkimg.formats.bl602 import dtb as bd
from obkimg.formats.bl602 import efuse as be
from obkimg.model import Secret, jsonable
from obkimg.source import Source
from tests.bl602._helpers import fx, real
from tests.conftest import validate_schema


def test_efuse_fixture() -> None:
    data = fx("efuse", "efusedata_mac.bin")
    img = be.EfuseImage.parse(data)
    e = img.efuse
    assert e is not None and img.build() == data
    assert e.mac == "18:B9:05:AB:CD:EF" and e.mac_check_ok and e.raw[0x1A] == 22
    assert e.sw_usage["xtal_type"] == 4 and not any(e.key_slot_used(i) for i in range(6))
    assert e.locks == {"write": [], "read": []} and not img.problems()
    det = be.detect(data)
    assert det is not None and det.confidence >= 50
    validate_schema(json.loads(json.dumps(jsonable(img.to_dict()))), "info.v1")


def test_efuse_zero_count_and_flags() -> None:
    assert be.mac_zero_count(bytes.fromhex("efcdab05b918")) == 22
    raw = bytearray(fx("efuse", "efusedata_mac.bin"))
    raw[0x1A] = 21
    img = be.EfuseImage.parse(bytes(raw))
    assert img.efuse is not None and img.efuse.mac_check_ok is False
    assert [p.offset for p in img.problems()] == [0x1A]
    raw[0x1A] = 22
    struct.pack_into("<I", raw, 0, 0b11 << 26 | 1 << 4 | 1 << 2 | 1)
    struct.pack_into("<I", raw, 0x7C, 1 << 18 | 1 << 26)
    raw[0x1C:0x2C] = bytes(range(1, 17))
    e = be.EfuseImage.parse(bytes(raw)).efuse
    assert (
        e is not None
        and e.cfg["sboot_en"] == 1
        and e.cfg["sboot_sign_mode"] == 1
        and e.cfg["dbg_jtag_dis"] == 3
    )
    assert e.locks == {"write": ["wifi_mac"], "read": ["key_slot_0"]} and e.key_slot_used(0)
    d = e.to_dict()
    assert isinstance(d["key_slots"][0]["value"], Secret)
    masked = jsonable(d, show_secrets=False)
    assert masked["key_slots"][0]["value"] != bytes(range(1, 17)).hex()


def test_efuse_real_and_errors() -> None:
    data = real("OpenBL602SDK_efusedata_00bc047.bin")
    img = obkimg.open(data)
    assert img.kind == "bl602-efuse" and img.chip == "BL602"
    assert img.efuse.mac is None  # type: ignore[attr-defined]
    with pytest.raises(TruncatedError):
        be.EfuseImage.parse(bytes(100))
    with pytest.raises(FormatError):
        be.EfuseImage.parse(bytes(200))
    sec = struct.pack("<I", 0x12345678) + bytes(4092) + bytes(range(128))
    s = be.EfuseImage.parse(sec)
    assert s.efuse is None and s.details()["encrypted"] is True
    assert be.detect(sec) is not None


@pytest.mark.parametrize("name", ["small/ro_params.dtb"])
def test_dtb_fixture(name: str) -> None:
    data = fx(*name.split("/"))
    img = bd.DtbImage.parse(data)
    assert img.canonical and img.build() == data and img.fdt.build() == data
    f = img.params.to_dict()
    assert (f["mac_mode"], f["sta_mac"], f["ap_mac"], f["country_code"]) == (
        "MBF",
        "C8:43:57:82:73:40",
        "C8:43:57:82:73:02",
        86,
    )
    assert f["xtal"] == [36, 36, 0, 60, 60] and f["pwr_offset"] == [10] * 14
    assert f["pwr_table_11b"] == [20, 20, 20, 18] and f["pwr_mode"] == "bf" and f["ble_pwr_table"] == [13]
    assert isinstance(f["sta_pwd"], Secret) and f["sta_ssid"] == "yourssid"
    doc = json.loads(json.dumps(jsonable(img.to_dict())))
    validate_schema(doc, "info.v1")
    assert doc["details"]["factory"]["sta_pwd"] != "yourapssword", "masked in info"


def test_dtb_real_regions() -> None:
    gui = real("BL602_Dts_GUIFlashTool.bin")
    img = bd.DtbImage.parse(gui)
    assert img.build() == gui and img.canonical and len(gui) == 16384 and img.totalsize < 16384
    assert [r.state for r in img.regions()] == ["valid", "erased"]
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    part = dump[0x1F8000:0x1FF000]
    dimg = bd.DtbImage.parse(part, base=0x1F8000)
    assert dimg.build() == part and dimg.regions()[0].offset == 0x1F8000


def test_dtb_edits_rebuild_like_dtc() -> None:
    img = bd.DtbImage.parse(fx("small", "ro_params.dtb"))
    root = img.fdt.root
    wifi = root.child("wifi")
    assert wifi is not None
    mac = wifi.child("mac")
    assert mac is not None
    new_mac = bd.FdtNode(
        "mac",
        tuple((k, bytes.fromhex("112233445566") if k == "sta_mac_addr" else v) for k, v in mac.props),
        mac.children,
    )
    new_wifi = bd.FdtNode("wifi", wifi.props, tuple(new_mac if c.name == "mac" else c for c in wifi.children))
    new_root = bd.FdtNode(
        root.name, root.props, tuple(new_wifi if c.name == "wifi" else c for c in root.children)
    )
    raw = bd.Fdt(new_root).build()
    back = bd.Fdt.parse(raw)
    assert back.get("/wifi/mac/sta_mac_addr") == bytes.fromhex("112233445566") and len(raw) == img.totalsize


def test_dtb_errors() -> None:
    data = fx("small", "ro_params.dtb")
    with pytest.raises(MagicError):
        bd.Fdt.parse(b"\0" * 64)
    with pytest.raises(TruncatedError) as t:
        bd.Fdt.parse(data[:1000])
    assert t.value.offset == 1000
    bad = bytearray(data)
    bad[0x38:0x3C] = struct.pack(">I", 7)
    with pytest.raises(FormatError) as f:
        bd.Fdt.parse(bytes(bad))
    assert f.value.offset == 0x38
    assert bd.detect(data) is not None and bd.detect(data).confidence >= 80  # type: ignore[union-attr]
    assert bd.load(Source(data)).kind == "bl602-dtb"


@given(st.binary(max_size=400))
def test_dtb_garbage_raises_only_obkimg_errors(tail: bytes) -> None:
    blob = bd.FDT_MAGIC + tail
    with contextlib.suppress(ObkImgError):
        bd.Fdt.parse(blob)
    bd.detect(blob)
    be.detect(tail)
