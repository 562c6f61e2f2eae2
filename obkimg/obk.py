"""OpenBeken config workflows: recover, extract, edit, compare and write ``mainConfig_t`` in dumps.

Built on :mod:`obkimg.formats.config.obk_config` (struct, CRC), :mod:`~obkimg.formats.config.easyflash`
and the search :mod:`obkimg.obk_locate`. Every function takes
a path, bytes, a file object or a :class:`obkimg.source.Source` and returns bytes or models; nothing
here prints or writes files (the CLI does).

- :func:`recover_config`: find the config in a dump / region / EasyFlash area / bare file.
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

import difflib
import ipaddress
import math
import re
from typing import Any

from ._record import dataclass
from .errors import BuildError, ChecksumError, DetectionError, NotFoundError, ObkImgError, Problem
from .formats.config.easyflash import SECTOR, EfArea, ef_format, ef_put
from .formats.config.obk_config import (
    CHANNELS,
    FIXED_FIELDS,
    STRING_FIELDS,
    ChipInfo,
    ObkConfig,
    ObkConfigResult,
    channel_type_number,
    chip_info,
    flag_number,
    role_number,
)
from .model import jsonable
from .obk_locate import find_config, find_psm
from .source import SourceLike, load
from .tuya_pins import PIN_RULES, PinRule, map_upk

__all__ = [
    "ObkConfigResult",
    "find_config",
    "recover_config",
    "extract_config",
    "parse_assignments",
    "set_config",
    "diff_configs",
    "write_config",
    "WriteResult",
    "FIELD_ALIASES",
    "NewConfigResult",
    "new_from_tuya",
    "map_upk",
    "PIN_RULES",
    "PinRule",
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
    names = [*offsets, *FIELD_ALIASES]
    close = difflib.get_close_matches(key, names, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "names are the fields of the config's JSON"
    raise BuildError(f"unknown config field {key!r}", fmt=FMT, path=key, hint=hint)


#: integers as the CLI and the firmware read them: ASCII digits only (``int()`` also takes "٣" and "1_0")
_INT_RE = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_FLOAT32_MAX = 3.4028234663852886e38

#: limits of fields beyond what their C type holds: a TCP port; IEEE 802.11 SSIDs hold at most 32 bytes,
#: WPA passphrases 63 characters or a 64-digit hex key (wifi_pass's 64-byte field keeps 63 + NUL)
FIELD_LIMITS: dict[str, tuple[int, int]] = {"mqtt_port": (0, 65535)}
STRING_LIMITS: dict[str, tuple[int, str]] = {
    "wifi_ssid": (32, "a Wi-Fi SSID"),
    "wifi_ssid2": (32, "a Wi-Fi SSID"),
    "wifi_pass2": (64, "a Wi-Fi password"),
}


def _int(text: str, what: str, lo: int | None = None, hi: int | None = None) -> int:
    t = text.strip()
    if not _INT_RE.fullmatch(t):
        raise BuildError(f"{text!r} is not an integer (ASCII digits, 0x.. hex)", fmt=FMT, path=what)
    n = int(t, 0)
    if lo is not None and hi is not None and not lo <= n <= hi:
        raise BuildError(f"{n} is out of range {lo}..{hi}", fmt=FMT, path=what)
    return n


def _float(text: str, what: str) -> float:
    t = text.strip()
    if not _FLOAT_RE.fullmatch(t):
        raise BuildError(f"{text!r} is not a finite number", fmt=FMT, path=what)
    v = float(t)
    if not math.isfinite(v) or abs(v) > _FLOAT32_MAX:
        raise BuildError(f"{text!r} does not fit a 32-bit float", fmt=FMT, path=what)
    return v


def _type_range(con: Any) -> tuple[int, int] | None:
    """The range of a construct integer field (Int8ul, Int32sl...), None for others."""
    length, fmt = getattr(con, "length", None), getattr(con, "fmtstr", None)
    if not isinstance(length, int) or not isinstance(fmt, str) or fmt[-1:].lower() not in "bhilq":
        return None
    signed, bits = fmt[-1].islower(), 8 * length
    return (-(1 << bits - 1), (1 << bits - 1) - 1) if signed else (0, (1 << bits) - 1)


def _range(cfg: ObkConfig, name: str) -> tuple[int, int] | None:
    if name in FIELD_LIMITS:
        return FIELD_LIMITS[name]
    con: Any = cfg.offsets()[name][1]
    if getattr(con, "item_range", None) is not None:  # a byte array
        lo, hi = con.item_range
        return int(lo), int(hi)
    while getattr(con, "fmtstr", None) is None and hasattr(con, "subcon"):  # Array, Adapter -> the integer
        con = con.subcon
    return _type_range(con)


def _index(text: str, limit: int, what: str) -> int:
    n = _int(text.lstrip("Pp"), what)
    if not 0 <= n < limit:
        raise BuildError(f"{what}: index {n} out of range 0..{limit - 1}", fmt=FMT, path=what)
    return n


class _Edits:
    """The struct field values a list of ``key=value`` edits amounts to (see :func:`parse_assignments`)."""

    def __init__(self, cfg: ObkConfig) -> None:
        self.cfg = cfg
        self.out: dict[str, Any] = {}
        self.arrays: dict[str, list[Any]] = {}
        self.flag_word: int | None = None

    def array(self, name: str) -> list[Any]:
        if name not in self.arrays:
            self.arrays[name] = list(self.out.get(name, self.cfg.get(name)))
        return self.arrays[name]

    def pin(self, key: str, parts: list[str], value: str) -> None:
        pin = _index(parts[1], self.cfg.pins, key)
        attr = parts[2].lower() if len(parts) == 3 else None
        if attr is None:
            vals = value.split(":")
            if len(vals) > 3:
                raise BuildError(f"{key}: use Role[:channel[:channel2]]", fmt=FMT, path=key)
            self.array("roles")[pin] = role_number(vals[0])
            for name, text in zip(("channels", "channels2"), vals[1:], strict=False):
                self.array(name)[pin] = _index(text, 256, key)
        elif attr == "role":
            self.array("roles")[pin] = role_number(value)
        elif attr in ("channel", "channel2"):
            self.array("channels" if attr == "channel" else "channels2")[pin] = _index(value, 256, key)
        else:
            raise BuildError(f"unknown pin attribute {attr!r} (role, channel, channel2)", fmt=FMT, path=key)

    def channel(self, key: str, parts: list[str], value: str) -> None:
        ch = _index(parts[1], CHANNELS, key)
        attr = parts[2].lower()
        if attr == "type":
            self.array("channelTypes")[ch] = channel_type_number(value)
        elif attr in ("start", "start_value"):
            self.array("startChannelValues")[ch] = _int(value, key, -32768, 32767)
        else:
            raise BuildError(f"unknown channel attribute {attr!r} (type, start)", fmt=FMT, path=key)

    def flag(self, key: str, parts: list[str], value: str) -> None:
        if self.flag_word is None:
            self.flag_word = self.cfg.get("genericFlags") | self.cfg.get("genericFlags2") << 32
        bit = flag_number(parts[1])
        on = value.strip().lower() in ("1", "true", "on", "yes")
        if not on and value.strip().lower() not in ("0", "false", "off", "no"):
            raise BuildError(f"{key}: use 0/1", fmt=FMT, path=key)
        self.flag_word = self.flag_word | (1 << bit) if on else self.flag_word & ~(1 << bit)

    def static_ip(self, key: str, parts: list[str], value: str) -> None:
        names = ("ip", "netmask", "gateway", "dns")
        attr = parts[1].lower()
        if attr not in names:
            raise BuildError(f"unknown static_ip part {attr!r} ({', '.join(names)})", fmt=FMT, path=key)
        raw = bytearray(self.out.get("staticIP", self.cfg.get("staticIP")))
        try:
            packed = ipaddress.IPv4Address(value.strip()).packed if value.strip() else bytes(4)
        except ValueError:
            raise BuildError(f"{key}: {value!r} is not an IPv4 address", fmt=FMT, path=key) from None
        i = names.index(attr) * 4
        raw[i : i + 4] = packed
        self.out["staticIP"] = bytes(raw)

    def apply(self, key: str, value: str) -> None:
        parts = key.split(".")
        head = parts[0].lower()
        if head == "pin" and len(parts) in (2, 3):
            self.pin(key, parts, value)
        elif head == "channel" and len(parts) == 3:
            self.channel(key, parts, value)
        elif head == "flag" and len(parts) == 2:
            self.flag(key, parts, value)
        elif head in ("static_ip", "staticip") and len(parts) == 2:
            self.static_ip(key, parts, value)
        else:
            name = _field_name(self.cfg, key)
            self.out[name] = _convert(self.cfg, name, value)

    def values(self) -> dict[str, Any]:
        out = {**self.out, **self.arrays}
        if self.flag_word is not None:
            out["genericFlags"] = self.flag_word & 0xFFFFFFFF
            out["genericFlags2"] = self.flag_word >> 32
        return out


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
    edits = _Edits(cfg)
    for key, value in items:
        edits.apply(key, value)
    return edits.values()


def _split(assignment: str) -> tuple[str, str]:
    if "=" not in assignment:
        raise BuildError(f"{assignment!r}: expected key=value", fmt=FMT)
    key, value = assignment.split("=", 1)
    return key.strip(), value


def _convert(cfg: ObkConfig, name: str, value: str) -> Any:
    if name in FIXED_FIELDS:
        raise BuildError(f"field {name} cannot be set", fmt=FMT, path=name)
    if name in STRING_FIELDS:
        limit, what = STRING_LIMITS.get(name, (0, ""))
        if limit and len(value.encode("utf-8")) > limit:
            raise BuildError(
                f"{len(value.encode('utf-8'))} bytes; {what} has at most {limit}",
                fmt=FMT,
                path=name,
            )
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
            return [_float(p, name) for p in parts]
        lim = _range(cfg, name) or (None, None)
        return [_int(p, name, *lim) for p in parts]
    if isinstance(current, bytes):
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise BuildError(f"{name}: expected {len(current)} bytes as hex", fmt=FMT, path=name) from None
    if isinstance(current, float):
        return _float(value, name)
    lim = _range(cfg, name) or (None, None)
    return _int(value, name, *lim)


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
        area = EfArea.parse(data[a0 : a0 + size], gran=loc["granularity"], base=a0)
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
    out: dict[str, Any] = jsonable(doc, show_secrets=show_secrets)
    return out


# --------------------------------------------------------------------------------------------------
# writing a config into a dump / QIO image


@dataclass(frozen=True, slots=True)
class WriteResult:
    """A flash image with an OpenBeken config written in: the bytes, the chip, where and how it went in."""

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


def _writable(config: SourceLike | ObkConfig) -> ObkConfig:
    cfg = config if isinstance(config, ObkConfig) else recover_config(config).config
    if not cfg.crc_valid:
        raise ChecksumError(
            FMT,
            "Tiny-CRC8",
            cfg.stored_crc,
            f"{cfg.crc_for('signed'):#x}/{cfg.crc_for('unsigned'):#x}",
            offset=cfg.offset_of("crc"),
            path="crc",
            hint="the config's CRC is invalid; repair it with `obkimg obk-config set` first",
        )
    return cfg


def _for_chip(cfg: ObkConfig, chip: str, info: ChipInfo, notes: list[Problem]) -> ObkConfig:
    """``cfg`` signed with the chip's CRC variant (noted), with a warning when its layout differs."""
    if cfg.crc_variant != info.variant:
        cfg = cfg.signed_with(info.variant)
        msg = f"config re-signed with the {info.variant}-char CRC used on {chip}"
        notes.append(Problem("info", msg, cfg.offset_of("crc"), FMT))
    if info.pins != cfg.pins:
        msg = f"{chip} uses the {info.pins}-pin layout; the config was decoded with the {cfg.pins}-pin one"
        notes.append(Problem("warning", msg, None, FMT))
    return cfg


def _write_raw(data: bytes, cfg: ObkConfig, off: int, notes: list[Problem]) -> bytes:
    """``cfg`` at ``off``, the rest of its sector(s) 0xFF; a shorter image padded with 0xFF up to it."""
    end = (off + cfg.length + SECTOR - 1) // SECTOR * SECTOR
    buf = bytearray(data)
    if len(buf) < off:
        msg = f"image padded with 0xFF from {len(buf):#x} to the config sector at {off:#x}"
        notes.append(Problem("info", msg, len(buf), FMT))
        buf += b"\xff" * (off - len(buf))
    if len(buf) < end:
        buf += b"\xff" * (end - len(buf))
    buf[off:end] = cfg.build() + b"\xff" * (end - off - cfg.length)
    return bytes(buf)


def _easyflash_area(data: bytes, chip: str, info: ChipInfo, notes: list[Problem]) -> EfArea:
    """The chip's EasyFlash area in ``data`` (PSM partition or fixed area); an erased one is formatted."""
    psm = find_psm(data, table_offsets=info.bfpt) if info.bfpt else None
    area = (psm[0], psm[1]) if psm else info.area
    if area is None or area[0] + SECTOR > len(data):
        raise NotFoundError(
            f"no EasyFlash area for the config in this {chip} image (partition table / PSM missing)", fmt=FMT
        )
    size = min(area[1], (len(data) - area[0]) // SECTOR * SECTOR)
    chunk = data[area[0] : area[0] + size]
    try:
        return EfArea.parse(chunk, base=area[0])
    except ObkImgError as e:
        if chunk.count(0xFF) != len(chunk):
            raise NotFoundError(
                f"the {chip} EasyFlash area at {area[0]:#x} is neither EasyFlash nor erased ({e})",
                fmt=FMT,
                offset=area[0],
            ) from e
    msg = f"the erased EasyFlash area at {area[0]:#x} was formatted (granularity 8)"
    notes.append(Problem("info", msg, area[0], "easyflash"))
    return ef_format(size, gran=8, base=area[0])


def _write_easyflash(
    data: bytes, cfg: ObkConfig, chip: str, info: ChipInfo, notes: list[Problem]
) -> WriteResult:
    ef = _easyflash_area(data, chip, info, notes)
    key = info.key or "ObkCfg"
    new, compacted = ef_put(ef, key, cfg.build())
    if compacted:
        msg = "the EasyFlash area was compacted to make room for the config"
        notes.append(Problem("info", msg, ef.base, "easyflash"))
    out = data[: ef.base] + new.build() + data[ef.base + len(ef.data) :]
    entry = new.lookup(key)
    assert entry is not None
    return WriteResult(out, chip, ef.base + entry.value_offset, "easyflash", tuple(notes))


def write_config(dump: SourceLike, config: SourceLike | ObkConfig, *, chip: str | None = None) -> WriteResult:
    """Put ``config`` into ``dump`` at the chip's config location; returns the new image.

    Raw platforms (BK7231T/N...): the struct is written at the config sector (0x1E1000 T/U,
    0x1D1000 N/M) and the rest of that sector is 0xFF; a shorter image (an OpenBeken QIO release) is
    padded with 0xFF up to it, its own bytes unchanged. BL602: the config becomes the new live
    ``mY0bcFg`` entry of the PSM EasyFlash area. The chip comes from ``chip`` or from
    ``obkimg.open(dump).chip``. A config signed with the other CRC variant is re-signed for the chip.
    """
    data = load(dump).data
    cfg = _writable(config)
    if chip is None:
        chip = _image_chip(data)
        if chip is None:
            raise DetectionError(
                "cannot tell the chip of the image; give chip=... (e.g. BK7231N or BK7231T)", fmt=FMT
            )
    info = chip_info(chip)
    chip = chip.upper()
    notes: list[Problem] = []
    cfg = _for_chip(cfg, chip, info, notes)
    if info.mechanism == "raw":
        assert info.offset is not None
        return WriteResult(_write_raw(data, cfg, info.offset, notes), chip, info.offset, "raw", tuple(notes))
    return _write_easyflash(data, cfg, chip, info, notes)


# --------------------------------------------------------------------------------------------------
# Tuya -> OpenBeken migration (the table lives in obkimg.tuya_pins, the plan in obkimg.migrate)


@dataclass(frozen=True, slots=True)
class NewConfigResult:
    """A config generated from a Tuya backup, and how it was derived."""

    config: ObkConfig
    #: None when neither the storage nor the bootloader/app tell the chip
    chip: str | None
    mapping: dict[str, Any]
    problems: tuple[Problem, ...] = ()

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The ``obkimg obk-config new --json`` document (schemas/obk-config-new.v1.schema.json)."""
        cfg = self.config
        doc = {
            "schema": "obkimg.obk-config-new/1",
            "chip": self.chip or "unknown",
            "version": cfg.version,
            "size": cfg.length,
            "crc": {"stored": cfg.stored_crc, "valid": cfg.crc_valid, "variant": cfg.crc_variant},
        }
        doc.update(self.mapping)
        doc["problems"] = [p.to_dict() for p in self.problems]
        out: dict[str, Any] = jsonable(doc, show_secrets=show_secrets)
        return out


def new_from_tuya(dump: SourceLike, *, chip: str | None = None, name: str | None = None) -> NewConfigResult:
    """A fresh OpenBeken config (version 5, the chip's CRC variant and layout) from a Tuya backup.

    The config is :func:`obkimg.migrate.render_config` of :func:`obkimg.migrate.plan`: Wi-Fi from
    ``gw_wsm`` (a value that does not fit is reported and left out), pins from ``user_param_key``
    (settled rules only), drivers / PWM frequency / TuyaMCU baud as the startup command, the Tuya
    LED colour order as ``ledRemap``. Names are ``obk<8 hex>`` / ``OpenBK7231N_<8 hex>`` derived
    from the device's uuid (or ``name`` for the short name). A chip nobody can tell is reported
    as None and the config is written with the BK7231T/N layout.
    """
    from .migrate import plan, render_config

    p = plan(dump, chip=chip, name=name)
    cfg = render_config(p)
    d = p.to_dict(show_secrets=True)
    keep = ("key", "gpio", "what", "level_key", "level")
    mapping = {
        "wifi": {"ssid": p.wifi_ssid, "password": p.wifi_password, "source": p.wifi_source},
        "names": {"short_name": p.short_name, "long_name": p.long_name},
        "startup_command": p.startup_line(),
        "tuya_mcu_baud": p.tuya_mcu_baud,
        "module": p.module,
        "chip_source": p.chip_source,
        "chip_candidates": list(p.chip_candidates),
        "platform": p.platform,
        "pins": [
            {
                **{k: x[k] for k in keep},
                "role": x["role"],
                "role_name": x["role_name"],
                "channel": x["channel"],
            }
            for x in d["pins"]
        ],
        "uncertain": [
            {**{k: x[k] for k in keep}, "reason": x["reason"], "suggestion": x["suggestion"]}
            for x in d["uncertain"]
        ],
        "not_mapped": d["not_mapped"],
        "unknown": d["unknown"],
        "conflicts": d["conflicts"],
        "led_map": d["led_map"],
        "flags": d["flags"],
        "notes": d["notes"],
    }
    return NewConfigResult(cfg, p.chip, mapping, p.problems)
