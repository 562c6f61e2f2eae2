"""Every rule of the one Tuya -> OpenBeken pin table, against OpenBeken's role numbers.

Role numbers and meanings are OpenBeken's ``ioRole_e`` in ``src/new_pins.h`` (the enum order;
descriptions paraphrased from its ``iodetail`` comments). ``RCRecv`` (87) is not in the indexed
new_pins.h revision: its name is confirmed by ``drv_rc.cpp`` (``IOR_RCRecv``), its number comes from
the role list obkimg already carries (OBKRoles.cs).
"""

from __future__ import annotations

import pytest

from obkimg.formats.config import obk_config as oc
from obkimg.tuya_pins import ALTERNATE_CW_FLAG, PIN_RULES, label_pins, map_upk

# fmt: off
#: role name -> (number in ioRole_e, meaning in new_pins.h)
NEW_PINS_H = {
    "Relay": (1, "active-high relay"),
    "Relay_n": (2, "relay with inverted logic"),
    "Button": (3, "typical Tuya button, active low with pull-up"),
    "Button_n": (4, "button with inverted logic"),
    "LED": (5, "active-high LED"),
    "LED_n": (6, "LED with inverted logic"),
    "PWM": (7, "PWM output for LED dimming, channels in RGBCW order"),
    "LED_WIFI": (8, "Wi-Fi state LED"),
    "LED_WIFI_n": (9, "Wi-Fi state LED, inverted"),
    "Button_ToggleAll": (10, "button toggling all channels"),
    "Button_ToggleAll_n": (11, "toggle-all button, inverted"),
    "DigitalInput": (12, "digital input with pull-up, sets its channel"),
    "ToggleChannelOnToggle": (14, "toggles its channel when the pin changes (two-position switch)"),
    "BL0937_SEL": (17, "BL0937 SEL pin"),
    "BL0937_CF": (18, "BL0937 CF pin"),
    "BL0937_CF1": (19, "BL0937 CF1 pin"),
    "SM2135_DAT": (21, "SM2135 LED driver DAT"),
    "SM2135_CLK": (22, "SM2135 LED driver CLK"),
    "BP5758D_DAT": (23, "BP5758D LED driver DAT"),
    "BP5758D_CLK": (24, "BP5758D LED driver CLK"),
    "BP1658CJ_DAT": (25, "BP1658CJ LED driver DAT"),
    "BP1658CJ_CLK": (26, "BP1658CJ LED driver CLK"),
    "PWM_n": (27, "PWM with inverted duty"),
    "IRRecv": (28, "IR receiver"),
    "IRSend": (29, "IR sender"),
    "SM16703P_DIN": (37, "SM16703P addressable strip data in"),
    "SM2235_DAT": (52, "SM2235/SM2335 LED driver DAT"),
    "SM2235_CLK": (53, "SM2235/SM2335 LED driver CLK"),
    "BridgeForward": (54, "motor/relay bridge driver, forward"),
    "BridgeReverse": (55, "motor/relay bridge driver, reverse"),
    "BAT_ADC": (60, "ADC of the Battery driver"),
    "BAT_Relay": (61, "relay of the Battery driver"),
    "BL0937_SEL_n": (64, "inverted SEL for BL0937"),
    "BAT_Relay_n": (75, "Battery driver relay, inverted"),
    "RCRecv": (87, "433 MHz RF receiver (RC driver)"),
}

#: (rule, upk, {gpio: (role name, channel)}, uncertain keys)
CASES = [
    ("rlN_pin lv=1 -> Relay on channel N", {"rl1_pin": 6, "rl1_lv": 1}, {6: ("Relay", 1)}, []),
    ("rlN_pin lv=0 -> Relay_n", {"rl2_pin": 7, "rl2_lv": 0}, {7: ("Relay_n", 2)}, []),
    ("rlN_pin without lv: level unknown", {"rl3_pin": 8}, {}, ["rl3_pin"]),
    ("rl_onN/rl_offN -> BridgeForward/BridgeReverse on channel N",
     {"rl_on1_pin": 6, "rl_off1_pin": 7, "rl1_drvtime": 60},
     {6: ("BridgeForward", 1), 7: ("BridgeReverse", 1)}, []),
    ("btN_pin lv=0 -> Button", {"bt1_pin": 10, "bt1_lv": 0}, {10: ("Button", 1)}, []),
    ("btN_pin lv=1 -> Button_n", {"bt2_pin": 11, "bt2_lv": 1}, {11: ("Button_n", 2)}, []),
    ("bt_pin -> Button on the only relay's channel", {"bt_pin": 14, "rl1_pin": 6, "rl1_lv": 1},
     {14: ("Button", 1), 6: ("Relay", 1)}, []),
    ("bt_pin bt_lv=1 -> Button_n", {"bt_pin": 14, "bt_lv": 1}, {14: ("Button_n", 0)}, []),
    ("total_bt_pin lv=0 -> Button_ToggleAll", {"total_bt_pin": 7, "total_bt_lv": 0},
     {7: ("Button_ToggleAll", 0)}, []),
    ("total_bt_pin lv=1 -> Button_ToggleAll_n", {"total_bt_pin": 7, "total_bt_lv": 1},
     {7: ("Button_ToggleAll_n", 0)}, []),
    ("ledN_pin lv=1 -> LED", {"led1_pin": 12, "led1_lv": 1}, {12: ("LED", 1)}, []),
    ("ledN_pin lv=0 -> LED_n", {"led2_pin": 13, "led2_lv": 0}, {13: ("LED_n", 2)}, []),
    ("netledN_pin lv=1 -> LED_WIFI", {"netled1_pin": 8, "netled1_lv": 1}, {8: ("LED_WIFI", 0)}, []),
    ("netled_pin lv=0 -> LED_WIFI_n", {"netled_pin": 22, "netled_lv": 0}, {22: ("LED_WIFI_n", 0)}, []),
    ("wfst_pin lv=0 -> LED_WIFI_n", {"wfst_pin": 22, "wfst_lv": 0}, {22: ("LED_WIFI_n", 0)}, []),
    ("status_led_pin lv=1 -> LED_WIFI", {"status_led_pin": 9, "status_led_lv": 1}, {9: ("LED_WIFI", 0)}, []),
    ("status_led_pin lv=0 -> LED_WIFI_n", {"status_led_pin": 9, "status_led_lv": 0},
     {9: ("LED_WIFI_n", 0)}, []),
    ("netled without lv: level unknown", {"netled1_pin": 9}, {}, ["netled1_pin"]),
    ("RGBCW PWM -> PWM channels 1..5, lv=0 -> PWM_n",
     {"r_pin": 26, "r_lv": 1, "g_pin": 24, "g_lv": 1, "b_pin": 6, "b_lv": 1, "c_pin": 8, "c_lv": 1,
      "w_pin": 7, "w_lv": 0, "dmod": 0},
     {26: ("PWM", 1), 24: ("PWM", 2), 6: ("PWM", 3), 8: ("PWM", 4), 7: ("PWM_n", 5)}, []),
    ("RGBCW with cwtype=1: w is temperature (4), c brightness (5)",
     {"r_pin": 1, "r_lv": 1, "g_pin": 2, "g_lv": 1, "b_pin": 3, "b_lv": 1, "c_pin": 4, "c_lv": 1, "w_pin": 5,
      "w_lv": 1, "cwtype": 1},
     {1: ("PWM", 1), 2: ("PWM", 2), 3: ("PWM", 3), 4: ("PWM", 5), 5: ("PWM", 4)}, []),
    ("CW light (two PWMs) -> channels 1 and 2 (CW mode)", {"c_pin": 8, "c_lv": 1, "w_pin": 9, "w_lv": 1},
     {8: ("PWM", 1), 9: ("PWM", 2)}, []),
    ("CW light with cwtype=1 -> w (temperature) 1, c (brightness) 2",
     {"c_pin": 8, "c_lv": 1, "w_pin": 9, "w_lv": 1, "cwtype": 1}, {9: ("PWM", 1), 8: ("PWM", 2)}, []),
    ("PWM pins with an LED driver dmod are not PWM", {"c_pin": 8, "c_lv": 1, "dmod": 5}, {}, ["c_pin"]),
    ("BL0937 sel lv=1 -> BL0937_SEL, CF, CF1",
     {"sel_pin_pin": 24, "sel_pin_lv": 1, "ele_pin": 7, "vi_pin": 6, "chip_type": 0},
     {24: ("BL0937_SEL", 0), 7: ("BL0937_CF", 0), 6: ("BL0937_CF1", 0)}, []),
    ("BL0937 sel lv=0 -> BL0937_SEL_n (the driver starts with SEL or SEL_n)",
     {"sel_pin_pin": 24, "sel_pin_lv": 0, "ele_pin": 7, "vi_pin": 8, "chip_type": 1},
     {24: ("BL0937_SEL_n", 0), 7: ("BL0937_CF", 0), 8: ("BL0937_CF1", 0)}, []),
    ("chip_type 3 (BL0942 on the UART): no BL0937 pins", {"ele_pin": 7, "chip_type": 3}, {}, ["ele_pin"]),
    ("infrr / irpin / ir -> IRRecv, infre -> IRSend", {"infrr": 20, "infre": 21}, {20: ("IRRecv", 0),
     21: ("IRSend", 0)}, []),
    ("ir -> IRRecv", {"ir": 8}, {8: ("IRRecv", 0)}, []),
    ("irpin -> IRRecv", {"irpin": 20}, {20: ("IRRecv", 0)}, []),
    ("remote_io -> RCRecv", {"remote_io": 20}, {20: ("RCRecv", 0)}, []),
    ("onoffN -> ToggleChannelOnToggle on channel N", {"onoff1": 26, "rl1_pin": 6, "rl1_lv": 1},
     {26: ("ToggleChannelOnToggle", 1), 6: ("Relay", 1)}, []),
    ("basic_pin_pin -> DigitalInput on a free channel", {"basic_pin_pin": 14}, {14: ("DigitalInput", 1)}, []),
    ("doorN_magt_pin -> DigitalInput, never on a relay's channel",
     {"door1_magt_pin": 9, "rl1_pin": 6, "rl1_lv": 1}, {9: ("DigitalInput", 2), 6: ("Relay", 1)}, []),
    ("samp_pin -> BAT_ADC, samp_sw_pin -> BAT_Relay", {"samp_pin": 23, "samp_sw_pin": 20},
     {23: ("BAT_ADC", 0), 20: ("BAT_Relay", 0)}, []),
    ("samp_sw_pin active low: BAT_Relay_n only suggested", {"samp_sw_pin": 20, "samp_sw_lv": 0}, {},
     ["samp_sw_pin"]),
    ("mosi -> SM16703P_DIN", {"mosi": 16}, {16: ("SM16703P_DIN", 0)}, []),
    ("iic* dmod 5 -> BP1658CJ", {"iicscl": 26, "iicsda": 24, "dmod": 5},
     {24: ("BP1658CJ_DAT", 0), 26: ("BP1658CJ_CLK", 0)}, []),
    ("iic* dmod 6 -> BP5758D", {"iicscl": 26, "iicsda": 24, "dmod": 6},
     {24: ("BP5758D_DAT", 0), 26: ("BP5758D_CLK", 0)}, []),
    ("iic* dmod 2 -> SM2135", {"iicscl": 26, "iicsda": 24, "dmod": 2},
     {24: ("SM2135_DAT", 0), 26: ("SM2135_CLK", 0)}, []),
    ("iic* dmod 7 -> SM2235", {"iicscl": 26, "iicsda": 24, "dmod": 7},
     {24: ("SM2235_DAT", 0), 26: ("SM2235_CLK", 0)}, []),
    ("iic* dmod 1 (SM16726B): no OpenBeken role", {"iicscl": 26, "iicsda": 24, "dmod": 1}, {},
     ["iicscl", "iicsda"]),
    ("GPIO outside the layout", {"rl1_pin": 40, "rl1_lv": 1}, {}, ["rl1_pin"]),
    ("declined: key_pin, k2pin_pin, ctrl_pin, micpin, miso, SCL, CS, reset_pin",
     {"key_pin": 22, "key_lv": 0, "k2pin_pin": 24, "k2pin_lv": 0, "ctrl_pin": 26, "ctrl_lv": 1, "micpin": 23,
      "miso": 17, "SCL": 14, "CS": 15, "reset_pin": 8},
     {}, ["key_pin", "k2pin_pin", "ctrl_pin", "micpin", "miso", "SCL", "CS", "reset_pin"]),
]
# fmt: on


def test_role_table_matches_new_pins_h() -> None:
    for name, (number, _meaning) in NEW_PINS_H.items():
        assert oc.role_number(name) == number, name
        assert oc.ROLE_NAMES[number] == f"IOR_{name}"


def test_every_role_the_table_can_assign_is_cited() -> None:
    for rule in PIN_RULES:
        for role in (rule.high, rule.low, rule.suggest_low):
            if role is not None:
                assert role in NEW_PINS_H, (rule.pattern, role)


@pytest.mark.parametrize("rule, upk, pins, uncertain", CASES, ids=[c[0] for c in CASES])
def test_rule(rule: str, upk: dict, pins: dict, uncertain: list) -> None:
    m = map_upk({**upk, "module": "CB2S", "crc": 1, "Jsonver": "1.1.0"})
    got = {p["gpio"]: (p["role_name"][4:], p["channel"]) for p in m["pins"]}
    assert got == pins, rule
    for p in m["pins"]:
        assert p["role"] == NEW_PINS_H[p["role_name"][4:]][0]
    assert sorted(u["key"] for u in m["uncertain"]) == sorted(uncertain)
    assert m["unknown"] == [] and m["conflicts"] == []


def test_declined_keys_carry_a_reason_and_suggestion() -> None:
    m = map_upk({"key_pin": 22, "k2pin_pin": 24, "ctrl_pin": 26, "reset_pin": 8})
    by = {u["key"]: u for u in m["uncertain"]}
    assert by["key_pin"]["suggestion"] == by["k2pin_pin"]["suggestion"] == "Button"
    assert by["ctrl_pin"]["suggestion"] is None and "not documented" in by["ctrl_pin"]["reason"]
    assert m["pins"] == []


def test_settings_pwm_frequency_alternate_cw_bl0942_bridge_led_map() -> None:
    cw = map_upk({"c_pin": 8, "c_lv": 1, "w_pin": 9, "w_lv": 1, "cwtype": 1, "pwmhz": 3000})["settings"]
    assert cw["pwm_frequency"] == 3000 and cw["flags"] == [ALTERNATE_CW_FLAG] == [8]
    assert oc.FLAG_NAMES[ALTERNATE_CW_FLAG] == "LED_ALTERNATE_CW_MODE"
    assert map_upk({"c_pin": 8, "c_lv": 1, "w_pin": 9, "w_lv": 1, "cwtype": 0})["settings"]["flags"] == []
    meter = map_upk({"chip_type": 3, "rl1_pin": 6, "rl1_lv": 1})["settings"]
    assert meter["drivers"] == ["BL0942"] and meter["meter"] == "BL0942"
    bridge = map_upk({"rl_on1_pin": 6, "rl_off1_pin": 7, "rl1_drvtime": 60})["settings"]
    assert bridge["drivers"] == ["Bridge"] and bridge["bridge_pulse_ms"] == 60
    order = {"iicr": 2, "iicg": 1, "iicb": 0, "iicc": 4, "iicw": 3}
    led = map_upk({"iicscl": 26, "iicsda": 24, "dmod": 5, **order})
    assert led["settings"]["led_driver"] == "BP1658CJ" and led["settings"]["led_map"] == [2, 1, 0, 4, 3]
    # no Tuya order, or not a permutation: the firmware default (led_map None -> ledRemap all zeros)
    assert map_upk({"iicscl": 26, "iicsda": 24, "dmod": 6})["settings"]["led_map"] is None
    zeros = {"iicr": 0, "iicg": 0, "iicb": 0, "iicc": 0, "iicw": 0}
    bad = map_upk({"iicscl": 26, "iicsda": 24, "dmod": 6, **zeros})
    assert bad["settings"]["led_map"] is None and any("permutation" in n for n in bad["notes"])


def test_conflict_and_unknown_keys() -> None:
    m = map_upk({"rl1_pin": 6, "rl1_lv": 1, "led1_pin": 6, "led1_lv": 1, "frobnicate": 3, "sel_pin_pin": 5})
    assert m["conflicts"] == [{"key": "led1_pin", "gpio": 6, "taken_by": "rl1_pin"}]
    assert m["unknown"] == ["frobnicate"]
    sel = next(u for u in m["uncertain"] if u["key"] == "sel_pin_pin")
    assert "sel_pin_lv" in sel["reason"] and "BL0937_SEL_n" in sel["suggestion"]
    assert map_upk({"bt1_pin": "x", "bt1_lv": 0})["uncertain"][0]["reason"].startswith("value")


def test_tuya_keys_labels_come_from_the_same_table() -> None:
    upk = {"bt_pin": 14, "onoff1": 26, "ir": 8, "rl1_pin": 6, "rl1_lv": 1, "mosi": 16, "foo_pin": 3}
    labels = {p["key"]: p["role"] for p in label_pins(upk)}
    assert labels == {
        "bt_pin": "button",
        "onoff1": "toggle-switch",
        "ir": "ir-receiver",
        "rl1_pin": "relay",
        "mosi": "spi-mosi",
        "foo_pin": None,
    }
    m = {p["key"] for p in map_upk(upk)["pins"]}
    assert {"bt_pin", "onoff1", "ir", "rl1_pin", "mosi"} <= m


@pytest.mark.parametrize(
    "upk",
    [
        {"rl0_pin": 6, "rl0_lv": 1},  # Tuya numbers relays, buttons and LEDs from 1
        {"rl99_pin": 6, "rl99_lv": 1},  # OpenBeken has channels 0..63 (CHANNEL_MAX 64, new_pins.h)
        {"bt64_pin": 6, "bt64_lv": 0},
        {"onoff70": 6},
        {"door0_magt_pin": 6},
    ],
)
def test_a_numbered_key_outside_openbekens_channels_is_left_unset(upk: dict[str, int]) -> None:
    """Seen: `rl99_pin` became a relay on channel 99 and `rl0_pin` one on channel 0: neither is a
    channel the Tuya keys prove (OpenBeken ignores channels past 63)."""
    m = map_upk(upk)
    assert m["pins"] == [] and len(m["uncertain"]) == 1, m
    assert "channel" in m["uncertain"][0]["reason"]


def test_numbered_keys_inside_the_channels_still_map() -> None:
    m = map_upk({"rl1_pin": 6, "rl1_lv": 1, "rl63_pin": 7, "rl63_lv": 1, "door_magt_pin": 8})
    assert sorted(p["channel"] for p in m["pins"]) == [1, 2, 63]
