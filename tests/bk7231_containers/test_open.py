"""obkimg.open / detect on RBL and UG inputs: kinds, regions, details schema, verify."""

from __future__ import annotations

import pytest

import obkimg
from obkimg.detect import detect
from tests.conftest import fixture_path, real_files, validate_schema

RBL = [
    "lt_ota_gzip.rbl",
    "lt_ota_gzip_aes.rbl",
    "lt_ota_none.rbl",
    "rtota_app_raw_gzip_aes.rbl",
    "rtota_app_raw_none.rbl",
]


@pytest.mark.parametrize("name", RBL)
def test_open_rbl(name: str) -> None:
    path = fixture_path("bk7231", name)
    img = obkimg.open(path)
    assert img.kind == "bk7231-rbl" and img.chip is None
    assert img.ok and img.verify() == []
    assert [r.name for r in img.regions()] == ["rbl-header", "payload"]
    assert img.regions()[1].offset == 96 and img.regions()[1].end == path.stat().st_size
    d = img.details()
    assert d["unpacked_size"] == 40001 and d["app_plain_arm"] is True and d["hash_valid"] is True
    doc = img.to_dict()
    validate_schema(doc, "info.v1")
    assert detect(path)[0].kind == "bk7231-rbl"
    assert [a.kind for a in img.artifacts()] == ["app-plain"]


def test_open_ug_fixture_and_schema_rejects_bad_details() -> None:
    import jsonschema

    img = obkimg.open(fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin"))
    assert img.kind == "bk7231-ug" and img.ok
    assert [r.name for r in img.regions()] == ["ug-header", "rbl-header", "payload"]
    doc = img.to_dict()
    validate_schema(doc, "info.v1")
    doc["details"]["rbl"]["variant"] = "other"
    with pytest.raises(jsonschema.ValidationError):
        validate_schema(doc, "info.v1")


def test_open_lt_container() -> None:
    path = fixture_path("bk7231", "lt_app_container_0xC000.bin")
    # a UA detector may rank it higher (it is also a UA app image); the RBL reading is always offered
    assert "bk7231-rbl" in [d.kind for d in detect(path)]
    img = obkimg.open(path, kind="bk7231-rbl")
    assert img.kind == "bk7231-rbl" and img.ok
    assert img.details()["variant"] == "flash" and img.details()["key_class"] == "tuya"
    assert [r.name for r in img.regions()] == ["app", "fill", "rbl"]
    validate_schema(img.to_dict(), "info.v1")


def test_open_real_ugs() -> None:
    files = real_files("*.ug.bin")
    if not files:
        pytest.skip("../shared/fixtures/real is absent")
    for f in files:
        img = obkimg.open(f)
        assert img.kind == "bk7231-ug", f.name
        assert img.verify() == [], f.name
        validate_schema(img.to_dict(), "info.v1")
        # ESPHome (LibreTiny) apps name their board, OpenBeken apps their build string
        # ("OpenBK7231N 1.18.130"); an N build is the N platform's: BK7231N, BK7231M and BL2028N run it
        # (issue 10), no single chip
        if "bk7231n" in f.name:
            assert img.chip is None and img.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"], f.name
        else:
            # the T build is Tuya's T SDK (SOC_BK7231U): BK7231T or BK7231U, the key in a dump says T
            assert img.chip is None and img.chip_candidates == ["BK7231T", "BK7231U"], f.name


def test_corrupted_rbl_opens_with_problems() -> None:
    data = bytearray(fixture_path("bk7231", "lt_ota_gzip.rbl").read_bytes())
    data[150] ^= 0xFF
    img = obkimg.open(bytes(data))
    assert img.kind == "bk7231-rbl" and not img.ok
    offs = {p.offset for p in img.verify()}
    assert 0x4C in offs
    assert img.regions()[1].state == "bad-crc"
    validate_schema(img.to_dict(), "info.v1")


def test_detect_never_raises_on_prefixes() -> None:
    data = fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin").read_bytes()
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug

    for n in range(0, len(data), 7):
        bk7231_ug.detect(data[:n])
        bk7231_rbl.detect(data[32:n])
        bk7231_rbl.detect(data[:n][::-1])
