"""Editing (set), EasyFlash writing, diff and writing a config into dumps / QIO images."""

from __future__ import annotations

import pytest

from obkimg.errors import BuildError, ChecksumError, DetectionError, NotFoundError
from obkimg.formats.config import easyflash as ef
from obkimg.formats.config import obk_config as oc
from obkimg.obk import diff_configs, parse_assignments, recover_config, set_config, write_config
from tests.conftest import validate_schema
from tests.obk.helpers import EF_FIXTURE, SECTOR_FIXTURE, V3_FIXTURE, dump_with, obk_fixture

EDITS = [
    "ssid=HomeNet",
    "password=s3cret-pass",
    "mqtt_host=10.0.0.2",
    "mqtt_port=8883",
    "name=plug1",
    "long_name=Kitchen Plug",
    "startup=backlog startDriver NTP",
    "pin.8=Relay_n:2",
    "pin.9.role=Button_n",
    "pin.9.channel=2",
    "pin.9.channel2=3",
    "channel.2.type=Toggle",
    "channel.2.start=1",
    "flag.10=0",
    "flag.LED_SMOOTH_TRANSITIONS=1",
    "static_ip.ip=192.168.1.50",
    "static_ip.netmask=255.255.255.0",
    "mac=02:11:22:33:44:55",
    "web_password=admin1",
    "ledRemap=4,3,2,1,0",
]


def _check_edited(res: oc.ObkConfigResult) -> None:
    doc = res.to_dict()
    assert doc["wifi"]["ssid"] == "HomeNet" and doc["wifi"]["password"] == "s3cret-pass"
    assert (doc["mqtt"]["host"], doc["mqtt"]["port"]) == ("10.0.0.2", 8883)
    assert (doc["device"]["short_name"], doc["device"]["long_name"]) == ("plug1", "Kitchen Plug")
    assert doc["device"]["mac"] == "02:11:22:33:44:55" and doc["device"]["web_password"] == "admin1"
    assert doc["startup_command"] == "backlog startDriver NTP"
    pins = {p["pin"]: (p["role_name"], p["channel"], p["channel2"]) for p in doc["pins"]}
    assert pins[8] == ("IOR_Relay_n", 2, 0) and pins[9] == ("IOR_Button_n", 2, 3)
    assert pins[6] == ("IOR_Relay", 1, 0), "untouched pins stay"
    chans = {c["channel"]: (c["type_name"], c["start_value"]) for c in doc["channels"]}
    assert chans[2] == ("ChType_Toggle", 1) and chans[1] == ("ChType_Toggle", -1)
    assert [f["bit"] for f in doc["flags"]["set"]] == [18]
    assert doc["static_ip"] == {
        "ip": "192.168.1.50",
        "netmask": "255.255.255.0",
        "gateway": "0.0.0.0",
        "dns": "0.0.0.0",
    }
    assert doc["led"]["remap"] == [4, 3, 2, 1, 0]
    assert res.crc_valid
    validate_schema(doc, "obk-config.v1")


def test_set_bare_config_roundtrip() -> None:
    data = obk_fixture(SECTOR_FIXTURE)
    out, res, notes = set_config(data, EDITS)
    assert len(out) == len(data) and out[3584:] == data[3584:], "bytes after the struct are kept"
    assert notes == [] and res.location["mechanism"] == "bare" and res.crc_variant == "signed"
    _check_edited(res)
    assert res.config.get("changeCounter") == 4, "firmware-like save counter"
    # diff lists exactly the edited fields
    diff = diff_configs(data, out, show_secrets=True)
    validate_schema(diff, "obk-config-diff.v1")
    fields = {d["field"] for d in diff["differences"]}
    assert {
        "wifi_ssid",
        "wifi_pass",
        "mqtt_port",
        "roles[8]",
        "channels2[9]",
        "channelTypes[2]",
        "startChannelValues[2]",
        "genericFlags",
        "staticIP",
        "mac",
        "webPassword",
        "changeCounter",
    } <= fields
    assert "roles[6]" not in fields and "ntpServer" not in fields
    assert diff_configs(data, data)["identical"] is True
    masked = diff_configs(data, out)
    assert not any(d["b"] == "s3cret-pass" for d in masked["differences"])


def test_set_v3_and_limits() -> None:
    data = obk_fixture(V3_FIXTURE)
    out, res, _ = set_config(data, ["ssid=x" * 1, "startup=" + "a" * 511])
    assert res.config.version == 3 and len(out) == 2016 and res.crc_variant == "signed"
    with pytest.raises(BuildError) as e:
        set_config(data, ["startup=" + "a" * 512])
    assert e.value.path == "initCommandLine"
    with pytest.raises(BuildError):
        set_config(data, ["ssid2=x"])  # no such field before v4
    with pytest.raises(BuildError):
        set_config(data, ["version=5"])
    with pytest.raises(BuildError):
        set_config(data, ["nosuchfield=1"])
    with pytest.raises(BuildError):
        set_config(data, ["pin.40=Relay"])
    with pytest.raises(BuildError):
        set_config(data, ["pin.4=NoRole"])
    with pytest.raises(BuildError):
        set_config(data, ["mqtt_port=abc"])
    with pytest.raises(BuildError):
        set_config(data, ["static_ip.ip=300.1.1.1"])
    with pytest.raises(BuildError):
        set_config(data, ["flag.3=maybe"])
    with pytest.raises(BuildError):
        set_config(data, ["noequals"])
    with pytest.raises(BuildError):
        set_config(data, ["mac=01:02"])


def test_set_raw_sector_in_dump_touches_only_the_struct() -> None:
    dump = dump_with(obk_fixture(SECTOR_FIXTURE), 0x1D1000)
    out, res, _ = set_config(dump, EDITS, chip="BK7231N")
    assert out[:0x1D1000] == dump[:0x1D1000] and out[0x1D1000 + 3584 :] == dump[0x1D1000 + 3584 :]
    assert res.location["offset"] == 0x1D1000
    _check_edited(res)


def test_set_repairs_bad_crc_with_platform_variant() -> None:
    data = bytearray(obk_fixture(SECTOR_FIXTURE))
    data[3] ^= 0x55
    dump = dump_with(bytes(data), 0x1E1000)
    out, res, notes = set_config(dump, ["ssid=Fixed"], chip="BK7231T")
    assert res.crc_variant == "signed" and len(notes) == 1 and "invalid" in notes[0].message


def test_set_easyflash_writes_new_live_entry() -> None:
    data = obk_fixture(EF_FIXTURE)
    out, res, notes = set_config(data, EDITS)
    _check_edited(res)
    assert res.crc_variant == "unsigned"
    area = ef.parse_easyflash(out)
    live = area.lookup("mY0bcFg")
    assert live is not None and area.value(live) == res.config.build()
    assert area.value(area.lookup("nv_version")) == b"0.01", "other entries survive"
    assert len(notes) == 1 and "compacted" in notes[0].message  # the 2-sector fixture has no room left
    # a second edit again produces exactly one live copy
    out2, res2, _ = set_config(out, ["ssid=Second"])
    area2 = ef.parse_easyflash(out2)
    assert [e.name for e in area2.entries if e.status == 2].count("mY0bcFg") == 1
    assert res2.config.get("wifi_ssid") == "Second" and res2.config.get("changeCounter") == 5


@pytest.mark.parametrize("gran", [1, 8, 32])
def test_easyflash_writer_all_granularities(gran: int) -> None:
    area = ef.ef_format(4 * 0x1000, gran=gran, base=0x1000)
    assert area.entries == () and all(s.store == 1 and s.dirty == 1 for s in area.sectors)
    cfg = oc.ObkConfig.parse(obk_fixture(SECTOR_FIXTURE)).signed_with("unsigned")
    a1 = ef.ef_set(area, "mY0bcFg", cfg.build())
    a1 = ef.ef_set(a1, "nv_version", b"0.01")
    e1 = a1.lookup("mY0bcFg")
    assert e1.crc_ok and a1.value(e1) == cfg.build() and a1.sectors[0].store == 2
    assert e1.value_offset - e1.offset == {1: 24, 8: 28, 32: 40}[gran] + (8 if gran == 32 else 7)
    cfg2 = cfg.with_values({"wifi_ssid": "v2"})
    a2 = ef.ef_set(a1, "mY0bcFg", cfg2.build())
    copies = a2.copies("mY0bcFg")
    assert [c.status_name for c in copies] == ["deleted", "write"]
    assert a2.value(a2.lookup("mY0bcFg")) == cfg2.build()
    assert a2.sectors[0].dirty == 2, "the sector holding the deleted copy is dirty"
    res = recover_config(b"\xff" * 0x1000 + a2.build())
    assert res.config.get("wifi_ssid") == "v2" and res.location["granularity"] == gran
    compact = ef.ef_compact(a2)
    assert [(e.name, e.status_name) for e in compact.entries] == [
        ("nv_version", "write"),
        ("mY0bcFg", "write"),
    ]
    assert compact.sectors[-1].store == 1


def test_easyflash_full_area_is_refused() -> None:
    area = ef.ef_format(2 * 0x1000)
    big = bytes(3000)
    a = ef.ef_set(area, "a", big)
    with pytest.raises(BuildError) as e:
        ef.ef_set(a, "b", big)
    assert "no room" in e.value.message
    with pytest.raises(BuildError):
        ef.ef_put(a, "b", big)  # even compacted, two 3 KiB entries need two sectors + a spare
    with pytest.raises(BuildError):
        ef.ef_format(0x1000)


def test_write_qio_plus_config_synthetic() -> None:
    qio = bytes(range(256)) * 0x1000  # 1 MiB "QIO image"
    cfg = obk_fixture(SECTOR_FIXTURE)
    for chip, off in (("BK7231N", 0x1D1000), ("BK7231T", 0x1E1000)):
        res = write_config(qio, cfg, chip=chip)
        out = res.data
        assert out[: len(qio)] == qio, "QIO bytes unchanged"
        assert out[len(qio) : off] == b"\xff" * (off - len(qio))
        assert out[off : off + 3584] == cfg[:3584] and out[off + 3584 : off + 4096] == b"\xff" * 512
        assert len(out) == off + 0x1000 and res.offset == off and res.mechanism == "raw"
        assert recover_config(out, chip=chip).location["offset"] == off
    with pytest.raises(DetectionError):
        write_config(qio, cfg)


def test_write_into_full_dump_and_resign() -> None:
    dump = bytes(0x200000)
    cfg_unsigned = oc.ObkConfig.parse(obk_fixture(SECTOR_FIXTURE)).signed_with("unsigned")
    res = write_config(dump, cfg_unsigned.build(), chip="BK7231N")
    assert len(res.data) == len(dump) and res.data[:0x1D1000] == dump[:0x1D1000]
    assert res.data[0x1D2000:] == dump[0x1D2000:]
    assert recover_config(res.data, chip="BK7231N").crc_variant == "signed"
    assert any("re-signed" in n.message for n in res.notes)
    bad = bytearray(obk_fixture(SECTOR_FIXTURE))
    bad[9] ^= 1
    with pytest.raises(ChecksumError):
        write_config(dump, bytes(bad), chip="BK7231N")


def test_write_bl602_into_partitioned_image() -> None:
    """A BL602 image with a partition table and an erased PSM: the area is formatted, then written."""
    import struct
    import zlib

    def entry(t: int, name: str, addr: int, size: int) -> bytes:
        return struct.pack("<BBB9sIIIIII", t, 0, 0, name.encode(), addr, 0, size, 0, 0, 0)

    ents = entry(0, "FW", 0x10000, 0xD8000) + entry(4, "PSM", 0x1E9000, 0x8000)
    hdr = b"BFPT" + struct.pack("<HHI", 0, 2, 0)
    table = hdr + struct.pack("<I", zlib.crc32(hdr)) + ents + struct.pack("<I", zlib.crc32(ents))
    img = bytearray(b"\xff" * 0x200000)
    img[0xE000 : 0xE000 + len(table)] = table
    img[0xF000 : 0xF000 + len(table)] = table
    cfg = obk_fixture(SECTOR_FIXTURE)
    res = write_config(bytes(img), cfg, chip="BL602")
    assert res.mechanism == "easyflash" and any("formatted" in n.message for n in res.notes)
    found = recover_config(res.data)
    assert found.location["partition"] == "PSM" and found.location["area_offset"] == 0x1E9000
    assert found.crc_variant == "unsigned" and found.chip == "BL602"
    assert res.data[:0x1E9000] == bytes(img[:0x1E9000])
    with pytest.raises(NotFoundError):
        write_config(b"\xff" * 0x200000, cfg, chip="BL602")


def test_parse_assignments_dict_form() -> None:
    cfg = oc.ObkConfig.parse(obk_fixture(SECTOR_FIXTURE))
    vals = parse_assignments(cfg, {"ssid": "a", "pin.1": "LED"})
    assert vals["wifi_ssid"] == "a" and vals["roles"][1] == 5 and vals["roles"][6] == 1
    assert recover_config(cfg.with_values(vals).build()).crc_valid
