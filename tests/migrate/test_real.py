"""Every real dump with a Tuya storage: the plan and all four forms, judged by an independent oracle.

The oracle below is written from ``specs/pin-anchors.md`` ("supported reading" column), not from
obkimg's table: on every dump with a ``user_param_key``, pins left unset that have a settled role
and wrong assignments must both be 0. Nothing of a dump's secrets is printed or compared in a way a
failure message could show.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from obkimg.errors import ObkImgError
from obkimg.formats.config import obk_config as oc
from obkimg.migrate import plan, render, render_config, render_template
from tests.conftest import REAL, real_files, validate_schema
from tests.migrate._yaml import load_esphome

DECLINED = re.compile(r"key_pin|k\d+pin_pin|ctrl_pin|micpin|mic|miso|SCL|CS|reset_pin")
DRIVER_ROLES = {2: "SM2135", 3: "SM2135", 4: "SM2135", 5: "BP1658CJ", 6: "BP5758D", 7: "SM2235"}


def _lv(upk: dict[str, Any], key: str) -> int | None:
    v = upk.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) and v in (0, 1) else None


def oracle(key: str, upk: dict[str, Any]) -> str | None:  # noqa: C901 - a flat reading of the spec table
    """The settled OpenBeken role (name without IOR_) of one UPK key, or None when none is settled."""
    dmod, chip_type = upk.get("dmod"), upk.get("chip_type")
    if m := re.fullmatch(r"rl(\d+)_pin", key):
        lv = _lv(upk, f"rl{m[1]}_lv")
        return None if lv is None else ("Relay" if lv else "Relay_n")
    if re.fullmatch(r"rl_on\d+_pin", key):
        return "BridgeForward"
    if re.fullmatch(r"rl_off\d+_pin", key):
        return "BridgeReverse"
    if m := re.fullmatch(r"bt(\d+)_pin", key):
        lv = _lv(upk, f"bt{m[1]}_lv")
        return None if lv is None else ("Button_n" if lv else "Button")
    if key == "bt_pin":
        return "Button_n" if _lv(upk, "bt_lv") == 1 else "Button"
    if key == "total_bt_pin":
        lv = _lv(upk, "total_bt_lv")
        return None if lv is None else ("Button_ToggleAll_n" if lv else "Button_ToggleAll")
    for pat, lvk in (
        (r"netled(\d*)_pin", "netled{}_lv"),
        (r"wfst(?:_pin)?()", "wfst_lv"),
        (r"status_led_pin()", "status_led_lv"),
    ):
        if m := re.fullmatch(pat, key):
            lv = _lv(upk, lvk.format(m[1]))
            return None if lv is None else ("LED_WIFI" if lv else "LED_WIFI_n")
    if m := re.fullmatch(r"led(\d+)_pin", key):
        lv = _lv(upk, f"led{m[1]}_lv")
        return None if lv is None else ("LED" if lv else "LED_n")
    if re.fullmatch(r"door\d*_magt_pin|basic_pin_pin", key):
        return "DigitalInput"
    if re.fullmatch(r"onoff\d+", key):
        return "ToggleChannelOnToggle"
    if key == "samp_pin":
        return "BAT_ADC"
    if key == "samp_sw_pin":
        return None if _lv(upk, "samp_sw_lv") == 0 else "BAT_Relay"
    if key in ("ele_pin", "epin", "vi_pin", "ivpin", "sel_pin_pin"):
        if chip_type not in (None, 0, 1):
            return None
        if key == "sel_pin_pin":
            lv = _lv(upk, "sel_pin_lv")
            return None if lv is None else ("BL0937_SEL" if lv else "BL0937_SEL_n")
        return "BL0937_CF" if key in ("ele_pin", "epin") else "BL0937_CF1"
    if re.fullmatch(r"[rgbcw]_pin", key):
        lv = _lv(upk, key[0] + "_lv")
        return None if dmod not in (None, 0) or lv is None else ("PWM" if lv else "PWM_n")
    if key in ("irpin", "infrr", "ir"):
        return "IRRecv"
    if key == "infre":
        return "IRSend"
    if key == "remote_io":
        return "RCRecv"
    if key == "mosi":
        return "SM16703P_DIN"
    if key in ("iicsda", "iicscl") and dmod in DRIVER_ROLES:
        return DRIVER_ROLES[dmod] + ("_DAT" if key == "iicsda" else "_CLK")
    return None


_PLANS: dict[Path, Any] = {}


def _plan(p: Path) -> Any:
    if p not in _PLANS:
        _PLANS[p] = plan(p)
    return _PLANS[p]


def pwm_channel(colour: str, upk: dict[str, Any]) -> int:
    """OpenBeken's LED code drives RGBCW component i on first channel + i; with two PWMs (CW mode) C/W
    on the first two channels (older firmwares take the first channel as 0 or 1 only); with the
    alternate CW flag (Tuya cwtype=1) the temperature (w) comes first, then the brightness (c)."""
    colours = {x for x in "rgbcw" if f"{x}_pin" in upk}
    alt = upk.get("cwtype") == 1
    if colours == {"c", "w"}:
        order = "wc" if alt else "cw"
        return order.index(colour) + 1
    if len(colours) == 1:
        return 1
    order = "rgbwc" if alt and {"c", "w"} <= colours else "rgbcw"
    return order.index(colour) + 1


def _dumps() -> list[tuple[Path, Any]]:
    from obkimg.tuya import extract_keys

    out = []
    for p in real_files():
        try:
            keys = extract_keys(p)
        except ObkImgError:
            continue
        out.append((p, keys))
    return out


@pytest.fixture(scope="module")
def dumps() -> list[tuple[Path, Any]]:
    found = _dumps()
    if not found:
        pytest.skip(f"real fixtures absent ({REAL})")
    return found


def judge(p: Path, keys: Any) -> dict[str, Any]:
    """Counts for one dump: pin keys, mapped, uncertain, unset-but-settled, wrong."""
    mp = _plan(p)
    upk = keys.upk or {}
    by_key = {a.key: a for a in mp.pins}
    pin_keys = [
        k
        for k in upk
        if oracle(k, upk) is not None
        or DECLINED.fullmatch(k)
        or k in by_key
        or k in {u.key for u in mp.uncertain}
    ]
    unset, wrong = [], []
    relay_channels = {a.channel for a in mp.pins if a.role_name in ("IOR_Relay", "IOR_Relay_n")}
    for k in pin_keys:
        want = oracle(k, upk)
        got = by_key.get(k)
        if want is None:
            if got is not None:
                wrong.append(k)  # a declined / unsettled key was assigned
            continue
        if got is None:
            unset.append(k)
            continue
        if got.role_name != f"IOR_{want}" or got.gpio != upk[k]:
            wrong.append(k)
        elif m := re.fullmatch(r"(?:rl|bt|led)(\d+)_pin|onoff(\d+)|rl_o(?:n|ff)(\d+)_pin", k):
            if got.channel != int(next(g for g in m.groups() if g)):
                wrong.append(k)
        elif want == "DigitalInput" and got.channel in relay_channels:
            wrong.append(k)  # never a sensor on a relay's channel
        elif want in ("PWM", "PWM_n") and got.channel != pwm_channel(k[0], upk):
            wrong.append(k)
    return {
        "name": p.name,
        "pins": len(pin_keys),
        "mapped": len(mp.pins),
        "uncertain": len(mp.uncertain),
        "unset_settled": unset,
        "wrong": wrong,
        "plan": mp,
    }


def test_every_dump_with_upk_no_unset_settled_pin_and_no_wrong_assignment(dumps: list) -> None:
    with_upk = [(p, k) for p, k in dumps if isinstance(k.upk, dict)]
    assert len(with_upk) >= 20
    results = [judge(p, k) for p, k in with_upk]
    unset = [(r["name"], r["unset_settled"]) for r in results if r["unset_settled"]]
    assert unset == []
    assert sum(len(r["wrong"]) for r in results) == 0, [(r["name"], r["wrong"]) for r in results]
    assert sum(r["pins"] for r in results) >= 100


def test_every_dump_with_a_storage_migrates_in_every_form(dumps: list) -> None:
    """TuyaMCU dumps included: no 'cannot tell the chip', the config always written."""
    assert len(dumps) >= 30
    for p, keys in dumps:
        mp = _plan(p)
        cfg = render_config(mp)
        back = oc.ObkConfig.parse(cfg.build(), strict=True)
        assert back.crc_valid and back.version == 5
        roles = back.get("roles")
        for a in mp.pins:
            assert roles[a.gpio] == a.role
        assert sum(1 for r in roles if r) == len(mp.pins)
        if keys.wifi.get("ssid") and mp.wifi_ssid:
            assert back.get("wifi_ssid") == str(keys.wifi["ssid"]), "ssid differs"  # never printed
        tpl = render_template(mp)
        validate_schema(tpl, "obk-template.v1")
        assert set(tpl["pins"]) == set(tpl["pin_sources"]) == {str(a.gpio) for a in mp.pins}
        validate_schema(mp.to_dict(), "migrate.v1")
        text = render(mp, "commands").decode()
        for a in mp.pins:
            assert f"SetPinRole {a.gpio} {a.short_role};" in text.replace("\n", ";")
            assert a.source in text
        if mp.chip in ("BK7231N", "BK7231T"):
            doc = load_esphome(render(mp, "esphome"))
            assert doc["esphome"]["name"] and ("bk72xx" in doc)
        if keys.device.get("tuya_mcu_baud"):
            assert mp.chip is not None, p.name  # the bootloader/app tell it when the storage does not
            assert f"tuyaMcu_setBaudRate {keys.device['tuya_mcu_baud']}" in back.get("initCommandLine")


def test_coverage_table(dumps: list, capsys: pytest.CaptureFixture[str]) -> None:
    """The per-dump coverage table (file name and counts only; no secret) for the issue note."""
    rows = [judge(p, k) for p, k in dumps if isinstance(k.upk, dict)]
    lines = ["| dump | pins | mapped | uncertain |", "|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['pins']} | {r['mapped']} | {r['uncertain']} |" for r in rows]
    total = [sum(r[k] for r in rows) for k in ("pins", "mapped", "uncertain")]
    lines.append(f"| **{len(rows)} dumps** | {total[0]} | {total[1]} | {total[2]} |")
    print("\n".join(lines))
    assert total[1] + total[2] <= total[0] + 2  # I2C drivers count two pins for one pair of keys
    assert "password" not in capsys.readouterr().out.lower()


def test_known_devices(dumps: list) -> None:
    named = {p.name: p for p, _ in dumps}
    need = [
        "BK7231T_TuyaConfig_PC44HA.bin",
        "Lepro_WiFi_Smart_Bulb_GU10_RGBW_902002-eu-2.bin",
        "Allegro_Berge_MI0014_30_x_5_cm_Milio.bin",
        "golden_vault-8710-kvstorage-bk7238.bin.gz",
        "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin",
    ]
    if any(n not in named for n in need):
        pytest.skip("a named real dump is absent")
    pc44 = _plan(named[need[0]])
    assert {a.key: a.role_name for a in pc44.pins}["sel_pin_pin"] == "IOR_BL0937_SEL_n"
    lepro = _plan(named[need[1]])
    assert lepro.led_driver == "BP1658CJ" and lepro.led_map == (2, 1, 0, 4, 3)
    assert render_config(lepro).get("ledRemap") == [2, 1, 0, 4, 3]
    assert "LED_Map 2 1 0 4 3" in render_template(lepro)["command"]
    allegro = _plan(named[need[2]])
    assert allegro.flags == (8,) and allegro.pwm_frequency == 3000
    chans = {a.key: a.channel for a in allegro.pins}
    assert chans == {"r_pin": 1, "g_pin": 2, "b_pin": 3, "c_pin": 5, "w_pin": 4}
    cfg = render_config(allegro)
    assert cfg.get("genericFlags") & (1 << 8) and "PWMFrequency 3000" in cfg.get("initCommandLine")
    assert cfg.get("ledRemap") == [0, 0, 0, 0, 0]  # PWM light: the firmware default
    bl0942 = _plan(named[need[3]])
    assert "startDriver BL0942" in bl0942.startup_line()
    arlec = _plan(named[need[4]])
    declined = {"micpin", "miso", "ctrl_pin", "k2pin_pin", "k3pin_pin", "key_pin", "CS", "SCL"}
    assert {u.key for u in arlec.uncertain} == declined
    assert {a.key: a.role_name for a in arlec.pins}["mosi"] == "IOR_SM16703P_DIN"


def test_tuya_keys_json_labels_every_pin_key(dumps: list) -> None:
    """tuya-keys uses the same table: onoff1 and ir are labelled, bt_pin-style keys too."""
    for p, keys in dumps:
        labelled = {x["key"]: x["role"] for x in keys.pins}
        for k in keys.upk or {}:
            if oracle(k, keys.upk) is not None:
                assert labelled.get(k), (p.name, k)
        json.dumps(keys.to_dict(show_secrets=False)["pins"])
