"""RBL OTA files: parse, unpack, rebuild and pack every fixture byte for byte; corruptions and offsets."""

from __future__ import annotations

import gzip
import hashlib
import sys

import pytest

from obkimg.containers import app_chips, chip_evidence, looks_like_arm_app
from obkimg.errors import ChecksumError, DecryptError, FormatError, LimitError, MagicError, TruncatedError
from obkimg.formats.bk7231.rbl import (
    RblFile,
    RblHeader,
    gzip_member,
    pack,
    unpack,
)
from tests.conftest import fixture_path

APP_SHA256 = "539e902d74f6fdb9e9ccbf357d041560202cb37599c5902bb9e3ac3a7533441f"

# file -> (compression, encryption, style); ltchiptool never pads without AES, RT-Thread always does
FIXTURES = {
    "lt_ota_gzip.rbl": ("gzip", "none", "ltchiptool"),
    "lt_ota_gzip_aes.rbl": ("gzip", "aes256", "ltchiptool"),
    "lt_ota_none.rbl": ("none", "none", "ltchiptool"),
    "rtota_app_raw_gzip_aes.rbl": ("gzip", "aes256", "rtota"),
    "rtota_app_raw_none.rbl": ("none", "none", "rtota"),
}


def _app() -> bytes:
    return fixture_path("bk7231", "app_raw.bin").read_bytes()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_parse_unpack_rebuild(name: str) -> None:
    data = fixture_path("bk7231", name).read_bytes()
    f = RblFile.parse(data)
    assert f.build() == data
    assert f.crc_valid and not f.trailing
    app = f.unpack()
    assert hashlib.sha256(app).hexdigest() == APP_SHA256
    assert unpack(data) == app
    assert f.verify() == []
    assert looks_like_arm_app(app)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_pack_reproduces_fixture(name: str) -> None:
    data = fixture_path("bk7231", name).read_bytes()
    comp, enc, style = FIXTURES[name]
    ts = RblHeader.parse(data).timestamp
    out = pack(_app(), version="1.0.0-test", compression=comp, encryption=enc, timestamp=ts, style=style)
    assert out == data


def test_styles_differ_only_without_aes() -> None:
    app = _app()
    a = pack(app, version="v", encryption="none", compression="gzip", timestamp=1, style="rtota")
    b = pack(app, version="v", encryption="none", compression="gzip", timestamp=1, style="ltchiptool")
    assert len(a) % 16 == 96 % 16 and a[: len(b)] != b and len(a) > len(b)
    c = pack(app, version="v", timestamp=1, style="rtota")
    d = pack(app, version="v", timestamp=1, style="ltchiptool")
    assert c == d
    assert RblFile.parse(a).pkcs7_padded is True and RblFile.parse(b).pkcs7_padded is False


def test_gzip_member_is_python311_gzip() -> None:
    app = _app()
    member = gzip_member(app)
    assert member[:10] == bytes.fromhex("1f8b0800000000000203")
    assert gzip.decompress(member) == app
    if sys.version_info >= (3, 11):
        assert member == gzip.compress(app, 9, mtime=0)


def test_payload_bitflip_is_crc32_error() -> None:
    data = bytearray(fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl").read_bytes())
    data[200] ^= 0x40
    with pytest.raises(ChecksumError) as e:
        RblFile.parse(bytes(data), base=0x20)
    assert e.value.path == "crc32" and e.value.offset == 0x20 + 0x4C
    f = RblFile.parse(bytes(data), strict=False)
    with pytest.raises(ChecksumError) as e2:
        f.unpack()
    assert e2.value.path == "crc32"
    problems = f.verify()
    assert any(p.offset == 0x4C for p in problems)
    # unchecked, the corrupted AES block decrypts to garbage that gzip or the hash catches
    assert any(p.offset != 0x4C for p in problems)


def test_header_bitflip_offset() -> None:
    data = bytearray(fixture_path("bk7231", "lt_ota_gzip.rbl").read_bytes())
    data[0x1E] ^= 1
    with pytest.raises(ChecksumError) as e:
        RblFile.parse(bytes(data))
    assert e.value.path == "info_crc32" and e.value.offset == 0x5C


def test_truncated() -> None:
    data = fixture_path("bk7231", "lt_ota_gzip_aes.rbl").read_bytes()
    with pytest.raises(TruncatedError) as e:
        RblFile.parse(data[:-1], base=0x20)
    assert e.value.offset == 0x20 + len(data) - 1 and e.value.path == "payload"
    with pytest.raises(TruncatedError) as e2:
        RblFile.parse(data[:90])
    assert e2.value.offset == 90
    with pytest.raises(MagicError):
        RblFile.parse(b"\0" * 200)


def test_hash_and_size_mismatch_offsets() -> None:
    data = fixture_path("bk7231", "lt_ota_gzip.rbl").read_bytes()
    f = RblFile.parse(data)
    bad_hash = RblFile(f.header.replace(hash=f.header.hash ^ 1), f.payload)
    with pytest.raises(ChecksumError) as e:
        bad_hash.unpack()
    assert e.value.path == "hash" and e.value.offset == 0x50
    bad_size = RblFile(f.header.replace(size_raw=40000), f.payload, base=0x20)
    with pytest.raises(FormatError) as e2:
        bad_size.unpack()
    assert e2.value.path == "size_raw" and e2.value.offset == 0x20 + 0x54
    assert {p.offset for p in bad_size.verify()} == {0x20 + 0x54}  # the hash covers the real app


def test_wrong_key_and_bad_lengths() -> None:
    data = fixture_path("bk7231", "lt_ota_gzip_aes.rbl").read_bytes()
    f = RblFile.parse(data)
    with pytest.raises(DecryptError) as e:
        f.unpack(key="F" * 32)
    assert e.value.offset is not None and e.value.offset >= 96
    with pytest.raises(DecryptError):
        f.unpack(key="short")
    odd = RblFile(f.header.replace(size_package=len(f.payload) - 3), f.payload[:-3])
    with pytest.raises(DecryptError) as e2:
        odd.unpack(check=False)
    assert e2.value.offset == 96 + 512


def test_unsupported_compression_and_encryption_are_named() -> None:
    data = fixture_path("bk7231", "lt_ota_none.rbl").read_bytes()
    f = RblFile.parse(data)
    for algo, word in ((0x200, "quicklz"), (0x300, "fastlz"), (0x001, "xor")):
        g = RblFile(f.header.replace(algo=algo), f.payload)
        with pytest.raises(FormatError) as e:
            g.unpack(check=False)
        assert word in str(e.value) and e.value.path == "algo" and e.value.offset == 4


def test_decompression_is_bounded() -> None:
    bomb = b"\0" * (4 * 1024 * 1024)
    f = RblFile.pack(bomb, version="x", encryption="none", timestamp=0)
    with pytest.raises(LimitError):
        f.unpack(limit=1024 * 1024)
    g = RblFile(f.header.replace(size_raw=100), f.payload)
    with pytest.raises(LimitError):
        g.unpack(limit=1024 * 1024, check=False)
    assert len(f.unpack()) == len(bomb)


def test_pack_errors() -> None:
    from obkimg.errors import BuildError

    with pytest.raises(BuildError):
        pack(b"x", version="1", compression="quicklz")
    with pytest.raises(BuildError):
        pack(b"x", version="1", key="0123")
    with pytest.raises(BuildError):
        pack(b"x", version="1", style="other")
    with pytest.raises(BuildError):
        pack(b"x", version="v" * 25)


def test_chip_evidence() -> None:
    # "bk7231n" names the N platform: BK7231N, BK7231M or BL2028N (issue 10), so no single chip
    assert chip_evidence(b"\0FOR ty_iot_sdk AT bk7231n\0") == (None, "FOR ty_iot_sdk AT bk7231n")
    assert app_chips(b"\0FOR ty_iot_sdk AT bk7231n\0")[0] == ["BK7231N", "BK7231M", "BL2028N"]
    # LibreTiny's bk7231t family is BK7231T/S/U (its families.json): T or U, not one chip
    lt = b"xx LibreTiny v1.2.0 on generic-bk7231t-qfn32-tuya, z"
    assert chip_evidence(lt)[0] is None and app_chips(lt)[0] == ["BK7231T", "BK7231U"]
    # OpenBeken lists every platform in upper case: no chip
    assert chip_evidence(b"OpenBK7231T\0OpenBK7231N\0BK7231N") == (None, None)
    assert chip_evidence(b"bk7231n bk7231t") == (None, None)
