"""Schema-level tests of OpenBeken ``mainConfig_t`` (make_schema, versions 1-5, every pin layout group)."""

from __future__ import annotations

from typing import Any

import construct as c
import pytest

from obkimg._construct import CStr
from obkimg.formats.config import obk_struct as st
from obkimg.formats.config.obk_enums import ROLE_NAMES, PinRole
from tests.conftest import fixture_path
from tests.layouts._common import common

VERSIONS = (1, 2, 3, 4, 5)
PINS = (32, 48, 50, 64)
TEXT = type(st.CString0(1))


def _vector(name: str, length: int) -> bytes:
    return fixture_path("obk", name).read_bytes()[:length]


def _generated(version: int, pins: int) -> dict[str, Any]:
    """A value for every body field of the layout: text, numbers, arrays and raw bytes, none all-zero."""
    out: dict[str, Any] = {}
    for i, (name, (_off, con)) in enumerate(st._layout(version, pins).items()):
        if name in ("ident", "crc", "version"):
            continue
        if isinstance(con, TEXT):
            out[name] = f"{name[: con.sizeof() - 1]}"
        elif isinstance(con, c.Array) or hasattr(con, "item_range"):  # Array or a byte array
            n = con.count
            out[name] = (
                [float(k) / 2 for k in range(n)]
                if name == "led_corr"
                else [(k * 7 + i) % 89 for k in range(n)]
            )
        elif isinstance(con, c.Bytes):
            out[name] = bytes((k + i) % 256 for k in range(con.sizeof()))
        else:
            out[name] = i
    return out


@pytest.mark.parametrize(
    "name, version, length, crc",
    [("obk_cfg_v5_bk7231_sector.bin", 5, 3584, 0x05), ("obk_cfg_v3_bk7231_2016.bin", 3, 2016, 0x87)],
)
def test_vectors(name: str, version: int, length: int, crc: int) -> None:
    data = _vector(name, length)
    schema = st.make_schema(version, 32)
    parsed = common(schema, data, size=length, strict=True)
    assert parsed.crc == crc and parsed.body.value.version == version
    body = parsed.body.value
    assert body.wifi_ssid == "SynthNet-2G" and isinstance(body.wifi_ssid, CStr)
    assert body.roles[6] is PinRole.IOR_Relay and body.roles[7] is PinRole.IOR_Button and body.roles[26] == 9
    assert body.channelTypes[1] == 6 and body.startChannelValues[1] == -1
    assert ("wifi_ssid2" in body) == (version >= 4)
    # Rebuild: the CRC byte recomputed with the Beken (signed char) variant is the stored one
    assert schema.build({"body": {"value": body}}, crc_variant="signed") == data
    assert schema.build({"body": {"value": body}}, crc_variant="unsigned")[3] != crc


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("pins", PINS)
def test_generated_value(version: int, pins: int) -> None:
    schema = st.make_schema(version, pins)
    size = st.SIZE_V3 if version <= 3 else st.SIZE_V4
    value = _generated(version, pins)
    data = schema.build({"body": {"value": value}}, crc_variant="unsigned")
    assert data[:3] == b"CFG" and int.from_bytes(data[4:8], "little") == version
    assert data[3] == st.tiny_crc8(data[4:], signed=False)
    parsed = common(schema, data, size=size, strict=version != 1)
    got = parsed.body.value
    for name, want in value.items():
        assert got[name] == want, name
    offsets = st.field_offsets(pins, size)
    assert all(offsets[k][0] == st._layout(version, pins)[k][0] for k in offsets)


def test_version_selects_the_layout() -> None:
    v5 = st.make_schema(5).build({"body": {"value": _generated(5, 32)}})
    with pytest.raises(c.ConstError):
        st.make_schema(4).parse(v5)  # "version" is a Const of the schema's version
    with pytest.raises(c.ConstError):
        st.make_schema(5).parse(b"CFX" + v5[3:])
    assert st.make_schema(3).sizeof() == st.make_schema(1).sizeof() == st.SIZE_V3
    assert st.make_schema(4).sizeof() == st.make_schema(5).sizeof() == st.SIZE_V4
    assert st.make_schema(5) is st.make_schema(5)  # cached: built once per variant


def test_crc_is_checked_only_when_strict() -> None:
    schema = st.make_schema(5)
    data = bytearray(schema.build({"body": {"value": _generated(5, 32)}}))
    data[3] ^= 0xFF
    with pytest.raises(c.CheckError):
        schema.parse(bytes(data))
    parsed = common(schema, bytes(data), strict=False)  # a bad CRC byte still round-trips as stored
    assert parsed.crc == data[3]
    assert schema.build(parsed, crc_variant="signed")[3] == st.tiny_crc8(data[4:], signed=True)
    v1 = bytearray(st.make_schema(1).build({"body": {"value": _generated(1, 32)}}))
    v1[3] ^= 0xFF  # version 1's checksum (XOR of per-field CRC8s) is not verified
    common(st.make_schema(1), bytes(v1), strict=True)


def test_bytes_after_the_nul_round_trip() -> None:
    schema = st.make_schema(5)
    data = bytearray(schema.build({"body": {"value": _generated(5, 32)}}))
    off = st.field_offsets()["shortDeviceName"][0]
    data[off : off + 32] = b"plug\0old-longer-name-garbage\xff\xfe".ljust(32, b"\0")
    parsed = common(schema, bytes(data), strict=False)
    assert parsed.body.value.shortDeviceName == "plug"


def test_roles_are_pin_roles() -> None:
    value = _generated(5, 32)
    value["roles"] = [0, 1, 88, 89, 255] + [0] * 27
    parsed = st.make_schema(5).parse(st.make_schema(5).build({"body": {"value": value}}))
    roles = parsed.body.value.roles
    assert roles[:3] == [PinRole.IOR_None, PinRole.IOR_Relay, PinRole.IOR_RCRecv_nPup]
    assert all(isinstance(r, PinRole) for r in roles[:3])
    assert type(roles[3]) is int and roles[4] == 255  # numbers OpenBeken does not name stay numbers
    assert tuple(r.name for r in PinRole) == ROLE_NAMES and len(ROLE_NAMES) == 89
