"""Bouffalo Lab BL602 efuse image (128 bytes): configuration, Wi-Fi MAC with its zero-bit check, key slots.

The efuse holds the factory MAC address (the flash dump does not), security settings (signing,
AES, JTAG) and six 128-bit key slots. The eflash loader's "read efuse" and the vendor
``efusedata.bin`` give the plain 128 bytes; in "security_save" mode bflb-iot-tool writes 4224 bytes
(CRC32 of the plain image, zeros to 4096, then the image AES-encrypted with a tool key), which is
recognised but not decrypted.

Sources: PyPI bflb-iot-tool 1.10 ``libs/bl602/efuse_cfg_keys.py`` (word map, bit positions, field
names), ``libs/bflb_efuse_boothd_create.py``; openshwprojects/OpenBL602 ``bl602_ef_ctrl.c``
(``EF_Ctrl_Read_MAC_Address``: zero-bit count check, byte order).

:data:`EFUSE` is the map word by word (u32 little-endian; bit fields are ``ByteSwapped(BitStruct)``
listed from bit 31 down, reserved bits kept as ``rsvd_<bit>`` so every image rebuilds byte for byte)::

    0x00 ef_cfg_0: b0-1 sf_aes_mode, b2-3 sboot_sign_mode, b4-5 sboot_en, b7 cpu_enc_en,
         b12 trim_enable, b13 sw_usage_1, b14 sdu_dis, b15 ble_dis, b16 wifi_dis, b17 0_key_enc_en,
         b19 sf_dis, b21 cpu_rst_dbg_dis, b22 se_dbg_dis, b23 efuse_dbg_dis, b26-27 dbg_jtag_dis,
         b28-31 dbg_mode
    0x04 ef_dbg_pwd_low ("MAC slot 2")   0x08 ef_dbg_pwd_high   0x0C ef_ana_trim_0
    0x10 ef_sw_usage_0: b4-6 xtal_type, b7-9 pll_clk, b12-14 flash_clk_type, b16-17 flash_cfg,
         b24 mediaboot_disable, b25 uartboot_disable, ... (all 32 bits named)
    0x14 ef_wifi_mac: 6 bytes, reversed (0x14 = last octet); 0x1A low 6 bits = count of zero bits
    0x1C ef_key_slot_0..5, 16 bytes each (slot 5 word 0 at 0x6C is "MAC slot 1")
    0x7C ef_if_ctrl lock word: wr_lock_* b13..b24, rd_lock_* b25..b31

Coded fields are ``Enum``: sboot_sign_mode, sf_aes_mode and dbg_mode with the names of
``EF_Ctrl_Sign_Type``, ``EF_Ctrl_SF_AES_Type`` and ``EF_Ctrl_Dbg_Mode_Type`` (bl_iot_sdk
``bl602_ef_ctrl.h``; ``EF_Ctrl_Write_Secure_Boot`` stores them as they are), the clock fields of
sw_usage_0 (xtal_type, pll_clk, flash_clk_type) with the boot header's value names. The model and the
JSON report them as numbers, as before.

Limitations: the security_save (4224-byte) variant is not decrypted; key material is masked in
``info`` unless ``--show-secrets``.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import construct as cs
from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Bytes,
    ByteSwapped,
    Enum,
    Int8ul,
    Int32ul,
    RawCopy,
    Struct,
)

from ..._construct import build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs.checksums import crc32
from ...errors import FormatError, ObkImgError, Problem, TruncatedError, unique_problems
from ...model import BytesImage, Image, Region, RegionState, Secret
from ...source import Source
from .. import Detection, FormatInfo
from .bootheader import FLASH_CLKS, PLL_CLKS, XTAL_TYPES

__all__ = [
    "FORMAT",
    "FMT",
    "EFUSE",
    "EFUSE_SIZE",
    "SECURE_SAVE_SIZE",
    "Efuse",
    "EfuseImage",
    "mac_zero_count",
    "detect",
    "load",
]

FMT = "bl602-efuse"
CHIP = "BL602"
SECURE_SAVE_SIZE = 4224


def _bit(name: str) -> Any:
    return name / BitsInteger(1)


def _enum(bits: int, names: dict[int, str]) -> Any:
    return Enum(BitsInteger(bits), **{v: k for k, v in names.items()})


#: bl602_ef_ctrl.h (bl_iot_sdk StdDriver) enums, with their C names
EF_CTRL_SIGN_TYPE = {0: "EF_CTRL_SIGN_NONE", 1: "EF_CTRL_SIGN_RSA", 2: "EF_CTRL_SIGN_ECC"}
EF_CTRL_SF_AES_TYPE = {
    0: "EF_CTRL_SF_AES_NONE",
    1: "EF_CTRL_SF_AES_128",
    2: "EF_CTRL_SF_AES_192",
    3: "EF_CTRL_SF_AES_256",
}
EF_CTRL_DBG_MODE_TYPE = {0: "EF_CTRL_DBG_OPEN", 1: "EF_CTRL_DBG_PASSWORD", 4: "EF_CTRL_DBG_CLOSE"}

EF_CFG_0 = ByteSwapped(
    BitStruct(  # ef_cfg_0, bit 31 down
        "dbg_mode" / _enum(4, EF_CTRL_DBG_MODE_TYPE),
        "dbg_jtag_dis" / BitsInteger(2),
        "rsvd_24" / BitsInteger(2),
        _bit("efuse_dbg_dis"),
        _bit("se_dbg_dis"),
        _bit("cpu_rst_dbg_dis"),
        _bit("rsvd_20"),
        _bit("sf_dis"),
        _bit("rsvd_18"),
        _bit("0_key_enc_en"),
        _bit("wifi_dis"),
        _bit("ble_dis"),
        _bit("sdu_dis"),
        _bit("sw_usage_1"),
        _bit("trim_enable"),
        "rsvd_8" / BitsInteger(4),
        _bit("cpu_enc_en"),
        _bit("rsvd_6"),
        "sboot_en" / BitsInteger(2),
        "sboot_sign_mode" / _enum(2, EF_CTRL_SIGN_TYPE),
        "sf_aes_mode" / _enum(2, EF_CTRL_SF_AES_TYPE),
    )
)

EF_SW_USAGE_0 = ByteSwapped(
    BitStruct(  # ef_sw_usage_0, bit 31 down
        _bit("debug_log_reopen"),
        _bit("qfn40"),
        _bit("jtag_init"),
        _bit("jtag_switch"),
        _bit("hbn_jump_disable"),
        _bit("sdioboot_disable"),
        _bit("uartboot_disable"),
        _bit("mediaboot_disable"),
        _bit("keep_dbg_port_closed"),
        _bit("hbn_check_sign"),
        _bit("encrypted_tz_boot"),
        _bit("tz_boot"),
        "flash_pwr_delay" / BitsInteger(2),
        "flash_cfg" / BitsInteger(2),
        _bit("flash_clk_div"),
        "flash_clk_type" / _enum(3, FLASH_CLKS),
        _bit("bclk_div"),
        _bit("hclk_div"),
        "pll_clk" / _enum(3, PLL_CLKS),
        "xtal_type" / _enum(3, XTAL_TYPES),
        _bit("disable_cci_coexist"),
        _bit("sdio_pin_init"),
        _bit("uart_log_disable"),
        _bit("bootrom_protect"),
    )
)

EF_LOCK = ByteSwapped(
    BitStruct(  # the lock word at 0x7C, bit 31 down
        *(_bit(f"rd_lock_key_slot_{i}") for i in (5, 4, 3, 2, 1, 0)),
        _bit("rd_lock_dbg_pwd"),
        _bit("wr_lock_key_slot_5_h"),
        _bit("wr_lock_key_slot_4_h"),
        *(_bit(f"wr_lock_key_slot_{i}") for i in (3, 2, 1, 0)),
        _bit("wr_lock_wifi_mac"),
        _bit("wr_lock_sw_usage_0"),
        _bit("wr_lock_dbg_pwd"),
        _bit("wr_lock_boot_mode"),
        _bit("wr_lock_key_slot_5_l"),
        _bit("wr_lock_key_slot_4_l"),
        "rsvd_0" / BitsInteger(13),
    )
)

EF_MAC_CHECK = BitStruct(  # byte 0x1A
    "rsvd_6" / BitsInteger(2),
    "zero_count" / BitsInteger(6) * "zero bits in the 6 MAC bytes, modulo 64",
)

EFUSE = Struct(
    "cfg" / RawCopy(EF_CFG_0) * "ef_cfg_0",
    "dbg_pwd" / Array(2, Int32ul) * "ef_dbg_pwd_low/high",
    "ana_trim_0" / Int32ul * "ef_ana_trim_0",
    "sw_usage_0" / RawCopy(EF_SW_USAGE_0) * "ef_sw_usage_0",
    "mac" / Bytes(6) * "ef_wifi_mac (reversed)",
    "mac_check" / EF_MAC_CHECK,
    "rsvd_1b" / Int8ul,
    "key_slots" / Array(6, Bytes(16)) * "ef_key_slot_0..5",
    "lock" / RawCopy(EF_LOCK) * "wr_lock_* / rd_lock_*",
)
EFUSE_SIZE = EFUSE.sizeof()
assert EFUSE_SIZE == 128

#: bflb-iot-tool "security_save" file: the plain image's CRC32, zeros, the image AES-encrypted
SECURE_SAVE = Struct(
    "crc32" / Int32ul * "CRC32 of the plain 128-byte image",
    "zero" / Bytes(4092),
    "encrypted" / Bytes(EFUSE_SIZE) * "the image, AES-CBC with a tool key",
)
assert SECURE_SAVE.sizeof() == SECURE_SAVE_SIZE


MAC_OFFSET = offset_of(EFUSE, "mac")
MAC_CHECK_OFFSET = offset_of(EFUSE, "mac_check")
KEYS_OFFSET = offset_of(EFUSE, "key_slots")
LOCK_OFFSET = offset_of(EFUSE, "lock")
ZERO_OFFSET = offset_of(SECURE_SAVE, "zero")
ENCRYPTED_OFFSET = offset_of(SECURE_SAVE, "encrypted")


def _named(bits: Any, prefix: str = "") -> dict[str, int]:
    """The named (not reserved) fields of a parsed bit word, lowest bit first, as numbers."""
    out: dict[str, int] = {}
    for name, value in reversed(list(bits.items())):
        if name.startswith("_") or name.startswith("rsvd_") or not name.startswith(prefix):
            continue
        out[name[len(prefix) :]] = int(getattr(value, "intvalue", value))
    return out


def _word(raw: Any) -> int:
    """A RawCopy'd bit word as its u32."""
    return int(Int32ul.parse(raw.data))


def mac_zero_count(mac_reversed: bytes) -> int:
    """Zero bits in the 6 stored MAC bytes, modulo 64 (what byte 0x1A & 0x3F must equal)."""
    return (48 - sum(bin(b).count("1") for b in mac_reversed)) & 0x3F


@dataclass(frozen=True, slots=True)
class Efuse:
    """The 128-byte efuse image."""

    raw: bytes = field(repr=False)

    @classmethod
    def parse(cls, data: bytes, *, base: int = 0) -> Efuse:
        """The efuse in the first 128 bytes of ``data`` (any further bytes are ignored).

        ``base`` is the offset of ``data`` in the input, for error offsets. Raises
        :class:`~obkimg.errors.TruncatedError` when ``data`` is shorter than 128 bytes.
        """
        if len(data) < EFUSE_SIZE:
            raise TruncatedError(FMT, EFUSE_SIZE, len(data), offset=base + len(data))
        parse_with(EFUSE, FMT, data[:EFUSE_SIZE], base=base)
        return cls(bytes(data[:EFUSE_SIZE]))

    @property
    def fields(self) -> Any:
        """The image parsed with :data:`EFUSE` (a construct Container)."""
        return parse_with(EFUSE, FMT, self.raw)

    def build(self) -> bytes:
        """The 128 bytes, parsed and rebuilt field by field (equal to ``raw``)."""
        return build_with(EFUSE, FMT, self.fields)

    def word(self, offset: int) -> int:
        """The little-endian u32 at byte ``offset`` (0x00..0x7C) of the efuse."""
        return int(Int32ul.parse(self.raw[offset : offset + 4]))

    @property
    def cfg(self) -> dict[str, int]:
        """The bit fields of ef_cfg_0 at 0x00 (``sboot_en``, ``sf_aes_mode``...) by name, lowest bit first."""
        return _named(self.fields.cfg.value)

    @property
    def sw_usage(self) -> dict[str, int]:
        """The bit fields of ef_sw_usage_0 at 0x10 (``xtal_type``, ``pll_clk``...) by name, as numbers."""
        return _named(self.fields.sw_usage_0.value)

    @property
    def mac_programmed(self) -> bool:
        """True when any of the 6 MAC bytes at 0x14..0x19 is non-zero."""
        return any(self.fields.mac)

    @property
    def mac(self) -> str | None:
        """The Wi-Fi MAC in network order (None when slot 0 is empty)."""
        mac = self.fields.mac
        return ":".join(f"{b:02X}" for b in reversed(mac)) if any(mac) else None

    @property
    def mac_check_ok(self) -> bool | None:
        """Whether the low 6 bits of byte 0x1A equal the MAC's zero-bit count (:func:`mac_zero_count`);
        None when no MAC is programmed."""
        f = self.fields
        if not any(f.mac):
            return None
        return bool(mac_zero_count(f.mac) == f.mac_check.zero_count)

    def key_slot_used(self, i: int) -> bool:
        """True when key slot ``i`` (0..5; 16 bytes at 0x1C + 16 × ``i``) holds a non-zero byte."""
        return any(self.fields.key_slots[i])

    @property
    def locks(self) -> dict[str, list[str]]:
        """The names whose lock bit is set in the lock word at 0x7C: ``{"write": [...], "read": [...]}``."""
        bits = self.fields.lock.value
        return {
            "write": [k for k, v in _named(bits, "wr_lock_").items() if v],
            "read": [k for k, v in _named(bits, "rd_lock_").items() if v],
        }

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The efuse as JSON-able fields: cfg and sw_usage words and bit fields, clock names, MAC and its
        check, key slots, lock word and locks.

        Used key slot values are :class:`~obkimg.model.Secret` hex strings whatever ``show_secrets`` is;
        the output (:meth:`EfuseImage.details`, :func:`~obkimg.model.jsonable`) masks them.
        """
        f = self.fields
        cfg, sw = self.cfg, self.sw_usage
        slots = [
            {"slot": i, "used": any(key), "value": Secret(key.hex()) if any(key) else None}
            for i, key in enumerate(f.key_slots)
        ]
        return {
            "cfg_word": _word(f.cfg),
            "cfg": cfg,
            "secure_boot": bool(cfg["sboot_en"]),
            "sign_mode": cfg["sboot_sign_mode"],
            "aes_mode": cfg["sf_aes_mode"],
            "sw_usage_word": _word(f.sw_usage_0),
            "sw_usage": sw,
            "xtal": XTAL_TYPES.get(sw["xtal_type"], "unknown"),
            "pll": PLL_CLKS.get(sw["pll_clk"], "unknown"),
            "flash_clk": FLASH_CLKS.get(sw["flash_clk_type"], "unknown"),
            "mac": self.mac,
            "mac_zero_count": f.mac_check.zero_count,
            "mac_check_ok": self.mac_check_ok,
            "dbg_pwd_set": any(f.dbg_pwd),
            "key_slots": slots,
            "lock_word": _word(f.lock),
            "locks": self.locks,
        }


@dataclass(frozen=True, slots=True)
class EfuseImage(BytesImage):
    """An efuse file: the plain 128 bytes, or the 4224-byte security_save file (not decrypted)."""

    kind = FMT

    data: bytes = field(repr=False)
    efuse: Efuse | None = None

    @classmethod
    def parse(cls, data: bytes) -> EfuseImage:
        """A plain 128-byte efuse, or a 4224-byte security_save file (``efuse`` None: not decrypted).

        Raises :class:`~obkimg.errors.TruncatedError` below 128 bytes,
        :class:`~obkimg.errors.FormatError` for any other size than 128 or 4224, or when a 4224-byte
        file is not zero from offset 4 to 4096.
        """
        data = bytes(data)
        if len(data) == SECURE_SAVE_SIZE:
            if SECURE_SAVE.parse(data).zero.strip(b"\0"):
                raise FormatError(
                    "4224-byte efuse file must be zero from 4 to 4096", fmt=FMT, offset=ZERO_OFFSET
                )
            return cls(data, None)
        if len(data) != EFUSE_SIZE:
            if len(data) < EFUSE_SIZE:
                raise TruncatedError(FMT, EFUSE_SIZE, len(data), offset=len(data))
            raise FormatError(
                f"an efuse image is {EFUSE_SIZE} bytes, not {len(data)}", fmt=FMT, offset=EFUSE_SIZE
            )
        return cls(data, Efuse.parse(data))

    def build(self) -> bytes:
        """The file's bytes: the rebuilt 128-byte efuse, or the security_save file unchanged."""
        return self.efuse.build() if self.efuse is not None else self.data

    @property
    def chip(self) -> str | None:
        return CHIP

    def verify(self) -> list[Problem]:
        return unique_problems(Image.verify(self))

    def problems(self) -> list[Problem]:
        out = []
        if self.efuse is None:
            out.append(
                Problem(
                    "info",
                    "security_save efuse file: the 128 bytes are AES-encrypted with a tool key "
                    "(not decrypted)",
                    ENCRYPTED_OFFSET,
                    FMT,
                )
            )
        elif self.efuse.mac_check_ok is False:
            out.append(
                Problem(
                    "error",
                    f"MAC zero-bit count {self.efuse.fields.mac_check.zero_count} does not match the "
                    f"MAC ({mac_zero_count(self.efuse.fields.mac)})",
                    MAC_CHECK_OFFSET,
                    FMT,
                )
            )
        elif self.efuse.mac is None:
            out.append(
                Problem("info", "MAC slot 0 is empty (unprogrammed efuse or a template)", MAC_OFFSET, FMT)
            )
        return out

    def regions(self) -> list[Region]:
        if self.efuse is None:
            return [
                Region("crc32", 0, 4, "data", "unknown"),
                Region("zero", ZERO_OFFSET, ENCRYPTED_OFFSET - ZERO_OFFSET, "padding", "unknown"),
                Region("efuse (encrypted)", ENCRYPTED_OFFSET, EFUSE_SIZE, "efuse", "unknown"),
            ]
        e = self.efuse
        states: dict[bool | None, RegionState] = {True: "valid", False: "bad-crc", None: "erased"}
        mac_state = states[e.mac_check_ok]
        return [
            Region("cfg", 0, MAC_OFFSET, "efuse", "unknown"),
            Region(
                "wifi mac",
                MAC_OFFSET,
                KEYS_OFFSET - MAC_OFFSET,
                "mac",
                mac_state,
                tuple(self.problems()),
                {"mac": e.mac},
            ),
            Region(
                "key slots",
                KEYS_OFFSET,
                LOCK_OFFSET - KEYS_OFFSET,
                "keys",
                "unknown" if any(e.key_slot_used(i) for i in range(6)) else "erased",
            ),
            Region("locks", LOCK_OFFSET, EFUSE_SIZE - LOCK_OFFSET, "efuse", "unknown"),
        ]

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        if self.efuse is None:
            return {"encrypted": True, "stored_crc32": SECURE_SAVE.parse(self.data).crc32}
        return {"encrypted": False, **self.efuse.to_dict(show_secrets=show_secrets)}

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        if self.efuse is None:
            return ["efuse security_save file (encrypted)"]
        e = self.efuse
        used = [str(i) for i in range(6) if e.key_slot_used(i)]
        return [
            f"MAC {e.mac or '(empty)'} (zero-bit check {e.mac_check_ok}); xtal "
            f"{XTAL_TYPES.get(e.sw_usage['xtal_type'], '?')}; secure boot {bool(e.cfg['sboot_en'])}; "
            f"key slots used: {', '.join(used) or 'none'}"
        ]


FORMAT = FormatInfo(
    id=FMT,
    name="BL602 efuse image",
    family="bl602",
    description="128-byte efuse image: security config, Wi-Fi MAC with zero-bit check, key slots, locks",
    references=(
        "PyPI bflb-iot-tool 1.10: libs/bl602/efuse_cfg_keys.py",
        "openshwprojects/OpenBL602: bl602_ef_ctrl.c (EF_Ctrl_Read_MAC_Address)",
    ),
    limitations=("detected by size only (128 bytes): weak", "security_save files are not decrypted"),
    aliases=("bl602-efusedata",),
)


def detect(data: bytes) -> Detection | None:
    """By size: 128 bytes (confidence 55 when the MAC zero-bit check holds, 25 with an empty MAC slot
    and a blank lock word, else 15), or a 4224-byte security_save file (40: zero from 4 to 4096, a stored
    CRC32 that is not the one of the encrypted tail). None otherwise; never raises."""
    try:
        if len(data) == EFUSE_SIZE:
            e = Efuse(bytes(data))
            if e.mac_check_ok:
                why = f"128 bytes with a valid efuse MAC zero-bit check ({e.mac})"
                return Detection(FMT, 55, why, CHIP, 0, EFUSE_SIZE)
            if not e.mac_programmed and not data[LOCK_OFFSET:].strip(b"\0\xff") or not any(data):
                return Detection(FMT, 25, "128 bytes, empty MAC slot (efuse image size)", CHIP, 0, EFUSE_SIZE)
            return Detection(FMT, 15, "128 bytes (efuse image size), MAC check fails", CHIP, 0, EFUSE_SIZE)
        if len(data) == SECURE_SAVE_SIZE:
            s = SECURE_SAVE.parse(bytes(data))
            if not s.zero.strip(b"\0") and any(s.encrypted) and s.crc32 and s.crc32 != crc32(s.encrypted):
                return Detection(FMT, 40, "4224-byte efuse security_save file", CHIP, 0, SECURE_SAVE_SIZE)
    except (cs.ConstructError, ObkImgError):
        return None
    return None


def load(source: Source) -> Image:
    """An :class:`EfuseImage` of the whole input (see :meth:`EfuseImage.parse` for the errors)."""
    return EfuseImage.parse(source.data)
