"""Bouffalo Lab BL602 boot header ("BFNP", 176 bytes) and the images it describes.

The same 176-byte header (vendor ``Boot_Header_Config``) starts every BL602 flash image: boot2 at
flash 0 (code at ``img_start`` = 0x2000), the firmware in each FW partition slot (code always at
header + 0x1000, whatever ``img_start`` says), ``FW_OTA.bin`` / ``whole_img.bin`` files, MCU-flow
images (code at 0x2000, no boot2) and RAM images loaded over UART by the mask ROM (eflash loaders:
``img_start`` is a RAM address, segments follow the header). This module also identifies a bare
BL602 firmware without a header (``bl602-firmware``: an OpenBL602 ``.bin``, a raw boot2).

Sources: PyPI bflb-iot-tool 1.10 ``libs/bl602/bootheader_cfg_keys.py`` (offsets and bits),
``libs/bl602/img_create_do.py`` (hash, header CRC, image padding); pine64/bl_iot_sdk
``customer_app/bl602_boot2/bl602_boot2/blsp_bootinfo.h`` / ``blsp_boot_parser.c`` (what boot2
checks, the 0xDEADBEEF "ignored" placeholders) and ``blsp_media_boot.c`` (FW code at +0x1000);
spacemeowx2/blflash ``bootheader.rs``.

Offsets (little-endian)::

    0x00  4  magic "BFNP"              0x64  4  clk_cfg magic "PCFG"
    0x04  4  revision (1)              0x68  8  clock config (xtal, pll, hclk/bclk div, flash clk)
    0x08  4  flash_cfg magic "FCFG"    0x70  4  CRC32(0x68..0x6F)
    0x0C 84  SPI flash config (opaque) 0x74  4  boot_cfg bitfield (sign, encrypt, no_segment, ...)
    0x60  4  CRC32(0x0C..0x5F)         0x78  4  img_len   0x7C 4 boot_entry   0x80 4 img_start
    0x84 32  SHA-256 of the image      0xA4  8  rsvd      0xAC 4 CRC32(0x00..0xAB)

Signed/encrypted images carry extension blocks after the header: public key X||Y + CRC (68 B),
signature length + r||s + CRC (72 B), AES IV + CRC (20 B).

Limitations: the 84-byte flash config is kept opaque (only its CRC is checked); signatures are
reported, not verified; encrypted code is not decrypted (the key lives in efuse); RAM images are
described segment by segment, not executed.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    ByteSwapped,
    Flag,
    Int8ul,
    Int32ul,
    OneOf,
    Struct,
    this,
)

from ..._construct import build_with, parse_with
from ...codecs.checksums import crc32
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    MagicError,
    MismatchError,
    ObkImgError,
    Problem,
    TruncatedError,
    unique_problems,
)
from ...model import BytesImage, Image, Region
from ...source import Source
from .. import Detection, FormatInfo

__all__ = [
    "FORMAT",
    "FMT",
    "FMT_BARE",
    "HEADER_SIZE",
    "DEADBEEF",
    "HASH_PLACEHOLDER",
    "GENERIC_FLASH_CFG",
    "IOT_CLOCK_40M",
    "FLASH_CFG",
    "CLK_CFG",
    "BOOT_CFG",
    "BOOT_HEADER",
    "SIGN_PUBKEY",
    "SIGNATURE",
    "AES_IV",
    "SEGMENT_HEADER",
    "ClockConfig",
    "BootCfg",
    "BootHeader",
    "Extension",
    "Segment",
    "BootImage",
    "BareFirmware",
    "prepare_image",
    "fw_header",
    "boot2_header",
    "fw_ota_bin",
    "boot2_image",
    "looks_like_bl602_code",
    "foreign_error",
    "find_headers",
    "header_report",
    "rebuild_headers",
    "detect",
    "load",
]

FMT = "bl602-bootheader"
FMT_BARE = "bl602-firmware"
CHIP = "BL602"

HEADER_SIZE = 176
MAGIC = b"BFNP"
#: the template value the vendor tools leave in ignored fields; boot2 honours "ignore" only with it
DEADBEEF = 0xDEADBEEF
HASH_PLACEHOLDER = struct.pack("<I", DEADBEEF) + bytes(28)
#: FW code offset inside a FW partition / FW_OTA.bin (boot2 ignores img_start there)
FW_CODE_OFFSET = 0x1000
#: boot2 / MCU image code offset at flash 0
BOOT2_CODE_OFFSET = 0x2000

#: bytes 12..95 written by bflb-iot-tool 1.10 for the generic flash (mfg_id 0xFF), CRC 0x5726629E
GENERIC_FLASH_CFG = bytes.fromhex(  # fromhex skips the spaces
    "11000101 6699ff03 9f009f00 04ff0001 c72052d8 06023200 0b010b01 3b01bb00 6b01eb02 eb020250"
    "00010001 01000201 0201ab01 05350000 01010000 38ffffff 77030240 770302f0 2c01b004 b0040500 e8801400"
)
assert len(GENERIC_FLASH_CFG) == 84

XTAL_TYPES = {0: "none", 1: "24M", 2: "32M", 3: "38.4M", 4: "40M", 5: "26M", 6: "RC32M"}
PLL_CLKS = {0: "RC32M", 1: "XTAL", 2: "PLL48M", 3: "PLL120M", 4: "PLL160M", 5: "PLL192M"}
FLASH_CLKS = {0: "120M", 1: "XCLK", 2: "48M", 3: "80M", 4: "BCLK", 5: "96M"}
SIGN_TYPES = {0: "none", 1: "ecc"}
ENCRYPT_TYPES = {0: "none", 1: "aes128", 2: "aes256", 3: "aes192"}

# --------------------------------------------------------------------------------------------------
# construct schemas

FLASH_CFG = Struct(
    "magic" / OneOf(Bytes(4), [b"FCFG", bytes(4)]) * "flashCfg.magicCode ('if_img' tools zero it)",
    "cfg" / Bytes(84) * "SPI_Flash_Cfg_Type (opaque)",
    "crc32" / Int32ul * "flashCfg.crc32 over cfg",
)

CLK_CFG = Struct(
    "magic" / OneOf(Bytes(4), [b"PCFG", bytes(4)]) * "clkCfg.magicCode",
    "xtal_type" / Int8ul,
    "pll_clk" / Int8ul,
    "hclk_div" / Int8ul,
    "bclk_div" / Int8ul,
    "flash_clk_type" / Int8ul,
    "flash_clk_div" / Int8ul,
    "rsvd" / Bytes(2),
    "crc32" / Int32ul * "clkCfg.crc32 over the 8 bytes above",
)

#: little-endian u32, fields listed from bit 31 down
BOOT_CFG = ByteSwapped(
    BitStruct(
        "rsvd19" / BitsInteger(13),
        "halt_cpu1" / Flag * "bootCfg.haltCPU1",
        "hash_ignore" / Flag * "bootCfg.hashIgnore",
        "crc_ignore" / Flag * "bootCfg.crcIgnore",
        "cache_way_disable" / BitsInteger(4) * "bootCfg.cacheWayDisable",
        "aes_region_lock" / Flag * "bootCfg.aesRegionLock",
        "notload_in_bootrom" / Flag * "bootCfg.notLoadInBootrom",
        "cache_enable" / Flag * "bootCfg.cacheEnable",
        "no_segment" / Flag * "bootCfg.noSegment",
        "rsvd6" / BitsInteger(2),
        "key_sel" / BitsInteger(2) * "bootCfg.keySel",
        "encrypt_type" / BitsInteger(2) * "bootCfg.encryptType",
        "sign" / BitsInteger(2) * "bootCfg.sign",
    )
)

BOOT_HEADER = Struct(
    "magic" / OneOf(Bytes(4), [b"BFNP", b"BFAP"]) * "magicCode",
    "revision" / Int32ul,
    "flash" / FLASH_CFG,
    "clk" / CLK_CFG,
    "boot_cfg" / BOOT_CFG,
    "img_len" / Int32ul * "segment count (RAM images) or image length",
    "boot_entry" / Int32ul * "bootEntry",
    "img_start" / Int32ul * "imgStart: RAM address or flash offset",
    "hash" / Bytes(32) * "SHA-256 of the image",
    "rsvd1" / Int32ul,
    "rsvd2" / Int32ul,
    "crc32" / Int32ul * "CRC32 over bytes 0..171",
)
assert BOOT_HEADER.sizeof() == HEADER_SIZE

SIGN_PUBKEY = Struct("x" / Bytes(32), "y" / Bytes(32), "crc32" / Int32ul)
SIGNATURE = Struct(
    "sig_len" / OneOf(Int32ul, list(range(0, 129))),
    "sig" / Bytes(this.sig_len),
    "crc32" / Int32ul,
)
AES_IV = Struct("iv" / Bytes(16), "crc32" / Int32ul)
#: RAM images: {destAddr, len, rsvd (tools store CRC32 of the data), crc32 of the 12 bytes before}
SEGMENT_HEADER = Struct("dest_addr" / Int32ul, "len" / Int32ul, "rsvd" / Int32ul, "crc32" / Int32ul)


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, slots=True)
class ClockConfig:
    """PLL / clock configuration (bytes 104..111)."""

    xtal_type: int = 4
    pll_clk: int = 4
    hclk_div: int = 0
    bclk_div: int = 1
    flash_clk_type: int = 3
    flash_clk_div: int = 1
    rsvd: bytes = b"\0\0"

    def payload(self) -> bytes:
        """The 8 clock bytes as stored at 0x68..0x6F (the bytes the clock CRC covers)."""
        return (
            bytes(
                [
                    self.xtal_type,
                    self.pll_clk,
                    self.hclk_div,
                    self.bclk_div,
                    self.flash_clk_type,
                    self.flash_clk_div,
                ]
            )
            + self.rsvd
        )

    def to_dict(self) -> dict[str, Any]:
        """The clock fields as JSON-ready data, each code with its name (``xtal``, ``pll``, ``flash_clk``;
        ``"unknown"`` for other values); ``rsvd`` is left out."""
        return {
            "xtal_type": self.xtal_type,
            "xtal": XTAL_TYPES.get(self.xtal_type, "unknown"),
            "pll_clk": self.pll_clk,
            "pll": PLL_CLKS.get(self.pll_clk, "unknown"),
            "hclk_div": self.hclk_div,
            "bclk_div": self.bclk_div,
            "flash_clk_type": self.flash_clk_type,
            "flash_clk": FLASH_CLKS.get(self.flash_clk_type, "unknown"),
            "flash_clk_div": self.flash_clk_div,
        }


#: clock block of bflb-iot-tool builds with a 40 MHz crystal: 04 04 00 01 03 01 00 00
IOT_CLOCK_40M = ClockConfig()


@dataclass(frozen=True, slots=True)
class BootCfg:
    """The boot_cfg bitfield at 0x74 (names from the C struct)."""

    sign: int = 0
    encrypt_type: int = 0
    key_sel: int = 0
    rsvd6: int = 0
    no_segment: bool = True
    cache_enable: bool = True
    notload_in_bootrom: bool = False
    aes_region_lock: bool = False
    cache_way_disable: int = 3
    crc_ignore: bool = False
    hash_ignore: bool = False
    halt_cpu1: bool = False
    rsvd19: int = 0

    @property
    def word(self) -> int:
        """The little-endian u32 stored at 0x74, packed from the fields."""
        return (
            self.sign
            | self.encrypt_type << 2
            | self.key_sel << 4
            | self.rsvd6 << 6
            | int(self.no_segment) << 8
            | int(self.cache_enable) << 9
            | int(self.notload_in_bootrom) << 10
            | int(self.aes_region_lock) << 11
            | self.cache_way_disable << 12
            | int(self.crc_ignore) << 16
            | int(self.hash_ignore) << 17
            | int(self.halt_cpu1) << 18
            | self.rsvd19 << 19
        )

    @classmethod
    def from_word(cls, word: int) -> BootCfg:
        """The fields of the boot_cfg word at 0x74 (inverse of :attr:`word`)."""
        return cls(
            sign=word & 3,
            encrypt_type=word >> 2 & 3,
            key_sel=word >> 4 & 3,
            rsvd6=word >> 6 & 3,
            no_segment=bool(word >> 8 & 1),
            cache_enable=bool(word >> 9 & 1),
            notload_in_bootrom=bool(word >> 10 & 1),
            aes_region_lock=bool(word >> 11 & 1),
            cache_way_disable=word >> 12 & 15,
            crc_ignore=bool(word >> 16 & 1),
            hash_ignore=bool(word >> 17 & 1),
            halt_cpu1=bool(word >> 18 & 1),
            rsvd19=word >> 19,
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready data: the ``word``, ``sign`` and ``encrypt`` as names, the flags and
        counts; the reserved bits are left out."""
        return {
            "word": self.word,
            "sign": SIGN_TYPES.get(self.sign, str(self.sign)),
            "encrypt": ENCRYPT_TYPES[self.encrypt_type],
            "key_sel": self.key_sel,
            "no_segment": self.no_segment,
            "cache_enable": self.cache_enable,
            "notload_in_bootrom": self.notload_in_bootrom,
            "aes_region_lock": self.aes_region_lock,
            "cache_way_disable": self.cache_way_disable,
            "crc_ignore": self.crc_ignore,
            "hash_ignore": self.hash_ignore,
            "halt_cpu1": self.halt_cpu1,
        }


@dataclass(frozen=True, slots=True)
class BootHeader:
    """One 176-byte boot header.

    The three stored CRCs are kept as parsed (``None`` = compute on build), so ``parse(b).build() == b``
    even for placeholders and bad values; :meth:`with_checksums` recomputes them.
    """

    flash_cfg: bytes = GENERIC_FLASH_CFG
    clock: ClockConfig = IOT_CLOCK_40M
    boot_cfg: BootCfg = BootCfg()
    img_len: int = 0
    img_start: int = FW_CODE_OFFSET
    hash: bytes = HASH_PLACEHOLDER
    boot_entry: int = 0
    revision: int = 1
    magic: bytes = MAGIC
    flash_magic: bytes = b"FCFG"
    clk_magic: bytes = b"PCFG"
    rsvd: tuple[int, int] = (0, 0)
    flash_crc: int | None = None
    clk_crc: int | None = None
    crc: int | None = None

    # -- parse / build -------------------------------------------------------------------------
    @classmethod
    def parse(cls, data: bytes, *, base: int = 0, strict: bool = False) -> BootHeader:
        """Parse the first 176 bytes of ``data``. ``strict`` raises ChecksumError on any bad CRC
        (the 0xDEADBEEF placeholder with crc_ignore set is accepted)."""
        if bytes(data[:4]) not in (b"BFNP", b"BFAP", b"BFNP"[: len(data)]):
            raise MagicError(FMT, MAGIC, bytes(data[:4]), offset=base)
        if len(data) < HEADER_SIZE:
            raise TruncatedError(FMT, HEADER_SIZE, len(data), offset=base + len(data), path="header")
        c = parse_with(BOOT_HEADER, FMT, bytes(data[:HEADER_SIZE]), base=base)
        b = c.boot_cfg
        hdr = cls(
            flash_cfg=c.flash.cfg,
            clock=ClockConfig(
                c.clk.xtal_type,
                c.clk.pll_clk,
                c.clk.hclk_div,
                c.clk.bclk_div,
                c.clk.flash_clk_type,
                c.clk.flash_clk_div,
                c.clk.rsvd,
            ),
            boot_cfg=BootCfg(
                sign=b.sign,
                encrypt_type=b.encrypt_type,
                key_sel=b.key_sel,
                rsvd6=b.rsvd6,
                no_segment=b.no_segment,
                cache_enable=b.cache_enable,
                notload_in_bootrom=b.notload_in_bootrom,
                aes_region_lock=b.aes_region_lock,
                cache_way_disable=b.cache_way_disable,
                crc_ignore=b.crc_ignore,
                hash_ignore=b.hash_ignore,
                halt_cpu1=b.halt_cpu1,
                rsvd19=b.rsvd19,
            ),
            img_len=c.img_len,
            img_start=c.img_start,
            hash=c.hash,
            boot_entry=c.boot_entry,
            revision=c.revision,
            magic=c.magic,
            flash_magic=c.flash.magic,
            clk_magic=c.clk.magic,
            rsvd=(c.rsvd1, c.rsvd2),
            flash_crc=c.flash.crc32,
            clk_crc=c.clk.crc32,
            crc=c.crc32,
        )
        if strict:
            for p in hdr.check(base=base):
                if p.severity == "error":
                    raise ChecksumError(FMT, p.message.split(" (")[0], 0, 0, offset=p.offset)
        return hdr

    def _container(self) -> dict[str, Any]:
        b = self.boot_cfg
        return {
            "magic": self.magic,
            "revision": self.revision,
            "flash": {
                "magic": self.flash_magic,
                "cfg": self.flash_cfg,
                "crc32": self.computed_flash_crc if self.flash_crc is None else self.flash_crc,
            },
            "clk": {
                "magic": self.clk_magic,
                "xtal_type": self.clock.xtal_type,
                "pll_clk": self.clock.pll_clk,
                "hclk_div": self.clock.hclk_div,
                "bclk_div": self.clock.bclk_div,
                "flash_clk_type": self.clock.flash_clk_type,
                "flash_clk_div": self.clock.flash_clk_div,
                "rsvd": self.clock.rsvd,
                "crc32": self.computed_clk_crc if self.clk_crc is None else self.clk_crc,
            },
            "boot_cfg": {
                "rsvd19": b.rsvd19,
                "halt_cpu1": b.halt_cpu1,
                "hash_ignore": b.hash_ignore,
                "crc_ignore": b.crc_ignore,
                "cache_way_disable": b.cache_way_disable,
                "aes_region_lock": b.aes_region_lock,
                "notload_in_bootrom": b.notload_in_bootrom,
                "cache_enable": b.cache_enable,
                "no_segment": b.no_segment,
                "rsvd6": b.rsvd6,
                "key_sel": b.key_sel,
                "encrypt_type": b.encrypt_type,
                "sign": b.sign,
            },
            "img_len": self.img_len,
            "boot_entry": self.boot_entry,
            "img_start": self.img_start,
            "hash": self.hash,
            "rsvd1": self.rsvd[0],
            "rsvd2": self.rsvd[1],
            "crc32": 0,
        }

    def build(self) -> bytes:
        """The 176 header bytes (stored CRCs as they are; missing ones computed)."""
        if len(self.flash_cfg) != 84 or len(self.hash) != 32 or len(self.clock.rsvd) != 2:
            raise BuildError("flash_cfg must be 84 bytes, hash 32 bytes", fmt=FMT)
        raw = bytearray(build_with(BOOT_HEADER, FMT, self._container()))
        crc = crc32(raw[:172]) if self.crc is None else self.crc
        raw[172:176] = struct.pack("<I", crc)
        return bytes(raw)

    # -- checksums -----------------------------------------------------------------------------
    @property
    def computed_flash_crc(self) -> int:
        """The CRC-32 of the 84-byte flash config (stored at 0x60)."""
        return crc32(self.flash_cfg)

    @property
    def computed_clk_crc(self) -> int:
        """The CRC-32 of the 8 clock bytes (stored at 0x70)."""
        return crc32(self.clock.payload())

    @property
    def computed_crc(self) -> int:
        """The CRC-32 of header bytes 0x00..0xAB as this header builds them (stored at 0xAC)."""
        raw = replace(self, crc=0).build()
        return crc32(raw[:172])

    @property
    def crc_state(self) -> str:
        """valid | ignored (crc_ignore + 0xDEADBEEF) | unfilled (0 or 0xDEADBEEF without crc_ignore:
        a template the flasher completes) | bad."""
        if self.crc is None or self.crc == self.computed_crc:
            return "valid"
        if self.boot_cfg.crc_ignore and self.crc == DEADBEEF:
            return "ignored"
        if self.crc in (0, DEADBEEF):
            return "unfilled"
        return "bad"

    @property
    def hash_ignored(self) -> bool:
        """Boot2 skips the hash only with hash_ignore=1, no signature and 0xDEADBEEF in word 0."""
        return self.boot_cfg.hash_ignore and not self.boot_cfg.sign and self.hash[:4] == HASH_PLACEHOLDER[:4]

    @property
    def segmented(self) -> bool:
        """A RAM image (loaded by the ROM over UART): segments after the header, not a flat flash image."""
        return not self.boot_cfg.no_segment or (
            0x20000000 <= self.img_start < 0x50000000 and self.img_len < 64
        )

    @property
    def extension_size(self) -> int:
        """Bytes of extension blocks after the header that the boot_cfg announces: 68 + 72 when signed (public
        key, 64-byte signature) and 20 when encrypted (AES IV), else 0."""
        n = 0
        if self.boot_cfg.sign:
            n += 68 + 72
        if self.boot_cfg.encrypt_type:
            n += 20
        return n

    def check(self, *, base: int = 0) -> list[Problem]:
        """Problems of the header alone (magic words and the three CRCs)."""
        out: list[Problem] = []
        if self.flash_crc is not None and self.flash_crc != self.computed_flash_crc:
            out.append(
                Problem(
                    "error",
                    f"bad flash_cfg CRC32 (stored {self.flash_crc:#010x}, computed "
                    f"{self.computed_flash_crc:#010x})",
                    base + 96,
                    FMT,
                )
            )
        if self.clk_crc is not None and self.clk_crc != self.computed_clk_crc:
            out.append(
                Problem(
                    "error",
                    f"bad clk_cfg CRC32 (stored {self.clk_crc:#010x}, computed "
                    f"{self.computed_clk_crc:#010x})",
                    base + 112,
                    FMT,
                )
            )
        state = self.crc_state
        if state == "bad":
            out.append(
                Problem(
                    "error",
                    f"bad header CRC32 (stored {self.crc:#010x}, computed {self.computed_crc:#010x})",
                    base + 172,
                    FMT,
                )
            )
        elif state == "unfilled":
            out.append(
                Problem(
                    "warning",
                    f"header CRC32 is the placeholder {self.crc:#x} without crc_ignore: an "
                    "unfilled template (a flasher fills in CRC and hash); boot2 rejects it as is",
                    base + 172,
                    FMT,
                )
            )
        if self.boot_cfg.crc_ignore and state == "ignored":
            out.append(Problem("info", "header CRC ignored (crc_ignore=1, 0xDEADBEEF)", base + 172, FMT))
        if self.boot_cfg.notload_in_bootrom:
            out.append(
                Problem("warning", "notload_in_bootrom is set: boot2 refuses this image", base + 116, FMT)
            )
        return out

    def with_checksums(
        self, image: bytes | None = None, *, fill_ignored: bool = False, iv_block: bytes = b""
    ) -> BootHeader:
        """A copy with the CRCs (and, given the image, img_len and hash) recomputed.

        Fields marked ignored that hold the 0xDEADBEEF placeholder keep it, unless ``fill_ignored``.
        """
        h = self
        if image is not None:
            keep_hash = (
                self.boot_cfg.hash_ignore and self.hash[:4] == HASH_PLACEHOLDER[:4] and not fill_ignored
            )
            h = replace(
                h,
                img_len=len(image),
                hash=self.hash if keep_hash else hashlib.sha256(iv_block + image).digest(),
            )
        keep_crc = self.boot_cfg.crc_ignore and self.crc == DEADBEEF and not fill_ignored
        h = replace(h, flash_crc=None, clk_crc=None, crc=None)
        h = replace(h, flash_crc=h.computed_flash_crc, clk_crc=h.computed_clk_crc)
        return replace(h, crc=DEADBEEF if keep_crc else h.computed_crc)

    def to_dict(self) -> dict[str, Any]:
        """The header as JSON-ready data: magics, revision, flash config (io mode, manufacturer id, CRC and
        whether it matches), clock config, boot_cfg, image fields, hash (hex), reserved words and the header
        CRC with its :attr:`crc_state`."""
        return {
            "magic": self.magic.decode("latin-1"),
            "revision": self.revision,
            "flash_cfg": {
                "magic": self.flash_magic.decode("latin-1").strip("\0"),
                "io_mode": self.flash_cfg[0],
                "mfg_id": self.flash_cfg[13],
                "crc32": self.flash_crc,
                "crc_ok": self.flash_crc in (None, self.computed_flash_crc),
            },
            "clock": {
                **self.clock.to_dict(),
                "magic": self.clk_magic.decode("latin-1").strip("\0"),
                "crc32": self.clk_crc,
                "crc_ok": self.clk_crc in (None, self.computed_clk_crc),
            },
            "boot_cfg": self.boot_cfg.to_dict(),
            "img_len": self.img_len,
            "boot_entry": self.boot_entry,
            "img_start": self.img_start,
            "hash": self.hash.hex(),
            "hash_ignored": self.hash_ignored,
            "rsvd": list(self.rsvd),
            "crc32": self.crc,
            "crc_state": self.crc_state,
        }


@dataclass(frozen=True, slots=True)
class Extension:
    """Signed / encrypted extension blocks after the header (bflb-iot-tool ``img_create_do.py``)."""

    public_key: bytes | None = None
    public_key_crc: int | None = None
    signature: bytes | None = None
    signature_crc: int | None = None
    iv: bytes | None = None
    iv_crc: int | None = None
    size: int = 0

    def iv_block(self) -> bytes:
        """The 20-byte AES IV block (IV + CRC-32) the image hash covers first; empty when not encrypted."""
        return b"" if self.iv is None else self.iv + struct.pack("<I", self.iv_crc or 0)

    def problems(self, base: int) -> list[Problem]:
        """Bad CRC-32s of the public key, signature and AES IV blocks, each at the offset of its CRC
        (``base``: offset of the header in the input)."""
        out = []
        off = base + HEADER_SIZE
        if self.public_key is not None:
            if crc32(self.public_key) != self.public_key_crc:
                out.append(Problem("error", "bad public key CRC32", off + 64, FMT))
            off += 68
        if self.signature is not None:
            blob = struct.pack("<I", len(self.signature)) + self.signature
            if crc32(blob) != self.signature_crc:
                out.append(Problem("error", "bad signature CRC32", off + 4 + len(self.signature), FMT))
            off += 8 + len(self.signature)
        if self.iv is not None and crc32(self.iv) != self.iv_crc:
            out.append(Problem("error", "bad AES IV CRC32", off + 16, FMT))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The blocks as JSON-ready data: public key (hex) and its SHA-256, signature (hex), AES IV (hex) and
        the total ``size`` in bytes."""
        return {
            "public_key": self.public_key.hex() if self.public_key else None,
            "public_key_sha256": hashlib.sha256(self.public_key).hexdigest() if self.public_key else None,
            "signature": self.signature.hex() if self.signature else None,
            "aes_iv": self.iv.hex() if self.iv else None,
            "size": self.size,
        }

    @classmethod
    def parse(cls, data: bytes, header: BootHeader, *, base: int = 0) -> Extension:
        """Read the extension blocks that ``header``'s boot_cfg announces, from offset 176 of ``data``. Raises
        an :class:`~obkimg.errors.ObkImgError` (:class:`~obkimg.errors.TruncatedError` for short data,
        :class:`~obkimg.errors.FormatError` for a signature length over 128) at the offset of the block."""
        off = HEADER_SIZE
        kw: dict[str, Any] = {}
        if header.boot_cfg.sign:
            pk = parse_with(SIGN_PUBKEY, FMT, data[off : off + 68], base=base + off)
            kw.update(public_key=pk.x + pk.y, public_key_crc=pk.crc32)
            off += 68
            sig = parse_with(SIGNATURE, FMT, data[off : off + 4 + 128 + 4], base=base + off)
            kw.update(signature=sig.sig, signature_crc=sig.crc32)
            off += 8 + sig.sig_len
        if header.boot_cfg.encrypt_type:
            iv = parse_with(AES_IV, FMT, data[off : off + 20], base=base + off)
            kw.update(iv=iv.iv, iv_crc=iv.crc32)
            off += 20
        return cls(size=off - HEADER_SIZE, **kw)


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a RAM image."""

    offset: int
    dest_addr: int
    length: int
    rsvd: int
    crc: int

    @property
    def header_ok(self) -> bool:
        """True when the CRC-32 of the segment header's first 12 bytes matches its stored ``crc``."""
        return crc32(struct.pack("<III", self.dest_addr, self.length, self.rsvd)) == self.crc

    def to_dict(self) -> dict[str, Any]:
        """The segment as JSON-ready data: offset (from the header start), destination address, length and
        ``header_crc_ok`` (offset and length in bytes)."""
        return {
            "offset": self.offset,
            "dest_addr": self.dest_addr,
            "length": self.length,
            "header_crc_ok": self.header_ok,
        }


def _all_ff(data: bytes) -> bool:
    return not data.strip(b"\xff")


#: strings that mark boot2 code (vendor blsp_boot2 / boot2_isp / boot2_iap builds)
BOOT2_MARKERS = (
    b"BLSP_Boot2",
    b"BLSP Boot2",
    b"BLSP boot2",
    b"Boot2 start",
    b"Boot2 fail",
    b"Boot2 ISP",
    b"BLFBVERF",
)
#: strings found in BL602 application / loader code of the SDK
BL602_MARKERS = (
    b"bl602",
    b"BL602",
    b"BL60X",
    b"BLSP",
    b"bflb",
    b"BFLB",
    b"Bouffalo",
    b"bl_iot_sdk",
    b"Boot2",
)


def _is_boot2_code(code: bytes) -> bool:
    return any(m in code for m in BOOT2_MARKERS)


#: opcodes of RV32 instructions a bare image may start with
_RV32_ENTRY = {0x17: "auipc", 0x37: "lui", 0x6F: "jal", 0x73: "csr"}


def looks_like_bl602_code(data: bytes) -> str | None:
    """Why ``data`` looks like bare BL602 (RISC-V, SDK) code, or None. Cheap: a prefix and a string scan."""
    if len(data) < 1024:
        return None
    b0, b1 = data[0], data[1]
    auipc_gp = b0 == 0x97 and (b1 & 0x0F) == 0x01  # auipc gp, ... (SDK start.S / boot2 entry)
    cli_t0 = data[:6] == b"\xa1\x42\x73\xb0\x02\x30"  # c.li t0,8 ; csrc mstatus,t0 (OpenBL602 apps)
    # other RV32 entries (SDK mfg_* factory-test images): a 32-bit auipc / lui / jal / csr instruction
    rv32 = _RV32_ENTRY.get(b0 & 0x7F) if (b0 & 3) == 3 else None
    if not (auipc_gp or cli_t0 or rv32):
        return None
    window = data[:0x100000]
    hits = [m.decode() for m in BL602_MARKERS if m in window]
    if not hits:
        return None
    start = "auipc gp" if auipc_gp else "c.li t0 / csrc mstatus" if cli_t0 else str(rv32)
    return f"RISC-V entry ({start}) and SDK strings {', '.join(hits[:3])}"


# --------------------------------------------------------------------------------------------------
# images


@dataclass(frozen=True, slots=True)
class BootImage(BytesImage):
    """A boot header alone or followed by its image (boot2, FW_OTA.bin, whole_img, RAM image)."""

    kind = FMT

    header: BootHeader
    data: bytes = field(repr=False)
    extension: Extension | None = None
    #: where the code starts (None: header only)
    code_offset: int | None = None
    #: boot2 | firmware | mcu-firmware | ram-image | header
    role: str = "header"
    segments: tuple[Segment, ...] = ()
    base: int = 0
    extra: tuple[Problem, ...] = ()

    @classmethod
    def parse(cls, data: bytes, *, base: int = 0, role: str | None = None) -> BootImage:
        """Parse a header and locate its code. ``role`` forces firmware/boot2 code placement."""
        data = bytes(data)
        hdr = BootHeader.parse(data, base=base)
        extra: list[Problem] = []
        ext = None
        if hdr.extension_size:
            try:
                ext = Extension.parse(data, hdr, base=base)
            except ObkImgError as e:
                extra.append(
                    Problem("error", f"signed/encrypted extension unreadable: {e.message}", e.offset, FMT)
                )
        body_start = HEADER_SIZE + (ext.size if ext else 0)
        segments: tuple[Segment, ...] = ()
        if hdr.segmented:
            segs = []
            off = body_start
            for i in range(min(hdr.img_len, 64)):
                if off + 16 > len(data):
                    if len(data) > body_start:
                        extra.append(Problem("error", f"segment {i} header truncated", base + len(data), FMT))
                    break
                sh = parse_with(SEGMENT_HEADER, FMT, data[off : off + 16], base=base + off)
                segs.append(Segment(off, sh.dest_addr, sh.len, sh.rsvd, sh.crc32))
                off += 16 + sh.len
            segments = tuple(segs)
            code: int | None = body_start if len(data) > body_start else None
            found_role = "ram-image" if code is not None else "header"
        else:
            code, found_role = _locate_code(hdr, data, ext, role)
        return cls(hdr, data, ext, code, found_role, segments, base, tuple(extra))

    # -- image helpers ----------------------------------------------------------------------
    @property
    def image_length(self) -> int:
        """Length in bytes of the image: ``img_len`` from the header, or everything after the code offset
        for a RAM image (whose ``img_len`` counts segments)."""
        if self.segmented_image:
            return len(self.data) - (self.code_offset or 0)
        return self.header.img_len

    @property
    def segmented_image(self) -> bool:
        """True for a RAM image (segments after the header)."""
        return self.role == "ram-image"

    @property
    def image(self) -> bytes:
        """The code bytes the hash covers (img_len bytes at the code offset; empty when header only)."""
        if self.code_offset is None:
            return b""
        if self.segmented_image:
            return self.data[self.code_offset :]
        return self.data[self.code_offset : self.code_offset + self.header.img_len]

    @property
    def end(self) -> int:
        """End of the image proper (header + padding + code)."""
        if self.code_offset is None:
            return HEADER_SIZE + (self.extension.size if self.extension else 0)
        return self.code_offset + len(self.image)

    @property
    def truncated(self) -> bool:
        """True when the input ends before the code offset + :attr:`image_length`."""
        return self.code_offset is not None and self.code_offset + self.image_length > len(self.data)

    def hash_state(self) -> str:
        """valid | bad | ignored | truncated | unchecked (header only)."""
        if self.header.hash_ignored:
            return "ignored"
        if self.code_offset is None:
            return "unchecked"
        if self.truncated:
            return "truncated"
        iv = self.extension.iv_block() if self.extension else b""
        return "valid" if hashlib.sha256(iv + self.image).digest() == self.header.hash else "bad"

    def trailer(self) -> str | None:
        """What follows the image: sha256 (a .hash / _withhash file), padding-ff, data, or None."""
        rest = self.data[self.end :]
        if not rest or self.code_offset is None:
            return None
        if len(rest) == 32 and hashlib.sha256(self.data[: self.end]).digest() == rest:
            return "sha256"
        if _all_ff(rest):
            return "padding-ff"
        return "data"

    def fw_ota_bin(self) -> bytes:
        """Header + padding + image, as FW_OTA.bin / whole_img.bin (no trailer)."""
        return self.data[: self.end]

    def rebuilt(self, *, fill_ignored: bool = False) -> bytes:
        """The same bytes with img_len, hash and every CRC recomputed (placeholders kept)."""
        iv = self.extension.iv_block() if self.extension else b""
        if self.code_offset is None or self.segmented_image:
            image = self.image if self.segmented_image else None
            hdr = self.header.with_checksums(image, fill_ignored=fill_ignored, iv_block=iv)
            if self.segmented_image:
                hdr = replace(hdr, img_len=self.header.img_len).with_checksums(fill_ignored=fill_ignored)
        else:
            end = min(self.code_offset + self.header.img_len, len(self.data))
            hdr = self.header.with_checksums(
                self.data[self.code_offset : end], fill_ignored=fill_ignored, iv_block=iv
            )
        return hdr.build() + self.data[HEADER_SIZE:]

    def build(self) -> bytes:
        """The input bytes with the header rebuilt from its fields (stored CRCs kept): identical to the parsed
        input."""
        return self.header.build() + self.data[HEADER_SIZE:]

    # -- Image API -----------------------------------------------------------------------------
    @property
    def chip(self) -> str | None:
        return CHIP

    def header_problems(self) -> list[Problem]:
        """Problems of the header (magics, CRCs), of reading the extension or segment headers, and of the
        extension blocks' CRCs."""
        found = self.header.check(base=self.base) + list(self.extra)
        if self.extension is not None:
            found += self.extension.problems(self.base)
        return found

    def image_problems(self) -> list[Problem]:
        """Problems of the image: SHA-256 mismatch (at the hash field, 0x84), truncation, bad segment header
        CRCs and truncated segments; ``info`` when a segment's ``rsvd`` word is not the CRC-32 of its data."""
        found: list[Problem] = []
        state = self.hash_state()
        if state == "bad":
            found.append(
                Problem("error", "image SHA-256 does not match the header hash", self.base + 132, FMT)
            )
        elif state == "truncated":
            found.append(
                Problem(
                    "error",
                    f"image truncated: header says {self.header.img_len} bytes at "
                    f"{self.code_offset:#x}, file ends at {len(self.data):#x}",
                    self.base + len(self.data),
                    FMT,
                )
            )
        for s in self.segments:
            if not s.header_ok:
                found.append(
                    Problem(
                        "error",
                        f"bad segment header CRC32 (dest {s.dest_addr:#x})",
                        self.base + s.offset + 12,
                        FMT,
                    )
                )
            elif s.offset + 16 + s.length > len(self.data):
                found.append(Problem("error", "segment data truncated", self.base + len(self.data), FMT))
            elif crc32(self.data[s.offset + 16 : s.offset + 16 + s.length]) != s.rsvd:
                found.append(
                    Problem(
                        "info",
                        "segment rsvd word is not the CRC32 of its data",
                        self.base + s.offset + 8,
                        FMT,
                    )
                )
        return found

    def problems(self) -> list[Problem]:
        return self.header_problems() + self.image_problems()

    def verify(self) -> list[Problem]:
        """Strict: an unfilled template CRC (0 or 0xDEADBEEF without crc_ignore) is a mismatch too."""
        found = unique_problems(Image.verify(self))
        if self.header.crc_state == "unfilled":
            found.append(
                Problem(
                    "error",
                    f"header CRC32 {self.header.crc:#010x} is not filled in (computed "
                    f"{self.header.computed_crc:#010x})",
                    self.base + 172,
                    FMT,
                )
            )
        return found

    def regions(self) -> list[Region]:
        hp = self.header_problems()
        bad = any(p.severity == "error" for p in hp)
        hdr_state = "bad-crc" if bad else ("unknown" if self.header.crc_state == "unfilled" else "valid")
        regions = [
            Region(
                "boot header",
                self.base,
                HEADER_SIZE,
                "boot-header",
                hdr_state,
                tuple(hp),
                {
                    "crc_state": self.header.crc_state,
                    "img_len": self.header.img_len,
                    "img_start": self.header.img_start,
                },
            )
        ]
        if self.extension is not None:
            regions.append(
                Region(
                    "signature/iv",
                    self.base + HEADER_SIZE,
                    self.extension.size,
                    "boot-header",
                    "valid" if not self.extension.problems(self.base) else "bad-crc",
                )
            )
        if self.code_offset is None:
            return regions
        pad_start = HEADER_SIZE + (self.extension.size if self.extension else 0)
        if self.code_offset > pad_start:
            regions.append(
                Region(
                    "padding",
                    self.base + pad_start,
                    self.code_offset - pad_start,
                    "padding",
                    "erased" if _all_ff(self.data[pad_start : self.code_offset]) else "unknown",
                )
            )
        state = {
            "valid": "valid",
            "bad": "bad-crc",
            "ignored": "unknown",
            "truncated": "invalid",
            "unchecked": "unknown",
        }[self.hash_state()]
        kind = {"boot2": "bootloader", "ram-image": "loader"}.get(self.role, "app")
        regions.append(
            Region(
                self.role,
                self.base + self.code_offset,
                min(self.image_length, len(self.data) - self.code_offset),
                kind,
                state,
                tuple(self.image_problems()),
                {"hash": self.hash_state()},
            )
        )
        trailer = self.trailer()
        if trailer:
            regions.append(
                Region(
                    f"trailer ({trailer})",
                    self.base + self.end,
                    len(self.data) - self.end,
                    "padding" if trailer == "padding-ff" else "data",
                    "erased" if trailer == "padding-ff" else "valid" if trailer == "sha256" else "unknown",
                )
            )
        return regions

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        return {
            "role": self.role,
            "header": self.header.to_dict(),
            "code_offset": self.code_offset,
            "image_length": self.image_length if self.code_offset is not None else None,
            "hash_state": self.hash_state(),
            "extension": self.extension.to_dict() if self.extension else None,
            "segments": [s.to_dict() for s in self.segments],
            "trailer": self.trailer(),
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        h = self.header
        lines = [
            f"role: {self.role}; boot_cfg {h.boot_cfg.word:#010x}; img_len {h.img_len}; img_start "
            f"{h.img_start:#x}; code at {self.code_offset:#x}"
            if self.code_offset is not None
            else f"role: {self.role}; boot_cfg {h.boot_cfg.word:#010x}; img_len {h.img_len}"
        ]
        lines.append(
            f"header CRC: {h.crc_state}; image hash: {self.hash_state()}; xtal "
            f"{XTAL_TYPES.get(h.clock.xtal_type, '?')}, pll {PLL_CLKS.get(h.clock.pll_clk, '?')}"
        )
        return lines

    def artifacts(self) -> list[Any]:
        from ...model import Artifact

        if self.code_offset is None or self.segmented_image:
            return []
        return [
            Artifact(
                f"{self.role}_image.bin",
                self.image,
                "firmware",
                self.role,
                "code covered by the header hash (img_len bytes)",
            )
        ]


@dataclass(frozen=True, slots=True)
class BareFirmware(BytesImage):
    """BL602 code without a boot header: an OpenBL602 ``.bin`` (what goes at FW + 0x1000), raw boot2."""

    kind = FMT_BARE

    data: bytes = field(repr=False)
    reason: str = ""

    @property
    def chip(self) -> str | None:
        return CHIP

    @property
    def role(self) -> str:
        """``"boot2"`` when the code carries a BLSP boot2 string, else ``"application"``."""
        return "boot2" if _is_boot2_code(self.data) else "application"

    @property
    def trailing_sha256(self) -> bool:
        """``img_boot2_withhash`` / ``img_withhash``: the last 32 bytes are SHA-256 of the rest."""
        return len(self.data) > 32 and hashlib.sha256(self.data[:-32]).digest() == self.data[-32:]

    def regions(self) -> list[Region]:
        n = len(self.data) - (32 if self.trailing_sha256 else 0)
        out = [Region(self.role, 0, n, "bootloader" if self.role == "boot2" else "app", "unknown")]
        if self.trailing_sha256:
            out.append(Region("sha256", n, 32, "data", "valid"))
        return out

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        return {
            "role": self.role,
            "length": len(self.data),
            "trailing_sha256": self.trailing_sha256,
            "padded_length": len(prepare_image(self.data)),
            "evidence": self.reason,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        return [
            f"bare BL602 {self.role} code (no boot header): {self.reason}",
            "`obkimg ota pack` adds a boot header; boot2 expects it at the partition start, code at +0x1000",
        ]


# --------------------------------------------------------------------------------------------------
# builders


def _locate_code(
    hdr: BootHeader, data: bytes, ext: Extension | None, role: str | None
) -> tuple[int | None, str]:
    body_start = HEADER_SIZE + (ext.size if ext else 0)
    n = hdr.img_len
    if len(data) <= body_start or _all_ff(data[body_start:]):
        return None, "header"
    order = [FW_CODE_OFFSET, BOOT2_CODE_OFFSET]
    if role == "boot2":
        order.reverse()
    if hdr.img_start not in order and body_start <= hdr.img_start < len(data):
        order.append(hdr.img_start)
    iv = ext.iv_block() if ext else b""
    if not hdr.hash_ignored:
        for off in order:
            if off + n <= len(data) and hashlib.sha256(iv + data[off : off + n]).digest() == hdr.hash:
                return off, _role_for(off, data[off : off + n])
    if role in ("boot2", "firmware"):
        off = BOOT2_CODE_OFFSET if role == "boot2" else FW_CODE_OFFSET
        return off, role
    # no matching hash: code at 0x2000 when img_start says so and 0x1000..0x2000 is erased
    if (
        hdr.img_start == BOOT2_CODE_OFFSET
        and len(data) > BOOT2_CODE_OFFSET
        and _all_ff(data[FW_CODE_OFFSET:BOOT2_CODE_OFFSET])
    ):
        return BOOT2_CODE_OFFSET, _role_for(
            BOOT2_CODE_OFFSET, data[BOOT2_CODE_OFFSET : BOOT2_CODE_OFFSET + n]
        )
    if len(data) > FW_CODE_OFFSET:
        return FW_CODE_OFFSET, "firmware"
    return None, "header"


def _role_for(offset: int, code: bytes) -> str:
    if offset == FW_CODE_OFFSET:
        return "firmware"
    return "boot2" if _is_boot2_code(code) else "mcu-firmware"


def prepare_image(image: bytes) -> bytes:
    """Image padding of bflb-iot-tool 1.10 before hashing: +16 zero bytes when the length is a multiple
    of 4096, then zero padding to a multiple of 16 (as bflb-iot-tool writes it)."""
    if len(image) % 4096 == 0:
        image = image + bytes(16)
    return image + bytes(-len(image) % 16)


def fw_header(
    image: bytes, *, template: BootHeader | None = None, img_start: int | None = None
) -> BootHeader:
    """The FW boot header for an already prepared image (see :func:`prepare_image`).

    Without ``template`` it is exactly what bflb-iot-tool 1.10 writes (generic flash config, 40 MHz
    clocks, boot_cfg 0x3300, img_start 0x1000). A ``template`` (e.g. the FW header of a device dump)
    supplies flash/clock config, boot_cfg and img_start; its ignore placeholders are kept.
    """
    base = template if template is not None else BootHeader(boot_cfg=BootCfg.from_word(0x3300))
    if base.boot_cfg.sign or base.boot_cfg.encrypt_type:
        raise BuildError(
            "cannot build a signed or encrypted header (no keys); use an unsigned template", fmt=FMT
        )
    if img_start is not None:
        base = replace(base, img_start=img_start)
    if template is None:
        base = replace(base, hash=bytes(32), crc=None)
    return base.with_checksums(image)


def boot2_header(code: bytes) -> BootHeader:
    """The boot2 header bflb-iot-tool 1.10 writes: crc/hash ignored (0xDEADBEEF), img_start 0x2000."""
    hdr = BootHeader(
        boot_cfg=BootCfg.from_word(0x33300),
        img_start=BOOT2_CODE_OFFSET,
        img_len=len(code),
        hash=HASH_PLACEHOLDER,
        crc=DEADBEEF,
    )
    return hdr.with_checksums(code)


def fw_ota_bin(firmware: bytes, *, template: BootHeader | None = None) -> bytes:
    """``FW_OTA.bin`` (= ``whole_img.bin``): FW header + 0xFF up to 4096 + the padded image.

    ``firmware`` is a bare image (an OpenBL602 ``.bin``); a ``FW_OTA.bin`` passes through unchanged.
    """
    if firmware[:4] == MAGIC:
        img = BootImage.parse(firmware, role="firmware")
        return img.fw_ota_bin()
    image = prepare_image(firmware)
    hdr = fw_header(image, template=template)
    return hdr.build() + b"\xff" * (FW_CODE_OFFSET - HEADER_SIZE) + image


def boot2_image(code: bytes) -> bytes:
    """``whole_img_boot2.bin``: boot2 header + 0xFF up to 0x2000 + boot2 code (flash offset 0)."""
    if code[:4] == MAGIC:
        return code
    code = code + bytes(-len(code) % 16)
    return boot2_header(code).build() + b"\xff" * (BOOT2_CODE_OFFSET - HEADER_SIZE) + code


# --------------------------------------------------------------------------------------------------
# every header of a file (for `obkimg bl602 header show|rebuild`)


def _header_spans(data: bytes) -> list[tuple[int, int, str | None]]:
    """(offset, end, role) of every boot header: at 0, and in FW/mfg slots of a flash dump."""
    spans: list[tuple[int, int, str | None]] = []
    from .partitions import TABLE_ADDRESSES, read_copies, select_active

    is_dump = len(data) > TABLE_ADDRESSES[1] + 20 and any(data[a : a + 4] == b"BFPT" for a in TABLE_ADDRESSES)
    if data[:4] in (MAGIC, b"BFAP"):
        spans.append((0, TABLE_ADDRESSES[0] if is_dump else len(data), "boot2" if is_dump else None))
    if is_dump:
        copies = read_copies(data)
        act = select_active(copies)
        table = copies[act].table if act is not None else next((c.table for c in copies if c.table), None)
        for e in table.entries if table is not None else ():
            for _slot, addr, size in e.slots():
                if addr and data[addr : addr + 4] == MAGIC:
                    spans.append((addr, min(addr + size, len(data)), "firmware"))
    return spans


def find_headers(data: bytes, *, offset: int | None = None) -> list[BootImage]:
    """Every boot header in ``data`` (one at ``offset`` if given): a header file, an image, or each header
    of a flash dump (boot2 and the FW/mfg slots)."""
    data = bytes(data)
    if offset is not None:
        if data[offset : offset + 4] not in (MAGIC, b"BFAP"):
            raise MagicError(FMT, MAGIC, data[offset : offset + 4], offset=offset)
        spans = [s for s in _header_spans(data) if s[0] == offset] or [(offset, len(data), None)]
    else:
        spans = _header_spans(data)
    if not spans:
        err = foreign_error(data, fmt=FMT)
        if err is not None:
            raise err
        hint = (
            "a bare image without a header: `obkimg ota pack` adds one"
            if looks_like_bl602_code(data)
            else "no BFNP boot header at 0 (nor in the FW slots of a flash dump)"
        )
        raise MagicError(FMT, MAGIC, data[:4], offset=0, hint=hint)
    return [BootImage.parse(data[a:b], base=a, role=role) for a, b, role in spans]


def header_report(data: bytes, *, offset: int | None = None) -> dict[str, Any]:
    """The ``obkimg bl602 header show --json`` document (schema obkimg.bl602-header/1)."""
    out = []
    for img in find_headers(data, offset=offset):
        d = img.details()
        d["offset"] = img.base
        d["code_offset"] = img.base + img.code_offset if img.code_offset is not None else None
        d["problems"] = [p.to_dict() for p in img.problems()]
        out.append(d)
    return {"schema": "obkimg.bl602-header/1", "size": len(data), "headers": out}


def rebuild_headers(
    data: bytes, *, offset: int | None = None, fill_ignored: bool = False
) -> tuple[bytes, list[str]]:
    """``data`` with the header(s) rebuilt (img_len, hash and CRCs recomputed; 0xDEADBEEF placeholders
    of ignored fields kept unless ``fill_ignored``). Returns the bytes and one line per change."""
    out = bytearray(data)
    changes = []
    for img in find_headers(data, offset=offset):
        new = img.rebuilt(fill_ignored=fill_ignored)[:HEADER_SIZE]
        old = bytes(out[img.base : img.base + HEADER_SIZE])
        if new != old:
            a, b = BootHeader.parse(old), BootHeader.parse(new)
            diffs = [
                name
                for name, x, y in (
                    ("img_len", a.img_len, b.img_len),
                    ("hash", a.hash, b.hash),
                    ("flash_cfg CRC", a.flash_crc, b.flash_crc),
                    ("clk_cfg CRC", a.clk_crc, b.clk_crc),
                    ("header CRC", a.crc, b.crc),
                )
                if x != y
            ]
            changes.append(f"header at {img.base:#x}: updated {', '.join(diffs)}")
        else:
            changes.append(f"header at {img.base:#x}: already consistent")
        out[img.base : img.base + HEADER_SIZE] = new
    return bytes(out), changes


# --------------------------------------------------------------------------------------------------
# BK / foreign input


#: how a foreign kind is named in the error (a BK full-flash dump is the QIO layout)
_BK_LABELS = {
    "bk7231-qio": "QIO image",
    "bk7231-dump": "flash dump",
    "bk7231-ua": "UA image",
    "bk7231-rbl": "RBL file",
    "bk7231-ug": "Tuya UG file",
    "bk7231-bootloader": "bootloader",
    "bk7231-app": "app image",
}


def foreign_error(data: bytes, *, fmt: str = FMT, what: str = "BL602 firmware") -> ObkImgError | None:
    """If ``data`` is recognised as another chip's file (BK7231...), the plain error to raise, else None.

    Uses :func:`obkimg.detect`, so every registered format (including BK modules added later) counts.
    """
    try:
        from ...detect import detect as run_detect

        found = run_detect(bytes(data))
    except ObkImgError:
        return None
    for d in found:
        chip = (d.chip or "").upper()
        if chip.startswith(("BL60", "TG7100")) or d.kind.startswith("bl602"):
            return None
        if d.confidence < 50:
            continue
        if (chip and not chip.startswith("BL")) or d.kind.startswith("bk"):
            label = _BK_LABELS.get(d.kind, d.kind.replace("-", " "))
            return MismatchError(
                f"this is a {d.chip or 'BK7231'} {label}, not {what}",
                fmt=fmt,
                offset=d.offset,
                hint=f"detected as {d.kind}: {d.reason}",
            )
    return None


# --------------------------------------------------------------------------------------------------
# registry hooks

FORMAT = FormatInfo(
    id=FMT,
    name="BL602 boot header + image",
    family="bl602",
    description="176-byte 'BFNP' boot header (flash/clock config, boot_cfg, img_len, SHA-256, CRCs) alone "
    "or followed by its image: boot2, FW_OTA.bin / whole_img.bin, MCU-flow and RAM (eflash "
    "loader) images; bl602-firmware is bare BL602 code without a header",
    references=(
        "PyPI bflb-iot-tool 1.10: libs/bl602/bootheader_cfg_keys.py, libs/bl602/img_create_do.py",
        "pine64/bl_iot_sdk: customer_app/bl602_boot2/bl602_boot2/blsp_boot_parser.c, blsp_media_boot.c",
        "spacemeowx2/blflash: blflash/src/image/bootheader.rs",
    ),
    limitations=(
        "signatures are reported, not verified; encrypted code is not decrypted",
        "the 84-byte flash config is opaque (CRC checked only)",
        "bare-code detection (bl602-firmware) relies on the RISC-V entry and SDK strings",
    ),
    aliases=(FMT_BARE, "bl602-header", "bl602-boot2", "bl602-fw"),
)


def detect(data: bytes) -> Detection | None:
    """A ``BFNP`` header with a valid flash config magic and a matching flash or clock config CRC
    (confidence 85; 40 otherwise) or bare BL602 code (``bl602-firmware``, 45). Never raises."""
    try:
        if data[:4] == MAGIC and len(data) >= HEADER_SIZE:
            fc_ok = crc32(data[12:96]) == struct.unpack_from("<I", data, 96)[0]
            pc_ok = crc32(data[104:112]) == struct.unpack_from("<I", data, 112)[0]
            if data[8:12] not in (b"FCFG", bytes(4)) or not (fc_ok or pc_ok):
                return Detection(
                    FMT, 40, "BFNP magic but flash/clock config CRCs do not match", CHIP, 0, HEADER_SIZE
                )
            what = "header only" if len(data) <= 0x1000 and _all_ff(data[HEADER_SIZE:]) else "header + image"
            return Detection(
                FMT, 85, f"BFNP boot header with valid FCFG/PCFG CRCs ({what})", CHIP, 0, len(data)
            )
        why = looks_like_bl602_code(data)
        if why:
            return Detection(FMT_BARE, 45, why, CHIP, 0, len(data))
    except (IndexError, struct.error):
        return None
    return None


def load(source: Source) -> Image:
    """A :class:`BootImage` for input starting with ``BFNP``/``BFAP``, else a :class:`BareFirmware` when the
    code looks like BL602 code. Raises :class:`~obkimg.errors.MismatchError` for another chip's file,
    :class:`~obkimg.errors.MagicError` otherwise (:class:`~obkimg.errors.FormatError` below 4 bytes) and
    :class:`~obkimg.errors.TruncatedError` for a header shorter than 176 bytes."""
    data = source.data
    if data[:4] in (MAGIC, b"BFAP"):
        return BootImage.parse(data)
    why = looks_like_bl602_code(data)
    if why is None:
        err = foreign_error(data, fmt=FMT)
        if err is not None:
            raise err
        if len(data) >= 4:
            raise MagicError(
                FMT, MAGIC, data[:4], offset=0, hint="not a BL602 boot header, nor bare BL602 code"
            )
        raise FormatError("empty or tiny input", fmt=FMT, offset=0)
    return BareFirmware(data, why)
