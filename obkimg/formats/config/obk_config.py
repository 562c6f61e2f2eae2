"""OpenBeken configuration (``obk-config``): a located ``mainConfig_t``, ``FORMAT``, ``detect`` and ``load``.

The struct itself (construct schemas :func:`~.obk_struct.make_schema` for versions 1-5 and the four pin
layout groups, Tiny-CRC8, the :class:`~.obk_struct.ObkConfig` model) is :mod:`.obk_struct`; the
EasyFlash v4 area some platforms keep it in is :mod:`.easyflash`; the enumerations and the platform
table are :mod:`.obk_enums`. This module adds what a config found somewhere is: its location, its
problems (:func:`config_problems`), the ``show --json`` document (:class:`ObkConfigResult`) and the
image :func:`obkimg.open` returns for a bare config file or an EasyFlash area (:func:`load`). Searching a
whole dump for it is the workflow :func:`obkimg.obk_locate.find_config`.

Sources: openshwprojects/OpenBK7231T_App ``src/new_pins.h``, ``src/new_cfg.c``; armink/EasyFlash
``ef_env.c``; BK7231GUIFlashTool ``Misc/OBKConfig.cs``, ``Misc/OBKFlashLayout.cs``.

Limitations: see :data:`FORMAT` (version 1 checksums, ESP32 NVS, EasyFlash garbage collection).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..._record import dataclass
from ...errors import FormatError, NotFoundError, Problem
from ...model import Image, Region, RegionState, jsonable, mask_secret
from .. import Detection, FormatInfo
from . import easyflash
from .obk_enums import (
    CHANNEL_TYPE_NAMES,
    CHIPS,
    EF_KEYS,
    FLAG_NAMES,
    RAW_CANDIDATES,
    ROLE_NAMES,
    ChipInfo,
    PinRole,
    channel_type_number,
    chip_info,
    flag_number,
    role_name,
    role_number,
)
from .obk_struct import (
    CHANNELS,
    CURRENT_VERSION,
    FIXED_FIELDS,
    FMT,
    HEADER,
    HEADER_SIZE,
    IDENT,
    LAYOUT_GROUPS,
    MAX_PLAUSIBLE_VERSION,
    SECRET_FIELDS,
    SIZE_V3,
    SIZE_V4,
    STRING_FIELDS,
    ObkConfig,
    config_struct,
    default_config,
    field_offsets,
    head,
    make_schema,
    struct_length,
    tiny_crc8,
)

if TYPE_CHECKING:
    from ...source import Source

__all__ = [
    # the struct (obk_struct) and the enumerations (obk_enums), re-exported as the format's public face
    "FMT", "IDENT", "SIZE_V3", "SIZE_V4", "CURRENT_VERSION", "HEADER", "CHANNELS", "LAYOUT_GROUPS",
    "SECRET_FIELDS", "FIXED_FIELDS", "STRING_FIELDS", "make_schema", "config_struct", "field_offsets",
    "tiny_crc8", "ObkConfig", "default_config", "ROLE_NAMES", "CHANNEL_TYPE_NAMES", "FLAG_NAMES", "CHIPS",
    "RAW_CANDIDATES", "ChipInfo", "PinRole", "role_number", "role_name", "channel_type_number",
    "flag_number", "chip_info",
    # this module
    "SECTOR", "FORMAT", "config_problems", "another_config", "from_easyflash", "plausible_version",
    "ObkConfigResult", "ObkConfigImage", "detect", "load",
]  # fmt: skip

SECTOR = 0x1000
#: a bare config file (not a dump) is smaller than this
BARE_MAX = 0x10000

# a located config: what it says about itself, wherever it was found


def config_problems(cfg: ObkConfig, offset: int, expected: str | None) -> list[Problem]:
    """The CRC and firmware problems of ``cfg`` found at ``offset``; ``expected`` is the CRC variant its
    platform uses (a CRC valid with the other one is a warning)."""
    problems: list[Problem] = []
    crc_at = offset + cfg.offset_of("crc")
    if not cfg.crc_valid and cfg.version != 1:
        start, end = cfg.crc_range
        problems.append(
            Problem(
                "error",
                f"bad Tiny-CRC8 over bytes {start}..{end - 1}: stored {cfg.stored_crc:#04x}, "
                f"signed {cfg.crc_for('signed'):#04x}, unsigned {cfg.crc_for('unsigned'):#04x}; "
                "the firmware would reset this config",
                crc_at,
                FMT,
            )
        )
    elif cfg.crc_valid and expected and cfg.crc_variant != expected:
        problems.append(
            Problem(
                "warning",
                f"CRC matches the {cfg.crc_variant}-char variant but this platform uses {expected} char",
                crc_at,
                FMT,
            )
        )
    return problems + [replace(p, offset=(p.offset or 0) + offset) for p in cfg.firmware_problems()]


def another_config(cfg: ObkConfig, location: dict[str, Any]) -> Problem:
    """The note that names a second valid config, one not chosen."""
    return Problem(
        "info",
        f"another OpenBeken config at {location['offset']:#x} "
        f"({location['mechanism']}, version {cfg.version})",
        location["offset"],
        FMT,
    )


def from_easyflash(
    area: easyflash.EfArea, key: str, *, pins: int, partition: str | None = None
) -> tuple[ObkConfig | None, dict[str, Any], list[Problem]]:
    """The config stored under ``key`` in ``area`` (the live entry, as ``ef_get_env_blob`` finds it),
    its location (absolute offsets) and notes; the config is None when there is no live entry or its
    value is not a config (then a warning says so)."""
    base = area.base
    entry = area.lookup(key)
    if entry is None:
        return None, {}, []
    probs = []
    stale = [e for e in area.copies(key) if e is not entry]
    if stale:
        where = ", ".join(f"{e.status_name} at {base + e.offset:#x}" for e in stale)
        probs.append(
            Problem(
                "info",
                f"{len(stale)} other cop{'y' if len(stale) == 1 else 'ies'} of {key} skipped ({where})",
                base + stale[0].offset,
                "easyflash",
            )
        )
    try:
        cfg = ObkConfig.parse(area.value(entry), pins=pins, base=base + entry.value_offset)
    except FormatError as e:
        msg = f"EasyFlash entry {key} is not an OpenBeken config: {e}"
        return None, {}, [*probs, Problem("warning", msg, base + entry.offset, FMT)]
    loc = {
        "mechanism": "easyflash",
        "offset": base + entry.value_offset,
        "length": cfg.length,
        "key": key,
        "entry_offset": base + entry.offset,
        "entry_status": entry.status_name,
        "area_offset": base,
        "area_size": len(area.data),
        "granularity": area.gran,
        "partition": partition,
    }
    return cfg, loc, probs


@dataclass(frozen=True, slots=True)
class ObkConfigResult:
    """A recovered config and where it was found (``obkimg obk-config show``)."""

    config: ObkConfig
    #: mechanism ("raw"/"easyflash"/"bare"), offset (absolute, of the struct), length, and for
    #: EasyFlash: key, entry_offset, area_offset, area_size, granularity, partition
    location: dict[str, Any]
    problems: tuple[Problem, ...] = ()
    #: chip given by the caller or implied by the location
    chip: str | None = None
    #: the CRC variant the platform uses, when known
    expected_variant: str | None = None

    @property
    def crc_valid(self) -> bool:
        """True when the config's CRC matches with either variant (:attr:`ObkConfig.crc_valid`)."""
        return self.config.crc_valid

    @property
    def crc_variant(self) -> str | None:
        """The CRC variant that matches (``"signed"``/``"unsigned"``), else ``None``
        (:attr:`ObkConfig.crc_variant`)."""
        return self.config.crc_variant

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The ``obkimg obk-config show --json`` document (schemas/obk-config.v1.schema.json)."""
        cfg = self.config
        start, end = cfg.crc_range
        doc: dict[str, Any] = {
            "schema": "obkimg.obk-config/1",
            "version": cfg.version,
            "size": cfg.length,
            "layout": {"pins": cfg.pins, "group": LAYOUT_GROUPS[cfg.pins]},
            "chip": self.chip,
            "crc": {
                "stored": cfg.stored_crc,
                "valid": cfg.crc_valid,
                "variant": cfg.crc_variant,
                "expected_variant": self.expected_variant,
                "signed": cfg.crc_for("signed"),
                "unsigned": cfg.crc_for("unsigned"),
                "range": [start, end],
            },
            "location": dict(self.location),
        }
        doc.update(cfg.decode())
        doc["problems"] = [p.to_dict() for p in self.problems]
        out: dict[str, Any] = jsonable(doc, show_secrets=show_secrets)
        return out

    def summary(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """A short summary (for ``obkimg info``); secrets masked by default."""
        cfg = self.config
        d = cfg.decode()
        pw = cfg.get("wifi_pass")
        return {
            "version": cfg.version,
            "crc_valid": cfg.crc_valid,
            "crc_variant": cfg.crc_variant,
            "location": dict(self.location),
            "ssid": d["wifi"]["ssid"] if show_secrets else mask_secret(d["wifi"]["ssid"]),
            "password": pw if show_secrets else mask_secret(pw),
            "mqtt_host": d["mqtt"]["host"],
            "short_name": d["device"]["short_name"],
            "long_name": d["device"]["long_name"],
            "pins": [f"P{p['pin']}={p['role_name'][4:]}/{p['channel']}" for p in d["pins"] if p["role"]],
        }


# --------------------------------------------------------------------------------------------------
# the Image model for `obkimg info` on a bare config or an EasyFlash area

FORMAT = FormatInfo(
    id=FMT,
    name="OpenBeken configuration (mainConfig_t)",
    family="openbeken",
    description="OpenBeken's settings struct (v1-v5, 2016/3584 bytes, Tiny-CRC8 signed or unsigned) as a "
    "bare file or inside an EasyFlash v4 area (BL602 'mY0bcFg', others 'ObkCfg').",
    references=(
        "openshwprojects/OpenBK7231T_App src/new_pins.h, src/new_cfg.c, src/tiny_crc8.c",
        "armink/EasyFlash easyflash/src/ef_env.c (v4 ENV format)",
        "openshwprojects/BK7231GUIFlashTool Misc/OBKConfig.cs, Misc/OBKFlashLayout.cs",
    ),
    limitations=(
        "version 1 checksums (XOR of per-field CRC8s) are not verified",
        "ESP32 NVS storage is not supported",
        "EasyFlash garbage collection is not implemented (writes need free space)",
        "the ECR6600/TR6260 EasyFlash variant is implemented from source only",
    ),
)


@dataclass(frozen=True, slots=True)
class ObkConfigImage(Image):
    """A bare config file (or an EasyFlash area holding one), as returned by :func:`obkimg.open`."""

    result: ObkConfigResult
    data_size: int
    kind = FMT

    @property
    def chip(self) -> str | None:
        """The chip the config's location implies (None for a bare config or an EasyFlash area)."""
        return self.result.chip

    @property
    def size(self) -> int:
        """The size of the input in bytes."""
        return self.data_size

    def regions(self) -> list[Region]:
        """The EasyFlash area (when the config sits in one) and the config struct."""
        loc = self.result.location
        cfg = self.result.config
        out = []
        if loc["mechanism"] == "easyflash":
            detail = {"granularity": loc["granularity"], "key": loc["key"]}
            out.append(
                Region("easyflash", loc["area_offset"], loc["area_size"], "easyflash", "valid", detail=detail)
            )
        errors = tuple(p for p in self.result.problems if p.severity == "error")
        detail = {"version": cfg.version, "crc_variant": cfg.crc_variant}
        state: RegionState = "valid" if cfg.crc_valid else "bad-crc"
        out.append(Region("obk-config", loc["offset"], cfg.length, "config", state, errors, detail))
        return out

    def problems(self) -> list[Problem]:
        """The problems of the recovered config."""
        return list(self.result.problems)

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The ``show --json`` document without its schema id and problems."""
        doc = self.result.to_dict(show_secrets=show_secrets)
        doc.pop("schema", None)
        doc.pop("problems", None)
        return doc

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        """A few lines for ``obkimg info``: version and CRC, Wi-Fi, names and pins."""
        s = self.result.summary(show_secrets=show_secrets)
        crc = f"ok ({s['crc_variant']} char)" if s["crc_valid"] else "BAD"
        lines = [
            f"OpenBeken config v{s['version']}, CRC {crc}",
            f"  Wi-Fi: {s['ssid']!r} / {s['password']!r}",
            f"  names: {s['short_name']!r} / {s['long_name']!r}",
        ]
        if s["pins"]:
            lines.append("  pins: " + ", ".join(s["pins"]))
        return lines


def plausible_version(data: bytes, off: int = 0) -> int | None:
    """The version of a config header at ``off`` when it has the ident and a plausible version (1..100)."""
    if data[off : off + len(IDENT)] != IDENT or off + HEADER_SIZE > len(data):
        return None
    v = head(data[off : off + HEADER_SIZE])[1]
    return v if 1 <= v <= MAX_PLAUSIBLE_VERSION else None


def _is_ef_area(data: bytes) -> bool:
    return (
        len(data) <= 0x40000
        and easyflash.sector_granularity(data, 0) is not None
        and any(k.encode() in data for k in EF_KEYS)
    )


def detect(data: bytes) -> Detection | None:
    """A bare config (starts with "CFG" + plausible version) or a small EasyFlash area holding one."""
    try:
        v = plausible_version(data)
        if v is not None and len(data) < BARE_MAX:
            ok = len(data) >= struct_length(v)
            why = f"'CFG' ident and config version {v}" + ("" if ok else " (truncated)")
            return Detection(FMT, 90 if ok else 40, why, offset=0, length=struct_length(v))
        if _is_ef_area(data):
            return Detection(
                FMT, 60, "EasyFlash area with an OpenBeken config key", offset=0, length=len(data)
            )
    except Exception:  # noqa: BLE001 - detect never raises
        return None
    return None


def _candidates(data: bytes) -> list[tuple[ObkConfig, dict[str, Any], list[Problem]]]:
    """The configs of a bare config file, or of the EasyFlash area the file is."""
    if plausible_version(data) is not None and len(data) < BARE_MAX:
        try:
            cfg = ObkConfig.parse(data[:SIZE_V4])
        except FormatError:
            return []
        return [(cfg, {"mechanism": "bare", "offset": 0, "length": cfg.length}, [])]
    if not _is_ef_area(data):
        return []
    try:
        area = easyflash.EfArea.parse(data[: len(data) // SECTOR * SECTOR])
    except FormatError:
        return []
    found = [from_easyflash(area, key, pins=32) for key in EF_KEYS]
    return [(cfg, loc, probs) for cfg, loc, probs in found if cfg is not None]


def load(source: Source) -> ObkConfigImage:
    """The config of a bare config file or of an EasyFlash area, wrapped as an image (chip unknown);
    :class:`~obkimg.errors.NotFoundError` when there is none. Searching a whole dump is
    :func:`obkimg.obk_locate.find_config`."""
    data = source.data
    found = sorted(_candidates(data), key=lambda f: (not f[0].crc_valid, f[1]["offset"]))
    if not found:
        raise NotFoundError(f"no OpenBeken config found ({len(data)} bytes searched)", fmt=FMT)
    cfg, loc, problems = found[0]
    expected = "unsigned" if loc.get("key") == "mY0bcFg" else None
    problems = problems + config_problems(cfg, loc["offset"], expected)
    problems += [another_config(o, oloc) for o, oloc, _p in found[1:] if o.crc_valid]
    return ObkConfigImage(ObkConfigResult(cfg, loc, tuple(problems), None, expected), len(data))
