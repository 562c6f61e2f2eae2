"""Every real file and every vendor vector is detected with the right kind and chip."""

from __future__ import annotations

import json

import pytest

import obkimg
from tests.conftest import FIXTURES, REAL, real_path


def _expected_kind(rec: dict[str, str]) -> set[str]:
    fam, text = rec["family"], rec["kind"].lower()
    if fam == "bl602":
        if "truncated" in text or "xz.ota" in text or text.startswith("raw .ota"):
            return {"bl602-ota"}
        if text.startswith("xz stream"):
            return {"bl602-xz"}
        if "partition table" in text:
            return {"bl602-partitions"}
        if "efuse data" in text:
            return {"bl602-efuse"}
        if "dts" in text:
            return {"bl602-dtb"}
        if "whole_flash_data" in text or "full flash image" in text:
            return {"bl602-dump"}
        if text.startswith(("boot header", "bootinfo")):
            return {"bl602-bootheader"}
        # firmware images: with a boot header in front (bootheader) or bare code (firmware)
        return {"bl602-bootheader", "bl602-firmware"}
    if "full dump" in text:
        return {"bk7231-dump"}
    if "ug ota" in text:
        return {"bk7231-ug"}
    if "qio" in text:
        return {"bk7231-qio"}
    if text.startswith("bootloader"):
        return {"bk7231-bootloader"}
    if "kv" in text:
        return {"tuya-kv"}
    raise AssertionError(f"no expectation for {rec['kind']!r}")


def _records() -> list[dict[str, str]]:
    meta = REAL / "metadata.json"
    if not meta.exists():
        return []
    return json.loads(meta.read_text())


@pytest.mark.parametrize("rec", _records(), ids=lambda r: r["file"])
def test_real_file_kind_and_chip(rec: dict[str, str]) -> None:
    path = real_path(rec["file"])
    img = obkimg.open(path)
    assert img.kind in _expected_kind(rec)
    fam = rec["family"]
    if fam == "bl602":
        assert img.chip == "BL602"
    elif fam in ("bk7231n", "bk7231t"):
        want = {"bk7231n": {"BK7231N", "BK7231M", "BL2028N"}, "bk7231t": {"BK7231T"}}[fam]
        if img.kind in ("bk7231-dump", "bk7231-qio"):
            assert img.chip in want  # bootloader fingerprint/marker, or the app's build string
        elif img.kind == "bk7231-ug" and fam == "bk7231n":
            # the N build ("OpenBK7231N", "bk7231n") runs on BK7231N, BK7231M and BL2028N: the family
            assert img.chip is None and img.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"]
        elif img.kind == "bk7231-ug":
            # the T build is Tuya's T SDK, built as SOC_BK7231U: BK7231T or BK7231U (no key in an OTA)
            assert img.chip is None and img.chip_candidates == ["BK7231T", "BK7231U"]
        elif img.kind == "bk7231-bootloader" and img.chip is None:
            # a plain bootloader says nothing of the key: N family (BK7231N/M, BL2028N), or T/U ("BK7231S")
            n_fam = ["BK7231N", "BK7231M", "BL2028N"]
            assert img.chip_candidates == (n_fam if fam == "bk7231n" else ["BK7231T", "BK7231U"])
        elif img.kind == "bk7231-bootloader":
            assert img.chip in want
        else:
            assert img.chip in want | {None}
    # detect() agrees with open() and ranks with evidence
    cands = obkimg.detect(path)
    assert cands and cands[0].kind == img.kind and cands[0].reason


def test_all_108_real_files_are_covered() -> None:
    recs = _records()
    if not recs:
        pytest.skip("../shared/fixtures/real is not present")
    assert len(recs) == 108


VECTORS = {
    "bk7231/app_raw.bin": ("bk7231-app", None),
    "bk7231/app_enc_0x10000.bin": ("bk7231-app", None),
    "bk7231/app_enc_crc_0x10000.bin": ("bk7231-ua", None),
    "bk7231/lt_ota_gzip_aes.rbl": ("bk7231-rbl", None),
    "bk7231/lt_ota_gzip.rbl": ("bk7231-rbl", None),
    "bk7231/lt_ota_none.rbl": ("bk7231-rbl", None),
    "bk7231/rtota_app_raw_gzip_aes.rbl": ("bk7231-rbl", None),
    "bk7231/rtota_app_raw_none.rbl": ("bk7231-rbl", None),
    "bk7231/tuya_package_UG_rtota_gzip_aes.bin": ("bk7231-ug", None),
    "bk7231n/bk7231n_bootloader.bin": ("bk7231-bootloader", None),  # plain: N family, key not in it
    "bk7231n/bk7231n_bootloader_enc.bin": ("bk7231-bootloader", "BK7231N"),
    "bk7231n/bk7231n_bootloader_zero_keys.bin": ("bk7231-bootloader", None),  # N family: N, M or BL2028N
    "bk7231t/bk7231t_bootloader.bin": ("bk7231-bootloader", None),  # plain "BK7231S": BK7231T or U
    "bk7231t/bk7231t_bootloader_enc.bin": ("bk7231-bootloader", "BK7231T"),
    "bl602/small/bootinfo.bin": ("bl602-bootheader", "BL602"),
    "bl602/small/partition.bin": ("bl602-partitions", "BL602"),
    "bl602/small/ro_params.dtb": ("bl602-dtb", "BL602"),
    "bl602/small/whole_flash_data.bin": ("bl602-dump", "BL602"),
    "bl602/small/FW_OTA.bin.xz.ota": ("bl602-ota", "BL602"),
    "bl602/small/FW_OTA.bin.ota": ("bl602-ota", "BL602"),
    "bl602/small/FW_OTA.bin.xz": ("bl602-xz", "BL602"),
    "bl602/efuse/efusedata_mac.bin": ("bl602-efuse", "BL602"),
    "bl602/pt/pt_test.bin": ("bl602-partitions", "BL602"),
    "obk/obk_cfg_v5_bk7231_sector.bin": ("obk-config", None),
    "obk/obk_cfg_v3_bk7231_2016.bin": ("obk-config", None),
    "obk/obk_cfg_v5_bl602_easyflash_gran8.bin": ("obk-config", None),
    # the storage's em_sys_env "bk7231n" names the N platform (BK7231N, BK7231M or BL2028N), not one chip
    "tuya/tuya_bk7231n_region_0x1ED000.bin": ("tuya-kv", None),
    "tuya/tuya_bk7231n_2MB.bin.gz": ("tuya-kv", None),
}


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vendor_vectors_kind_and_chip(name: str) -> None:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    img = obkimg.open(path)
    kind, chip = VECTORS[name]
    assert (img.kind, img.chip) == (kind, chip)
