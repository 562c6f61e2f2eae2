"""OpenBeken ``mainConfig_t`` v1-v5: construct schemas, Tiny-CRC8 and the :class:`ObkConfig` model.

Purpose: decode, validate, edit and rebuild byte-exactly the one C struct in which OpenBeken (OBK) keeps
its settings (Wi-Fi, MQTT, names, pin roles, channels, flags, startup command...). The format's face
(``FORMAT``, ``detect``, ``load``, the located-config result) is :mod:`.obk_config`; it sits in a raw
flash sector (BK7231, W600, LN882H...) or in an EasyFlash v4 ENV entry (:mod:`.easyflash`; BL602 key
``mY0bcFg``, Realtek/XRadio... ``ObkCfg``); finding it inside a whole dump is the workflow
:mod:`obkimg.obk_locate`.

Sources: openshwprojects/OpenBK7231T_App ``src/new_pins.h`` (struct, ``IOR_*`` pin roles, ``ChType_*``
channel types, ``OBK_FLAG_*``), ``src/new_cfg.c`` and ``src/tiny_crc8.c`` (checksum rule);
BK7231GUIFlashTool ``Misc/OBKConfig.cs``, ``OBKRoles.cs`` (roles 79+), ``OBKFlags.cs`` (flags 40..51).

``mainConfig_t``, default 32-pin layout (BK7231, BL602, LN882H, W600...), :func:`make_schema`::

    off    size  field                 notes
    0x000     3  ident                 b"CFG"
    0x003     1  crc                   Tiny-CRC8 over bytes 4..L-1 (L = 2016 if version == 3 else 3584)
    0x004     4  version               int32; firmware writes 5, the GUI 4
    0x008     8  genericFlags(2)       OBK_FLAG bits 0..31, 32..63
    0x010     4  changeCounter, otaCounter
    0x014   640  wifi_ssid, wifi_pass, mqtt_host, mqtt_clientId, mqtt_userName, mqtt_pass (char arrays)
    0x294     4  mqtt_port
    0x298   166  webappRoot[64], mac[6], shortDeviceName[32], longDeviceName[64]
    0x33E    32  pins.roles[32]        IOR_* per GPIO   (48/50/64 entries in layout groups A/B/C)
    0x35E    64  pins.channels[32], pins.channels2[32]
    0x39E   192  pins.channelTypes[64], startChannelValues int16[64]
    0x45E     2  log2lfs, unused_fill  (group B: + 2 pad bytes)
    0x460    56  dgr_sendFlags, dgr_recvFlags, dgr_name[16], ntpServer[32]
    0x498    32  cal                   8 x float/int
    0x4B8    12  buttonShortPress, buttonLongPress, buttonHoldRepeat (0.1 s), fill, LFS_Size, loggerFlags
    0x4C4    99  unusedSectorAB        (51 / 43 / 1 bytes in groups A / B / C)
    0x527    21  staticIP[16], ledRemap[5] (group C: 0x525, + 2 pad bytes)
    0x53C    88  led_corr (6 floats), mqtt_group[64]
    0x594    76  unused[3], timeRequiredToMarkBootSuccessfull, ping_interval, ping_seconds, ping_host[64]
    0x5E0  1568  initCommandLine       512 bytes (struct end 0x7E0) up to version 3
    0xC00   132  wifi_ssid2[64], wifi_pass2[68]                                  v4+
    0xC84    56  webPassword[33], mqtt_use_tls, mqtt_verify_tls_cert, mqtt_cert_file[20],
                 disable_web_server                                           v5 (v4: unused bytes)
    0xCBC   324  unused                struct end 0xE00 (3584)

Variants: :func:`make_schema` ``(version, pins)``: versions 1-3 are the 2016-byte struct, 4 and later
the 3584-byte one (v4 and v5 share one layout: v5 named bytes v4 left unused); ``pins`` is the layout
group (32, 48 A, 50 B, 64 C) of the platform (:data:`~.obk_enums.CHIPS`).

Tiny-CRC8 is CRC-8/MAXIM-DOW with OBK's ``char crc``: where ``char`` is signed (Beken SDKs,
``-fsigned-char``) the right shift keeps bit 7. Both variants are linear over GF(2), so each is two
256-entry tables: ``crc' = T_state[crc] ^ T_byte[b]``. The CRC byte sits *before* the bytes it covers,
so the schema rebuilds it (``Rebuild``, build keyword ``crc_variant``) and checks it when parsing
strictly (``StrictCheck``).

Limitations: version 1 (a 2 KiB struct with an XOR of per-field CRC8s, obsolete after 8 days in
2022) is decoded but its checksum is not verified. ESP32 (NVS) storage is not supported. Role
numbers beyond ``IOR_DS1820_IO`` (78) come from the GUI's role list only; unknown role / channel-type
numbers are shown as numbers.
"""

from __future__ import annotations

import functools
from typing import Any

import construct as c

from ..._construct import AdapterBase as _Adapter
from ..._construct import Con, CStr, CString0, StrictCheck, build_with, parse_with
from ..._record import dataclass
from ...errors import BuildError, ChecksumError, FormatError, MagicError, Problem, TruncatedError
from ...model import Secret
from .obk_enums import FLAG_NAMES, CrcVariant, channel_type_name, role_name, role_of

__all__ = [
    "FMT",
    "IDENT",
    "SIZE_V3",
    "SIZE_V4",
    "CURRENT_VERSION",
    "HEADER",
    "LAYOUT_GROUPS",
    "make_schema",
    "config_struct",
    "field_offsets",
    "tiny_crc8",
    "ObkConfig",
    "default_config",
]

FMT = "obk-config"
IDENT = b"CFG"
SIZE_V3 = 2016
SIZE_V4 = 3584
CURRENT_VERSION = 5
#: the GUI rejects larger versions as "not an OBK config"
MAX_PLAUSIBLE_VERSION = 100
CHANNELS = 64

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


def _signed(variant: str) -> bool:
    if variant not in ("signed", "unsigned"):
        raise BuildError(f"CRC variant must be 'signed' or 'unsigned', not {variant!r}", fmt=FMT)
    return variant == "signed"


def crc_length(version: int) -> int:
    """L of spec B2: the CRC covers bytes 4..L-1 (current firmware rule)."""
    return SIZE_V3 if version == 3 else SIZE_V4


def struct_length(version: int) -> int:
    """Size of the struct as written by that version (v1-v3: 2016 bytes, v4+: 3584)."""
    return SIZE_V3 if version <= 3 else SIZE_V4


# --------------------------------------------------------------------------------------------------
# the schema

#: layout groups of spec B1: pins per array -> name
LAYOUT_GROUPS = {32: "default", 48: "A", 50: "B", 64: "C"}
_UNUSED_AB = {32: 99, 48: 51, 50: 43, 64: 1}

#: the 8-byte prefix every version shares: its ``version`` selects the layout (:func:`make_schema`)
HEADER = c.Struct("ident" / c.Const(IDENT), "crc" / c.Int8ul, "version" / c.Int32sl)
HEADER_SIZE = HEADER.sizeof()


class _U8Array(_Adapter):
    """``uint8_t x[n]`` as a list of ``item(byte)``, read as one block of bytes (a per-element
    ``Array(n, Int8ul)`` is the same layout, parsed 30 times slower)."""

    #: the range of one element (what an editor may store)
    item_range = (0, 255)

    def __init__(self, n: int, item: Any = int) -> None:
        super().__init__(c.Bytes(n))
        self.count, self.item = n, item

    def _decode(self, obj: bytes, context: Any, path: str) -> list[Any]:
        return [self.item(b) for b in obj]

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        return bytes(int(x) for x in obj)


def _roles(pins: int) -> Con:
    """``ioRole_e roles[pins]``: a byte per GPIO, each a :class:`PinRole` (an unnamed number stays an int)."""
    return _U8Array(pins, role_of)


_TEXT_TYPE = type(CString0(1))


def _text(n: int) -> Con:
    return CString0(n, "utf-8")


def _when(cond: bool, *fields: Con) -> tuple[Con, ...]:
    return fields if cond else ()


def _pins_t(pins: int) -> tuple[Con, ...]:
    """``pinsState_t pins`` (a nested struct in C, flat here): role and two channels per GPIO, a type
    per channel."""
    return (
        "roles" / _roles(pins),
        "channels" / _U8Array(pins),
        "channels2" / _U8Array(pins),
        "channelTypes" / _U8Array(CHANNELS),
    )


def _v4_tail() -> tuple[Con, ...]:
    """The fields after ``initCommandLine`` in the 3584-byte struct (version 4 on)."""
    return (
        "wifi_ssid2" / _text(64),
        "wifi_pass2" / _text(68),
        "webPassword" / _text(33),
        "mqtt_use_tls" / c.Int8ul,
        "mqtt_verify_tls_cert" / c.Int8ul,
        "mqtt_cert_file" / _text(20),
        "disable_web_server" / c.Int8ul,
        "unused_tail" / c.Bytes(324),
    )


def _body(version: int, pins: int) -> c.Struct:
    """``mainConfig_t`` from ``version`` to the end: the bytes the CRC covers (new_pins.h order)."""
    v4 = version >= 4
    return c.Struct(
        "version" / c.Const(version, c.Int32sl),
        "genericFlags" / c.Int32ul,
        "genericFlags2" / c.Int32ul,
        "changeCounter" / c.Int16ul,
        "otaCounter" / c.Int16ul,
        "wifi_ssid" / _text(64),
        "wifi_pass" / _text(64),
        "mqtt_host" / _text(256),
        "mqtt_clientId" / _text(64),
        "mqtt_userName" / _text(64),
        "mqtt_pass" / _text(128),
        "mqtt_port" / c.Int32sl,
        "webappRoot" / _text(64),
        "mac" / c.Bytes(6),
        "shortDeviceName" / _text(32),
        "longDeviceName" / _text(64),
        *_pins_t(pins),
        "startChannelValues" / c.Array(CHANNELS, c.Int16sl),
        "log2lfs" / c.Int8ul,
        "unused_fill" / c.Int8ul,
        *_when(pins == 50, "pad_esp" / c.Bytes(2)),
        "dgr_sendFlags" / c.Int32sl,
        "dgr_recvFlags" / c.Int32sl,
        "dgr_name" / _text(16),
        "ntpServer" / _text(32),
        "cal" / c.Bytes(32),
        "buttonShortPress" / c.Int8ul,
        "buttonLongPress" / c.Int8ul,
        "buttonHoldRepeat" / c.Int8ul,
        "unused_fill1" / c.Int8ul,
        "LFS_Size" / c.Int32ul,
        "loggerFlags" / c.Int32ul,
        "unusedSectorAB" / c.Bytes(_UNUSED_AB[pins]),
        "staticIP" / c.Bytes(16),
        "ledRemap" / _U8Array(5),
        *_when(pins == 64, "pad_remap" / c.Bytes(2)),
        "led_corr" / c.Array(6, c.Float32l),
        "mqtt_group" / _text(64),
        "unused_bytefill" / c.Bytes(3),
        "timeRequiredToMarkBootSuccessfull" / c.Int8ul,
        "ping_interval" / c.Int32sl,
        "ping_seconds" / c.Int32sl,
        "ping_host" / _text(64),
        "initCommandLine" / _text(1568 if v4 else 512),
        *_when(v4, *_v4_tail()),
    )


def _rebuild_crc(ctx: Any, body: Con) -> int:
    """The CRC byte on build: computed with the ``crc_variant`` build keyword when given; else the
    stored one when the object carries it (a parsed config builds back byte-exactly, even with a bad
    CRC); else computed with the signed variant."""
    variant = ctx._params.get("crc_variant")
    if variant is None and ctx.get("crc") is not None:
        return int(ctx.crc)
    raw = ctx.body["data"] if "data" in ctx.body else body.build(ctx.body["value"])
    return tiny_crc8(raw, signed=_signed(variant or "signed"))


def _crc_matches(crc: int, data: bytes) -> bool:
    return crc in (tiny_crc8(data, signed=True), tiny_crc8(data, signed=False))


@functools.cache
def make_schema(version: int = CURRENT_VERSION, pins: int = 32) -> Con:
    """The construct schema of a version-``version`` ``mainConfig_t`` with the ``pins`` layout group.

    Parse keyword ``strict`` (default true) checks the CRC (either char variant; not for version 1);
    build keyword ``crc_variant`` (``"signed"``/``"unsigned"``) recomputes it.
    """
    if pins not in LAYOUT_GROUPS:
        raise BuildError(f"unknown pin layout {pins} (use 32, 48, 50 or 64)", fmt=FMT)
    body = _body(version, pins)
    return c.Struct(
        "ident" / c.Const(IDENT),
        "crc" / c.Rebuild(c.Int8ul, lambda ctx: _rebuild_crc(ctx, body)),
        "body" / c.RawCopy(body),
        # on build the CRC is whatever _rebuild_crc chose (a kept stored byte may be wrong on purpose)
        StrictCheck(lambda ctx: ctx._building or version == 1 or _crc_matches(ctx.crc, ctx.body.data)),
    )


def config_struct(pins: int = 32, length: int = SIZE_V4) -> Con:
    """The schema of a config of ``length`` bytes (2016: version 3, 3584: version 5) and ``pins``."""
    return make_schema(3 if length == SIZE_V3 else CURRENT_VERSION, pins)


@functools.cache
def _layout(version: int, pins: int) -> dict[str, tuple[int, Con]]:
    out: dict[str, tuple[int, Con]] = {}
    off = 0
    schema: Any = make_schema(version, pins)
    for sc in schema.subcons:
        fields = sc.subcon.subcon.subcons if sc.name == "body" else ([sc] if sc.name else [])
        for f in fields:
            out[f.name] = (off, f.subcon)
            off += f.sizeof()
    return out


def field_offsets(pins: int = 32, length: int = SIZE_V4) -> dict[str, tuple[int, Con]]:
    """``{field: (offset, construct)}`` of a layout, computed from its schema."""
    return dict(_layout(3 if length == SIZE_V3 else CURRENT_VERSION, pins))


#: fields holding secrets (the credentials of :mod:`obkimg.secrets`: Wi-Fi SSIDs and passwords, MQTT user
#: and password, web password)
SECRET_FIELDS = frozenset(
    {"wifi_ssid", "wifi_ssid2", "wifi_pass", "wifi_pass2", "mqtt_userName", "mqtt_pass", "webPassword"}
)
#: fields that may not be edited (they define the struct or are derived)
FIXED_FIELDS = frozenset({"ident", "crc", "version"})
#: char-array fields (decoded up to the first NUL), from the schema
STRING_FIELDS = frozenset(
    n for n, (_o, con) in _layout(CURRENT_VERSION, 32).items() if isinstance(con, _TEXT_TYPE)
)


def head(data: bytes) -> tuple[int, int]:
    """(crc, version) of the config header at ``data[0]``, read with :data:`HEADER`'s fields (the ident is
    not checked here: :meth:`ObkConfig.parse` does)."""
    return _head(bytes(data[:HEADER_SIZE]))


@functools.lru_cache(maxsize=256)
def _head(raw: bytes) -> tuple[int, int]:
    h = HEADER.parse(IDENT + raw[len(IDENT) :])
    return int(h.crc), int(h.version)


@functools.lru_cache(maxsize=64)
def _crc(data: bytes, signed: bool) -> int:
    """:func:`tiny_crc8`, remembered: a config's CRC is asked for many times while it is found and judged."""
    return tiny_crc8(data, signed=signed)


@functools.lru_cache(maxsize=32)
def _values(raw: bytes, pins: int) -> dict[str, Any]:
    """Every field of ``raw`` parsed by its schema (ident, crc, then the body's fields)."""
    top = parse_with(make_schema(head(raw)[1], pins), FMT, raw, strict=False)
    body = {k: v for k, v in top.body.value.items() if not k.startswith("_")}
    return {"ident": top.ident, "crc": top.crc, **body}


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
        version = _version(data, base)
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
                offset=base + cfg.offset_of("crc"),
                path="crc",
            )
        return cfg

    # -- basic facts ---------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """The config version: the signed 32-bit little-endian integer at offset 4."""
        return head(self.raw)[1]

    @property
    def length(self) -> int:
        """The struct length in bytes (2016 for v1-v3, 3584 for v4 and later)."""
        return len(self.raw)

    @property
    def stored_crc(self) -> int:
        """The stored Tiny-CRC8 byte at offset 3."""
        return head(self.raw)[0]

    @property
    def crc_range(self) -> tuple[int, int]:
        """(start, end) of the bytes the CRC covers; v1/v2 blobs are 2016 bytes (the GUI's rule)."""
        return self.offset_of("version"), min(crc_length(self.version), len(self.raw))

    def crc_for(self, variant: str) -> int:
        """The Tiny-CRC8 over :attr:`crc_range` computed with ``variant`` (``"signed"`` or ``"unsigned"``
        char); :class:`~obkimg.errors.BuildError` for another variant."""
        start, end = self.crc_range
        return _crc(self.raw[start:end], _signed(variant))

    @property
    def crc_variant(self) -> CrcVariant | None:
        """ "signed" or "unsigned" when that variant matches the stored byte (signed tried first)."""
        if self.version == 1:
            return None
        for v in ("signed", "unsigned"):
            if self.crc_for(v) == self.stored_crc:
                return "signed" if v == "signed" else "unsigned"
        return None

    @property
    def crc_valid(self) -> bool:
        """True when one CRC variant matches the stored byte (always False for version 1)."""
        return self.crc_variant is not None

    def firmware_problems(self) -> list[Problem]:
        """What current firmware would think of this config (besides the CRC)."""
        v = self.version
        if v == 1:
            msg = (
                "version 1 config: its checksum (XOR of per-field CRC8s) is not verified; "
                "current firmware resets it"
            )
        elif v == 2:
            msg = (
                "version 2 config: its CRC covers 2016 bytes (the GUI's rule) but current firmware "
                "checks 3584 bytes and will reset it"
            )
        elif v > CURRENT_VERSION:
            msg = (
                f"config version {v} is newer than the newest known ({CURRENT_VERSION}); "
                "decoded with the version 5 layout"
            )
            return [Problem("warning", msg, self.offset_of("version"), FMT)]
        else:
            return []
        return [Problem("warning", msg, self.offset_of("crc"), FMT)]

    # -- fields --------------------------------------------------------------------------------
    def fields(self) -> c.Container[Any]:
        """Every struct field, parsed by the schema (char arrays as :class:`~obkimg._construct.CStr`)."""
        fields: c.Container[Any] = parse_with(
            make_schema(self.version, self.pins), FMT, self.raw, strict=False
        )
        return fields

    def offsets(self) -> dict[str, tuple[int, Con]]:
        """``{field: (offset, construct)}`` of this config's layout (pins and version)."""
        return _layout(self.version, self.pins)

    def offset_of(self, name: str) -> int:
        """The offset of field ``name`` in this config, from its schema."""
        return self.offsets()[name][0]

    def get(self, name: str) -> Any:
        """One field as a Python value (strings decoded up to the first NUL, arrays as lists)."""
        values = _values(self.raw, self.pins)
        if name not in values:
            raise FormatError(f"no field {name!r} in a version {self.version} config", fmt=FMT, path=name)
        value = values[name]
        if isinstance(value, CStr):
            return str(value)
        return list(value) if isinstance(value, list) else value

    def flags(self) -> list[int]:
        """The set OBK_FLAG bit numbers (0..63)."""
        word = self.get("genericFlags") | (self.get("genericFlags2") << 32)
        return [i for i in range(64) if word >> i & 1]

    def pin_table(self) -> list[dict[str, Any]]:
        """Every GPIO with a role (role != 0) or a channel: pin, role, role_name, channel, channel2."""
        roles, ch, ch2 = self.get("roles"), self.get("channels"), self.get("channels2")
        return [
            {
                "pin": pin,
                "role": int(roles[pin]),
                "role_name": role_name(roles[pin]),
                "channel": ch[pin],
                "channel2": ch2[pin],
            }
            for pin in range(self.pins)
            if roles[pin] or ch[pin] or ch2[pin]
        ]

    def channel_table(self) -> list[dict[str, Any]]:
        """Every channel with a non-default type or start value."""
        types, starts = self.get("channelTypes"), self.get("startChannelValues")
        return [
            {
                "channel": ch,
                "type": types[ch],
                "type_name": channel_type_name(types[ch]),
                "start_value": starts[ch],
            }
            for ch in range(CHANNELS)
            if types[ch] or starts[ch]
        ]

    def decode(self) -> dict[str, Any]:
        """The fields a user cares about, grouped (secrets as :class:`Secret`)."""
        return _decode(self)

    def values(self) -> dict[str, Any]:
        """Every field flattened to ``name -> value`` (arrays as lists of numbers, raw byte fields as hex)."""
        out: dict[str, Any] = {}
        for name in self.offsets():
            if name == "crc":
                continue
            v = self.get(name)
            if isinstance(v, bytes):
                v = v.hex()
            elif isinstance(v, list):
                v = [x if type(x) in (int, float) else int(x) for x in v]
            out[name] = Secret(v) if name in SECRET_FIELDS else v
        return out

    # -- editing -------------------------------------------------------------------------------
    def with_values(
        self, values: dict[str, Any], *, variant: str | None = None, bump_counter: bool = False
    ) -> ObkConfig:
        """A copy with ``values`` (field name -> Python value) written and the CRC recomputed.

        ``variant`` is the CRC char signedness to sign with (default: the one that matches now,
        else "signed"). Strings must leave room for their NUL; the rest of the field is zeroed.
        Each field is built by its own schema and written at its offset; the other bytes stay as they are.
        """
        buf = bytearray(self.raw)
        offsets = self.offsets()
        for name, value in values.items():
            if name in FIXED_FIELDS:
                raise BuildError(f"field {name} cannot be set", fmt=FMT, path=name)
            if name not in offsets:
                raise BuildError(f"no field {name!r} in a version {self.version} config", fmt=FMT, path=name)
            off, con = offsets[name]
            data = _encode_field(name, con, value)
            buf[off : off + len(data)] = data
        if bump_counter:
            off, con = offsets["changeCounter"]
            buf[off : off + 2] = con.build((con.parse(buf[off : off + 2]) + 1) & 0xFFFF)
        out = ObkConfig(bytes(buf), self.pins)
        return out.signed_with(variant or self.crc_variant or "signed")

    def signed_with(self, variant: str) -> ObkConfig:
        """A copy whose CRC byte is computed with ``variant`` ("signed"/"unsigned")."""
        off = self.offset_of("crc")
        return ObkConfig(self.raw[:off] + bytes([self.crc_for(variant)]) + self.raw[off + 1 :], self.pins)

    def build(self) -> bytes:
        """The config bytes (``raw``: identical to the parsed input)."""
        return self.raw


def _version(data: bytes, base: int) -> int:
    """The version of the config at ``data[0]``, read with :data:`HEADER`; checks ident and plausibility."""
    if len(data) < HEADER_SIZE:
        raise TruncatedError(FMT, HEADER_SIZE, len(data), offset=base, path="version")
    if data[:3] != IDENT:
        raise MagicError(
            FMT,
            IDENT,
            data[:3],
            offset=base,
            path="ident",
            hint="not an OpenBeken config: it must start with 'CFG'",
        )
    version = head(data)[1]
    if not 1 <= version <= MAX_PLAUSIBLE_VERSION:
        raise FormatError(
            f"implausible config version {version} (expected 1..{MAX_PLAUSIBLE_VERSION})",
            fmt=FMT,
            offset=base + HEADER.ident.sizeof() + HEADER.crc.sizeof(),
            path="version",
        )
    return version


def _encode_field(name: str, con: Con, value: Any) -> bytes:
    size = con.sizeof()
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
        return build_with(con, FMT, value)
    except BuildError as e:
        raise BuildError(f"{name}: cannot store {value!r} ({e.message})", fmt=FMT, path=name) from e


def _opt(cfg: ObkConfig, name: str, secret: bool = False) -> Any:
    if name not in cfg.offsets():
        return None
    v = cfg.get(name)
    return Secret(v) if secret and isinstance(v, str) else v


def _decode(cfg: ObkConfig) -> dict[str, Any]:
    g = cfg.get
    static, corr = g("staticIP"), g("led_corr")
    return {
        "wifi": {
            "ssid": Secret(g("wifi_ssid")),
            "password": Secret(g("wifi_pass")),
            "ssid2": _opt(cfg, "wifi_ssid2", True),
            "password2": _opt(cfg, "wifi_pass2", True),
        },
        "mqtt": {
            "host": g("mqtt_host"),
            "port": g("mqtt_port"),
            "client_id": g("mqtt_clientId"),
            "user": Secret(g("mqtt_userName")),
            "password": Secret(g("mqtt_pass")),
            "group": g("mqtt_group"),
            **{k: _opt(cfg, n) for k, n in _MQTT_TLS},
        },
        "device": {
            "short_name": g("shortDeviceName"),
            "long_name": g("longDeviceName"),
            "mac": ":".join(f"{b:02x}" for b in g("mac")),
            "change_counter": g("changeCounter"),
            "ota_counter": g("otaCounter"),
            "webapp_root": g("webappRoot"),
            "web_password": _opt(cfg, "webPassword", True),
            "disable_web_server": _opt(cfg, "disable_web_server"),
            "boot_success_seconds": g("timeRequiredToMarkBootSuccessfull"),
        },
        "pins": cfg.pin_table(),
        "channels": cfg.channel_table(),
        "flags": {
            "value": f"{g('genericFlags') | g('genericFlags2') << 32:#018x}",
            "set": [{"bit": b, "name": FLAG_NAMES.get(b, f"FLAG_{b}")} for b in cfg.flags()],
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
        "static_ip": {k: _ip(static[4 * i : 4 * i + 4]) for i, k in enumerate(_IP_PARTS)}
        if any(static)
        else None,
        "led": {
            "remap": g("ledRemap"),
            "correction": {
                "rgb_cal": [round(x, 6) for x in corr[:3]],
                **{k: round(corr[3 + i], 6) for i, k in enumerate(("gamma", "rgb_min", "cw_min"))},
            },
        },
        "ping": {"host": g("ping_host"), "interval": g("ping_interval"), "seconds": g("ping_seconds")},
        "dgr": {"name": g("dgr_name"), "send_flags": g("dgr_sendFlags"), "recv_flags": g("dgr_recvFlags")},
        "lfs_size": g("LFS_Size"),
    }


_MQTT_TLS = (
    ("use_tls", "mqtt_use_tls"),
    ("verify_tls_cert", "mqtt_verify_tls_cert"),
    ("cert_file", "mqtt_cert_file"),
)
_IP_PARTS = ("ip", "netmask", "gateway", "dns")


def default_config(*, pins: int = 32, variant: str = "signed") -> ObkConfig:
    """A fresh version-5 config with the firmware's defaults (CFG_SetDefaultConfig, as observed).

    Names, MQTT client id and Wi-Fi are left empty for the caller to fill in.
    """
    empty = build_with(HEADER, FMT, {"crc": 0, "version": CURRENT_VERSION})
    base = ObkConfig(empty + bytes(SIZE_V4 - len(empty)), pins)
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
