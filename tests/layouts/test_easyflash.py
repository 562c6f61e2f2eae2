"""Schema-level tests of EasyFlash v4: sector header and ENV entry, every write granularity."""

from __future__ import annotations

import zlib

import construct as c
import pytest

from obkimg.formats.config import easyflash as ef
from obkimg.formats.config.easyflash import EnvStatus, SectorDirty, SectorStore
from tests.conftest import fixture_path
from tests.layouts._common import common

EF_FIXTURE = "obk_cfg_v5_bl602_easyflash_gran8.bin"


def _area() -> bytes:
    return fixture_path("obk", EF_FIXTURE).read_bytes()


def test_vector_sector_headers() -> None:
    data = _area()
    for off in (0, 0x1000):
        hdr = common(ef.sector_schema(8), data[off : off + 20], size=20)
        assert hdr.store == SectorStore.SECTOR_STORE_USING and hdr.dirty == SectorDirty.SECTOR_DIRTY_FALSE
        assert hdr.magic == b"EF40"


def test_vector_entries() -> None:
    data = _area()
    area = ef.EfArea.parse(data)
    seen = []
    for e in area.entries:
        raw = data[e.offset : e.offset + e.length]
        parsed = common(ef.env_schema(8), raw, size=-1, strict=True)
        assert parsed.len == e.length == len(raw)
        assert parsed.crc32 == zlib.crc32(raw[20:])  # from name_len to the end of the entry
        body = parsed.body.value
        seen.append((parsed.status, body.name, len(body.value)))
    assert seen == [
        (EnvStatus.ENV_DELETED, b"mY0bcFg", 3584),
        (EnvStatus.ENV_WRITE, b"nv_version", 4),
        (EnvStatus.ENV_WRITE, b"mY0bcFg", 3584),
    ]


@pytest.mark.parametrize("gran, size, magic_at", [(1, 16, 4), (8, 20, 8), (32, 36, 24)])
def test_generated_sector_header(gran: int, size: int, magic_at: int) -> None:
    schema = ef.sector_schema(gran)
    data = schema.build({"store": SectorStore.SECTOR_STORE_FULL, "dirty": SectorDirty.SECTOR_DIRTY_GC})
    assert data[magic_at : magic_at + 4] == b"EF40" and data[magic_at + 4 :] == b"\xff" * 8
    parsed = common(schema, data, size=size)
    assert parsed.store == SectorStore.SECTOR_STORE_FULL and parsed.dirty == SectorDirty.SECTOR_DIRTY_GC
    assert ef.sector_granularity(data + b"\xff" * 64) == (gran, True)
    variant = ef.sector_schema(gran, b"EF41")
    common(variant, variant.build({"store": 1, "dirty": 1}), size=size)


@pytest.mark.parametrize("gran, kv, header", [(1, True, 24), (8, True, 28), (32, True, 40), (32, False, 36)])
@pytest.mark.parametrize("name, value", [(b"mY0bcFg", bytes(range(256)) * 3), (b"nv", b"0.01x")])
def test_generated_entry(gran: int, kv: bool, header: int, name: bytes, value: bytes) -> None:
    schema = ef.env_schema(gran, kv)
    data = schema.build({"status": EnvStatus.ENV_WRITE, "body": {"value": {"name": name, "value": value}}})
    g = max(1, gran // 8)
    assert len(data) == header + -(-len(name) // g) * g + -(-len(value) // g) * g
    parsed = common(schema, data, size=-1, strict=True)
    assert parsed.status == EnvStatus.ENV_WRITE and parsed.len == len(data)
    assert parsed.body.value.name == name and parsed.body.value.value == value
    assert (b"KV40" in data[:header]) == kv


@pytest.mark.parametrize("gran", [1, 8, 32])
def test_status_tables(gran: int) -> None:
    schema = ef.env_schema(gran)
    for status in EnvStatus:
        data = schema.build({"status": status, "body": {"value": {"name": b"k", "value": b"v"}}})
        assert common(schema, data).status is status
    if gran == 1:
        assert (
            schema.build({"status": EnvStatus.ENV_DELETED, "body": {"value": {"name": b"k", "value": b""}}})[
                0
            ]
            == 0x0F
        )


def test_crc32_is_checked_only_when_strict() -> None:
    schema = ef.env_schema(8)
    data = bytearray(schema.build({"status": 2, "body": {"value": {"name": b"key", "value": b"value"}}}))
    data[-1] ^= 1
    with pytest.raises(c.CheckError):
        schema.parse(bytes(data))
    parsed = schema.parse(bytes(data), strict=False)
    assert parsed.crc32 != zlib.crc32(parsed.body.data)
    # a non-KV40 magic is not an entry
    data[8:12] = b"KV41"
    with pytest.raises(c.ConstError):
        schema.parse(bytes(data), strict=False)
