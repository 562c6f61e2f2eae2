"""The one Tuya ``user_param_key`` -> OpenBeken pin table, used by ``tuya-keys``, ``obk-config new``
and ``migrate``.

Role numbers and names are OpenBeken's ``ioRole_e`` (``src/new_pins.h``, resolved through
:data:`obkimg.formats.config.obk_enums.ROLE_NAMES`); the readings are those the established public tools
agree on (the OpenBeken flasher's Tuya config reader ``BK7231GUIFlashTool/TuyaConfig.cs``, the OpenBeken
web app's ``templateParser.js`` and ``upk2esphome``), checked against OpenBeken's drivers. Tuya's
``*_lv`` is the active level: 1 = active high, 0 = active low.

- :data:`PIN_RULES`: one row per pin key family. A row with ``decline`` set has no settled
  OpenBeken role: such pins are listed as uncertain (with the suggestion) and left unset.
- :func:`map_upk`: apply the table to a flat UPK; returns the pins, the uncertain pins, conflicts,
  settings (drivers, PWM frequency, LED order, flags) and notes. Pure: no I/O.
- :func:`label_pins`: the ``tuya-keys`` view (key, GPIO, label, channel, active level) of the same
  table.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from ._record import dataclass

if TYPE_CHECKING:
    from .formats.config.obk_enums import PinRole

__all__ = [
    "PinRule",
    "PIN_RULES",
    "DMOD_DRIVERS",
    "PWM_CHANNELS",
    "ALTERNATE_CW_FLAG",
    "map_upk",
    "label_pins",
    "match_rule",
]

#: ``OBK_FLAG_LED_ALTERNATE_CW_MODE`` (new_pins.h): one PWM is brightness, the other temperature
ALTERNATE_CW_FLAG = 8


@dataclass(frozen=True, slots=True)
class PinRule:
    """One family of UPK pin keys and its OpenBeken reading.

    ``pattern`` is a full-match regex (``n`` = the number in the key, ``x`` = the colour letter).
    ``high``/``low``: role names for an active-high (``*_lv`` = 1) / active-low (0) pin; ``low``
    None means an active-low pin has no settled role (uncertain, ``suggest_low`` suggested).
    ``level``: the level key template, None when the key has no level. ``default_level`` is used
    when the level key is absent (None: the pin is then uncertain). ``channel``: ``"n"`` (the
    key's number), ``"pwm"`` (by colour, see :func:`_pwm_channels`), ``"free"`` (a sensor input: a
    channel no output or button uses) or a fixed number. ``requires``: ``"pwm-driver"`` (dmod 0 or
    absent) or ``"bl0937"`` (chip_type 0/1 or absent). ``decline``: why the key has no settled role.
    """

    pattern: str
    label: str
    what: str
    high: str | None
    low: str | None = None
    level: str | None = None
    channel: int | str = 0
    default_level: int | None = None
    suggest_low: str | None = None
    requires: str | None = None
    decline: str | None = None

    @property
    def settled(self) -> bool:
        """True when the key has a settled OpenBeken role (the rule does not decline it)."""
        return self.decline is None


def _role(name: str) -> PinRole:
    """The :class:`PinRole` a rule names (``"Relay"`` -> ``PinRole.IOR_Relay``); every name in the tables
    below is one (tests/obk/test_roles.py)."""
    from .formats.config.obk_enums import PinRole  # on first use: ``tuya-keys`` labels pins without it

    return PinRole["IOR_" + name]


def _r(pattern: str, label: str, what: str, high: str | None, low: str | None = None, **kw: Any) -> PinRule:
    return PinRule(pattern, label, what, high, low, **kw)


# fmt: off
#: the table, in priority order (a GPIO taken by an earlier key is a conflict later)
PIN_RULES: tuple[PinRule, ...] = (
    _r(r"rl(?P<n>\d+)_pin", "relay", "relay", "Relay", "Relay_n", level="rl{n}_lv", channel="n"),
    _r(r"rl_on(?P<n>\d+)_pin", "bridge-relay-on", "latching relay, set coil (Bridge driver)",
       "BridgeForward", "BridgeForward", channel="n"),
    _r(r"rl_off(?P<n>\d+)_pin", "bridge-relay-off", "latching relay, reset coil (Bridge driver)",
       "BridgeReverse", "BridgeReverse", channel="n"),
    _r(r"bt(?P<n>\d+)_pin", "button", "button", "Button_n", "Button", level="bt{n}_lv", channel="n"),
    _r(r"bt_pin", "button", "button", "Button_n", "Button", level="bt_lv", channel="relay1",
       default_level=0),
    _r(r"total_bt_pin", "button-all", "toggle-all button", "Button_ToggleAll_n", "Button_ToggleAll",
       level="total_bt_lv", channel=0),
    _r(r"led(?P<n>\d+)_pin", "led", "LED", "LED", "LED_n", level="led{n}_lv", channel="n"),
    _r(r"netled(?P<n>\d*)_pin", "wifi-led", "Wi-Fi LED", "LED_WIFI", "LED_WIFI_n", level="netled{n}_lv"),
    _r(r"wfst(?:_pin)?", "wifi-led", "Wi-Fi LED", "LED_WIFI", "LED_WIFI_n", level="wfst_lv"),
    _r(r"status_led_pin", "status-led", "status (Wi-Fi) LED", "LED_WIFI", "LED_WIFI_n",
       level="status_led_lv"),
    _r(r"(?P<x>[rgbcw])_pin", "pwm", "PWM light channel", "PWM", "PWM_n", level="{x}_lv", channel="pwm",
       requires="pwm-driver"),
    _r(r"(?:sel_pin_pin|sel_pin|ivcpin)", "bl0937-sel", "BL0937/HLW8012 SEL", "BL0937_SEL", "BL0937_SEL_n",
       level="sel_pin_lv", requires="bl0937"),
    _r(r"(?:ele_pin|epin)", "bl0937-cf", "BL0937/HLW8012 CF", "BL0937_CF", requires="bl0937"),
    _r(r"(?:vi_pin|ivpin)", "bl0937-cf1", "BL0937/HLW8012 CF1", "BL0937_CF1", requires="bl0937"),
    _r(r"(?:infrr|irpin|ir)", "ir-receiver", "IR receiver", "IRRecv"),
    _r(r"infre", "ir-transmitter", "IR transmitter", "IRSend"),
    _r(r"remote_io", "rf-receiver", "433 MHz RF remote receiver", "RCRecv"),
    _r(r"onoff(?P<n>\d+)", "toggle-switch", "wall switch input (toggles its channel on every change)",
       "ToggleChannelOnToggle", channel="n"),
    _r(r"door(?P<n>\d*)_magt_pin", "door-sensor", "door magnet sensor", "DigitalInput", channel="free"),
    _r(r"basic_pin_pin", "digital-input", "sensor input (PIR / door)", "DigitalInput", channel="free"),
    _r(r"samp_pin", "battery-adc", "battery voltage ADC (battery driver)", "BAT_ADC"),
    _r(r"samp_sw_pin", "battery-relay", "battery measurement switch (battery driver)", "BAT_Relay", None,
       level="samp_sw_lv", default_level=1, suggest_low="BAT_Relay_n"),
    _r(r"mosi", "spi-mosi", "SPI data out to an addressable LED strip", "SM16703P_DIN"),
    _r(r"iicscl|iicsda", "i2c-led-driver", "I2C LED driver pin", None),  # by dmod, see _led_driver
    # no settled role: declined, listed as uncertain with the suggestion
    _r(r"reset_pin", "button", "pairing/reset button", None, decline="Tuya pairing/reset button: usually the "
       "GPIO of a bt*_pin; no OpenBeken equivalent", suggest_low="Button"),
    _r(r"key_pin|k\d+pin_pin", "button", "light key", None, decline="key of a key-controlled light: its "
       "function (k*sfunc/k*lfunc/keyfunc) has no direct OpenBeken equivalent", suggest_low="Button"),
    _r(r"ctrl_pin", "control", "light power control", None, decline="light power-control pin: its function "
       "is not documented"),
    _r(r"micpin|mic", "microphone", "microphone", None, decline="microphone (music mode): no OpenBeken pin "
       "role"),
    _r(r"miso|SCL|CS", "spi", "SPI line", None, decline="SPI line: its peer chip is not known"),
    _r(r"buzzer_io|bz_pin_pin", "buzzer", "buzzer", None, decline="buzzer: no OpenBeken pin role"),
)

#: Tuya ``dmod`` -> (OpenBeken LED driver, DAT role, CLK role)
DMOD_DRIVERS: dict[int, tuple[str, str, str]] = {
    2: ("SM2135", "SM2135_DAT", "SM2135_CLK"),
    3: ("SM2135", "SM2135_DAT", "SM2135_CLK"),
    4: ("SM2135", "SM2135_DAT", "SM2135_CLK"),
    5: ("BP1658CJ", "BP1658CJ_DAT", "BP1658CJ_CLK"),
    6: ("BP5758D", "BP5758D_DAT", "BP5758D_CLK"),
    7: ("SM2235", "SM2235_DAT", "SM2235_CLK"),
}
#: PWM colour -> OBK channel for RGB / RGBW / RGBCW lights (component i of RGBCW on first channel + i)
PWM_CHANNELS = {"r": 1, "g": 2, "b": 3, "c": 4, "w": 5}
IIC_ORDER = ("iicr", "iicg", "iicb", "iicc", "iicw")

#: known setting keys (not pins): listed as "not mapped", never as unknown
_SETTING_KEYS = frozenset({
    "crc", "module", "category", "jsonver", "jv", "net_trig", "net_type", "netled_reuse", "reset_t", "wfct",
    "cmod", "dmod", "cwtype", "onoffmode", "pmemory", "defcolor", "defbright", "deftemp", "cwmaxp",
    "brightmin", "brightmax", "colormin", "colormax", "cwmin", "cwmax", "colormaxp", "colorpfun",
    "brightstep", "bristep", "hsvstep", "rgbt", "title20", "pwmhz", "campere", "wampere", "iicr", "iicg",
    "iicb", "iicc", "iicw", "iicccur", "iicwcur", "dccur", "dwcur", "drgbcur", "ehccur", "ehwcur", "cjccur",
    "cjwcur", "2235ccur", "2235wcur", "2335ccur", "kp58wcur", "kp58ccur", "bt_type", "rl_type",
    "rl1_dr_type", "rl_drvtime", "ele_fun_en", "chip_type", "lose_vol", "over_cur", "over_vol",
    "sample_resistor", "resistor", "vol_def", "work_voltage", "irfunc", "irnightt", "irstep", "wgmod",
    "swgmod", "scgmod", "wfcfg", "remdmode", "rstnum", "rstcor", "rstbr", "rsttemp", "remdtime", "wfptime",
    "cagt", "prodagain", "rstmode", "pairt", "wt", "ch_num", "total_stat", "ffc_select", "zero_select",
    "netn_led", "nety_led", "notdisturb", "buzzer_pwm", "ismusic", "keyfunc", "keyglobefunc", "keylt",
    "keynumber", "keyccfg1", "keyccfg2", "gmr", "gmg", "gmb", "gmkr", "gmkg", "gmkb", "gmwr", "gmwg",
    "gmwb", "pirmod", "pirfreq", "pirlduty", "pirmduty", "pirhduty", "pirrange", "pirwarn", "day", "dusk",
    "evenfall", "evening", "night", "inch_dp", "init_conf", "rand_dpid", "cyc_dpid", "led_dp", "backlit_dp",
    "backlit_select", "series_ctrl", "mutex", "on_off_cnt", "onoff_clear_t", "onoff_rst_m",
    "onoff_rst_type", "onoff_type", "onoff_n", "onofftime", "remote_add_dp", "remote_list_dp",
    "remote_select", "leaderr", "starterr", "0err", "1err", "customcode", "colororder", "ble_pair_time",
    "knum", "ktime", "buzzer", "ledNum", "adclimit", "aging", "bitseq", "brifollow", "cctseg", "clean_t",
    "dctrl_select", "irfunset", "light_status_select", "micproc", "mixway", "mxcl_led_m", "nightbrig",
    "nightcct", "nightled", "reuse_led_m", "rf_width", "sensimax", "sensimin", "sfunc", "slidemod",
    "totallen", "whiteseg", "workbrig", "workcct", "ele_rx", "ele_tx",
})
_SETTING_PATTERNS = (r".*_lv", r".*_type", r"ch_(?:cd)?dpid\d+", r"ch_flag\d+", r"ch\d+_stat", r"cd_flag\d+",
                     r"irk\d+(?:fun|val)", r"k\d+[dls]func", r"k\d+[ls]dir", r"cdtime\d+", r"count\d+",
                     r"alarm.*", r"cntdown\d+", r"rl\d*_drvtime")
# fmt: on
_RULE_RES = tuple((re.compile(r.pattern), r) for r in PIN_RULES)
_SETTING_LOWER = frozenset(k.lower() for k in _SETTING_KEYS)


@cache
def _setting_res() -> tuple[re.Pattern[str], ...]:
    """The setting-key patterns, compiled on first use (``map_upk`` only: ``tuya-keys`` never needs them)."""
    return tuple(re.compile(p) for p in _SETTING_PATTERNS)


#: roles whose channel is a switching target (a sensor must not share it)
_CHANNEL_MODES = ("n", "pwm", "relay1")


def match_rule(key: str) -> tuple[PinRule, dict[str, str]] | None:
    """The table row for ``key`` and its groups (``n``, ``x``), or None."""
    for rx, rule in _RULE_RES:
        m = rx.fullmatch(key)
        if m:
            return rule, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _gpio(value: Any) -> int | None:
    return None if isinstance(value, bool) else _int(value)


def level_key(rule: PinRule, groups: dict[str, str]) -> str | None:
    """The ``*_lv`` key of a matched pin key (None when the rule has no level)."""
    if rule.level is None:
        return None
    return rule.level.format(n=groups.get("n", ""), x=groups.get("x", ""))


def label_pins(upk: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``tuya-keys`` pin list: every GPIO-valued pin key, labelled from :data:`PIN_RULES`."""
    if not upk:
        return []
    out = []
    for key, value in upk.items():
        gpio = _int(value)
        if gpio is None:
            continue
        hit = match_rule(str(key))
        if hit is None and not str(key).endswith("_pin"):
            continue
        role, channel, lvl = None, None, None
        if hit is not None:
            rule, groups = hit
            role = rule.label
            channel = int(groups["n"]) if groups.get("n") else None
            lvl = level_key(rule, groups)
        if lvl is None:
            lvl = str(key)[:-4] + "_lv" if str(key).endswith("_pin") else f"{key}_lv"
        out.append(
            {"key": key, "gpio": gpio, "role": role, "channel": channel, "active_level": _int(upk.get(lvl))}
        )
    return sorted(out, key=lambda p: (p["gpio"], p["key"]))


# --------------------------------------------------------------------------------------------------
# mapping


def _pwm_channels(upk: dict[str, Any]) -> dict[str, int]:
    """OBK channel per PWM colour.

    The LED code drives component i of RGBCW on ``first channel + i``; a light with exactly two PWMs
    is "CW mode" (component 3 on the first channel, 4 on the next) and older firmwares take the
    first channel as 0 or 1 only, so a CW light gets channels 1 and 2. With ``cwtype`` = 1 (Tuya: c
    is brightness, w is colour temperature) the alternate CW flag makes the first of the two
    channels the temperature and the second the brightness: w and c swap.
    """
    colours = [x for x in "rgbcw" if f"{x}_pin" in upk]
    alt = _int(upk.get("cwtype")) == 1
    if set(colours) == {"c", "w"}:
        return {"w": 1, "c": 2} if alt else {"c": 1, "w": 2}
    if len(colours) == 1:
        return {colours[0]: 1}
    chans = dict(PWM_CHANNELS)
    if alt and {"c", "w"} <= set(colours):
        chans["c"], chans["w"] = 5, 4
    return chans


def _channel(rule: PinRule, groups: dict[str, str], upk: dict[str, Any], pwm: dict[str, int]) -> int:
    if rule.channel == "n":
        return int(groups["n"]) if groups.get("n") else 0
    if rule.channel == "pwm":
        return pwm[groups["x"]]
    if rule.channel == "relay1":
        relays = [k for k in upk if re.fullmatch(r"rl\d+_pin", str(k))]
        return int(relays[0][2:-4]) if len(relays) == 1 else 0
    return int(rule.channel) if isinstance(rule.channel, int) else 0


def _entry(
    key: str, gpio: int | None, rule: PinRule, lvl_key: str | None, level: int | None
) -> dict[str, Any]:
    return {"key": key, "gpio": gpio, "what": rule.what, "level_key": lvl_key, "level": level}


#: OpenBeken's channels are 0..CHANNEL_MAX-1 (CHANNEL_MAX 64 in new_pins.h); Tuya numbers from 1
CHANNEL_LIMIT = 64


def _why_not(
    rule: PinRule, value: Any, gpio: int | None, pins: int, upk: dict[str, Any], n: str | None = None
) -> str | None:
    dmod, chip_type = _int(upk.get("dmod")), _int(upk.get("chip_type"))
    if gpio is None:
        return f"value {value!r} is not a GPIO number"
    if not 0 <= gpio < pins:
        return f"GPIO {gpio} is outside the {pins}-pin layout"
    if n and rule.channel in ("n", "free") and not 1 <= int(n) < CHANNEL_LIMIT:
        return f"channel {int(n)} is not one Tuya numbers (1..{CHANNEL_LIMIT - 1}, OpenBeken's channels)"
    if rule.requires == "pwm-driver" and dmod not in (None, 0):
        return f"dmod={dmod}: the light uses an LED driver chip, not PWM pins"
    if rule.requires == "bl0937" and chip_type not in (None, 0, 1):
        return f"chip_type={chip_type}: not a BL0937/HLW8012 (pulse) power meter"
    return None


def _decide(
    rule: PinRule, lvl_key: str | None, level: int | None
) -> tuple[str | None, str | None, str | None]:
    """(role, reason, suggestion): exactly one of role / reason is set."""
    if rule.decline is not None:
        return None, rule.decline, rule.suggest_low or rule.high
    if lvl_key is None:
        return rule.high, None, None
    if level not in (0, 1):
        if rule.default_level is None:
            low = rule.low or rule.suggest_low
            return (
                None,
                f"no {lvl_key}: the active level is unknown",
                f"{rule.high} (active high) or {low} (active low)",
            )
        level = rule.default_level
    if level == 1:
        return rule.high, None, None
    if rule.low is None:
        return None, f"{lvl_key}=0: an active-low {rule.what} has no settled OpenBeken role", rule.suggest_low
    return rule.low, None, None


def _free_channel(want: int, used: set[int]) -> int:
    ch = max(want, 1)
    while ch in used:
        ch += 1
    return ch


def _map_rules(upk: dict[str, Any], pins: int, out: dict[str, Any], consumed: set[str]) -> None:
    taken: dict[int, str] = out["_taken"]
    pwm = _pwm_channels(upk)
    sensors: list[tuple[dict[str, Any], int]] = []
    for key, value in upk.items():
        hit = match_rule(key)
        if hit is None or key in ("iicscl", "iicsda"):
            continue
        rule, groups = hit
        lvl_key = level_key(rule, groups)
        consumed.add(key)
        if lvl_key:
            consumed.add(lvl_key)
        gpio = _gpio(value)
        level = _int(upk.get(lvl_key)) if lvl_key else None
        entry = _entry(key, gpio, rule, lvl_key, level)
        reason = _why_not(rule, value, gpio, pins, upk, groups.get("n")) if rule.settled else None
        role, why, suggestion = _decide(rule, lvl_key, level)
        if reason is not None or role is None:
            out["uncertain"].append(
                {**entry, "reason": reason or why, "suggestion": None if reason else suggestion}
            )
            continue
        assert gpio is not None
        if gpio in taken:
            out["conflicts"].append({"key": key, "gpio": gpio, "taken_by": taken[gpio]})
            continue
        taken[gpio] = key
        typed = _role(role)
        pin = {**entry, "role": typed, "role_name": typed.name, "channel": 0}
        if rule.channel == "free":
            sensors.append((pin, int(groups["n"]) if groups.get("n") else 1))
            continue
        pin["channel"] = _channel(rule, groups, upk, pwm)
        out["pins"].append(pin)
    used = {p["channel"] for p in out["pins"] if _rule_channel_mode(p["key"]) in _CHANNEL_MODES}
    for pin, want in sensors:
        pin["channel"] = _free_channel(want, used)
        used.add(pin["channel"])
        if pin["channel"] != want:
            out["notes"].append(
                f"{pin['key']}: channel {want} is used by an output or button, so the sensor reads into "
                f"channel {pin['channel']}"
            )
        out["pins"].append(pin)


def _rule_channel_mode(key: str) -> int | str | None:
    hit = match_rule(key)
    return hit[0].channel if hit else None


def _led_driver(upk: dict[str, Any], pins: int, out: dict[str, Any], consumed: set[str]) -> None:
    """I2C LED drivers: (iicsda, iicscl) roles by ``dmod``; the Tuya colour order as the LED map."""
    if "iicsda" not in upk and "iicscl" not in upk:
        return
    dmod = _int(upk.get("dmod"))
    taken: dict[int, str] = out["_taken"]
    drv = DMOD_DRIVERS.get(dmod) if dmod is not None else None
    for key in ("iicsda", "iicscl"):
        if key not in upk:
            continue
        consumed.add(key)
        gpio = _gpio(upk[key])
        base = {"key": key, "gpio": gpio, "what": "I2C LED driver pin", "level_key": None, "level": None}
        if drv is None:
            out["uncertain"].append(
                {
                    **base,
                    "reason": f"dmod={dmod}: an LED driver OpenBeken has no role for",
                    "suggestion": None,
                }
            )
            continue
        role = drv[1] if key == "iicsda" else drv[2]
        if gpio is None or not 0 <= gpio < pins or gpio in taken:
            out["uncertain"].append({**base, "reason": "not a free GPIO of the layout", "suggestion": role})
            continue
        taken[gpio] = key
        out["pins"].append(
            {
                **base,
                "what": f"{drv[0]} LED driver (dmod {dmod})",
                "role": _role(role),
                "role_name": _role(role).name,
                "channel": 0,
            }
        )
    if drv is None or not all(k in upk for k in ("iicsda", "iicscl")):
        return
    settings = out["settings"]
    settings["led_driver"] = drv[0]
    order = [_int(upk.get(k)) for k in IIC_ORDER]
    present = [k for k in IIC_ORDER if k in upk]
    if not present:
        out["notes"].append(
            f"{drv[0]}: no Tuya colour order (iicr..iicw); the firmware's default map applies"
        )
        return
    if sorted(o for o in order if o is not None) != list(range(5)) or None in order:
        out["notes"].append(
            f"{drv[0]}: the Tuya colour order {order} is not a permutation of 0..4; "
            "the firmware's default map applies (check the colours)"
        )
        return
    perm = [int(o) for o in order if o is not None]
    settings["led_map"] = perm
    if any(perm[perm[i]] != i for i in range(5)):
        out["notes"].append(
            f"{drv[0]}: the Tuya colour order {perm} is carried as LED_Map / ledRemap, as "
            "the established tools do; it is not its own inverse: check that red shows red"
        )


def _settings(upk: dict[str, Any], out: dict[str, Any]) -> None:
    """Drivers, PWM frequency, flags and pulse lengths that go with the pins."""
    s = out["settings"]
    roles = {p["role_name"] for p in out["pins"]}
    if roles & {"IOR_PWM", "IOR_PWM_n"}:
        hz = _int(upk.get("pwmhz"))
        if hz:
            s["pwm_frequency"] = hz
        pwm = {p["key"][0] for p in out["pins"] if p["role_name"] in ("IOR_PWM", "IOR_PWM_n")}
        if _int(upk.get("cwtype")) == 1 and {"c", "w"} <= pwm:
            s["flags"].append(ALTERNATE_CW_FLAG)
            out["notes"].append(
                "cwtype=1 (c = brightness, w = colour temperature): OpenBeken's alternate CW "
                "flag (8) is set and w/c take the temperature/brightness channels"
            )
    chip_type = _int(upk.get("chip_type"))
    if chip_type == 3:
        s["drivers"].append("BL0942")
        s["meter"] = "BL0942"
    elif roles & {"IOR_BL0937_CF", "IOR_BL0937_CF1"}:
        s["meter"] = "BL0937"
    elif chip_type not in (None, 0, 1):
        out["notes"].append(
            f"chip_type={chip_type}: a power meter OpenBeken's table does not settle; not started"
        )
    if roles & {"IOR_BridgeForward", "IOR_BridgeReverse"}:
        s["drivers"].append("Bridge")
        times = {k: _int(v) for k, v in upk.items() if re.fullmatch(r"rl\d*_drvtime", k) and _int(v)}
        if times:
            s["bridge_pulse_ms"] = max(t for t in times.values() if t is not None)
            out["notes"].append(
                f"latching relay coil pulse from Tuya: {s['bridge_pulse_ms']} ms "
                f"({', '.join(sorted(times))}); "
                "OpenBeken's BridgePulseLength counts quick-tick frames, so it is not converted: check it"
            )
    if "IOR_BAT_ADC" in roles:
        out["notes"].append("battery: OpenBeken starts its Battery driver itself when a BAT_ADC pin is set")
    if "IOR_SM16703P_DIN" in roles:
        s["drivers"].append("SM16703P")
        out["notes"].append("SM16703P strip: set the LED count with `SM16703P_Init <count>` (not in the UPK)")
    if "IOR_RCRecv" in roles:
        out["notes"].append("RF receiver (RCRecv): the RC driver is not part of every OpenBeken build")


def map_upk(upk: dict[str, Any], *, pins: int = 32) -> dict[str, Any]:
    """Map a flat ``user_param_key`` to OpenBeken pin roles and channels with :data:`PIN_RULES`.

    Returns ``{"pins", "uncertain", "not_mapped", "unknown", "conflicts", "notes", "settings"}``.
    Settled rules are applied; a missing ``*_lv`` (where the rule has no default), an active level
    with no settled role, a driver type the pins do not belong to, a GPIO out of range and a declined
    key are listed as uncertain (with a suggestion where one exists) and left unset; a GPIO already
    taken is a conflict. ``settings``: ``drivers`` to start, ``flags`` to set, ``pwm_frequency``,
    ``led_driver`` / ``led_map`` (the Tuya colour order, None = firmware default), ``meter``,
    ``bridge_pulse_ms``.
    """
    upk = {str(k): v for k, v in upk.items()}
    out: dict[str, Any] = {
        "pins": [],
        "uncertain": [],
        "conflicts": [],
        "notes": [],
        "_taken": {},
        "settings": {
            "drivers": [],
            "flags": [],
            "pwm_frequency": None,
            "led_driver": None,
            "led_map": None,
            "meter": None,
            "bridge_pulse_ms": None,
        },
    }
    consumed: set[str] = set()
    _map_rules(upk, pins, out, consumed)
    _led_driver(upk, pins, out, consumed)
    _settings(upk, out)
    not_mapped, unknown = [], []
    for key in upk:
        if key in consumed:
            continue
        if key.lower() in _SETTING_LOWER or any(rx.fullmatch(key) for rx in _setting_res()):
            not_mapped.append(key)
        elif key.endswith(("_pin", "pin", "_io")):
            out["uncertain"].append(
                {
                    "key": key,
                    "gpio": _gpio(upk[key]),
                    "what": "pin",
                    "level_key": None,
                    "level": None,
                    "reason": "pin key without a known OpenBeken equivalent",
                    "suggestion": None,
                }
            )
        else:
            unknown.append(key)
    del out["_taken"]
    out["pins"].sort(key=lambda p: p["gpio"])
    out["not_mapped"] = sorted(not_mapped)
    out["unknown"] = sorted(unknown)
    return out
