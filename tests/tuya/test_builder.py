"""build_storage: a fresh KV area that extract_keys reads back value for value."""

from __future__ import annotations

import json

import pytest

from obkimg.errors import BuildError
from obkimg.formats.config.tuya_kv import SECTOR_SIZE
from obkimg.tuya import extract_keys
from obkimg.tuya_storage import build_storage


def test_build_storage_round_trip_at_any_offset() -> None:
    values = {
        "gw_wsm": json.dumps({"ssid": "TestNet", "passwd": "not-a-real-password", "wfb64": 0}).encode(),
        "gw_ai": json.dumps({"lckey": "0123456789abcdef", "key": "fedcba9876543210"}).encode(),
        "user_param_key": b"{Jsonver:1.1.8,module:CB2S,rl1_pin:6,rl1_lv:1,bt1_pin:8,bt1_lv:0}",
        "many": bytes(range(256)) * 14,  # 28 value pages: forces a second block
        "small": b"x",
    }
    area = build_storage(values, device_key=b"TestDeviceKey-42")
    assert len(area) == 3 * SECTOR_SIZE  # key block + 2 data blocks
    for pad in (0, 0x5000, 0x1EE000):
        keys = extract_keys(b"\xff" * pad + area)
        assert keys.storage.location.key_offset == pad
        assert keys.wifi["ssid"] == "TestNet" and keys.wifi["password"] == "not-a-real-password"
        assert keys.values["many"] == values["many"] and keys.values["small"] == "x"
        assert {p["gpio"] for p in keys.pins} == {6, 8}
        assert not [p for p in keys.problems if p.severity == "error"]


def test_build_storage_refuses_values_larger_than_a_block() -> None:
    with pytest.raises(BuildError, match="does not fit"):
        build_storage({"huge": bytes(5000)}, device_key=b"TestDeviceKey-42")
    with pytest.raises(BuildError, match="variant"):
        build_storage({}, device_key=b"TestDeviceKey-42", variant="nope")
