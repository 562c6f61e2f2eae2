"""Tuya -> OpenBeken (or ESPHome) migration: one plan, four forms.

:func:`plan` reads a Tuya backup (full dump, storage region or bare storage) and returns a typed
:class:`MigrationPlan`: the chip (with where it came from, or unknown), Wi-Fi, names, every pin the
table in :mod:`obkimg.tuya_pins` settles (with the Tuya keys and levels it came from), the pins it
does not settle (with a suggestion, left unset), the drivers, flags, PWM frequency and LED colour
order that go with them. Each form renders from the plan:

- :func:`render_config`: the binary ``mainConfig_t`` (what ``obk-config new --from-tuya`` writes);
- :func:`render_template`: an OpenBeken device template (the shape of OpenBeken's device list);
- :func:`render_commands`: a ``backlog`` script for the web console of an already-flashed device;
- :func:`render_esphome`: an ESPHome (LibreTiny) YAML (:mod:`obkimg._esphome`).

Nothing here prints or writes files; the CLI (``obkimg migrate``) does.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from ._migrate_plan import MigrationPlan, PinAssignment, UncertainPin, short_role_name
from .errors import BuildError, ObkImgError, Problem
from .formats.config.obk_config import ObkConfig, chip_info, default_config
from .model import Secret
from .source import SourceLike, load
from .tuya import int_value
from .tuya_pins import map_upk

__all__ = [
    "FORMS",
    "PinAssignment",
    "UncertainPin",
    "MigrationPlan",
    "plan",
    "render",
    "render_config",
    "render_template",
    "render_commands",
    "render_esphome",
    "short_role_name",
]

FMT = "migrate"
FORMS = ("config", "template", "commands", "esphome")

# --------------------------------------------------------------------------------------------------
# the plan


def _image_chip(data: bytes) -> tuple[str | None, list[str]]:
    """The chip (or the candidates) the bootloader / application of a full dump tell."""
    from .detect import open_image

    try:
        img = open_image(data)
    except ObkImgError:
        return None, []
    chip = img.chip
    return (chip.upper() if chip else None), list(img.chip_candidates)


#: chips that run another chip's OpenBeken build, hence its config layout (BL2028N: Uascent's
#: BK7231N-compatible chip; BK7231S: a BK7231T)
_CONFIG_AS = {"BL2028N": "BK7231N", "BK7231S": "BK7231T"}


def _resolve_chip(
    chip: str | None, keys: Any, data: bytes, notes: list[str]
) -> tuple[str | None, str, list[str]]:
    """(chip, where it came from, candidates): a chip only where the evidence proves one."""
    if chip:
        chip_info(_CONFIG_AS.get(chip.upper(), chip))  # NotFoundError naming the known chips
        return chip.upper(), "given", [chip.upper()]
    image, image_cands = _image_chip(data)
    stored = keys.chip.upper() if keys.chip else None
    if stored and image and stored != image:
        notes.append(f"the Tuya storage says {stored}, the bootloader/app say {image}: {stored} is used")
    if stored:
        return stored, "tuya storage (em_sys_env / module name)", [stored]
    if image:
        return image, "bootloader / application", [image]
    stored_cands = list(getattr(keys, "chip_candidates", []) or [])
    for cands, where in (
        (stored_cands, "tuya storage (em_sys_env / module name)"),
        (image_cands, "bootloader / application"),
    ):
        if cands:
            return None, where, cands
    notes.append(
        "the chip is unknown (no em_sys_env, module name, bootloader or app tells it): the config "
        "uses the 32-pin layout and signed-char CRC of BK7231T/N; pass --chip to be sure"
    )
    return None, "unknown", []


def _platform(chip: str | None, candidates: list[str], notes: list[str]) -> str | None:
    """The OpenBeken build (and so the config layout) for the device: its chip, or ``BK7231N`` when every
    candidate is of the N family (BK7231N, BK7231M and BL2028N all run OpenBeken's OpenBK7231N build)."""
    if chip:
        return _CONFIG_AS.get(chip, chip)
    from .chipid import N_FAMILY

    if candidates and set(candidates) <= N_FAMILY:
        notes.append(
            f"the chip is one of {', '.join(candidates)} (only the code key or the chip's marking tells "
            "them apart); all run OpenBeken's OpenBK7231N build, whose config layout is used"
        )
        return "BK7231N"
    return None


def _names(keys: Any, chip: str | None) -> tuple[str, str]:
    ident = keys.device.uuid or keys.device.device_id or repr(sorted((keys.upk or {}).items()))
    tag = f"{zlib.crc32(str(ident).encode()) & 0xFFFFFFFF:08X}"
    prefix = "OpenBeken"
    if chip:
        prefix = "OpenBK" + chip[2:] if chip.startswith("BK") else "Open" + chip
    return f"obk{tag}", f"{prefix}_{tag}"


def _fits(value: Any, what: str, problems: list[Problem]) -> Secret | None:
    """A Wi-Fi string that fits OpenBeken's 64-byte field (63 + NUL); else reported and None."""
    if value is None or value == "":
        return None
    text = str(value)
    size = len(text.encode("utf-8"))
    if size > 63:
        problems.append(
            Problem(
                "warning",
                f"the stored Wi-Fi {what} is {len(text)} characters ({size} bytes): it "
                "does not fit OpenBeken's 63-byte field and is not written (OpenBeken will start "
                "its access point); everything else is",
                None,
                FMT,
            )
        )
        return None
    return Secret(text)


def _pin_models(mapping: dict[str, Any]) -> tuple[tuple[PinAssignment, ...], tuple[UncertainPin, ...]]:
    pins = tuple(
        PinAssignment(
            p["gpio"],
            p["role"],
            p["role_name"],
            p["channel"],
            p["key"],
            p["what"],
            p["level_key"],
            p["level"],
        )
        for p in mapping["pins"]
    )
    unc = tuple(
        UncertainPin(
            u["key"],
            u["gpio"],
            u["reason"],
            u["suggestion"],
            u.get("what", "pin"),
            u.get("level_key"),
            u.get("level"),
        )
        for u in mapping["uncertain"]
    )
    return pins, unc


def _mapping(upk: dict[str, Any] | None, pins: int) -> dict[str, Any]:
    if upk is not None:
        return map_upk(upk, pins=pins)
    return {
        "pins": [],
        "uncertain": [],
        "conflicts": [],
        "not_mapped": [],
        "unknown": [],
        "settings": {},
        "notes": [
            "no user_param_key in the storage: pins are not configured (older firmwares keep the pin "
            "map inside the application)"
        ],
    }


def _wifi(keys: Any, problems: list[Problem], notes: list[str]) -> tuple[Secret | None, Secret | None]:
    ssid = _fits(keys.wifi.ssid, "SSID", problems)
    password = _fits(keys.wifi.password, "password", problems) if ssid else None
    if ssid is not None and keys.wifi.password and password is None:
        ssid = None  # an SSID with the wrong password would only delay OpenBeken's access point
    if ssid is None and not keys.wifi.ssid:
        notes.append("no Wi-Fi credentials in the Tuya storage: OpenBeken will start its access point")
    return ssid, password


def plan(dump: SourceLike, *, chip: str | None = None, name: str | None = None) -> MigrationPlan:
    """The migration plan of a Tuya backup (path, bytes or file; .gz too).

    ``chip`` overrides the chip the storage (``em_sys_env``, module name) or the bootloader/app
    tell; without any, the chip is reported unknown and the plan is still made. Raises
    :class:`~obkimg.errors.NotFoundError` only when the input holds no Tuya storage.
    """
    from .tuya import extract_keys

    src = load(dump)
    keys = extract_keys(src.data, chip=chip)
    notes: list[str] = []
    problems = [p for p in keys.problems if p.severity in ("error", "warning")]
    resolved, chip_source, candidates = _resolve_chip(chip, keys, src.data, notes)
    platform = _platform(resolved, candidates, notes)
    pins = _layout(platform)[0]
    upk = keys.upk if isinstance(keys.upk, dict) else None
    mapping = _mapping(upk, pins)
    notes += mapping["notes"]
    s = mapping["settings"]
    baud = keys.device.tuya_mcu_baud
    if baud:
        notes.append(
            "TuyaMCU datapoint -> channel links (linkTuyaMCUOutputToChannel) are not generated: they "
            "depend on the product's schema"
        )
    short, long = _names(keys, platform)
    ssid, password = _wifi(keys, problems, notes)
    pin_models, unc = _pin_models(mapping)
    led_map = s.get("led_map")
    return MigrationPlan(
        chip=resolved,
        chip_source=chip_source,
        chip_candidates=tuple(candidates),
        platform=platform,
        module=keys.device.module,
        pins=pin_models,
        uncertain=unc,
        conflicts=tuple(mapping["conflicts"]),
        not_mapped=tuple(mapping["not_mapped"]),
        unknown=tuple(mapping["unknown"]),
        drivers=tuple(s.get("drivers", ())),
        flags=tuple(s.get("flags", ())),
        pwm_frequency=s.get("pwm_frequency"),
        led_driver=s.get("led_driver"),
        led_map=tuple(led_map) if led_map else None,
        meter=s.get("meter"),
        bridge_pulse_ms=s.get("bridge_pulse_ms"),
        tuya_mcu_baud=int(baud) if baud else None,
        cwtype=int_value(upk.get("cwtype")) if upk else None,
        wifi_ssid=ssid,
        wifi_password=password,
        wifi_source=keys.wifi.source,
        short_name=name or short,
        long_name=long,
        has_upk=upk is not None,
        notes=tuple(notes),
        problems=tuple(problems),
        source_name=os.path.basename(src.name),
    )


def _layout(chip: str | None) -> tuple[int, str]:
    """(pins per array, CRC variant) of the chip's config; BK7231T/N's when unknown."""
    if chip:
        try:
            info = chip_info(_CONFIG_AS.get(chip.upper(), chip))
            return info.pins, info.variant
        except ObkImgError:
            pass
    return 32, "signed"


# --------------------------------------------------------------------------------------------------
# forms


def render_config(p: MigrationPlan) -> ObkConfig:
    """The binary ``mainConfig_t`` (version 5, the chip's CRC variant and pin layout).

    ``ledRemap`` carries the Tuya colour order of an I2C LED driver; without one it stays all zeros,
    which the firmware reads as "apply the driver's default map" (``CFG_SetDefaultLEDRemap``).
    """
    pins, variant = _layout(p.platform)
    values: dict[str, Any] = {
        "shortDeviceName": p.short_name,
        "longDeviceName": p.long_name,
        "mqtt_clientId": p.short_name,
        "genericFlags": p.generic_flags,
    }
    group = {"BK": "bekens", "BL": "bl602s"}.get((p.platform or "BK")[:2])
    if group:
        values["mqtt_group"] = group
    if p.wifi_ssid:
        values["wifi_ssid"] = str(p.wifi_ssid)
        values["wifi_pass"] = str(p.wifi_password or "")
    roles, chans = [0] * pins, [0] * pins
    for a in p.pins:
        roles[a.gpio], chans[a.gpio] = a.role, a.channel
    values["roles"], values["channels"] = roles, chans
    values["ledRemap"] = list(p.led_map) if p.led_map else [0, 0, 0, 0, 0]
    values["initCommandLine"] = p.startup_line()
    cfg = default_config(pins=pins, variant=variant).with_values(values, variant=variant)
    back = ObkConfig.parse(cfg.build(), pins=pins, strict=True)
    if back.build() != cfg.build():  # pragma: no cover - a bug guard
        raise BuildError("the new config does not read back identically", fmt=FMT)
    return back


def render_template(p: MigrationPlan) -> dict[str, Any]:
    """An OpenBeken device template in the shape of the device list (schemas/obk-template.v1).

    ``pins`` maps GPIO -> ``"Role;channel"`` (short role names); ``pin_sources`` gives, per GPIO,
    the Tuya keys and levels; ``uncertain`` lists the pins left unset with their suggestion.
    """
    module = p.module or "unknown"
    return {
        "vendor": "Tuya",
        "bDetailed": "0",
        "name": f"Tuya {module} device (migrated by obkimg)",
        "model": module,
        "chip": p.platform or "unknown",
        "board": module,
        "flags": str(p.generic_flags),
        "keywords": [
            k
            for k in (module, p.platform, p.meter, p.led_driver, "TuyaMCU" if p.tuya_mcu_baud else None)
            if k
        ],
        "pins": {str(a.gpio): f"{a.short_role};{a.channel}" for a in p.pins},
        "command": p.startup_line(with_led_map=True),
        "image": "https://obrazki.elektroda.pl/YOUR_IMAGE.jpg",
        "wiki": "https://www.elektroda.com/rtvforum/forum390.html",
        "pin_sources": {str(a.gpio): a.source for a in p.pins},
        "uncertain": [
            {"key": u.key, "gpio": u.gpio, "source": u.source, "reason": u.reason, "suggestion": u.suggestion}
            for u in p.uncertain
        ],
    }


def render_commands(p: MigrationPlan) -> str:
    """A console script: ``//`` comment lines (one per pin, with its Tuya keys; one per uncertain
    pin) and one ``backlog`` line of SetPinRole / SetPinChannel / startDriver / PWMFrequency /
    SetFlag / LED_Map commands. Paste the backlog line into the web console (Wi-Fi is not touched).
    """
    lines = [f"// obkimg migrate: {p.source_name}, chip {p.chip_text}, module {p.module or 'unknown'}"]
    cmds = []
    for a in p.pins:
        lines.append(f"// P{a.gpio:<2} {a.short_role};{a.channel}  <- {a.source} ({a.what})")
        cmds += [f"SetPinRole {a.gpio} {a.short_role}", f"SetPinChannel {a.gpio} {a.channel}"]
    for u in p.uncertain:
        sug = f"; suggestion {u.suggestion}" if u.suggestion else ""
        lines.append(f"// UNSET {u.source}: {u.reason}{sug}")
    for note in p.notes:
        lines.append(f"// note: {note}")
    cmds += [f"SetFlag {f} 1" for f in p.flags]
    cmds += p.startup_commands(with_led_map=True)
    if cmds:
        lines.append("backlog " + "; ".join(cmds))
    return "\n".join(lines) + "\n"


def render_esphome(p: MigrationPlan, *, show_secrets: bool = False) -> str:
    """ESPHome (LibreTiny) YAML, written with PyYAML (see :mod:`obkimg._esphome`). The Wi-Fi
    credentials are ``!secret wifi_ssid`` / ``!secret wifi_password`` unless ``show_secrets``."""
    from ._esphome import render

    return render(p, show_secrets=show_secrets)


def render(p: MigrationPlan, form: str, *, show_secrets: bool = False) -> bytes:
    """The bytes of one form (``config``, ``template``, ``commands``, ``esphome``).

    ``show_secrets`` applies to the ESPHome YAML; the binary ``config`` always carries the Wi-Fi
    credentials (it is the device's own config, as ``obk-config new`` makes it), and the template
    and commands forms hold none.
    """
    if form == "config":
        return render_config(p).build()
    if form == "template":
        import json

        return (json.dumps(render_template(p), indent=2, ensure_ascii=False) + "\n").encode()
    if form == "commands":
        return render_commands(p).encode()
    if form == "esphome":
        return render_esphome(p, show_secrets=show_secrets).encode()
    raise BuildError(f"unknown form {form!r} (one of {', '.join(FORMS)})", fmt=FMT)
