"""Adversarial review of the verdicts people act on (issue 10): files whose parts contradict each other,
files one byte too large, and other inputs nobody has seen. Synthetic vectors only (built with the
project's own builders)."""

from __future__ import annotations

from obkimg.bkdump import build_qio_from_app
from obkimg.check import CANNOT_TELL, NOT_SAFE, SAFE, check_firmware
from obkimg.detect import open_image
from tests.bk7231_images import _chipvec as cv
from tests.frontdoor._check_vectors import bk_dump


def _t_boot_n_app() -> bytes:
    """A QIO whose bootloader is the T one (BK7231S version, T-class FAL) but whose app is OpenBK7231N."""
    boot = cv.bootloader(marker=False, layout=cv.T_FAL, version=b"BK7231S_1.0.5")
    return build_qio_from_app(
        cv.app(b"OpenBK7231N_1.18.300"),
        boot,
        key="tuya",
        version="1.18.300",
        layout="bk7231t-obk",
        timestamp=1,
    )


def test_contradicting_qio_names_no_chip_but_candidates() -> None:
    img = open_image(_t_boot_n_app())
    assert img.chip is None
    assert {"BK7231T", "BK7231N"} <= set(img.chip_candidates)
    assert "would settle it" in img.details()["chip_evidence"]


def test_contradicting_qio_is_never_safe_for_either_device() -> None:
    """T bootloader + N app: check used to fall back to the app string, call it BK7231N and say SAFE."""
    fw = _t_boot_n_app()
    rep = check_firmware(fw, target=bk_dump("N"))
    assert rep.verdict == CANNOT_TELL, [f.to_dict() for f in rep.findings]
    assert rep.row("chip").status == "unknown" and "contradicts" in rep.row("chip").message
    assert rep.firmware_chip is None
    assert check_firmware(fw, target=bk_dump("T")).verdict != SAFE


def test_contradicting_device_needs_chip() -> None:
    rep = check_firmware(bk_dump("N"), target=_t_boot_n_app())
    assert rep.verdict != SAFE
    assert rep.row("chip").status == "unknown" and "--chip" in (rep.row("chip").needs or "")


def _ug(app_size: int) -> bytes:
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images import _synth as bk

    app = bk.app(size=app_size, banner=b"OpenBK7231N_1.18.300\0")
    return bk7231_ug.wrap(bk7231_rbl.pack(app, version="1.18.300"), "1.18.300")


def test_ota_whose_app_is_one_byte_larger_than_the_app_partition_is_not_safe() -> None:
    """The UG compresses to a few KiB, so only the download-partition size was checked: an app one byte
    larger than the device's app partition (FAL 0x108700) was SAFE."""
    dev = bk_dump("N")
    fits = check_firmware(_ug(0x108700), target=dev)
    assert fits.verdict == SAFE, [f.to_dict() for f in fits.findings]
    over = check_firmware(_ug(0x108701), target=dev)
    assert over.verdict == NOT_SAFE
    assert over.row("size").status == "fail" and "app partition" in over.row("size").message


def _ug_named(rbl_version: str) -> bytes:
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images import _synth as bk

    app = bk.app(size=0x8000, banner=b"OpenBK7231N_1.18.300\0")
    return bk7231_ug.wrap(bk7231_rbl.pack(app, version=rbl_version), "1.18.300")


def test_ug_whose_rbl_name_and_app_string_disagree_names_no_chip() -> None:
    """The RBL header's version names the chip (ESPHome writes '23.08.29-bk7231n'); it used to be
    ignored, so an OpenBK7231N app in an RBL named for bk7231t was SAFE for an N device."""
    ug = _ug_named("1.18.300-bk7231t")
    img = open_image(ug)
    assert img.chip is None and {"BK7231T", "BK7231N"} <= set(img.chip_candidates)
    for dev in (bk_dump("N"), bk_dump("T")):
        rep = check_firmware(ug, target=dev)
        assert rep.verdict == CANNOT_TELL, [f.to_dict() for f in rep.findings]
        assert "contradicts" in rep.row("chip").message
    agree = check_firmware(_ug_named("1.18.300-bk7231n"), target=bk_dump("N"))
    assert agree.verdict == SAFE


def test_t_build_string_and_bk7231s_bootloader_do_not_exclude_bk7231u() -> None:
    """libretiny's families.json puts BK7231T, BK7231S and BK7231U in one family, and its Beken notes say
    Tuya's T SDK (OpenBeken's OpenBK7231T build) is built as SOC_BK7231U, its bootloader greeting
    "BK7231S_1.0.5"; OpenBeken lists "BK7231S/BK7231U" as one platform. Only the Tuya key says T."""
    from obkimg import chipid

    for ev in (
        chipid.from_version("BK7231S_1.0.5"),
        chipid.from_app_identity({"platform": "OpenBK7231T", "text": "OpenBK7231T_1.18.300"}),
        chipid.from_rbl_name("app", "23.08.29-bk7231t"),
    ):
        got = chipid.identify([ev])
        assert got.chip is None and got.candidates == ("BK7231T", "BK7231U"), ev
        assert "Tuya key" in got.settle
        assert chipid.identify([ev, chipid.from_key_class("tuya")]).chip == "BK7231T"
    # the check verdict is unchanged: T and U run the same builds (one group)
    ug = open_image(_ug_t())
    assert ug.chip is None and ug.chip_candidates == ["BK7231T", "BK7231U"]
    assert check_firmware(_ug_t(), target=bk_dump("T")).verdict == SAFE


def _ug_t() -> bytes:
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images import _synth as bk

    app = bk.app(size=0x8000, banner=b"OpenBK7231T_1.18.300\0")
    return bk7231_ug.wrap(bk7231_rbl.pack(app, version="1.18.300"), "1.18.300")


def test_chip_contradicting_the_dump_is_never_safe() -> None:
    """--chip used to override the chip a dump proves: a T UA checked against an N dump with --chip bk7231t
    passed every row (same Tuya key, the N dump's partition sizes) and was SAFE."""
    from obkimg.convert import qio_to_ua
    from tests.bl602 import _synth as bl
    from tests.frontdoor._check_vectors import bk_qio

    t_ua = qio_to_ua(bk_qio("T"))
    rep = check_firmware(t_ua, target=bk_dump("N"), chip="BK7231T")
    assert rep.verdict == CANNOT_TELL, [f.to_dict() for f in rep.findings]
    assert "contradicts" in rep.row("chip").message
    other = check_firmware(bk_qio("N"), target=bl.dump(), chip="BK7231N")  # a BL602 dump, --chip says N
    assert other.verdict != SAFE
    # where the file leaves the chip open, --chip settles it (BK7231M in an N dump's family)
    assert check_firmware(bk_qio("N"), target=bk_dump("N"), chip="BK7231N").verdict == SAFE
