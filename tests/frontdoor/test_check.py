"""`obkimg check`: SAFE only when every row ran and passed; NOT SAFE with reasons; CANNOT TELL naming
what to give; rows that never contradict; where and how the file is written; the conversion to run.

Synthetic vectors first (they run on a clean clone), then the same classes on ../shared/fixtures/real.
The whole artefact x target matrix is in test_check_matrix.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.bkdump import Bk7231Image
from obkimg.check import (
    CANNOT_TELL,
    NOT_SAFE,
    SAFE,
    CheckReport,
    UnknownChipError,
    check_firmware,
    read_device,
)
from obkimg.cli import cli
from obkimg.convert import qio_to_ua
from obkimg.errors import ObkImgError
from obkimg.extract import extract
from tests.bl602 import _synth as bl
from tests.conftest import real_path, validate_schema
from tests.frontdoor._check_vectors import bk_dump, bk_qio, bk_ug

N_DUMP = ("bk7231n", "BK7231N_Tuya_Plug_TSL-PS-F4U-01-W_1.1.17.bin")
T_DUMP = ("bk7231t", "BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin")
BL_DUMP = ("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin")


def _status(rep: CheckReport, name: str) -> str | None:
    f = rep.row(name)
    return f.status if f is not None else None


def _rows(rep: CheckReport) -> list[tuple[str, str]]:
    return [(f.name, f.status) for f in rep.findings]


# ------------------------------------------------------------------------------ synthetic
def test_extract_outputs_that_cannot_be_flashed_are_not_safe() -> None:
    """app_plain.bin, app_image.bin and a plain bootloader were SAFE before (issue 10)."""
    files = {f.name: f.data for f in extract(bk_dump("N")).files}
    device = read_device(bk_dump("N"))
    for name in ("app_plain.bin", "app_image.bin", "bootloader_plain.bin", "bootloader_image.bin"):
        rep = check_firmware(files[name], target=device)
        assert rep.verdict == NOT_SAFE and not rep.ok, (name, _rows(rep))
        assert _status(rep, "container") == "fail", name
    # (the synthetic plain app looks like a plain bootloader to detection: NOT SAFE either way)
    enc = check_firmware(files["app_image.bin"], target=device)
    assert enc.firmware_kind == "bk7231-app" and "app_image.bin" in enc.row("container").message  # type: ignore[union-attr]
    assert any("qio2ua" in c.command for c in enc.conversions)


def test_skipped_rows_are_never_safe() -> None:
    """OTA size unknown and no key row: CANNOT TELL, naming --for DUMP (was SAFE)."""
    rep = check_firmware(bk_ug("N"), chip="BK7231N")
    assert rep.verdict == CANNOT_TELL and not rep.ok
    assert _status(rep, "size") == "unknown"
    assert "--for DUMP to know the OTA partition size" in rep.needs
    rep = check_firmware(bk_qio("N"), chip="BK7231N")
    assert rep.verdict == CANNOT_TELL
    assert _status(rep, "key") == "unknown" and any("--for DUMP" in n for n in rep.needs)
    # the same files with the device's dump: every row runs and passes
    for fw in (bk_ug("N"), bk_qio("N"), qio_to_ua(bk_qio("N"))):
        rep = check_firmware(fw, target=bk_dump("N"))
        assert rep.verdict == SAFE and rep.ok, _rows(rep)


def test_no_target_is_never_safe() -> None:
    rep = check_firmware(bk_qio("N"))
    assert rep.verdict == CANNOT_TELL and _status(rep, "family") == "unknown"
    assert any("--for DUMP" in n for n in rep.needs)


def test_unknown_chip_name_raises() -> None:
    with pytest.raises(UnknownChipError) as e:
        check_firmware(bk_qio("N"), chip="esp32")
    assert isinstance(e.value, ObkImgError) and "esp32" in str(e.value)
    with pytest.raises(ObkImgError):
        read_device(chip="BK9999")


def test_qio_for_a_bl602_has_no_contradicting_rows() -> None:
    """`check N_QIO --chip bl602` printed 'ok bootloader: QIO images may be written whole on a BL602'."""
    r = CliRunner().invoke(cli, ["check", "-", "--chip", "bl602"], input=bk_qio("N"))
    assert r.exit_code == 1
    assert "FAIL  family" in r.output and "NOT SAFE" in r.output
    for line in r.output.splitlines():
        if line.startswith("ok"):
            assert "BL602" not in line, line
    rep = check_firmware(bk_qio("N"), chip="BL602")
    assert [f.name for f in rep.findings] == ["readable", "integrity", "family"]


def test_write_location_and_conversion_of_each_form() -> None:
    nq, nd = bk_qio("N"), bk_dump("N")
    q = check_firmware(nq, target=nd)
    assert (q.write.method, q.write.offset) == ("uart", 0)  # type: ignore[union-attr]
    assert "BK7231T takes only the UA" in q.write.text  # type: ignore[union-attr]
    assert [c.to for c in q.conversions] == ["bk7231-ua"] and "convert qio2ua" in q.conversions[0].command
    ua = check_firmware(qio_to_ua(nq), target=nd)
    assert (ua.write.method, ua.write.offset) == ("uart", 0x11000)  # type: ignore[union-attr]
    assert [c.to for c in ua.conversions] == ["bk7231-qio"] and "convert ua2qio" in ua.conversions[0].command
    ug = check_firmware(bk_ug("N"), target=nd)
    assert ug.write.method == "ota"  # type: ignore[union-attr]
    rbl = check_firmware(next(f.data for f in extract(bk_ug("N")).files if f.name == "app.rbl"), target=nd)
    assert rbl.write.method == "ota" and rbl.verdict == SAFE  # type: ignore[union-attr]
    from obkimg import ota

    packed = ota.pack(bl.firmware()).ota
    o = check_firmware(packed, target=bl.dump())
    assert o.write.method == "ota" and o.verdict == SAFE  # type: ignore[union-attr]
    fw = check_firmware(ota.unpack(packed).fw_ota, target=bl.dump())
    assert (fw.write.method, fw.write.offset) == ("uart", 0x10000) and fw.verdict == SAFE  # type: ignore[union-attr]
    assert "ota pack" in fw.conversions[0].command


def test_t_qio_needs_the_ua_and_the_ua_is_safe() -> None:
    rep = check_firmware(bk_qio("T"), target=bk_dump("T"))
    assert rep.verdict == NOT_SAFE and _status(rep, "container") == "fail"
    assert "takes only the UA at 0x11000" in rep.row("container").message  # type: ignore[union-attr]
    assert check_firmware(qio_to_ua(bk_qio("T")), target=bk_dump("T")).verdict == SAFE


def test_read_device_once_gives_the_same_report() -> None:
    dev = read_device(bk_dump("N"))
    for fw in (bk_qio("N"), bk_qio("T"), bk_ug("N")):
        assert check_firmware(fw, target=dev).to_dict() == check_firmware(fw, target=bk_dump("N")).to_dict()
    # --chip overrides a device read once
    # --chip contradicting the chip the dump proves: which is the device? never SAFE
    assert check_firmware(bk_qio("N"), target=dev, chip="BK7231T").verdict == CANNOT_TELL


@pytest.mark.parametrize(
    "cands",
    [
        ["BK7231N", "BK7231T"],
        [{"chip": "BK7231N", "evidence": ["N marker"]}, {"chip": "BK7231T", "evidence": []}],
    ],
    ids=["names", "dicts"],
)
def test_ambiguous_device_chip_is_cannot_tell_unless_chip_settles_it(
    monkeypatch: pytest.MonkeyPatch, cands: list[object]
) -> None:
    """A model that names no chip but candidates (the chip-identification rework) gives CANNOT TELL
    for the chip row; --chip settles it."""
    monkeypatch.setattr(Bk7231Image, "chip", property(lambda self: None))
    monkeypatch.setattr(Bk7231Image, "chip_candidates", cands, raising=False)
    fw = bk_ug("N")  # an RBL model, its chip comes from the build string
    rep = check_firmware(fw, target=bk_dump("N"))
    assert rep.verdict == CANNOT_TELL and _status(rep, "chip") == "unknown"
    assert rep.target_chip is None and rep.target_chip_candidates == ["BK7231N", "BK7231T"]
    assert "--chip CHIP" in rep.needs
    assert check_firmware(fw, target=bk_dump("N"), chip="BK7231N").verdict == SAFE
    assert check_firmware(fw, target=bk_dump("N"), chip="BK7231T").verdict == NOT_SAFE
    # the same on the firmware side: a QIO whose chip is only 'N or T'
    rep = check_firmware(bk_qio("N"), target=bk_dump("N"), chip="BK7231N")
    assert rep.verdict == CANNOT_TELL and _status(rep, "chip") == "unknown"
    assert rep.firmware_chip is None and rep.firmware_chip_candidates == ["BK7231N", "BK7231T"]


def test_candidates_of_one_group_decide_the_chip_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidates that all run the same builds (BK7231N/M, BL2028N) pass the chip row; the key row still
    compares the code keys."""
    monkeypatch.setattr(Bk7231Image, "chip", property(lambda self: None))
    monkeypatch.setattr(Bk7231Image, "chip_candidates", ["BK7231N", "BK7231M", "BL2028N"], raising=False)
    rep = check_firmware(bk_qio("N"), target=bk_dump("N"))
    assert _status(rep, "chip") == "pass" and rep.verdict == SAFE, _rows(rep)


def test_bl602_files_against_a_partition_table_need_the_dump_for_the_key() -> None:
    from obkimg import ota

    rep = check_firmware(ota.pack(bl.firmware()).ota, target=bl.partition_toml().encode())
    assert rep.verdict == CANNOT_TELL and _status(rep, "size") == "pass" and _status(rep, "key") == "unknown"


def test_bk_ota_bigger_than_the_download_partition() -> None:
    import random

    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images._synth import VECTOR

    app = VECTOR + b"OpenBK7231N_1.18.300\0" + random.Random(1).randbytes(700_000)
    big = bk7231_ug.wrap(bk7231_rbl.pack(app, version="big"), "1.0.0")
    assert len(big) > 0xA6000
    rep = check_firmware(big, target=bk_dump("N"))
    assert _status(rep, "size") == "fail" and rep.verdict == NOT_SAFE


def test_bl602_ota_bigger_than_the_slot() -> None:
    import random

    from obkimg import ota

    big = ota.pack(bl.firmware() + random.Random(1).randbytes(600_000)).ota
    rep = check_firmware(big, target=bl.dump())
    assert _status(rep, "size") == "fail" and rep.verdict == NOT_SAFE


def test_bad_checksum_and_unknown_file() -> None:
    data = bytearray(bk_ug("N"))
    data[len(data) // 2] ^= 0x40
    rep = check_firmware(bytes(data), target=bk_dump("N"))
    assert _status(rep, "integrity") == "fail" and rep.verdict == NOT_SAFE
    rep = check_firmware(b"\x00hello" * 100, chip="BK7231N")
    assert rep.verdict == NOT_SAFE and rep.findings[0].name == "readable" and rep.findings[0].status == "fail"


def test_cli_verdict_words_exit_codes_and_json(tmp_path: Path) -> None:
    qio, dump = tmp_path / "n_qio.bin", tmp_path / "n_dump.bin"
    qio.write_bytes(bk_qio("N"))
    dump.write_bytes(bk_dump("N"))
    run = CliRunner().invoke
    r = run(cli, ["check", str(qio), "--for", str(dump)])
    assert r.exit_code == 0 and r.output.rstrip().endswith("SAFE to flash")
    assert "write:      write the whole file at 0x0" in r.output and "convert qio2ua" in r.output
    r = run(cli, ["check", str(qio), "--chip", "BK7231N"])
    assert r.exit_code == 1 and "CANNOT TELL" in r.output and "--for DUMP" in r.output.splitlines()[-1]
    r = run(cli, ["check", str(qio), "--chip", "BK7231T"])
    assert r.exit_code == 1 and "NOT SAFE" in r.output and "CANNOT TELL" not in r.output
    for argv, verdict in (([], SAFE), (["--chip", "BK7231N"], CANNOT_TELL), (["--chip", "BL602"], NOT_SAFE)):
        r = run(cli, ["check", str(qio), *(argv or ["--for", str(dump)]), "--json"])
        doc = json.loads(r.output)
        validate_schema(doc, "check.v2")
        assert doc["verdict"] == verdict and r.exit_code == (0 if verdict == SAFE else 1)
    r = run(cli, ["check", str(qio)])
    assert r.exit_code == 2


def test_cli_extract_folder_has_no_false_safe(tmp_path: Path) -> None:
    """Every file `obkimg extract` writes for a device, checked against that device: only the app region
    (the UA as it sits in flash) may be SAFE."""
    dump = tmp_path / "dump.bin"
    dump.write_bytes(bk_dump("N"))
    out = tmp_path / "x"
    assert CliRunner().invoke(cli, ["extract", str(dump), "-d", str(out)]).exit_code == 0
    safe = []
    for f in sorted(out.iterdir()):
        r = CliRunner().invoke(cli, ["check", str(f), "--for", str(dump), "--json"])
        if f.suffix == ".json" and f.name.startswith("manifest"):
            continue
        if json.loads(r.output).get("verdict") == SAFE:
            safe.append(f.name)
    assert all(name.endswith("_app.bin") for name in safe), safe


# ------------------------------------------------------------------------------ real files
def test_real_n_qio_for_n_dump_is_safe() -> None:
    rep = check_firmware(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), target=real_path(*N_DUMP))
    assert rep.verdict == SAFE, _rows(rep)


def test_real_n_qio_for_t_dump_is_refused_by_the_chip_row_alone() -> None:
    rep = check_firmware(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), target=real_path(*T_DUMP))
    assert rep.verdict == NOT_SAFE and _status(rep, "chip") == "fail"
    assert _status(rep, "container") is None


def test_real_t_qio_needs_ua() -> None:
    qio = real_path("bk7231t", "OpenBK7231T_QIO_1.18.300.bin")
    rep = check_firmware(qio, target=real_path(*T_DUMP))
    assert rep.verdict == NOT_SAFE and _status(rep, "container") == "fail"
    assert check_firmware(qio_to_ua(qio), target=real_path(*T_DUMP)).verdict == SAFE


def test_real_extract_outputs_are_not_safe() -> None:
    device = read_device(real_path(*N_DUMP))
    files = {f.name: f.data for f in extract(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin")).files}
    for name in ("app_plain.bin", "app_image.bin", "bootloader_image.bin"):
        assert check_firmware(files[name], target=device).verdict == NOT_SAFE, name
    plain = check_firmware(files["app_plain.bin"], target=device)
    assert plain.firmware_kind == "bk7231-app" and "app_plain.bin" in plain.row("container").message  # type: ignore[union-attr]
    for boot in (
        "TuyaSDK_bk7231n_bootloader.bin",
        "TuyaSDK_bk7231n_bootloader_enc.bin",
        "OpenBK7231N_SDK_bk7231n_bootloader_zero_keys.bin",
    ):
        assert check_firmware(real_path("bk7231n", boot), target=device).verdict == NOT_SAFE, boot


@pytest.mark.parametrize("fam", ["n", "t"])
def test_real_ugs_need_the_dump_and_are_safe_with_it(fam: str) -> None:
    dump = real_path(*(N_DUMP if fam == "n" else T_DUMP))
    other = "BK7231T" if fam == "n" else "BK7231N"
    for ug in (
        f"OpenBeken-v1.18.130_bk7231{fam}.ug.bin",
        f"ESPHome-Kickstart-v23.08.29_bk7231{fam}_app.ota.ug.bin",
    ):
        fw = real_path(f"bk7231{fam}", ug)
        rep = check_firmware(fw, chip=f"BK7231{fam.upper()}")
        assert rep.verdict == CANNOT_TELL and [f.name for f in rep.findings if f.status != "pass"] == ["size"]
        assert check_firmware(fw, target=dump).verdict == SAFE, ug
        assert _status(check_firmware(fw, chip=other), "chip") == "fail"


def test_real_bl602_files() -> None:
    dump = real_path(*BL_DUMP)
    ota_file = real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota")
    assert check_firmware(ota_file, target=dump).verdict == SAFE
    assert check_firmware(ota_file, chip="BL602").verdict == CANNOT_TELL
    assert check_firmware(ota_file, target=real_path(*N_DUMP)).verdict == NOT_SAFE
    assert (
        check_firmware(real_path("bk7231n", "OpenBeken-v1.18.130_bk7231n.ug.bin"), target=dump).verdict
        == NOT_SAFE
    )
    # bare code, a cut OTA, boot2 and the eflash loader are not flashed as they are
    for name in (
        "OpenBL602_1.18.57.bin",
        "OpenBL602_1.17.551_OTA.bin.xz.ota_cutted",
        "OpenBL602SDK_blsp_boot2_b2c68f9.bin",
        "eflash_loader_rc32m.bin",
        "OpenBL602SDK_FW_OTA_8a9570a.bin.xz",
    ):
        assert check_firmware(real_path("bl602", name), target=dump).verdict == NOT_SAFE, name
    fw = check_firmware(real_path("bl602", "OpenBL602_dev_20260625_142543_OTA.bin"), target=dump)
    assert fw.firmware_kind == "bl602-bootheader" and fw.write.method == "uart"  # type: ignore[union-attr]


def test_rbl_partition_image_is_cannot_tell() -> None:
    """A CRC-framed partition with its RBL trailer (ltchiptool 'package'): its flash address is not in it."""
    from obkimg.formats.bk7231.rbl import RblPartition

    data = RblPartition.pack(bytes(range(256)) * 64, size=0x8000, name="data").build()
    rep = check_firmware(data, target=bk_dump("N"))
    assert rep.firmware_kind == "bk7231-rbl" and rep.verdict == CANNOT_TELL
    assert _status(rep, "container") == "unknown" and rep.write.offset is None  # type: ignore[union-attr]
