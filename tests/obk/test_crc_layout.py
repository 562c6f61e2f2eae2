"""Tiny-CRC8 (both char variants) and the mainConfig_t layouts of spec B1/B2."""

from __future__ import annotations

import random

import pytest

from obkimg.formats.config import obk_config as oc


def _bitwise(data: bytes, signed: bool) -> int:
    """The algorithm exactly as spec B2 words it (one bit at a time)."""
    crc = 0
    for b in data:
        for _ in range(8):
            mix = (crc ^ b) & 1
            crc = (crc >> 1) | (crc & 0x80 if signed else 0)
            if mix:
                crc ^= 0x8C
            b >>= 1
    return crc


def test_check_values() -> None:
    assert oc.tiny_crc8(b"123456789", signed=False) == 0xA1
    assert oc.tiny_crc8(b"123456789", signed=True) == 0x63
    assert oc.tiny_crc8(b"", signed=True) == 0


@pytest.mark.parametrize("signed", [False, True])
def test_table_driven_equals_bitwise(signed: bool) -> None:
    rng = random.Random(7)
    for n in (1, 2, 17, 300, 3580):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert oc.tiny_crc8(data, signed=signed) == _bitwise(data, signed)


@pytest.mark.parametrize(
    "pins, offsets",
    [
        # pins: (channels, channelTypes, startChannelValues, dgr_sendFlags, ntpServer, buttonShortPress,
        #        staticIP)
        (32, (0x35E, 0x39E, 0x3DE, 0x460, 0x478, 0x4B8, 0x527)),
        (48, (0x36E, 0x3CE, 0x40E, 0x490, 0x4A8, 0x4E8, 0x527)),
        (50, (0x370, 0x3D4, 0x414, 0x498, 0x4B0, 0x4F0, 0x527)),
        (64, (0x37E, 0x3FE, 0x43E, 0x4C0, 0x4D8, 0x518, 0x525)),
    ],
)
def test_layout_groups_match_spec(pins: int, offsets: tuple[int, ...]) -> None:
    off = oc.field_offsets(pins)
    names = (
        "channels",
        "channelTypes",
        "startChannelValues",
        "dgr_sendFlags",
        "ntpServer",
        "buttonShortPress",
        "staticIP",
    )
    assert tuple(off[n][0] for n in names) == offsets
    assert off["roles"][0] == 0x33E
    assert off["led_corr"][0] == 0x53C
    assert off["mqtt_group"][0] == 0x554
    assert off["initCommandLine"][0] == 0x5E0
    assert off["wifi_ssid2"][0] == 0xC00 and off["wifi_pass2"][0] == 0xC40 and off["webPassword"][0] == 0xC84
    assert off["disable_web_server"][0] == 0xCBB
    assert oc.config_struct(pins).sizeof() == oc.SIZE_V4
    assert oc.config_struct(pins, oc.SIZE_V3).sizeof() == oc.SIZE_V3


def test_default_32_pin_offsets() -> None:
    off = oc.field_offsets(32)
    expect = {
        "version": 4,
        "genericFlags": 8,
        "changeCounter": 0x10,
        "wifi_ssid": 0x14,
        "wifi_pass": 0x54,
        "mqtt_host": 0x94,
        "mqtt_clientId": 0x194,
        "mqtt_userName": 0x1D4,
        "mqtt_pass": 0x214,
        "mqtt_port": 0x294,
        "webappRoot": 0x298,
        "mac": 0x2D8,
        "shortDeviceName": 0x2DE,
        "longDeviceName": 0x2FE,
        "channels2": 0x37E,
        "cal": 0x498,
        "LFS_Size": 0x4BC,
        "loggerFlags": 0x4C0,
        "ledRemap": 0x537,
        "timeRequiredToMarkBootSuccessfull": 0x597,
        "ping_host": 0x5A0,
    }
    assert {k: off[k][0] for k in expect} == expect


def test_role_and_enum_names() -> None:
    # spec B1 role numbers
    spec = {
        0: "None",
        1: "Relay",
        2: "Relay_n",
        3: "Button",
        4: "Button_n",
        5: "LED",
        6: "LED_n",
        7: "PWM",
        8: "LED_WIFI",
        9: "LED_WIFI_n",
    }
    assert {i: oc.ROLE_NAMES[i][4:] for i in spec} == spec
    assert oc.role_number("Relay") == 1 and oc.role_number("IOR_Button_n") == 4 and oc.role_number("7") == 7
    assert oc.role_name(200) == "IOR_200"
    assert oc.CHANNEL_TYPE_NAMES[6] == "ChType_Toggle" and oc.channel_type_number("toggle") == 6
    assert oc.FLAG_NAMES[10] == "MQTT_BROADCASTSELFSTATEONCONNECT" and oc.flag_number(10) == 10
    assert oc.flag_number("OBK_FLAG_MQTT_BROADCASTSELFSTATEONCONNECT") == 10
    from obkimg.errors import BuildError

    with pytest.raises(BuildError):
        oc.role_number("NoSuchRole")
    with pytest.raises(BuildError):
        oc.flag_number(64)
