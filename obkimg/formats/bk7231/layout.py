"""BK7231 flash layouts, the code's first words and the code-key class: the facts every BK7231 image needs.

Purpose: the facts :mod:`obkimg.formats.bk7231.image` and the dump analysis (:mod:`obkimg.bkdump`) need
to name what a QIO image or a flash dump is and where its parts live: the flash layouts of the BK7231
families (one data table, physical offsets, i.e. with the 32+2-byte CRC framing of the code area
counted), the bootloader fingerprint table, the "BK7231\\0\\0" marker of N-family bootloaders, the
bootloader version string, the ARM vector every Beken code image starts with (:data:`ARM_VECTOR`), the
RF calibration TLV (:data:`RF_TLV_HEADER`, :data:`RF_TLV_ITEM`) and the key class of an encrypted code
area (which of the known Beken code keys turns its first words into an ARM vector: :func:`classify_key`,
the one place it is decided, typed :data:`KeyClass`).

ARM vector (first 8 bytes of a plain bootloader or app, little-endian words)::

    off  size  field          value
    0x0  3     branch_offset  imm24 of ``B <reset handler>`` (varies: 0x0e for OpenBeken/Tuya apps)
    0x3  1     branch_opcode  0xEA (B, condition AL)
    0x4  4     ldr_pc         ``14 f0 9f e5`` = LDR PC, [PC, #0x14]

RF calibration TLV (spec §6; BK7231GUIFlashTool ``Utils/RFPartitionUtil.cs``)::

    off  size    field   notes
    0x0  4       magic   "TLV\\0"
    0x4  4       length  u32 LE, bytes of items that follow
    0x8  length  items   tag[4] + u32 LE length + value; group items (tag ``xx 11 11 11``...) nest
                         items; the MAC is item ``02 11 11 11`` of length 6

Sources: the Tuya SDK bootloaders and ``beken_packager`` (QIO layout, FAL contents, 2 MiB layouts);
bootloader fingerprints: tuya-cloudcutter/bk7231tools, ``bk7231tools/serial/base/enums.py``
(CRC-32 of the first 256 physical bytes, 257 for BK7231N); partition addresses:
openshwprojects/OpenBK7231T_App ``src/hal/hal_ota.h``, ``src/hal/bk7231/hal_flashConfig_bk7231.c``,
``src/littlefs/our_lfs.h``; RF TLV: openshwprojects/BK7231GUIFlashTool ``Utils/RFPartitionUtil.cs``.

Layouts (physical offsets, 2 MiB flash)::

    name           bootloader RBL  app (phys)             app RBL    download           RF        OBK cfg
    bk7231n        0x10F9A         0x11000-0x129F70       0x129F0A   0x12A000+0xA6000   0x1D0000  0x1D1000
    bk7231t        0x10F9A         0x11000-0x129F70       0x129F0A   0x132000+0xA6000   0x1E0000  0x1E1000
    bk7231t-obk    0x10F9A         0x11000-0x100000       0xFFF9A    0x132000+0xA6000   0x1E0000  0x1E1000
    bk7231n-beken  0xFE9A          0x11000-0x132000       0x131F9A   0x132000+0xAE000   0x1E0000  0x1E1000
    bk7231q        0x10F9A         0x11000-0x132000       0x131F9A   0x132000+0xCC000   0x1E0000  0x1E1000
    bk7231u        0xFE9A          0x11000-0x132000       0x131F9A   0x132000+0xAE000   0x1E0000  0x1E1000

Chip identification is no business of this module: the dump analysis (:func:`obkimg.bkdump.decide_chip`)
hands these facts to the evidence model of :mod:`obkimg.chipid`.

Limitations: BK7231Q/U/BK7252 layouts beyond the QIO files OpenBeken publishes are not verified
(spec Q9).
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Literal

import construct as c

from ..._record import dataclass
from ...codecs import bkcipher
from ...codecs.bkcipher import Key

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "FlashLayout",
    "LAYOUTS",
    "Fingerprint",
    "FINGERPRINTS",
    "KNOWN_KEYS",
    "N_MARKER",
    "N_MARKER_OFFSET",
    "BOOT_PARTITION_END",
    "APP_START",
    "APP_LOGICAL",
    "FLASH_2M",
    "fingerprint",
    "ARM_VECTOR",
    "is_arm_vector",
    "KeyClass",
    "KEY_CLASSES",
    "classify_key",
    "key_class_of",
    "RF_TLV_MAGIC",
    "RF_TLV_HEADER",
    "RF_TLV_ITEM",
    "RF_MAC_TAG",
    "find_bootloader_version",
    "family_of_version",
    "app_identity",
    "app_identity_of_pieces",
    "layout_by_name",
]

#: physical end of the bootloader partition / physical start of the app (logical 0x10000)
BOOT_PARTITION_END = 0x11000
APP_START = 0x11000
#: the logical address the app is linked and encrypted for
APP_LOGICAL = 0x10000
FLASH_2M = 0x200000

#: plaintext marker of N-family bootloaders at logical 0x100 (= physical 0x110), spec §3.5
N_MARKER = b"BK7231\0\0"
N_MARKER_OFFSET = 0x100

#: the code keys tried when classifying an encrypted area (besides the all-zero key)
KNOWN_KEYS: tuple[tuple[Literal["tuya", "uascent"], Key], ...] = (
    ("tuya", bkcipher.KEY_TUYA),
    ("uascent", bkcipher.KEY_UASCENT),
)


@dataclass(frozen=True, slots=True)
class FlashLayout:
    """Where things live on a 2 MiB BK7231 flash (physical offsets)."""

    name: str
    description: str
    #: physical offset of the bootloader's in-flash RBL trailer
    bootloader_rbl: int
    #: physical end of the app partition (the app RBL trailer ends here, except on bk7231t-obk)
    app_end: int
    #: physical offset of the app's RBL trailer
    app_rbl: int
    download: tuple[int, int]
    rf: int
    obk_config: int
    #: OpenBeken LittleFS area inside the download partition (start, end), spec §6
    littlefs: tuple[int, int] | None = None
    flash_size: int = FLASH_2M

    def to_dict(self) -> dict[str, object]:
        """The layout as JSON-ready data: name, description and the physical offsets (``download`` split into
        ``download_offset`` and ``download_size``; ``littlefs`` and ``flash_size`` are left out)."""
        return {
            "name": self.name,
            "description": self.description,
            "bootloader_rbl": self.bootloader_rbl,
            "app_end": self.app_end,
            "app_rbl": self.app_rbl,
            "download_offset": self.download[0],
            "download_size": self.download[1],
            "rf": self.rf,
            "obk_config": self.obk_config,
        }


LAYOUTS: dict[str, FlashLayout] = {
    lay.name: lay
    for lay in (
        FlashLayout(
            "bk7231n",
            "Tuya/OpenBeken BK7231N (also OpenBeken BK7231M)",
            0x10F9A,
            0x129F70,
            0x129F0A,
            (0x12A000, 0xA6000),
            0x1D0000,
            0x1D1000,
            (0x12B000, 0x1D0000),
        ),
        FlashLayout(
            "bk7231t",
            "Tuya BK7231T",
            0x10F9A,
            0x129F70,
            0x129F0A,
            (0x132000, 0xA6000),
            0x1E0000,
            0x1E1000,
            (0x133000, 0x1B3000),
        ),
        FlashLayout(
            "bk7231t-obk",
            "OpenBeken BK7231T (app trailer at 0xFFF9A)",
            0x10F9A,
            0x100000,
            0xFFF9A,
            (0x132000, 0xA6000),
            0x1E0000,
            0x1E1000,
            (0x133000, 0x1B3000),
        ),
        FlashLayout(
            "bk7231n-beken",
            "non-Tuya BK7231N / BL2028N (Beken FAL, app 0x110000)",
            0xFE9A,
            0x132000,
            0x131F9A,
            (0x132000, 0xAE000),
            0x1E0000,
            0x1E1000,
        ),
        FlashLayout(
            "bk7231q",
            "BK7231Q (FAL app 0x110000, download 0xCC000)",
            0x10F9A,
            0x132000,
            0x131F9A,
            (0x132000, 0xCC000),
            0x1E0000,
            0x1E1000,
        ),
        FlashLayout(
            "bk7231u",
            "BK7231U / BK7252 OpenBeken QIO (beken_freertos_sdk)",
            0xFE9A,
            0x132000,
            0x131F9A,
            (0x132000, 0xAE000),
            0x1E0000,
            0x1E1000,
        ),
    )
}


def layout_by_name(name: str) -> FlashLayout:
    """The :class:`FlashLayout` called ``name`` in ``LAYOUTS`` (``"bk7231n"``, ``"bk7231t"``...); raises
    :class:`KeyError` for an unknown name."""
    return LAYOUTS[name]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A known bootloader: CRC-32 of its first 256 (257 for BK7231N) physical bytes."""

    crc: int
    length: int
    chip: str
    name: str
    key_class: KeyClass


#: bk7231tools ``BkBootloaderType`` (CRC over physical bytes, i.e. the encrypted, CRC-framed image)
FINGERPRINTS: tuple[Fingerprint, ...] = (
    Fingerprint(0xE14191BA, 257, "BK7231N", "BK7231N 1.0.1", "tuya"),
    Fingerprint(0xC1ECA871, 256, "BK7231T", "BK7231S 1.0.1", "tuya"),
    Fingerprint(0x4B31E44D, 256, "BK7231T", "BK7231S 1.0.3", "tuya"),
    Fingerprint(0xBA54C1B8, 256, "BK7231T", "BK7231S 1.0.5", "tuya"),
    Fingerprint(0xE5CBC953, 256, "BK7231T", "BK7231S 1.0.6", "tuya"),
    Fingerprint(0xF0231EF6, 256, "BK7231Q", "BK7231Q", "zero"),
    Fingerprint(0xFF5A3EAC, 256, "BK7231Q", "BK7231Q (Tuya SDK)", "zero"),
    Fingerprint(0x2739019F, 256, "BK7231U", "BK7231U 1.0.6", "zero"),
    Fingerprint(0x39F9B50C, 256, "BK7252", "BK7252 0.1.3", "zero"),
    Fingerprint(0xE3A27C26, 256, "BK7252", "BK7252 SDK 2M uart1", "zero"),
    Fingerprint(0xF42F8C32, 256, "BK7238", "BK7238 T1 2.0.0", "zero"),
    Fingerprint(0x6BEB0924, 256, "BK7238", "BK7238 1.0.14", "zero"),
)


def fingerprint(physical: bytes | memoryview) -> Fingerprint | None:
    """The known bootloader whose CRC-32 matches the first 256/257 physical bytes, if any."""
    if len(physical) < 257:
        return None
    c256 = zlib.crc32(physical[:256]) & 0xFFFFFFFF
    c257 = zlib.crc32(physical[:257]) & 0xFFFFFFFF
    for fp in FINGERPRINTS:
        if fp.crc == (c257 if fp.length == 257 else c256):
            return fp
    return None


#: ``B <x>`` with condition AL: the opcode byte of the first word
ARM_BRANCH_AL = b"\xea"
#: ``LDR PC, [PC, #0x14]``: the second word of every Beken code image
ARM_LDR_PC = b"\x14\xf0\x9f\xe5"

#: the first 8 bytes of a plain Beken bootloader or app (see the module docstring)
ARM_VECTOR = c.Struct(
    "branch_offset" / c.Int24ul,
    "branch_opcode" / c.Const(ARM_BRANCH_AL),
    "ldr_pc" / c.Const(ARM_LDR_PC),
)


def is_arm_vector(first8: bytes) -> bool:
    """An ARM reset vector as Beken images start (:data:`ARM_VECTOR`): ``B <x>`` (cond AL) then
    ``LDR PC, [PC, #0x14]``; a test of the schema's two constants."""
    return len(first8) >= 8 and first8[3:4] == ARM_BRANCH_AL and first8[4:8] == ARM_LDR_PC


#: which code key a code area is encrypted with: ``zero`` (plaintext), a known key (``tuya``,
#: ``uascent``) or ``unknown``; images add ``plain`` for a bare plain file, which says nothing of the
#: key it will be used with
KeyClass = Literal["zero", "tuya", "uascent", "unknown", "plain"]
KEY_CLASSES: tuple[KeyClass, ...] = ("zero", "tuya", "uascent", "unknown", "plain")


def classify_key(first8: bytes, address: int) -> tuple[KeyClass, Key | None]:
    """Which key makes ``first8`` (stored at logical ``address``) an ARM vector: the one place the code
    key class is decided.

    Returns ``("zero", KEY_ZERO)`` for plaintext, ``("tuya"|"uascent", key)`` for a known key, and
    ``("unknown", None)`` otherwise (an equivalent key could be searched with a known-plaintext
    attack, see mildsunrise/bk7231_key_calculator; not done here).
    """
    head = bytes(first8[:8])
    if len(head) < 8:
        return "unknown", None
    if is_arm_vector(head):
        return "zero", bkcipher.KEY_ZERO
    for name, key in KNOWN_KEYS:
        if is_arm_vector(bkcipher.crypt(head, key, address)):
            return name, key
    return "unknown", None


def key_class_of(image: bytes | bytearray | memoryview, address: int = APP_LOGICAL) -> KeyClass:
    """The :data:`KeyClass` of a code image stored for logical ``address`` (an app by default), from
    its first 8 bytes (:func:`classify_key`)."""
    return classify_key(bytes(image[:8]), address)[0]


# ------------------------------------------------------------------------------------ RF TLV
RF_TLV_MAGIC = b"TLV\0"
#: the MAC address item inside the RF TLV (6 bytes)
RF_MAC_TAG = b"\x02\x11\x11\x11"
#: the head of the RF calibration sector: magic and the length of the items after it
RF_TLV_HEADER = c.Struct("magic" / c.Const(RF_TLV_MAGIC), "length" / c.Int32ul)
#: one TLV item head (its ``length`` value bytes follow)
RF_TLV_ITEM = c.Struct("tag" / c.Bytes(4), "length" / c.Int32ul)


_VERSION_RE = re.compile(rb"(BK72\d\d[A-Za-z]?)\x00?(_\d{1,2}\.\d{1,2}\.\d{1,3})")


def find_bootloader_version(plain: bytes | memoryview) -> str | None:
    """The bootloader's version string (``BK7231N_1.0.1``, ``BK7231S_1.0.5``, ``BK7231n_1.0.13``)."""
    m = _VERSION_RE.search(bytes(plain))
    if m is None:
        return None
    return (m.group(1) + m.group(2)).decode("ascii")


def family_of_version(version: str | None) -> str | None:
    """``N`` / ``T`` / ``U``... from a bootloader version string (``BK7231S`` is the T bootloader)."""
    if not version:
        return None
    head = version.split("_", 1)[0].upper()
    return {
        "BK7231N": "N",
        "BK7231S": "T",
        "BK7231T": "T",
        "BK7231U": "U",
        "BK7231Q": "Q",
        "BK7252": "7252",
        "BK7238": "7238",
    }.get(head)


# ------------------------------------------------------------------------------------ app strings
_OBK_RE = re.compile(rb"(OpenBK72\d\d[A-Z]?|OpenBL2028N)[ _](\d{1,3}\.\d{1,3}\.\d{1,4})")
_TUYA_RE = re.compile(rb"FOR ([\x21-\x7e]{1,48}) AT (bk72\d\d[a-z]?)\b")


#: more than the longest match of :data:`_OBK_RE` (24 bytes) or :data:`_TUYA_RE` (63 bytes) plus the
#: byte its ``\b`` looks at: how much of the text before a piece :func:`app_identity_of_pieces` keeps
_IDENT_OVERLAP = 128


def _obk_identity(m: re.Match[bytes]) -> dict[str, str]:
    platform = m.group(1).decode()
    fam = {"OPENBK7231N": "N", "OPENBK7231T": "T", "OPENBK7231M": "N", "OPENBL2028N": "N"}.get(
        platform.upper()
    )
    out = {
        "firmware": "OpenBeken",
        "platform": platform,
        "version": m.group(2).decode(),
        "text": m.group(0).decode(),
    }
    if fam:
        out["chip_family"] = fam
    return out


def _tuya_identity(m: re.Match[bytes]) -> dict[str, str]:
    chip = m.group(2).decode()
    fam = {"bk7231n": "N", "bk7231t": "T", "bk7231s": "T", "bk7231u": "U"}.get(chip)
    out = {"firmware": "Tuya", "platform": chip, "sdk": m.group(1).decode(), "text": m.group(0).decode()}
    if fam:
        out["chip_family"] = fam
    return out


def app_identity(plain: bytes | bytearray | memoryview) -> dict[str, str] | None:
    """What a plain app says it is: OpenBeken build string (``OpenBK7231N 1.18.300``) or the Tuya SDK
    banner (``FOR ty_iot_sdk AT bk7231n``). Returns ``firmware``, ``version``, ``chip_family`` (N/T)."""
    return app_identity_of_pieces((bytes(plain),))


def app_identity_of_pieces(pieces: Iterable[bytes]) -> dict[str, str] | None:
    """:func:`app_identity` of the concatenation of ``pieces`` (a plain app decrypted piece by piece),
    without making it: each piece is searched together with the end of the one before, and a match is
    taken only where the text after it is known (it starts :data:`_IDENT_OVERLAP` bytes before the end
    of what is at hand, or the pieces are done). The first OpenBeken string wins over any Tuya banner,
    as in :func:`app_identity`."""
    tuya = None
    carry = b""
    it = iter(pieces)
    cur = next(it, None)
    while cur is not None:
        nxt = next(it, None)
        buf = carry + cur
        limit = len(buf) if nxt is None else len(buf) - _IDENT_OVERLAP
        m = _OBK_RE.search(buf)
        if m is not None and m.start() < limit:
            return _obk_identity(m)
        if tuya is None:
            t = _TUYA_RE.search(buf)
            if t is not None and t.start() < limit:
                tuya = _tuya_identity(t)
        carry = buf[max(limit, 0) :]
        cur = nxt
    return tuya
