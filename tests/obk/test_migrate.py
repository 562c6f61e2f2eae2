"""Tuya -> OpenBeken migration: every mapping rule against the role numbers, and every real dump."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.errors import ObkImgError
from obkimg.formats import obk_config as oc
from obkimg.obk import PIN_RULES, map_upk, new_from_tuya, recover_config
from tests.conftest import real_files, real_path, validate_schema

# fmt: off
# role numbers: spec B1 (0..9) and new_pins.h order for the rest
SPEC_ROLES = {"Relay": 1, "Relay_n": 2, "Button": 3, "Button_n": 4, "LED": 5, "LED_n": 6, "PWM": 7,
              "LED_WIFI": 8, "LED_WIFI_n": 9, "Button_ToggleAll": 10, "Button_ToggleAll_n": 11,
              "BL0937_SEL": 17, "BL0937_CF": 18, "BL0937_CF1": 19, "SM2135_DAT": 21, "SM2135_CLK": 22,
              "BP5758D_DAT": 23, "BP5758D_CLK": 24, "BP1658CJ_DAT": 25, "BP1658CJ_CLK": 26, "PWM_n": 27,
              "IRRecv": 28, "IRSend": 29, "SM2235_DAT": 52, "SM2235_CLK": 53, "BL0937_SEL_n": 64}

# (upk, expected pins {gpio: (role number, channel)}, expected uncertain keys)
CASES = [
    ({"rl1_pin": 6, "rl1_lv": 1}, {6: (1, 1)}, []),
    ({"rl2_pin": 7, "rl2_lv": 0}, {7: (2, 2)}, []),
    ({"rl3_pin": 8}, {}, ["rl3_pin"]),  # no level: uncertain, not guessed
    ({"bt1_pin": 10, "bt1_lv": 0}, {10: (3, 1)}, []),  # IOR_Button is the active-low button
    ({"bt2_pin": 11, "bt2_lv": 1}, {11: (4, 2)}, []),
    ({"led1_pin": 12, "led1_lv": 1}, {12: (5, 1)}, []),
    ({"led2_pin": 13, "led2_lv": 0}, {13: (6, 2)}, []),
    ({"netled1_pin": 8, "netled1_lv": 1}, {8: (8, 0)}, []),
    ({"netled_pin": 22, "netled_lv": 0}, {22: (9, 0)}, []),
    ({"wfst_pin": 22, "wfst_lv": 0}, {22: (9, 0)}, []),
    ({"netled1_pin": 9}, {}, ["netled1_pin"]),
    ({"total_bt_pin": 7, "total_bt_lv": 0}, {7: (10, 0)}, []),
    ({"total_bt_pin": 7, "total_bt_lv": 1}, {7: (11, 0)}, []),
    ({"r_pin": 26, "r_lv": 1, "g_pin": 24, "g_lv": 1, "b_pin": 6, "b_lv": 1, "c_pin": 8, "c_lv": 1,
      "w_pin": 7, "w_lv": 0, "dmod": 0}, {26: (7, 1), 24: (7, 2), 6: (7, 3), 8: (7, 4), 7: (27, 5)}, []),
    ({"c_pin": 8, "c_lv": 1, "dmod": 5}, {}, ["c_pin"]),  # driver chip, not PWM
    ({"sel_pin_pin": 24, "sel_pin_lv": 1, "ele_pin": 7, "vi_pin": 6, "chip_type": 0},
     {24: (17, 0), 7: (18, 0), 6: (19, 0)}, []),
    ({"sel_pin_pin": 24, "sel_pin_lv": 0, "ele_pin": 7, "vi_pin": 8, "chip_type": 1},
     {7: (18, 0), 8: (19, 0)}, ["sel_pin_pin"]),  # active-low SEL: only suggested
    ({"ele_pin": 7, "chip_type": 4}, {}, ["ele_pin"]),  # BL0942 is a UART meter
    ({"infrr": 20, "infre": 21}, {20: (28, 0), 21: (29, 0)}, []),
    ({"iicscl": 26, "iicsda": 24, "dmod": 5}, {24: (25, 0), 26: (26, 0)}, []),
    ({"iicscl": 26, "iicsda": 24, "dmod": 6}, {24: (23, 0), 26: (24, 0)}, []),
    ({"iicscl": 26, "iicsda": 24, "dmod": 2}, {24: (21, 0), 26: (22, 0)}, []),
    ({"iicscl": 26, "iicsda": 24, "dmod": 7}, {24: (52, 0), 26: (53, 0)}, []),
    ({"iicscl": 26, "iicsda": 24, "dmod": 1}, {}, ["iicscl", "iicsda"]),  # SM16726B: unknown to OBK
    ({"rl1_pin": 40, "rl1_lv": 1}, {}, ["rl1_pin"]),  # outside the 32-pin layout
    ({"rl_on1_pin": 6, "rl_off1_pin": 7, "reset_pin": 8, "door1_magt_pin": 9, "k2pin_pin": 10},
     {}, ["rl_on1_pin", "rl_off1_pin", "reset_pin", "door1_magt_pin", "k2pin_pin"]),
]
# fmt: on


@pytest.mark.parametrize("upk, pins, uncertain", CASES)
def test_mapping_rules(upk: dict, pins: dict, uncertain: list) -> None:
    m = map_upk({**upk, "module": "CB2S", "crc": 1, "Jsonver": "1.1.0"})
    assert {p["gpio"]: (p["role"], p["channel"]) for p in m["pins"]} == pins
    assert sorted(u["key"] for u in m["uncertain"]) == sorted(uncertain)
    for p in m["pins"]:
        assert SPEC_ROLES[p["role_name"][4:]] == p["role"] == oc.role_number(p["role_name"])
    assert m["unknown"] == [] and {"module", "crc", "Jsonver"} <= set(m["not_mapped"])


def test_every_rule_role_matches_spec_numbers() -> None:
    for rule in PIN_RULES:
        for role in (rule.high, rule.low, rule.suggest_low):
            if role is not None:
                assert oc.role_number(role) == SPEC_ROLES[role], role


def test_conflicts_unknown_and_suggestions() -> None:
    m = map_upk({"rl1_pin": 6, "rl1_lv": 1, "led1_pin": 6, "led1_lv": 1, "frobnicate": 3, "sel_pin_pin": 5})
    assert m["conflicts"] == [{"key": "led1_pin", "gpio": 6, "taken_by": "rl1_pin"}]
    assert m["unknown"] == ["frobnicate"]
    sel = next(u for u in m["uncertain"] if u["key"] == "sel_pin_pin")
    assert "sel_pin_lv" in sel["reason"] and sel["suggestion"]
    assert map_upk({"bt1_pin": "x", "bt1_lv": 0})["uncertain"][0]["reason"].startswith("value")


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
        assert cfg.crc_valid and cfg.crc_variant == oc.chip_info(res.chip).variant, p.name
        assert cfg.config.version == 5
        roles, chans = cfg.config.get("roles"), cfg.config.get("channels")
        doc = res.to_dict(show_secrets=False)
        validate_schema(doc, "obk-config-new.v1")
        mapped = {m["key"] for m in doc["pins"]}
        for m in doc["pins"]:
            assert (roles[m["gpio"]], chans[m["gpio"]]) == (m["role"], m["channel"]), p.name
        # every key with a certain rule and a 0/1 level is mapped (or reported as a conflict)
        conflicts = {c["key"] for c in doc["conflicts"]}
        for key in keys.upk:
            for rule in PIN_RULES:
                import re

                m = re.fullmatch(rule.pattern, key)
                if m and rule.level:
                    lv = rule.level.format(n=m.groupdict().get("n") or "", x=m.groupdict().get("x", ""))
                    if keys.upk.get(lv) == 1 or (keys.upk.get(lv) == 0 and rule.low):
                        assert key in mapped | conflicts or any(u["key"] == key for u in doc["uncertain"]), (
                            p.name,
                            key,
                        )
                if m:
                    break
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
    assert [u["key"] for u in doc["uncertain"]] == ["remote_io"]
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
    assert [u["key"] for u in doc["uncertain"]] == ["sel_pin_pin"]
    txt = CliRunner().invoke(
        cli, ["obk-config", "new", "--from-tuya", str(p), "--chip", "BK7231T", "-o", str(tmp_path / "b.bin")]
    )
    assert txt.exit_code == 0 and "UNCERTAIN sel_pin_pin" in txt.stdout
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
    assert cfg.crc_variant == "signed" and doc["chip"] == "BK7231N"
    pins = {p["gpio"]: (p["role_name"], p["channel"]) for p in doc["pins"]}
    assert pins == {6: ("IOR_Relay", 1), 7: ("IOR_Button", 1), 26: ("IOR_LED_WIFI_n", 0)}
    assert doc["uncertain"] == [] and doc["unknown"] == []
    shown = CliRunner().invoke(
        cli, ["obk-config", "new", "--from-tuya", str(src), "--json", "--show-secrets"]
    )
    wifi = json.loads(shown.stdout)["wifi"]
    assert (wifi["ssid"], wifi["password"]) == (exp["wifi_ssid"], exp["wifi_password"])
