"""BK7231 images built from synthetic parts: these run without ../shared."""

from __future__ import annotations

import contextlib
import runpy
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import obkimg
from obkimg import bkdump as bi
from obkimg.codecs import bkcipher, crcframe
from obkimg.convert import bin_to_hex, hex_to_bin, qio_to_ua, ua_to_qio
from obkimg.errors import BuildError, FormatError, LimitError, MismatchError, ObkImgError
from tests.bk7231_images import _synth
from tests.conftest import validate_schema

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "bk7231n_demo_qio.bin.gz"


def test_built_qio_roundtrip() -> None:
    q = _synth.qio()
    img = bi.analyze(q)
    assert img.kind == "bk7231-qio" and img.chip == "BK7231N" and img.ok and len(q) == 0x129F70
    assert img.layout.name == "bk7231n" and img.key_class == "tuya"
    assert {r.state for r in img.regions()} <= {"valid", "erased"}
    assert bi.decrypt_app(img) == _synth.app()
    assert bi.recover_app_length(q) == len(_synth.app())
    assert bi.build_qio(bi.split_qio(q)) == q
    assert img.build() == q
    assert bi.decrypt_bootloader(img.bootloader.image) == _synth.bootloader()
    assert not img.verify()


# the UASCENT key proves a BL2028N; the zero key is used on BK7231M, some BL2028N and non-Tuya BK7231N
@pytest.mark.parametrize(
    "key,chip,cands", [("uascent", "BL2028N", ["BL2028N"]), ("zero", None, ["BK7231N", "BK7231M", "BL2028N"])]
)
def test_n_family_keys(key: str, chip: str | None, cands: list[str]) -> None:
    q = _synth.qio(bkcipher.parse_key(key))
    img = bi.analyze(q)
    assert img.chip == chip and img.chip_candidates == cands and img.key_class == key and img.ok
    assert bi.decrypt_app(img) == _synth.app()


def test_t_layout_without_marker() -> None:
    boot = _synth.bootloader(n_marker=False, download=0x132000)
    q = bi.build_qio_from_app(_synth.app(), boot, layout="bk7231t-obk", timestamp=1)
    img = bi.analyze(q)
    assert img.chip == "BK7231T" and img.layout.name == "bk7231t-obk" and len(q) == 0x100000
    assert img.app.trailer.offset == 0xFFF9A and img.ok  # own framing, off the 34-byte grid
    # the T-style bootloader image moved its FAL table behind 16 x 0xFF
    enc = img.bootloader.image
    assert enc[-0xC0 - 16 : -0xC0] == b"\xff" * 16 and enc[-0xC0:] == boot[-0xC0:]


def test_dump_data_regions() -> None:
    d = bytes(_synth.dump())
    img = obkimg.open(d)
    assert img.kind == "bk7231-dump" and img.chip == "BK7231N"
    regs = {r.name: r for r in img.regions()}
    assert regs["littlefs"].offset == 0x1C8000 and regs["littlefs"].end == 0x1D0000
    assert regs["download"].offset == 0x12A000 and regs["download"].end == 0x1C8000
    assert regs["rf"].detail["mac"] == "02:00:00:aa:bb:cc"
    assert regs["obk-config"].offset == 0x1D1000 and regs["obk-config"].detail["version"] == 5
    assert img.details()["obk_config"]["version"] == 5
    assert img.build() == d
    doc = img.to_dict()
    validate_schema(doc, "info.v1")


def test_dump_with_ota_image_and_bad_rf() -> None:
    from obkimg.formats.bk7231.rbl import RblHeader

    d = _synth.dump()
    payload = bytes(range(256)) * 4
    hdr = RblHeader.for_payload(payload, name="app", version="2.0.0", timestamp=5)
    d[0x12A000 : 0x12A000 + 96 + len(payload)] = hdr.build() + payload
    d[0x1D0004:0x1D0008] = (0x5000).to_bytes(4, "little")  # RF TLV length past its sector
    img = bi.analyze(bytes(d))
    regs = {r.name: r for r in img.regions()}
    assert regs["download"].state == "valid" and regs["download"].detail["version"] == "2.0.0"
    assert regs["download"].size == 96 + len(payload)
    assert regs["rf"].state == "invalid" and regs["rf"].problems[0].offset == 0x1D0004
    d[0x12A000 + 96] ^= 1
    regs = {r.name: r for r in bi.analyze(bytes(d)).regions()}
    assert regs["download"].state == "invalid"


def test_ua_forms_and_conversion() -> None:
    q = _synth.qio()
    ua = qio_to_ua(q)
    assert ua == q[0x11000:] and ua_to_qio(ua, q) == q
    framed = _synth.framed_app_only()
    assert qio_to_ua(q, trim=True) == framed
    img = bi.analyze(framed)
    assert img.kind == "bk7231-ua" and img.app.trailer is None and img.chip is None
    back = ua_to_qio(framed, q)
    assert back[:0x129F0A] == q[:0x129F0A]
    assert bi.analyze(back).app.trailer.header.crc32 == bi.analyze(q).app.trailer.header.crc32
    with pytest.raises(FormatError):
        qio_to_ua(framed)
    with pytest.raises(FormatError):
        ua_to_qio(q, q)
    with pytest.raises(MismatchError, match="key"):
        ua_to_qio(framed, _synth.qio(bkcipher.KEY_ZERO))
    with pytest.raises(MismatchError):
        ua_to_qio(framed, _synth.app())  # a bare app has no bootloader region


def test_bare_apps() -> None:
    plain = _synth.app()
    img = bi.analyze(plain)
    assert img.kind == "bk7231-app" and img.key_class == "plain" and img.build() == plain
    enc = bkcipher.beken_encrypt_v031(plain, "tuya")
    img = bi.analyze(enc)
    assert img.kind == "bk7231-app" and img.key_class == "tuya"
    assert img.original_app_length() == len(plain) and bi.decrypt_app(enc) == plain
    validate_schema(img.to_dict(), "info.v1")


def test_builder_errors() -> None:
    with pytest.raises(BuildError):
        bi.build_qio_from_app(b"\x00" * 100, _synth.bootloader())
    with pytest.raises(BuildError):
        bi.build_qio_from_app(_synth.app(), _synth.bootloader(), layout="nope")
    enc_boot = bi.encrypt_bootloader(_synth.bootloader(), "uascent")
    with pytest.raises(MismatchError):
        bi.build_qio_from_app(_synth.app(), enc_boot, key="tuya")
    with pytest.raises(BuildError):
        bi.build_qio_from_app(_synth.app(size=0x120000), _synth.bootloader())


def test_hex_roundtrip_and_errors() -> None:
    data = bytes(range(256)) * 300
    text = bin_to_hex(data, 0x11000)
    assert text.startswith(":02000004") and hex_to_bin(text) == (0x11000, data)
    assert hex_to_bin(text.encode()) == (0x11000, data)
    assert hex_to_bin("") == (0, b"")
    with pytest.raises(FormatError):
        hex_to_bin(":zz\n")
    with pytest.raises(BuildError):
        bin_to_hex(b"1234", 0xFFFFFFFE)
    far = ":020000040100F9\n:0100000001FE\n:020000040000FA\n:0100000002FD\n:00000001FF\n"
    with pytest.raises(LimitError):
        hex_to_bin(far)
    # gaps become 0xFF
    gap = ":0100000001FE\n:0100040002F9\n:00000001FF\n"
    assert hex_to_bin(gap) == (0, b"\x01\xff\xff\xff\x02")


@given(st.binary(max_size=3000))
def test_detect_never_raises(data: bytes) -> None:
    assert bi.detect(data) is None or isinstance(bi.detect(data), list)
    with contextlib.suppress(ObkImgError):
        bi.analyze(data)


@given(st.integers(0, 3000), st.integers(0, 7))
def test_flipped_synthetic_qio_reports_offset(pos: int, bit: int) -> None:
    q = bytearray(_QIO)
    off = 0x11000 + pos
    q[off] ^= 1 << bit
    img = bi.analyze(bytes(q))
    block = 0x11000 + pos // 34 * 34
    errs = [p.offset for r in img.regions() if r.name == "app" for p in r.problems if p.severity == "error"]
    assert errs == [block]


_QIO = _synth.qio()


# ------------------------------------------------------------------------------------ demo example
def test_demo_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["make_demo.py", str(tmp_path)])
    runpy.run_path(str(ROOT / "examples" / "make_demo.py"), run_name="__main__")
    for shipped in (DEMO, DEMO.with_name("bk7231n_demo_dump.bin.gz")):
        assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes()
        assert len(shipped.read_bytes()) < 150 * 1024


def test_demo_is_a_valid_n_qio() -> None:
    img = obkimg.open(DEMO)
    assert img.kind == "bk7231-qio" and img.chip == "BK7231N" and img.ok
    assert all(r.state in ("valid", "erased") for r in img.regions())
    assert {r.name for r in img.regions()} >= {"bootloader", "bootloader-rbl", "fal", "app", "app-rbl"}
    assert not img.verify()
    validate_schema(img.to_dict(), "info.v1")


def test_frame_helpers_agree() -> None:
    q = _synth.qio()
    assert crcframe.verify(q[:0x2000]).ok


@pytest.mark.parametrize("size,cfg", [(0x1D2000, 0x1D1000)])
def test_obk_qio_plus_config_is_a_dump(size: int, cfg: int) -> None:
    """OpenBeken "QIO + config": the QIO padded with 0xFF up to the config sector plus that sector."""
    q = bytearray(_synth.qio())
    d = q + b"\xff" * (size - len(q))
    d[cfg : cfg + 8] = b"CFG\x11" + (5).to_bytes(4, "little")
    img = obkimg.open(bytes(d))
    assert img.kind == "bk7231-dump" and img.chip == "BK7231N" and img.ok
    regs = {r.name: r for r in img.regions()}
    assert regs["obk-config"].offset == cfg and regs["obk-config"].end == size
    assert regs["download"].state == "erased"
    assert qio_to_ua(bytes(d)) == bytes(q[0x11000:])
