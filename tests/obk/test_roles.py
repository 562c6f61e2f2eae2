"""The pin role is a typed value (PinRole) wherever a role number is produced, and a number in JSON."""

from __future__ import annotations

import json

from obkimg.formats.config.obk_enums import PinRole, role_name, role_number, role_of
from obkimg.model import jsonable
from obkimg.tuya_pins import map_upk
from tests.obk.helpers import SECTOR_FIXTURE, obk_fixture


def test_role_number_gives_a_pin_role() -> None:
    assert role_number("Relay") is PinRole.IOR_Relay and role_number("ior_button_n") is PinRole.IOR_Button_n
    assert role_number(7) is PinRole.IOR_PWM and role_number("0x1") is PinRole.IOR_Relay
    assert role_of(200) == 200 and type(role_of(200)) is int and role_name(200) == "IOR_200"
    assert f"{PinRole.IOR_Relay}" == "1" and json.dumps(jsonable({"r": PinRole.IOR_Relay})) == '{"r": 1}'


def test_config_roles_are_pin_roles_and_json_numbers() -> None:
    from obkimg.formats.config import obk_config as oc

    cfg = oc.ObkConfig.parse(obk_fixture(SECTOR_FIXTURE))
    roles = cfg.get("roles")
    assert roles[6] is PinRole.IOR_Relay and roles[26] is PinRole.IOR_LED_WIFI_n
    table = cfg.pin_table()
    assert [(p["pin"], type(p["role"]), p["role_name"]) for p in table][:2] == [
        (6, int, "IOR_Relay"),
        (7, int, "IOR_Button"),
    ]
    assert all(type(v) is int for v in cfg.values()["roles"])  # diff/JSON documents keep plain numbers


def test_tuya_pin_table_roles_are_pin_roles() -> None:
    out = map_upk({"rl1_pin": 6, "rl1_lv": 1, "bt1_pin": 7, "bt1_lv": 0, "netled_pin": 26, "netled_lv": 0})
    roles = {p["key"]: p["role"] for p in out["pins"]}
    assert roles["rl1_pin"] is PinRole.IOR_Relay
    assert all(isinstance(r, PinRole) and r.name == p["role_name"] for p in out["pins"] for r in [p["role"]])


def test_every_role_the_tuya_tables_name_is_a_pin_role() -> None:
    from obkimg import tuya_pins

    names = {n for r in tuya_pins.PIN_RULES for n in (r.high, r.low, r.suggest_low) if n}
    names |= {n for d in tuya_pins.DMOD_DRIVERS.values() for n in d[1:3]}
    assert {n: tuya_pins._role(n).name for n in names} == {n: f"IOR_{n}" for n in names}
