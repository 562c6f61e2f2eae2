"""Chip identification (issue 10): one evidence model, a chip named only when the evidence proves it.

Every case the issue lists is rebuilt synthetically (tests/bk7231_images/_chipvec.py: same evidence,
none of the real bytes); the real QIOs and dumps are used where ../shared/fixtures/real is present.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import obkimg
from obkimg import bkdump as bi
from obkimg import chipid, convert
from obkimg.cli import cli
from obkimg.errors import FormatError
from tests.bk7231_images import _chipvec as cv
from tests.bk7231_images import _synth
from tests.conftest import real_path, validate_schema

N_FAM = ["BK7231N", "BK7231M", "BL2028N"]


# ------------------------------------------------------------------------------------ the model
def test_identify_intersects_and_names_only_one() -> None:
    ev = [chipid.from_marker(True), chipid.from_key_class("tuya")]
    got = chipid.identify(ev)
    assert got.chip == "BK7231N" and got.candidates == ("BK7231N",) and not got.conflict
    two = chipid.identify([chipid.from_marker(True), chipid.from_key_class("zero")])
    assert two.chip is None and list(two.candidates) == N_FAM
    assert two.label == "Beken BK7231N family (BK7231N/BK7231M/BL2028N)"
    assert "cannot tell which" in two.reason


def test_identify_conflict_names_nothing() -> None:
    got = chipid.identify([chipid.from_key_class("uascent"), chipid.from_version("BK7231S_1.0.5")])
    # no chip named; the candidates are the chips some piece of evidence supports
    assert got.chip is None and got.conflict and {"BL2028N", "BK7231T"} <= set(got.candidates)
    assert "contradicts" in got.reason and "contradicting" in got.label
    assert "would settle it" in got.reason


def test_identify_without_evidence() -> None:
    got = chipid.identify([chipid.from_key_class("unknown"), chipid.from_marker(False)])
    assert got.chip is None and got.candidates == () and got.reason == "no chip evidence"


def test_t_class_label() -> None:
    got = chipid.identify([chipid.from_fal((0x132000, 0xA6000), 0x108700)])
    assert got.chip is None and got.label.startswith("Beken BK72xx, T-class layout")
    assert set(got.candidates) == {"BK7231T", "BK7231U", "BK7238", "BK7252", "BK7252N"}


@pytest.mark.parametrize(
    "env,module,chips",
    [
        ("bk7231n", None, N_FAM),
        ("BK7252", None, ["BK7252"]),
        (None, "T1-2S", ["BK7238"]),
        (None, "T3-U", ["BK7236"]),
        (None, "T5-E1", ["BK7258"]),
        (None, "T34", N_FAM),
        (None, "CB3S", N_FAM),
        (None, "WB3S", ["BK7231T"]),
        (None, "XYZ", None),
    ],
)
def test_tuya_storage_evidence(env: str | None, module: str | None, chips: list[str] | None) -> None:
    ev = chipid.from_tuya(env, module)
    if chips is None:
        assert ev is None
        return
    assert ev is not None
    got = chipid.identify([ev])
    assert list(got.candidates) == chips  # BK7236 / BK7258 only through the Tuya storage
    assert got.chip == (chips[0] if len(chips) == 1 else None)


def test_app_identity_names_platform() -> None:
    for build, chips in (
        (b"OpenBK7238_1.18.300", ["BK7238"]),
        (b"OpenBK7252N_1.18.300", ["BK7252N"]),
        (b"OpenBK7231N_1.18.300", N_FAM),
        (b"OpenBL2028N_1.17.1", ["BL2028N"]),
    ):
        ident = bi.app_identity(cv.app(build))
        ev = chipid.from_app_identity(ident)
        assert ev is not None and sorted(ev.chips or ()) == sorted(chips), build


# ------------------------------------------------------------------------------------ issue cases
@pytest.mark.parametrize("chip", ["BK7238", "BK7252", "BK7252N", "BK7231U"])
def test_obk_qio_of_freertos_chips_named_by_build_string(chip: str) -> None:
    """Was: BK7231U for all of them (the build string printed beside the wrong chip)."""
    img = bi.analyze(cv.obk_qio(chip))
    assert img.kind == "bk7231-qio" and img.chip == chip and img.chip_candidates == [chip]
    assert img.layout is not None and img.layout.name == "bk7231u"
    assert "app build string" in img.chip_reason and img.app_identity()["platform"] == "Open" + chip


@pytest.mark.parametrize("name", ["bk7231u", "bk7238", "bk7252n"])
def test_sdk_bootloaders_not_called_t_from_fal(name: str) -> None:
    """Was: BK7231T from the FAL layout alone."""
    img = obkimg.open(cv.sdk_bootloader(name))
    assert img.kind == "bk7231-bootloader" and img.chip is None
    assert {"BK7231U", "BK7238", "BK7252N"} <= set(img.chip_candidates)
    assert img.details()["chip_label"].startswith("Beken BK72xx, T-class layout")
    assert "would settle it: the app's build string" in img.chip_reason


def test_bl2028n_stock_dump_not_called_m() -> None:
    """Was: BK7231M from "zero key + N bootloader"."""
    img = bi.analyze(cv.bl2028n_stock_dump())
    assert img.kind == "bk7231-dump" and img.chip is None and img.chip_candidates == N_FAM
    assert (
        "cannot tell which" in img.chip_reason
        and "would settle it: the marking on the chip" in img.chip_reason
    )
    assert any(line.startswith("chip: cannot tell, Beken BK7231N family") for line in img.describe())


def test_bk7252_app_partition_is_an_app_image() -> None:
    """Was: a QIO with a bootloader; qio2ua then wrote a slice ua2qio refused."""
    data = cv.bk7252_app_partition()
    img = obkimg.open(data)
    assert img.kind == "bk7231-ua" and img.ok
    assert img.app is not None and img.app.payload_crc_ok  # the trailer's CRC covers the file from 0
    assert obkimg.detect(data)[0].kind == "bk7231-ua"
    with pytest.raises(FormatError, match="expected a QIO image"):
        convert.qio_to_ua(data)


@pytest.mark.parametrize("framed", [False, True])
def test_rtthread_bootloader_recognised(framed: bool) -> None:
    """Was: not recognised at all."""
    data = cv.rtthread_bootloader(framed=framed)
    found = obkimg.detect(data)
    assert found and found[0].kind == "bk7231-bootloader" and "RT-Thread" in found[0].reason
    img = obkimg.open(data)
    assert img.kind == "bk7231-bootloader" and img.ok and img.chip is None
    assert "RT-Thread OTA bootloader strings" in img.chip_reason


def test_bl602_mfg_firmware_recognised() -> None:
    """Was: not recognised (bare RISC-V code starting with a jal, not auipc gp)."""
    img = obkimg.open(cv.bl602_mfg())
    assert img.kind == "bl602-firmware" and img.chip == "BL602"


def test_plain_arm_is_not_bl602() -> None:
    with pytest.raises(obkimg.ObkImgError):
        obkimg.open(b"\x6f" + bytes(4000))  # a jal opcode without any BL602 SDK string


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("chip", sorted(cv.OBK))
@pytest.mark.parametrize("app_size", [0x3000, 0x30000])
def test_obk_qio_round_trip_every_chip(chip: str, app_size: int) -> None:
    """qio2ua -> ua2qio gives the QIO back byte for byte (apps shorter and longer than 0x11000)."""
    q = cv.obk_qio(chip, app_size=app_size)
    ua = convert.qio_to_ua(q)
    ua_img = bi.analyze(ua)
    assert ua_img.kind == "bk7231-ua" and ua_img.ok
    assert convert.ua_to_qio(ua, q) == q
    qimg = bi.analyze(q)
    # the UA tells no more than the QIO (no bootloader), never another chip
    assert set(qimg.chip_candidates) <= set(ua_img.chip_candidates)


def test_m_qio_from_real_n_qio_round_trip() -> None:
    """The official BK7231M QIO is the N build with the zero key: rebuild it from the real N QIO."""
    data = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()
    n = bi.analyze(data)
    m = bi.build_qio_from_app(
        bi.decrypt_app(n),
        bi.decrypt_bootloader(n.bootloader.image),
        key="zero",
        version="1.18.300",
        timestamp=1,
    )
    img = bi.analyze(m)
    assert img.kind == "bk7231-qio" and img.key_class == "zero" and img.chip is None
    assert img.chip_candidates == N_FAM
    ua = convert.qio_to_ua(m)
    assert bi.analyze(ua).kind == "bk7231-ua"
    assert convert.ua_to_qio(ua, m) == m


@pytest.mark.parametrize(
    "name,chip", [("OpenBK7231N_QIO_1.18.300.bin", "BK7231N"), ("OpenBK7231T_QIO_1.18.300.bin", "BK7231T")]
)
def test_real_qio_chip_and_round_trip(name: str, chip: str) -> None:
    data = real_path(chip.lower(), name).read_bytes()
    img = bi.analyze(data)
    assert img.chip == chip and img.chip_candidates == [chip]
    assert convert.ua_to_qio(convert.qio_to_ua(data), data) == data


# ------------------------------------------------------------------------------------ outputs
def _cli(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.output


def test_info_json_chip_candidates(tmp_path: Path) -> None:
    p = tmp_path / "bl2028n_stock.bin"
    p.write_bytes(cv.bl2028n_stock_dump())
    code, out = _cli("info", "--json", str(p))
    doc = json.loads(out)
    validate_schema(doc, "info.v1")
    assert code == 0 and doc["chip"] is None and doc["chip_candidates"] == N_FAM
    assert doc["details"]["chip_candidates"] == N_FAM
    code, out = _cli("info", str(p))
    assert "chip:  cannot tell: BK7231N, BK7231M, BL2028N" in out


def test_scan_json_chip_candidates(tmp_path: Path) -> None:
    (tmp_path / "m.bin").write_bytes(cv.obk_qio("BK7231M"))
    (tmp_path / "b.bin").write_bytes(cv.obk_qio("BK7238"))
    code, out = _cli("scan", "--json", str(tmp_path))
    doc = json.loads(out)
    validate_schema(doc, "scan.v1")
    rows = {Path(r["path"]).name: r for r in doc["files"]}
    assert rows["m.bin"]["chip"] is None and rows["m.bin"]["chip_candidates"] == N_FAM
    assert rows["b.bin"]["chip"] == "BK7238" and rows["b.bin"]["chip_candidates"] == ["BK7238"]


def _rotated() -> bytes:
    d = bytes(_synth.dump())
    return d[0x11000:] + d[:0x11000]


def test_rotated_dump_one_offset_convention(tmp_path: Path) -> None:
    """Text, JSON and SVG all give flash addresses and state the rotation."""
    p = tmp_path / "rot.bin"
    p.write_bytes(_rotated())
    img = bi.analyze(p.read_bytes())
    assert img.rotation == 0x11000
    regions = {r.name: r for r in img.regions()}
    assert regions["bootloader"].offset == 0 and regions["app"].offset == 0x11000
    assert regions["rf"].offset == 0x1D0000 and regions["rf"].detail["file_offset"] == 0x1D0000 - 0x11000
    code, out = _cli("info", "--json", str(p))
    doc = json.loads(out)
    validate_schema(doc, "info.v1")
    offs = {r["name"]: r["offset"] for r in doc["regions"]}
    assert offs["bootloader"] == 0 and offs["app"] == 0x11000 and doc["details"]["rotation"] == 0x11000
    code, text = _cli("info", str(p))
    assert "offsets shown are flash addresses" in text and "0x011000" in text
    svg = tmp_path / "rot.svg"
    code, _ = _cli("info", str(p), "--svg", str(svg))
    body = svg.read_text()
    assert "rotated dump" in body and "app 0x11000+" in body


def test_extract_rotated_regions_hold_flash_bytes(tmp_path: Path) -> None:
    from obkimg.extract import extract

    data = _rotated()
    res = extract(data, regions=True)
    flash = bi.analyze(data).flash()
    rf = next(a for a in res.files if a.region == "rf" and a.kind == "region")
    assert rf.data == flash[0x1D0000:0x1D1000]


def test_check_pair_uses_candidates() -> None:
    m = bi.analyze(cv.obk_qio("BK7231M"))
    t_ua = bi.analyze(convert.qio_to_ua(cv.obk_qio("BK7231T")))
    why = convert.check_pair(m, t_ua)
    assert any("chip mismatch" in w and "BK7231N family" in w for w in why)


def test_rbl_name_evidence() -> None:
    """An RBL trailer whose name names a chip narrows the candidates; a generic "app" says nothing."""
    from obkimg.formats.bk7231.rbl import RblHeader

    assert chipid.from_rbl_name("app", "1.18.300") is None
    ev = chipid.from_rbl_name("bk7238_app", None)
    assert ev is not None and ev.chips == {"BK7238"}
    q = bytearray(cv.obk_qio("BK7231U"))
    img = bi.analyze(bytes(q))
    hdr = img.app.trailer.header
    # the same zero-key freertos QIO without its build string, trailer renamed: the RBL name decides
    plain = cv.app(b"no build string here")
    q2 = bi.build_qio_from_app(
        plain, cv.bootloader(marker=False, layout=cv.SDK_FAL), key="zero", layout="bk7231u", timestamp=1
    )
    assert bi.analyze(q2).chip is None
    parts = bi.split_qio(q2)
    named = RblHeader.for_flash_image(parts.app, name="bk7252n", version="1.0", timestamp=1)
    q3 = bi.build_qio(
        bi.QioParts(
            parts.bootloader,
            parts.bootloader_rbl,
            parts.app,
            named,
            parts.bootloader_rbl_offset,
            parts.app_rbl_offset,
        )
    )
    assert bi.analyze(q3).chip == "BK7252N" and hdr is not None
