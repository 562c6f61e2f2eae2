"""The Tuya API returns typed, frozen objects (issue 11), and the layers import one way."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import obkimg
from obkimg import tuya, tuya_storage
from obkimg.formats.config import tuya_kv as kv
from obkimg.model import Secret
from tests.conftest import fixture_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys() -> tuya.TuyaKeys:
    return tuya.extract_keys(fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin"))


def test_results_are_frozen_dataclasses(keys: tuya.TuyaKeys) -> None:
    assert isinstance(keys.wifi, tuya.TuyaWifi) and isinstance(keys.device, tuya.TuyaDevice)
    assert isinstance(keys.storage, tuya_storage.TuyaStorage)
    assert isinstance(keys.storage.location, tuya_storage.StorageLocation)
    assert all(isinstance(e, tuya_storage.Entry) for e in keys.storage.entries)
    assert all(isinstance(s, tuya_storage.BlockState) for s in keys.storage.block_states())
    for obj in (keys, keys.wifi, keys.device, keys.storage, keys.storage.location, keys.storage.entries[0]):
        assert dataclasses.is_dataclass(obj)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, dataclasses.fields(obj)[0].name, None)
    region = fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin").read_bytes()
    assert [type(loc) for loc in tuya.find_storage(region)] == [tuya_storage.StorageLocation]


def test_typed_fields_read_like_the_old_dicts(keys: tuya.TuyaKeys) -> None:
    assert keys.wifi.ssid == keys.wifi["ssid"] == keys.wifi.get("ssid") and isinstance(keys.wifi.ssid, Secret)
    assert keys.device.local_key == keys.device["local_key"] and keys.device.get("nope", 7) == 7
    with pytest.raises(KeyError):
        keys.wifi["nope"]
    doc = keys.to_dict(show_secrets=False)
    assert list(doc["wifi"]) == [f.name for f in dataclasses.fields(tuya.TuyaWifi)]
    assert list(doc["device"]) == [f.name for f in dataclasses.fields(tuya.TuyaDevice)]
    assert doc["wifi"]["ssid"] == "***" and doc["device"]["local_key"] == "***"
    assert str(keys.wifi.ssid) not in repr(keys.wifi) and "ssid" in repr(keys.wifi)
    assert [s.to_dict() for s in keys.storage.block_states()] == doc["storage"]["blocks"]


def test_types_are_importable_from_obkimg() -> None:
    for name in ("TuyaKeys", "TuyaWifi", "TuyaDevice", "TuyaStorage", "StorageLocation"):
        assert name in obkimg.__all__
        assert getattr(obkimg, name) is getattr(tuya, name)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            out.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_format_imports_no_workflow_and_no_cryptography() -> None:
    """formats/config/tuya_kv.py: construct, codecs, errors, model only; AES through the codec, which
    imports cryptography on first use."""
    found = _imports(ROOT / "obkimg" / "formats" / "config" / "tuya_kv.py")
    assert not [m for m in found if "tuya" in m or "cryptography" in m or m == "struct"], found
    assert "...codecs.aes" in found
    assert kv.FORMAT is tuya.FORMAT
