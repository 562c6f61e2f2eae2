"""Bouffalo Lab BL602 efuse image (128 bytes): configuration, Wi-Fi MAC with its zero-bit check, key slots.

The efuse holds the factory MAC address (the flash dump does not), security settings (signing,
AES, JTAG) and six 128-bit key slots. The eflash loader's "read efuse" and the vendor
``efusedata.bin`` give the plain 128 bytes; in "security_save" mode bflb-iot-tool writes 4224 bytes
(CRC32 of the plain image, zeros to 4096, then the image AES-encrypted with a tool key), which is
recognised but not decrypted.

Sources: PyPI bflb-iot-tool 1.10 ``libs/bl602/efuse_cfg_keys.py`` (word map, bit positions),
``libs/bflb_efuse_boothd_create.py``; openshwprojects/OpenBL602 ``bl602_ef_ctrl.c``
(``EF_Ctrl_Read_MAC_Address``: zero-bit count check, byte order).

Layout (u32 little-endian words)::

    0x00 cfg: b0-1 sf_aes_mode, b2-3 sboot_sign_mode, b4-5 sboot_en, b7 cpu_enc_en, b12 trim_enable,
         b14 sdu_dis, b15 ble_dis, b16 wifi_dis, b17 0_key_enc_en, b19 sf_dis, b26-27 dbg_jtag_dis,
         b28-31 dbg_mode
    0x04 dbg_pwd_low ("MAC slot 2")   0x08 dbg_pwd_high   0x0C ana_trim_0
    0x10 sw_usage_0: b4-6 xtal_type, b7-9 pll_clk, b12-14 flash_clk_type, b16-17 flash_cfg,
         b24 mediaboot_disable, b25 uartboot_disable, ...
    0x14 Wi-Fi MAC, 6 bytes, reversed (0x14 = last octet); 0x1A low 6 bits = count of zero bits
    0x1C key slots 0..5, 16 bytes each (slot 5 word 0 at 0x6C is "MAC slot 1")
    0x7C lock word: write locks b13..b24, read locks b25..b31

Limitations: the security_save (4224-byte) variant is not decrypted; key material is masked in
``info`` unless ``--show-secrets``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from construct import Array, Bytes, Int32ul, Struct

from ..._construct import build_with, parse_with
from ...codecs.checksums import crc32
from ...errors import FormatError, Problem, TruncatedError, unique_problems
from ...model import BytesImage, Image, Region, Secret
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
EFUSE_SIZE = 128
SECURE_SAVE_SIZE = 4224

EFUSE = Struct(
    "cfg" / Int32ul * "ef_cfg_0",
    "dbg_pwd" / Array(2, Int32ul) * "ef_dbg_pwd_low/high",
    "ana_trim_0" / Int32ul,
    "sw_usage_0" / Int32ul,
    "mac" / Bytes(6) * "ef_wifi_mac_low/high (reversed)",
    "mac_check" / Bytes(2) * "low 6 bits: zero-bit count of the MAC",
    "key_slots" / Array(6, Bytes(16)) * "ef_key_slot_0..5",
    "lock" / Int32ul * "wr_lock_* / rd_lock_*",
)
assert EFUSE.sizeof() == EFUSE_SIZE

CFG_BITS = {
    "sf_aes_mode": (0, 2),
    "sboot_sign_mode": (2, 2),
    "sboot_en": (4, 2),
    "cpu_enc_en": (7, 1),
    "trim_enable": (12, 1),
    "sw_usage_1": (13, 1),
    "sdu_dis": (14, 1),
    "ble_dis": (15, 1),
    "wifi_dis": (16, 1),
    "0_key_enc_en": (17, 1),
    "sf_dis": (19, 1),
    "cpu_rst_dbg_dis": (21, 1),
    "se_dbg_dis": (22, 1),
    "efuse_dbg_dis": (23, 1),
    "dbg_jtag_dis": (26, 2),
    "dbg_mode": (28, 4),
}
SW_USAGE_BITS = {
    "bootrom_protect": (0, 1),
    "uart_log_disable": (1, 1),
    "sdio_pin_init": (2, 1),
    "disable_cci_coexist": (3, 1),
    "xtal_type": (4, 3),
    "pll_clk": (7, 3),
    "hclk_div": (10, 1),
    "bclk_div": (11, 1),
    "flash_clk_type": (12, 3),
    "flash_clk_div": (15, 1),
    "flash_cfg": (16, 2),
    "flash_pwr_delay": (18, 2),
    "tz_boot": (20, 1),
    "encrypted_tz_boot": (21, 1),
    "hbn_check_sign": (22, 1),
    "keep_dbg_port_closed": (23, 1),
    "mediaboot_disable": (24, 1),
    "uartboot_disable": (25, 1),
    "sdioboot_disable": (26, 1),
    "hbn_jump_disable": (27, 1),
    "jtag_switch": (28, 1),
    "jtag_init": (29, 1),
    "qfn40": (30, 1),
    "debug_log_reopen": (31, 1),
}
WR_LOCKS = {
    "key_slot_4_l": 13,
    "key_slot_5_l": 14,
    "boot_mode": 15,
    "dbg_pwd": 16,
    "sw_usage_0": 17,
    "wifi_mac": 18,
    "key_slot_0": 19,
    "key_slot_1": 20,
    "key_slot_2": 21,
    "key_slot_3": 22,
    "key_slot_4_h": 23,
    "key_slot_5_h": 24,
}
RD_LOCKS = {
    "dbg_pwd": 25,
    "key_slot_0": 26,
    "key_slot_1": 27,
    "key_slot_2": 28,
    "key_slot_3": 29,
    "key_slot_4": 30,
    "key_slot_5": 31,
}


def _bits(word: int, table: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {k: word >> pos & ((1 << n) - 1) for k, (pos, n) in table.items()}


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

    def build(self) -> bytes:
        """The 128 bytes, parsed and rebuilt field by field (equal to ``raw``)."""
        c = parse_with(EFUSE, FMT, self.raw)
        return build_with(EFUSE, FMT, c)

    def word(self, offset: int) -> int:
        """The little-endian u32 at byte ``offset`` (0x00..0x7C) of the efuse."""
        return int(struct.unpack_from("<I", self.raw, offset)[0])

    @property
    def cfg(self) -> dict[str, int]:
        """The bit fields of the cfg word at 0x00 (``sboot_en``, ``sf_aes_mode``...) by name."""
        return _bits(self.word(0), CFG_BITS)

    @property
    def sw_usage(self) -> dict[str, int]:
        """The bit fields of the sw_usage_0 word at 0x10 (``xtal_type``, ``pll_clk``...) by name."""
        return _bits(self.word(0x10), SW_USAGE_BITS)

    @property
    def mac_programmed(self) -> bool:
        """True when any of the 6 MAC bytes at 0x14..0x19 is non-zero."""
        return any(self.raw[0x14:0x1A])

    @property
    def mac(self) -> str | None:
        """The Wi-Fi MAC in network order (None when slot 0 is empty)."""
        if not self.mac_programmed:
            return None
        return ":".join(f"{b:02X}" for b in reversed(self.raw[0x14:0x1A]))

    @property
    def mac_check_ok(self) -> bool | None:
        """Whether the low 6 bits of byte 0x1A equal the MAC's zero-bit count (:func:`mac_zero_count`);
        None when no MAC is programmed."""
        if not self.mac_programmed:
            return None
        return mac_zero_count(self.raw[0x14:0x1A]) == self.raw[0x1A] & 0x3F

    def key_slot_used(self, i: int) -> bool:
        """True when key slot ``i`` (0..5; 16 bytes at 0x1C + 16 × ``i``) holds a non-zero byte."""
        return any(self.raw[0x1C + 16 * i : 0x2C + 16 * i])

    @property
    def locks(self) -> dict[str, list[str]]:
        """The names whose lock bit is set in the lock word at 0x7C: ``{"write": [...], "read": [...]}``."""
        w = self.word(0x7C)
        return {
            "write": [k for k, b in WR_LOCKS.items() if w >> b & 1],
            "read": [k for k, b in RD_LOCKS.items() if w >> b & 1],
        }

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The efuse as JSON-able fields: cfg and sw_usage words and bit fields, clock names, MAC and its
        check, key slots, lock word and locks.

        Used key slot values are :class:`~obkimg.model.Secret` hex strings whatever ``show_secrets`` is;
        the output (:meth:`EfuseImage.details`, :func:`~obkimg.model.jsonable`) masks them.
        """
        sw = self.sw_usage
        slots = []
        for i in range(6):
            key = self.raw[0x1C + 16 * i : 0x2C + 16 * i]
            slots.append(
                {
                    "slot": i,
                    "used": self.key_slot_used(i),
                    "value": Secret(key.hex()) if self.key_slot_used(i) else None,
                }
            )
        return {
            "cfg_word": self.word(0),
            "cfg": self.cfg,
            "secure_boot": bool(self.cfg["sboot_en"]),
            "sign_mode": self.cfg["sboot_sign_mode"],
            "aes_mode": self.cfg["sf_aes_mode"],
            "sw_usage_word": self.word(0x10),
            "sw_usage": sw,
            "xtal": XTAL_TYPES.get(sw["xtal_type"], "unknown"),
            "pll": PLL_CLKS.get(sw["pll_clk"], "unknown"),
            "flash_clk": FLASH_CLKS.get(sw["flash_clk_type"], "unknown"),
            "mac": self.mac,
            "mac_zero_count": self.raw[0x1A] & 0x3F,
            "mac_check_ok": self.mac_check_ok,
            "dbg_pwd_set": any(self.raw[4:12]),
            "key_slots": slots,
            "lock_word": self.word(0x7C),
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
            if data[4:4096].strip(b"\0"):
                raise FormatError("4224-byte efuse file must be zero from 4 to 4096", fmt=FMT, offset=4)
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
                    4096,
                    FMT,
                )
            )
        elif self.efuse.mac_check_ok is False:
            out.append(
                Problem(
                    "error",
                    f"MAC zero-bit count {self.efuse.raw[0x1A] & 0x3F} does not match the "
                    f"MAC ({mac_zero_count(self.efuse.raw[0x14:0x1A])})",
                    0x1A,
                    FMT,
                )
            )
        elif self.efuse.mac is None:
            out.append(Problem("info", "MAC slot 0 is empty (unprogrammed efuse or a template)", 0x14, FMT))
        return out

    def regions(self) -> list[Region]:
        if self.efuse is None:
            return [
                Region("crc32", 0, 4, "data", "unknown"),
                Region("zero", 4, 4092, "padding", "unknown"),
                Region("efuse (encrypted)", 4096, 128, "efuse", "unknown"),
            ]
        e = self.efuse
        mac_state = {True: "valid", False: "bad-crc", None: "erased"}[e.mac_check_ok]
        return [
            Region("cfg", 0, 0x14, "efuse", "unknown"),
            Region("wifi mac", 0x14, 8, "mac", mac_state, tuple(self.problems()), {"mac": e.mac}),
            Region(
                "key slots",
                0x1C,
                96,
                "keys",
                "unknown" if any(e.key_slot_used(i) for i in range(6)) else "erased",
            ),
            Region("locks", 0x7C, 4, "efuse", "unknown"),
        ]

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        if self.efuse is None:
            return {"encrypted": True, "stored_crc32": struct.unpack_from("<I", self.data)[0]}
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
                return Detection(
                    FMT, 55, f"128 bytes with a valid efuse MAC zero-bit check ({e.mac})", CHIP, 0, EFUSE_SIZE
                )
            if not e.mac_programmed and not data[0x7C:].strip(b"\0\xff") or not any(data):
                return Detection(FMT, 25, "128 bytes, empty MAC slot (efuse image size)", CHIP, 0, EFUSE_SIZE)
            return Detection(FMT, 15, "128 bytes (efuse image size), MAC check fails", CHIP, 0, EFUSE_SIZE)
        if len(data) == SECURE_SAVE_SIZE and not data[4:4096].strip(b"\0") and any(data[4096:]):
            stored = struct.unpack_from("<I", data)[0]
            if stored and stored != crc32(data[4096:]):
                return Detection(FMT, 40, "4224-byte efuse security_save file", CHIP, 0, SECURE_SAVE_SIZE)
    except (IndexError, struct.error):
        return None
    return None


def load(source: Source) -> Image:
    """An :class:`EfuseImage` of the whole input (see :meth:`EfuseImage.parse` for the errors)."""
    return EfuseImage.parse(source.data)
