"""The records of a Tuya -> OpenBeken migration (:class:`MigrationPlan` and its pins), apart from the
workflow that derives them (:mod:`obkimg.migrate`) and the ESPHome renderer (:mod:`obkimg._esphome`),
which both build on this module.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from ._record import dataclass
from .errors import Problem
from .formats.config.obk_config import ROLE_NAMES
from .model import Secret, jsonable

__all__ = ["PinAssignment", "UncertainPin", "MigrationPlan", "short_role_name"]

# fmt: off
#: OpenBeken's short role names (``htmlPinRoleNames`` in new_http.c): what templates, the web UI and
#: ``SetPinRole`` use; index = role number
_SHORT = (
    " ", "Rel", "Rel_n", "Btn", "Btn_n", "LED", "LED_n", "PWM", "WifiLED", "WifiLED_n", "Btn_Tgl_All",
    "Btn_Tgl_All_n", "dInput", "dInput_n", "TglChanOnTgl", "dInput_NoPullUp", "dInput_NoPullUp_n",
    "BL0937SEL", "BL0937CF", "BL0937CF1", "ADC", "SM2135DAT", "SM2135CLK", "BP5758D_DAT", "BP5758D_CLK",
    "BP1658CJ_DAT", "BP1658CJ_CLK", "PWM_n", "IRRecv", "IRSend", "Btn_NextColor", "Btn_NextColor_n",
    "Btn_NextDimmer", "Btn_NextDimmer_n", "AlwaysHigh", "AlwaysLow", "UCS1912_DIN", "SM16703P_DIN",
    "Btn_NextTemperature", "Btn_NextTemperature_n", "Btn_ScriptOnly", "Btn_ScriptOnly_n", "DHT11", "DHT12",
    "DHT21", "DHT22", "CHT83XX_SDA", "CHT83XX_SCK", "SHT3X_SDA", "SHT3X_SCK", "SoftSDA", "SoftSCL",
    "SM2235DAT", "SM2235CLK", "BridgeFWD", "BridgeREV", "Btn_SmartLED", "Btn_SmartLED_n", "DoorSnsrWSleep",
    "DoorSnsrWSleep_nPup", "BAT_ADC", "BAT_Relay", "TM1637_DIO", "TM1637_CLK", "BL0937SEL_n",
    "DoorSnsrWSleep_pd", "SGP_CLK", "SGP_DAT", "ADC_Button", "GN6932_CLK", "GN6932_DAT", "GN6932_STB",
    "TM1638_CLK", "TM1638_DAT", "TM1638_STB", "BAT_Relay_n", "KP18058_CLK", "KP18058_DAT", "DS1820_IO",
)
# fmt: on
_SHORT_EXTRA = {"IOR_RCRecv": "RCRecv", "IOR_RCRecv_nPup": "RCRecv_nPup", "IOR_IRRecv_nPup": "IRRecv_nPup"}


def short_role_name(role: int) -> str:
    """OpenBeken's short name of a role number (``1`` -> ``Rel``), as templates and SetPinRole use."""
    if 0 <= role < len(_SHORT):
        return _SHORT[role]
    name = ROLE_NAMES[role] if 0 <= role < len(ROLE_NAMES) else f"IOR_{role}"
    return _SHORT_EXTRA.get(name, name[4:])


def _source(key: str, gpio: int | None, level_key: str | None, level: int | None) -> str:
    lvl = f", {level_key}={level}" if level_key else ""
    return f"{key}={gpio}{lvl}"


@dataclass(frozen=True, slots=True)
class PinAssignment:
    """One GPIO with a settled OpenBeken role, and the Tuya keys it came from."""

    gpio: int
    role: int
    role_name: str
    channel: int
    key: str
    what: str
    level_key: str | None = None
    level: int | None = None

    @property
    def short_role(self) -> str:
        """OpenBeken's short role name (``Rel``, ``Btn``), as templates and SetPinRole use."""
        return short_role_name(self.role)

    @property
    def source(self) -> str:
        """``rl1_pin=6, rl1_lv=1``: the Tuya keys and values this pin came from."""
        return _source(self.key, self.gpio, self.level_key, self.level)

    def to_dict(self) -> dict[str, Any]:
        """The assignment as JSON (``schemas/migrate.v1``)."""
        return {
            "gpio": self.gpio,
            "role": self.role,
            "role_name": self.role_name,
            "short_role": self.short_role,
            "channel": self.channel,
            "key": self.key,
            "what": self.what,
            "level_key": self.level_key,
            "level": self.level,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class UncertainPin:
    """A pin key without a settled role: listed with the reason and a suggestion, left unset."""

    key: str
    gpio: int | None
    reason: str
    suggestion: str | None
    what: str = "pin"
    level_key: str | None = None
    level: int | None = None

    @property
    def source(self) -> str:
        """``key_pin=7, key_lv=0``: the Tuya keys and values this pin came from."""
        return _source(self.key, self.gpio, self.level_key, self.level)

    def to_dict(self) -> dict[str, Any]:
        """The pin as JSON (``schemas/migrate.v1``)."""
        return {
            "key": self.key,
            "gpio": self.gpio,
            "what": self.what,
            "level_key": self.level_key,
            "level": self.level,
            "reason": self.reason,
            "suggestion": self.suggestion,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True, repr=False)
class MigrationPlan:
    """Everything a migration writes, derived once from a Tuya backup (see :func:`plan`)."""

    chip: str | None
    chip_source: str
    module: str | None
    pins: tuple[PinAssignment, ...]
    uncertain: tuple[UncertainPin, ...]
    conflicts: tuple[dict[str, Any], ...] = ()
    not_mapped: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()
    flags: tuple[int, ...] = ()
    pwm_frequency: int | None = None
    led_driver: str | None = None
    led_map: tuple[int, ...] | None = None
    meter: str | None = None
    bridge_pulse_ms: int | None = None
    tuya_mcu_baud: int | None = None
    cwtype: int | None = None
    wifi_ssid: Secret | None = None
    wifi_password: Secret | None = None
    wifi_source: str | None = None
    short_name: str = "obk"
    long_name: str = "OpenBeken"
    has_upk: bool = False
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    source_name: str = field(default="<bytes>", compare=False)
    #: the chips the evidence leaves when ``chip`` is None (or ``(chip,)``)
    chip_candidates: tuple[str, ...] = ()
    #: the OpenBeken build and config layout to use: the chip, or BK7231N for an N-family device
    platform: str | None = None

    def __repr__(self) -> str:  # holds Wi-Fi credentials: never in a repr
        return f"MigrationPlan(chip={self.chip!r}, {len(self.pins)} pins, {len(self.uncertain)} uncertain)"

    def startup_commands(self, *, with_led_map: bool = False) -> list[str]:
        """The commands the device needs at boot (drivers, TuyaMCU baud, PWM frequency, LED map).

        ``with_led_map`` adds ``startDriver <LED driver>`` and ``LED_Map`` (for the template and
        console forms; the binary config carries the order in ``ledRemap`` instead).
        """
        cmds = []
        if self.tuya_mcu_baud:
            cmds += ["startDriver TuyaMCU", f"tuyaMcu_setBaudRate {int(self.tuya_mcu_baud)}"]
        cmds += [f"startDriver {d}" for d in self.drivers]
        if self.pwm_frequency:
            cmds.append(f"PWMFrequency {int(self.pwm_frequency)}")
        if with_led_map and self.led_driver and self.led_map:
            cmds += [f"startDriver {self.led_driver}", "LED_Map " + " ".join(str(i) for i in self.led_map)]
        return cmds

    def startup_line(self, *, with_led_map: bool = False) -> str:
        """The startup commands as one line (``backlog a; b`` when there are several; ``""`` when none)."""
        cmds = self.startup_commands(with_led_map=with_led_map)
        if not cmds:
            return ""
        return cmds[0] if len(cmds) == 1 else "backlog " + "; ".join(cmds)

    @property
    def generic_flags(self) -> int:
        """``genericFlags`` of the new config: the firmware default (bit 10) plus the plan's flags."""
        flags = 1 << 10
        for f in self.flags:
            if f < 32:
                flags |= 1 << f
        return flags

    @property
    def chip_text(self) -> str:
        """``BK7231T``, ``one of BK7231N/BK7231M/BL2028N`` or ``unknown``, for text output."""
        if self.chip:
            return self.chip
        return "one of " + "/".join(self.chip_candidates) if self.chip_candidates else "unknown"

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The ``obkimg migrate --json`` document (schemas/migrate.v1.schema.json)."""
        doc = {
            "schema": "obkimg.migrate/1",
            "source": self.source_name,
            "chip": self.chip,
            "chip_source": self.chip_source,
            "chip_candidates": list(self.chip_candidates),
            "platform": self.platform,
            "module": self.module,
            "wifi": {"ssid": self.wifi_ssid, "password": self.wifi_password, "source": self.wifi_source},
            "names": {"short_name": self.short_name, "long_name": self.long_name},
            "pins": [p.to_dict() for p in self.pins],
            "uncertain": [u.to_dict() for u in self.uncertain],
            "conflicts": list(self.conflicts),
            "drivers": list(self.drivers),
            "flags": list(self.flags),
            "pwm_frequency": self.pwm_frequency,
            "led_driver": self.led_driver,
            "led_map": None if self.led_map is None else list(self.led_map),
            "meter": self.meter,
            "bridge_pulse_ms": self.bridge_pulse_ms,
            "tuya_mcu_baud": self.tuya_mcu_baud,
            "startup_command": self.startup_line(),
            "not_mapped": list(self.not_mapped),
            "unknown": list(self.unknown),
            "notes": list(self.notes),
            "problems": [p.to_dict() for p in self.problems],
        }
        return jsonable(doc, show_secrets=show_secrets)  # type: ignore[no-any-return]
