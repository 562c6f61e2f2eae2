"""`obkimg check`: refuses the mismatches people flash by mistake, accepts the right firmware."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from obkimg.check import check_firmware
from obkimg.cli import cli
from tests.conftest import real_path, validate_schema

N_DUMP = ("bk7231n", "BK7231N_Tuya_Plug_TSL-PS-F4U-01-W_1.1.17.bin")
T_DUMP = ("bk7231t", "BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin")
BL_DUMP = ("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin")


def _status(rep, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(f.status for f in rep.findings if f.name == name)


def test_n_qio_for_n_dump_is_safe() -> None:
    rep = check_firmware(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), target=real_path(*N_DUMP))
    assert rep.ok, [f.to_dict() for f in rep.findings]
    assert _status(rep, "chip") == "pass" and _status(rep, "key") == "pass"


def test_n_qio_for_t_dump_is_refused() -> None:
    rep = check_firmware(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), target=real_path(*T_DUMP))
    assert not rep.ok
    assert _status(rep, "chip") == "fail" and _status(rep, "bootloader") == "fail"


def test_qio_on_t_needs_ua() -> None:
    rep = check_firmware(real_path("bk7231t", "OpenBK7231T_QIO_1.18.300.bin"), chip="BK7231T")
    assert _status(rep, "bootloader") == "fail" and not rep.ok
    # its UA part is fine on the same device
    from obkimg.convert import qio_to_ua

    ua = qio_to_ua(real_path("bk7231t", "OpenBK7231T_QIO_1.18.300.bin"))
    rep2 = check_firmware(ua, target=real_path(*T_DUMP))
    assert rep2.ok, [f.to_dict() for f in rep2.findings]


def test_bk_ug_for_bl602_board_and_reverse() -> None:
    rep = check_firmware(real_path("bk7231n", "OpenBeken-v1.18.130_bk7231n.ug.bin"), target=real_path(*BL_DUMP))
    assert _status(rep, "family") == "fail" and not rep.ok
    rep = check_firmware(real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota"), target=real_path(*N_DUMP))
    assert _status(rep, "family") == "fail" and not rep.ok


def test_bl602_ota_fits_and_too_big() -> None:
    ota = real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota").read_bytes()
    rep = check_firmware(ota, target=real_path(*BL_DUMP))
    assert rep.ok and _status(rep, "size") == "pass"
    # an OTA bigger than FW slot 1 (557056 bytes): pack incompressible firmware
    import os

    from obkimg import ota as ota_mod

    big = ota_mod.pack(ota_mod.unpack(ota).image[:4096] + os.urandom(600_000)).ota
    rep = check_firmware(big, target=real_path(*BL_DUMP))
    assert _status(rep, "size") == "fail" and not rep.ok


def test_ug_with_bad_checksum_is_refused() -> None:
    data = bytearray(real_path("bk7231n", "OpenBeken-v1.18.130_bk7231n.ug.bin").read_bytes())
    data[5000] ^= 0x40
    rep = check_firmware(bytes(data), chip="BK7231N")
    assert _status(rep, "integrity") == "fail" and not rep.ok


def test_ug_bigger_than_download_partition() -> None:
    import random

    from obkimg.formats import bk7231_rbl, bk7231_ug

    rep = check_firmware(real_path("bk7231n", "OpenBeken-v1.18.130_bk7231n.ug.bin"), target=real_path(*N_DUMP))
    assert _status(rep, "size") == "pass"
    app = bytes.fromhex("0e0000ea14f09fe5") + random.Random(1).randbytes(700_000)
    big = bk7231_ug.wrap(bk7231_rbl.pack(app, version="big"), "1.0.0")
    assert len(big) > 0xA6000
    rep = check_firmware(big, target=real_path(*N_DUMP))
    assert _status(rep, "size") == "fail" and not rep.ok


def test_unknown_firmware_is_not_safe() -> None:
    rep = check_firmware(b"\x00hello" * 100, chip="BK7231N")
    assert not rep.ok and rep.findings[0].name == "readable" and rep.findings[0].status == "fail"


def test_cli_exit_codes_and_json() -> None:
    fw = str(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"))
    r = CliRunner().invoke(cli, ["check", fw, "--for", str(real_path(*N_DUMP)), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    validate_schema(doc, "check.v1")
    assert doc["ok"] is True
    r = CliRunner().invoke(cli, ["check", fw, "--chip", "BL602"])
    assert r.exit_code == 1 and "FAIL" in r.output
    r = CliRunner().invoke(cli, ["check", fw])
    assert r.exit_code == 2


@pytest.mark.parametrize("chip", ["BK7231T", "BK7231N"])
def test_esphome_ug_chip_named_by_content(chip: str) -> None:
    fam = chip[-1].lower()
    fw = real_path(f"bk7231{fam}", f"ESPHome-Kickstart-v23.08.29_bk7231{fam}_app.ota.ug.bin")
    other = "BK7231N" if chip == "BK7231T" else "BK7231T"
    assert check_firmware(fw, chip=chip).ok
    rep = check_firmware(fw, chip=other)
    assert _status(rep, "chip") == "fail"


def test_qio_app_larger_than_the_device_app_partition() -> None:
    import obkimg
    from obkimg.check import CheckReport, _check_size

    rep = check_firmware(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), target=real_path(*N_DUMP))
    assert _status(rep, "size") == "pass"

    class SmallDevice:  # a device whose FAL gives the app only 0x80000 logical bytes
        def details(self) -> dict:
            return {"bootloader": {"fal": [{"name": "app", "physical_end": 0x11000 + 0x80000 * 34 // 32}]}}

    fw = obkimg.open(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"))
    small = CheckReport(fw.kind, fw.chip, "bk7231-dump", "BK7231N")
    _check_size(small, fw, b"", SmallDevice(), None)  # type: ignore[arg-type]
    assert _status(small, "size") == "fail" and not small.ok
