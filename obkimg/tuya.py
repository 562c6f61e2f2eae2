"""Tuya keys out of a backup: Wi-Fi credentials, cloud keys and the pin map from the KV storage.

The workflow on top of :mod:`obkimg.formats.config.tuya_kv` (bk7231tools ``kvstorage.py``,
BK7231GUIFlashTool ``TuyaConfig.cs``):
locate the storage in a dump, region read or bare storage (any offset, gzip inputs via
:func:`obkimg.source.load`), read it, decode every value (JSON, Tuya pseudo-JSON UPK, text, bytes)
and derive the convenience fields a user wants: SSID / password (base64 when ``wfb64`` is 1),
uuid, auth key, psk key, device id, local key, secKey, region, MQTT/HTTP hosts, product key,
firmware key, schema id, module and pin map.

Usage::

    from obkimg.tuya import extract_keys
    keys = extract_keys("backup.bin")
    keys.wifi["ssid"], keys.device["local_key"], keys.values["user_param_key"]
    keys.to_dict()                       # the `obkimg tuya-keys --json` document
    keys.summary()                       # short, secrets masked (for `obkimg info`)

Secrets (what :mod:`obkimg.secrets` names: SSIDs, passwords at any depth, keys, uuid, device id, seeds,
PSK endpoints...) are :class:`obkimg.model.Secret` strings: they compare equal to plain strings, and
``to_dict(show_secrets=False)`` / ``summary()`` mask them (``"***"``, whatever their length).
"""

from __future__ import annotations

import binascii
import json
import re
from dataclasses import field, fields
from typing import TYPE_CHECKING, Any

from ._record import dataclass
from .errors import NotFoundError, Problem
from .formats import Detection
from .formats.config import tuya_kv as kv
from .model import Image, Region, Secret, jsonable
from .secrets import is_secret
from .source import SourceLike
from .source import load as _load
from .tuya_storage import (
    USUAL_KEY_OFFSETS,
    BlockState,
    Entry,
    StorageLocation,
    TuyaStorage,
    locate,
    read_storage,
)

if TYPE_CHECKING:
    from .chipid import ChipId
    from .source import Source

__all__ = [
    "TuyaKeys",
    "TuyaWifi",
    "TuyaDevice",
    "TuyaStorage",
    "StorageLocation",
    "Entry",
    "BlockState",
    "TuyaKVImage",
    "extract_keys",
    "find_storage",
    "read_storage",
    "SECRET_FIELDS",
    "flatten_upk",
    "FORMAT",
    "detect",
    "load",
]

FMT = kv.FMT
#: the registry entry of the ``tuya-kv`` file kind (a region read, bare or reduced dump): its detect and
#: load need the storage search, a workflow, so the registry names this module
FORMAT = kv.FORMAT

#: (key, field) pairs whose string values are secrets; field None means the whole value. Kept for
#: compatibility: the policy itself is :mod:`obkimg.secrets` (names at any depth, e.g. wf_pt.ap_item[].pwsd)
SECRET_FIELDS: frozenset[tuple[str, str | None]] = frozenset(
    {
        ("gw_wsm", "ssid"),
        ("gw_wsm", "passwd"),
        ("gw_wsm", "token"),
        ("gw_bi", "uuid"),
        ("gw_bi", "auth_key"),
        ("gw_bi", "psk_key"),
        ("gw_bi", "ap_passwd"),
        ("gw_di", "id"),
        ("gw_ai", "key"),
        ("gw_ai", "lckey"),
        ("gw_ai", "psk21_key"),
        ("ssid", None),
        ("passwd", None),
    }
)

#: ``em_sys_env`` / module-name facts live in :mod:`obkimg.chipid` (one evidence model for every chip)

_CLOUD_REGIONS = {
    "tuyaeu": "EU",
    "tuyaus": "US",
    "tuyacn": "CN",
    "tuyain": "IN",
    "tuyaweu": "WEU",
    "tuyaeus": "EUS",
}


class _Fields:
    """Typed fields that also read like the dicts they replace: ``keys.wifi.ssid`` or
    ``keys.wifi["ssid"]``; :meth:`to_dict` gives them in declaration order (the JSON document)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, in declaration order (secrets stay :class:`~obkimg.model.Secret`)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def __getitem__(self, name: str) -> Any:
        if name not in self.to_dict():
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name``, ``default`` when there is no such field."""
        return getattr(self, name) if name in self.to_dict() else default

    def __repr__(self) -> str:  # may hold secrets: names only
        return f"{type(self).__name__}({', '.join(self.to_dict())})"


@dataclass(frozen=True, slots=True, repr=False)
class TuyaWifi(_Fields):
    """The station Wi-Fi credentials (``gw_wsm``, or the ``ssid``/``passwd`` keys of newer TuyaOS)."""

    ssid: Secret | None = None
    #: base64-decoded when ``wfb64`` is 1
    password: Secret | None = None
    #: stored base64-encoded (``wfb64`` 1)
    base64: bool = False
    #: ``gw_wsm``, ``ssid/passwd`` or None
    source: str | None = None
    configured: bool = False
    nc_tp: Any = None
    stat: Any = None
    region: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class TuyaDevice(_Fields):
    """Device identity, cloud keys and endpoints (``gw_bi``, ``gw_di``, ``gw_ai``, ``gw_wsm``, UPK)."""

    uuid: str | None = None
    auth_key: str | None = None
    psk_key: str | None = None
    device_id: str | None = None
    local_key: str | None = None
    sec_key: str | None = None
    product_key: str | None = None
    firmware_key: str | None = None
    schema_id: str | None = None
    #: the datapoint schema named by ``schema_id`` is a stored key too
    schema_stored: bool = False
    firmware_version: str | None = None
    mcu_version: str | None = None
    country_code: str | None = None
    region: str | None = None
    #: EU, US, CN... from the MQTT / HTTP host names
    cloud_region: str | None = None
    mqtt_url: str | None = None
    mqtts_url: str | None = None
    http_url: str | None = None
    https_url: str | None = None
    ap_ssid: str | None = None
    module: str | None = None
    chip_env: str | None = None
    tuya_mcu_baud: int | None = None


@dataclass(frozen=True, slots=True, repr=False)
class TuyaKeys:
    """Everything recovered from one Tuya KV storage."""

    #: every stored key -> decoded value (JSON objects as dicts, ``user_param_key`` as a dict)
    values: dict[str, Any]
    #: how each value was decoded: json, upk, text or bytes
    encodings: dict[str, str]
    #: ssid, password (base64-decoded), base64, source, configured, nc_tp, stat, region
    wifi: TuyaWifi
    #: uuid, auth_key, psk_key, device_id, local_key, sec_key, product_key, firmware_key, schema_id, ...
    device: TuyaDevice
    #: the flat pin map (``user_param_key``; the old nested format flattened), None if absent
    upk: dict[str, Any] | None
    storage: TuyaStorage
    problems: tuple[Problem, ...] = ()
    chip: str | None = None
    source_name: str = field(default="<bytes>", compare=False)
    _pins: list[dict[str, Any]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def pins(self) -> list[dict[str, Any]]:
        """One entry per GPIO of the pin map: key, gpio, role, channel, active_level.

        Labelled from :mod:`obkimg.tuya_pins` on first use (``info`` never needs it, so never loads it).
        """
        pins = self._pins
        if pins is None:
            pins = _pins(self.upk)
            object.__setattr__(self, "_pins", pins)
        return pins

    def __repr__(self) -> str:  # values hold user secrets (SSIDs, tokens...): never in a repr
        return (
            f"TuyaKeys({len(self.values)} keys, key block at {self.storage.location.key_offset:#x}, "
            f"chip={self.chip!r}, {len(self.problems)} problems)"
        )

    @property
    def chip_candidates(self) -> list[str]:
        """``[chip]`` when named (by the caller or the storage), else the chips the storage allows."""
        if self.chip:
            return [self.chip]
        return list(chip_id(self.values, self.upk).candidates)

    @property
    def offset(self) -> int:
        """Offset of the key block in the input."""
        return self.storage.location.key_offset

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The ``obkimg tuya-keys --json`` document (schemas/tuya-keys.v1.schema.json)."""
        return {
            "schema": "obkimg.tuya-keys/1",
            "source": self.source_name,
            "chip": self.chip,
            "chip_candidates": self.chip_candidates,
            "values": jsonable(self.values, show_secrets=show_secrets),
            "encodings": dict(self.encodings),
            "wifi": jsonable(self.wifi.to_dict(), show_secrets=show_secrets),
            "device": jsonable(self.device.to_dict(), show_secrets=show_secrets),
            "pins": jsonable(self.pins),
            "upk": jsonable(self.upk, show_secrets=show_secrets),
            "storage": self.storage.to_dict(show_secrets=show_secrets),
            "problems": [p.to_dict() for p in self.problems],
        }

    def summary(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """Short, flat summary for ``obkimg info`` (secrets masked unless ``show_secrets``)."""
        loc = self.storage.location
        doc: dict[str, Any] = jsonable(
            {
                "ssid": self.wifi.ssid,
                "password": self.wifi.password,
                "device_id": self.device.device_id,
                "local_key": self.device.local_key,
                "module": self.device.module,
                "key_count": len(self.values),
                "storage_offset": loc.key_offset,
                "key_variant": loc.key_variant,
                "errors": sum(1 for p in self.problems if p.severity == "error"),
            },
            show_secrets=show_secrets,
        )
        return doc

    def describe(self, *, show_secrets: bool = True) -> list[str]:
        """Human-readable lines (what ``obkimg tuya-keys`` prints)."""
        d = self.to_dict(show_secrets=show_secrets)
        st = d["storage"]
        lines = [
            f"storage:   key block at {st['key_offset']:#x} ({st['key_variant']}), "
            f"{st['live_block_count']} live blocks, {st['swap_copies']} older copies, "
            f"{len(self.values)} keys"
            + (
                f", protected block at {', '.join(hex(o) for o in st['protected_offsets'])}"
                if st["protected_offsets"]
                else ""
            )
        ]
        if self.chip:
            lines.append(f"chip:      {self.chip}")
        elif self.chip_candidates:
            lines.append(f"chip:      cannot tell: {', '.join(self.chip_candidates)}")
        w = d["wifi"]
        lines.append(
            f"wifi:      ssid={w['ssid']!r} password={w['password']!r}"
            + (" (base64 in storage)" if w.get("base64") else "")
        )
        dev = {k: v for k, v in d["device"].items() if v not in (None, "")}
        if dev:
            lines.append("device:")
            width = max(len(k) for k in dev) + 1
            lines += [f"  {k + ':':<{width}} {v}" for k, v in dev.items()]
        if self.pins:
            lines.append("pins:")
            for p in self.pins:
                extra = "" if p["channel"] is None else f" channel {p['channel']}"
                lvl = "" if p["active_level"] is None else f" active {'high' if p['active_level'] else 'low'}"
                lines.append(f"  P{p['gpio']:<3} {p['role'] or '?':<16} ({p['key']}){extra}{lvl}")
        lines.append("values:")
        for name, value in d["values"].items():
            text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            lines.append(f"  {name}: {text}")
        return lines


def find_storage(data: bytes) -> list[StorageLocation]:
    """Cheap locator (no value decoding): every storage in ``data``, best first. Never raises.

    Each :class:`~obkimg.tuya_storage.StorageLocation` has ``key_offset``, ``start``/``end``,
    ``key_variant``, ``protected_offsets`` and ``regions()`` (for dump models' flash maps).
    """
    return locate(data)


def extract_keys(source: SourceLike, *, chip: str | None = None) -> TuyaKeys:
    """Read and decode the Tuya KV storage of ``source`` (path, bytes, file object; .gz too).

    ``chip`` (``BK7231N``...) only breaks ties between several storages and is reported as the
    chip; without it the chip is guessed from ``em_sys_env`` or the module name.
    Raises :class:`~obkimg.errors.NotFoundError` when the input holds no storage, and
    :class:`~obkimg.errors.UnknownChipError` for a ``chip`` name obkimg does not know.
    """
    if chip is not None:
        from .chipid import known_chip

        chip = known_chip(chip, fmt=FMT)
    src = _load(source)
    found = locate(src.data)
    if not found:
        raise NotFoundError(
            "no Tuya KV storage found (no key block, protected block or key-block search magic)",
            fmt=FMT,
            hint="the storage lives near the end of the flash, e.g. 0x1EE000 on BK7231T/N",
        )
    loc = found[0]
    if chip and len(found) > 1:
        usual = [
            f
            for f in found
            if chip.upper() in USUAL_KEY_OFFSETS.get(f.key_offset, ())
            and len(f.block_offsets) == len(found[0].block_offsets)
        ]
        loc = usual[0] if usual else loc
    storage = read_storage(src.data, loc)
    problems = list(storage.problems)
    for other in found:
        if other is not loc and other.block_offsets:
            problems.append(
                Problem(
                    "info",
                    f"another Tuya storage (key block at {other.key_offset:#x}, "
                    f"{len(other.block_offsets)} blocks) was not read",
                    other.key_offset,
                    FMT,
                )
            )
    values, encodings = _decode_all(storage, problems)
    upk = _upk(values, problems)
    wifi = _wifi(values, problems)
    device = _device(values, upk)
    return TuyaKeys(
        values,
        encodings,
        wifi,
        device,
        upk,
        storage,
        tuple(problems),
        chip or _guess_chip(values, upk, loc.key_offset),
        src.name,
    )


def _decode_all(storage: TuyaStorage, problems: list[Problem]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    encodings: dict[str, str] = {}
    raw = storage.raw_values
    for pb in storage.protected:
        for r in pb.records:
            raw.setdefault(r.name, r.value)
    for name, data in raw.items():
        value, enc = kv.decode_value(name, data)
        if name == "user_param_key" and enc == "text":
            problems.append(
                Problem(
                    "warning", "user_param_key is neither JSON nor Tuya pseudo-JSON; kept as text", None, FMT
                )
            )
        values[name] = _mark_secrets(name, value)
        encodings[name] = enc
    return values, encodings


def _mark_secrets(name: str, value: Any, parent: str | None = None) -> Any:
    """Strings the secrets policy (:mod:`obkimg.secrets`) names become :class:`Secret`, at any depth."""
    if isinstance(value, str) and is_secret(name, parent):
        return Secret(value)
    if isinstance(value, dict):
        return {k: _mark_secrets(str(k), v, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_secrets(name, v, parent) for v in value]
    return value


def _upk(values: dict[str, Any], problems: list[Problem]) -> dict[str, Any] | None:
    upk = values.get("user_param_key")
    if isinstance(upk, dict):
        return flatten_upk(upk)
    return None


_OLD_UPK_RENAMES = (
    ("dltj_ct", "chip_type"),
    ("dltj_ivcpin_pin", "sel_pin_pin"),
    ("dltj_ivcpin_lv", "sel_pin_lv"),
    ("dltj_ivpin_pin", "vi_pin"),
    ("dltj_epin_pin", "ele_pin"),
    ("dltj_ri", "resistor"),
    ("net_wfst", "netled"),
)


def flatten_upk(upk: dict[str, Any]) -> dict[str, Any]:
    """The flat UPK: a new-style UPK as is, the old nested format (``{"sw": {...}}``) flattened.

    Old format (upk2esphome ``oldfmt.py``): nested keys joined with ``_``, ``sw_`` and ``_value``
    dropped, ``ch_<n>_bt``/``ch_<n>_rl`` renamed ``bt<n+1>``/``rl<n+1>``, ``net_wfst`` to ``netled``,
    BL0937 ``dltj_*`` pins to their new names, ``true``/``false`` to 1/0.
    """
    if not isinstance(upk.get("sw"), dict):
        return dict(upk)
    flat: dict[str, Any] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(f"{prefix}_{k}" if prefix else str(k), sub)
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                walk(f"{prefix}_{i}" if prefix else str(i), sub)
        else:
            flat[prefix] = v

    walk("", upk)
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if k.startswith("sw_"):
            k = k[3:]
        if k.endswith("_value"):
            k = k[:-6]
        m = re.match(r"ch_(\d+)_(bt|rl)(_.*)?$", k)
        if m:
            k = f"{m.group(2)}{int(m.group(1)) + 1}{m.group(3) or ''}"
        for old, new in _OLD_UPK_RENAMES:
            if k == old or k.startswith(old + "_"):
                k = new + k[len(old) :]
                break
        if v is True or v == "true":
            v = 1
        elif v is False or v == "false":
            v = 0
        out[k] = v
    return dict(sorted(out.items()))


def _b64(text: Any, what: str, problems: list[Problem]) -> Any:
    if not isinstance(text, str):
        return text
    import base64  # on first use: only storages with wfb64 1 need it

    try:
        out = base64.b64decode(str(text), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        problems.append(
            Problem(
                "warning", f"gw_wsm.{what} is not valid base64 although wfb64 is 1; kept as stored", None, FMT
            )
        )
        return text
    return Secret(out) if isinstance(text, Secret) else out


def _wifi(values: dict[str, Any], problems: list[Problem]) -> TuyaWifi:
    wsm = values.get("gw_wsm")
    out: dict[str, Any] = {}
    if isinstance(wsm, dict):
        b64 = wsm.get("wfb64") == 1
        out.update(
            ssid=_b64(wsm.get("ssid"), "ssid", problems) if b64 else wsm.get("ssid"),
            password=_b64(wsm.get("passwd"), "passwd", problems) if b64 else wsm.get("passwd"),
            base64=b64,
            source="gw_wsm",
            nc_tp=wsm.get("nc_tp"),
            stat=wsm.get("stat"),
            region=wsm.get("region"),
        )
    elif isinstance(values.get("ssid"), str):
        # newer TuyaOS keeps the station credentials in their own keys
        out.update(ssid=values.get("ssid"), password=values.get("passwd"), source="ssid/passwd")
    # the SSID is personal data too: masked wherever secrets are
    ssid = _str(out.get("ssid"))
    pw = _str(out.get("password"))
    out["ssid"] = None if ssid is None else Secret(ssid)
    out["password"] = None if pw is None else Secret(pw)
    out["region"] = _str(out.get("region"))
    return TuyaWifi(**out, configured=bool(out["ssid"]))


def _get(values: dict[str, Any], key: str, fld: str) -> Any:
    v = values.get(key)
    return v.get(fld) if isinstance(v, dict) else None


def _host_region(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    for host, region in _CLOUD_REGIONS.items():
        if f".{host}." in f".{url}".lower():
            return region
    return None


def _str(v: Any) -> str | None:
    """A scalar as a string (Secret kept), None for null / objects."""
    if v is None or isinstance(v, (dict, list, bytes)):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _device(values: dict[str, Any], upk: dict[str, Any] | None) -> TuyaDevice:
    def g(key: str, fld: str) -> str | None:
        return _str(_get(values, key, fld))

    schema_id = g("gw_di", "s_id")
    mq = g("gw_ai", "mq_url")
    return TuyaDevice(
        uuid=g("gw_bi", "uuid"),
        auth_key=g("gw_bi", "auth_key"),
        psk_key=g("gw_bi", "psk_key"),
        device_id=g("gw_di", "id"),
        local_key=g("gw_ai", "lckey"),
        sec_key=g("gw_ai", "key"),
        product_key=g("gw_di", "pk"),
        firmware_key=g("gw_di", "firmk"),
        schema_id=schema_id,
        schema_stored=isinstance(schema_id, str) and schema_id in values,
        firmware_version=g("gw_di", "swv"),
        mcu_version=g("gw_di", "dev_swv"),
        country_code=g("gw_bi", "country_code"),
        region=g("gw_wsm", "region"),
        cloud_region=_host_region(mq) or _host_region(g("gw_ai", "h_url")),
        mqtt_url=mq,
        mqtts_url=g("gw_ai", "mqs_url"),
        http_url=g("gw_ai", "h_url"),
        https_url=g("gw_ai", "hs_url"),
        ap_ssid=g("gw_bi", "ap_ssid"),
        module=_str(upk.get("module")) if upk else None,
        chip_env=_str(values.get("em_sys_env")),
        tuya_mcu_baud=int_value(_get(values, "baud_cfg", "baud"))
        or int_value(_get(values, "uart_adapt_params", "uart_baud")),
    )


def int_value(v: Any) -> int | None:
    """A Tuya value as an int: ints and bools as they are, a string of ASCII digits parsed; else None
    (``"٣"`` is not 3)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isascii() and v.isdigit():
        return int(v)
    return None


def _pins(upk: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Pin labels from the one Tuya -> OpenBeken table (:mod:`obkimg.tuya_pins`)."""
    from .tuya_pins import label_pins

    return label_pins(upk)


def chip_id(values: dict[str, Any], upk: dict[str, Any] | None) -> ChipId:
    """What the storage says of the chip: ``em_sys_env``, else the module name (CB*/T34: the N family,
    WB*: BK7231T, T1: BK7238, T3: BK7236, T5: BK7258), through :func:`obkimg.chipid.from_tuya`."""
    from . import chipid  # on first use: detection imports this module for every input

    env = values.get("em_sys_env")
    module = upk.get("module") if upk else None
    ev = chipid.from_tuya(env if isinstance(env, str) else None, module if isinstance(module, str) else None)
    return chipid.identify([ev], universe=())


def _guess_chip(values: dict[str, Any], upk: dict[str, Any] | None, key_offset: int) -> str | None:
    cid = chip_id(values, upk)
    if cid.candidates:
        return cid.chip  # None when the storage names a family (BK7231N / BK7231M / BL2028N)
    usual = USUAL_KEY_OFFSETS.get(key_offset, ())
    return usual[0] if len(usual) == 1 else None


# --------------------------------------------------------------------------------------------------
# the tuya-kv file kind: image model, detect, load (the registry's entry for region reads and bare storages)


@dataclass(frozen=True, slots=True)
class TuyaKVImage(Image):
    """A file whose content is (mainly) a Tuya KV storage: a region read, a reduced golden dump..."""

    keys: TuyaKeys
    file_size: int
    container: str = "raw"
    kind: str = field(default=FMT, init=False)

    @property
    def chip(self) -> str | None:
        return self.keys.chip

    @property
    def chip_candidates(self) -> list[str]:
        return self.keys.chip_candidates

    @property
    def size(self) -> int:
        return self.file_size

    def regions(self) -> list[Region]:
        st = self.keys.storage
        live = {b.offset for b in st.live}
        out = [
            Region("tuya-protected", o, kv.SECTOR_SIZE, FMT, "valid") for o in st.location.protected_offsets
        ]
        if not st.location.key_from_protected:
            out.append(Region("tuya-kv-key", st.location.key_offset, kv.SECTOR_SIZE, FMT, "valid"))
        for b in st.blocks:
            name = f"tuya-kv-block-{b.block_id}" + ("" if b.offset in live else "-old")
            detail = {"block_id": b.block_id, "generation": b.generation, "live": b.offset in live}
            out.append(Region(name, b.offset, kv.SECTOR_SIZE, FMT, "valid", detail=detail))
        for off in set(st.bad_offsets):
            bad = (Problem("warning", "data block with a bad checksum", off, FMT),)
            out.append(Region("tuya-kv-bad-block", off, kv.SECTOR_SIZE, FMT, "bad-crc", bad))
        return sorted(out, key=lambda r: r.offset)

    def problems(self) -> list[Problem]:
        return list(self.keys.problems)

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        st = self.keys.storage
        loc = st.location
        return {
            "key_offset": loc.key_offset,
            "key_variant": loc.key_variant,
            "data_magic": loc.data_magic,
            "phase": loc.phase,
            "protected_offsets": list(loc.protected_offsets),
            "live_blocks": len(st.live),
            "older_copies": len(st.blocks) - len(st.live),
            "bad_blocks": list(st.bad_offsets),
            "keys": list(self.keys.values),
            "summary": self.keys.summary(show_secrets=show_secrets),
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        # the Wi-Fi / key summary is printed by `obkimg info` itself (obkimg.configs); only the layout here
        st = self.keys.storage
        loc = st.location
        return [
            f"tuya storage: key block at {loc.key_offset:#x} ({loc.key_variant or 'no data key'}), "
            f"{len(st.live)} live blocks + {len(st.blocks) - len(st.live)} older copies, "
            f"{len(st.entries)} keys"
        ]


def detect(data: bytes) -> Detection | None:
    """A Tuya storage found in a file that holds little else (region read, bare or reduced dump)."""
    try:
        if len(data) < 2 * kv.SECTOR_SIZE:
            return None
        found = locate(data)
        if not found or not found[0].block_offsets:
            return None
        loc = found[0]
        outside = data[: min((loc.start, *loc.protected_offsets))] + data[loc.end :]
        alone = outside.count(0xFF) == len(outside)
        small = len(data) <= 0x40000
        conf = 90 if (alone or small) else 30
        why = (
            "only a Tuya KV storage"
            if alone
            else ("a Tuya KV region read" if small else "contains a Tuya KV storage")
        )
        return Detection(
            FMT,
            conf,
            f"{why}: key block at {loc.key_offset:#x}, {len(loc.block_offsets)} data "
            f"blocks ({loc.key_variant})",
            None,
            loc.start,
            loc.end - loc.start,
        )
    except Exception:  # noqa: BLE001 - a probe never raises
        return None


def load(source: Source) -> TuyaKVImage:
    """A :class:`TuyaKVImage` read by :func:`extract_keys`; raises what it raises
    (:class:`~obkimg.errors.NotFoundError` when the input holds no storage)."""
    keys = extract_keys(source)
    return TuyaKVImage(keys, len(source.data), source.container)
