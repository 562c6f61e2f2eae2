"""The ESPHome (LibreTiny) form of a :class:`obkimg.migrate.MigrationPlan`.

The YAML document is built as Python data and written with PyYAML's ``safe_dump`` (no string
templates), so it always parses. The Tuya keys every pin came from, the uncertain pins and the notes
are a ``#`` comment block at the top. Coverage follows upk2esphome: relays, buttons, LEDs, the
status LED, PWM lights (with colour temperature), I2C LED drivers, BL0937/HLW8012 and BL0942 meters,
TuyaMCU (uart + tuya), IR / RF receivers, latching relays (hbridge), sensor inputs, battery ADC.
"""

from __future__ import annotations

from typing import Any

from ._migrate_plan import MigrationPlan, PinAssignment
from .errors import DetectionError

__all__ = ["render", "BOARDS"]

#: chip -> (LibreTiny platform key, generic board)
BOARDS = {
    "BK7231N": ("bk72xx", "generic-bk7231n-qfn32-tuya"),
    "BK7231T": ("bk72xx", "generic-bk7231t-qfn32-tuya"),
}
#: ESPHome output platform of each OpenBeken LED driver, and its first channel number
_LED_DRIVERS = {
    "SM2135": ("sm2135", 0),
    "BP5758D": ("bp5758d", 1),
    "BP1658CJ": ("bp1658cj", 0),
    "SM2235": ("sm2235", 0),
}
_UART_PINS = {"tx_pin": "P11", "rx_pin": "P10"}  # BK72xx UART1, the TuyaMCU / BL0942 port
_MIREDS = {"cold_white_color_temperature": "6500 K", "warm_white_color_temperature": "2700 K"}


def _pin(a: PinAssignment, *, inverted: bool = False, pullup: bool = False) -> Any:
    if not inverted and not pullup:
        return f"P{a.gpio}"
    pin: dict[str, Any] = {"number": f"P{a.gpio}"}
    if pullup:
        pin["mode"] = {"input": True, "pullup": True}
    if inverted:
        pin["inverted"] = True
    return pin


def _add(doc: dict[str, Any], section: str, item: dict[str, Any]) -> None:
    doc.setdefault(section, []).append(item)


class _SecretRef(str):
    """A value written as ESPHome's ``!secret NAME`` (the name goes in the device's secrets.yaml)."""


def _base(p: MigrationPlan, show_secrets: bool) -> dict[str, Any]:
    if p.platform not in BOARDS:
        raise DetectionError(
            f"no LibreTiny board known for chip {p.platform or 'unknown'} (ESPHome form: BK7231N, BK7231T); "
            "pass --chip",
            fmt="migrate",
        )
    platform, board = BOARDS[p.platform]
    name = "".join(ch if ch.isalnum() else "-" for ch in p.short_name.lower()).strip("-") or "obk"
    doc: dict[str, Any] = {
        "esphome": {"name": name},
        platform: {"board": board},
        "logger": {},
        "api": {},
        "ota": [{"platform": "esphome"}],
    }
    wifi: dict[str, Any] = {"ap": {}}
    if p.wifi_ssid and show_secrets:
        wifi = {"ssid": str(p.wifi_ssid), "password": str(p.wifi_password or ""), "ap": {}}
    elif p.wifi_ssid:  # masked (the default): ESPHome reads them from secrets.yaml
        wifi = {"ssid": _SecretRef("wifi_ssid"), "password": _SecretRef("wifi_password"), "ap": {}}
    doc["wifi"] = wifi
    return doc


def _switches(doc: dict[str, Any], p: MigrationPlan) -> set[int]:
    relays = set()
    for a in p.pins:
        if a.role_name in ("IOR_Relay", "IOR_Relay_n"):
            relays.add(a.channel)
            _add(
                doc,
                "switch",
                {
                    "platform": "gpio",
                    "id": f"relay_{a.channel}",
                    "name": f"Relay {a.channel}",
                    "pin": _pin(a, inverted=a.role_name == "IOR_Relay_n"),
                },
            )
        elif a.role_name in ("IOR_LED", "IOR_LED_n"):
            _add(
                doc,
                "switch",
                {
                    "platform": "gpio",
                    "id": f"led_{a.channel}",
                    "name": f"LED {a.channel}",
                    "pin": _pin(a, inverted=a.role_name == "IOR_LED_n"),
                },
            )
        elif a.role_name in ("IOR_LED_WIFI", "IOR_LED_WIFI_n") and "status_led" not in doc:
            doc["status_led"] = {"pin": _pin(a, inverted=a.role_name == "IOR_LED_WIFI_n")}
        elif a.role_name == "IOR_BAT_Relay":
            _add(doc, "output", {"platform": "gpio", "id": "battery_switch", "pin": _pin(a)})
    fwd = {a.channel: a for a in p.pins if a.role_name == "IOR_BridgeForward"}
    rev = {a.channel: a for a in p.pins if a.role_name == "IOR_BridgeReverse"}
    for ch in sorted(set(fwd) & set(rev)):
        relays.add(ch)
        sw: dict[str, Any] = {
            "platform": "hbridge",
            "id": f"relay_{ch}",
            "name": f"Relay {ch}",
            "on_pin": _pin(fwd[ch]),
            "off_pin": _pin(rev[ch]),
        }
        if p.bridge_pulse_ms:
            sw["pulse_length"] = f"{p.bridge_pulse_ms}ms"
        _add(doc, "switch", sw)
    return relays


def _inputs(doc: dict[str, Any], p: MigrationPlan, relays: set[int]) -> None:
    for a in p.pins:
        sensor: dict[str, Any] | None = None
        if a.role_name in ("IOR_Button", "IOR_Button_n"):
            sensor = {
                "platform": "gpio",
                "name": f"Button {a.channel}",
                "pin": _pin(a, inverted=a.role_name == "IOR_Button", pullup=True),
            }
            if a.channel in relays:
                sensor["on_press"] = [{"switch.toggle": f"relay_{a.channel}"}]
        elif a.role_name in ("IOR_Button_ToggleAll", "IOR_Button_ToggleAll_n"):
            sensor = {
                "platform": "gpio",
                "name": "Button (all)",
                "pin": _pin(a, inverted=a.role_name == "IOR_Button_ToggleAll", pullup=True),
            }
            if relays:
                sensor["on_press"] = [{"switch.toggle": f"relay_{ch}"} for ch in sorted(relays)]
        elif a.role_name == "IOR_ToggleChannelOnToggle":
            sensor = {"platform": "gpio", "name": f"Switch {a.channel}", "pin": _pin(a, pullup=True)}
            if a.channel in relays:
                sensor["on_state"] = [{"switch.toggle": f"relay_{a.channel}"}]
        elif a.role_name == "IOR_DigitalInput":
            sensor = {"platform": "gpio", "name": f"Input {a.channel} ({a.key})", "pin": _pin(a, pullup=True)}
        if sensor is not None:
            _add(doc, "binary_sensor", sensor)
        elif a.role_name in ("IOR_IRRecv", "IOR_RCRecv"):
            ir = a.role_name == "IOR_IRRecv"
            doc.setdefault("remote_receiver", []).append(
                {
                    "id": "ir_receiver" if ir else "rf_receiver",
                    "pin": _pin(a, inverted=ir, pullup=ir),
                    "dump": "all" if ir else "rc_switch",
                }
            )
        elif a.role_name == "IOR_IRSend":
            doc["remote_transmitter"] = {"pin": _pin(a), "carrier_duty_percent": "50%"}
        elif a.role_name == "IOR_BAT_ADC":
            _add(doc, "sensor", {"platform": "adc", "pin": f"P{a.gpio}", "name": "Battery voltage"})


def _light_outputs(doc: dict[str, Any], p: MigrationPlan) -> dict[str, str]:
    """Colour letter -> output id (PWM pins or LED driver channels)."""
    ids: dict[str, str] = {}
    pwm = [a for a in p.pins if a.role_name in ("IOR_PWM", "IOR_PWM_n")]
    for a in pwm:
        colour = a.key[0]
        out: dict[str, Any] = {"platform": "libretiny_pwm", "id": f"output_{colour}", "pin": f"P{a.gpio}"}
        if p.pwm_frequency:
            out["frequency"] = f"{p.pwm_frequency} Hz"
        if a.role_name == "IOR_PWM_n":
            out["inverted"] = True
        _add(doc, "output", out)
        ids[colour] = out["id"]
    if p.led_driver in _LED_DRIVERS and p.led_map:
        platform, first = _LED_DRIVERS[p.led_driver]
        pins = {
            a.role_name.rsplit("_", 1)[1]: a for a in p.pins if a.role_name.startswith(f"IOR_{p.led_driver}")
        }
        if "DAT" in pins and "CLK" in pins:
            doc[platform] = {"data_pin": _pin(pins["DAT"]), "clock_pin": _pin(pins["CLK"])}
            for colour, channel in zip("rgbcw", p.led_map, strict=True):
                _add(
                    doc,
                    "output",
                    {"platform": platform, "id": f"output_{colour}", "channel": channel + first},
                )
                ids[colour] = f"output_{colour}"
    return ids


def _lights(doc: dict[str, Any], p: MigrationPlan) -> None:
    ids = _light_outputs(doc, p)
    have = set(ids)
    alt = p.cwtype == 1
    light: dict[str, Any]
    if {"r", "g", "b", "c", "w"} <= have:
        if alt:
            light = {
                "platform": "rgbct",
                "red": ids["r"],
                "green": ids["g"],
                "blue": ids["b"],
                "color_temperature": ids["w"],
                "white_brightness": ids["c"],
                **_MIREDS,
            }
        else:
            light = {
                "platform": "rgbww",
                "red": ids["r"],
                "green": ids["g"],
                "blue": ids["b"],
                "cold_white": ids["c"],
                "warm_white": ids["w"],
                **_MIREDS,
            }
    elif {"r", "g", "b"} <= have and have & {"c", "w"}:
        white = "w" if "w" in have else "c"
        light = {
            "platform": "rgbw",
            "red": ids["r"],
            "green": ids["g"],
            "blue": ids["b"],
            "white": ids[white],
        }
    elif {"r", "g", "b"} <= have:
        light = {"platform": "rgb", "red": ids["r"], "green": ids["g"], "blue": ids["b"]}
    elif have == {"c", "w"}:
        if alt:
            light = {
                "platform": "color_temperature",
                "color_temperature": ids["w"],
                "brightness": ids["c"],
                **_MIREDS,
            }
        else:
            light = {"platform": "cwww", "cold_white": ids["c"], "warm_white": ids["w"], **_MIREDS}
    elif len(have) == 1:
        light = {"platform": "monochromatic", "output": ids[next(iter(have))]}
    else:
        return
    _add(doc, "light", {**light, "name": "Light"})


def _meters(doc: dict[str, Any], p: MigrationPlan) -> None:
    roles = {a.role_name: a for a in p.pins}
    names = {"current": {"name": "Current"}, "voltage": {"name": "Voltage"}, "power": {"name": "Power"}}
    if "IOR_BL0937_CF" in roles and "IOR_BL0937_CF1" in roles:
        sel = roles.get("IOR_BL0937_SEL") or roles.get("IOR_BL0937_SEL_n")
        meter: dict[str, Any] = {
            "platform": "hlw8012",
            "model": "BL0937",
            "cf_pin": _pin(roles["IOR_BL0937_CF"]),
            "cf1_pin": _pin(roles["IOR_BL0937_CF1"]),
            **names,
        }
        if sel is not None:
            meter["sel_pin"] = _pin(sel, inverted=sel.role_name == "IOR_BL0937_SEL")
            _add(doc, "sensor", meter)
    if p.meter == "BL0942":
        doc.setdefault("uart", []).append({"id": "uart_bl0942", **_UART_PINS, "baud_rate": 4800})
        _add(
            doc,
            "sensor",
            {
                "platform": "bl0942",
                "uart_id": "uart_bl0942",
                **names,
                "energy": {"name": "Energy"},
                "frequency": {"name": "Frequency"},
            },
        )
    if p.tuya_mcu_baud:
        doc.setdefault("uart", []).append(
            {"id": "uart_tuya", **_UART_PINS, "baud_rate": int(p.tuya_mcu_baud)}
        )
        doc["tuya"] = {"uart_id": "uart_tuya"}


def _header(p: MigrationPlan) -> list[str]:
    module = p.module or "unknown"
    lines = [f"obkimg migrate: {p.source_name}, chip {p.chip_text} ({p.chip_source}), module {module}"]
    lines += [f"P{a.gpio:<2} {a.role_name[4:]} ch {a.channel} <- {a.source}" for a in p.pins]
    for u in p.uncertain:
        sug = f"; suggestion {u.suggestion}" if u.suggestion else ""
        lines.append(f"UNSET {u.source}: {u.reason}{sug}")
    if any(a.role_name == "IOR_SM16703P_DIN" for a in p.pins):
        lines.append("not covered: the SM16703P strip on the SPI MOSI pin (add a beken_spi_led_strip light)")
    lines += [f"note: {n}" for n in p.notes]
    return ["# " + " ".join(line.split()) for line in lines]


def render(p: MigrationPlan, *, show_secrets: bool = False) -> str:
    """The YAML text: a ``#`` header (Tuya keys per pin, uncertain pins, notes) and the document.

    The Wi-Fi SSID and password are written as ``!secret wifi_ssid`` / ``!secret wifi_password``
    (ESPHome's secrets.yaml) unless ``show_secrets``.
    """
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_SecretRef, lambda d, v: d.represent_scalar("!secret", str(v)))
    doc = _base(p, show_secrets)
    relays = _switches(doc, p)
    _inputs(doc, p, relays)
    _lights(doc, p)
    _meters(doc, p)
    body = yaml.dump(
        doc, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    head = _header(p)
    if p.wifi_ssid and not show_secrets:
        head.append(
            "# Wi-Fi: put wifi_ssid and wifi_password in secrets.yaml (--show-secrets writes them here)"
        )
    return "\n".join(head) + "\n" + body
