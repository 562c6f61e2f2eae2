"""OpenBeken config workflows: recover, extract, edit, compare and write ``mainConfig_t`` in dumps.

Built on :mod:`obkimg.formats.obk_config` (struct, CRC, EasyFlash, locations). Every function takes
a path, bytes, a file object or a :class:`obkimg.source.Source` and returns bytes or models; nothing
here prints or writes files (the CLI does).

- :func:`recover_config`: find the config in a dump / region / EasyFlash area / bare file (spec B6).
- :func:`extract_config`: its bytes (2016 or 3584).
- :func:`set_config`: edit fields (``key=value``) where the config lives: a bare file, a raw sector
  in a dump, or a new live EasyFlash entry (BL602), recomputing the CRC.
- :func:`diff_configs`: field-by-field differences of two configs.
- :func:`write_config`: put a config into a full dump or an OpenBeken QIO image at the chip's config
  location ("QIO + config": the QIO padded with 0xFF up to the config sector).
- :func:`new_from_tuya`: a fresh config from a Tuya backup (Wi-Fi, names, pins from
  ``user_param_key``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from . import chipid
from .errors import BuildError, ChecksumError, DetectionError, NotFoundError, ObkImgError, Problem
from .formats.obk_config import (
    CHANNELS,
    FIXED_FIELDS,
    SECTOR,
    STRING_FIELDS,
    ObkConfig,
    ObkConfigResult,
    channel_type_number,
    chip_info,
    ef_format,
    ef_put,
    find_config,
    find_psm,
    flag_number,
    parse_easyflash,
    role_number,
)
from .model import jsonable
from .source import SourceLike, load

__all__ = [
    "ObkConfigResult",
    "recover_config",
    "extract_config",
    "parse_assignments",
    "set_config",
    "diff_configs",
    "write_config",
    "WriteResult",
    "FIELD_ALIASES",
]

FMT = "obk-config"

# fmt: off
#: friendly names accepted by ``set`` (besides every struct field name)
FIELD_ALIASES = {
    "ssid": "wifi_ssid", "password": "wifi_pass", "wifi_password": "wifi_pass", "pass": "wifi_pass",
    "ssid2": "wifi_ssid2", "password2": "wifi_pass2", "wifi_password2": "wifi_pass2",
    "mqtt_user": "mqtt_userName", "mqtt_username": "mqtt_userName", "mqtt_password": "mqtt_pass",
    "mqtt_client_id": "mqtt_clientId", "client_id": "mqtt_clientId",
    "name": "shortDeviceName", "short_name": "shortDeviceName", "long_name": "longDeviceName",
    "startup": "initCommandLine", "startup_command": "initCommandLine", "ntp": "ntpServer",
    "ntp_server": "ntpServer", "web_password": "webPassword", "group": "mqtt_group",
}
# fmt: on


def recover_config(source: SourceLike, *, chip: str | None = None) -> ObkConfigResult:
    """Find and decode the OpenBeken config in ``source``; :class:`NotFoundError` if there is none."""
    return find_config(load(source).data, chip=chip)


def extract_config(source: SourceLike, *, chip: str | None = None) -> tuple[bytes, ObkConfigResult]:
    """The config's exact bytes (2016 or 3584) and the recovery result."""
    res = recover_config(source, chip=chip)
    return res.config.build(), res


# --------------------------------------------------------------------------------------------------
# editing


def _field_name(cfg: ObkConfig, key: str) -> str:
    offsets = cfg.offsets()
    if key in offsets:
        return key
    low = key.lower()
    if low in FIELD_ALIASES:
        return FIELD_ALIASES[low]
    for name in offsets:
        if name.lower() == low:
            return name
    raise BuildError(
        f"unknown config field {key!r} (see `obkimg obk-config show --json` for names)", fmt=FMT, path=key
    )


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip(), 0)
    except ValueError:
        raise BuildError(f"{what}: {text!r} is not an integer", fmt=FMT, path=what) from None


def _index(text: str, limit: int, what: str) -> int:
    n = _int(text.lstrip("Pp"), what)
    if not 0 <= n < limit:
        raise BuildError(f"{what}: index {n} out of range 0..{limit - 1}", fmt=FMT, path=what)
    return n


def parse_assignments(cfg: ObkConfig, assignments: list[str] | dict[str, str]) -> dict[str, Any]:
    """Turn ``key=value`` edits into struct field values for :meth:`ObkConfig.with_values`.

    Keys: any struct field name (``wifi_ssid``, ``mqtt_port``, ``initCommandLine``...) or alias
    (``ssid``, ``password``, ``mqtt_user``, ``name``, ``startup``...); ``pin.N.role`` /
    ``pin.N.channel`` / ``pin.N.channel2`` or ``pin.N=Role[:channel[:channel2]]`` (role by name,
    e.g. ``Relay``, or number); ``channel.N.type`` / ``channel.N.start``; ``flag.N`` or
    ``flag.NAME`` = 0/1; ``static_ip.ip|netmask|gateway|dns``; ``mac=aa:bb:cc:dd:ee:ff``;
    ``ledRemap`` / ``led_corr`` as comma-separated lists.
    """
    items = list(assignments.items()) if isinstance(assignments, dict) else [_split(a) for a in assignments]
    out: dict[str, Any] = {}
    arrays: dict[str, list[Any]] = {}

    def array(name: str) -> list[Any]:
        if name not in arrays:
            arrays[name] = list(out.get(name, cfg.get(name)))
        return arrays[name]

    flags = None
    for key, value in items:
        parts = key.split(".")
        head = parts[0].lower()
        if head == "pin" and len(parts) in (2, 3):
            pin = _index(parts[1], cfg.pins, key)
            attr = parts[2].lower() if len(parts) == 3 else None
            if attr is None:
                vals = value.split(":")
                if len(vals) > 3:
                    raise BuildError(f"{key}: use Role[:channel[:channel2]]", fmt=FMT, path=key)
                array("roles")[pin] = role_number(vals[0])
                if len(vals) > 1:
                    array("channels")[pin] = _index(vals[1], 256, key)
                if len(vals) > 2:
                    array("channels2")[pin] = _index(vals[2], 256, key)
            elif attr == "role":
                array("roles")[pin] = role_number(value)
            elif attr in ("channel", "channel2"):
                array("channels" if attr == "channel" else "channels2")[pin] = _index(value, 256, key)
            else:
                raise BuildError(
                    f"unknown pin attribute {attr!r} (role, channel, channel2)", fmt=FMT, path=key
                )
        elif head == "channel" and len(parts) == 3:
            ch = _index(parts[1], CHANNELS, key)
            attr = parts[2].lower()
            if attr == "type":
                array("channelTypes")[ch] = channel_type_number(value)
            elif attr in ("start", "start_value"):
                n = _int(value, key)
                if not -32768 <= n <= 32767:
                    raise BuildError(f"{key}: {n} does not fit an int16", fmt=FMT, path=key)
                array("startChannelValues")[ch] = n
            else:
                raise BuildError(f"unknown channel attribute {attr!r} (type, start)", fmt=FMT, path=key)
        elif head == "flag" and len(parts) == 2:
            if flags is None:
                flags = cfg.get("genericFlags") | cfg.get("genericFlags2") << 32
            bit = flag_number(parts[1])
            on = value.strip().lower() in ("1", "true", "on", "yes")
            if not on and value.strip().lower() not in ("0", "false", "off", "no"):
                raise BuildError(f"{key}: use 0/1", fmt=FMT, path=key)
            flags = flags | (1 << bit) if on else flags & ~(1 << bit)
        elif head in ("static_ip", "staticip") and len(parts) == 2:
            names = ("ip", "netmask", "gateway", "dns")
            attr = parts[1].lower()
            if attr not in names:
                raise BuildError(f"unknown static_ip part {attr!r} ({', '.join(names)})", fmt=FMT, path=key)
            raw = bytearray(out.get("staticIP", cfg.get("staticIP")))
            try:
                packed = ipaddress.IPv4Address(value.strip()).packed if value.strip() else bytes(4)
            except ValueError:
                raise BuildError(f"{key}: {value!r} is not an IPv4 address", fmt=FMT, path=key) from None
            i = names.index(attr) * 4
            raw[i : i + 4] = packed
            out["staticIP"] = bytes(raw)
        else:
            name = _field_name(cfg, key)
            out[name] = _convert(cfg, name, value)
    for name, arr in arrays.items():
        out[name] = arr
    if flags is not None:
        out["genericFlags"] = flags & 0xFFFFFFFF
        out["genericFlags2"] = flags >> 32
    return out


def _split(assignment: str) -> tuple[str, str]:
    if "=" not in assignment:
        raise BuildError(f"{assignment!r}: expected key=value", fmt=FMT)
    key, value = assignment.split("=", 1)
    return key.strip(), value


def _convert(cfg: ObkConfig, name: str, value: str) -> Any:
    if name in FIXED_FIELDS:
        raise BuildError(f"field {name} cannot be set", fmt=FMT, path=name)
    if name in STRING_FIELDS:
        return value
    if name == "mac":
        try:
            raw = bytes.fromhex(value.replace(":", "").replace("-", ""))
        except ValueError:
            raw = b""
        if len(raw) != 6:
            raise BuildError(f"mac: {value!r} is not a MAC address", fmt=FMT, path=name)
        return raw
    current = cfg.get(name)
    if isinstance(current, list):
        parts = [p for p in value.replace(";", ",").split(",") if p.strip()]
        if len(parts) != len(current):
            raise BuildError(f"{name}: needs {len(current)} comma-separated values", fmt=FMT, path=name)
        if isinstance(current[0], float):
            try:
                return [float(p) for p in parts]
            except ValueError:
                raise BuildError(f"{name}: not numbers", fmt=FMT, path=name) from None
        return [_int(p, name) for p in parts]
    if isinstance(current, bytes):
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise BuildError(f"{name}: expected {len(current)} bytes as hex", fmt=FMT, path=name) from None
    return _int(value, name)


def _variant_for(res: ObkConfigResult) -> tuple[str, Problem | None]:
    cfg = res.config
    if cfg.crc_variant:
        return cfg.crc_variant, None
    variant = res.expected_variant or (
        "unsigned" if res.location.get("mechanism") == "easyflash" else "signed"
    )
    return variant, Problem(
        "warning",
        f"the input CRC was invalid; the edited config is signed with the {variant}-char variant",
        res.location["offset"] + 3,
        FMT,
    )


def set_config(
    source: SourceLike, assignments: list[str] | dict[str, str], *, chip: str | None = None
) -> tuple[bytes, ObkConfigResult, list[Problem]]:
    """Edit the config where it lives; returns (the whole new file, the re-read config, notes).

    A bare config keeps any bytes after the struct; a raw config is patched in place in the dump; an
    EasyFlash config is written as a new live entry (the old copy marked deleted). ``changeCounter``
    is incremented, as the firmware does on every save.
    """
    src = load(source)
    data = src.data
    res = find_config(data, chip=chip)
    values = parse_assignments(res.config, assignments)
    variant, note = _variant_for(res)
    notes = [note] if note else []
    new_cfg = res.config.with_values(values, variant=variant, bump_counter=True)
    loc = res.location
    if loc["mechanism"] in ("raw", "bare"):
        off = loc["offset"]
        out = data[:off] + new_cfg.build() + data[off + new_cfg.length :]
    elif loc["mechanism"] == "easyflash":
        a0, size = loc["area_offset"], loc["area_size"]
        area = parse_easyflash(data[a0 : a0 + size], gran=loc["granularity"], base=a0)
        new_area, compacted = ef_put(area, loc["key"], new_cfg.build())
        if compacted:
            notes.append(
                Problem(
                    "info",
                    "the EasyFlash area had no room for the new entry: it was compacted (live "
                    "entries kept, deleted ones dropped) as EasyFlash garbage collection would",
                    a0,
                    "easyflash",
                )
            )
        out = data[:a0] + new_area.build() + data[a0 + size :]
    else:  # pragma: no cover
        raise BuildError(f"cannot edit a config stored as {loc['mechanism']}", fmt=FMT)
    after = find_config(out, chip=chip)
    if after.config.build() != new_cfg.build():  # pragma: no cover - a bug guard
        raise BuildError("the edited config does not read back identically", fmt=FMT, offset=loc["offset"])
    return out, after, notes


# --------------------------------------------------------------------------------------------------
# diff


def _flat(cfg: ObkConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in cfg.values().items():
        if isinstance(value, list):
            for i, v in enumerate(value):
                out[f"{name}[{i}]"] = v
        else:
            out[name] = value
    return out


def diff_configs(
    a: SourceLike,
    b: SourceLike,
    *,
    chip_a: str | None = None,
    chip_b: str | None = None,
    show_secrets: bool = False,
) -> dict[str, Any]:
    """Field-by-field differences of two configs (each a bare config or a dump holding one).

    Returns the ``obkimg obk-config diff --json`` document (schemas/obk-config-diff.v1.schema.json).
    Arrays are compared per element (``roles[6]``); fields only one version has show ``null`` on
    the other side. Secrets are masked unless ``show_secrets``.
    """
    ra, rb = recover_config(a, chip=chip_a), recover_config(b, chip=chip_b)
    fa, fb = _flat(ra.config), _flat(rb.config)
    diffs = []
    for key in list(fa) + [k for k in fb if k not in fa]:
        va, vb = fa.get(key), fb.get(key)
        if va != vb:
            diffs.append({"field": key, "a": va, "b": vb})

    def side(r: ObkConfigResult) -> dict[str, Any]:
        return {
            "version": r.config.version,
            "size": r.config.length,
            "location": r.location,
            "crc": {"valid": r.crc_valid, "variant": r.crc_variant},
        }

    doc = {
        "schema": "obkimg.obk-config-diff/1",
        "a": side(ra),
        "b": side(rb),
        "identical": not diffs,
        "differences": diffs,
    }
    return jsonable(doc, show_secrets=show_secrets)


# --------------------------------------------------------------------------------------------------
# writing a config into a dump / QIO image


@dataclass(frozen=True, slots=True)
class WriteResult:
    data: bytes
    chip: str
    offset: int
    mechanism: str
    notes: tuple[Problem, ...] = ()


def _image_chip(data: bytes) -> str | None:
    try:
        import obkimg

        return obkimg.open(data).chip
    except ObkImgError:
        return None


def write_config(dump: SourceLike, config: SourceLike | ObkConfig, *, chip: str | None = None) -> WriteResult:
    """Put ``config`` into ``dump`` at the chip's config location; returns the new image.

    Raw platforms (BK7231T/N...): the struct is written at the config sector (0x1E1000 T/U,
    0x1D1000 N/M) and the rest of that sector is 0xFF; a shorter image (an OpenBeken QIO release) is
    padded with 0xFF up to it, its own bytes unchanged. BL602: the config becomes the new live
    ``mY0bcFg`` entry of the PSM EasyFlash area. The chip comes from ``chip`` or from
    ``obkimg.open(dump).chip``. A config signed with the other CRC variant is re-signed for the chip.
    """
    data = load(dump).data
    cfg = config if isinstance(config, ObkConfig) else recover_config(config).config
    notes: list[Problem] = []
    if not cfg.crc_valid:
        raise ChecksumError(
            FMT,
            "Tiny-CRC8",
            cfg.stored_crc,
            f"{cfg.crc_for('signed'):#x}/{cfg.crc_for('unsigned'):#x}",
            offset=3,
            path="crc",
            hint="the config's CRC is invalid; repair it with `obkimg obk-config set` first",
        )
    if chip is None:
        chip = _image_chip(data)
        if chip is None:
            raise DetectionError(
                "cannot tell the chip of the image; pass --chip (e.g. BK7231N or BK7231T)", fmt=FMT
            )
    info = chip_info(chip)
    chip = chip.upper()
    if cfg.crc_variant != info.variant:
        cfg = cfg.signed_with(info.variant)
        notes.append(
            Problem("info", f"config re-signed with the {info.variant}-char CRC used on {chip}", 3, FMT)
        )
    if info.pins != cfg.pins:
        notes.append(
            Problem(
                "warning",
                f"{chip} uses the {info.pins}-pin layout; the config was decoded with the {cfg.pins}-pin one",
                None,
                FMT,
            )
        )
    if info.mechanism == "raw":
        off = info.offset
        assert off is not None
        end = (off + cfg.length + SECTOR - 1) // SECTOR * SECTOR
        buf = bytearray(data)
        if len(buf) < off:
            notes.append(
                Problem(
                    "info",
                    f"image padded with 0xFF from {len(buf):#x} to the config sector at {off:#x}",
                    len(buf),
                    FMT,
                )
            )
            buf += b"\xff" * (off - len(buf))
        if len(buf) < end:
            buf += b"\xff" * (end - len(buf))
        buf[off:end] = cfg.build() + b"\xff" * (end - off - cfg.length)
        return WriteResult(bytes(buf), chip, off, "raw", tuple(notes))
    psm = find_psm(data, table_offsets=info.bfpt) if info.bfpt else None
    area = (psm[0], psm[1]) if psm else info.area
    if area is None or area[0] + SECTOR > len(data):
        raise NotFoundError(
            f"no EasyFlash area for the config in this {chip} image (partition table / PSM missing)", fmt=FMT
        )
    size = min(area[1], (len(data) - area[0]) // SECTOR * SECTOR)
    chunk = data[area[0] : area[0] + size]
    try:
        ef = parse_easyflash(chunk, base=area[0])
    except ObkImgError as e:
        if chunk.count(0xFF) != len(chunk):
            raise NotFoundError(
                f"the {chip} EasyFlash area at {area[0]:#x} is neither EasyFlash nor erased ({e})",
                fmt=FMT,
                offset=area[0],
            ) from e
        ef = ef_format(size, gran=8, base=area[0])
        notes.append(
            Problem(
                "info",
                f"the erased EasyFlash area at {area[0]:#x} was formatted (granularity 8)",
                area[0],
                "easyflash",
            )
        )
    new, compacted = ef_put(ef, info.key or "ObkCfg", cfg.build())
    if compacted:
        notes.append(
            Problem(
                "info", "the EasyFlash area was compacted to make room for the config", area[0], "easyflash"
            )
        )
    out = data[: area[0]] + new.build() + data[area[0] + size :]
    entry = new.lookup(info.key or "ObkCfg")
    assert entry is not None
    return WriteResult(out, chip, area[0] + entry.value_offset, "easyflash", tuple(notes))


# --------------------------------------------------------------------------------------------------
# Tuya -> OpenBeken migration

#: value of ``dmod`` (Tuya light driver type) -> the OBK (DAT, CLK) roles of its I2C-like pins
DMOD_ROLES: dict[int, tuple[str, str]] = {
    2: ("SM2135_DAT", "SM2135_CLK"),
    3: ("SM2135_DAT", "SM2135_CLK"),
    4: ("SM2135_DAT", "SM2135_CLK"),
    5: ("BP1658CJ_DAT", "BP1658CJ_CLK"),
    6: ("BP5758D_DAT", "BP5758D_CLK"),
    7: ("SM2235_DAT", "SM2235_CLK"),
}
#: PWM colour keys -> OBK channel (OBK orders PWM channels R, G, B, C, W; the numbers follow the
#: common 1..5 template convention, the order is what the LED driver uses)
PWM_CHANNELS = {"r": 1, "g": 2, "b": 3, "c": 4, "w": 5}


@dataclass(frozen=True, slots=True)
class PinRule:
    """One UPK pin key -> OpenBeken role rule.

    ``high`` / ``low`` are the role names for an active-high (``*_lv`` = 1) / active-low (0) pin;
    ``None`` for ``low`` means an active-low pin of this kind has no certain OBK role (the pin is
    then reported as uncertain with ``suggest_low``). ``level`` is the level key template
    (``{n}`` = the number in the key, ``{x}`` = the colour letter); ``None`` = no level.
    ``channel`` is ``"n"`` (the key's number), ``"pwm"`` (by colour) or a fixed number.
    """

    pattern: str
    what: str
    high: str
    low: str | None
    level: str | None
    channel: int | str
    suggest_low: str | None = None
    requires: str | None = None  # "pwm-driver" (dmod 0/absent), "bl0937" (chip_type 0/1/absent)


# fmt: off
#: the certain mapping rules, in priority order (a GPIO taken by an earlier rule is a conflict later)
PIN_RULES: tuple[PinRule, ...] = (
    PinRule(r"rl(?P<n>\d+)_pin", "relay", "Relay", "Relay_n", "rl{n}_lv", "n"),
    PinRule(r"bt(?P<n>\d+)_pin", "button", "Button_n", "Button", "bt{n}_lv", "n"),
    PinRule(r"total_bt_pin", "toggle-all button", "Button_ToggleAll_n", "Button_ToggleAll", "total_bt_lv",
            0),
    PinRule(r"led(?P<n>\d+)_pin", "LED", "LED", "LED_n", "led{n}_lv", "n"),
    PinRule(r"netled(?P<n>\d*)_pin", "Wi-Fi LED", "LED_WIFI", "LED_WIFI_n", "netled{n}_lv", 0),
    PinRule(r"wfst(?:_pin)?", "Wi-Fi LED", "LED_WIFI", "LED_WIFI_n", "wfst_lv", 0),
    PinRule(r"(?P<x>[rgbcw])_pin", "PWM light channel", "PWM", "PWM_n", "{x}_lv", "pwm",
            requires="pwm-driver"),
    PinRule(r"(?:sel_pin_pin|sel_pin|ivcpin)", "BL0937/HLW8012 SEL", "BL0937_SEL", None, "sel_pin_lv", 0,
            suggest_low="BL0937_SEL_n", requires="bl0937"),
    PinRule(r"(?:ele_pin|epin)", "BL0937/HLW8012 CF", "BL0937_CF", "BL0937_CF", None, 0,
            requires="bl0937"),
    PinRule(r"(?:vi_pin|ivpin)", "BL0937/HLW8012 CF1", "BL0937_CF1", "BL0937_CF1", None, 0,
            requires="bl0937"),
    PinRule(r"(?:infrr|irpin|ir)", "IR receiver", "IRRecv", "IRRecv", None, 0),
    PinRule(r"infre", "IR transmitter", "IRSend", "IRSend", None, 0),
)

#: pin keys known to exist but without a certain OBK equivalent: key regex -> (reason, suggested role)
UNCERTAIN_PINS: tuple[tuple[str, str, str | None], ...] = (
    (r"rl_on\d+_pin|rl_off\d+_pin", "bistable (latching) relay coil pin: OBK has no latching-relay role; "
     "BridgeForward/BridgeReverse or a script may fit", None),
    (r"reset_pin", "Tuya pairing/reset button: usually the same GPIO as a bt*_pin; no OBK equivalent",
     "Button"),
    (r"key_pin|k\d+pin_pin", "key of a key-controlled light: its function (k*sfunc/k*lfunc) has no "
     "direct OBK equivalent", "Button"),
    (r"door\d+_magt_pin", "door magnet sensor: the right OBK role depends on the hardware (pull-up, "
     "deep sleep)", "DigitalInput"),
    (r"remote_io", "RF remote receiver (OBK RCRecv, from the GUI's role list only)", "RCRecv"),
    (r"samp_pin", "battery ADC", "BAT_ADC"),
    (r"samp_sw_pin", "battery measurement switch", "BAT_Relay"),
    (r"mosi", "SPI data line (addressable LEDs?)", "SM16703P_DIN"),
    (r"miso|SCL|CS", "SPI line", None),
    (r"micpin|mic", "microphone (music mode): no OpenBeken pin role", None),
    (r"ctrl_pin", "light power-control pin: its function is not documented", None),
    (r"buzzer_io|bz_pin_pin", "buzzer", None),
    (r"iicscl|iicsda", "I2C LED driver pin with an unknown or missing dmod", None),
)

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
    "knum", "ktime",
})
_SETTING_PATTERNS = (r".*_lv", r".*_type", r"ch_(?:cd)?dpid\d+", r"ch_flag\d+", r"ch\d+_stat",
                     r"irk\d+(?:fun|val)", r"k\d+[dls]func", r"k\d+[ls]dir", r"cdtime\d+", r"count\d+",
                     r"alarm.*", r"cntdown\d+")
# fmt: on


def _level(upk: dict[str, Any], key: str | None) -> int | None:
    if key is None or key not in upk:
        return None
    v = upk[key]
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _gpio(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def map_upk(upk: dict[str, Any], *, pins: int = 32) -> dict[str, Any]:
    """Map a flat ``user_param_key`` to OpenBeken pin roles and channels (table driven, :data:`PIN_RULES`).

    Returns ``{"pins": [...], "uncertain": [...], "not_mapped": [...], "unknown": [...],
    "conflicts": [...], "notes": [...]}``. Only certain rules are applied: a missing ``*_lv``, an
    active level with no certain role, a driver type the pins do not belong to, a GPIO out of range
    or a pin already taken are reported as uncertain (with a suggested role where one exists),
    never guessed. Keys that are neither pins nor known settings are listed as unknown.
    """
    import re

    upk = {str(k): v for k, v in upk.items()}
    dmod = _level(upk, "dmod")
    chip_type = _level(upk, "chip_type")
    taken: dict[int, str] = {}
    mapped, uncertain, conflicts, notes = [], [], [], []
    consumed: set[str] = set()
    for key, value in upk.items():
        for rule in PIN_RULES:
            m = re.fullmatch(rule.pattern, key)
            if not m:
                continue
            groups = m.groupdict()
            n = groups.get("n") or ""
            level_key = rule.level.format(n=n, x=groups.get("x", "")) if rule.level else None
            if level_key:
                consumed.add(level_key)
            consumed.add(key)
            gpio = _gpio(value)
            entry: dict[str, Any] = {
                "key": key,
                "gpio": gpio,
                "what": rule.what,
                "level_key": level_key,
                "level": _level(upk, level_key),
            }
            reason, suggestion = None, None
            if gpio is None:
                reason = f"value {value!r} is not a GPIO number"
            elif not 0 <= gpio < pins:
                reason = f"GPIO {gpio} is outside the {pins}-pin layout"
            elif rule.requires == "pwm-driver" and dmod not in (None, 0):
                reason = f"dmod={dmod}: the light uses an LED driver chip, not PWM pins"
            elif rule.requires == "bl0937" and chip_type not in (None, 0, 1):
                reason = f"chip_type={chip_type}: not a BL0937/HLW8012 (pulse) power meter"
            if reason is None:
                if level_key is not None and entry["level"] not in (0, 1):
                    reason = f"no {level_key}: the active level is unknown"
                    suggestion = f"{rule.high} (active high) or {rule.low or rule.suggest_low} (active low)"
                elif level_key is not None and entry["level"] == 0 and rule.low is None:
                    reason = f"{level_key}=0: an active-low {rule.what} has no certain OpenBeken role"
                    suggestion = rule.suggest_low
            if reason is None:
                role = rule.high if level_key is None or entry["level"] == 1 else rule.low
                assert role is not None and gpio is not None
                if rule.channel == "n":
                    channel = int(n) if n else 0
                elif rule.channel == "pwm":
                    channel = PWM_CHANNELS[groups["x"]]
                else:
                    channel = int(rule.channel)
                if gpio in taken:
                    conflicts.append({"key": key, "gpio": gpio, "taken_by": taken[gpio]})
                    break
                taken[gpio] = key
                num = role_number(role)
                mapped.append({**entry, "role": num, "role_name": f"IOR_{role}", "channel": channel})
            else:
                uncertain.append({**entry, "reason": reason, "suggestion": suggestion})
            break
    # I2C LED drivers: (iicsda, iicscl) by dmod
    if dmod in DMOD_ROLES and "iicsda" in upk and "iicscl" in upk:
        for key, role in (("iicsda", DMOD_ROLES[dmod][0]), ("iicscl", DMOD_ROLES[dmod][1])):
            gpio = _gpio(upk[key])
            consumed.add(key)
            if gpio is None or not 0 <= gpio < pins or gpio in taken:
                uncertain.append(
                    {
                        "key": key,
                        "gpio": gpio,
                        "what": "LED driver pin",
                        "level_key": None,
                        "level": None,
                        "reason": "not a free GPIO of the layout",
                        "suggestion": role,
                    }
                )
                continue
            taken[gpio] = key
            mapped.append(
                {
                    "key": key,
                    "gpio": gpio,
                    "what": f"LED driver (dmod {dmod})",
                    "level_key": None,
                    "level": None,
                    "role": role_number(role),
                    "role_name": f"IOR_{role}",
                    "channel": 0,
                }
            )
        if any(k in upk for k in ("iicr", "iicg", "iicb", "iicc", "iicw")):
            notes.append(
                "the LED driver's colour order (iicr/iicg/iicb/iicc/iicw) is not converted; check the "
                "colours on the device and remap them in OpenBeken"
            )
    # other pin-like keys
    for key, value in upk.items():
        if key in consumed:
            continue
        for pattern, reason, suggestion in UNCERTAIN_PINS:
            if re.fullmatch(pattern, key):
                consumed.add(key)
                lvl_key = (key[:-4] if key.endswith("_pin") else key) + "_lv"
                uncertain.append(
                    {
                        "key": key,
                        "gpio": _gpio(value),
                        "what": "pin",
                        "level_key": lvl_key if lvl_key in upk else None,
                        "level": _level(upk, lvl_key),
                        "reason": reason,
                        "suggestion": suggestion,
                    }
                )
                break
    not_mapped, unknown = [], []
    for key in upk:
        if key in consumed:
            continue
        if key.lower() in _SETTING_KEYS or any(re.fullmatch(p, key) for p in _SETTING_PATTERNS):
            not_mapped.append(key)
        elif key.endswith("_pin") or key.endswith("pin") or key.endswith("_io"):
            uncertain.append(
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
    if "pwmhz" in upk and any(p["role_name"] in ("IOR_PWM", "IOR_PWM_n") for p in mapped):
        notes.append(
            f"Tuya PWM frequency pwmhz={upk['pwmhz']} is not applied (OpenBeken uses its own default)"
        )
    mapped.sort(key=lambda p: p["gpio"])
    return {
        "pins": mapped,
        "uncertain": uncertain,
        "not_mapped": sorted(not_mapped),
        "unknown": sorted(unknown),
        "conflicts": conflicts,
        "notes": notes,
    }


@dataclass(frozen=True, slots=True)
class NewConfigResult:
    """A config generated from a Tuya backup, and how it was derived."""

    config: ObkConfig
    chip: str
    mapping: dict[str, Any]
    problems: tuple[Problem, ...] = ()

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The ``obkimg obk-config new --json`` document (schemas/obk-config-new.v1.schema.json)."""
        cfg = self.config
        doc = {
            "schema": "obkimg.obk-config-new/1",
            "chip": self.chip,
            "version": cfg.version,
            "size": cfg.length,
            "crc": {"stored": cfg.stored_crc, "valid": cfg.crc_valid, "variant": cfg.crc_variant},
        }
        doc.update(self.mapping)
        doc["problems"] = [p.to_dict() for p in self.problems]
        return jsonable(doc, show_secrets=show_secrets)


def _names(keys: Any, chip: str) -> tuple[str, str]:
    import zlib

    ident = keys.device.get("uuid") or keys.device.get("device_id") or repr(sorted((keys.upk or {}).items()))
    tag = f"{zlib.crc32(str(ident).encode()) & 0xFFFFFFFF:08X}"
    prefix = "OpenBK" + chip[2:] if chip.startswith("BK") else "Open" + chip
    return f"obk{tag}", f"{prefix}_{tag}"


def new_from_tuya(dump: SourceLike, *, chip: str | None = None, name: str | None = None) -> NewConfigResult:
    """A fresh OpenBeken config (version 5, the chip's CRC variant and layout) from a Tuya backup.

    Wi-Fi SSID/password come from ``gw_wsm`` (via :func:`obkimg.tuya.extract_keys`), pins from
    ``user_param_key`` (:func:`map_upk`), the TuyaMCU baud rate from ``baud_cfg`` /
    ``uart_adapt_params`` (as a startup command). Names are ``obk<8 hex>`` / ``OpenBK7231N_<8 hex>``
    derived from the device's uuid (or ``name`` for the short name).
    """
    from .formats.obk_config import default_config
    from .tuya import extract_keys

    keys = extract_keys(dump, chip=chip)
    chip = (chip or keys.chip or "").upper()
    if not chip and chipid.subfamily(keys.chip_candidates) == "N":
        # the storage names the N platform (BK7231N, BK7231M or BL2028N): all run OpenBeken's N build,
        # whose config layout this is
        chip = "BK7231N"
    if not chip:
        raise DetectionError(
            "cannot tell the chip from the Tuya storage; pass --chip (e.g. BK7231N)", fmt=FMT
        )
    info = chip_info(chip)
    problems = [p for p in keys.problems if p.severity == "error"]
    upk = keys.upk
    if isinstance(upk, dict):
        mapping = map_upk(upk, pins=info.pins)
    else:
        mapping = {
            "pins": [],
            "uncertain": [],
            "not_mapped": [],
            "unknown": [],
            "conflicts": [],
            "notes": [
                "no user_param_key in the storage: pins are not configured (older firmwares keep the "
                "pin map inside the application)"
            ],
        }
    short, long = _names(keys, chip)
    if name:
        short = name
    values: dict[str, Any] = {"shortDeviceName": short, "longDeviceName": long, "mqtt_clientId": short}
    group = {"BK": "bekens", "BL": "bl602s"}.get(chip[:2])  # the firmware defaults observed on BK and BL602
    if group:
        values["mqtt_group"] = group
    ssid, password = keys.wifi.get("ssid"), keys.wifi.get("password")
    if ssid:
        values["wifi_ssid"] = str(ssid)
        values["wifi_pass"] = str(password or "")
    else:
        mapping["notes"].append(
            "no Wi-Fi credentials in the Tuya storage: OpenBeken will start its access point"
        )
    roles, chans = [0] * info.pins, [0] * info.pins
    for p in mapping["pins"]:
        roles[p["gpio"]] = p["role"]
        chans[p["gpio"]] = p["channel"]
    values["roles"], values["channels"] = roles, chans
    baud = keys.device.get("tuya_mcu_baud")
    startup = ""
    if baud:
        startup = f"backlog startDriver TuyaMCU; tuyaMcu_setBaudRate {int(baud)}"
        mapping["notes"].append(
            "TuyaMCU datapoint -> channel links (linkTuyaMCUOutputToChannel) are not generated: "
            "they depend on the product's schema"
        )
    values["initCommandLine"] = startup
    cfg = default_config(pins=info.pins, variant=info.variant).with_values(values, variant=info.variant)
    # the config must read back exactly
    back = ObkConfig.parse(cfg.build(), pins=info.pins, strict=True)
    mapping = {
        "wifi": {"ssid": ssid, "password": password, "source": keys.wifi.get("source")},
        "names": {"short_name": short, "long_name": long},
        "startup_command": startup,
        "tuya_mcu_baud": baud,
        "module": keys.device.get("module"),
        **mapping,
    }
    return NewConfigResult(back, chip, mapping, tuple(problems))
