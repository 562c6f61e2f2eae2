"""Every file in real/bl602 is identified with a sensible kind and chip BL602; its info document validates
and rebuilds byte for byte where the format has a builder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import obkimg
from obkimg.detect import detect
from obkimg.model import jsonable
from tests.conftest import REAL, validate_schema

EXPECTED = {
    "BL602_AppHdr_GUIFlashTool.bin": "bl602-bootheader",
    "BL602_Boot_GUIFlashTool_v1.bin": "bl602-bootheader",
    "BL602_Boot_GUIFlashTool_v2.bin": "bl602-firmware",
    "BL602_Dts_GUIFlashTool.bin": "bl602-dtb",
    "BL602_Partitions_2M_GUIFlashTool.bin": "bl602-partitions",
    "BL602_eflash_loader_40m_GUIFlashTool.bin": "bl602-bootheader",
    "BL602_eflash_loader_GUIFlashTool.bin": "bl602-bootheader",
    "OpenBL602SDK_FW_OTA_6ae6541.bin.ota": "bl602-ota",
    "OpenBL602SDK_FW_OTA_880db6c.bin.ota": "bl602-ota",
    "OpenBL602SDK_FW_OTA_8a9570a.bin.xz": "bl602-xz",
    "OpenBL602SDK_FW_OTA_a24efcc.bin.xz.ota": "bl602-ota",
    "OpenBL602SDK_FW_OTA_df0c844.bin.xz": "bl602-xz",
    "OpenBL602SDK_bl602_blsp_boot2_release.bin": "bl602-firmware",
    "OpenBL602SDK_bl602_demo_nano_20200903_flash_clock_cmd_1317934.bin": "bl602-firmware",
    "OpenBL602SDK_blsp_boot2_b2c68f9.bin": "bl602-firmware",
    "OpenBL602SDK_blsp_boot2_debug_d018d29.bin": "bl602-firmware",
    "OpenBL602SDK_boot2_iap_release_27253c2.bin": "bl602-firmware",
    "OpenBL602SDK_boot2_iap_v5.3_boot2_iap_release.bin": "bl602-firmware",
    "OpenBL602SDK_boot2_isp_bl602_v6.4_rc4_boot2_isp_release.bin": "bl602-firmware",
    "OpenBL602SDK_bootheader_0f140f3.bin": "bl602-bootheader",
    "OpenBL602SDK_bootinfo_01bc637.bin": "bl602-bootheader",
    "OpenBL602SDK_bootinfo_boot2_4cce0af.bin": "bl602-bootheader",
    "OpenBL602SDK_efusedata_00bc047.bin": "bl602-efuse",
    "OpenBL602SDK_img_boot2_withhash_bf8d22d.bin": "bl602-firmware",
    "OpenBL602SDK_img_conf_blsp_boot2_debug.bin": "bl602-firmware",
    "OpenBL602SDK_whole_flash_data_492db3f.bin": "bl602-dump",
    "OpenBL602SDK_whole_img_85e0d3c.bin": "bl602-bootheader",
    "OpenBL602SDK_whole_img_9d2e90c.bin": "bl602-bootheader",
    "OpenBL602SDK_whole_img_boot2_0234dd7.bin": "bl602-bootheader",
    "OpenBL602_1.17.551_OTA.bin.xz.ota": "bl602-ota",
    "OpenBL602_1.17.551_OTA.bin.xz.ota_cutted": "bl602-ota",
    "OpenBL602_1.18.57.bin": "bl602-firmware",
    "OpenBL602_20220424_bl602_sharedApp.bin": "bl602-firmware",
    "OpenBL602_dev_20260625_142543_OTA.bin": "bl602-bootheader",
    "bflb-iot-tool_builtin_imgs_boot2_isp_bl602_v6.5.6_boot2_isp_debug.bin": "bl602-firmware",
    "bflb-iot-tool_builtin_imgs_boot2_isp_bl602_v6.5.6_boot2_isp_release.bin": "bl602-firmware",
    "bflb-iot-tool_eflash_loader_eflash_loader_40m.bin": "bl602-bootheader",
    "bflb-iot-tool_efuse_bootheader_bootheader.bin": "bl602-bootheader",
    "bflb-iot-tool_img_create_iot_bootinfo.bin": "bl602-bootheader",
    "bflb-iot-tool_img_create_iot_bootinfo_pt.bin": "bl602-bootheader",
    "bflb-iot-tool_img_create_iot_whole_flash_data.bin": "bl602-dump",
    "bflb-iot-tool_ota_FW_OTA.bin": "bl602-bootheader",
    "bflb-iot-tool_ota_FW_OTA.bin.hash": "bl602-bootheader",
    "bflb-iot-tool_ota_FW_OTA.bin.ota": "bl602-ota",
    "bflb-iot-tool_ota_FW_OTA.bin.xz": "bl602-xz",
    "bflb-iot-tool_ota_FW_OTA.bin.xz.ota": "bl602-ota",
    "bflb-iot-tool_partition_partition.bin": "bl602-partitions",
    "bl602_zengge_ota_header.bin": "bl602-ota",
    "eflash_loader_rc32m.bin": "bl602-bootheader",
    "full_binary_with_app_OpenBL602_1.18.57.bin": "bl602-dump",
}
#: files that are templates, truncated or headers without their image: identified, but not "ok"
NOT_OK = {"OpenBL602_1.17.551_OTA.bin.xz.ota_cutted", "bl602_zengge_ota_header.bin"}


def _real_bl602() -> list[Path]:
    folder = REAL / "bl602"
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.endswith((".json", ".txt", ".md"))
    )


def test_expected_table_covers_every_real_file() -> None:
    files = _real_bl602()
    if not files:
        pytest.skip("../shared/fixtures/real is not present")
    assert {p.name for p in files} == set(EXPECTED)


@pytest.mark.parametrize("path", _real_bl602(), ids=lambda p: p.name)
def test_real_file_identified(path: Path) -> None:
    found = detect(path)
    assert found and found[0].kind == EXPECTED[path.name] and found[0].chip == "BL602"
    img = obkimg.open(path)
    assert img.kind == EXPECTED[path.name] and img.chip == "BL602"
    doc = json.loads(json.dumps(jsonable(img.to_dict())))
    validate_schema(doc, "info.v1")
    assert img.ok is (path.name not in NOT_OK)
    build = getattr(img, "build", None)
    if callable(build):
        assert build() == path.read_bytes(), "mismatch"


def _foreign_files() -> list[Path]:
    if not REAL.exists():
        return []
    return sorted(
        p
        for p in REAL.rglob("*")
        if p.is_file() and "bl602" not in p.parts and not p.name.endswith((".json", ".txt", ".md"))
    )


@pytest.mark.parametrize("path", _foreign_files(), ids=lambda p: p.name)
def test_no_bl602_claim_on_other_chips(path: Path) -> None:
    """The BL602 probes stay quiet on every real BK7231 / other file."""
    from obkimg.formats.bl602 import bootheader as bl602_bootheader
    from obkimg.formats.bl602 import dtb as bl602_dtb
    from obkimg.formats.bl602 import efuse as bl602_efuse
    from obkimg.formats.bl602 import flash as bl602_flash
    from obkimg.formats.bl602 import ota as bl602_ota
    from obkimg.formats.bl602 import partitions as bl602_partitions
    from obkimg.source import load

    data = load(path).data
    for mod in (bl602_bootheader, bl602_partitions, bl602_ota, bl602_efuse, bl602_dtb, bl602_flash):
        hit = mod.detect(data)
        assert hit is None or hit.confidence <= 30, (path.name, mod.__name__)
