"""Whole BL602 flash: dissection of real dumps and tool images, pending XZ OTA, damaged tables, building
whole_flash_data.bin byte for byte, info --json documents validated against the schemas."""

from __future__ import annotations

import json

import pytest

import obkimg
from obkimg.errors import BuildError, NotFoundError
from obkimg.formats.bl602 import flash as bf
from obkimg.formats.bl602.ota import xz_compress
from obkimg.model import jsonable
from obkimg.source import Source
from tests.bl602._helpers import fx, real, with_table_copy
from tests.conftest import validate_schema


def _states(dump: bf.FlashDump) -> dict[str, str]:
    return {r.name: r.state for r in dump.regions()}


def test_real_device_dump() -> None:
    data = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    d = bf.FlashDump.parse(data)
    assert d.layout == "openbl602-2M" and d.active_copy == 0 and d.fw_active_slot == 0 and d.ok
    assert _states(d) == {
        "boot2": "valid",
        "partition table 0": "valid",
        "partition table 1": "valid",
        "FW slot 0": "valid",
        "FW slot 1": "erased",
        "mfg": "erased",
        "media": "erased",
        "PSM": "valid",
        "KEY": "erased",
        "DATA": "erased",
        "factory": "valid",
    }
    kinds = {r.name: r.kind for r in d.regions()}
    assert kinds["PSM"] == "easyflash" and kinds["factory"] == "dtb" and kinds["FW slot 0"] == "app"
    fw = d.running_firmware()
    assert fw[0x1000 : 0x1000 + 787860] == real("OpenBL602_1.18.57.bin"), "mismatch"
    assert not d.problems()


def test_info_json_of_a_dump_lists_partitions_and_validity() -> None:
    img = obkimg.open(real_path_str("full_binary_with_app_OpenBL602_1.18.57.bin"))
    doc = json.loads(json.dumps(img.to_dict()))
    validate_schema(doc, "info.v1")
    det = doc["details"]
    assert det["active_slot"] == 0 and det["active_copy"] == 0 and det["layout"] == "openbl602-2M"
    fw = det["partitions"][0]
    assert (fw["name"], fw["type"], fw["address0"], fw["size0"], fw["address1"], fw["size1"]) == (
        "FW",
        0,
        0x10000,
        0xC8000,
        0xD8000,
        0x88000,
    )
    assert [r["valid"] for r in doc["regions"] if r["name"] == "FW slot 0"] == [True]
    assert det["factory"]["sta_mac"] == "C8:43:57:82:73:40" and det["pending_ota"] is None


def real_path_str(name: str) -> str:
    from tests.conftest import real_path

    return str(real_path("bl602", name))


@pytest.mark.parametrize(
    "name,layout,fw0",
    [
        ("OpenBL602SDK_whole_flash_data_492db3f.bin", "openbl602-2M", "erased"),
        ("bflb-iot-tool_img_create_iot_whole_flash_data.bin", "bflb-iot-tool-2M", "valid"),
    ],
)
def test_tool_images(name: str, layout: str, fw0: str) -> None:
    d = bf.FlashDump.parse(real(name))
    assert d.layout == layout and _states(d)["FW slot 0"] == fw0
    assert any("not a whole flash size" in p.message for p in d.problems())
    validate_schema(json.loads(json.dumps(jsonable(d.to_dict()))), "info.v1")


def test_build_whole_flash_data_byte_identical() -> None:
    parts = dict(
        table=fx("inputs", "partition_cfg_2M.toml").decode(),
        boot2=fx("inputs", "boot2_isp_release.bin"),
        firmware=fx("inputs", "fw_small.bin"),
        dtb=fx("small", "ro_params.dtb"),
    )
    expect = fx("small", "whole_flash_data.bin")
    assert bf.build_flash(**parts) == expect  # type: ignore[arg-type]
    padded = bf.build_flash(**parts, size=0x200000)  # type: ignore[arg-type]
    assert padded == expect + b"\xff" * (0x200000 - len(expect))
    same = bf.build_flash(
        table=fx("small", "partition.bin"),
        boot2=fx("small", "whole_img_boot2.bin"),
        firmware=fx("small", "FW_OTA.bin"),
        dtb=fx("small", "ro_params.dtb"),
    )
    assert same == expect
    d = bf.FlashDump.parse(padded)
    assert d.ok and d.running_firmware() == fx("small", "FW_OTA.bin") and d.layout == "bflb-iot-tool-2M"


def test_build_errors() -> None:
    table = fx("small", "partition.bin")
    with pytest.raises(BuildError, match="its space"):
        bf.build_flash(table=table, dtb=b"\xd0\x0d\xfe\xed" + bytes(0x8000))
    with pytest.raises(BuildError, match="beyond"):
        bf.build_flash(table=table, firmware=fx("inputs", "fw_small.bin"), size=0x10000)
    with pytest.raises(NotFoundError):
        bf.build_flash(table=table, partitions={"nope": b"x"})


def _pending_ota_dump() -> bytes:
    base = bytearray(fx("small", "whole_flash_data.bin").ljust(0x200000, b"\xff"))
    stream = xz_compress(fx("small", "FW_OTA.bin"))
    base[0xE8000 : 0xE8000 + len(stream)] = stream
    return with_table_copy(bytes(base), 0xF000, age=1, fw_active=1, fw_len=len(stream) + 512)


def test_pending_xz_ota_in_slot1() -> None:
    d = bf.FlashDump.parse(_pending_ota_dump())
    assert d.active_copy == 1 and d.fw_active_slot == 1
    s1 = d.slot("FW", 1)
    assert s1.content == "xz-ota" and s1.state == "valid" and s1.active and s1.detail["pending"]
    assert s1.detail["unpacked_size"] == 24096 and s1.detail["fits_other_slot"] is True
    assert d.running_firmware() == fx("small", "FW_OTA.bin")
    doc = json.loads(json.dumps(jsonable(d.to_dict())))
    validate_schema(doc, "info.v1")
    assert doc["details"]["pending_ota"]["slot"] == 1
    assert any("pending XZ OTA" in line for line in d.describe())
    names = [a.name for a in d.artifacts()]
    assert "FW_OTA_FW1.bin.xz" in names and "FW_OTA_FW1_unpacked.bin" in names and "ro_params.dtb" in names


def test_corrupt_pending_ota_and_bad_table_copy() -> None:
    data = bytearray(_pending_ota_dump())
    data[0xE8000 + 300] ^= 0xFF
    data[0xE000 + 30] ^= 0xFF
    d = bf.FlashDump.parse(bytes(data))
    st = _states(d)
    assert st["partition table 0"] == "bad-crc" and st["partition table 1"] == "valid"
    assert st["FW slot 1"] == "invalid" and not d.ok
    assert any(p.severity == "error" for p in d.verify())


def test_no_readable_table() -> None:
    data = bytearray(fx("small", "whole_flash_data.bin"))
    data[0xE000:0xE004] = b"XXXX"
    data[0xF000:0xF004] = b"XXXX"
    d = bf.FlashDump.parse(bytes(data))
    assert not d.slots and any("no readable partition table" in p.message for p in d.problems())
    with pytest.raises(NotFoundError):
        _ = d.table


def test_detection_ranks_the_dump_above_its_boot_header() -> None:
    found = obkimg.detect(fx("small", "whole_flash_data.bin"))
    assert found[0].kind == "bl602-dump" and found[0].chip == "BL602"
    assert bf.detect(b"\xff" * 0x20000) is None
    assert bf.load(Source(fx("small", "whole_flash_data.bin"))).kind == "bl602-dump"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_garbage_dump_raises_nothing(t0: bytes, fw: bytes) -> None:
    data = bytearray(b"\xff" * 0x20000)
    data[0xE000 : 0xE000 + 4 + len(t0)] = b"BFPT" + t0
    data[0x10000 : 0x10000 + 4 + len(fw)] = b"BFNP" + fw
    d = bf.FlashDump.parse(bytes(data))
    json.dumps(jsonable(d.to_dict()))
    d.artifacts()


def test_artifacts_of_the_vendor_whole_flash() -> None:
    """What ``obkimg extract`` writes for a whole flash: names, kinds, regions and the bytes of each."""
    data = fx("small", "whole_flash_data.bin")
    arts = bf.FlashDump.parse(data).artifacts()
    assert [(a.name, a.kind, a.region) for a in arts] == [
        ("whole_img_boot2.bin", "bootloader", "boot2"),
        ("partition.bin", "partition-table", "partition table"),
        ("partition_cfg.toml", "config", "partition table"),
        ("FW_OTA_FW0.bin", "firmware", "FW slot 0"),
        ("FW0_bare.bin", "app-plain", "FW slot 0"),
        ("ro_params.dtb", "dtb", "factory"),
    ]
    by_name = {a.name: a.data for a in arts}
    assert by_name["whole_img_boot2.bin"] == fx("small", "whole_img_boot2.bin")
    assert by_name["partition.bin"] == fx("small", "partition.bin")
    assert by_name["FW_OTA_FW0.bin"] == fx("small", "FW_OTA.bin")
    assert by_name["FW0_bare.bin"] == fx("small", "img.bin")
    assert by_name["ro_params.dtb"] == fx("small", "ro_params.dtb")


def test_one_dump_test_and_one_table_in_use() -> None:
    """is_flash_dump is the test the format, the header workflow and the OTA workflow share; table_in_use
    falls back to a damaged copy's table only when no copy is valid."""
    from obkimg import ota
    from obkimg.formats.bl602.layout import is_flash_dump, table_in_use
    from obkimg.formats.bl602.partitions import read_copies

    data = fx("small", "whole_flash_data.bin")
    assert is_flash_dump(data) and not is_flash_dump(data[:0xF013]) and not is_flash_dump(b"\xff" * 0x20000)
    assert ota.is_flash_dump is is_flash_dump and bf.detect(data) is not None
    good = table_in_use(read_copies(data))
    assert good is not None and good.build() == fx("small", "partition.bin")
    damaged = bytearray(data)
    for a in (0xE000, 0xF000):
        damaged[a + 20] ^= 0xFF  # entries CRC now wrong in both copies
    fallback = table_in_use(read_copies(bytes(damaged)))
    assert fallback is not None and fallback.entries[0].name != good.entries[0].name
    damaged[0xE000:0xE004] = damaged[0xF000:0xF004] = b"XXXX"
    assert table_in_use(read_copies(bytes(damaged))) is None
