"""The synthetic vectors of ../shared/fixtures/tuya give exactly their README values."""

from __future__ import annotations

import hashlib
import json

import pytest

from obkimg import tuya
from obkimg.codecs.checksums import sum32
from obkimg.formats.config import tuya_kv as kv
from obkimg.model import Secret, jsonable
from obkimg.source import load
from obkimg.tuya import extract_keys, find_storage
from tests.conftest import fixture_path, validate_schema

SHA_2MB = "6b596b63d1a36060690d610491b98988a75a02e96f4c8f3f117b572b65053640"
SHA_REGION = "a12ab42caf05a971e56de440f51427acec6328cea0ae61703ec0552d0569d1c2"


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(fixture_path("tuya", "expected.json").read_text())


@pytest.fixture(scope="module")
def image() -> bytes:
    data = load(fixture_path("tuya", "tuya_bk7231n_2MB.bin.gz")).data
    assert hashlib.sha256(data).hexdigest() == SHA_2MB
    return data


@pytest.fixture(scope="module")
def region() -> bytes:
    data = fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA_REGION
    return data


def test_constants_match_the_readme(expected: dict) -> None:
    cr = expected["crypto"]
    assert cr["master_key_ascii"].encode() == kv.MASTER_KEY
    assert kv.encrypt(kv.MASTER_KEY, b"\xff" * 16) == kv.SEARCH_MAGIC == bytes.fromhex(cr["search_magic_hex"])
    dk = kv.derive_data_key(bytes.fromhex(cr["device_key_hex"]), b"8710_2M")
    assert dk.hex() == cr["data_key_hex"]
    # only the first 4 bytes of the base string matter
    assert kv.derive_data_key(bytes.fromhex(cr["device_key_hex"]), b"8710") == dk
    # the GUI's KEY_NULL is 2 x KEY_PART_2
    assert dict(kv.BASE_KEYS)["common-null"].hex() == "9090a4a4a2c4f2cadadecce4e8f2e8cc"


@pytest.mark.parametrize("which", ["image", "region"])
def test_values_and_decoded_fields(which: str, request: pytest.FixtureRequest, expected: dict) -> None:
    data = request.getfixturevalue(which)
    base = 0 if which == "image" else 0x1ED000
    keys = extract_keys(data)
    st = keys.storage
    assert st.location.key_offset + base == 0x1EE000
    assert st.location.device_key.hex() == expected["crypto"]["device_key_hex"]
    assert st.location.key_variant == "8710+common"
    assert st.location.protected_offsets == (0x1ED000 - base,)
    # raw values: byte for byte, with the index data of the README
    assert sorted(st.raw_values) == sorted(expected["keys"])
    for e in st.entries:
        want = expected["keys"][e.name]
        assert e.value == want["value_utf8"].encode("latin-1")
        assert (len(e.value), sum32(e.value)) == (want["length"], want["sum32"])
        assert e.index.element == want["element"]
        assert (e.index.block_id, e.page) == (want["index_block"], want["index_page"])
        parts = [[p.block_id, p.first_page, p.last_page] for p in e.index.parts]
        assert parts == want["parts_block_first_last"]
        assert e.checksum_ok
    d = expected["decoded"]
    assert keys.wifi["ssid"] == d["wifi_ssid"] and keys.wifi["password"] == d["wifi_password"]
    assert keys.wifi["base64"] is True and keys.wifi["source"] == "gw_wsm"
    assert keys.wifi.ssid == d["wifi_ssid"] and keys.device.local_key == d["local_key"]  # attributes too
    dev = keys.device
    for ours, theirs in (
        ("uuid", "uuid"),
        ("auth_key", "auth_key"),
        ("psk_key", "psk_key"),
        ("device_id", "device_id"),
        ("local_key", "local_key"),
        ("sec_key", "sec_key"),
        ("region", "region"),
        ("mqtt_url", "mqtt_url"),
    ):
        assert dev[ours] == d[theirs], ours
    assert dev["cloud_region"] == "EU" and dev["module"] == "CB2S" and dev["chip_env"] == "bk7231n"
    assert keys.values["user_param_key"] == {
        "Jsonver": "1.1.0",
        "bt1_lv": 0,
        "bt1_pin": 7,
        "crc": 42,
        "module": "CB2S",
        "netled1_lv": 0,
        "netled1_pin": 26,
        "rl1_lv": 1,
        "rl1_pin": 6,
    }
    assert keys.encodings["user_param_key"] == "upk"
    assert keys.values["wf_start_md"] == 3 and keys.values["em_sys_env"] == "bk7231n"
    # em_sys_env "bk7231n" / module CB2S name the N platform: BK7231N, BK7231M or BL2028N (issue 10)
    assert keys.chip is None and keys.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"]
    pins = {(p["role"], p["gpio"], p["channel"], p["active_level"]) for p in keys.pins}
    assert pins == {("relay", 6, 1, 1), ("button", 7, 1, 0), ("wifi-led", 26, 1, 0)}
    assert not [p for p in keys.problems if p.severity != "info"]


def test_live_blocks_by_generation_and_stale_swap_copy(image: bytes, expected: dict) -> None:
    st = extract_keys(image).storage
    live = {b.block_id: b for b in st.live}
    assert sorted(live) == list(range(14))
    for bid, want in expected["blocks"].items():
        assert live[int(bid)].generation == want["generation"]
        assert live[int(bid)].offset == int(want["flash_offset"], 16)
    stale = expected["stale_swap_copy"]
    old = [b for b in st.blocks if b not in st.live]
    assert [(b.offset, b.block_id, b.generation) for b in old] == [
        (0x1FD000, stale["block_id"], stale["generation"])
    ]
    assert any(p.offset == 0x1FD000 and "superseded" in p.message for p in extract_keys(image).problems)
    # the erased swap sectors are reported, not fatal
    erased = {p.offset for p in extract_keys(image).problems if "erased" in p.message}
    assert erased == {0x1FE000, 0x1FF000}


def test_protected_block_records_equal_kv(image: bytes, expected: dict) -> None:
    st = extract_keys(image).storage
    (pb,) = st.protected
    assert pb.offset == 0x1ED000 and pb.data_length == 508 and pb.reserved == 0xFFFFFFFF
    assert {r.name: r.value.decode("latin-1") for r in pb.records} == expected["protected_block_records"]
    assert all(st.raw_values[r.name] == r.value for r in pb.records)


def test_synth_far_is_found_beyond_the_32k_window_bk7231tools_reads(image: bytes) -> None:
    far = next(e for e in extract_keys(image).storage.entries if e.name == "synth_far")
    assert far.block_offset - 0x1EE000 >= 0x8000


def test_superset_of_bk7231tools_json(image: bytes) -> None:
    """bk7231tools' storage JSON (7 keys) is a subset of ours with equal decoded values."""
    theirs = json.loads(fixture_path("tuya", "expected_bk7231tools_storage.json").read_text())
    ours = jsonable(extract_keys(image).values)
    assert set(theirs) < set(ours) and set(ours) - set(theirs) == {"synth_far"}
    for k, v in theirs.items():
        assert ours[k] == v, k


def test_find_storage_regions(image: bytes) -> None:
    (loc,) = find_storage(image)
    # the last two swap sectors are erased: the storage ends after the last block
    assert (loc.key_offset, loc.start, loc.end, loc.phase) == (0x1EE000, 0x1ED000, 0x1FE000, 0)
    assert len(loc.block_offsets) == 15 and loc.key_variant == "8710+common"
    assert loc.data_magic == kv.DATA_MAGIC
    names = [(r.name, r.offset, r.size) for r in loc.regions()]
    assert names == [
        ("tuya-protected", 0x1ED000, 0x1000),
        ("tuya-kv-key", 0x1EE000, 0x1000),
        ("tuya-kv-data", 0x1EF000, 0xF000),
    ]


def test_unaligned_dump_uses_the_byte_search(image: bytes) -> None:
    """A dump that does not start on a sector boundary: the byte search finds the grid phase."""
    shifted = b"\x00" * 0x123 + image[0x1E0000:]
    keys = extract_keys(shifted)
    loc = keys.storage.location
    assert loc.phase == 0x123 and loc.key_offset == 0x123 + 0xE000
    assert keys.storage.raw_values == extract_keys(image).storage.raw_values


def test_key_from_protected_block_when_the_key_block_is_erased(region: bytes) -> None:
    broken = region[:0x1000] + b"\xff" * 0x1000 + region[0x2000:]
    keys = extract_keys(broken)
    assert keys.storage.location.key_from_protected
    assert any("taken from the protected block" in p.message for p in keys.problems)
    assert keys.storage.raw_values == extract_keys(region).storage.raw_values


def test_secrets_are_masked_in_summary_and_shown_by_to_dict(image: bytes) -> None:
    keys = extract_keys(image)
    assert isinstance(keys.wifi["password"], Secret) and isinstance(keys.values["gw_ai"]["lckey"], Secret)
    s = keys.summary()
    assert s["password"] == "***" and s["local_key"] == "***"
    assert s["ssid"] == "***" and s["key_count"] == 8 and s["storage_offset"] == 0x1EE000
    assert keys.summary(show_secrets=True)["ssid"] == "SynthNet-2G"
    assert keys.summary(show_secrets=True)["local_key"] == "LocalKeySynth001"
    doc = keys.to_dict()
    assert doc["values"]["gw_ai"]["lckey"] == "LocalKeySynth001"
    masked = keys.to_dict(show_secrets=False)
    assert masked["values"]["gw_ai"]["lckey"] == "***"
    assert masked["storage"]["device_key"] != doc["storage"]["device_key"]
    validate_schema(doc, "tuya-keys.v1")
    validate_schema(masked, "tuya-keys.v1")
    assert "LocalKeySynth001" not in repr(keys.values)


def test_open_as_tuya_kv_image(region: bytes, image: bytes) -> None:
    img = tuya.load(load(region))  # what obkimg.open(region, kind="tuya-kv") returns
    assert img.kind == "tuya-kv" and img.chip is None
    assert img.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"]
    doc = img.to_dict()
    validate_schema(doc, "info.v1")
    assert "LocalKeySynth001" not in json.dumps(doc)
    assert doc["details"]["summary"]["local_key"] == "***"
    kinds = {(r["name"], r["state"]) for r in doc["regions"]}
    assert ("tuya-kv-key", "valid") in kinds and ("tuya-kv-block-0-old", "valid") in kinds
    det = tuya.detect(region)
    assert det is not None and det.confidence == 90
    # inside a full dump with code the storage is only a weak guess (a dump model should win)
    code = b"\x00" * 0x1000 + image[0x1000:]
    assert tuya.detect(code).confidence == 30
