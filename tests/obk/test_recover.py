"""Finding the config: chip locations, candidates for unknown chips, EasyFlash, sector scan, real dumps."""

from __future__ import annotations

import json

import pytest

import obkimg
from obkimg.errors import NotFoundError
from obkimg.formats.config import easyflash as ef
from obkimg.formats.config import obk_config as oc
from obkimg.obk import recover_config
from tests.conftest import REAL, real_files, real_path, validate_schema
from tests.obk.helpers import EF_FIXTURE, SECTOR_FIXTURE, dump_with, obk_fixture, read_any


@pytest.mark.parametrize(
    "chip, offset",
    [("BK7231N", 0x1D1000), ("BK7231M", 0x1D1000), ("BK7231T", 0x1E1000), ("BK7231U", 0x1E1000)],
)
def test_raw_location_per_chip(chip: str, offset: int) -> None:
    dump = dump_with(obk_fixture(SECTOR_FIXTURE), offset)
    res = recover_config(dump, chip=chip.lower())
    assert res.location == {"mechanism": "raw", "offset": offset, "length": 3584}
    assert res.chip == chip and res.crc_variant == res.expected_variant == "signed"
    assert res.problems == ()
    # without a chip the candidate list finds it too and names the platform it belongs to
    res2 = recover_config(dump)
    assert res2.location["offset"] == offset and res2.chip in ("BK7231N", "BK7231T")


def test_wrong_chip_falls_back_with_a_warning() -> None:
    dump = dump_with(obk_fixture(SECTOR_FIXTURE), 0x1E1000)
    res = recover_config(dump, chip="BK7231N")
    assert res.location["offset"] == 0x1E1000
    assert any(p.severity == "warning" and "BK7231N location" in p.message for p in res.problems)


def test_erased_config_sector_is_not_found() -> None:
    with pytest.raises(NotFoundError) as e:
        recover_config(b"\xff" * 0x200000, chip="BK7231N")
    assert "0x1d1000" in str(e.value) and "erased" in str(e.value)
    with pytest.raises(NotFoundError):
        recover_config(bytes(0x200000))
    with pytest.raises(NotFoundError):
        recover_config(b"", chip="BK7231T")
    with pytest.raises(NotFoundError):
        recover_config(b"\xff" * 100, chip="NoSuchChip")
    # an unknown chip name does not hide a config: every candidate is searched
    res = recover_config(dump_with(obk_fixture(SECTOR_FIXTURE), 0x1D1000), chip="BK7231X")
    assert res.location["offset"] == 0x1D1000 and any("BK7231X" in p.message for p in res.problems)


def test_sector_scan_finds_an_unusual_offset() -> None:
    dump = dump_with(obk_fixture(SECTOR_FIXTURE), 0x123000)
    res = recover_config(dump)
    assert res.location == {"mechanism": "raw", "offset": 0x123000, "length": 3584}


def test_valid_beats_invalid_and_others_are_reported() -> None:
    good = obk_fixture(SECTOR_FIXTURE)
    bad = bytearray(good)
    bad[0x100] ^= 1
    buf = bytearray(dump_with(bytes(bad), 0x1D1000))
    buf[0x1E1000 : 0x1E1000 + 4096] = good
    buf[0x150000 : 0x150000 + 4096] = good
    res = recover_config(bytes(buf))
    assert res.location["offset"] == 0x1E1000 and res.crc_valid
    assert any(p.offset == 0x150000 and "another" in p.message for p in res.problems)


def test_easyflash_area_found_by_scan_in_a_larger_image() -> None:
    area = obk_fixture(EF_FIXTURE)
    buf = bytearray(b"\xff" * 0x100000)
    buf[0x42000:0x44000] = area
    res = recover_config(bytes(buf))
    assert res.location["mechanism"] == "easyflash" and res.location["area_offset"] == 0x42000
    assert res.location["offset"] == 0x42000 + ef.parse_easyflash(area).lookup("mY0bcFg").value_offset


def test_w800_unaligned_and_ln882h_candidates() -> None:
    cfg = oc.ObkConfig.parse(obk_fixture(SECTOR_FIXTURE)).signed_with("unsigned")
    for chip, off in (("W800", 0x1F0303), ("LN882H", 0x1FF000), ("W600", 0xF0000)):
        res = recover_config(dump_with(cfg.build(), off), chip=chip)
        assert res.location["offset"] == off and res.crc_variant == "unsigned" == res.expected_variant


def test_bare_config_opens_as_obk_config_image() -> None:
    img = obkimg.open(obk_fixture(SECTOR_FIXTURE))
    assert img.kind == "obk-config" and img.ok
    doc = img.to_dict()
    validate_schema(doc, "info.v1")
    assert doc["details"]["wifi"]["password"] != "correct horse battery", "masked in info"
    assert img.to_dict(show_secrets=True)["details"]["wifi"]["password"] == "correct horse battery"
    assert [r.kind for r in img.regions()] == ["config"]
    ef = obkimg.open(obk_fixture(EF_FIXTURE))
    assert ef.kind == "obk-config" and [r.kind for r in ef.regions()] == ["easyflash", "config"]
    truncated = oc.detect(b"CFG\0" + (5).to_bytes(4, "little") + bytes(100))
    assert truncated is not None and truncated.confidence < 90
    assert obkimg.detect(obk_fixture(SECTOR_FIXTURE))[0].kind == "obk-config"
    assert oc.detect(obk_fixture(SECTOR_FIXTURE)).confidence == 90
    assert oc.detect(b"garbage") is None and oc.detect(b"") is None


def test_summary_masks_by_default() -> None:
    res = recover_config(obk_fixture(SECTOR_FIXTURE))
    s = res.summary()
    assert (
        s["password"] != "correct horse battery" and s["ssid"] == "***"
    )  # SSIDs masked, as in tuya; no length
    assert res.summary(show_secrets=True)["password"] == "correct horse battery"
    assert res.summary(show_secrets=True)["ssid"] == "SynthNet-2G"
    assert s["pins"] == ["P6=Relay/1", "P7=Button/1", "P26=LED_WIFI_n/0"]
    assert res.to_dict(show_secrets=False)["mqtt"]["password"] != "synthMqttPass"


# ---- real files --------------------------------------------------------------------------------


def _metadata() -> dict[str, dict]:
    if not (REAL / "metadata.json").exists():
        pytest.skip("real fixtures absent")
    return {r["file"]: r for r in json.loads((REAL / "metadata.json").read_text())}


def test_real_bl602_dump_after_openbeken() -> None:
    path = real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin")
    assert (
        "after flashing OpenBL602" in _metadata()["bl602/full_binary_with_app_OpenBL602_1.18.57.bin"]["notes"]
    )
    for chip in (None, "BL602"):
        res = recover_config(path, chip=chip)
        loc = res.location
        assert (loc["mechanism"], loc["key"], loc["partition"], loc["area_offset"], loc["area_size"]) == (
            "easyflash",
            "mY0bcFg",
            "PSM",
            0x1E9000,
            0x8000,
        )
        assert res.config.version == 5 and res.crc_variant == "unsigned" and res.chip == "BL602"
        assert res.config.get("longDeviceName").startswith("OpenBL602_")
        assert not [p for p in res.problems if p.severity != "info"]
        validate_schema(res.to_dict(show_secrets=False), "obk-config.v1")
    assert res.config.build() == path.read_bytes()[loc["offset"] : loc["offset"] + 3584]


def test_real_files_without_openbeken_config() -> None:
    """Stock Tuya dumps, OBK release images, bootloaders...: none holds a config (metadata)."""
    meta = _metadata()
    files = [p for p in real_files() if "full_binary_with_app" not in p.name]
    assert len(files) > 30
    for p in files:
        rel = str(p.relative_to(REAL))
        assert rel in meta, rel
        with pytest.raises(NotFoundError):
            recover_config(read_any(p))


@pytest.mark.parametrize(
    "qio, chip, offset",
    [
        ("bk7231n/OpenBK7231N_QIO_1.18.300.bin", "BK7231N", 0x1D1000),
        ("bk7231t/OpenBK7231T_QIO_1.18.300.bin", "BK7231T", 0x1E1000),
    ],
)
def test_real_qio_plus_config(qio: str, chip: str, offset: int) -> None:
    from obkimg.obk import write_config

    path = real_path(*qio.split("/"))
    out = write_config(path, obk_fixture(SECTOR_FIXTURE), chip=chip)
    qio_bytes = path.read_bytes()
    assert out.data[: len(qio_bytes)] == qio_bytes, "QIO bytes unchanged"
    assert out.data[len(qio_bytes) : offset] == b"\xff" * (offset - len(qio_bytes))
    assert len(out.data) == offset + 0x1000 and out.data[offset + 3584 :] == b"\xff" * 512
    res = recover_config(out.data)
    assert res.location["offset"] == offset and res.crc_variant == "signed"
    assert res.config.build() == obk_fixture(SECTOR_FIXTURE)[:3584]
    assert recover_config(out.data, chip=chip).problems == ()
    # without --chip the chip comes from the image itself (obkimg.open(...).chip)
    auto = write_config(path, obk_fixture(SECTOR_FIXTURE))
    assert auto.chip == chip and auto.data == out.data
