"""BL602 boot header: byte-exact parse/build of every vendor vector and real header, the vendor builder,
hash/CRC states, DEADBEEF placeholders, rebuild, extensions, RAM images and bare-code detection."""

from __future__ import annotations

import contextlib
import hashlib
import struct
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obkimg.bl602 import header_report, rebuild_headers
from obkimg.codecs.checksums import crc32
from obkimg.errors import BuildError, ChecksumError, MagicError, MismatchError, ObkImgError, TruncatedError
from obkimg.formats.bl602 import bootheader as bh
from obkimg.source import Source
from tests.bl602._helpers import fx, real
from tests.conftest import real_path

HEADER_FIXTURES = [
    "small/bootinfo.bin",
    "odd/bootinfo.bin",
    "add16/bootinfo.bin",
    "small/bootinfo_boot2.bin",
    "small/whole_img.bin",
    "small/whole_img_boot2.bin",
    "small/FW_OTA.bin",
    "odd/whole_img.bin",
    "mcu/whole_img_mcu.bin",
    "small/whole_flash_data.bin",
    "small/FW_OTA.bin.hash",
]
REAL_WITH_HEADER = [
    "BL602_AppHdr_GUIFlashTool.bin",
    "BL602_Boot_GUIFlashTool_v1.bin",
    "BL602_eflash_loader_40m_GUIFlashTool.bin",
    "BL602_eflash_loader_GUIFlashTool.bin",
    "OpenBL602SDK_bootheader_0f140f3.bin",
    "OpenBL602SDK_bootinfo_01bc637.bin",
    "OpenBL602SDK_bootinfo_boot2_4cce0af.bin",
    "OpenBL602SDK_whole_img_85e0d3c.bin",
    "OpenBL602SDK_whole_img_9d2e90c.bin",
    "OpenBL602SDK_whole_img_boot2_0234dd7.bin",
    "OpenBL602_dev_20260625_142543_OTA.bin",
    "bflb-iot-tool_eflash_loader_eflash_loader_40m.bin",
    "bflb-iot-tool_efuse_bootheader_bootheader.bin",
    "bflb-iot-tool_img_create_iot_bootinfo.bin",
    "bflb-iot-tool_img_create_iot_bootinfo_pt.bin",
    "bflb-iot-tool_ota_FW_OTA.bin",
    "bflb-iot-tool_ota_FW_OTA.bin.hash",
    "eflash_loader_rc32m.bin",
    "full_binary_with_app_OpenBL602_1.18.57.bin",
]


@pytest.mark.parametrize("name", HEADER_FIXTURES)
def test_fixture_headers_roundtrip(name: str) -> None:
    data = fx(*name.split("/"))
    hdr = bh.BootHeader.parse(data)
    assert hdr.build() == data[:176]
    assert hdr.flash_crc == hdr.computed_flash_crc and hdr.clk_crc == hdr.computed_clk_crc
    img = bh.BootImage.parse(data)
    assert img.build() == data


@pytest.mark.parametrize("name", REAL_WITH_HEADER)
def test_real_headers_roundtrip(name: str) -> None:
    data = real(name)
    assert bh.BootHeader.parse(data).build() == data[:176]
    assert bh.BootImage.parse(data).build() == data


def test_worked_example_fields() -> None:
    h = bh.BootHeader.parse(fx("small", "bootinfo.bin"))
    assert h.boot_cfg.word == 0x3300 and h.img_len == 20000 and h.img_start == 0x1000
    assert h.crc == 0x49EB08BC and h.flash_crc == 0x5726629E and h.clk_crc == 0x3B3019E9
    assert h.hash == hashlib.sha256(fx("small", "img.bin")).digest() and h.crc_state == "valid"
    assert h.flash_cfg == bh.GENERIC_FLASH_CFG and h.clock == bh.IOT_CLOCK_40M
    b2 = bh.BootHeader.parse(fx("small", "bootinfo_boot2.bin"))
    assert b2.boot_cfg.word == 0x33300 and b2.boot_cfg.crc_ignore and b2.boot_cfg.hash_ignore
    assert b2.crc_state == "ignored" and b2.hash_ignored and b2.img_start == 0x2000 and b2.img_len == 36608


def test_boot_cfg_word_roundtrip() -> None:
    for word in (0x3300, 0x33300, 0x3305, 0x300, 0x30300, 0x200, 0xFFFFFFFF, 0):
        assert bh.BootCfg.from_word(word).word == word
    h = bh.BootHeader.parse(fx("small", "bootinfo.bin"))
    for word in (0x3305, 0x1234_5678):
        raw = replace(h, boot_cfg=bh.BootCfg.from_word(word), crc=None).build()
        assert struct.unpack_from("<I", raw, 116)[0] == word
        assert bh.BootHeader.parse(raw).boot_cfg.word == word


@pytest.mark.parametrize(
    "case,fw", [("small", "fw_small.bin"), ("odd", "fw_odd.bin"), ("add16", "fw_4k.bin")]
)
def test_vendor_builder_is_byte_identical(case: str, fw: str) -> None:
    image = bh.prepare_image(fx("inputs", fw))
    assert image == fx(case, "img.bin")
    assert bh.fw_header(image).build() == fx(case, "bootinfo.bin")


def test_prepare_image_padding_rules() -> None:
    assert len(bh.prepare_image(bytes(20000))) == 20000
    assert len(bh.prepare_image(bytes(12345))) == 12352
    assert (
        bh.prepare_image(b"\x01" * 20480)[-16:] == bytes(16) and len(bh.prepare_image(bytes(20480))) == 20496
    )


def test_fw_ota_bin_and_boot2_image() -> None:
    assert bh.fw_ota_bin(fx("inputs", "fw_small.bin")) == fx("small", "FW_OTA.bin")
    assert bh.fw_ota_bin(fx("inputs", "fw_odd.bin")) == fx("odd", "whole_img.bin")
    assert bh.fw_ota_bin(fx("small", "FW_OTA.bin.hash")) == fx("small", "FW_OTA.bin"), (
        "the .hash trailer is dropped"
    )
    assert bh.boot2_image(fx("inputs", "boot2_isp_release.bin")) == fx("small", "whole_img_boot2.bin")
    assert bh.boot2_header(fx("inputs", "boot2_isp_release.bin")).build() == fx("small", "bootinfo_boot2.bin")


def test_template_from_real_dump_rebuilds_its_fw_slot() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    tpl = bh.BootHeader.parse(dump[0x10000:])
    fw = bh.fw_ota_bin(real("OpenBL602_1.18.57.bin"), template=tpl)
    assert fw == dump[0x10000 : 0x10000 + len(fw)], "mismatch"
    assert tpl.img_start == 0x2000, "OpenBL602 FW headers say 0x2000 although the code is at +0x1000"


def test_template_keeps_ignore_placeholders() -> None:
    tpl = bh.BootHeader.parse(real("OpenBL602_dev_20260625_142543_OTA.bin"))
    hdr = bh.fw_header(bh.prepare_image(b"\x13" * 5000), template=tpl)
    assert hdr.crc == bh.DEADBEEF and hdr.hash == bh.HASH_PLACEHOLDER and hdr.img_len == 5008


def test_signed_template_refused() -> None:
    tpl = bh.BootHeader(boot_cfg=bh.BootCfg.from_word(0x3305))
    with pytest.raises(BuildError):
        bh.fw_header(bytes(32), template=tpl)


@pytest.mark.parametrize(
    "name,role,code,hash_state,crc_state",
    [
        ("small/whole_img.bin", "firmware", 0x1000, "valid", "valid"),
        ("small/whole_img_boot2.bin", "boot2", 0x2000, "ignored", "ignored"),
        ("mcu/whole_img_mcu.bin", "mcu-firmware", 0x2000, "valid", "valid"),
        ("small/bootinfo.bin", "header", None, "unchecked", "valid"),
    ],
)
def test_roles_and_states_of_vectors(
    name: str, role: str, code: int | None, hash_state: str, crc_state: str
) -> None:
    img = bh.BootImage.parse(fx(*name.split("/")))
    assert (img.role, img.code_offset, img.hash_state(), img.header.crc_state) == (
        role,
        code,
        hash_state,
        crc_state,
    )


@pytest.mark.parametrize(
    "name,role,code,hash_state,crc_state,trailer",
    [
        ("OpenBL602SDK_whole_img_85e0d3c.bin", "firmware", 0x1000, "valid", "valid", None),
        ("OpenBL602SDK_whole_img_boot2_0234dd7.bin", "boot2", 0x2000, "valid", "valid", None),
        ("BL602_Boot_GUIFlashTool_v1.bin", "boot2", 0x2000, "ignored", "ignored", "padding-ff"),
        ("OpenBL602_dev_20260625_142543_OTA.bin", "firmware", 0x1000, "ignored", "ignored", None),
        ("bflb-iot-tool_ota_FW_OTA.bin.hash", "firmware", 0x1000, "valid", "valid", "sha256"),
        ("eflash_loader_rc32m.bin", "ram-image", 176, "valid", "valid", None),
        ("BL602_eflash_loader_GUIFlashTool.bin", "ram-image", 176, "ignored", "ignored", None),
        ("BL602_AppHdr_GUIFlashTool.bin", "header", None, "unchecked", "unfilled", None),
        ("bflb-iot-tool_efuse_bootheader_bootheader.bin", "header", None, "unchecked", "unfilled", None),
    ],
)
def test_real_roles_and_states(
    name: str, role: str, code: int | None, hash_state: str, crc_state: str, trailer: str | None
) -> None:
    img = bh.BootImage.parse(real(name))
    assert (img.role, img.code_offset, img.hash_state(), img.header.crc_state, img.trailer()) == (
        role,
        code,
        hash_state,
        crc_state,
        trailer,
    )


def test_ram_image_segments() -> None:
    img = bh.BootImage.parse(real("eflash_loader_rc32m.bin"))
    assert img.header.segmented and len(img.segments) == 1
    seg = img.segments[0]
    assert seg.dest_addr == 0x22010000 and seg.header_ok and 176 + 16 + seg.length == img.size
    assert not [p for p in img.problems() if p.severity == "error"]
    assert img.header.flash_magic == b"FCFG" and img.header.clk_magic == bytes(4)


def test_hash_and_crc_corruption_detected_at_offsets() -> None:
    data = bytearray(fx("small", "whole_img.bin"))
    data[0x1000 + 7] ^= 1
    img = bh.BootImage.parse(bytes(data))
    assert img.hash_state() == "bad"
    assert [p.offset for p in img.problems() if p.severity == "error"] == [132]
    data = bytearray(fx("small", "bootinfo.bin"))
    data[20] ^= 0x40
    probs = bh.BootHeader.parse(bytes(data)).check()
    assert sorted(p.offset for p in probs if p.severity == "error") == [96, 172]
    with pytest.raises(ChecksumError) as e:
        bh.BootHeader.parse(bytes(data), strict=True)
    assert e.value.offset == 96 and e.value.fmt == "bl602-bootheader"


def test_rebuild_recomputes_and_keeps_placeholders() -> None:
    good = fx("small", "whole_img.bin")
    bad = bytearray(good)
    bad[96:100] = b"\0\0\0\0"
    bad[132:164] = bytes(32)
    bad[172:176] = b"\x01\x02\x03\x04"
    assert bh.BootImage.parse(bytes(bad)).rebuilt() == good
    boot2 = fx("small", "whole_img_boot2.bin")
    assert bh.BootImage.parse(boot2).rebuilt() == boot2, "DEADBEEF placeholders stay"
    filled = bh.BootImage.parse(boot2).rebuilt(fill_ignored=True)
    fh = bh.BootHeader.parse(filled)
    assert fh.crc == crc32(filled[:172]) and fh.hash == hashlib.sha256(boot2[0x2000:]).digest()
    out, changes = rebuild_headers(bytes(bad))
    assert out == good and "hash" in changes[0] and "header CRC" in changes[0]


def test_rebuild_headers_of_a_dump_is_identity() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    out, changes = rebuild_headers(dump)
    assert out == dump and len(changes) == 2 and all("consistent" in c for c in changes)
    offsets = [h["offset"] for h in header_report(dump)["headers"]]
    assert offsets == [0, 0x10000]


def test_signed_encrypted_extension_blocks() -> None:
    img = bh.prepare_image(b"\x5a" * 1000)
    pk = bytes(range(64))
    sig = bytes(range(64, 128))
    iv = bytes(range(12)) + bytes(4)
    ext = (
        pk
        + struct.pack("<I", crc32(pk))
        + struct.pack("<I", 64)
        + sig
        + struct.pack("<I", crc32(struct.pack("<I", 64) + sig))
        + iv
        + struct.pack("<I", crc32(iv))
    )
    iv_block = iv + struct.pack("<I", crc32(iv))
    hdr = bh.BootHeader(
        boot_cfg=bh.BootCfg.from_word(0x3305), img_len=len(img), hash=hashlib.sha256(iv_block + img).digest()
    )
    blob = hdr.build() + ext + b"\xff" * (0x1000 - 176 - len(ext)) + img
    parsed = bh.BootImage.parse(blob)
    assert parsed.extension is not None and parsed.extension.size == 160
    assert (
        parsed.extension.public_key == pk and parsed.extension.signature == sig and parsed.extension.iv == iv
    )
    assert parsed.hash_state() == "valid" and not [p for p in parsed.problems() if p.severity == "error"]
    assert parsed.details()["extension"]["public_key_sha256"] == hashlib.sha256(pk).hexdigest()
    broken = bytearray(blob)
    broken[176 + 64] ^= 1
    assert [p.offset for p in bh.BootImage.parse(bytes(broken)).problems() if "public key" in p.message] == [
        176 + 64
    ]


def test_errors_name_format_and_offset() -> None:
    with pytest.raises(TruncatedError) as t:
        bh.BootHeader.parse(fx("small", "bootinfo.bin")[:100])
    assert t.value.offset == 100 and t.value.fmt == "bl602-bootheader"
    with pytest.raises(MagicError) as m:
        bh.BootHeader.parse(b"BFPT" + bytes(200))
    assert m.value.offset == 0
    bad = bytearray(fx("small", "bootinfo.bin"))
    bad[8:12] = b"XXXX"
    with pytest.raises(ObkImgError) as v:
        bh.BootHeader.parse(bytes(bad))
    assert v.value.offset is not None and v.value.path and "flash" in v.value.path


@pytest.mark.parametrize(
    "name,role",
    [
        ("OpenBL602_1.18.57.bin", "application"),
        ("OpenBL602_20220424_bl602_sharedApp.bin", "application"),
        ("OpenBL602SDK_bl602_demo_nano_20200903_flash_clock_cmd_1317934.bin", "application"),
        ("BL602_Boot_GUIFlashTool_v2.bin", "boot2"),
        ("OpenBL602SDK_bl602_blsp_boot2_release.bin", "boot2"),
        ("OpenBL602SDK_img_boot2_withhash_bf8d22d.bin", "boot2"),
        ("bflb-iot-tool_builtin_imgs_boot2_isp_bl602_v6.5.6_boot2_isp_release.bin", "boot2"),
    ],
)
def test_bare_firmware(name: str, role: str) -> None:
    data = real(name)
    det = bh.detect(data)
    assert det is not None and det.kind == "bl602-firmware" and det.chip == "BL602"
    img = bh.load(Source(data))
    assert isinstance(img, bh.BareFirmware) and img.role == role
    assert img.trailing_sha256 == name.startswith("OpenBL602SDK_img_boot2_withhash")


def test_detect_never_raises_and_ignores_noise() -> None:
    for blob in (b"", b"BFNP", b"BFNP" + bytes(171), bytes(4096), b"\x97\x21" + bytes(5000)):
        assert bh.detect(blob) is None or bh.detect(blob).confidence <= 40  # type: ignore[union-attr]


def test_bk_image_is_refused_with_a_plain_message() -> None:
    qio = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()
    pytest.importorskip("obkimg.formats.bk7231.image")
    with pytest.raises(MismatchError) as e:
        bh.load(Source(qio))
    assert e.value.message == "this is a BK7231N QIO image, not BL602 firmware"


def test_foreign_error_generic_with_a_synthetic_bk_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    from obkimg.formats import Detection

    def fake_detect(data: object) -> list[Detection]:
        return [Detection("bk7231-qio", 90, "synthetic", "BK7231T", 0, 10)]

    # the format asks the registry's probes (_detections), not the obkimg.detect workflow
    monkeypatch.setattr(bh, "_detections", fake_detect)
    err = bh.foreign_error(b"whatever")
    assert isinstance(err, MismatchError) and err.message == "this is a BK7231T QIO image, not BL602 firmware"


@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_obkimg_errors(data: bytes) -> None:
    with contextlib.suppress(ObkImgError):
        bh.BootImage.parse(b"BFNP" + data)
    bh.detect(data)


@given(
    st.builds(bh.BootCfg.from_word, st.integers(0, 0xFFFFFFFF)),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=84, max_size=84),
)
def test_header_model_roundtrip(
    cfg: bh.BootCfg, img_len: int, img_start: int, digest: bytes, flash: bytes
) -> None:
    hdr = bh.BootHeader(flash_cfg=flash, boot_cfg=cfg, img_len=img_len, img_start=img_start, hash=digest)
    raw = hdr.build()
    back = bh.BootHeader.parse(raw)
    assert back.build() == raw and back.crc_state == "valid"
    assert replace(back, flash_crc=None, clk_crc=None, crc=None) == hdr


def test_foreign_error_names_a_bk_dump_as_a_dump() -> None:
    from obkimg.errors import MismatchError
    from obkimg.formats.bl602.bootheader import foreign_error
    from tests.conftest import real_path

    data = real_path("bk7231n", "MOES_WK-US2-TC_In-Wall_Outlet.bin").read_bytes()
    err = foreign_error(data)
    assert (
        isinstance(err, MismatchError) and err.message == "this is a BK7231N flash dump, not BL602 firmware"
    )
