"""Tuya UG wrapper: the vendor fixture byte for byte, every real UG unpacks with valid checksums."""

from __future__ import annotations

import hashlib

import pytest

from obkimg.containers import looks_like_arm_app
from obkimg.errors import BuildError, ChecksumError, MagicError, TruncatedError
from obkimg.formats.bk7231.rbl import RblFile
from obkimg.formats.bk7231.ug import UgFile, unwrap, wrap
from tests.conftest import fixture_path, real_files

APP_SHA256 = "539e902d74f6fdb9e9ccbf357d041560202cb37599c5902bb9e3ac3a7533441f"


def _ug() -> bytes:
    return fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin").read_bytes()


def test_fixture_parse_unwrap_wrap() -> None:
    data = _ug()
    rbl = fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl").read_bytes()
    ug = UgFile.parse(data)
    assert ug.version == "1.0.0-test" and ug.length == len(rbl) == 624
    assert ug.sum_valid and ug.header_sum_valid
    assert ug.unwrap() == rbl
    assert ug.build() == data and ug.build(fresh=True) == data
    assert wrap(rbl, "1.0.0-test") == data
    assert hashlib.sha256(ug.unpack()).hexdigest() == APP_SHA256
    r, app = unwrap(data, app=True)
    assert r == rbl and app is not None and hashlib.sha256(app).hexdigest() == APP_SHA256
    assert ug.verify() == []


def test_every_real_ug_unpacks_with_valid_checksums() -> None:
    files = real_files("*.ug.bin")
    if not files:
        pytest.skip("../shared/fixtures/real is absent")
    for f in files:
        data = f.read_bytes()
        ug = UgFile.parse(data)  # strict: both sums
        assert ug.build() == data, f.name
        assert wrap(ug.rbl, ug.version) == data, f.name
        rbl = ug.rbl_file()  # strict: header CRC and payload CRC-32
        assert rbl.header.compression == "gzip" and rbl.header.encryption == "aes256"
        app = rbl.unpack()  # checks size_raw and the FNV-1a hash
        assert len(app) == rbl.header.size_raw
        assert looks_like_arm_app(app), f.name
        assert ug.verify() == [], f.name


def test_sum_errors_name_their_field() -> None:
    data = bytearray(_ug())
    data[0x40] ^= 0x01  # inside the RBL header: byte sum and RBL header CRC both break
    with pytest.raises(ChecksumError) as e:
        UgFile.parse(bytes(data), base=0x100)
    assert e.value.path == "sum" and e.value.offset == 0x100 + 0x14
    ug = UgFile.parse(bytes(data), strict=False)
    offsets = {p.offset for p in ug.verify()}
    assert 0x14 in offsets and 32 + 0x5C in offsets  # RBL errors carry UG-file offsets
    head = bytearray(_ug())
    head[5] ^= 0x02  # version byte
    with pytest.raises(ChecksumError) as e2:
        UgFile.parse(bytes(head))
    assert e2.value.path == "header_sum" and e2.value.offset == 0x18


def test_payload_flip_inside_ug_names_crc32_with_ug_offset() -> None:
    data = bytearray(_ug())
    # +1 / -1 on two payload bytes: the UG byte sum still matches, the RBL CRC-32 does not
    i = next(j for j in range(300, 400) if data[j] < 0xFF and data[j + 1] > 0)
    data[i] += 1
    data[i + 1] -= 1
    ug = UgFile.parse(bytes(data))
    assert ug.sum_valid
    with pytest.raises(ChecksumError) as e:
        ug.rbl_file()
    assert e.value.path == "crc32" and e.value.offset == 32 + 0x4C
    assert [p.offset for p in ug.verify()][0] == 32 + 0x4C


def test_truncated_and_bad_magic() -> None:
    data = _ug()
    with pytest.raises(TruncatedError) as e:
        UgFile.parse(data[:-10])
    assert e.value.offset == len(data) - 10 and e.value.path == "rbl"
    with pytest.raises(TruncatedError):
        UgFile.parse(data[:20])
    with pytest.raises(MagicError) as m:
        UgFile.parse(b"\0" + data[1:])
    assert m.value.offset == 0
    with pytest.raises(MagicError) as m2:
        UgFile.parse(data[:0x1C] + b"\0\0\0\0" + data[0x20:])
    assert m2.value.offset == 0x1C and m2.value.path == "magic_end"


def test_trailing_bytes_are_kept_and_reported() -> None:
    data = _ug() + b"\xff" * 5
    ug = UgFile.parse(data)
    assert ug.trailing == b"\xff" * 5 and ug.build() == data
    assert any(p.offset == len(data) - 5 for p in ug.verify())


def test_wrap_errors() -> None:
    rbl = fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl").read_bytes()
    with pytest.raises(BuildError):
        wrap(rbl, "1234567890123")
    with pytest.raises(BuildError):
        wrap(b"not an rbl", "1.0")
    assert RblFile.parse(UgFile.wrap(rbl, "123456789012").rbl).build() == rbl
