"""The synthetic OBK vectors give exactly the values of their README / expected.json."""

from __future__ import annotations

import struct

import pytest

from obkimg.errors import ChecksumError, FormatError, MagicError, TruncatedError
from obkimg.formats.config import easyflash as ef
from obkimg.formats.config import obk_config as oc
from obkimg.obk import recover_config
from tests.conftest import validate_schema
from tests.obk.helpers import EF_FIXTURE, SECTOR_FIXTURE, V3_FIXTURE, expected, obk_fixture, sha


def _check_common(res: oc.ObkConfigResult, long_name: str, *, v5: bool) -> None:
    exp = expected()["fields_common"]
    cfg = res.config
    assert cfg.raw[:3] == exp["ident"].encode()
    assert cfg.get("genericFlags") == int(exp["genericFlags"], 16)
    assert cfg.get("genericFlags2") == exp["genericFlags2"]
    g = cfg.get
    simple = [
        "changeCounter",
        "otaCounter",
        "wifi_ssid",
        "wifi_pass",
        "mqtt_host",
        "mqtt_port",
        "mqtt_clientId",
        "mqtt_userName",
        "mqtt_pass",
        "webappRoot",
        "shortDeviceName",
        "ntpServer",
        "mqtt_group",
        "timeRequiredToMarkBootSuccessfull",
        "ping_host",
        "initCommandLine",
    ]
    assert {k: g(k) for k in simple} == {k: exp[k] for k in simple}, "mismatch"
    assert g("longDeviceName") == long_name
    assert ":".join(f"{b:02x}" for b in g("mac")) == exp["mac"]
    pins = {
        str(p["pin"]): {"role": p["role"], "role_name": p["role_name"], "channel": p["channel"]}
        for p in cfg.pin_table()
    }
    assert pins == exp["pins"]
    assert {str(c["channel"]): c["type"] for c in cfg.channel_table() if c["type"]} == {
        k: v for k, v in exp["channelTypes"].items()
    }
    assert {str(c["channel"]): c["start_value"] for c in cfg.channel_table() if c["start_value"]} == exp[
        "startChannelValues"
    ]
    assert [g("buttonShortPress"), g("buttonLongPress"), g("buttonHoldRepeat")] == exp[
        "buttonShortPress/LongPress/HoldRepeat"
    ]
    assert g("ledRemap") == exp["ledRemap"]
    assert g("led_corr") == pytest.approx(exp["led_corr"], rel=1e-6)
    doc = res.to_dict()
    assert doc["flags"]["set"] == [{"bit": 10, "name": "MQTT_BROADCASTSELFSTATEONCONNECT"}]
    if v5:
        v5x = exp["v5_only"]
        assert (g("wifi_ssid2"), g("wifi_pass2"), g("webPassword")) == (
            v5x["wifi_ssid2"],
            v5x["wifi_pass2"],
            v5x["webPassword"],
        )
    else:
        assert doc["wifi"]["ssid2"] is None and "wifi_ssid2" not in cfg.offsets()
    validate_schema(doc, "obk-config.v1")


def test_bk7231_sector_vector() -> None:
    data = obk_fixture(SECTOR_FIXTURE)
    exp = expected()[SECTOR_FIXTURE]
    res = recover_config(data)
    cfg = res.config
    assert (cfg.version, cfg.length, cfg.stored_crc) == (exp["version"], exp["struct_len"], exp["crc_byte"])
    assert res.crc_valid and res.crc_variant == "signed"
    assert cfg.crc_for("unsigned") == exp["crc_if_unsigned"]
    assert data[3584:] == b"\xff" * 512
    assert res.location == {"mechanism": "bare", "offset": 0, "length": 3584}
    _check_common(res, expected()["fields_common"]["longDeviceName"]["bk7231 files"], v5=True)
    assert cfg.build() == data[:3584]


def test_v3_vector() -> None:
    data = obk_fixture(V3_FIXTURE)
    exp = expected()[V3_FIXTURE]
    res = recover_config(data)
    assert (res.config.version, res.config.length, res.config.stored_crc) == (
        3,
        exp["struct_len"],
        exp["crc_byte"],
    )
    assert res.crc_variant == "signed" and res.config.crc_range == (4, 2016)
    _check_common(res, expected()["fields_common"]["longDeviceName"]["bk7231 files"], v5=False)
    assert res.config.build() == data


def test_bl602_easyflash_vector() -> None:
    data = obk_fixture(EF_FIXTURE)
    exp = expected()[EF_FIXTURE]
    res = recover_config(data)
    cfg = res.config
    assert sha(cfg.build()) == exp["live_value_sha256"]
    assert (cfg.length, cfg.stored_crc) == (exp["live_value_len"], exp["live_crc_byte"])
    assert res.crc_variant == "unsigned" and res.expected_variant == "unsigned"
    assert cfg.crc_for("signed") == exp["crc_if_signed"]
    loc = res.location
    assert (loc["mechanism"], loc["key"], loc["granularity"], loc["entry_status"]) == (
        "easyflash",
        "mY0bcFg",
        8,
        "write",
    )
    assert loc["entry_offset"] >= 0x1000, "the live copy is in sector 1"
    # the deleted older copy in sector 0 is reported, not used
    assert any("deleted" in p.message for p in res.problems)
    _check_common(res, expected()["fields_common"]["longDeviceName"]["bl602 live"], v5=True)


def test_easyflash_area_details() -> None:
    area = ef.parse_easyflash(obk_fixture(EF_FIXTURE))
    assert area.gran == 8 and [s.offset for s in area.sectors] == [0, 0x1000]
    assert [(e.name, e.status_name, e.crc_ok) for e in area.entries] == [
        ("mY0bcFg", "deleted", True),
        ("nv_version", "write", True),
        ("mY0bcFg", "write", True),
    ]
    old = oc.ObkConfig.parse(area.value(area.entries[0]))
    assert old.get("wifi_ssid") == "OldNet" and old.get("changeCounter") == 2
    assert old.get("longDeviceName") == "OpenBL602_Old"
    assert area.value(area.lookup("nv_version")) == b"0.01"
    # the GUI's "last match wins, deleted included" rule gives the same answer here; ours is by status
    assert area.lookup("mY0bcFg") is area.entries[2]
    assert area.build() == obk_fixture(EF_FIXTURE)


def test_roundtrip_every_vector_byte_exact() -> None:
    for name in (SECTOR_FIXTURE, V3_FIXTURE):
        data = obk_fixture(name)
        cfg = oc.ObkConfig.parse(data)
        assert cfg.build() == data[: cfg.length]
        assert oc.ObkConfig.parse(cfg.build()).build() == cfg.build()
        # rebuilding every field from its parsed value gives the same bytes
        assert cfg.with_values({}, variant=cfg.crc_variant).build() == cfg.build()


# ---- corrupted copies fail cleanly -------------------------------------------------------------


def test_flipped_byte_is_a_crc_error() -> None:
    data = bytearray(obk_fixture(SECTOR_FIXTURE))
    data[0x20] ^= 0x01
    res = recover_config(bytes(data))
    assert not res.crc_valid and res.crc_variant is None
    errors = [p for p in res.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].offset == 3 and "Tiny-CRC8" in errors[0].message
    with pytest.raises(ChecksumError) as e:
        oc.ObkConfig.parse(bytes(data), strict=True, base=0x1D1000)
    assert e.value.offset == 0x1D1003 and e.value.path == "crc" and e.value.fmt == "obk-config"


def test_crc_byte_of_other_variant_is_reported() -> None:
    data = bytearray(obk_fixture(SECTOR_FIXTURE))
    data[3] = expected()[SECTOR_FIXTURE]["crc_if_unsigned"]
    res = recover_config(bytes(data), chip="BK7231N")
    assert res.crc_variant == "unsigned" and res.crc_valid
    assert any(p.severity == "warning" and "signed char" in p.message for p in res.problems)


def test_bad_ident_truncated_and_bad_version() -> None:
    data = obk_fixture(SECTOR_FIXTURE)
    with pytest.raises(MagicError) as e:
        oc.ObkConfig.parse(b"CFX" + data[3:], base=0x100)
    assert e.value.offset == 0x100 and e.value.path == "ident"
    with pytest.raises(TruncatedError) as t:
        oc.ObkConfig.parse(data[:3000])
    assert t.value.needed == 3584 and t.value.available == 3000
    with pytest.raises(TruncatedError):
        oc.ObkConfig.parse(data[:5])
    bad = data[:4] + struct.pack("<i", 0) + data[8:]
    with pytest.raises(FormatError) as f:
        oc.ObkConfig.parse(bad)
    assert f.value.path == "version" and f.value.offset == 4


def test_truncated_bare_file_is_not_found() -> None:
    from obkimg.errors import NotFoundError

    with pytest.raises(NotFoundError):
        recover_config(obk_fixture(SECTOR_FIXTURE)[:2000])


def test_easyflash_corrupted_entry_is_not_live() -> None:
    from obkimg.errors import NotFoundError

    data = bytearray(obk_fixture(EF_FIXTURE))
    area = ef.parse_easyflash(bytes(data))
    live = area.lookup("mY0bcFg")
    data[live.value_offset + 100] ^= 0xFF  # breaks the entry's CRC-32
    area2 = ef.parse_easyflash(bytes(data))
    assert not area2.entries[2].crc_ok and area2.lookup("mY0bcFg") is None
    with pytest.raises(NotFoundError):
        recover_config(bytes(data))


@pytest.mark.parametrize(
    "version, length, crc_len",
    [(1, 2016, 2016), (2, 2016, 2016), (3, 2016, 2016), (4, 3584, 3584), (5, 3584, 3584), (7, 3584, 3584)],
)
def test_version_lengths(version: int, length: int, crc_len: int) -> None:
    data = obk_fixture(SECTOR_FIXTURE)
    raw = data[:4] + struct.pack("<i", version) + data[8:3584]
    cfg = oc.ObkConfig.parse(raw).signed_with("signed")
    assert cfg.length == length and cfg.crc_range == (4, crc_len)
    if version == 1:
        assert cfg.crc_variant is None  # not verifiable
        assert any("version 1" in p.message for p in cfg.firmware_problems())
    else:
        assert cfg.crc_variant == "signed"
    if version in (2, 7):
        assert cfg.firmware_problems()
