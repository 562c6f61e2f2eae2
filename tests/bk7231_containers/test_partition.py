"""In-flash RBL containers: ltchiptool's package output and the partitions of the real OBK QIO files."""

from __future__ import annotations

import pytest

from obkimg.codecs import bkcipher
from obkimg.containers import key_class
from obkimg.errors import ChecksumError, TruncatedError
from obkimg.formats.bk7231.rbl import RBL_FRAMED_SIZE, RblPartition
from tests.conftest import fixture_path, real_path


def test_lt_container() -> None:
    data = fixture_path("bk7231", "lt_app_container_0xC000.bin").read_bytes()
    p = RblPartition.parse(data)
    assert p.build() == data
    assert len(data) == 0xC000 * 34 // 32  # container_size is logical; the file is physical
    assert p.trailer_offset == len(data) - RBL_FRAMED_SIZE
    assert p.image_errors() == []
    assert key_class(p.image) == "tuya"
    # the image is the app encrypted at 0x10000 with the default key (ltchiptool pads it with 0xFF)
    app = fixture_path("bk7231", "app_raw.bin").read_bytes()
    plain = bkcipher.crypt(p.image, bkcipher.KEY_TUYA, 0x10000)
    assert plain[: len(app)] == app


def test_lt_container_corruptions() -> None:
    data = bytearray(fixture_path("bk7231", "lt_app_container_0xC000.bin").read_bytes())
    bad = bytearray(data)
    bad[34 * 10 + 5] ^= 1
    with pytest.raises(ChecksumError) as e:
        RblPartition.parse(bytes(bad), base=0x11000)
    assert e.value.offset == 0x11000 + 340
    # same byte flipped with a re-computed block CRC: the trailer's image CRC-32 catches it
    from obkimg.codecs import crcframe

    block = bytes(bad[340 : 340 + 32])
    bad[340:374] = crcframe.frame(block)
    with pytest.raises(ChecksumError) as e2:
        RblPartition.parse(bytes(bad))
    t = len(data) - RBL_FRAMED_SIZE
    assert e2.value.path == "crc32" and e2.value.offset == t + 0x4C + 4
    with pytest.raises(TruncatedError):
        RblPartition.parse(bytes(data[:100]))


@pytest.mark.parametrize(
    "family,name", [("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), ("bk7231t", "OpenBK7231T_QIO_1.18.300.bin")]
)
def test_real_qio_partitions_rebuild(family: str, name: str) -> None:
    qio = real_path(family, name).read_bytes()
    boot = RblPartition.parse(qio[:0x11000])
    app = RblPartition.parse(qio[0x11000:], base=0x11000)
    assert boot.header.name == "bootloader" and app.header.name == "app"
    assert boot.build() == qio[:0x11000] and app.build() == qio[0x11000:]
    assert key_class(app.image) == "tuya"
    # beken_packager layout from the parts (the header is passed to keep its version garbage)
    again = RblPartition.pack(app.image, size=len(qio) - 0x11000, header=app.header)
    assert again.build() == qio[0x11000:]
    fresh = RblPartition.pack(app.image, size=len(qio) - 0x11000, timestamp=app.header.timestamp)
    assert fresh.header.crc32 == app.header.crc32 and fresh.header.hash == app.header.hash
    assert fresh.header.size_package == app.header.size_package
