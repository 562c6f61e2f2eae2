"""Storages built with the library's own models: multi-part values, duplicates, broken indexes,
base-key variants, the 0x135726AB magic; value decoding (JSON, UPK pseudo-JSON, old nested UPK)."""

from __future__ import annotations

import json

import pytest

from obkimg.codecs.checksums import sum32
from obkimg.errors import BuildError, ChecksumError, FormatError, MagicError
from obkimg.formats.config import tuya_kv as kv
from obkimg.tuya import extract_keys, flatten_upk
from tests.tuya.helpers import DEVICE_KEY, block, index_page, storage, value_pages

BIG = json.dumps({"k": "x" * 600}).encode()  # 5 pages


def _three_block_storage() -> bytes:
    """`big` spans blocks 0, 1 and 2 (parts (0,20..21), (1,5..5), (2,2..3)); `small` is in block 1."""
    pages0 = {1: index_page("big", BIG, 0, 1, [(0, 20, 21), (1, 5, 5), (2, 2, 3)])}
    pages0.update({20: BIG[:128], 21: BIG[128:256]})
    pages1 = {1: index_page("small", b'{"a":1}', 1, 1, [(1, 2, 2)]), 2: b'{"a":1}', 5: BIG[256:384]}
    pages2 = {2: BIG[384:512], 3: BIG[512:]}
    return storage([block(0, 1, pages0, {1}), block(1, 1, pages1, {1}), block(2, 1, pages2, set())])


def test_value_spanning_three_blocks() -> None:
    keys = extract_keys(_three_block_storage())
    assert keys.storage.raw_values == {"big": BIG, "small": b'{"a":1}'}
    assert keys.values == {"big": {"k": "x" * 600}, "small": {"a": 1}}
    assert not [p for p in keys.problems if p.severity != "info"]


def test_empty_value_without_parts() -> None:
    """part_count 0 is an empty value (BK7231GUIFlashTool accepts it too)."""
    empty = kv.IndexEntry(0, 0, 0, 1, 0, b"none\x00", ()).build()
    keys = extract_keys(storage([block(0, 1, {1: empty}, {1})]))
    assert keys.storage.raw_values == {"none": b""} and keys.values == {"none": ""}
    assert keys.storage.entries[0].checksum_ok


def test_part_count_as_byte_count() -> None:
    """The GUI also accepts part_count as a byte count (multiple of 4) when the record count cannot fit."""
    name = b"n" * 99 + b"\x00"
    page = kv.IndexEntry(sum32(b"v"), 1, 0, 1, 0, name, (kv.Part(0, 2, 2),), part_count=4).build()
    assert page[11:13] == b"\x04\x00"
    idx = kv.IndexEntry.parse(page)
    assert idx.parts == (kv.Part(0, 2, 2),) and idx.part_count == 4 and idx.build() == page
    keys = extract_keys(storage([block(0, 1, {1: page, 2: b"v"}, {1})]))
    assert keys.storage.raw_values == {"n" * 99: b"v"}


def test_build_parse_round_trip_of_models() -> None:
    b = block(3, 9, {1: index_page("n", b"v", 3, 1, [(3, 2, 2)]), 2: b"v"}, {1})
    plain = b.build()
    assert len(plain) == kv.SECTOR_SIZE and sum32(plain[8:]) == int.from_bytes(plain[4:8], "little")
    again = kv.DataBlock.parse(plain, offset=0x5000)
    assert again.build() == plain and again.index_pages == [1]
    assert (again.block_id, again.generation) == (3, 9)
    idx = kv.IndexEntry.parse(again.page(1))
    assert (idx.name, idx.length, idx.parts) == ("n", 1, (kv.Part(3, 2, 2),)) and idx.build() == again.page(1)
    kb = kv.KeyBlock(0, DEVICE_KEY)
    assert kv.KeyBlock.decrypt(kb.encrypt()).device_key == DEVICE_KEY
    pb = kv.ProtectedBlock(0, DEVICE_KEY, 36 + 3, 0xFFFFFFFF, (kv.ProtectedRecord("abc", b"xyz"),))
    outer = kv.decrypt(kv.MASTER_KEY, pb.encrypt())
    back = kv.ProtectedBlock.parse(outer)
    assert back.records == pb.records and back.build() == outer


def test_model_errors_name_format_field_and_offset() -> None:
    plain = bytearray(block(0, 1, {}, set()).build())
    plain[100] ^= 1
    with pytest.raises(ChecksumError) as e:
        kv.DataBlock.parse(bytes(plain), offset=0x1EF000)
    assert (e.value.fmt, e.value.offset, e.value.path) == ("tuya-kv", 0x1EF004, "data_block.checksum")
    with pytest.raises(MagicError) as e2:
        kv.DataBlock.parse(b"\x00" * kv.SECTOR_SIZE, offset=0x1000)
    assert e2.value.offset == 0x1000
    with pytest.raises(FormatError):
        kv.IndexEntry.parse(b"\x00" * 11 + b"\xff\x00" + b"\x00" * 4 + b"\x05" + b"\xff" * 110, offset=0x80)
    with pytest.raises(ChecksumError):
        kv.KeyBlock.parse(kv.KeyBlock(0, DEVICE_KEY).build()[:8] + b"\x00" * 16 + b"\xff" * 4072)
    with pytest.raises(BuildError):
        kv.IndexEntry(0, 0, 0, 1, 0, b"n" * 100 + b"\x00", tuple(kv.Part(0, 1, 1) for _ in range(10))).build()
    with pytest.raises(FormatError):
        kv.derive_data_key(b"short", b"8710")


def test_duplicate_names_bad_checksum_and_id_mismatch_are_reported() -> None:
    good = b'"ok"'
    pages0 = {
        1: index_page("dup", good, 0, 1, [(0, 10, 10)]),
        10: good,
        # stored page_id 7 while the page is 2: flagged, value still read
        2: index_page("moved", good, 0, 7, [(0, 10, 10)]),
        # sum32 stored wrong: flagged, kept (not silently dropped)
        3: kv.IndexEntry(1234, len(good), 0, 3, 0, b"badsum\x00", (kv.Part(0, 10, 10),)).build(),
        # part in block 9, which does not exist: dropped with an error
        4: index_page("lost", good, 0, 4, [(9, 1, 1)]),
        # page range 0..0 is invalid
        5: index_page("range", good, 0, 5, [(0, 0, 0)]),
        # more bytes announced than the parts hold
        6: kv.IndexEntry(sum32(good), 500, 0, 6, 0, b"short\x00", (kv.Part(0, 10, 10),)).build(),
        # garbage index page
        7: b"\x00" * 11 + b"\xff\x7f" + b"\x00" * 115,
    }
    pages1 = {1: index_page("dup", b'"other"', 1, 1, [(1, 2, 2)]), 2: b'"other"'}
    keys = extract_keys(storage([block(0, 1, pages0, set(range(1, 8))), block(1, 1, pages1, {1})]))
    msgs = {p.message.split(":")[0]: p for p in keys.problems}
    assert keys.values["dup"] == "ok"
    assert "duplicate index for 'dup'" in " ".join(p.message for p in keys.problems)
    assert keys.values["moved"] == "ok" and any("stored block/page 0/7" in p.message for p in keys.problems)
    assert keys.values["badsum"] == "ok"
    assert not next(e for e in keys.storage.entries if e.name == "badsum").checksum_ok
    assert "value 'badsum'" in msgs and msgs["value 'badsum'"].severity == "error"
    for name in ("lost", "range", "short"):
        assert name not in keys.values
        assert msgs[f"value '{name}'"].severity == "error"
    assert msgs["block 0 page 7"].offset == 0x1000 + 7 * 128  # the key block comes first
    assert keys.summary()["errors"] >= 5


def test_swap_copy_with_higher_generation_wins_wherever_it_is() -> None:
    old = block(0, 4, {1: index_page("v", b"1", 0, 1, [(0, 2, 2)]), 2: b"1"}, {1})
    new = block(0, 5, {1: index_page("v", b"2", 0, 1, [(0, 3, 3)]), 3: b"2"}, {1})
    keys = extract_keys(storage([old, None, new]))
    assert keys.values == {"v": 2}
    assert [(b.generation, b.offset) for b in keys.storage.live] == [(5, 0x3000)]
    same = extract_keys(storage([old, old]))
    assert any("same generation" in p.message for p in same.problems)


@pytest.mark.parametrize("variant", [name for name, _ in kv.BASE_KEYS])
def test_every_base_key_variant_is_found(variant: str) -> None:
    blk = block(0, 1, {1: index_page("x", b"1", 0, 1, [(0, 2, 2)]), 2: b"1"}, {1})
    data = storage([blk], variant=variant)
    keys = extract_keys(data)
    assert keys.storage.location.key_variant == variant and keys.values == {"x": 1}


def test_tuyaos3_magic() -> None:
    b = block(0, 1, {1: index_page("x", b"[1]", 0, 1, [(0, 2, 2)]), 2: b"[1]"}, {1}, magic=kv.DATA_MAGIC_OS3)
    keys = extract_keys(storage([b]))
    assert keys.storage.location.data_magic == kv.DATA_MAGIC_OS3 and keys.values == {"x": [1]}


def test_protected_block_differences_and_extra_records() -> None:
    pages = {1: index_page("gw_bi", b'{"a":1}', 0, 1, [(0, 2, 2)]), 2: b'{"a":1}'}
    prot = kv.ProtectedBlock(
        0,
        DEVICE_KEY,
        2 * 36 + 7 + 7,
        0xFFFFFFFF,
        (kv.ProtectedRecord("gw_bi", b'{"a":2}'), kv.ProtectedRecord("gw_wsm", b'{"b":3}')),
    )
    keys = extract_keys(storage([block(0, 1, pages, {1})], protected=prot))
    assert keys.storage.location.protected_offsets == (0,)
    assert keys.values == {"gw_bi": {"a": 1}, "gw_wsm": {"b": 3}}  # KV preferred; missing taken
    text = " ".join(p.message for p in keys.problems)
    assert "differs from the KV value" in text and "lacks" in text


def test_empty_storage_and_unknown_variant_are_problems_not_errors() -> None:
    keys = extract_keys(kv.KeyBlock(0, DEVICE_KEY).encrypt() + b"\xff" * 0x3000)
    assert keys.values == {} and keys.storage.location.key_variant is None
    assert [p.severity for p in keys.problems if "no data block" in p.message] == ["error"]
    assert keys.summary()["key_count"] == 0


def test_decode_value() -> None:
    assert kv.decode_value("wf_start_md", b"3\x00") == (3, "json")
    assert kv.decode_value("em_sys_env", b"bk7231n" + b"\x00" * 13) == ("bk7231n", "text")
    assert kv.decode_value("x", b"\x00" * 8) == ("", "text")
    assert kv.decode_value("x", b"\x01\x02\x00\x00") == (b"\x01\x02", "bytes")
    assert kv.decode_value("x", b"\xff\xfe") == (b"\xff\xfe", "bytes")
    assert kv.decode_value("x", b"NaN") == ("NaN", "text")
    assert kv.decode_value("user_param_key", b"{jv:1.0.0,module:WB2S,rl1_pin:024,x:0,crc:9,}") == (
        {"jv": "1.0.0", "module": "WB2S", "rl1_pin": "024", "x": 0, "crc": 9},
        "upk",
    )
    assert kv.decode_value("user_param_key", b"{a:[1,2],b:{c:3,},}")[0] == {"a": [1, 2], "b": {"c": 3}}
    assert kv.decode_value("user_param_key", b"{{{")[1] == "text"
    deep = b"[" * 50000 + b"]" * 50000  # too deep for json: kept as text, no RecursionError
    assert kv.decode_value("user_param_key", deep)[1] == "text"
    assert kv.decode_value("user_param_key", b"{a:" * 20000)[1] == "text"


def test_parse_upk_errors_are_format_errors() -> None:
    with pytest.raises(FormatError):
        kv.parse_upk("[1,2]")
    with pytest.raises(FormatError):
        kv.parse_upk("{a:")


def test_old_nested_upk_is_flattened() -> None:
    old = {
        "sw": {
            "ch": [
                {
                    "bt": {"pin": {"value": 15}, "lv": {"value": False}},
                    "rl": {"pin": {"value": 0}, "lv": {"value": True}},
                },
                {
                    "bt": {"pin": {"value": 19}, "lv": {"value": False}},
                    "rl": {"pin": {"value": 14}, "lv": {"value": "true"}},
                },
            ],
            "net": {"wfst": {"pin": {"value": 23}, "lv": {"value": False}}},
            "dltj": {
                "epin": {"pin": {"value": 5}},
                "ivpin": {"pin": {"value": 12}},
                "ivcpin": {"pin": {"value": 15}, "lv": {"value": True}},
            },
        }
    }
    flat = flatten_upk(old)
    assert flat == {
        "bt1_lv": 0,
        "bt1_pin": 15,
        "bt2_lv": 0,
        "bt2_pin": 19,
        "ele_pin": 5,
        "netled_lv": 0,
        "netled_pin": 23,
        "rl1_lv": 1,
        "rl1_pin": 0,
        "rl2_lv": 1,
        "rl2_pin": 14,
        "sel_pin_lv": 1,
        "sel_pin_pin": 15,
        "vi_pin": 12,
    }
    assert flatten_upk({"rl1_pin": 6}) == {"rl1_pin": 6}
    # through the workflow: pins come from the flattened map, values keep the stored form
    value = json.dumps(old).encode()
    pages = {1: index_page("user_param_key", value, 0, 1, [(0, 2, 2 + (len(value) - 1) // 128)])}
    pages.update(value_pages(value, 2))
    keys = extract_keys(storage([block(0, 1, pages, {1})]))
    assert keys.values["user_param_key"] == old and keys.upk == flat
    roles = {(p["role"], p["gpio"], p["channel"]) for p in keys.pins}
    assert {
        ("relay", 0, 1),
        ("relay", 14, 2),
        ("button", 15, 1),
        ("wifi-led", 23, None),
        ("bl0937-cf", 5, None),
        ("bl0937-cf1", 12, None),
        ("bl0937-sel", 15, None),
    } <= roles


def test_wifi_plaintext_and_separate_keys() -> None:
    def one(name: str, value: bytes, bid: int) -> kv.DataBlock:
        return block(bid, 1, {1: index_page(name, value, bid, 1, [(bid, 2, 2)]), 2: value}, {1})

    plain = extract_keys(storage([one("gw_wsm", b'{"ssid":"Net","passwd":"pw12345","wfb64":0}', 0)]))
    assert (plain.wifi["ssid"], plain.wifi["password"], plain.wifi["base64"]) == ("Net", "pw12345", False)
    sep = extract_keys(storage([one("ssid", b'"Home"', 0), one("passwd", b'"secret99"', 1)]))
    assert (sep.wifi["ssid"], sep.wifi["password"], sep.wifi["source"]) == ("Home", "secret99", "ssid/passwd")
    assert sep.summary()["password"] == "***" and sep.summary()["ssid"] == "***"  # fixed mask
    bad = extract_keys(storage([one("gw_wsm", b'{"ssid":"%%%","passwd":null,"wfb64":1}', 0)]))
    assert bad.wifi["ssid"] == "%%%" and any("not valid base64" in p.message for p in bad.problems)
