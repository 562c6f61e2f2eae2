"""Bouffalo Lab BL602 boot images: the boot header ("BFNP", :mod:`.header`) alone or followed by its image.

The same 176-byte header (vendor ``Boot_Header_Config``, declared once in
:data:`~obkimg.formats.bl602.header.BOOT_HEADER`) starts every BL602 flash image: boot2 at flash 0 (code
at ``img_start`` = 0x2000), the firmware in each FW partition slot (code always at header + 0x1000,
whatever ``img_start`` says), ``FW_OTA.bin`` / ``whole_img.bin`` files, MCU-flow images (code at 0x2000,
no boot2) and RAM images loaded over UART by the mask ROM (eflash loaders: ``img_start`` is a RAM
address, segments follow the header). This module also identifies a bare BL602 firmware without a header
(``bl602-firmware``: an OpenBL602 ``.bin``, a raw boot2), and builds FW_OTA.bin / whole_img_boot2.bin the
way bflb-iot-tool 1.10 does.

Sources: PyPI bflb-iot-tool 1.10 ``libs/bl602/img_create_do.py`` (hash, header CRC, image padding);
pine64/bl_iot_sdk ``customer_app/bl602_boot2/bl602_boot2/blsp_boot_parser.c`` (what boot2 checks) and
``blsp_media_boot.c`` (FW code at +0x1000); spacemeowx2/blflash ``bootheader.rs``.

Limitations: signatures are reported, not verified; encrypted code is not decrypted (the key lives in
efuse); RAM images are described segment by segment, not executed.
"""

from __future__ import annotations

import hashlib
from dataclasses import field, replace
from typing import Any

from ..._record import dataclass
from ...codecs.checksums import crc32
from ...errors import (
    BuildError,
    FormatError,
    MagicError,
    MismatchError,
    ObkImgError,
    Problem,
    unique_problems,
)
from ...model import Artifact, BytesImage, Image, Region, RegionState
from ...source import Source
from .. import BL602_MARKERS, Detection, FormatInfo, candidates
from .header import (
    AES_IV,
    BOOT_CFG,
    BOOT_HEADER,
    CLK_CFG,
    DEADBEEF,
    ENCRYPT_TYPES,
    FLASH_CLKS,
    FMT,
    FW_CODE_OFFSET,
    GENERIC_FLASH_CFG,
    HASH_PLACEHOLDER,
    HEADER_SIZE,
    IOT_CLOCK_40M,
    MAGIC,
    MAGICS,
    OFFSETS,
    PLL_CLKS,
    SEGMENT_BODY,
    SEGMENT_HEADER,
    SIGN_PUBKEY,
    SIGN_TYPES,
    SIGNATURE,
    XTAL_TYPES,
    BootCfg,
    BootHeader,
    ClockConfig,
    Extension,
    Segment,
    field_offsets,
)

__all__ = [
    "FORMAT",
    "FMT",
    "FMT_BARE",
    "HEADER_SIZE",
    "MAGIC",
    "MAGICS",
    "DEADBEEF",
    "HASH_PLACEHOLDER",
    "GENERIC_FLASH_CFG",
    "IOT_CLOCK_40M",
    "XTAL_TYPES",
    "PLL_CLKS",
    "FLASH_CLKS",
    "SIGN_TYPES",
    "ENCRYPT_TYPES",
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
    "detect",
    "load",
]

FMT_BARE = "bl602-firmware"
CHIP = "BL602"
#: boot2 / MCU image code offset at flash 0
BOOT2_CODE_OFFSET = 0x2000

# --------------------------------------------------------------------------------------------------
# bare code


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


#: offsets inside a segment header: the body's fields (dest_addr, len, rsvd) and its CRC
SEGMENT_OFFSETS = {**field_offsets(SEGMENT_BODY), "crc32": field_offsets(SEGMENT_HEADER)["crc32"]}

#: region state of the code for each :meth:`BootImage.hash_state`
_HASH_REGION_STATES: dict[str, RegionState] = {
    "valid": "valid",
    "bad": "bad-crc",
    "ignored": "unknown",
    "truncated": "invalid",
    "unchecked": "unknown",
}


def _read_segments(
    data: bytes, hdr: BootHeader, start: int, base: int, extra: list[Problem]
) -> tuple[Segment, ...]:
    """The segment headers of a RAM image from ``start`` (at most 64); a truncated one goes to ``extra``."""
    segs: list[Segment] = []
    off = start
    for i in range(min(hdr.img_len, 64)):
        if off + SEGMENT_HEADER.sizeof() > len(data):
            if len(data) > start:
                extra.append(Problem("error", f"segment {i} header truncated", base + len(data), FMT))
            break
        seg = Segment.parse(data, off, base=base)
        segs.append(seg)
        off += SEGMENT_HEADER.sizeof() + seg.length
    return tuple(segs)


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
            segments = _read_segments(data, hdr, body_start, base, extra)
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
                Problem(
                    "error", "image SHA-256 does not match the header hash", self.base + OFFSETS["hash"], FMT
                )
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
                        self.base + s.offset + SEGMENT_OFFSETS["crc32"],
                        FMT,
                    )
                )
            elif s.data_offset + s.length > len(self.data):
                found.append(Problem("error", "segment data truncated", self.base + len(self.data), FMT))
            elif crc32(self.data[s.data_offset : s.data_offset + s.length]) != s.rsvd:
                found.append(
                    Problem(
                        "info",
                        "segment rsvd word is not the CRC32 of its data",
                        self.base + s.offset + SEGMENT_OFFSETS["rsvd"],
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
                    self.base + OFFSETS["crc"],
                    FMT,
                )
            )
        return found

    def _header_regions(self) -> list[Region]:
        hp = self.header_problems()
        bad = any(p.severity == "error" for p in hp)
        hdr_state: RegionState = (
            "bad-crc" if bad else ("unknown" if self.header.crc_state == "unfilled" else "valid")
        )
        h = self.header
        detail = {"crc_state": h.crc_state, "img_len": h.img_len, "img_start": h.img_start}
        out = [Region("boot header", self.base, HEADER_SIZE, "boot-header", hdr_state, tuple(hp), detail)]
        if self.extension is not None:
            ext_state: RegionState = "valid" if not self.extension.problems(self.base) else "bad-crc"
            at = self.base + HEADER_SIZE
            out.append(Region("signature/iv", at, self.extension.size, "boot-header", ext_state))
        return out

    def _code_regions(self, code: int) -> list[Region]:
        out = []
        pad_start = HEADER_SIZE + (self.extension.size if self.extension else 0)
        if code > pad_start:
            pad_state: RegionState = "erased" if _all_ff(self.data[pad_start:code]) else "unknown"
            out.append(Region("padding", self.base + pad_start, code - pad_start, "padding", pad_state))
        hash_state = self.hash_state()
        state = _HASH_REGION_STATES[hash_state]
        kind = {"boot2": "bootloader", "ram-image": "loader"}.get(self.role, "app")
        size = min(self.image_length, len(self.data) - code)
        probs = tuple(self.image_problems())
        out.append(Region(self.role, self.base + code, size, kind, state, probs, {"hash": hash_state}))
        trailer = self.trailer()
        if trailer:
            t_kind = "padding" if trailer == "padding-ff" else "data"
            t_state: RegionState = (
                "erased" if trailer == "padding-ff" else "valid" if trailer == "sha256" else "unknown"
            )
            at, size = self.base + self.end, len(self.data) - self.end
            out.append(Region(f"trailer ({trailer})", at, size, t_kind, t_state))
        return out

    def regions(self) -> list[Region]:
        """The boot header (and extension blocks), then padding, the code and any trailer."""
        out = self._header_regions()
        if self.code_offset is not None:
            out += self._code_regions(self.code_offset)
        return out

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

    def artifacts(self) -> list[Artifact]:
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


def _detections(data: bytes) -> list[Detection]:
    """What every registered format's probe says about ``data``, best first (as :func:`obkimg.detect`
    ranks them; a format module asks the registry, it does not import that workflow)."""
    found: list[Detection] = []
    for mod in candidates(data):
        try:
            hit = mod.detect(data)
        except ObkImgError:
            continue
        if hit is not None:
            found += hit if isinstance(hit, list) else [hit]
    found.sort(key=lambda d: -d.confidence)
    return found


def foreign_error(data: bytes, *, fmt: str = FMT, what: str = "BL602 firmware") -> ObkImgError | None:
    """If ``data`` is recognised as another chip's file (BK7231...), the plain error to raise, else None.

    Asks every registered format's ``detect`` (:func:`_detections`), so BK modules added later count too.
    """
    for d in _detections(bytes(data)):
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


def _config_crcs_ok(data: bytes) -> bool:
    """The header parses (flash config magic FCFG or zero) and its flash or clock config CRC matches."""
    try:
        hdr = BootHeader.parse(data[:HEADER_SIZE])
    except ObkImgError:
        return False
    return hdr.flash_crc == hdr.computed_flash_crc or hdr.clk_crc == hdr.computed_clk_crc


def detect(data: bytes) -> Detection | None:
    """A ``BFNP`` header with a valid flash config magic and a matching flash or clock config CRC
    (confidence 85; 40 otherwise) or bare BL602 code (``bl602-firmware``, 45). Never raises."""
    if data[:4] == MAGIC and len(data) >= HEADER_SIZE:
        if not _config_crcs_ok(data):
            bad = "BFNP magic but flash/clock config CRCs do not match"
            return Detection(FMT, 40, bad, CHIP, 0, HEADER_SIZE)
        what = "header only" if len(data) <= 0x1000 and _all_ff(data[HEADER_SIZE:]) else "header + image"
        return Detection(FMT, 85, f"BFNP boot header with valid FCFG/PCFG CRCs ({what})", CHIP, 0, len(data))
    why = looks_like_bl602_code(data)
    return Detection(FMT_BARE, 45, why, CHIP, 0, len(data)) if why else None


def load(source: Source) -> Image:
    """A :class:`BootImage` for input starting with ``BFNP``/``BFAP``, else a :class:`BareFirmware` when the
    code looks like BL602 code. Raises :class:`~obkimg.errors.MismatchError` for another chip's file,
    :class:`~obkimg.errors.MagicError` otherwise (:class:`~obkimg.errors.FormatError` below 4 bytes) and
    :class:`~obkimg.errors.TruncatedError` for a header shorter than 176 bytes."""
    data = source.data
    if data[:4] in MAGICS:
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
