"""RblHeader: parse/build of every fixture header, in-flash framed trailers, error offsets, builders."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

from obkimg.codecs import crcframe
from obkimg.codecs.checksums import crc32
from obkimg.errors import BuildError, ChecksumError, MagicError, ObkImgError, TruncatedError
from obkimg.formats.bk7231.rbl import (
    RBL_FRAMED_SIZE,
    RBL_HEADER_SIZE,
    RblHeader,
    algo_value,
)
from tests.conftest import fixture_path, real_files, real_path

RBL_FIXTURES = [
    "lt_ota_gzip.rbl",
    "lt_ota_gzip_aes.rbl",
    "lt_ota_none.rbl",
    "rtota_app_raw_gzip_aes.rbl",
    "rtota_app_raw_none.rbl",
]


@pytest.mark.parametrize("name", RBL_FIXTURES)
def test_fixture_headers_roundtrip(name: str) -> None:
    data = fixture_path("bk7231", name).read_bytes()
    h = RblHeader.parse(data)
    assert h.raw == data[:RBL_HEADER_SIZE]
    assert h.build() == data[:RBL_HEADER_SIZE]
    assert h.header_valid
    assert (h.name, h.version, h.sn) == ("app", "1.0.0-test", "0" * 23)
    assert h.size_raw == 40001 and h.hash == 0x39871E1A
    expected = {
        "lt_ota_gzip.rbl": ("gzip", "none"),
        "lt_ota_gzip_aes.rbl": ("gzip", "aes256"),
        "lt_ota_none.rbl": ("none", "none"),
        "rtota_app_raw_gzip_aes.rbl": ("gzip", "aes256"),
        "rtota_app_raw_none.rbl": ("none", "none"),
    }[name]
    assert (h.compression, h.encryption) == expected
    assert h.algo == algo_value(*expected)


def test_real_ug_headers_keep_garbage_after_nul() -> None:
    files = real_files("*.ug.bin")
    if not files:
        pytest.skip("no real UG files")
    garbage = 0
    for f in files:
        data = f.read_bytes()[32:]
        h = RblHeader.parse(data)
        assert h.build() == data[:RBL_HEADER_SIZE], f.name
        assert h.name == "app"
        # the version compares up to the first NUL only, whatever follows it
        assert "\0" not in h.version and len(h.version) < 24
        raw_version = data[0x1C:0x34]
        if raw_version.rstrip(b"\0") != h.version.encode():
            garbage += 1
            # dropping raw re-pads with NULs: same fields, different bytes, still valid
            fresh = h.replace()
            assert fresh.version == h.version and fresh.header_valid
            assert fresh.build() != data[:RBL_HEADER_SIZE]
    assert garbage >= 2  # OBK 1.17.697 / 1.18.130 carry stack garbage


def test_parse_errors_and_offsets() -> None:
    data = fixture_path("bk7231", "lt_ota_gzip_aes.rbl").read_bytes()
    with pytest.raises(MagicError) as e:
        RblHeader.parse(b"XBL\0" + data[4:], base=0x40)
    assert e.value.offset == 0x40 and e.value.path == "magic"
    with pytest.raises(TruncatedError) as t:
        RblHeader.parse(data[:50], base=0x40)
    assert t.value.offset == 0x40 + 50
    with pytest.raises(TruncatedError):
        RblHeader.parse(b"RB")
    for pos in (0x04, 0x10, 0x20, 0x4C, 0x58, 0x5C):
        bad = bytearray(data[:96])
        bad[pos] ^= 0x01
        with pytest.raises(ChecksumError) as c:
            RblHeader.parse(bytes(bad), base=0x20)
        assert c.value.path == "info_crc32" and c.value.offset == 0x20 + 0x5C
        assert not RblHeader.parse(bytes(bad), strict=False).header_valid


def test_build_recomputes_info_crc_and_replace() -> None:
    data = fixture_path("bk7231", "lt_ota_gzip_aes.rbl").read_bytes()
    h = RblHeader.parse(data)
    h2 = h.replace(version="2.0", timestamp=5)
    assert h2.raw is None and h2.header_valid
    out = h2.build()
    assert out[0x1C:0x34] == b"2.0".ljust(24, b"\0")
    assert int.from_bytes(out[0x5C:], "little") == crc32(out[:0x5C])
    back = RblHeader.parse(out)
    assert back == h2
    # a stale info_crc32 set through dataclasses.replace is fixed by build(), kept with keep_info_crc
    stale = dataclasses.replace(h, info_crc32=0)
    assert stale.build() == data[:96]
    assert stale.build(keep_info_crc=True)[0x5C:] == bytes(4)
    with pytest.raises(BuildError):
        h.replace(name="x" * 17).build()
    with pytest.raises(BuildError):
        algo_value("lzma", "none")


def test_for_payload_matches_fixture_fields() -> None:
    data = fixture_path("bk7231", "rtota_app_raw_none.rbl").read_bytes()
    app = fixture_path("bk7231", "app_raw.bin").read_bytes()
    h = RblHeader.parse(data)
    built = RblHeader.for_payload(data[96:], name="app", version="1.0.0-test", app=app, timestamp=h.timestamp)
    assert built.build() == data[:96]


def test_framed_trailer_of_lt_container() -> None:
    data = fixture_path("bk7231", "lt_app_container_0xC000.bin").read_bytes()
    off = len(data) - RBL_FRAMED_SIZE
    h = RblHeader.parse_framed(data[off:], base=off)
    assert (h.name, h.version, h.size_raw, h.size_package) == ("app", "1.0.0-test", 40048, 40064)
    assert h.timestamp == 1700000000
    assert h.build_framed() == data[off:]


@pytest.mark.parametrize(
    "name,app_off", [("OpenBK7231N_QIO_1.18.300.bin", 0x129F0A), ("OpenBK7231T_QIO_1.18.300.bin", 0xFFF9A)]
)
def test_framed_trailers_of_real_qio(name: str, app_off: int) -> None:
    family = "bk7231n" if "7231N" in name else "bk7231t"
    data = real_path(family, name).read_bytes()
    boot = RblHeader.parse_framed(data[0x10F9A:], base=0x10F9A)
    app = RblHeader.parse_framed(data[app_off:], base=app_off)
    assert app_off == len(data) - RBL_FRAMED_SIZE
    assert boot.name == "bootloader" and app.name == "app" and app.version == "1.00"
    assert boot.build_framed() == data[0x10F9A : 0x10F9A + 102]
    assert app.build_framed() == data[app_off:]
    # bad framing CRC: physical offset of the bad block; bad header CRC: physical offset of info_crc32
    bad = bytearray(data[app_off:])
    bad[40] ^= 0x10  # inside block 1 (bytes 34..67)
    with pytest.raises(ChecksumError) as e:
        RblHeader.parse_framed(bytes(bad), base=app_off)
    assert e.value.offset == app_off + 34
    plain = bytearray(crcframe.unframe(data[app_off:]))
    plain[0x30] ^= 1
    with pytest.raises(ChecksumError) as e2:
        RblHeader.parse_framed(crcframe.frame(bytes(plain)), base=app_off)
    assert e2.value.path == "info_crc32" and e2.value.offset == app_off + 0x5C + 4
    with pytest.raises(MagicError) as e3:
        RblHeader.parse_framed(data[app_off + 1 :], base=app_off + 1)
    assert e3.value.offset == app_off + 1
    with pytest.raises(TruncatedError):
        RblHeader.parse_framed(data[app_off : app_off + 100], base=app_off)


def test_for_flash_image_reproduces_bootloader_trailer_fields() -> None:
    qio = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()
    boot = fixture_path("bk7231n", "bk7231n_bootloader_enc.bin").read_bytes()
    stored = RblHeader.parse_framed(qio[0x10F9A:], base=0x10F9A)
    built = RblHeader.for_flash_image(boot, name="bootloader", version="1.00", timestamp=stored.timestamp)
    same = ("algo", "timestamp", "name", "version", "sn", "crc32", "hash", "size_raw", "size_package")
    assert all(getattr(built, k) == getattr(stored, k) for k in same)
    # the vendor garbage after "bootloader\0"/"1.00\0" is the only difference
    assert built.build() != stored.raw
    kept = dataclasses.replace(built, raw=stored.raw)
    assert kept.build() == stored.raw


def test_arbitrary_bytes_raise_only_obkimg_errors() -> None:
    import random

    rng = random.Random(7)
    base = fixture_path("bk7231", "lt_ota_gzip.rbl").read_bytes()[:102]
    for _ in range(300):
        data = bytearray(base[: rng.randrange(0, 103)])
        for _ in range(rng.randrange(0, 4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        for parse in (RblHeader.parse, RblHeader.parse_framed):
            with contextlib.suppress(ObkImgError):
                parse(bytes(data))
