"""OpenBeken configuration: ``mainConfig_t`` (v1-v5), Tiny-CRC8, where OBK stores it, EasyFlash v4.

Purpose: decode, validate, locate, edit and rebuild byte-exactly the one C struct in which OpenBeken
(OBK) keeps its settings (Wi-Fi, MQTT, names, pin roles, channels, flags, startup command...), and the
EasyFlash v4 key/value area in which some platforms (BL602: key ``mY0bcFg``; Realtek, XRadio...:
``ObkCfg``) store it instead of a raw flash sector.

Sources: openshwprojects/OpenBK7231T_App ``src/new_pins.h``
(struct, ``IOR_*`` pin roles, ``ChType_*`` channel types, ``OBK_FLAG_*``), ``src/new_cfg.c`` and
``src/tiny_crc8.c`` (checksum rule); OpenBK7231T/OpenBK7231N ``BkDriverFlash.c`` (raw location);
armink/EasyFlash ``ef_env.c`` and bouffalolab/bl_iot_sdk ``easyflash4`` (ENV format);
BK7231GUIFlashTool ``Misc/OBKConfig.cs``, ``OBKFlashLayout.cs``, ``OBKRoles.cs`` (roles 79+),
``OBKFlags.cs`` (descriptions of flags 40..51, named here after those descriptions).

``mainConfig_t``, default 32-pin layout (BK7231, BL602, LN882H, W600...)::

    off    size  field                 notes
    0x000     3  ident                 b"CFG"
    0x003     1  crc                   Tiny-CRC8 over bytes 4..L-1 (L = 2016 if version == 3 else 3584)
    0x004     4  version               int32; firmware writes 5, the GUI 4
    0x008     4  genericFlags          OBK_FLAG bits 0..31
    0x00C     4  genericFlags2         OBK_FLAG bits 32..63
    0x010     2  changeCounter         +1 per save
    0x012     2  otaCounter
    0x014    64  wifi_ssid             NUL-terminated strings from here on
    0x054    64  wifi_pass
    0x094   256  mqtt_host
    0x194    64  mqtt_clientId
    0x1D4    64  mqtt_userName
    0x214   128  mqtt_pass
    0x294     4  mqtt_port
    0x298    64  webappRoot
    0x2D8     6  mac
    0x2DE    32  shortDeviceName
    0x2FE    64  longDeviceName
    0x33E    32  pins.roles[32]        IOR_* per GPIO   (48/50/64 entries in layout groups A/B/C)
    0x35E    32  pins.channels[32]
    0x37E    32  pins.channels2[32]
    0x39E    64  pins.channelTypes[64] ChType_* per channel
    0x3DE   128  startChannelValues    int16[64]
    0x45E     2  log2lfs, unused_fill  (group B: + 2 pad bytes)
    0x460    24  dgr_sendFlags, dgr_recvFlags, dgr_name[16]
    0x478    32  ntpServer
    0x498    32  cal                   8 x float/int
    0x4B8     4  buttonShortPress, buttonLongPress, buttonHoldRepeat (0.1 s), unused_fill1
    0x4BC     8  LFS_Size, loggerFlags
    0x4C4    99  unusedSectorAB        (51 / 43 / 1 bytes in groups A / B / C)
    0x527    16  staticIP              ip, netmask, gateway, dns (group C: 0x525)
    0x537     5  ledRemap              r, g, b, c, w (group C: + 2 pad bytes)
    0x53C    24  led_corr              6 floats
    0x554    64  mqtt_group
    0x594     4  unused[3], timeRequiredToMarkBootSuccessfull
    0x598    72  ping_interval, ping_seconds, ping_host[64]
    0x5E0  1568  initCommandLine       512 bytes (struct end 0x7E0) up to version 3
    0xC00    64  wifi_ssid2            v4+
    0xC40    68  wifi_pass2            v4+
    0xC84    33  webPassword           v5+
    0xCA5    23  mqtt_use_tls, mqtt_verify_tls_cert, mqtt_cert_file[20], disable_web_server
    0xCBC   324  unused                struct end 0xE00 (3584)

Tiny-CRC8 is CRC-8/MAXIM-DOW with OBK's ``char crc``: where ``char`` is signed (Beken SDKs,
``-fsigned-char``) the right shift keeps bit 7. Both variants are linear over GF(2), so each is two
256-entry tables: ``crc' = T_state[crc] ^ T_byte[b]``.

EasyFlash v4 ENV entry (granularity G = 8; G = 1 / 32 shift the fields)::

    +0   5  status table (slot k-1 = 0x00 once status k is reached), padded to 4
    +8   4  magic b"KV40"
    +12  4  len          whole entry
    +16  4  crc32        zlib, from name_len to the end of the entry
    +20  1  name_len     + 3 x 0xFF
    +24  4  value_len
    +28     name, value  each padded with 0xFF to max(1, G/8) bytes

Limitations: version 1 (a 2 KiB struct with an XOR of per-field CRC8s, obsolete after 8 days in
2022) is decoded but its checksum is not verified. ESP32 (NVS) storage is not supported. Role
numbers beyond ``IOR_DS1820_IO`` (78) come from the GUI's role list only; unknown role / channel-type
numbers are shown as numbers. The ECR6600/TR6260 EasyFlash variant (no ``KV40``) is SOURCE-ONLY.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import construct as c

from ..._construct import parse_with
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    MagicError,
    NotFoundError,
    Problem,
    TruncatedError,
)
from ...model import Image, Region, Secret, jsonable, mask_secret
from .. import Detection, FormatInfo

if TYPE_CHECKING:
    from ...source import Source

__all__ = [
    "FMT",
    "FORMAT",
    "IDENT",
    "SIZE_V3",
    "SIZE_V4",
    "CURRENT_VERSION",
    "ROLE_NAMES",
    "CHANNEL_TYPE_NAMES",
    "FLAG_NAMES",
    "CHIPS",
    "ChipInfo",
    "tiny_crc8",
    "config_struct",
    "field_offsets",
    "ObkConfig",
    "EfEntry",
    "EfArea",
    "parse_easyflash",
    "ef_set",
    "ef_compact",
    "ef_format",
    "ef_put",
    "find_psm",
    "ObkConfigResult",
    "find_config",
    "role_number",
    "channel_type_number",
    "flag_number",
    "chip_info",
    "ObkConfigImage",
    "detect",
    "load",
]

FMT = "obk-config"
IDENT = b"CFG"
SIZE_V3 = 2016
SIZE_V4 = 3584
CURRENT_VERSION = 5
SECTOR = 0x1000
#: the GUI rejects larger versions as "not an OBK config"
MAX_PLAUSIBLE_VERSION = 100
CHANNELS = 64

# --------------------------------------------------------------------------------------------------
# enums: obkimg/formats/config/obk_enums.py (a data module of their own, so the Tuya pin table can use the
# role numbers without loading this module and construct)
from .obk_enums import (  # noqa: E402
    CHANNEL_TYPE_NAMES,
    FLAG_NAMES,
    ROLE_NAMES,
    channel_type_name,
    channel_type_number,
    flag_number,
    role_name,
    role_number,
)

# --------------------------------------------------------------------------------------------------
# Tiny-CRC8

_TABLES: dict[bool, tuple[tuple[int, ...], tuple[int, ...]]] = {}


def _crc_step(crc: int, b: int, signed: bool) -> int:
    for _ in range(8):
        mix = (crc ^ b) & 1
        crc = (crc >> 1) | (crc & 0x80) if signed else crc >> 1
        if mix:
            crc ^= 0x8C
        b >>= 1
    return crc


def _tables(signed: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    t = _TABLES.get(signed)
    if t is None:
        t = (
            tuple(_crc_step(s, 0, signed) for s in range(256)),
            tuple(_crc_step(0, b, signed) for b in range(256)),
        )
        _TABLES[signed] = t
    return t


def tiny_crc8(data: bytes | bytearray | memoryview, *, signed: bool) -> int:
    """OBK's ``Tiny_CRC8``. ``signed`` = ``char`` is signed (the shift keeps bit 7).

    Check values over ``b"123456789"``: unsigned 0xA1, signed 0x63.
    """
    ts, tb = _tables(signed)
    crc = 0
    for b in bytes(data):
        crc = ts[crc] ^ tb[b]
    return crc


def crc_length(version: int) -> int:
    """L of spec B2: the CRC covers bytes 4..L-1 (current firmware rule)."""
    return SIZE_V3 if version == 3 else SIZE_V4


def struct_length(version: int) -> int:
    """Size of the struct as written by that version (v1-v3: 2016 bytes, v4+: 3584)."""
    return SIZE_V3 if version <= 3 else SIZE_V4


# --------------------------------------------------------------------------------------------------
# struct layouts

#: layout groups of spec B1: pins per array -> name
LAYOUT_GROUPS = {32: "default", 48: "A", 50: "B", 64: "C"}
_UNUSED_AB = {32: 99, 48: 51, 50: 43, 64: 1}


def _field_list(pins: int, length: int) -> list[tuple[str, c.Construct]]:
    if pins not in LAYOUT_GROUPS:
        raise BuildError(f"unknown pin layout {pins} (use 32, 48, 50 or 64)", fmt=FMT)
    s = c.Bytes
    f: list[tuple[str, c.Construct]] = [
        ("ident", s(3)),
        ("crc", c.Int8ul),
        ("version", c.Int32sl),
        ("genericFlags", c.Int32ul),
        ("genericFlags2", c.Int32ul),
        ("changeCounter", c.Int16ul),
        ("otaCounter", c.Int16ul),
        ("wifi_ssid", s(64)),
        ("wifi_pass", s(64)),
        ("mqtt_host", s(256)),
        ("mqtt_clientId", s(64)),
        ("mqtt_userName", s(64)),
        ("mqtt_pass", s(128)),
        ("mqtt_port", c.Int32sl),
        ("webappRoot", s(64)),
        ("mac", s(6)),
        ("shortDeviceName", s(32)),
        ("longDeviceName", s(64)),
        ("roles", c.Array(pins, c.Int8ul)),
        ("channels", c.Array(pins, c.Int8ul)),
        ("channels2", c.Array(pins, c.Int8ul)),
        ("channelTypes", c.Array(CHANNELS, c.Int8ul)),
        ("startChannelValues", c.Array(CHANNELS, c.Int16sl)),
        ("log2lfs", c.Int8ul),
        ("unused_fill", c.Int8ul),
    ]
    if pins == 50:
        f.append(("pad_esp", s(2)))
    f += [
        ("dgr_sendFlags", c.Int32sl),
        ("dgr_recvFlags", c.Int32sl),
        ("dgr_name", s(16)),
        ("ntpServer", s(32)),
        ("cal", s(32)),
        ("buttonShortPress", c.Int8ul),
        ("buttonLongPress", c.Int8ul),
        ("buttonHoldRepeat", c.Int8ul),
        ("unused_fill1", c.Int8ul),
        ("LFS_Size", c.Int32ul),
        ("loggerFlags", c.Int32ul),
        ("unusedSectorAB", s(_UNUSED_AB[pins])),
        ("staticIP", s(16)),
        ("ledRemap", c.Array(5, c.Int8ul)),
    ]
    if pins == 64:
        f.append(("pad_remap", s(2)))
    f += [
        ("led_corr", c.Array(6, c.Float32l)),
        ("mqtt_group", s(64)),
        ("unused_bytefill", s(3)),
        ("timeRequiredToMarkBootSuccessfull", c.Int8ul),
        ("ping_interval", c.Int32sl),
        ("ping_seconds", c.Int32sl),
        ("ping_host", s(64)),
    ]
    if length == SIZE_V3:
        f.append(("initCommandLine", s(512)))
    else:
        f += [
            ("initCommandLine", s(1568)),
            ("wifi_ssid2", s(64)),
            ("wifi_pass2", s(68)),
            ("webPassword", s(33)),
            ("mqtt_use_tls", c.Int8ul),
            ("mqtt_verify_tls_cert", c.Int8ul),
            ("mqtt_cert_file", s(20)),
            ("disable_web_server", c.Int8ul),
            ("unused_tail", s(324)),
        ]
    return f


_STRUCTS: dict[tuple[int, int], c.Struct] = {}
_OFFSETS: dict[tuple[int, int], dict[str, tuple[int, c.Construct]]] = {}


def config_struct(pins: int = 32, length: int = SIZE_V4) -> c.Struct:
    """The construct schema of ``mainConfig_t`` for a pin layout (32/48/50/64) and length (2016/3584)."""
    key = (pins, length)
    st = _STRUCTS.get(key)
    if st is None:
        st = c.Struct(*[name / con for name, con in _field_list(pins, length)])
        _STRUCTS[key] = st
    return st


def field_offsets(pins: int = 32, length: int = SIZE_V4) -> dict[str, tuple[int, c.Construct]]:
    """``{field: (offset, construct)}`` for a layout."""
    key = (pins, length)
    found = _OFFSETS.get(key)
    if found is None:
        found, off = {}, 0
        for name, con in _field_list(pins, length):
            found[name] = (off, con)
            off += con.sizeof()
        if off != length:  # pragma: no cover - guarded by the tests
            raise AssertionError(f"layout {pins}/{length} sums to {off}")
        _OFFSETS[key] = found
    return found


#: string fields (decoded up to the first NUL)
STRING_FIELDS = frozenset(
    {
        "wifi_ssid",
        "wifi_pass",
        "mqtt_host",
        "mqtt_clientId",
        "mqtt_userName",
        "mqtt_pass",
        "webappRoot",
        "shortDeviceName",
        "longDeviceName",
        "dgr_name",
        "ntpServer",
        "mqtt_group",
        "ping_host",
        "initCommandLine",
        "wifi_ssid2",
        "wifi_pass2",
        "webPassword",
        "mqtt_cert_file",
    }
)
#: fields holding secrets (the credentials of :mod:`obkimg.secrets`: Wi-Fi SSIDs and passwords, MQTT user
#: and password, web password)
SECRET_FIELDS = frozenset(
    {"wifi_ssid", "wifi_ssid2", "wifi_pass", "wifi_pass2", "mqtt_userName", "mqtt_pass", "webPassword"}
)
#: fields that may not be edited (they define the struct or are derived)
FIXED_FIELDS = frozenset({"ident", "crc", "version"})


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def _ip(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


# --------------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True, slots=True)
class ObkConfig:
    """One ``mainConfig_t``: its exact bytes (2016 or 3584) and the pin layout used to decode them.

    The model is immutable: :meth:`with_values` returns a new config with fields patched in place
    and the CRC recomputed; :meth:`build` returns the bytes (unchanged input -> identical bytes).
    """

    raw: bytes
    pins: int = 32

    @classmethod
    def parse(
        cls, data: bytes | bytearray | memoryview, *, pins: int = 32, base: int = 0, strict: bool = False
    ) -> ObkConfig:
        """Parse a config starting at ``data[0]`` (extra bytes after the struct are ignored).

        ``strict`` raises :class:`ChecksumError` unless one CRC variant matches.
        """
        data = bytes(data)
        if len(data) < 8:
            raise TruncatedError(FMT, 8, len(data), offset=base, path="version")
        if data[:3] != IDENT:
            raise MagicError(
                FMT,
                IDENT,
                data[:3],
                offset=base,
                path="ident",
                hint="not an OpenBeken config: it must start with 'CFG'",
            )
        version = struct.unpack_from("<i", data, 4)[0]
        if not 1 <= version <= MAX_PLAUSIBLE_VERSION:
            raise FormatError(
                f"implausible config version {version} (expected 1..{MAX_PLAUSIBLE_VERSION})",
                fmt=FMT,
                offset=base + 4,
                path="version",
            )
        length = struct_length(version)
        if len(data) < length:
            raise TruncatedError(
                FMT,
                length,
                len(data),
                offset=base + len(data),
                path="initCommandLine",
                hint=f"version {version} configs are {length} bytes",
            )
        if pins not in LAYOUT_GROUPS:
            raise FormatError(f"unknown pin layout {pins}", fmt=FMT, offset=base)
        cfg = cls(data[:length], pins)
        if strict and cfg.crc_variant is None:
            raise ChecksumError(
                FMT,
                "Tiny-CRC8",
                cfg.stored_crc,
                f"{cfg.crc_for('signed'):#x} (signed) / {cfg.crc_for('unsigned'):#x} (unsigned)",
                offset=base + 3,
                path="crc",
            )
        return cfg

    # -- basic facts ---------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """The config version: the signed 32-bit little-endian integer at offset 4."""
        return int(struct.unpack_from("<i", self.raw, 4)[0])

    @property
    def length(self) -> int:
        """The struct length in bytes (2016 for v1-v3, 3584 for v4 and later)."""
        return len(self.raw)

    @property
    def stored_crc(self) -> int:
        """The stored Tiny-CRC8 byte at offset 3."""
        return self.raw[3]

    @property
    def crc_range(self) -> tuple[int, int]:
        """(start, end) of the bytes the CRC covers; v1/v2 blobs are 2016 bytes (the GUI's rule)."""
        return 4, min(crc_length(self.version), len(self.raw))

    def crc_for(self, variant: str) -> int:
        """The Tiny-CRC8 over :attr:`crc_range` computed with ``variant`` (``"signed"`` or ``"unsigned"``
        char); :class:`~obkimg.errors.BuildError` for another variant."""
        start, end = self.crc_range
        return tiny_crc8(self.raw[start:end], signed=_signed(variant))

    @property
    def crc_variant(self) -> str | None:
        """ "signed" or "unsigned" when that variant matches the stored byte (signed tried first)."""
        if self.version == 1:
            return None
        for v in ("signed", "unsigned"):
            if self.crc_for(v) == self.stored_crc:
                return v
        return None

    @property
    def crc_valid(self) -> bool:
        """True when one CRC variant matches the stored byte (always False for version 1)."""
        return self.crc_variant is not None

    def firmware_problems(self) -> list[Problem]:
        """What current firmware would think of this config (besides the CRC)."""
        out: list[Problem] = []
        v = self.version
        if v == 1:
            out.append(
                Problem(
                    "warning",
                    "version 1 config: its checksum (XOR of per-field CRC8s) is not "
                    "verified; current firmware resets it",
                    3,
                    FMT,
                )
            )
        elif v == 2:
            out.append(
                Problem(
                    "warning",
                    "version 2 config: its CRC covers 2016 bytes (the GUI's rule) but "
                    "current firmware checks 3584 bytes and will reset it",
                    3,
                    FMT,
                )
            )
        elif v > CURRENT_VERSION:
            out.append(
                Problem(
                    "warning",
                    f"config version {v} is newer than the newest known ({CURRENT_VERSION}); "
                    "decoded with the version 5 layout",
                    4,
                    FMT,
                )
            )
        return out

    # -- fields --------------------------------------------------------------------------------
    def fields(self) -> c.Container:
        """Every struct field, parsed by construct (strings as raw bytes)."""
        return parse_with(config_struct(self.pins, self.length), FMT, self.raw)

    def offsets(self) -> dict[str, tuple[int, c.Construct]]:
        """``{field: (offset, construct)}`` of this config's layout (pins and length)."""
        return field_offsets(self.pins, self.length)

    def get(self, name: str) -> Any:
        """One field as a Python value (strings decoded up to the first NUL)."""
        try:
            off, con = self.offsets()[name]
        except KeyError:
            raise FormatError(
                f"no field {name!r} in a version {self.version} config", fmt=FMT, path=name
            ) from None
        value = con.parse(self.raw[off : off + con.sizeof()])
        if name in STRING_FIELDS:
            return _cstr(value)
        if isinstance(value, c.ListContainer):
            return list(value)
        return value

    def flags(self) -> list[int]:
        """The set OBK_FLAG bit numbers (0..63)."""
        word = self.get("genericFlags") | (self.get("genericFlags2") << 32)
        return [i for i in range(64) if word >> i & 1]

    def pin_table(self) -> list[dict[str, Any]]:
        """Every GPIO with a role (role != 0) or a channel: pin, role, role_name, channel, channel2."""
        roles, ch, ch2 = self.get("roles"), self.get("channels"), self.get("channels2")
        out = []
        for pin in range(self.pins):
            if roles[pin] or ch[pin] or ch2[pin]:
                out.append(
                    {
                        "pin": pin,
                        "role": roles[pin],
                        "role_name": role_name(roles[pin]),
                        "channel": ch[pin],
                        "channel2": ch2[pin],
                    }
                )
        return out

    def channel_table(self) -> list[dict[str, Any]]:
        """Every channel with a non-default type or start value."""
        types, starts = self.get("channelTypes"), self.get("startChannelValues")
        out = []
        for ch in range(CHANNELS):
            if types[ch] or starts[ch]:
                out.append(
                    {
                        "channel": ch,
                        "type": types[ch],
                        "type_name": channel_type_name(types[ch]),
                        "start_value": starts[ch],
                    }
                )
        return out

    def decode(self) -> dict[str, Any]:
        """The fields a user cares about, grouped (secrets as :class:`Secret`)."""
        g = self.get
        has = self.offsets()

        def opt(name: str, secret: bool = False) -> Any:
            if name not in has:
                return None
            v = g(name)
            return Secret(v) if secret and isinstance(v, str) else v

        static = g("staticIP")
        corr = g("led_corr")
        flags = self.flags()
        return {
            "wifi": {
                "ssid": Secret(g("wifi_ssid")),
                "password": Secret(g("wifi_pass")),
                "ssid2": opt("wifi_ssid2", True),
                "password2": opt("wifi_pass2", True),
            },
            "mqtt": {
                "host": g("mqtt_host"),
                "port": g("mqtt_port"),
                "client_id": g("mqtt_clientId"),
                "user": Secret(g("mqtt_userName")),
                "password": Secret(g("mqtt_pass")),
                "group": g("mqtt_group"),
                "use_tls": opt("mqtt_use_tls"),
                "verify_tls_cert": opt("mqtt_verify_tls_cert"),
                "cert_file": opt("mqtt_cert_file"),
            },
            "device": {
                "short_name": g("shortDeviceName"),
                "long_name": g("longDeviceName"),
                "mac": ":".join(f"{b:02x}" for b in g("mac")),
                "change_counter": g("changeCounter"),
                "ota_counter": g("otaCounter"),
                "webapp_root": g("webappRoot"),
                "web_password": opt("webPassword", True),
                "disable_web_server": opt("disable_web_server"),
                "boot_success_seconds": g("timeRequiredToMarkBootSuccessfull"),
            },
            "pins": self.pin_table(),
            "channels": self.channel_table(),
            "flags": {
                "value": f"{g('genericFlags') | g('genericFlags2') << 32:#018x}",
                "set": [{"bit": b, "name": FLAG_NAMES.get(b, f"FLAG_{b}")} for b in flags],
            },
            "logger_flags": g("loggerFlags"),
            "buttons": {
                "short_press": g("buttonShortPress"),
                "long_press": g("buttonLongPress"),
                "hold_repeat": g("buttonHoldRepeat"),
                "unit_seconds": 0.1,
            },
            "startup_command": g("initCommandLine"),
            "ntp_server": g("ntpServer"),
            "static_ip": None
            if not any(static)
            else {
                "ip": _ip(static[0:4]),
                "netmask": _ip(static[4:8]),
                "gateway": _ip(static[8:12]),
                "dns": _ip(static[12:16]),
            },
            "led": {
                "remap": g("ledRemap"),
                "correction": {
                    "rgb_cal": [round(x, 6) for x in corr[:3]],
                    "gamma": round(corr[3], 6),
                    "rgb_min": round(corr[4], 6),
                    "cw_min": round(corr[5], 6),
                },
            },
            "ping": {"host": g("ping_host"), "interval": g("ping_interval"), "seconds": g("ping_seconds")},
            "dgr": {
                "name": g("dgr_name"),
                "send_flags": g("dgr_sendFlags"),
                "recv_flags": g("dgr_recvFlags"),
            },
            "lfs_size": g("LFS_Size"),
        }

    def values(self) -> dict[str, Any]:
        """Every field flattened to ``name -> value`` (arrays as lists, raw byte fields as hex)."""
        out: dict[str, Any] = {}
        for name, (_off, _con) in self.offsets().items():
            if name in ("crc",):
                continue
            v = self.get(name)
            if isinstance(v, bytes):
                v = v.hex()
            if name in SECRET_FIELDS:
                v = Secret(v)
            out[name] = v
        return out

    # -- editing -------------------------------------------------------------------------------
    def with_values(
        self, values: dict[str, Any], *, variant: str | None = None, bump_counter: bool = False
    ) -> ObkConfig:
        """A copy with ``values`` (field name -> Python value) written and the CRC recomputed.

        ``variant`` is the CRC char signedness to sign with (default: the one that matches now,
        else "signed"). Strings must leave room for their NUL; the rest of the field is zeroed.
        """
        buf = bytearray(self.raw)
        offsets = self.offsets()
        for name, value in values.items():
            if name in FIXED_FIELDS:
                raise BuildError(f"field {name} cannot be set", fmt=FMT, path=name)
            if name not in offsets:
                raise BuildError(f"no field {name!r} in a version {self.version} config", fmt=FMT, path=name)
            off, con = offsets[name]
            size = con.sizeof()
            buf[off : off + size] = _encode_field(name, con, size, value)
        if bump_counter:
            off = offsets["changeCounter"][0]
            struct.pack_into("<H", buf, off, (struct.unpack_from("<H", buf, off)[0] + 1) & 0xFFFF)
        out = ObkConfig(bytes(buf), self.pins)
        return out.signed_with(variant or self.crc_variant or "signed")

    def signed_with(self, variant: str) -> ObkConfig:
        """A copy whose CRC byte is computed with ``variant`` ("signed"/"unsigned")."""
        crc = self.crc_for(variant)
        return ObkConfig(self.raw[:3] + bytes([crc]) + self.raw[4:], self.pins)

    def build(self) -> bytes:
        """The config bytes (``raw``: identical to the parsed input)."""
        return self.raw


def _signed(variant: str) -> bool:
    if variant not in ("signed", "unsigned"):
        raise BuildError(f"CRC variant must be 'signed' or 'unsigned', not {variant!r}", fmt=FMT)
    return variant == "signed"


def _encode_field(name: str, con: c.Construct, size: int, value: Any) -> bytes:
    if name in STRING_FIELDS:
        text = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if b"\0" in text:
            raise BuildError(f"{name}: strings cannot contain NUL", fmt=FMT, path=name)
        if len(text) > size - 1:
            raise BuildError(f"{name}: {len(text)} bytes do not fit ({size - 1} at most)", fmt=FMT, path=name)
        return text + bytes(size - len(text))
    if isinstance(con, c.Bytes) or (isinstance(value, (bytes, bytearray)) and not isinstance(con, c.Array)):
        data = bytes(value)
        if len(data) != size:
            raise BuildError(f"{name}: needs exactly {size} bytes, got {len(data)}", fmt=FMT, path=name)
        return data
    try:
        return bytes(con.build(value))
    except (c.ConstructError, ValueError, TypeError, OverflowError, struct.error) as e:
        raise BuildError(f"{name}: cannot store {value!r} ({e})", fmt=FMT, path=name) from e


def default_config(*, pins: int = 32, variant: str = "signed") -> ObkConfig:
    """A fresh version-5 config with the firmware's defaults (CFG_SetDefaultConfig, as observed).

    Names, MQTT client id and Wi-Fi are left empty for the caller to fill in.
    """
    base = ObkConfig(IDENT + b"\0" + struct.pack("<i", CURRENT_VERSION) + bytes(SIZE_V4 - 8), pins)
    return base.with_values(
        {
            "genericFlags": 1 << 10,  # OBK_FLAG_MQTT_BROADCASTSELFSTATEONCONNECT, the firmware default
            "mqtt_port": 1883,
            "mqtt_userName": "homeassistant",
            "webappRoot": "https://openbekeniot.github.io/webapp/",
            "ntpServer": "217.147.223.78",
            "buttonShortPress": 3,
            "buttonLongPress": 10,
            "buttonHoldRepeat": 5,
            # all zeros: the LED drivers apply their own default map (CFG_SetDefaultLEDRemap)
            "ledRemap": [0, 0, 0, 0, 0],
            "led_corr": [1.0, 1.0, 1.0, 2.2, 0.1, 0.1],
            "timeRequiredToMarkBootSuccessfull": 5,
            "ping_host": "192.168.0.1",
        },
        variant=variant,
    )


# --------------------------------------------------------------------------------------------------
# EasyFlash v4

EF_SECTOR_MAGICS = (b"EF40", b"EF41")
KV_MAGIC = b"KV40"
ENV_STATUS = {0: "unused", 1: "pre-write", 2: "write", 3: "pre-delete", 4: "deleted", 5: "error"}
STORE_STATUS = {0: "unused", 1: "empty", 2: "using", 3: "full"}
DIRTY_STATUS = {0: "unused", 1: "false", 2: "true", 3: "gc"}


@dataclass(frozen=True, slots=True)
class _EfGeometry:
    gran: int
    kv_magic: bool = True

    @property
    def g(self) -> int:
        return max(1, self.gran // 8)

    @property
    def sec_table(self) -> int:  # store or dirty table size (4 statuses)
        return 1 if self.gran == 1 else 3 * self.g

    @property
    def sec_magic_off(self) -> int:
        return {1: 4, 8: 8, 32: 24}[self.gran]

    @property
    def sec_header(self) -> int:
        return self.sec_magic_off + 12

    @property
    def env_table(self) -> int:  # 6 statuses
        return 1 if self.gran == 1 else 5 * self.g

    @property
    def env_magic_off(self) -> int:
        return (self.env_table + 3) & ~3

    @property
    def env_len_off(self) -> int:
        return self.env_magic_off + (4 if self.kv_magic else 0)

    @property
    def env_header(self) -> int:
        return self.env_len_off + 16

    def align(self, n: int) -> int:
        return (n + self.g - 1) // self.g * self.g


def _status(table: bytes, gran: int, count: int) -> int:
    """Current status (highest reached) of an EasyFlash status table with ``count`` statuses."""
    if gran == 1:
        b, k = table[0], 0
        for i in range(count - 1):
            if not b & (0x80 >> i):
                k = i + 1
        return k
    g = gran // 8
    k = 0
    for i in range(count - 1):
        if table[i * g] == 0x00:
            k = i + 1
    return k


def _status_table(status: int, gran: int, count: int) -> bytes:
    if gran == 1:
        return bytes([(0xFF >> status) & 0xFF if status else 0xFF])
    g = gran // 8
    return b"".join((b"\0" if i < status else b"\xff") * g for i in range(count - 1))


@dataclass(frozen=True, slots=True)
class EfEntry:
    """One ENV entry of an EasyFlash area (offsets relative to the area)."""

    offset: int
    status: int
    name: str
    length: int
    value_offset: int
    value_len: int
    crc_ok: bool

    @property
    def status_name(self) -> str:
        """The entry status as a word (``unused``, ``pre-write``, ``write``, ``pre-delete``, ``deleted``,
        ``error``), else the number."""
        return ENV_STATUS.get(self.status, str(self.status))


@dataclass(frozen=True, slots=True)
class EfSector:
    """One EasyFlash sector: its offset in the area, its store and dirty statuses (numbers, see
    ``STORE_STATUS`` and ``DIRTY_STATUS``) and the offset after its last entry (offsets relative to the
    area)."""

    offset: int
    store: int
    dirty: int
    #: offset of the first free byte (after the last entry)
    free: int


@dataclass(frozen=True, slots=True)
class EfArea:
    """An EasyFlash v4 ENV area: its bytes, granularity and the entries found in it."""

    data: bytes
    gran: int
    sectors: tuple[EfSector, ...]
    entries: tuple[EfEntry, ...]
    kv_magic: bool = True
    base: int = 0

    def value(self, entry: EfEntry) -> bytes:
        """The value bytes of ``entry``."""
        return self.data[entry.value_offset : entry.value_offset + entry.value_len]

    def lookup(self, name: str) -> EfEntry | None:
        """The live entry, the way ``ef_get_env_blob`` finds it: first WRITE entry with a good CRC."""
        for e in self.entries:
            if e.name == name and e.status == 2 and e.crc_ok:
                return e
        return None

    def copies(self, name: str) -> list[EfEntry]:
        """Every entry named ``name``, whatever its status or CRC, in area order."""
        return [e for e in self.entries if e.name == name]

    def build(self) -> bytes:
        """The area bytes (``data``, unchanged)."""
        return self.data


def _detect_gran(data: bytes, off: int) -> tuple[int, bool] | None:
    for gran, moff in ((8, 8), (1, 4), (32, 24)):
        if data[off + moff : off + moff + 4] in EF_SECTOR_MAGICS:
            kv = True
            if gran == 32:
                # ECR6600/TR6260 variant: no KV40 in entries
                geo = _EfGeometry(32)
                first = off + geo.sec_header
                kv = (
                    data[first + geo.env_magic_off : first + geo.env_magic_off + 4] == KV_MAGIC
                    or data[first : first + 4] == b"\xff\xff\xff\xff"
                )
            return gran, kv
    return None


def parse_easyflash(
    data: bytes | bytearray | memoryview,
    *,
    gran: int | None = None,
    base: int = 0,
    kv_magic: bool | None = None,
) -> EfArea:
    """Parse an EasyFlash v4 ENV area (whole sectors). ``gran`` is detected from the first sector."""
    data = bytes(data)
    if len(data) < SECTOR:
        raise TruncatedError("easyflash", SECTOR, len(data), offset=base)
    if gran is None:
        found = _detect_gran(data, 0)
        if found is None:
            raise MagicError(
                "easyflash",
                b"EF40",
                None,
                offset=base,
                path="sector.magic",
                hint="no EasyFlash sector header",
            )
        gran, kv = found
        if kv_magic is None:
            kv_magic = kv
    if gran not in (1, 8, 32):
        raise FormatError(f"unsupported EasyFlash granularity {gran}", fmt="easyflash", offset=base)
    geo = _EfGeometry(gran, True if kv_magic is None else kv_magic)
    sectors, entries = [], []
    for soff in range(0, len(data) - SECTOR + 1, SECTOR):
        if data[soff + geo.sec_magic_off : soff + geo.sec_magic_off + 4] not in EF_SECTOR_MAGICS:
            continue
        store = _status(data[soff : soff + geo.sec_table], gran, 4)
        dirty = _status(data[soff + geo.sec_table : soff + 2 * geo.sec_table], gran, 4)
        pos, end = soff + geo.sec_header, soff + SECTOR
        while pos + geo.env_header <= end:
            if geo.kv_magic and data[pos + geo.env_magic_off : pos + geo.env_magic_off + 4] != KV_MAGIC:
                break
            length, crc = struct.unpack_from("<II", data, pos + geo.env_len_off)
            if length == 0xFFFFFFFF and not geo.kv_magic:
                break
            name_len = data[pos + geo.env_len_off + 8]
            value_len = struct.unpack_from("<I", data, pos + geo.env_len_off + 12)[0]
            name_off = pos + geo.env_header
            value_off = name_off + geo.align(name_len)
            if length < geo.env_header or pos + length > end or value_off + value_len > pos + length:
                break
            crc_ok = zlib.crc32(data[pos + geo.env_len_off + 8 : pos + length]) & 0xFFFFFFFF == crc
            status = _status(data[pos : pos + geo.env_table], gran, 6)
            entries.append(
                EfEntry(
                    pos,
                    status,
                    data[name_off : name_off + name_len].decode("latin-1"),
                    length,
                    value_off,
                    value_len,
                    crc_ok,
                )
            )
            pos += length
        sectors.append(EfSector(soff, store, dirty, pos))
    if not sectors:
        raise MagicError("easyflash", b"EF40", None, offset=base, path="sector.magic")
    return EfArea(data, gran, tuple(sectors), tuple(entries), geo.kv_magic, base)


def ef_set(area: EfArea, name: str, value: bytes) -> EfArea:
    """Write ``name = value`` as a new live entry, the way EasyFlash's ``ef_set_env_blob`` ends up.

    The old live copy (if any) is marked DELETED and its sector DIRTY; the new entry goes to the
    first USING sector with room, else the first EMPTY sector (marked USING). EasyFlash keeps one
    empty sector for garbage collection; when that would be needed this raises :class:`BuildError`
    (garbage collection is not implemented).
    """
    geo = _EfGeometry(area.gran, area.kv_magic)
    buf = bytearray(area.data)
    name_b = name.encode("latin-1")
    length = geo.env_header + geo.align(len(name_b)) + geo.align(len(value))
    # the entry bytes after the status table
    body = bytearray()
    body += b"\xff" * (geo.env_magic_off - geo.env_table)
    if geo.kv_magic:
        body += KV_MAGIC
    tail = bytes([len(name_b)]) + b"\xff\xff\xff" + struct.pack("<I", len(value))
    tail += name_b.ljust(geo.align(len(name_b)), b"\xff") + value.ljust(geo.align(len(value)), b"\xff")
    crc = zlib.crc32(tail) & 0xFFFFFFFF
    body += struct.pack("<II", length, crc) + tail
    entry = _status_table(2, area.gran, 6) + bytes(body)
    if len(entry) != length:  # pragma: no cover
        raise AssertionError("entry size")

    empties = [s for s in area.sectors if s.store <= 1]
    target = next((s for s in area.sectors if s.store == 2 and s.free + length <= s.offset + SECTOR), None)
    if target is None and len(empties) > 1:
        target = empties[0]
    if target is None:
        raise BuildError(
            f"no room for a {length}-byte entry in the EasyFlash area (garbage collection is not "
            "implemented; erase the area or free space on the device)",
            fmt="easyflash",
            offset=area.base,
        )
    if any(b != 0xFF for b in buf[target.free : target.free + length]):
        raise BuildError(
            "free space of the EasyFlash sector is not erased",
            fmt="easyflash",
            offset=area.base + target.free,
        )
    old = area.lookup(name)
    buf[target.free : target.free + length] = entry
    if target.store <= 1:
        buf[target.offset : target.offset + geo.sec_table] = _status_table(2, area.gran, 4)
    if old is not None:
        buf[old.offset : old.offset + geo.env_table] = _status_table(4, area.gran, 6)
        sec = old.offset // SECTOR * SECTOR
        sec_info = next(s for s in area.sectors if s.offset == sec)
        if sec_info.dirty < 2:
            buf[sec + geo.sec_table : sec + 2 * geo.sec_table] = _status_table(2, area.gran, 4)
    return parse_easyflash(bytes(buf), gran=area.gran, base=area.base, kv_magic=area.kv_magic)


def ef_format(
    size: int, *, gran: int = 8, kv_magic: bool = True, magic: bytes = b"EF40", base: int = 0
) -> EfArea:
    """A freshly formatted, empty EasyFlash area of ``size`` bytes (every sector EMPTY, not dirty)."""
    if size < 2 * SECTOR or size % SECTOR:
        raise BuildError(
            f"an EasyFlash area needs at least 2 whole sectors, not {size:#x} bytes", fmt="easyflash"
        )
    if gran not in (1, 8, 32):
        raise BuildError(f"unsupported EasyFlash granularity {gran}", fmt="easyflash")
    geo = _EfGeometry(gran, kv_magic)
    header = (_status_table(1, gran, 4) + _status_table(1, gran, 4)).ljust(geo.sec_magic_off, b"\xff")
    header += magic + b"\xff" * 8
    sector = header + b"\xff" * (SECTOR - len(header))
    return parse_easyflash(sector * (size // SECTOR), gran=gran, base=base, kv_magic=kv_magic)


def ef_compact(area: EfArea, *, drop: tuple[str, ...] = ()) -> EfArea:
    """The area rewritten with only its live entries (minus ``drop``), packed from the first sector.

    This is the end state of EasyFlash garbage collection: every sector re-formatted (store EMPTY,
    dirty FALSE), live entries copied in order, sectors holding entries marked USING. It is used
    when a new entry does not fit; the entry order and sectors differ from what the device's own
    GC would produce, but ``ef_get_env_blob`` returns the same values.
    """
    geo = _EfGeometry(area.gran, area.kv_magic)
    live, seen = [], set()
    for e in area.entries:
        if e.status == 2 and e.crc_ok and e.name not in seen and e.name not in drop:
            seen.add(e.name)
            live.append(area.data[e.offset : e.offset + e.length])
    first = area.sectors[0].offset
    magic = area.data[first + geo.sec_magic_off : first + geo.sec_magic_off + 4]
    buf = bytearray(ef_format(len(area.data), gran=area.gran, kv_magic=area.kv_magic, magic=magic).data)
    sectors = list(range(0, len(buf), SECTOR))
    idx, pos = 0, geo.sec_header
    for raw in live:
        while pos + len(raw) > sectors[idx] + SECTOR:
            idx += 1
            if idx >= len(sectors) - 1:  # keep one empty sector, as EasyFlash does
                raise BuildError(
                    "the live EasyFlash entries do not fit in the area", fmt="easyflash", offset=area.base
                )
            pos = sectors[idx] + geo.sec_header
        buf[pos : pos + len(raw)] = raw
        pos += len(raw)
        buf[sectors[idx] : sectors[idx] + geo.sec_table] = _status_table(2, area.gran, 4)
    return parse_easyflash(bytes(buf), gran=area.gran, base=area.base, kv_magic=area.kv_magic)


def ef_put(area: EfArea, name: str, value: bytes) -> tuple[EfArea, bool]:
    """:func:`ef_set`, compacting the area first (:func:`ef_compact`) when the entry does not fit.

    Returns the new area and whether it had to be compacted.
    """
    try:
        return ef_set(area, name, value), False
    except BuildError as e:
        if "no room" not in e.message:
            raise
    return ef_set(ef_compact(area, drop=(name,)), name, value), True


# --------------------------------------------------------------------------------------------------
# BL602 partition table: only what is needed to find the PSM partition


def _bfpt_entries(data: bytes, off: int) -> tuple[int, list[tuple[str, int, int, int]]] | None:
    """(age, [(name, active_index, address0, max_len0)]) of a valid BFPT copy at ``off``, else None."""
    if data[off : off + 4] != b"BFPT" or off + 16 > len(data):
        return None
    count = struct.unpack_from("<H", data, off + 6)[0]
    age = struct.unpack_from("<I", data, off + 8)[0]
    end = off + 16 + 36 * count
    if count > 16 or end + 4 > len(data):
        return None
    if zlib.crc32(data[off : off + 12]) & 0xFFFFFFFF != struct.unpack_from("<I", data, off + 12)[0]:
        return None
    if zlib.crc32(data[off + 16 : end]) & 0xFFFFFFFF != struct.unpack_from("<I", data, end)[0]:
        return None
    out = []
    for i in range(count):
        e = off + 16 + 36 * i
        name = data[e + 3 : e + 12].split(b"\0", 1)[0].decode("latin-1")
        out.append(
            (
                name,
                data[e + 2],
                struct.unpack_from("<I", data, e + 12)[0],
                struct.unpack_from("<I", data, e + 20)[0],
            )
        )
    return age, out


def find_psm(
    data: bytes, *, table_offsets: tuple[int, ...] = (0xE000, 0xF000)
) -> tuple[int, int, int] | None:
    """(address, size, table_offset) of the ``PSM`` partition from the active BFPT copy, else None.

    Uses :mod:`obkimg.formats.bl602.partitions` when it exists; otherwise the minimal reader here.
    """
    if not any(data[off : off + 4] == b"BFPT" for off in table_offsets):
        return None  # no table copy at all: not even worth importing the BL602 reader
    try:
        from ..bl602 import partitions as bp
    except ImportError:  # pragma: no cover - the module is optional
        bp = None  # type: ignore[assignment]
    if bp is not None:
        try:
            copies = bp.read_copies(data, tuple(table_offsets))
            active = bp.select_active(copies)
            if active is None:
                return None
            table = copies[active].table
            part = table.get("PSM") if table is not None else None
            if part is None or not part.size[0]:
                return None
            return part.address[0], part.size[0], copies[active].offset
        except FormatError:
            return None
    best: tuple[int, int, list[tuple[str, int, int, int]]] | None = None
    for toff in table_offsets:
        found = _bfpt_entries(data, toff)
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], toff, found[1])
    if best is None:
        return None
    for name, _active, addr, size in best[2]:
        if name == "PSM" and size:
            return addr, size, best[1]
    return None


# --------------------------------------------------------------------------------------------------
# where OBK stores it


@dataclass(frozen=True, slots=True)
class ChipInfo:
    """How and where OBK stores its config on one platform (spec B3)."""

    mechanism: str  # "raw" | "easyflash"
    variant: str  # CRC char: "signed" | "unsigned"
    pins: int = 32
    offset: int | None = None  # raw
    key: str | None = None  # easyflash
    area: tuple[int, int] | None = None  # easyflash (offset, size) when not from a partition table
    bfpt: tuple[int, ...] = ()  # easyflash: where the BFPT copies are

    def to_dict(self) -> dict[str, Any]:
        """The storage facts as JSON-ready data: mechanism, ``crc_variant``, pins, offset, key and area (a
        list); ``bfpt`` is left out."""
        return {
            "mechanism": self.mechanism,
            "crc_variant": self.variant,
            "pins": self.pins,
            "offset": self.offset,
            "key": self.key,
            "area": list(self.area) if self.area else None,
        }


# fmt: off
_BK_T = ChipInfo("raw", "signed", offset=0x1E1000)
_BK_N = ChipInfo("raw", "signed", offset=0x1D1000)
CHIPS: dict[str, ChipInfo] = {
    "BK7231T": _BK_T, "BK7231U": _BK_T, "BK7238": _BK_T,
    "BK7252": ChipInfo("raw", "signed", 48, offset=0x1E1000),
    "BK7252N": ChipInfo("raw", "signed", 48, offset=0x1E1000),
    "BK7231N": _BK_N, "BK7231M": _BK_N,
    "BL602": ChipInfo("easyflash", "unsigned", key="mY0bcFg", bfpt=(0xE000, 0xF000)),
    "BL616": ChipInfo("easyflash", "unsigned", 48, key="mY0bcFg", bfpt=(0xE000, 0xF000)),
    "BL702": ChipInfo("easyflash", "unsigned", key="mY0bcFg", bfpt=(0x1000, 0x2000)),
    "W600": ChipInfo("raw", "unsigned", offset=0xF0000),
    "W800": ChipInfo("raw", "unsigned", 48, offset=0x1F0303),
    "LN882H": ChipInfo("raw", "unsigned", offset=0x1FF000),
    "LN8825": ChipInfo("raw", "unsigned", offset=0x1FF000),
    "GD32VW553": ChipInfo("raw", "signed", 48, offset=0x3F1000),
    "RTL8710B": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x195000, 0x8000)),
    "RTL87X0C": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x1F0000, 0x10000)),
    "RTL8720D": ChipInfo("easyflash", "unsigned", 64, key="ObkCfg", area=(0x1B0000, 0x40000)),
    "XR809": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0x1E0000, 0x10000)),
    "XR806": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0x1F0000, 0x10000)),
    "XR872": ChipInfo("easyflash", "unsigned", 48, key="ObkCfg", area=(0xEF000, 0x8000)),
    "RDA5981": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0xF4000, 0xA000)),
    "ECR6600": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x1B9000, 0x1C000)),
    "TR6260": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0xEC000, 0x12000)),
}
#: raw candidates tried when the chip is unknown (B6 step 2): offset -> chips it belongs to
RAW_CANDIDATES = ((0x1D1000, "BK7231N"), (0x1E1000, "BK7231T"), (0xF0000, "W600"), (0x1F0303, "W800"),
                  (0x1FF000, "LN882H"))
# fmt: on


def chip_info(chip: str) -> ChipInfo:
    """The storage facts of ``chip`` (case-insensitive); :class:`NotFoundError` when unknown."""
    info = CHIPS.get(chip.upper())
    if info is None:
        raise NotFoundError(
            f"no OpenBeken config location known for chip {chip!r} (known: {', '.join(sorted(CHIPS))})",
            fmt=FMT,
        )
    return info


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
        return jsonable(doc, show_secrets=show_secrets)

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


def _plausible_cfg(data: bytes, off: int) -> bool:
    if data[off : off + 3] != IDENT or off + 8 > len(data):
        return False
    v = struct.unpack_from("<i", data, off + 4)[0]
    return 1 <= v <= MAX_PLAUSIBLE_VERSION


@dataclass
class _Candidate:
    config: ObkConfig
    location: dict[str, Any]
    rank: int
    problems: list[Problem] = field(default_factory=list)
    chip: str | None = None


def _raw_candidate(
    data: bytes, off: int, pins: int, rank: int, mechanism: str = "raw", chip: str | None = None
) -> _Candidate | None:
    if not _plausible_cfg(data, off):
        return None
    try:
        cfg = ObkConfig.parse(data[off : off + SIZE_V4], pins=pins, base=off)
    except FormatError:
        return None
    loc = {"mechanism": mechanism, "offset": off, "length": cfg.length}
    return _Candidate(cfg, loc, rank, chip=chip)


def _ef_candidates(
    data: bytes,
    area_off: int,
    area_size: int,
    keys: tuple[str, ...],
    pins: int,
    rank: int,
    partition: str | None,
    chip: str | None,
) -> list[_Candidate]:
    area_size = min(area_size, (len(data) - area_off) // SECTOR * SECTOR)
    if area_size < SECTOR:
        return []
    try:
        area = parse_easyflash(data[area_off : area_off + area_size], base=area_off)
    except FormatError:
        return []
    out = []
    for key in keys:
        entry = area.lookup(key)
        if entry is None:
            continue
        probs = []
        stale = [e for e in area.copies(key) if e is not entry]
        if stale:
            probs.append(
                Problem(
                    "info",
                    f"{len(stale)} other cop{'y' if len(stale) == 1 else 'ies'} of {key} "
                    f"skipped ({', '.join(f'{e.status_name} at {area_off + e.offset:#x}' for e in stale)})",
                    area_off + stale[0].offset,
                    "easyflash",
                )
            )
        value = area.value(entry)
        try:
            cfg = ObkConfig.parse(value, pins=pins, base=area_off + entry.value_offset)
        except FormatError as e:
            probs.append(
                Problem(
                    "warning",
                    f"EasyFlash entry {key} is not an OpenBeken config: {e}",
                    area_off + entry.offset,
                    FMT,
                )
            )
            continue
        loc = {
            "mechanism": "easyflash",
            "offset": area_off + entry.value_offset,
            "length": cfg.length,
            "key": key,
            "entry_offset": area_off + entry.offset,
            "entry_status": entry.status_name,
            "area_offset": area_off,
            "area_size": area_size,
            "granularity": area.gran,
            "partition": partition,
        }
        out.append(_Candidate(cfg, loc, rank, probs, chip))
    return out


def _ef_areas(data: bytes) -> list[tuple[int, int]]:
    """Runs of consecutive EasyFlash sectors (offset, size) found by scanning every sector."""
    areas: list[tuple[int, int]] = []
    start = None
    n = len(data) // SECTOR
    for i in range(n + 1):
        is_ef = i < n and _detect_gran(data, i * SECTOR) is not None
        if is_ef and start is None:
            start = i * SECTOR
        elif not is_ef and start is not None:
            areas.append((start, i * SECTOR - start))
            start = None
    return areas


def _candidates(data: bytes, chip: str | None, info: ChipInfo | None) -> list[_Candidate]:
    found: list[_Candidate] = []
    pins = info.pins if info else 32
    n = len(data)
    # 1. the chip's own location
    if info is not None:
        if info.mechanism == "raw" and info.offset is not None:
            cand = _raw_candidate(data, info.offset, pins, 0, chip=chip)
            if cand:
                found.append(cand)
        elif info.mechanism == "easyflash":
            area: tuple[int, int, str | None] | None = None
            if info.bfpt:
                psm = find_psm(data, table_offsets=info.bfpt)
                if psm:
                    area = (psm[0], psm[1], "PSM")
            if area is None and info.area:
                area = (info.area[0], info.area[1], None)
            if area:
                found += _ef_candidates(
                    data, area[0], area[1], (info.key or "ObkCfg",), pins, 0, area[2], chip
                )
    # 2. a bare config file
    if _plausible_cfg(data, 0) and n < 0x10000:
        cand = _raw_candidate(data, 0, pins, 1, mechanism="bare", chip=chip)
        if cand:
            found.append(cand)
    # 3. the raw candidates of every platform
    if n >= 0x2000:
        for off, owner in RAW_CANDIDATES:
            if off + 8 <= n:
                cand = _raw_candidate(
                    data, off, CHIPS[owner].pins if info is None else pins, 2, chip=chip or owner
                )
                if cand:
                    found.append(cand)
    # 4. a BL602 partition table -> PSM
    psm = find_psm(data)
    if psm:
        found += _ef_candidates(data, psm[0], psm[1], ("mY0bcFg", "ObkCfg"), pins, 3, "PSM", chip or "BL602")
    # 5. any EasyFlash area
    for aoff, asize in _ef_areas(data):
        found += _ef_candidates(data, aoff, asize, ("mY0bcFg", "ObkCfg"), pins, 4, None, chip)
    # 6. every sector starting with CFG
    for off in range(0, n - 7, SECTOR):
        if data[off : off + 3] == IDENT:
            cand = _raw_candidate(data, off, pins, 5, chip=chip)
            if cand:
                found.append(cand)
    return found


def _expected_variant(chip: str | None, loc: dict[str, Any]) -> str | None:
    if chip and chip.upper() in CHIPS:
        return CHIPS[chip.upper()].variant
    if loc.get("key") == "mY0bcFg":
        return "unsigned"
    return None


def find_config(data: bytes, *, chip: str | None = None) -> ObkConfigResult:
    """Recover the OpenBeken config from a dump, a region, an EasyFlash area or a bare config (B6).

    With ``chip`` its location is tried first; otherwise (and as a fallback) the raw candidates of
    every platform, a BL602 partition table, EasyFlash areas and every sector starting with "CFG".
    A CRC-valid config wins over an invalid one; among equals, the more specific location.
    """
    chip = chip.upper() if chip else None
    info = CHIPS.get(chip) if chip else None
    cands = _candidates(data, chip if info else None, info)
    if not cands:
        where = f" at {info.offset:#x}" if info and info.offset is not None else ""
        raise NotFoundError(
            f"no OpenBeken config found{where} ({len(data)} bytes searched)",
            fmt=FMT,
            hint="the config sector may be erased (0xFF)"
            if info
            and info.offset is not None
            and info.offset < len(data)
            and data[info.offset : info.offset + 3] == b"\xff\xff\xff"
            else None,
        )
    # dedupe by offset, keep the best rank
    by_off: dict[int, _Candidate] = {}
    for cand in cands:
        prev = by_off.get(cand.location["offset"])
        if prev is None or cand.rank < prev.rank:
            by_off[cand.location["offset"]] = cand
    ordered = sorted(by_off.values(), key=lambda k: (not k.config.crc_valid, k.rank, k.location["offset"]))
    best = ordered[0]
    problems = list(best.problems)
    if chip and info is None:
        problems.append(
            Problem(
                "info",
                f"no OpenBeken config location is known for chip {chip}; every candidate "
                "location was searched",
                None,
                FMT,
            )
        )
    cfg = best.config
    loc = best.location
    exp = _expected_variant(best.chip, loc)
    if info is not None and best.rank != 0:
        problems.append(
            Problem(
                "warning",
                f"no config at the {chip} location; found one at {loc['offset']:#x} ({loc['mechanism']})",
                loc["offset"],
                FMT,
            )
        )
    if not cfg.crc_valid:
        start, end = cfg.crc_range
        if cfg.version != 1:
            problems.append(
                Problem(
                    "error",
                    f"bad Tiny-CRC8 over bytes {start}..{end - 1}: stored {cfg.stored_crc:#04x}, "
                    f"signed {cfg.crc_for('signed'):#04x}, unsigned {cfg.crc_for('unsigned'):#04x}; "
                    "the firmware would reset this config",
                    loc["offset"] + 3,
                    FMT,
                )
            )
    elif exp and cfg.crc_variant != exp:
        problems.append(
            Problem(
                "warning",
                f"CRC matches the {cfg.crc_variant}-char variant but this platform uses {exp} char",
                loc["offset"] + 3,
                FMT,
            )
        )
    problems += [
        dataclasses.replace(p, offset=(p.offset or 0) + loc["offset"]) for p in cfg.firmware_problems()
    ]
    for other in ordered[1:]:
        if other.config.crc_valid:
            problems.append(
                Problem(
                    "info",
                    f"another OpenBeken config at {other.location['offset']:#x} "
                    f"({other.location['mechanism']}, version {other.config.version})",
                    other.location["offset"],
                    FMT,
                )
            )
    return ObkConfigResult(cfg, loc, tuple(problems), best.chip, exp)


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
        return self.result.chip

    @property
    def size(self) -> int:
        return self.data_size

    def regions(self) -> list[Region]:
        loc = self.result.location
        cfg = self.result.config
        state = "valid" if cfg.crc_valid else "bad-crc"
        out = []
        if loc["mechanism"] == "easyflash":
            out.append(
                Region(
                    "easyflash",
                    loc["area_offset"],
                    loc["area_size"],
                    "easyflash",
                    "valid",
                    detail={"granularity": loc["granularity"], "key": loc["key"]},
                )
            )
        out.append(
            Region(
                "obk-config",
                loc["offset"],
                cfg.length,
                "config",
                state,
                tuple(p for p in self.result.problems if p.severity == "error"),
                {"version": cfg.version, "crc_variant": cfg.crc_variant},
            )
        )
        return out

    def problems(self) -> list[Problem]:
        return list(self.result.problems)

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        doc = self.result.to_dict(show_secrets=show_secrets)
        doc.pop("schema", None)
        doc.pop("problems", None)
        return doc

    def describe(self, *, show_secrets: bool = False) -> list[str]:
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


def detect(data: bytes) -> Detection | None:
    """A bare config (starts with "CFG" + plausible version) or a small EasyFlash area holding one."""
    try:
        if _plausible_cfg(data, 0) and len(data) < 0x10000:
            v = struct.unpack_from("<i", data, 4)[0]
            ok = len(data) >= struct_length(v)
            return Detection(
                FMT,
                90 if ok else 40,
                f"'CFG' ident and config version {v}" + ("" if ok else " (truncated)"),
                offset=0,
                length=struct_length(v),
            )
        if (
            len(data) <= 0x40000
            and _detect_gran(data, 0) is not None
            and (b"mY0bcFg" in data or b"ObkCfg" in data)
        ):
            return Detection(
                FMT, 60, "EasyFlash area with an OpenBeken config key", offset=0, length=len(data)
            )
    except Exception:  # noqa: BLE001 - detect never raises
        return None
    return None


def load(source: Source) -> ObkConfigImage:
    """The config found in ``source`` by :func:`find_config` (chip unknown), wrapped as an image;
    :class:`~obkimg.errors.NotFoundError` when there is none."""
    return ObkConfigImage(find_config(source.data), len(source.data))
