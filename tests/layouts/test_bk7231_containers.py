"""Schema-level tests of the BK7231 containers (RBL header and in-flash trailer, UG file, FAL table):
construct's common() on the vendor vectors and on generated values, sizeof where static, the strict
keyword, and offset_of() against the spec tables (bk7231.md 4.1, 4.5, 5.4)."""

from __future__ import annotations

import zlib

import construct as c
import pytest

from obkimg._construct import offset_of
from obkimg.codecs import crcframe
from obkimg.formats.bk7231.fal import FAL_ENTRY, FAL_TABLE
from obkimg.formats.bk7231.rbl import RBL_ALGO, RBL_HEADER, RBL_TRAILER
from obkimg.formats.bk7231.ug import UG_FILE
from tests.conftest import fixture_path, real_path
from tests.layouts._common import common

RBL_FILES = [
    "rtota_app_raw_none.rbl",
    "rtota_app_raw_gzip_aes.rbl",
    "lt_ota_none.rbl",
    "lt_ota_gzip.rbl",
    "lt_ota_gzip_aes.rbl",
]
#: (file, compress, crypt) as the fixtures README names them
RBL_ALGOS = {
    "rtota_app_raw_none.rbl": ("none", "none"),
    "rtota_app_raw_gzip_aes.rbl": ("gzip", "aes256"),
    "lt_ota_none.rbl": ("none", "none"),
    "lt_ota_gzip.rbl": ("gzip", "none"),
    "lt_ota_gzip_aes.rbl": ("gzip", "aes256"),
}


def _info(**over: object) -> dict[str, object]:
    info: dict[str, object] = {
        "algo": {"algo2": 0, "reserved": 0, "compress": "gzip", "crypt": "aes256"},
        "timestamp": 1700000000,
        "name": "app",
        "version": "1.18.300",
        "sn": "0" * 23,
        "crc32": 0x12345678,
        "hash": 0x9ABCDEF0,
        "size_raw": 1000,
        "size_package": 512,
    }
    info.update(over)
    return info


# ------------------------------------------------------------------------------------------ RBL header
@pytest.mark.parametrize("name", RBL_FILES)
def test_rbl_header_on_vectors(name: str) -> None:
    data = fixture_path("bk7231", name).read_bytes()[:96]
    parsed = common(RBL_HEADER, data, size=96)
    info = parsed.info.value
    assert info.magic == b"RBL\0" and info.name == "app"
    assert (info.algo.compress, info.algo.crypt) == RBL_ALGOS[name]
    assert parsed.info_crc32 == zlib.crc32(data[:0x5C]) and parsed.info.data == data[:0x5C]


def test_rbl_header_generated_value() -> None:
    blob = RBL_HEADER.build({"info": {"value": _info()}, "info_crc32": None})
    assert len(blob) == 96 and blob[:4] == b"RBL\0"
    assert blob[4:8] == (0x102).to_bytes(4, "little")  # RT_OTA_CMPRS_ALGO_GZIP | RT_OTA_CRYPT_ALGO_AES256
    assert blob[0x0C:0x1C] == b"app".ljust(16, b"\0")
    assert int.from_bytes(blob[0x5C:], "little") == zlib.crc32(blob[:0x5C])  # Checksum after its data
    parsed = common(RBL_HEADER, blob, size=96)
    assert {k: parsed.info.value[k] for k in ("timestamp", "crc32", "hash", "size_raw", "size_package")} == {
        "timestamp": 1700000000,
        "crc32": 0x12345678,
        "hash": 0x9ABCDEF0,
        "size_raw": 1000,
        "size_package": 512,
    }


def test_rbl_header_garbage_after_nul_and_unknown_algo_round_trip() -> None:
    blob = bytearray(RBL_HEADER.build({"info": {"value": _info()}, "info_crc32": None}))
    blob[0x1C + 9 : 0x1C + 14] = b"\x01junk"  # vendor garbage after "1.18.300\0"
    blob[4:8] = (0x7_0A05).to_bytes(4, "little")  # algo2 7, compress 10, crypt 5: not in the enums
    blob[0x5C:] = zlib.crc32(bytes(blob[:0x5C])).to_bytes(4, "little")
    parsed = common(RBL_HEADER, bytes(blob), size=96)
    assert parsed.info.value.version == "1.18.300" and parsed.info.value.version.raw == bytes(blob[0x1C:0x34])
    assert (int(parsed.info.value.algo.compress), int(parsed.info.value.algo.crypt)) == (10, 5)
    assert parsed.info.value.algo.algo2 == 7


def test_rbl_header_crc_is_enforced_only_when_strict() -> None:
    blob = bytearray(RBL_HEADER.build({"info": {"value": _info()}, "info_crc32": None}))
    blob[0x5C] ^= 1
    with pytest.raises(c.ChecksumError):
        RBL_HEADER.parse(bytes(blob))
    lenient = RBL_HEADER.parse(bytes(blob), strict=False)
    assert RBL_HEADER.build(lenient) == bytes(blob)  # the bad stored CRC builds back as it was


def test_rbl_algo_word() -> None:
    common(RBL_ALGO, (0x100).to_bytes(4, "little"), size=4)
    assert RBL_ALGO.parse((0x100).to_bytes(4, "little")).compress == "gzip"
    assert RBL_ALGO.parse((0x2).to_bytes(4, "little")).crypt == "aes256"


def test_rbl_header_offsets_match_the_spec_table() -> None:
    expected = {
        "magic": 0x00,
        "algo": 0x04,
        "timestamp": 0x08,
        "name": 0x0C,
        "version": 0x1C,
        "sn": 0x34,
        "crc32": 0x4C,
        "hash": 0x50,
        "size_raw": 0x54,
        "size_package": 0x58,
        "info_crc32": 0x5C,
    }
    assert {k: offset_of(RBL_HEADER, k) for k in expected} == expected
    with pytest.raises(KeyError):
        offset_of(RBL_HEADER, "nope")


# ----------------------------------------------------------------------------------- in-flash trailer
def test_rbl_trailer_on_lt_container() -> None:
    data = fixture_path("bk7231", "lt_app_container_0xC000.bin").read_bytes()[-102:]
    parsed = common(RBL_TRAILER, data, size=102)
    assert parsed.info.value.name == "app" and parsed.info.value.size_raw == 40048


@pytest.mark.parametrize(
    "name,off", [("OpenBK7231N_QIO_1.18.300.bin", 0x129F0A), ("OpenBK7231T_QIO_1.18.300.bin", 0x10F9A)]
)
def test_rbl_trailer_on_real_qio(name: str, off: int) -> None:
    family = "bk7231n" if "7231N" in name else "bk7231t"
    data = real_path(family, name).read_bytes()[off : off + 102]
    parsed = common(RBL_TRAILER, data, size=102)
    assert parsed.info.value.version == "1.00"  # vendor garbage after the NUL round-trips through CStr


def test_rbl_trailer_generated_value() -> None:
    blob = RBL_TRAILER.build({"info": {"value": _info(name="bootloader")}, "info_crc32": None})
    assert len(blob) == 102 and crcframe.verify(blob).bad_offsets == []
    assert crcframe.unframe(blob) == RBL_HEADER.build(
        {"info": {"value": _info(name="bootloader")}, "info_crc32": None}
    )
    common(RBL_TRAILER, blob, size=102)


# --------------------------------------------------------------------------------------------- UG file
def test_ug_file_on_vector() -> None:
    data = fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin").read_bytes()
    parsed = common(UG_FILE, data, size=-1)
    head = parsed.header.value
    assert head.magic == b"\x55\xaa\x55\xaa" and parsed.magic_end == b"\xaa\x55\xaa\x55"
    assert head.length == len(data) - 32 and parsed.rbl[:4] == b"RBL\0" and parsed.trailing == b""
    assert parsed.header_sum == sum(data[:24])


def test_ug_file_generated_value() -> None:
    rbl = RBL_HEADER.build({"info": {"value": _info(size_package=16)}, "info_crc32": None}) + bytes(range(16))
    value = {"header": {"value": {"version": "1.2.3"}}, "header_sum": None, "rbl": rbl, "trailing": b""}
    blob = UG_FILE.build(value)
    assert blob[16:20] == len(rbl).to_bytes(4, "big")  # Rebuild: length before its data
    assert blob[20:24] == (sum(rbl) & 0xFFFFFFFF).to_bytes(4, "big")  # computed when not given
    assert blob[24:28] == sum(blob[:24]).to_bytes(4, "big")  # Checksum after its data
    parsed = common(UG_FILE, blob, size=-1)
    assert parsed.header.value.version == "1.2.3" and parsed.rbl == rbl


def test_ug_file_sum_is_checked_only_when_strict() -> None:
    rbl = b"RBL\0" + bytes(92)
    blob = bytearray(UG_FILE.build({"header": {"value": {"version": "1"}}, "rbl": rbl, "trailing": b"xy"}))
    blob[-3] ^= 1  # a byte of the RBL file: the stored sum no longer matches
    with pytest.raises(c.CheckError):
        UG_FILE.parse(bytes(blob))
    lenient = UG_FILE.parse(bytes(blob), strict=False)
    assert lenient.trailing == b"xy" and UG_FILE.build(lenient, strict=False) == bytes(blob)


def test_ug_offsets_match_the_spec_table() -> None:
    expected = {
        "magic": 0x00,
        "version": 0x04,
        "length": 0x10,
        "sum": 0x14,
        "header_sum": 0x18,
        "magic_end": 0x1C,
    }
    assert {k: offset_of(UG_FILE, k) for k in expected} == expected


# ------------------------------------------------------------------------------------------- FAL table
def _fal_table() -> bytes:
    data = fixture_path("bk7231n", "bk7231n_bootloader.bin").read_bytes()
    return data[0xE95C : 0xE95C + 0xC0]


def test_fal_entry_and_table_on_vector() -> None:
    table = _fal_table()
    entry = common(FAL_ENTRY, table[:64], size=64)
    assert entry.magic == b"01PE" and entry.name == "bootloader" and entry.flash_name == "beken_onchip_crc"
    parsed = common(FAL_TABLE, table, size=-1)
    assert [(e.name, e.offset, e.length) for e in parsed] == [
        ("bootloader", 0x0, 0x10000),
        ("app", 0x10000, 0x108700),
        ("download", 0x12A000, 0xA6000),
    ]


def test_fal_entry_generated_value() -> None:
    value = {
        "magic": b"01PE",
        "name": "download",
        "flash_name": "beken_onchip",
        "offset": 0x132000,
        "length": 0xAE000,
        "reserved": 0,
    }
    blob = FAL_ENTRY.build(value)
    assert blob[:4] == b"01PE" and blob[0x34:0x38] == (0x132000).to_bytes(4, "little")
    common(FAL_ENTRY, blob, value, size=64)
    common(FAL_TABLE, blob * 2 + b"\xff" * 0, [value, value], size=-1)


def test_fal_offsets_match_the_spec_table() -> None:
    expected = {"magic": 0, "name": 4, "flash_name": 0x1C, "offset": 0x34, "length": 0x38, "reserved": 0x3C}
    assert {k: offset_of(FAL_ENTRY, k) for k in expected} == expected


def test_fal_table_of_zero_key_bootloader_keeps_nonzero_reserved() -> None:
    # spec 5.4 says reserved is 0; the zero-key N bootloader's entries carry non-zero words (reversed order)
    data = crcframe.unframe(fixture_path("bk7231n", "bk7231n_bootloader_zero_keys.bin").read_bytes())
    off = data.rfind(b"01PE") - 2 * 64
    parsed = common(FAL_TABLE, data[off : off + 3 * 64], size=-1)
    assert [e.name for e in parsed] == ["download", "app", "bootloader"]
    assert all(e.reserved != 0 for e in parsed)
