"""One test per crash that fuzzing and the property tests found (tests/fuzz/README.md lists them), on a
minimal input rebuilt here (no fuzzer output or real data in the repository)."""

from __future__ import annotations

import base64
import struct
import tracemalloc

import pytest

import obkimg
from obkimg.codecs.checksums import crc32
from obkimg.errors import BuildError, ObkImgError, TruncatedError
from obkimg.formats.bk7231 import rbl
from obkimg.formats.bl602 import flash as bf
from obkimg.formats.bl602 import ota as bo
from obkimg.formats.bl602 import partitions as bp
from obkimg.formats.config import tuya_kv as kv
from tests.hardening._cli import MEMORY_LIMIT, run_process


def test_compiled_construct_short_read_is_truncated_error() -> None:
    """#1: struct.error escaped from compiled schemas (tuya_kv)."""
    for data in (b"", b"\x01\x02", b"\x01\x02\x03"):
        with pytest.raises(TruncatedError):
            kv.KeyBlock.parse(data)
    with pytest.raises(ObkImgError):
        kv.KeyBlock.parse(bytes(23))
    with pytest.raises(BuildError):
        kv.IndexEntry(0, 0, 0x10000, 1, 0, b"name\0", ()).build()


#: #2 (fuzz_bk7231_rbl): 148 bytes whose last 102 are an RBL trailer with size_package = 0x5B007373...
RBL_TRAILER_BOMB = base64.b64decode(
    "ErYbc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3M/NUEABwAAAAAAAFJCTAAAAAAAAAAAAGFwcAAAAAAAAAAAAAAAAAAx"
    "LjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwLjAwMDAwMDAwMAAAAAAAAAAAADEuMAAAAAAAAAAAAAAAAAAAAAAAAARzc3Nzc3MAWw=="
)


def test_rbl_trailer_with_huge_size_package_is_cheap() -> None:
    """#2: the PKCS-style padding up to a garbage size_package was materialised (up to 4 GiB)."""
    p = rbl.RblPartition.parse(RBL_TRAILER_BOMB, strict=False)
    assert p.header.size_package - p.header.size_raw > 1 << 20
    image = bytes(range(200))
    part = rbl.RblPartition.pack(image, size=0x400)
    crafted = part.body + part.header.replace(size_package=0xFFFFFFF0).build_framed()
    q = rbl.RblPartition.parse(crafted, strict=False)
    tracemalloc.start()
    try:
        p.image_errors()
        assert [e.path for e in q.image_errors()] == ["crc32"]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_rbl_trailer_bomb_through_the_cli_with_bounded_memory(tmp_path: pytest.TempPathFactory) -> None:
    f = tmp_path / "t.bin"  # type: ignore[operator]
    f.write_bytes(RBL_TRAILER_BOMB)
    r = run_process("info", str(f), preamble=MEMORY_LIMIT, timeout=60)
    assert r.code in (0, 1), r.err


def _table_bytes(name: bytes) -> bytes:
    head = b"BFPT" + struct.pack("<HHI", 0, 1, 0)
    head += struct.pack("<I", crc32(head))
    entry = struct.pack("<BBB9s2I2III", 0, 0, 0, name, 0x10000, 0x20000, 0x1000, 0x1000, 0, 0)
    return head + entry + struct.pack("<I", crc32(entry))


def test_partition_name_with_high_bytes_rebuilds() -> None:
    """#5: names are read as latin-1 but were written as ASCII (UnicodeEncodeError in build/extract)."""
    raw = _table_bytes(b"\xf7\x80ab\0\0\0\0\0")
    t = bp.PartitionTable.parse(raw)
    assert t.build() == raw
    dump = bytearray(b"\xff" * 0x11000)
    dump[0xE000 : 0xE000 + len(raw)] = raw
    dump[0xF000 : 0xF000 + len(raw)] = raw
    d = bf.FlashDump.parse(bytes(dump))
    assert any(a.name == "partition.bin" and a.data == raw for a in d.artifacts())
    with pytest.raises(BuildError):
        bp.Partition("\u20ac", 0, (0, 0), (0, 0)).name_bytes()


@pytest.mark.parametrize(
    "hw", [b"BFL_Mo__________", b"caf\xe9\0\0\0\0\0\0\0\0\0\0\0\0", b"v1\0garbage\0\0\0\0\0\0"]
)
def test_ota_header_versions_rebuild_exactly(hw: bytes) -> None:
    """#6: a 16-character (or non-ASCII) version parsed, but build() refused or altered it."""
    h = bo.OtaHeader.for_payload(b"payload")
    raw = bytearray(h.build())
    off = bytes(raw).index(bo.DEFAULT_HW_VERSION.encode())
    raw[off : off + 16] = hw
    back = bo.OtaHeader.parse(bytes(raw))
    assert back.build() == bytes(raw)


def test_every_regression_input_opens_cleanly() -> None:
    for data in (RBL_TRAILER_BOMB, _table_bytes(b"\x80" * 9)):
        try:
            img = obkimg.open(data)
        except ObkImgError:
            continue
        img.to_dict()
