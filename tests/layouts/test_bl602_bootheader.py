"""Schema-level tests of the BL602 boot header declarations (formats/bl602/header.py): parse, build back
and sizeof on the vendor vectors and real headers, on generated values, and boot_cfg's BitStruct alone."""

from __future__ import annotations

import hashlib

import construct as c
import pytest

from obkimg.codecs.checksums import crc32
from obkimg.formats.bl602.header import (
    AES_IV,
    BOOT_CFG,
    BOOT_HEADER,
    CLK_CFG,
    DEADBEEF,
    GENERIC_FLASH_CFG,
    SEGMENT_HEADER,
    SIGN_PUBKEY,
    SIGNATURE,
)
from tests.conftest import fixture_path, real_path
from tests.layouts._common import common

VECTORS = [
    "small/bootinfo.bin",
    "small/bootinfo_boot2.bin",
    "odd/bootinfo.bin",
    "add16/bootinfo.bin",
    "mcu/whole_img_mcu.bin",
    "small/whole_flash_data.bin",
]
REAL = [
    "BL602_AppHdr_GUIFlashTool.bin",  # unfilled template: header CRC 0
    "BL602_Boot_GUIFlashTool_v1.bin",  # crc_ignore + 0xDEADBEEF
    "BL602_eflash_loader_GUIFlashTool.bin",  # RAM image, PCFG magic zeroed
    "OpenBL602SDK_whole_img_85e0d3c.bin",
    "bflb-iot-tool_efuse_bootheader_bootheader.bin",
    "eflash_loader_rc32m.bin",
    "full_binary_with_app_OpenBL602_1.18.57.bin",
]


@pytest.mark.parametrize("name", VECTORS)
def test_boot_header_on_vendor_vectors(name: str) -> None:
    data = fixture_path("bl602", *name.split("/")).read_bytes()[:176]
    parsed = common(BOOT_HEADER, data, size=176, strict=False)
    body = parsed.body.value
    assert body.magic == b"BFNP" and body.flash_magic == b"FCFG"
    assert body.flash_crc == crc32(data[12:96]) and body.clk_crc == crc32(data[104:112])
    common(BOOT_HEADER, data, strict=True)  # the tools' headers pass the strict parse too


@pytest.mark.parametrize("name", REAL)
def test_boot_header_on_real_headers(name: str) -> None:
    data = real_path("bl602", name).read_bytes()[:176]
    parsed = common(BOOT_HEADER, data, size=176, strict=False)
    assert parsed.body.length == 172 and parsed.body.data == data[:172]


def test_worked_example_fields() -> None:
    """bflb-iot-tool 1.10's FW header for a 20000-byte image (small/bootinfo.bin), field by field."""
    data = fixture_path("bl602", "small", "bootinfo.bin").read_bytes()
    body = BOOT_HEADER.parse(data).body.value
    assert body.flash_cfg.value == GENERIC_FLASH_CFG and body.flash_crc == 0x5726629E
    clock = body.clock.value
    assert (clock.xtal_type, clock.pll_clk, clock.flash_clk_type) == ("40M", "PLL160M", "80M")
    assert body.clk_crc == 0x3B3019E9
    assert (body.img_len, body.boot_entry, body.img_start) == (20000, 0, 0x1000)
    assert body.boot_cfg.no_segment and body.boot_cfg.cache_way_disable == 3
    assert BOOT_HEADER.parse(data).crc == 0x49EB08BC


def _generated(**over: object) -> dict[str, object]:
    body = {
        "magic": b"BFNP",
        "revision": 1,
        "flash_magic": b"FCFG",
        "flash_cfg": {"value": bytes(range(84))},
        "flash_crc": None,
        "clk_magic": b"PCFG",
        "clock": {
            "value": {
                "xtal_type": "26M",
                "pll_clk": "PLL192M",
                "hclk_div": 0,
                "bclk_div": 1,
                "flash_clk_type": "XCLK",
                "flash_clk_div": 2,
                "rsvd": b"\0\0",
            }
        },
        "clk_crc": None,
        "boot_cfg": {
            "rsvd19": 0,
            "halt_cpu1": False,
            "hash_ignore": False,
            "crc_ignore": True,
            "cache_way_disable": 3,
            "aes_region_lock": False,
            "notload_in_bootrom": False,
            "cache_enable": True,
            "no_segment": True,
            "rsvd6": 0,
            "key_sel": 2,
            "encrypt_type": "aes256",
            "sign": "ecc",
        },
        "img_len": 12352,
        "boot_entry": 0,
        "img_start": 0x2000,
        "hash": hashlib.sha256(b"image").digest(),
        "rsvd": [0, 0],
    }
    body.update(over)
    return {"body": {"value": body}, "crc": None}


def test_boot_header_generated_value() -> None:
    data = BOOT_HEADER.build(_generated())
    assert (
        len(data) == 176 and data[:4] == b"BFNP" and data[116:120] == bytes.fromhex("29330100")
    )  # sign 1, aes256 2<<2, key_sel 2<<4
    parsed = common(BOOT_HEADER, data, size=176)  # strict: the CRCs built are right
    body = parsed.body.value
    assert body.flash_crc == crc32(bytes(range(84))) and parsed.crc == crc32(data[:172])
    assert body.clock.value.xtal_type == "26M" and int(body.clock.value.xtal_type) == 5
    assert body.boot_cfg.sign == "ecc" and body.boot_cfg.encrypt_type == "aes256"


def test_boot_header_stored_crcs_are_kept_and_checked_when_strict() -> None:
    placeholder = BOOT_HEADER.build({**_generated(), "crc": DEADBEEF})
    assert placeholder[172:] == bytes.fromhex("efbeadde")
    common(BOOT_HEADER, placeholder, strict=True)  # a placeholder is not damage
    bad = BOOT_HEADER.build(_generated(flash_crc=0x12345678))
    assert BOOT_HEADER.parse(bad, strict=False).body.value.flash_crc == 0x12345678
    assert BOOT_HEADER.build(BOOT_HEADER.parse(bad, strict=False)) == bad
    with pytest.raises(c.ChecksumError):
        BOOT_HEADER.parse(bad, strict=True)
    with pytest.raises(c.ValidationError):
        BOOT_HEADER.parse(b"BFPT" + bad[4:], strict=False)


@pytest.mark.parametrize(
    "word,field,value",
    [
        (0x00000001, "sign", "ecc"),
        (0x0000000C, "encrypt_type", "aes192"),
        (0x00000030, "key_sel", 3),
        (0x000000C0, "rsvd6", 3),
        (0x00000100, "no_segment", True),
        (0x00000200, "cache_enable", True),
        (0x00000400, "notload_in_bootrom", True),
        (0x00000800, "aes_region_lock", True),
        (0x0000F000, "cache_way_disable", 15),
        (0x00010000, "crc_ignore", True),
        (0x00020000, "hash_ignore", True),
        (0x00040000, "halt_cpu1", True),
        (0xFFF80000, "rsvd19", 0x1FFF),
    ],
)
def test_boot_cfg_bits(word: int, field: str, value: object) -> None:
    """Each vendor field sits at its bit position of the little-endian word, and nowhere else."""
    data = word.to_bytes(4, "little")
    parsed = common(BOOT_CFG, data, size=4)
    assert parsed[field] == value
    others = {k: v for k, v in parsed.items() if not k.startswith("_") and k != field}
    assert all(not v or v == "none" for v in others.values()), others


def test_boot_cfg_typical_words() -> None:
    fw = {
        "rsvd19": 0,
        "halt_cpu1": False,
        "hash_ignore": False,
        "crc_ignore": False,
        "cache_way_disable": 3,
        "aes_region_lock": False,
        "notload_in_bootrom": False,
        "cache_enable": True,
        "no_segment": True,
        "rsvd6": 0,
        "key_sel": 0,
        "encrypt_type": "none",
        "sign": "none",
    }
    common(BOOT_CFG, bytes.fromhex("00330000"), fw, size=4)  # FW image 0x3300
    boot2 = {**fw, "crc_ignore": True, "hash_ignore": True}
    common(BOOT_CFG, bytes.fromhex("00330300"), boot2, size=4)  # boot2 of bflb-iot-tool 1.10: 0x33300


def test_clock_config_enums() -> None:
    value = {
        "xtal_type": "40M",
        "pll_clk": "PLL160M",
        "hclk_div": 0,
        "bclk_div": 1,
        "flash_clk_type": "80M",
        "flash_clk_div": 1,
        "rsvd": b"\0\0",
    }
    common(CLK_CFG, bytes.fromhex("0404000103010000"), value, size=8)
    assert CLK_CFG.parse(bytes.fromhex("0909000109010000")).xtal_type == 9  # unknown codes stay numbers


def test_extension_blocks_generated() -> None:
    key = bytes(range(64))
    pk = SIGN_PUBKEY.build({"key": {"value": key}})
    assert common(SIGN_PUBKEY, pk, size=68).crc32 == crc32(key)
    sig = SIGNATURE.build({"body": {"value": {"sig_len": 64, "sig": bytes(64)}}})
    parsed = common(SIGNATURE, sig, size=-1)
    assert len(sig) == 72 and parsed.crc32 == crc32(sig[:68])
    iv = AES_IV.build({"iv": {"value": bytes(range(12)) + bytes(4)}})
    assert common(AES_IV, iv, size=20).crc32 == crc32(iv[:16])
    with pytest.raises(c.ValidationError):
        SIGNATURE.parse((129).to_bytes(4, "little") + bytes(140))


def test_segment_header_of_a_real_ram_image() -> None:
    data = real_path("bl602", "eflash_loader_rc32m.bin").read_bytes()[176:192]
    parsed = common(SEGMENT_HEADER, data, size=16)
    assert parsed.body.value.dest_addr == 0x22010000 and parsed.crc32 == crc32(data[:12])
    generated = SEGMENT_HEADER.build({"body": {"value": {"dest_addr": 0x22020000, "len": 16, "rsvd": 0}}})
    common(SEGMENT_HEADER, generated, size=16)
