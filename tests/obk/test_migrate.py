"""Tuya -> OpenBeken migration: every mapping rule against the role numbers, and every real dump."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.errors import ObkImgError
from obkimg.formats.config import obk_config as oc
from obkimg.obk import new_from_tuya, recover_config
from obkimg.tuya_pins import match_rule
from tests.conftest import real_files, real_path, validate_schema

# The rule table itself is tested in tests/migrate/test_rules.py (one table for tuya-keys,
# obk-config new and migrate); these tests cover the `obk-config new` command on top of it.


def _upk_dumps() -> list[Path]:
    out = []
    for p in real_files("*.bin*"):
        if "bk7231" not in p.parent.name and p.parent.name != "other":
            continue
        try:
            from obkimg.tuya import extract_keys

            if extract_keys(p).upk:
                out.append(p)
        except ObkImgError:
            continue
    return out


def test_every_real_dump_with_upk() -> None:
    """The generated config parses back, has a valid CRC and maps every pin key a certain rule knows."""
    dumps = _upk_dumps()
    if not dumps:
        pytest.skip("real fixtures absent")
    assert len(dumps) >= 20
    from obkimg.tuya import extract_keys

    for p in dumps:
        keys = extract_keys(p)
        res = new_from_tuya(p)
        cfg = recover_config(res.config.build(), chip=res.chip)
        assert cfg.crc_valid and cfg.crc_variant == oc.chip_info(res.chip or "BK7231N").variant, p.name
        assert cfg.config.version == 5
        roles, chans = cfg.config.get("roles"), cfg.config.get("channels")
        doc = res.to_dict(show_secrets=False)
        validate_schema(doc, "obk-config-new.v1")
        mapped = {m["key"] for m in doc["pins"]}
        for m in doc["pins"]:
            assert (roles[m["gpio"]], chans[m["gpio"]]) == (m["role"], m["channel"]), p.name
        # every pin key is mapped, uncertain or a conflict: none is silently dropped
        listed = mapped | {c["key"] for c in doc["conflicts"]} | {u["key"] for u in doc["uncertain"]}
        for key in keys.upk:
            if match_rule(key) is not None:
                assert key in listed, (p.name, key)
        # Wi-Fi copied when present (compared, never printed)
        if keys.wifi.get("ssid"):
            assert cfg.config.get("wifi_ssid") == str(keys.wifi["ssid"]), "mismatch"
            assert cfg.config.get("wifi_pass") == str(keys.wifi["password"] or ""), "mismatch"


def test_real_known_devices() -> None:
    p = real_path("bk7231n", "Tuya_Generic_TYWB_4CH-RF_Smart_Switch.bin")
    doc = new_from_tuya(p).to_dict(show_secrets=False)
    pins = {m["key"]: (m["gpio"], m["role_name"], m["channel"]) for m in doc["pins"]}
    assert pins["rl1_pin"] == (24, "IOR_Relay", 1) and pins["bt4_pin"] == (11, "IOR_Button", 4)
    assert pins["netled1_pin"] == (22, "IOR_LED_WIFI_n", 0) and pins["total_bt_pin"] == (
        7,
        "IOR_Button_ToggleAll",
        0,
    )
    assert doc["uncertain"] == [] and pins["remote_io"] == (20, "IOR_RCRecv", 0)
    tuyamcu = new_from_tuya(real_path("bk7231n", "BK7231N_Tuya_ATORCH_AT4P_EnergyMeter_TuyaMCU_2.1.17.bin"))
    assert tuyamcu.config.get("initCommandLine") == "backlog startDriver TuyaMCU; tuyaMcu_setBaudRate 115200"
    assert tuyamcu.mapping["pins"] == [] and any("user_param_key" in n for n in tuyamcu.mapping["notes"])


def test_new_cli(tmp_path: Path) -> None:
    p = real_path("bk7231t", "BK7231T_TuyaConfig_PC44HA.bin")
    out = tmp_path / "cfg.bin"
    r = CliRunner().invoke(
        cli, ["obk-config", "new", "--from-tuya", str(p), "-o", str(out), "--json", "--name", "plug"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    validate_schema(doc, "obk-config-new.v1")
    assert doc["chip"] == "BK7231T" and doc["names"]["short_name"] == "plug"
    cfg = oc.ObkConfig.parse(out.read_bytes(), strict=True)
    assert cfg.get("shortDeviceName") == "plug" and cfg.crc_variant == "signed"
    assert doc["uncertain"] == []
    pins = {m["key"]: (m["gpio"], m["role_name"]) for m in doc["pins"]}
    assert pins["sel_pin_pin"] == (24, "IOR_BL0937_SEL_n")  # sel_pin_lv=0
    txt = CliRunner().invoke(
        cli, ["obk-config", "new", "--from-tuya", str(p), "--chip", "BK7231T", "-o", str(tmp_path / "b.bin")]
    )
    assert txt.exit_code == 0 and "IOR_BL0937_SEL_n" in txt.stdout
    assert CliRunner().invoke(cli, ["obk-config", "new", "--from-tuya", str(p)]).exit_code == 2


def test_synthetic_tuya_image_wifi_and_upk(tmp_path: Path) -> None:
    """The synthetic Tuya vector: Wi-Fi copied from gw_wsm (base64), pins from its UPK; masked output."""
    from tests.conftest import fixture_path

    src = fixture_path("tuya", "tuya_bk7231n_2MB.bin.gz")
    exp = json.loads(fixture_path("tuya", "expected.json").read_text())["decoded"]
    out = tmp_path / "cfg.bin"
    r = CliRunner().invoke(cli, ["obk-config", "new", "--from-tuya", str(src), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    validate_schema(doc, "obk-config-new.v1")
    assert doc["wifi"]["password"] != exp["wifi_password"], "masked by default"
    cfg = oc.ObkConfig.parse(out.read_bytes(), strict=True)
    assert (cfg.get("wifi_ssid"), cfg.get("wifi_pass")) == (exp["wifi_ssid"], exp["wifi_password"])
    # the storage names the N platform and nothing else tells BK7231N, BK7231M and BL2028N apart: no chip
    # is named, and the config takes the layout of the OpenBK7231N build all three run
    assert cfg.crc_variant == "signed" and doc["chip"] == "unknown" and doc["platform"] == "BK7231N"
    assert set(doc["chip_candidates"]) == {"BK7231N", "BK7231M", "BL2028N"}
    pins = {p["gpio"]: (p["role_name"], p["channel"]) for p in doc["pins"]}
    assert pins == {6: ("IOR_Relay", 1), 7: ("IOR_Button", 1), 26: ("IOR_LED_WIFI_n", 0)}
    assert doc["uncertain"] == [] and doc["unknown"] == []
    shown = CliRunner().invoke(
        cli, ["obk-config", "new", "--from-tuya", str(src), "--json", "--show-secrets"]
    )
    wifi = json.loads(shown.stdout)["wifi"]
    assert (wifi["ssid"], wifi["password"]) == (exp["wifi_ssid"], exp["wifi_password"])
