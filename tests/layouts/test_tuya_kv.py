"""Schema-level tests of the Tuya KV layouts (obkimg.formats.config.tuya_kv), construct ``common()`` style.

Every schema is parsed, built back to the same bytes and sized on the synthetic shared vector (all bytes
synthetic: ../shared/fixtures/tuya/README.md) and on a value generated here with a fake device key. The
real dumps are only round-tripped with hashes compared, so a failure can never show a key or a value.
"""

from __future__ import annotations

import hashlib

import construct as c
import pytest

from obkimg.codecs.checksums import sum32
from obkimg.formats.config import tuya_kv as kv
from obkimg.source import load
from tests.conftest import fixture_path, real_path
from tests.layouts._common import common

FAKE_KEY = b"FakeDeviceKey-07"
FAKE_DATA_KEY = kv.derive_data_key(FAKE_KEY, b"8710_2M")
#: the device key of the synthetic fixture (its README publishes it)
SYNTH_KEY = b"SynthDevKey-0001"
FF = b"\xff"


def _region() -> bytes:
    return fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin").read_bytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------------
# generated values


def _key_block_value(key: bytes = FAKE_KEY) -> dict[str, object]:
    return {
        "magic": kv.KEY_MAGIC,
        "checksum": sum32(key),
        "device_key": key,
        "fill": FF * (kv.SECTOR_SIZE - 24),
        "checksum_ok": True,
    }


def _body(block_id: int = 5, generation: int = 9) -> dict[str, object]:
    pages = [bytes([p]) * kv.PAGE_SIZE for p in range(1, kv.PAGES)]
    return {
        "block_id": block_id,
        "generation": generation,
        "map_size": 4,
        "bitmap": b"\x02\x00\x00\x00",
        "header_fill": FF * (kv.PAGE_SIZE - kv.PAGE0_HEAD - 4),
        "pages": pages,
    }


def _data_block_value() -> dict[str, object]:
    body = _body()
    data = kv.DATA_BODY.build(body)
    return {
        "magic": "DATA_MAGIC",
        "checksum": sum32(data),
        "body": {"data": data, "value": body, "offset1": 8, "offset2": kv.SECTOR_SIZE, "length": len(data)},
        "checksum_ok": True,
    }


def _index_value() -> dict[str, object]:
    name = b"gw_fake\x00"
    parts = [
        {"block_id": 5, "first_page": 2, "last_page": 3},
        {"block_id": 6, "first_page": 1, "last_page": 1},
    ]
    used = 18 + len(name) + 4 * len(parts)
    return {
        "checksum": 0x1234,
        "length": 300,
        "block_id": 5,
        "page_id": 1,
        "part_count": 2,
        "element": 0x410031,
        "name_len": len(name),
        "name": name,
        "header_end": 18 + len(name),
        "part_records": 2,
        "parts": parts,
        "fill": FF * (kv.PAGE_SIZE - used),
    }


def _records() -> tuple[list[dict[str, object]], int]:
    recs = [{"length": 7, "name": "gw_bi", "value": b'{"a":1}'}, {"length": 2, "name": "x", "value": b"{}"}]
    return recs, sum(kv.RECORD_HEAD + len(r["value"]) for r in recs)  # type: ignore[arg-type]


def test_offsets_come_from_the_schemas() -> None:
    assert kv.offset_of(kv.KEY_BLOCK, "device_key") == 8
    assert kv.offset_of(kv.DATA_BLOCK, "body") + kv.offset_of(kv.DATA_BODY, "bitmap") == kv.PAGE0_HEAD
    assert kv.offset_of(kv.INDEX_PAGE.subcon.subcon, "name") == 18
    assert kv.RECORD_HEAD == 36 and kv.PART.sizeof() == 4
    with pytest.raises(KeyError):
        kv.offset_of(kv.PART, "nope")


def test_key_block_generated() -> None:
    value = _key_block_value()
    data = kv.KEY_BLOCK.build(value)
    assert data[:4] == (0x13579753).to_bytes(4, "little") and data[8:24] == FAKE_KEY
    common(kv.KEY_BLOCK, data, value, size=kv.SECTOR_SIZE)
    sector = kv.KEY_SECTOR.build(value, key=kv.MASTER_KEY)
    assert sector[0x20:0x30] == kv.SEARCH_MAGIC  # the encrypted 0xFF fill the byte search looks for
    common(kv.KEY_SECTOR, sector, value, size=kv.SECTOR_SIZE, key=kv.MASTER_KEY)
    with pytest.raises(c.ConstError):  # a wrong key surfaces on the magic (S5)
        kv.KEY_SECTOR.parse(sector, key=bytes(16))


def test_key_block_checksum_is_strict_only() -> None:
    bad = bytearray(kv.KEY_BLOCK.build(_key_block_value()))
    bad[8] ^= 1
    with pytest.raises(c.CheckError):
        kv.KEY_BLOCK.parse(bytes(bad))
    assert not kv.KEY_BLOCK.parse(bytes(bad), strict=False).checksum_ok
    assert kv.KEY_BLOCK.build(kv.KEY_BLOCK.parse(bytes(bad), strict=False)) != bytes(bad)  # rebuilt sum


def test_data_block_generated() -> None:
    value = _data_block_value()
    data = kv.DATA_BLOCK.build({"magic": "DATA_MAGIC", "body": {"value": _body()}})
    assert len(data) == kv.SECTOR_SIZE and sum32(data[8:]) == int.from_bytes(data[4:8], "little")
    common(kv.DATA_BLOCK, data, value, size=-1)
    common(kv.DATA_BODY, data[8:], _body(), size=-1)
    sector = kv.DATA_SECTOR.build(value, key=FAKE_DATA_KEY)
    common(kv.DATA_SECTOR, sector, value, size=kv.SECTOR_SIZE, key=FAKE_DATA_KEY)
    os3 = kv.DATA_BLOCK.parse(kv.DATA_BLOCK.build({**value, "magic": kv.DATA_MAGIC_OS3}))
    assert os3.magic == "DATA_MAGIC_OS3"


def test_data_block_checksum_is_strict_only() -> None:
    data = bytearray(kv.DATA_BLOCK.build(_data_block_value()))
    data[200] ^= 1
    with pytest.raises(c.CheckError):
        kv.DATA_BLOCK.parse(bytes(data))
    assert not kv.DATA_BLOCK.parse(bytes(data), strict=False).checksum_ok


def test_index_page_and_part_generated() -> None:
    value = _index_value()
    data = kv.INDEX_PAGE.build(value)
    common(kv.INDEX_PAGE, data, value, size=kv.PAGE_SIZE)
    common(kv.PART, b"\x05\x00\x02\x03", {"block_id": 5, "first_page": 2, "last_page": 3}, size=4)


def test_index_page_byte_count_form_and_limits() -> None:
    name = b"n" * 90 + b"\x00"  # 18 + 91 + 4 * 4 > 128, but 16 bytes fit: the GUI's byte-count form
    value = {
        **_index_value(),
        "name": name,
        "part_count": 16,
        "parts": [{"block_id": 1, "first_page": 1, "last_page": 1}] * 4,
    }
    value.update(
        name_len=len(name), header_end=18 + len(name), part_records=4, fill=FF * (128 - 18 - 91 - 16)
    )
    common(kv.INDEX_PAGE, kv.INDEX_PAGE.build(value), value, size=kv.PAGE_SIZE)
    with pytest.raises(c.ExplicitError, match="does not fit 128 bytes"):
        kv.INDEX_PAGE.parse(bytes(11) + b"\xff\x00" + bytes(4) + b"\x05" + FF * 110)
    with pytest.raises(c.ExplicitError, match="empty name"):
        kv.INDEX_PAGE.parse(bytes(11) + b"\x01\x00" + bytes(5) + FF * 110)


def test_protected_block_generated() -> None:
    recs, size = _records()
    inner_value = {"records": recs, "tail": FF * (kv.SECTOR_SIZE - 32 - size)}
    inner = kv.PROTECTED_DATA.build(inner_value, key=FAKE_DATA_KEY, data_length=size)
    common(
        kv.PROTECTED_DATA, inner, inner_value, size=kv.SECTOR_SIZE - 32, key=FAKE_DATA_KEY, data_length=size
    )
    common(kv.PROTECTED_RECORD, kv.PROTECTED_RECORD.build(recs[0]), recs[0], size=-1)
    body = {"device_key": FAKE_KEY, "data_length": size, "reserved": 0xFFFFFFFF, "inner": inner}
    raw = kv.PROTECTED_BODY.build(body)
    value = {
        "magic": kv.KEY_MAGIC,
        "checksum": sum32(raw),
        "body": {"data": raw, "value": body, "offset1": 8, "offset2": kv.SECTOR_SIZE, "length": len(raw)},
        "checksum_ok": True,
    }
    data = kv.PROTECTED_BLOCK.build({"body": {"value": body}})
    common(kv.PROTECTED_BLOCK, data, value, size=kv.SECTOR_SIZE)
    sector = kv.PROTECTED_SECTOR.build(value, key=kv.MASTER_KEY)
    common(kv.PROTECTED_SECTOR, sector, value, size=kv.SECTOR_SIZE, key=kv.MASTER_KEY)
    with pytest.raises(c.StreamError):  # a record running past data_length
        kv.PROTECTED_DATA.parse(inner, key=FAKE_DATA_KEY, data_length=size - 1)


# --------------------------------------------------------------------------------------------------
# the synthetic shared vector (bytes 0x1ED000..0x1FFFFF of a 2 MiB BK7231N image)


def test_vector_key_block() -> None:
    region = _region()
    sector = region[0x1000:0x2000]
    parsed = common(kv.KEY_SECTOR, sector, size=kv.SECTOR_SIZE, key=kv.MASTER_KEY)
    assert parsed.device_key == SYNTH_KEY and parsed.checksum_ok
    plain = kv.decrypt(kv.MASTER_KEY, sector)
    assert common(kv.KEY_BLOCK, plain, size=kv.SECTOR_SIZE).fill == FF * (kv.SECTOR_SIZE - 24)


def test_vector_data_block_index_and_parts() -> None:
    region = _region()
    dkey = kv.derive_data_key(SYNTH_KEY, b"8710_2M")
    blk = common(kv.DATA_SECTOR, region[0x2000:0x3000], size=kv.SECTOR_SIZE, key=dkey)
    assert (blk.magic, blk.body.value.block_id, blk.body.value.generation) == ("DATA_MAGIC", 0, 7)
    plain = kv.decrypt(dkey, region[0x2000:0x3000])
    common(kv.DATA_BLOCK, plain, size=-1)
    names = []
    for p in (1, 2, 3):  # README: gw_bi 0/1, gw_wsm 0/2, gw_di 0/3
        page = common(kv.INDEX_PAGE, plain[p * 128 : (p + 1) * 128], size=kv.PAGE_SIZE)
        assert (page.block_id, page.page_id, page.part_records) == (0, p, 1)
        names.append(page.name.rstrip(b"\x00"))
        common(kv.PART, kv.PART.build(page.parts[0]), page.parts[0], size=4)
    assert names == [b"gw_bi", b"gw_wsm", b"gw_di"]
    two = kv.decrypt(dkey, region[0x3000:0x4000])[2 * 128 : 3 * 128]  # gw_ai 1/2: two parts
    assert [(p.block_id, p.first_page, p.last_page) for p in kv.INDEX_PAGE.parse(two).parts] == [
        (1, 4, 5),
        (2, 1, 2),
    ]


def test_vector_protected_block() -> None:
    region = _region()
    pb = common(kv.PROTECTED_SECTOR, region[:0x1000], size=kv.SECTOR_SIZE, key=kv.MASTER_KEY)
    body = pb.body.value
    assert pb.checksum_ok and body.device_key == SYNTH_KEY and body.data_length == 508
    dkey = kv.derive_data_key(SYNTH_KEY, b"8710_2M")
    inner = common(
        kv.PROTECTED_DATA, body.inner, size=kv.SECTOR_SIZE - 32, key=dkey, data_length=body.data_length
    )
    assert [r.name for r in inner.records] == ["gw_bi", "gw_wsm"]
    first = kv.PROTECTED_RECORD.build(inner.records[0])
    common(kv.PROTECTED_RECORD, first, inner.records[0], size=-1)


# --------------------------------------------------------------------------------------------------
# a real dump: round trips compared by hash only (keys and values never reach an assertion message)


def test_real_dump_round_trips_by_hash() -> None:
    from obkimg.tuya_storage import locate

    data = load(real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")).data
    (loc, *_) = locate(data)
    key_sector = data[loc.key_offset : loc.key_offset + kv.SECTOR_SIZE]
    parsed = kv.KEY_SECTOR.parse(key_sector, key=kv.MASTER_KEY)
    assert _sha(kv.KEY_SECTOR.build(parsed, key=kv.MASTER_KEY)) == _sha(key_sector)
    dkey = loc.data_key
    assert dkey is not None
    pages = 0
    for off in loc.block_offsets:
        sector = data[off : off + kv.SECTOR_SIZE]
        blk = kv.DATA_SECTOR.parse(sector, key=dkey, strict=False)
        assert _sha(kv.DATA_SECTOR.build(blk, key=dkey)) == _sha(sector)
        bitmap = blk.body.value.bitmap
        for p in range(1, kv.PAGES):
            if bitmap[p >> 3] >> (p & 7) & 1:
                page = blk.body.value.pages[p - 1]
                assert _sha(kv.INDEX_PAGE.build(kv.INDEX_PAGE.parse(page))) == _sha(page)
                pages += 1
    assert len(loc.block_offsets) >= 14 and pages >= 5
    for off in loc.protected_offsets:
        sector = data[off : off + kv.SECTOR_SIZE]
        pb = kv.PROTECTED_SECTOR.parse(sector, key=kv.MASTER_KEY)
        assert _sha(kv.PROTECTED_SECTOR.build(pb, key=kv.MASTER_KEY)) == _sha(sector)
