"""The BL602 boot header ("BFNP", 176 bytes) as one construct declaration, and its typed model.

Vendor struct: ``Boot_Header_Config`` (``bootheader_t``) in pine64/bl_iot_sdk
``customer_app/bl602_boot2/bl602_boot2/blsp_bootinfo.h``; offsets and bits as PyPI bflb-iot-tool 1.10
``libs/bl602/bootheader_cfg_keys.py`` writes them; what boot2 checks in ``blsp_boot_parser.c``
(the 0xDEADBEEF "ignored" placeholders). :data:`BOOT_HEADER` lists the fields top-down as the C struct
does (little-endian)::

    0x00  4  magicCode "BFNP"          0x64  4  clkCfg.magicCode "PCFG"
    0x04  4  revision (1)              0x68  8  clkCfg.cfg: xtal, pll, hclk/bclk div, flash clk, div
    0x08  4  flashCfg.magicCode "FCFG" 0x70  4  clkCfg.crc32 = CRC32(0x68..0x6F)
    0x0C 84  flashCfg.cfg (opaque)     0x74  4  bootCfg bitfield (sign, encrypt, no_segment, ...)
    0x60  4  flashCfg.crc32 = CRC32(0x0C..0x5F)
    0x78  4  imgLen / segmentCnt       0x7C  4  bootEntry          0x80  4  imgStart
    0x84 32  hash: SHA-256 of the image                 0xA4  8  rsv1, rsv2
    0xAC  4  crc32 = CRC32(0x00..0xAB)

Signed/encrypted images carry extension blocks after the header (bflb-iot-tool
``libs/bl602/img_create_do.py``): public key X||Y + CRC (68 B), signature length + r||s + CRC (72 B),
AES IV + CRC (20 B). RAM images (eflash loaders) carry segment headers after it.

Every CRC sits after its data: a :func:`kept_crc32` over a ``RawCopy``. A lenient parse (the default of
the model) keeps the stored value whatever it is, so placeholders and damaged values round-trip byte for
byte; a strict parse (``strict=True``) raises at the stored CRC. Build writes the stored value, or
computes it when the model holds None.

Limitations: the 84-byte flash config is opaque (only its CRC is checked); signatures are reported, not
verified.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields, replace
from typing import Any

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Bytes,
    ByteSwapped,
    Enum,
    Flag,
    Int8ul,
    Int32ul,
    OneOf,
    RawCopy,
    Struct,
    this,
)

from ..._construct import LenientChecksum, build_with, field_offsets, parse_with
from ..._record import dataclass
from ...codecs.checksums import crc32
from ...errors import BuildError, MagicError, Problem, TruncatedError

__all__ = [
    "FMT",
    "MAGIC",
    "MAGICS",
    "HEADER_SIZE",
    "DEADBEEF",
    "HASH_PLACEHOLDER",
    "GENERIC_FLASH_CFG",
    "XTAL_TYPES",
    "PLL_CLKS",
    "FLASH_CLKS",
    "SIGN_TYPES",
    "ENCRYPT_TYPES",
    "kept_crc32",
    "field_offsets",
    "OFFSETS",
    "CLK_CFG",
    "BOOT_CFG",
    "BOOT_HEADER",
    "SIGN_PUBKEY",
    "SIGNATURE_BODY",
    "SIGNATURE",
    "AES_IV",
    "SEGMENT_BODY",
    "SEGMENT_HEADER",
    "ClockConfig",
    "IOT_CLOCK_40M",
    "BootCfg",
    "BootHeader",
    "Extension",
    "Segment",
]

FMT = "bl602-bootheader"
MAGIC = b"BFNP"
#: boot2 also accepts "BFAP" (a CPU1 image; not used on BL602)
MAGICS = (MAGIC, b"BFAP")
#: the template value the vendor tools leave in ignored fields; boot2 honours "ignore" only with it
DEADBEEF = 0xDEADBEEF
HASH_PLACEHOLDER = Int32ul.build(DEADBEEF) + bytes(28)
#: FW code offset inside a FW partition / FW_OTA.bin (boot2 ignores img_start there)
FW_CODE_OFFSET = 0x1000

#: bytes 12..95 written by bflb-iot-tool 1.10 for the generic flash (mfg_id 0xFF), CRC 0x5726629E
GENERIC_FLASH_CFG = bytes.fromhex(  # fromhex skips the spaces
    "11000101 6699ff03 9f009f00 04ff0001 c72052d8 06023200 0b010b01 3b01bb00 6b01eb02 eb020250"
    "00010001 01000201 0201ab01 05350000 01010000 38ffffff 77030240 770302f0 2c01b004 b0040500 e8801400"
)

#: codes of the clock config (bflb-iot-tool ``config.py`` comments); the Enums below are made from these
XTAL_TYPES = {0: "none", 1: "24M", 2: "32M", 3: "38.4M", 4: "40M", 5: "26M", 6: "RC32M"}
PLL_CLKS = {0: "RC32M", 1: "XTAL", 2: "PLL48M", 3: "PLL120M", 4: "PLL160M", 5: "PLL192M"}
FLASH_CLKS = {0: "120M", 1: "XCLK", 2: "48M", 3: "80M", 4: "BCLK", 5: "96M"}
SIGN_TYPES = {0: "none", 1: "ecc"}
ENCRYPT_TYPES = {0: "none", 1: "aes128", 2: "aes256", 3: "aes192"}


def _enum(subcon: Any, codes: dict[int, str]) -> Any:
    return Enum(subcon, **{name: code for code, name in codes.items()})


# --------------------------------------------------------------------------------------------------
# construct schemas


def kept_crc32(data: Any, placeholders: tuple[int, ...] = ()) -> Any:
    """A CRC-32 (u32 LE) after the data ``data`` (a context lambda, e.g. ``this.body.data`` of a
    ``RawCopy``): ``Checksum`` that keeps the stored value. A strict parse raises ``ChecksumError`` at the
    CRC unless it matches or is one of ``placeholders``; a lenient parse keeps whatever is stored. Build
    writes the given value, or the CRC of the data when it is None."""
    return LenientChecksum(Int32ul, crc32, data, placeholders)


#: ``Boot_Sys_Clk_Config`` (bytes 0x68..0x6F)
CLK_CFG = Struct(
    "xtal_type" / _enum(Int8ul, XTAL_TYPES) * "xtal_type",
    "pll_clk" / _enum(Int8ul, PLL_CLKS) * "pll_clk",
    "hclk_div" / Int8ul * "hclk_div",
    "bclk_div" / Int8ul * "bclk_div",
    "flash_clk_type" / _enum(Int8ul, FLASH_CLKS) * "flash_clk_type",
    "flash_clk_div" / Int8ul * "flash_clk_div",
    "rsvd" / Bytes(2) * "rsvd[2]",
)

#: ``bootCfg.bval``: a little-endian u32, fields listed from bit 31 down (vendor names in the docs)
BOOT_CFG = ByteSwapped(
    BitStruct(
        "rsvd19" / BitsInteger(13) * "bootCfg.rsvd19_31",
        "halt_cpu1" / Flag * "bootCfg.haltCPU1",
        "hash_ignore" / Flag * "bootCfg.hashIgnore",
        "crc_ignore" / Flag * "bootCfg.crcIgnore",
        "cache_way_disable" / BitsInteger(4) * "bootCfg.cacheWayDisable",
        "aes_region_lock" / Flag * "bootCfg.aesRegionLock",
        "notload_in_bootrom" / Flag * "bootCfg.notLoadInBootrom",
        "cache_enable" / Flag * "bootCfg.cacheEnable",
        "no_segment" / Flag * "bootCfg.noSegment",
        "rsvd6" / BitsInteger(2) * "bootCfg.rsvd6_7",
        "key_sel" / BitsInteger(2) * "bootCfg.keySel",
        "encrypt_type" / _enum(BitsInteger(2), ENCRYPT_TYPES) * "bootCfg.encryptType",
        "sign" / _enum(BitsInteger(2), SIGN_TYPES) * "bootCfg.sign",
    )
)

#: ``Boot_Header_Config``: field names are the model's (:class:`BootHeader`), vendor names in the docs
BOOT_HEADER = Struct(
    "body"
    / RawCopy(
        Struct(
            "magic" / OneOf(Bytes(4), MAGICS) * "magicCode",
            "revision" / Int32ul * "revision",
            "flash_magic" / OneOf(Bytes(4), [b"FCFG", bytes(4)]) * "flashCfg.magicCode ('if_img' zeroes it)",
            "flash_cfg" / RawCopy(Bytes(84)) * "flashCfg.cfg: SPI_Flash_Cfg_Type (opaque)",
            "flash_crc" / kept_crc32(this.flash_cfg.data) * "flashCfg.crc32",
            "clk_magic" / OneOf(Bytes(4), [b"PCFG", bytes(4)]) * "clkCfg.magicCode",
            "clock" / RawCopy(CLK_CFG) * "clkCfg.cfg",
            "clk_crc" / kept_crc32(this.clock.data) * "clkCfg.crc32",
            "boot_cfg" / BOOT_CFG * "bootCfg",
            "img_len" / Int32ul * "img_segment_info: imgLen (flash image) or segmentCnt (RAM image)",
            "boot_entry" / Int32ul * "bootEntry",
            "img_start" / Int32ul * "imgStart: flashOffset or ramAddr",
            "hash" / Bytes(32) * "hash: SHA-256 of the image",
            "rsvd" / Array(2, Int32ul) * "rsv1, rsv2",
        )
    ),
    # crc_ignore images keep 0xDEADBEEF and templates 0 / 0xDEADBEEF: placeholders, not damage
    "crc" / kept_crc32(this.body.data, (0, DEADBEEF)) * "crc32 over bytes 0..171",
)
HEADER_SIZE = BOOT_HEADER.sizeof()
assert HEADER_SIZE == 176


#: the offset of every field of the header (the body's fields, through its RawCopy, and the header CRC)
OFFSETS: dict[str, int] = {
    **field_offsets(BOOT_HEADER.body.subcon.subcon),
    "crc": field_offsets(BOOT_HEADER)["crc"],
}
assert (OFFSETS["flash_crc"], OFFSETS["clk_crc"], OFFSETS["boot_cfg"], OFFSETS["crc"]) == (96, 112, 116, 172)

#: public key X||Y, then its CRC-32
SIGN_PUBKEY = Struct("key" / RawCopy(Bytes(64)), "crc32" / kept_crc32(this.key.data))
#: signature length (64) + r||s, then the CRC-32 of both
SIGNATURE_BODY = Struct("sig_len" / OneOf(Int32ul, list(range(0, 129))), "sig" / Bytes(this.sig_len))
SIGNATURE = Struct("body" / RawCopy(SIGNATURE_BODY), "crc32" / kept_crc32(this.body.data))
#: size of the signature block for the 64-byte r||s of ECDSA P-256 (72)
_SIGNATURE_64_SIZE = len(SIGNATURE.build({"body": {"value": {"sig_len": 64, "sig": bytes(64)}}}))
#: AES IV (16 bytes, last 4 zero from the tools), then its CRC-32
AES_IV = Struct("iv" / RawCopy(Bytes(16)), "crc32" / kept_crc32(this.iv.data))
#: RAM images: {destAddr, len, rsvd (tools store CRC32 of the data)}, then the CRC-32 of those 12 bytes
SEGMENT_BODY = Struct("dest_addr" / Int32ul, "len" / Int32ul, "rsvd" / Int32ul)
SEGMENT_HEADER = Struct("body" / RawCopy(SEGMENT_BODY), "crc32" / kept_crc32(this.body.data))


def _code(value: Any) -> int:
    """An Enum field's integer code (a known value parses to a labelled string, an unknown one to int)."""
    return int(value)


def _plain(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, slots=True)
class ClockConfig:
    """``Boot_Sys_Clk_Config``: the clock configuration (bytes 0x68..0x6F), codes as integers."""

    xtal_type: int = 4
    pll_clk: int = 4
    hclk_div: int = 0
    bclk_div: int = 1
    flash_clk_type: int = 3
    flash_clk_div: int = 1
    rsvd: bytes = b"\0\0"

    @classmethod
    def from_container(cls, obj: Any) -> ClockConfig:
        """The model of a parsed :data:`CLK_CFG`."""
        values: dict[str, Any] = {k: v if k == "rsvd" else _code(v) for k, v in _plain(obj).items()}
        return cls(**values)

    def to_container(self) -> dict[str, Any]:
        """The fields for :data:`CLK_CFG`'s build."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def payload(self) -> bytes:
        """The 8 clock bytes as stored at 0x68..0x6F (the bytes the clock CRC covers)."""
        return build_with(CLK_CFG, FMT, self.to_container())

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
    """The boot_cfg bitfield at 0x74 (:data:`BOOT_CFG`; names from the C struct), codes as integers."""

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

    @classmethod
    def from_container(cls, obj: Any) -> BootCfg:
        """The model of a parsed :data:`BOOT_CFG`."""
        values: dict[str, Any] = {k: v if isinstance(v, bool) else _code(v) for k, v in _plain(obj).items()}
        return cls(**values)

    def to_container(self) -> dict[str, Any]:
        """The fields for :data:`BOOT_CFG`'s build."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def word(self) -> int:
        """The little-endian u32 stored at 0x74 (built by :data:`BOOT_CFG`)."""
        return int(Int32ul.parse(build_with(BOOT_CFG, FMT, self.to_container())))

    @classmethod
    def from_word(cls, word: int) -> BootCfg:
        """The fields of the boot_cfg word ``word`` (parsed by :data:`BOOT_CFG`)."""
        return cls.from_container(BOOT_CFG.parse(Int32ul.build(word)))

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


#: fields of BOOT_HEADER.body that are RawCopy'd (a CRC follows them)
_RAW_COPIED = ("flash_cfg", "clock")


@dataclass(frozen=True, slots=True)
class BootHeader:
    """One 176-byte boot header (:data:`BOOT_HEADER`).

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
        """Parse the first 176 bytes of ``data``. ``strict`` raises ChecksumError on any bad CRC (at the
        stored CRC; the 0 / 0xDEADBEEF placeholders of the header CRC are accepted)."""
        if bytes(data[:4]) not in (*MAGICS, MAGIC[: len(data)]):
            raise MagicError(FMT, MAGIC, bytes(data[:4]), offset=base)
        if len(data) < HEADER_SIZE:
            raise TruncatedError(FMT, HEADER_SIZE, len(data), offset=base + len(data), path="header")
        parsed = parse_with(BOOT_HEADER, FMT, bytes(data[:HEADER_SIZE]), base=base, strict=strict)
        return cls.from_container(parsed)

    @classmethod
    def from_container(cls, parsed: Any) -> BootHeader:
        """The model of a parsed :data:`BOOT_HEADER`."""
        body = _plain(parsed.body.value)
        for name in _RAW_COPIED:
            body[name] = body[name].value
        body["clock"] = ClockConfig.from_container(body["clock"])
        body["boot_cfg"] = BootCfg.from_container(body["boot_cfg"])
        body["rsvd"] = tuple(body["rsvd"])
        return cls(**body, crc=parsed.crc)

    def to_container(self) -> dict[str, Any]:
        """The fields for :data:`BOOT_HEADER`'s build (None CRCs are computed by the schema)."""
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "crc"}
        body["clock"] = self.clock.to_container()
        body["boot_cfg"] = self.boot_cfg.to_container()
        body["rsvd"] = list(self.rsvd)
        for name in _RAW_COPIED:
            body[name] = {"value": body[name]}
        return {"body": {"value": body}, "crc": self.crc}

    def build(self) -> bytes:
        """The 176 header bytes (stored CRCs as they are; missing ones computed)."""
        if len(self.flash_cfg) != 84 or len(self.hash) != 32 or len(self.clock.rsvd) != 2:
            raise BuildError("flash_cfg must be 84 bytes, hash 32 bytes", fmt=FMT)
        return build_with(BOOT_HEADER, FMT, self.to_container())

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
        return crc32(replace(self, crc=0).build()[: OFFSETS["crc"]])

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
            n += SIGN_PUBKEY.sizeof() + _SIGNATURE_64_SIZE
        if self.boot_cfg.encrypt_type:
            n += AES_IV.sizeof()
        return n

    def check(self, *, base: int = 0) -> list[Problem]:
        """Problems of the header alone (the three CRCs, notload_in_bootrom)."""
        out: list[Problem] = []
        for name, what, stored, computed in (
            ("flash_crc", "flash_cfg", self.flash_crc, self.computed_flash_crc),
            ("clk_crc", "clk_cfg", self.clk_crc, self.computed_clk_crc),
        ):
            if stored is not None and stored != computed:
                msg = f"bad {what} CRC32 (stored {stored:#010x}, computed {computed:#010x})"
                out.append(Problem("error", msg, base + OFFSETS[name], FMT))
        at = base + OFFSETS["crc"]
        state = self.crc_state
        if state == "bad":
            msg = f"bad header CRC32 (stored {self.crc:#010x}, computed {self.computed_crc:#010x})"
            out.append(Problem("error", msg, at, FMT))
        elif state == "unfilled":
            msg = (
                f"header CRC32 is the placeholder {self.crc:#x} without crc_ignore: an unfilled template "
                "(a flasher fills in CRC and hash); boot2 rejects it as is"
            )
            out.append(Problem("warning", msg, at, FMT))
        elif state == "ignored":
            out.append(Problem("info", "header CRC ignored (crc_ignore=1, 0xDEADBEEF)", at, FMT))
        if self.boot_cfg.notload_in_bootrom:
            out.append(
                Problem(
                    "warning",
                    "notload_in_bootrom is set: boot2 refuses this image",
                    base + OFFSETS["boot_cfg"],
                    FMT,
                )
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
            digest = self.hash if keep_hash else hashlib.sha256(iv_block + image).digest()
            h = replace(h, img_len=len(image), hash=digest)
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
    """Signed / encrypted extension blocks after the header (:data:`SIGN_PUBKEY`, :data:`SIGNATURE`,
    :data:`AES_IV`)."""

    public_key: bytes | None = None
    public_key_crc: int | None = None
    signature: bytes | None = None
    signature_crc: int | None = None
    iv: bytes | None = None
    iv_crc: int | None = None
    size: int = 0

    def iv_block(self) -> bytes:
        """The 20-byte AES IV block (IV + CRC-32) the image hash covers first; empty when not encrypted."""
        if self.iv is None:
            return b""
        return build_with(AES_IV, FMT, {"iv": {"value": self.iv}, "crc32": self.iv_crc or 0})

    def _signature_body(self) -> bytes:
        assert self.signature is not None
        return build_with(SIGNATURE_BODY, FMT, {"sig_len": len(self.signature), "sig": self.signature})

    def problems(self, base: int) -> list[Problem]:
        """Bad CRC-32s of the public key, signature and AES IV blocks, each at the offset of its CRC
        (``base``: offset of the header in the input)."""
        out = []
        off = base + HEADER_SIZE
        if self.public_key is not None:
            if crc32(self.public_key) != self.public_key_crc:
                out.append(Problem("error", "bad public key CRC32", off + len(self.public_key), FMT))
            off += SIGN_PUBKEY.sizeof()
        if self.signature is not None:
            body = self._signature_body()
            if crc32(body) != self.signature_crc:
                out.append(Problem("error", "bad signature CRC32", off + len(body), FMT))
            off += len(body) + 4
        if self.iv is not None and crc32(self.iv) != self.iv_crc:
            out.append(Problem("error", "bad AES IV CRC32", off + len(self.iv), FMT))
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
            pk = parse_with(SIGN_PUBKEY, FMT, data[off : off + 68], base=base + off, strict=False)
            kw.update(public_key=pk.key.value, public_key_crc=pk.crc32)
            off += pk.key.length + 4
            sig = parse_with(SIGNATURE, FMT, data[off : off + 4 + 128 + 4], base=base + off, strict=False)
            kw.update(signature=sig.body.value.sig, signature_crc=sig.crc32)
            off += sig.body.length + 4
        if header.boot_cfg.encrypt_type:
            iv = parse_with(AES_IV, FMT, data[off : off + 20], base=base + off, strict=False)
            kw.update(iv=iv.iv.value, iv_crc=iv.crc32)
            off += AES_IV.sizeof()
        return cls(size=off - HEADER_SIZE, **kw)


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a RAM image (:data:`SEGMENT_HEADER` at ``offset`` from the header start)."""

    offset: int
    dest_addr: int
    length: int
    rsvd: int
    crc: int

    @classmethod
    def parse(cls, data: bytes, offset: int, *, base: int = 0) -> Segment:
        """The segment header at ``offset`` of ``data`` (``base``: offset of ``data`` in the input)."""
        raw = data[offset : offset + SEGMENT_HEADER.sizeof()]
        sh = parse_with(SEGMENT_HEADER, FMT, raw, base=base + offset, strict=False)
        body = sh.body.value
        return cls(offset, body.dest_addr, body.len, body.rsvd, sh.crc32)

    @property
    def data_offset(self) -> int:
        """Where the segment's data starts (after its header), from the header start."""
        return self.offset + SEGMENT_HEADER.sizeof()

    @property
    def header_ok(self) -> bool:
        """True when the CRC-32 of the segment header's first 12 bytes matches its stored ``crc``."""
        body = {"dest_addr": self.dest_addr, "len": self.length, "rsvd": self.rsvd}
        return crc32(build_with(SEGMENT_BODY, FMT, body)) == self.crc

    def to_dict(self) -> dict[str, Any]:
        """The segment as JSON-ready data: offset (from the header start), destination address, length and
        ``header_crc_ok`` (offset and length in bytes)."""
        return {
            "offset": self.offset,
            "dest_addr": self.dest_addr,
            "length": self.length,
            "header_crc_ok": self.header_ok,
        }
